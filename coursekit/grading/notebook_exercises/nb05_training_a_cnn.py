"""Exercises of notebook 05, training a CNN: softmax, cross-entropy, class weights, top-k
error and ten-crop testing, with the hints for classic mistakes.
"""

import numpy as np

from coursekit import scratch
from coursekit.grading import fuzz
from coursekit.grading.registry import Case, Hint, coding, written
from coursekit.scratch.classification import EPSILON


def _rng():
    return np.random.default_rng(5)


# --- 05.1 softmax --------------------------------------------------------------


def _softmax_cases():
    rng = _rng()
    return [
        Case("one row of three scores", (np.array([[1.0, 2.0, 3.0]]),)),
        Case("4 examples, 5 classes", (rng.normal(size=(4, 5)),)),
        Case(
            "scores around 1000: exp() alone overflows",
            (np.array([[1000.0, 1001.0, 999.0], [-1000.0, -1002.0, -1001.0]]),),
        ),
        Case(
            "rows on very different scales",
            (np.array([[1000.0, 990.0, 980.0], [0.0, 1.0, 2.0]]),),
        ),
        Case("classes along axis 0", (rng.normal(size=(3, 4)),), {"axis": 0}),
        Case("a 3-D array, classes along axis 1", (rng.normal(size=(2, 4, 3)) * 5,), {"axis": 1}),
        Case(
            "rows that spread over 1000: only subtracting the maximum keeps exp() finite",
            (np.array([[0.0, 1000.0], [-1000.0, 0.0]]),),
        ),
        Case("a 3-D array with the default axis, the last", (rng.normal(size=(2, 3, 4)) * 5,)),
    ]


def _any_shape(rng, ndim=(1, 4), size=(1, 6)):
    return tuple(int(n) for n in rng.integers(*size, size=rng.integers(ndim[0], ndim[1] + 1)))


def _softmax_fuzz(rng):
    """Any shape and axis (the default too), scores of every scale: ties, offsets of
    +-1000, and rows spread over 1000 or more."""

    def make(rng):
        shape = _any_shape(rng)
        logits = fuzz.values(rng, shape) * fuzz.pick(rng, [1.0, 30.0]) + fuzz.pick(
            rng, [0.0, 1000.0, -1000.0]
        )
        axis = fuzz.pick(rng, [None, int(rng.integers(-len(shape), len(shape)))])
        return (logits,), ({} if axis is None else {"axis": axis})

    return fuzz.draw(rng, 60, make, scratch.softmax)


def _softmax_without_max(logits, axis=-1):
    with np.errstate(over="ignore", invalid="ignore"):
        exponentials = np.exp(logits)
        return exponentials / exponentials.sum(axis=axis, keepdims=True)


def _softmax_global_max(logits, axis=-1):
    with np.errstate(invalid="ignore", divide="ignore"):
        exponentials = np.exp(logits - np.max(logits))
        return exponentials / exponentials.sum(axis=axis, keepdims=True)


def _softmax_last_axis(logits, axis=-1):
    return scratch.softmax(logits)


def _softmax_row_minimum(logits, axis=-1):
    with np.errstate(over="ignore", invalid="ignore"):
        exponentials = np.exp(logits - np.min(logits, axis=axis, keepdims=True))
        return exponentials / exponentials.sum(axis=axis, keepdims=True)


SOFTMAX = coding(
    "05.1",
    "A numerically stable softmax",
    2,
    reference=scratch.softmax,
    cases=_softmax_cases,
    fuzz=_softmax_fuzz,
    hints=(
        Hint(
            "Subtract the largest score along `axis` before `np.exp`: exp(1000) "
            "overflows to inf, and inf / inf is NaN.",
            _softmax_without_max,
        ),
        Hint(
            "Subtract the maximum of each row (`np.max(logits, axis=axis, "
            "keepdims=True)`), not of the whole array: a row far below the global "
            "maximum underflows to 0 / 0.",
            _softmax_global_max,
        ),
        Hint(
            "Normalise along the `axis` argument, not always along the last axis.",
            _softmax_last_axis,
        ),
        Hint(
            "Subtract the maximum along `axis`, not the minimum: after subtracting the "
            "maximum every exponent is at most 0, so exp() cannot overflow.",
            _softmax_row_minimum,
        ),
    ),
)


# --- 05.2 cross_entropy --------------------------------------------------------


