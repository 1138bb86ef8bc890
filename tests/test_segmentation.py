"""coursekit.segmentation: confusion matrix, pixel accuracy and mean IoU against
keras.metrics.MeanIoU and scikit-learn."""

import keras
import numpy as np
import pytest
from sklearn import metrics

from coursekit import segmentation


def random_maps(seed, shape, num_classes, absent=()):
    """A true map and a prediction that is right about 60% of the time; `absent` classes
    appear in neither."""
    rng = np.random.default_rng(seed)
    present = [c for c in range(num_classes) if c not in absent]
    y_true = rng.choice(present, size=shape)
    y_pred = np.where(rng.random(shape) < 0.4, rng.choice(present, size=shape), y_true)
    return y_true, y_pred


def keras_mean_iou(y_true, y_pred, num_classes):
    metric = keras.metrics.MeanIoU(num_classes=num_classes)
    metric.update_state(y_true, y_pred)
    return float(metric.result())


@pytest.mark.parametrize(
    ("shape", "num_classes", "absent"),
    [
        ((4, 8, 8), 4, ()),
        ((2, 5, 7), 6, (2, 5)),  # two classes in neither map: left out of the mean
        ((100,), 3, (0,)),
        ((3, 4, 4), 1, ()),
    ],
)
def test_mean_iou_matches_keras(shape, num_classes, absent):
    y_true, y_pred = random_maps(0, shape, num_classes, absent)
    expected = keras_mean_iou(y_true, y_pred, num_classes)
    got = segmentation.mean_iou(y_true, y_pred, num_classes)
    assert type(got) is float
    assert got == pytest.approx(expected, rel=1e-6)  # Keras accumulates in float32


def test_a_class_predicted_but_never_true_counts_as_zero():
    y_true, y_pred = np.array([0, 0, 1, 1]), np.array([0, 2, 1, 1])
    np.testing.assert_allclose(
        segmentation.iou_per_class(y_true, y_pred, 4), [0.5, 1.0, 0.0, np.nan]
    )
    assert segmentation.mean_iou(y_true, y_pred, 4) == pytest.approx(0.5)
    assert keras_mean_iou(y_true, y_pred, 4) == pytest.approx(0.5)


def test_background_dominated_failure():
    # 90% background, predicted all background: pixel accuracy 0.9, mean IoU 0.45.
    y_true = np.zeros((10, 10), int)
    y_true[:1] = 1
    y_pred = np.zeros_like(y_true)
    assert segmentation.pixel_accuracy(y_true, y_pred) == pytest.approx(0.9)
    assert segmentation.mean_iou(y_true, y_pred, 2) == pytest.approx(0.45)


def test_confusion_matrix_matches_scikit_learn():
    y_true, y_pred = random_maps(1, (3, 6, 5), 5)
    got = segmentation.confusion_matrix(y_true, y_pred, 5)
    expected = metrics.confusion_matrix(y_true.ravel(), y_pred.ravel(), labels=range(5))
    np.testing.assert_array_equal(got, expected)
    assert got.dtype == np.int64


def test_pixel_accuracy_is_the_trace_over_the_total():
    y_true, y_pred = random_maps(2, (2, 9, 9), 3)
    matrix = segmentation.confusion_matrix(y_true, y_pred, 3)
    assert segmentation.pixel_accuracy(y_true, y_pred) == pytest.approx(
        np.trace(matrix) / matrix.sum()
    )


def test_uint8_masks_do_not_overflow():
    y_true = np.repeat(np.array([0, 1], np.uint8), 300)
    matrix = segmentation.confusion_matrix(y_true, y_true, 2)
    np.testing.assert_array_equal(matrix, [[300, 0], [0, 300]])


@pytest.mark.parametrize(
    ("y_true", "y_pred", "num_classes", "match"),
    [
        (np.zeros(3, int), np.zeros(4, int), 2, "same shape"),
        (np.array([0, 2]), np.array([0, 1]), 2, r"labels in \[0, 2\)"),
        (np.array([0.0, 1.0]), np.array([0, 1]), 2, "integer class labels"),
        (np.array([0, 1]), np.array([0, 1]), 2.0, "num_classes"),
    ],
)
def test_errors_say_what_was_received(y_true, y_pred, num_classes, match):
    with pytest.raises(ValueError, match=match):
        segmentation.mean_iou(y_true, y_pred, num_classes)
