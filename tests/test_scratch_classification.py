"""Softmax, cross-entropy, class weights, top-k error and ten-crop against Keras and TensorFlow."""

import itertools

import keras
import numpy as np
import pytest
import tensorflow as tf

from coursekit import scratch
from coursekit.scratch.crops import CROP_NAMES, crop_offsets


def keras_numpy(tensor):
    return keras.ops.convert_to_numpy(tensor)


@pytest.mark.parametrize(
    ("shape", "axis"), [((4, 7), -1), ((4, 7), 0), ((2, 3, 5), 1), ((2, 3, 5), -1), ((6,), 0)]
)
@pytest.mark.parametrize("scale", [1.0, 30.0, 1000.0])
def test_softmax_matches_keras(shape, axis, scale):
    logits = np.random.default_rng(1).normal(size=shape) * scale
    expected = keras_numpy(keras.ops.softmax(keras.ops.convert_to_tensor(logits), axis=axis))
    got = scratch.softmax(logits, axis=axis)
    assert got.dtype == np.float64
    np.testing.assert_allclose(got, expected, rtol=1e-12, atol=1e-300)


def test_softmax_survives_huge_scores_that_overflow_a_naive_exp():
    logits = np.array([[1000.0, 999.0, -1000.0], [0.0, 1.0, 2.0]])
    with np.errstate(over="ignore", invalid="ignore"):
        naive = np.exp(logits) / np.exp(logits).sum(axis=-1, keepdims=True)
    assert np.isnan(naive[0]).any()
    probabilities = scratch.softmax(logits)
    assert np.isfinite(probabilities).all()
    np.testing.assert_allclose(probabilities.sum(axis=-1), 1.0)
    np.testing.assert_allclose(probabilities[0, :2], [1 / (1 + np.exp(-1)), 1 / (1 + np.e)])


def test_softmax_of_integers_is_float():
    assert scratch.softmax(np.array([1, 1])).tolist() == [0.5, 0.5]


@pytest.mark.parametrize(("batch", "num_classes"), [(1, 2), (5, 3), (16, 10), (7, 1000)])
def test_cross_entropy_matches_keras_sparse_categorical_crossentropy(batch, num_classes):
    rng = np.random.default_rng(batch * num_classes)
    logits = rng.normal(size=(batch, num_classes)) * 2
    # No probability falls below the 1e-7 clip, so the two Keras losses agree.
    labels = rng.integers(0, num_classes, size=batch)
    probabilities = scratch.softmax(logits)
    from_probabilities = keras.losses.SparseCategoricalCrossentropy(dtype="float64")
    from_logits = keras.losses.SparseCategoricalCrossentropy(from_logits=True, dtype="float64")
    expected = float(keras_numpy(from_probabilities(labels, probabilities)))
    got = scratch.cross_entropy(probabilities, labels)
    assert isinstance(got, float)
    # Keras renormalises the clipped probabilities, which moves the last digits.
    assert got == pytest.approx(expected, rel=1e-9)
    assert got == pytest.approx(float(keras_numpy(from_logits(labels, logits))), rel=1e-9)


def test_cross_entropy_clips_like_keras_so_a_zero_probability_is_finite():
    probabilities = np.array([[1.0, 0.0], [0.5, 0.5]])
    labels = np.array([1, 0])
    loss = keras.losses.SparseCategoricalCrossentropy(dtype="float64")
    expected = float(keras_numpy(loss(labels, probabilities)))
    got = scratch.cross_entropy(probabilities, labels)
    assert np.isfinite(got)
    assert got == pytest.approx(expected, rel=1e-6)
    assert got == pytest.approx((-np.log(1e-7) - np.log(0.5)) / 2, rel=1e-6)