def _cross_entropy_cases():
    rng = _rng()
    return [
        Case("one example, three classes", (np.array([[0.2, 0.7, 0.1]]), np.array([1]))),
        Case(
            "4 examples, 3 classes",
            (scratch.softmax(rng.normal(size=(4, 3))), np.array([0, 2, 1, 2])),
        ),
        Case(
            "16 examples, 10 classes",
            (scratch.softmax(rng.normal(size=(16, 10)) * 3), rng.integers(0, 10, size=16)),
        ),
        Case(
            "a probability of exactly 0 for the true class",
            (np.array([[1.0, 0.0], [0.25, 0.75]]), np.array([1, 1])),
        ),
        Case(
            "int32 labels",
            (scratch.softmax(rng.normal(size=(5, 4))), np.array([3, 0, 0, 1, 2], dtype=np.int32)),
        ),
    ]


def _cross_entropy_fuzz(rng):
    """Probabilities from scores of every scale, so some are exactly 0 or 1."""

    def make(rng):
        batch, classes = int(rng.integers(1, 9)), int(rng.integers(2, 7))
        scores = fuzz.values(rng, (batch, classes)) * fuzz.pick(rng, [1.0, 10.0, 1000.0])
        dtype = fuzz.pick(rng, [np.int64, np.int32])
        return (scratch.softmax(scores), rng.integers(0, classes, size=batch).astype(dtype)), {}

    return fuzz.draw(rng, 50, make, scratch.cross_entropy)


def _summed_cross_entropy(probabilities, labels):
    return scratch.cross_entropy(probabilities, labels) * len(labels)


def _unclipped_cross_entropy(probabilities, labels):
    with np.errstate(divide="ignore"):
        return float(np.mean(-np.log(probabilities[np.arange(len(labels)), labels])))


def _cross_entropy_plus_epsilon(probabilities, labels):
    true_class = probabilities[np.arange(len(labels)), labels]
    return float(np.mean(-np.log(true_class + EPSILON)))


def _cross_entropy_over_all_classes(probabilities, labels):
    clipped = np.clip(probabilities, EPSILON, 1 - EPSILON)
    return float(np.mean(-np.sum(np.log(clipped), axis=1)))


def _cross_entropy_of_a_matrix(probabilities, labels):
    picked = np.clip(probabilities[:, labels], EPSILON, 1)
    return float(np.mean(-np.log(picked)))


CROSS_ENTROPY = coding(
    "05.2",
    "Cross-entropy loss",
    2,
    reference=scratch.cross_entropy,
    cases=_cross_entropy_cases,
    fuzz=_cross_entropy_fuzz,
    hints=(
        Hint(
            "Average the per-example losses over the batch (Keras's default "
            "reduction); a sum grows with the batch size.",
            _summed_cross_entropy,
        ),
        Hint(
            "Clip the probabilities to [1e-7, 1 - 1e-7] before the logarithm, as "
            "Keras does: log(0) is -inf.",
            _unclipped_cross_entropy,
        ),
        Hint(
            "Clip with `np.clip(p, 1e-7, 1 - 1e-7)` rather than adding 1e-7: the sum "
            "shifts every small probability, not only the zeros.",
            _cross_entropy_plus_epsilon,
        ),
        Hint(
            "Only the true class's probability enters the loss: the one-hot target is "
            "zero for every other class.",
            _cross_entropy_over_all_classes,
        ),
        Hint(
            "`probabilities[:, labels]` picks a whole matrix; pick one entry per row "
            "with `probabilities[np.arange(len(labels)), labels]`.",
            _cross_entropy_of_a_matrix,
        ),
    ),
)


# --- 05.3 written answer ------------------------------------------------------------------

TRAINING_SPLIT_STATISTICS = written("05.3", "Statistics from the training split only", 2)


# --- 05.4 median_frequency_weights ---------------------------------------------


def _median_frequency_cases():
    rng = _rng()
    return [
        Case(
            "frequencies 0.5, 0.3, 0.1 and 0.1",
            (np.array([0] * 5 + [1] * 3 + [2, 3]), 4),
        ),
        Case("three balanced classes", (np.tile(np.arange(3), 4), 3)),
        Case(
            "three classes: the median is a class's own frequency",
            (np.array([0] * 6 + [1] * 3 + [2]), 3),
        ),
        Case(
            "10 imbalanced classes",
            (rng.choice(10, size=300, p=rng.dirichlet(np.ones(10))), 10),
        ),
        Case("the last class never occurs", (np.array([0, 0, 0, 1, 2, 2]), 4)),
        Case("a middle class never occurs", (np.array([0, 0, 2, 3, 3, 3, 3]), 4)),
    ]


def _median_frequency_fuzz(rng):
    """Labels over 1 to 8 classes, some absent, with odd and even numbers present."""

    def make(rng):
        num_classes = int(rng.integers(1, 9))
        present = rng.dirichlet(np.ones(num_classes)) * (rng.random(num_classes) < 0.8)
        if present.sum() == 0:
            present[rng.integers(num_classes)] = 1.0
        labels = rng.choice(num_classes, size=rng.integers(1, 41), p=present / present.sum())
        return (labels, num_classes), {}

    return fuzz.draw(rng, 80, make, scratch.median_frequency_weights)


