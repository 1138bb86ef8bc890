"""Exercises on training and evaluating a classifier: notebook 05."""

import numpy as np

from coursekit import scratch
from coursekit.grading.registry import Case, Exercise, Hint, register
from coursekit.scratch.classification import EPSILON

NOTEBOOK_05 = "05_training_a_cnn"


def _rng():
    return np.random.default_rng(5)


# --- 05.1 softmax ---------------------------------------------------------------


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
    ]


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


register(
    Exercise(
        id="05.1",
        notebook=NOTEBOOK_05,
        title="A numerically stable softmax",
        points=2,
        target="softmax",
        reference=scratch.softmax,
        cases=_softmax_cases,
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
        ),
    )
)


# --- 05.2 cross_entropy ---------------------------------------------------------


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


register(
    Exercise(
        id="05.2",
        notebook=NOTEBOOK_05,
        title="Cross-entropy loss",
        points=2,
        target="cross_entropy",
        reference=scratch.cross_entropy,
        cases=_cross_entropy_cases,
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
)


# --- 05.4 median_frequency_weights ------------------------------------------------


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


register(
    Exercise(
        id="05.4",
        notebook=NOTEBOOK_05,
        title="Median-frequency class weights",
        points=2,
        target="median_frequency_weights",
        reference=scratch.median_frequency_weights,
        cases=_median_frequency_cases,
        hints=(
            Hint(
                "The weights are inverted: rare classes need large weights, "
                "alpha_c = median_freq / freq(c).",
                _inverted_weights,
            ),
            Hint("Use the median frequency, not the mean.", _mean_frequency_weights),
            Hint(
                "Multiply 1 / freq(c) by the median frequency, so that the median class "
                "gets weight 1.",
                _inverse_frequency_weights,
            ),
            Hint(
                "Take the median over the classes that occur; a class without examples "
                "gets weight 0 and stays out of the median.",
                _weights_with_absent_classes_in_the_median,
            ),
        ),
    )
)


# --- 05.5 top_k_error -------------------------------------------------------------


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


register(
    Exercise(
        id="05.5",
        notebook=NOTEBOOK_05,
        title="Top-k error",
        points=2,
        target="top_k_error",
        reference=scratch.top_k_error,
        cases=_top_k_cases,
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
)


# --- written answers -------------------------------------------------------------

for _id, _title in [
    ("05.3", "Statistics from the training split only"),
    ("05.7", "Have CNNs beaten humans on ImageNet?"),
]:
    register(Exercise(id=_id, notebook=NOTEBOOK_05, title=_title, points=2))