def test_cross_entropy_takes_rows_as_they_are_where_keras_divides_them_by_their_sum():
    # The documented precondition: rows are distributions. For rows that are not, Keras
    # renormalises and cross_entropy does not; renormalising first gives Keras's value.
    rng = np.random.default_rng(11)
    distributions = rng.uniform(0.1, 0.4, size=(6, 4))
    distributions /= distributions.sum(axis=1, keepdims=True)  # entries below 0.58
    sums = np.array([0.3, 0.6, 0.9, 1.1, 1.4, 1.7])
    probabilities = distributions * sums[:, np.newaxis]  # all inside the clip range
    labels = rng.integers(0, 4, size=6)
    loss = keras.losses.SparseCategoricalCrossentropy(dtype="float64")
    expected = float(keras_numpy(loss(labels, probabilities)))
    got = scratch.cross_entropy(probabilities, labels)
    true_class = probabilities[np.arange(6), labels]
    assert got == pytest.approx(np.mean(-np.log(true_class)), rel=1e-12)
    # -log(p_y / s) = -log(p_y) + log(s): Keras's loss is larger by the mean log row sum.
    assert expected - got == pytest.approx(np.mean(np.log(sums)), rel=1e-9)
    normalised = probabilities / probabilities.sum(axis=1, keepdims=True)
    assert scratch.cross_entropy(normalised, labels) == pytest.approx(expected, rel=1e-9)


@pytest.mark.parametrize("num_classes", [2, 10, 100])
def test_on_distributions_the_clip_moves_keras_by_at_most_num_classes_epsilons(num_classes):
    # Keras renormalises after clipping, so every zero adds 1e-7 to the row's sum.
    rng = np.random.default_rng(num_classes)
    probabilities = scratch.softmax(rng.normal(size=(8, num_classes)) * 4)
    labels = np.argmax(probabilities, axis=1)
    zeros = rng.random(probabilities.shape) < 0.3
    zeros[np.arange(8), labels] = False  # every row keeps its largest probability
    probabilities[zeros] = 0.0
    probabilities /= probabilities.sum(axis=1, keepdims=True)
    labels[:2] = np.argmin(probabilities[:2], axis=1)  # two clipped true classes
    loss = keras.losses.SparseCategoricalCrossentropy(dtype="float64")
    expected = float(keras_numpy(loss(labels, probabilities)))
    assert abs(scratch.cross_entropy(probabilities, labels) - expected) <= num_classes * 1e-7


def test_cross_entropy_is_the_mean_not_the_sum():
    probabilities = np.full((4, 2), 0.5)
    assert scratch.cross_entropy(probabilities, np.zeros(4, int)) == pytest.approx(np.log(2))


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ((np.full((2, 3), 1 / 3), np.array([0, 3])), r"\[0, 3\)"),
        ((np.full((2, 3), 1 / 3), np.array([0])), "Expected 2 labels"),
        ((np.full((2, 3), 1 / 3), np.array([0.0, 1.0])), "integer class indices"),
        ((np.full(3, 1 / 3), np.array([0])), "probabilities.shape=\\(3,\\)"),
    ],
)
def test_cross_entropy_says_what_it_received(arguments, message):
    with pytest.raises(ValueError, match=message):
        scratch.cross_entropy(*arguments)


def test_median_frequency_weights_on_a_worked_example():
    # Frequencies 0.5, 0.3, 0.1, 0.1 (median 0.2): weights 0.4, 2/3, 2, 2.
    labels = np.array([0] * 5 + [1] * 3 + [2] + [3])
    np.testing.assert_allclose(
        scratch.median_frequency_weights(labels, 4), [0.4, 2 / 3, 2.0, 2.0], rtol=1e-12
    )


@pytest.mark.parametrize("seed", range(5))
def test_median_frequency_weights_balance_the_classes(seed):
    rng = np.random.default_rng(seed)
    num_classes = int(rng.integers(2, 12))
    labels = rng.choice(num_classes, size=500, p=rng.dirichlet(np.ones(num_classes)))
    weights = scratch.median_frequency_weights(labels, num_classes)
    counts = np.bincount(labels, minlength=num_classes)
    present = counts > 0
    # Every present class gets the same total weight: the median class's count.
    totals = weights[present] * counts[present]
    np.testing.assert_allclose(totals, np.median(counts[present]), rtol=1e-12)
    assert (weights[~present] == 0).all()