def _inverted_weights(labels, num_classes):
    weights = scratch.median_frequency_weights(labels, num_classes)
    present = weights > 0
    weights[present] = 1 / weights[present]
    return weights


def _mean_frequency_weights(labels, num_classes):
    frequencies = np.bincount(labels, minlength=num_classes) / len(labels)
    with np.errstate(divide="ignore"):
        return np.where(frequencies > 0, frequencies[frequencies > 0].mean() / frequencies, 0.0)


def _inverse_frequency_weights(labels, num_classes):
    frequencies = np.bincount(labels, minlength=num_classes) / len(labels)
    with np.errstate(divide="ignore"):
        return np.where(frequencies > 0, 1 / frequencies, 0.0)


def _weights_with_absent_classes_in_the_median(labels, num_classes):
    frequencies = np.bincount(labels, minlength=num_classes) / len(labels)
    with np.errstate(divide="ignore"):
        return np.where(frequencies > 0, np.median(frequencies) / frequencies, 0.0)


MEDIAN_FREQUENCY_WEIGHTS = coding(
    "05.4",
    "Median-frequency class weights",
    2,
    reference=scratch.median_frequency_weights,
    cases=_median_frequency_cases,
    fuzz=_median_frequency_fuzz,
    hints=(
        Hint(
            "The weights are inverted: rare classes need large weights, "
            "alpha_c = median_freq / freq(c).",
            _inverted_weights,
        ),
        Hint("Use the median frequency, not the mean.", _mean_frequency_weights),
        Hint(
            "Multiply 1 / freq(c) by the median frequency, so that the median class gets weight 1.",
            _inverse_frequency_weights,
        ),
        Hint(
            "Take the median over the classes that occur; a class without examples "
            "gets weight 0 and stays out of the median.",
            _weights_with_absent_classes_in_the_median,
        ),
    ),
)


# --- 05.5 top_k_error ----------------------------------------------------------


def _top_k_cases():
    rng = _rng()
    scores = np.array([[0.1, 0.6, 0.3], [0.5, 0.2, 0.3], [0.2, 0.3, 0.5], [0.7, 0.2, 0.1]])
    labels = np.array([2, 0, 0, 1])
    ten_class_scores = rng.normal(size=(40, 10))
    ten_class_labels = rng.integers(0, 10, size=40)
    return [
        Case("top-1 error, 4 examples, 3 classes", (scores, labels, 1)),
        Case("top-2 error, 4 examples, 3 classes", (scores, labels, 2)),
        Case("k equal to the number of classes", (scores, labels, 3)),
        Case("top-1 error, 40 examples, 10 classes", (ten_class_scores, ten_class_labels, 1)),
        Case("top-5 error, 40 examples, 10 classes", (ten_class_scores, ten_class_labels, 5)),
        # Any fixed tie-break (argsort picks the first or the last of equal scores)
        # fails one of the two tie cases.
        Case(
            "a tie at the boundary, the true class the later of the two",
            (np.array([[0.4, 0.4, 0.2], [0.7, 0.2, 0.1]]), np.array([1, 0]), 1),
        ),
        Case(
            "a tie at the boundary, the true class the earlier of the two",
            (np.array([[0.45, 0.1, 0.45], [0.7, 0.2, 0.1]]), np.array([0, 0]), 1),
        ),
    ]


def _top_k_fuzz(rng):
    def make(rng):
        batch, classes = int(rng.integers(1, 9)), int(rng.integers(2, 7))
        scores = fuzz.values(rng, (batch, classes), fuzz.pick(rng, ["ties", "normal"]))
        labels = rng.integers(0, classes, size=batch)
        return (scores, labels, int(rng.integers(1, classes + 1))), {}

    return fuzz.draw(rng, 100, make, scratch.top_k_error)


def _top_k_plus_one(scores, labels, k):
    return scratch.top_k_error(scores, labels, k + 1)


def _top_k_minus_one(scores, labels, k):
    return scratch.top_k_error(scores, labels, k - 1) if k > 1 else 1.0


def _top_k_ties_against(scores, labels, k):
    true_scores = scores[np.arange(len(labels)), labels]
    return float(np.mean(np.sum(scores >= true_scores[:, np.newaxis], axis=1) > k))


def _top_k_accuracy(scores, labels, k):
    return 1.0 - scratch.top_k_error(scores, labels, k)


def _bottom_k_error(scores, labels, k):
    return scratch.top_k_error(-scores, labels, k)


TOP_K_ERROR = coding(
    "05.5",
    "Top-k error",
    2,
    reference=scratch.top_k_error,
    cases=_top_k_cases,
    fuzz=_top_k_fuzz,
    hints=(
        Hint(
            "Off by one: the true class is in the top k when fewer than k classes "
            "(0 to k - 1 of them) score higher than it.",
            _top_k_plus_one,
        ),
        Hint(
            "Off by one: with k = 1 the best-scoring class alone counts; k guesses, not k - 1.",
            _top_k_minus_one,
        ),
        Hint(
            "Ties count in the prediction's favour: count the classes that score "
            "strictly higher than the true class. Sorting (`argsort`) puts one of two "
            "equal scores first and so drops the other.",
            _top_k_ties_against,
        ),
        Hint("Return the error, the fraction of misses (1 - accuracy).", _top_k_accuracy),
        Hint("The top k are the k *highest* scores.", _bottom_k_error),
    ),
)


# --- 05.6 ten_crop -------------------------------------------------------------


def _ten_crop_cases():
    rng = np.random.default_rng(5)
    return [
        Case("a 4x4 grey image, crops of 2", (np.arange(16.0).reshape(4, 4, 1), 2)),
        Case("an 8x8 colour image, crops of 5 (odd margin)", (rng.normal(size=(8, 8, 3)), 5)),
        Case("a 32x32 colour image, crops of 28", (rng.normal(size=(32, 32, 3)), 28)),
        Case("a 7x10 image, 4x7 crops", (rng.normal(size=(7, 10, 2)), (4, 7))),
        Case(
            "a 6x9 image, crops of 4: margins of 2 rows and 5 columns",
            (rng.normal(size=(6, 9, 2)), 4),
        ),
        Case("a crop as large as the image", (rng.normal(size=(5, 5, 1)), 5)),
    ]


def _ten_crop_fuzz(rng):
    def make(rng):
        image = rng.normal(size=(*rng.integers(1, 10, size=2), rng.integers(1, 4)))
        crop = fuzz.pick(rng, [int(rng.integers(1, min(image.shape[:2]) + 1)), None])
        if crop is None:
            crop = tuple(int(rng.integers(1, size + 1)) for size in image.shape[:2])
        return (image, crop), {}

    return fuzz.draw(rng, 50, make, scratch.ten_crop)


def _five_crops(image, crop_size):
    return scratch.ten_crop(image, crop_size)[:5]


def _crops_mirrored_upside_down(image, crop_size):
    crops = scratch.ten_crop(image, crop_size)
    crops[5:] = crops[:5, ::-1]
    return crops


def _centre_rounded_up(image, crop_size):
    crops = scratch.ten_crop(image, crop_size)
    crop_h, crop_w = crops.shape[1:3]
    top = (image.shape[0] - crop_h + 1) // 2
    left = (image.shape[1] - crop_w + 1) // 2
    crops[4] = image[top : top + crop_h, left : left + crop_w]
    crops[9] = crops[4, :, ::-1]
    return crops


def _crops_of_the_mirrored_image(image, crop_size):
    crops = scratch.ten_crop(image, crop_size)
    return np.concatenate([crops[:5], scratch.ten_crop(image[:, ::-1], crop_size)[:5]])


TEN_CROP = coding(
    "05.6",
    "Ten crops for test-time augmentation",
    3,
    reference=scratch.ten_crop,
    cases=_ten_crop_cases,
    fuzz=_ten_crop_fuzz,
    hints=(
        Hint(
            "Ten crops: the four corners and the centre, then each of those five "
            "mirrored left to right.",
            _five_crops,
        ),
        Hint(
            "Mirror left to right (reverse the columns, axis 1), not upside down.",
            _crops_mirrored_upside_down,
        ),
        Hint(
            "The centre crop starts at ((H - h) // 2, (W - w) // 2), like keras.layers.CenterCrop.",
            _centre_rounded_up,
        ),
        Hint(
            "Crop 5 + i is crop i mirrored; cutting the corners out of the mirrored "
            "image swaps the left and right corners.",
            _crops_of_the_mirrored_image,
        ),
    ),
)


# --- 05.7 written answer ------------------------------------------------------------------

BEATING_HUMANS = written("05.7", "Have CNNs beaten humans on ImageNet?", 2)


EXERCISES = (
    SOFTMAX,
    CROSS_ENTROPY,
    TRAINING_SPLIT_STATISTICS,
    MEDIAN_FREQUENCY_WEIGHTS,
    TOP_K_ERROR,
    TEN_CROP,
    BEATING_HUMANS,
)