def test_median_frequency_weights_reject_bad_labels():
    with pytest.raises(ValueError, match="num_classes=0"):
        scratch.median_frequency_weights(np.array([0]), 0)
    with pytest.raises(ValueError, match=r"\[0, 2\)"):
        scratch.median_frequency_weights(np.array([0, 2]), 2)
    with pytest.raises(ValueError, match="empty"):
        scratch.median_frequency_weights(np.array([], dtype=int), 2)


def keras_top_k_error(scores, labels, k):
    # TensorFlow's in_top_k only takes float32 scores; the test scores are exact in float32.
    metric = keras.metrics.SparseTopKCategoricalAccuracy(k=k)
    metric.update_state(labels, scores.astype("float32"))
    return 1.0 - float(keras_numpy(metric.result()))


@pytest.mark.parametrize(
    ("batch", "num_classes", "k"),
    [(10, 3, 1), (10, 3, 2), (10, 3, 3), (50, 10, 1), (50, 10, 5), (20, 100, 5), (4, 6, 7)],
)
@pytest.mark.parametrize("with_ties", [False, True])
def test_top_k_error_matches_keras_and_tf_in_top_k(batch, num_classes, k, with_ties):
    rng = np.random.default_rng(k * batch + num_classes)
    scores = rng.normal(size=(batch, num_classes)).astype("float32").astype("float64")
    if with_ties:
        scores = np.round(scores)  # many equal scores
    labels = rng.integers(0, num_classes, size=batch)
    got = scratch.top_k_error(scores, labels, k)
    assert isinstance(got, float)
    assert got == pytest.approx(keras_top_k_error(scores, labels, k), abs=1e-6)
    in_top_k = tf.math.in_top_k(labels, scores.astype("float32"), k).numpy()
    assert got == pytest.approx(1.0 - in_top_k.mean(), abs=1e-12)


def test_top_k_error_counts_ties_in_the_predictions_favour():
    scores = np.array([[0.4, 0.4, 0.2], [0.4, 0.4, 0.2]])
    # Label 1 ties with class 0 for first place: in the top 1, like tf.math.in_top_k.
    assert scratch.top_k_error(scores, np.array([1, 0]), k=1) == 0.0
    assert scratch.top_k_error(scores, np.array([2, 2]), k=2) == 1.0


def scores_with_a_true_score(true_score):
    scores = np.array([[0.5, 0.2, 0.3], [0.1, 0.6, 0.3], [0.2, 0.2, 0.6]])
    scores[0, 0] = true_score  # example 0; the others are top-1 hits
    return scores, np.array([0, 1, 2])


@pytest.mark.parametrize("true_score", [np.nan, np.inf, -np.inf])
@pytest.mark.parametrize("k", [1, 2, 3])
def test_a_true_score_that_is_not_finite_is_an_error_as_in_tf(true_score, k):
    scores, labels = scores_with_a_true_score(true_score)
    got = scratch.top_k_error(scores, labels, k)
    assert got == pytest.approx(1 / 3)
    in_top_k = tf.math.in_top_k(labels, scores.astype("float32"), k).numpy()
    assert got == pytest.approx(1.0 - in_top_k.mean(), abs=1e-12)


@pytest.mark.skipif(
    keras.backend.backend() != "tensorflow",
    reason="Keras's top-k metric follows tf.math.in_top_k on TensorFlow only; on JAX it "
    "ranks a non-finite true score as a number (+inf is a hit, and any score is when k is "
    "the number of classes)",
)
@pytest.mark.parametrize("true_score", [np.nan, np.inf, -np.inf])
@pytest.mark.parametrize("k", [1, 2, 3])
def test_a_true_score_that_is_not_finite_is_an_error_as_in_keras(true_score, k):
    scores, labels = scores_with_a_true_score(true_score)
    got = scratch.top_k_error(scores, labels, k)
    assert got == pytest.approx(keras_top_k_error(scores, labels, k), abs=1e-6)


def test_scores_of_other_classes_compare_as_numbers():
    labels = np.array([0])
    assert scratch.top_k_error(np.array([[0.5, np.nan, 0.2]]), labels, k=1) == 0.0
    assert scratch.top_k_error(np.array([[0.5, np.inf, 0.2]]), labels, k=1) == 1.0
    assert scratch.top_k_error(np.array([[0.5, np.inf, 0.2]]), labels, k=2) == 0.0


def test_top_k_error_rejects_a_bad_k():
    with pytest.raises(ValueError, match="k=0"):
        scratch.top_k_error(np.eye(3), np.arange(3), 0)


def tf_ten_crop(image, crop_h, crop_w):
    height, width = image.shape[:2]
    corners = [(0, 0), (0, width - crop_w), (height - crop_h, 0), (height - crop_h, width - crop_w)]
    crops = [
        tf.image.crop_to_bounding_box(image, top, left, crop_h, crop_w) for top, left in corners
    ]
    crops.append(keras.layers.CenterCrop(crop_h, crop_w, dtype="float64")(image))
    crops += [tf.image.flip_left_right(crop) for crop in crops]
    return np.stack([keras_numpy(crop) for crop in crops])


@pytest.mark.parametrize(
    ("image_shape", "crop_size"),
    [
        ((8, 8, 1), 5),
        ((9, 9, 3), 6),
        ((32, 32, 3), 28),
        ((7, 10, 2), (4, 7)),
        ((6, 6, 1), 6),
        ((5, 8, 3), (5, 1)),
    ],
)
def test_ten_crop_matches_tensorflow_crops_and_flips(image_shape, crop_size):
    image = np.random.default_rng(0).normal(size=image_shape)
    crop_h, crop_w = (crop_size, crop_size) if isinstance(crop_size, int) else crop_size
    got = scratch.ten_crop(image, crop_size)
    assert got.shape == (10, crop_h, crop_w, image_shape[-1])
    np.testing.assert_array_equal(got, tf_ten_crop(image, crop_h, crop_w))


def test_ten_crop_of_a_batch_crops_every_image_in_the_same_order():
    images = np.random.default_rng(0).normal(size=(3, 9, 8, 2))
    batch = scratch.ten_crop(images, (5, 4))
    assert batch.shape == (10, 3, 5, 4, 2)
    for index, image in enumerate(images):
        np.testing.assert_array_equal(batch[:, index], scratch.ten_crop(image, (5, 4)))


def test_ten_crop_returns_a_copy_and_names_its_crops():
    image = np.zeros((4, 4, 1))
    crops = scratch.ten_crop(image, 2)
    crops[:] = 1.0
    assert (image == 0).all()
    assert len(CROP_NAMES) == len(crops) == 10
    assert CROP_NAMES[5 + 4] == CROP_NAMES[4] + ", mirrored"


@pytest.mark.parametrize(
    ("size", "crop"), list(itertools.product([(8, 8), (9, 7), (5, 12)], [1, 3, (2, 5), (5, 5)]))
)
def test_crop_offsets_keep_every_crop_inside_the_image(size, crop):
    crop_h, crop_w = (crop, crop) if isinstance(crop, int) else crop
    offsets = crop_offsets(size, crop)
    assert offsets[4] == ((size[0] - crop_h) // 2, (size[1] - crop_w) // 2)
    for top, left in offsets:
        assert 0 <= top <= size[0] - crop_h and 0 <= left <= size[1] - crop_w


def test_ten_crop_rejects_crops_larger_than_the_image_and_wrong_ranks():
    with pytest.raises(ValueError, match="crop_size=9"):
        scratch.ten_crop(np.zeros((8, 8, 1)), 9)
    with pytest.raises(ValueError, match=r"shape=\(8, 8\)"):
        scratch.ten_crop(np.zeros((8, 8)), 4)
