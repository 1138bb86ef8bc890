"""Scores for semantic segmentation: pixel accuracy, intersection over union, and the
confusion matrix they are both read from.

Every function takes integer class maps of any (equal) shape, e.g. masks
`(batch, height, width)`: `y_true` the labelled classes, `y_pred` the predicted ones
(the `argmax` of a network's per-pixel scores). All pixels count equally.
"""

import numpy as np


def confusion_matrix(y_true, y_pred, num_classes):
    """Counts pixels by true class (rows) and predicted class (columns).

    Args:
        y_true: integer class map.
        y_pred: integer class map of the same shape.
        num_classes: the number of classes; labels are in `[0, num_classes)`.

    Returns:
        An `int64` array `(num_classes, num_classes)`: entry `[t, p]` is the number of
        pixels of class `t` predicted as class `p`.

    Raises:
        ValueError: for maps of different shapes or a label outside `[0, num_classes)`.

    Example:

    >>> confusion_matrix(np.array([[0, 0], [1, 2]]), np.array([[0, 1], [1, 1]]), 3)
    array([[1, 1, 0],
           [0, 1, 0],
           [0, 1, 0]])
    """
    y_true, y_pred = _check_maps(y_true, y_pred, num_classes)
    pairs = y_true.ravel().astype(np.int64) * num_classes + y_pred.ravel()
    counts = np.bincount(pairs, minlength=num_classes * num_classes)
    return counts.reshape(num_classes, num_classes)


def pixel_accuracy(y_true, y_pred):
    """The fraction of pixels whose predicted class is the true class.

    Args:
        y_true: integer class map.
        y_pred: integer class map of the same shape.

    Returns:
        A float in `[0, 1]`.

    Raises:
        ValueError: for maps of different shapes or empty maps.

    Example:

    >>> pixel_accuracy(np.array([0, 0, 0, 1]), np.array([0, 0, 0, 0]))
    0.75
    """
    y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
    if y_true.shape != y_pred.shape or y_true.size == 0:
        raise ValueError(
            "y_true and y_pred must be non-empty and of the same shape. "
            f"Received: y_true.shape={y_true.shape}, y_pred.shape={y_pred.shape}."
        )
    return float(np.mean(y_true == y_pred))


def iou_per_class(y_true, y_pred, num_classes):
    """The intersection over union of each class, `NaN` for a class in neither map.

    For class `c`, `IoU_c = |true c AND predicted c| / |true c OR predicted c|`
    `= TP / (TP + FP + FN)`, read from the confusion matrix.

    Args:
        y_true: integer class map.
        y_pred: integer class map of the same shape.
        num_classes: the number of classes.

    Returns:
        A float array `(num_classes,)`.

    Example:

    >>> iou_per_class(np.array([0, 0, 1, 1]), np.array([0, 1, 1, 1]), 3)
    array([0.5       , 0.66666667,        nan])
    """
    matrix = confusion_matrix(y_true, y_pred, num_classes)
    intersection = np.diag(matrix)
    union = matrix.sum(axis=0) + matrix.sum(axis=1) - intersection
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(union > 0, intersection / union, np.nan)


def mean_iou(y_true, y_pred, num_classes):
    """The mean intersection over union over classes, as `keras.metrics.MeanIoU` computes it.

    Each class's IoU is `TP / (TP + FP + FN)`; the mean is over the classes that
    occur in the true map or in the predicted one. A class absent from both has no
    IoU (0 / 0) and is left out, as Keras does; counting it as 0 (or as 1) would
    make the score depend on which classes an image happens not to contain.

    Args:
        y_true: integer class map.
        y_pred: integer class map of the same shape.
        num_classes: the number of classes.

    Returns:
        A float in `[0, 1]`.

    Raises:
        ValueError: for maps of different shapes, empty maps, or a label outside
            `[0, num_classes)`.

    Example (class 2 occurs nowhere, so the mean is over classes 0 and 1):

    >>> mean_iou(np.array([0, 0, 1, 1]), np.array([0, 1, 1, 1]), num_classes=3)
    0.5833333333333333
    """
    scores = iou_per_class(y_true, y_pred, num_classes)
    if np.isnan(scores).all():
        raise ValueError("mean_iou needs at least one pixel. Received: empty class maps.")
    return float(np.nanmean(scores))


def _check_maps(y_true, y_pred, num_classes):
    y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
    if y_true.shape != y_pred.shape:
        raise ValueError(
            "y_true and y_pred must have the same shape. "
            f"Received: y_true.shape={y_true.shape}, y_pred.shape={y_pred.shape}."
        )
    if isinstance(num_classes, bool) or not isinstance(num_classes, (int, np.integer)):
        raise ValueError(f"num_classes must be a positive int. Received: {num_classes!r}.")
    for name, values in (("y_true", y_true), ("y_pred", y_pred)):
        if not (np.issubdtype(values.dtype, np.integer) or values.dtype == bool):
            raise ValueError(f"{name} must hold integer class labels. Received: {values.dtype}.")
        if values.size and (values.min() < 0 or values.max() >= num_classes):
            raise ValueError(
                f"{name} must hold labels in [0, {num_classes}). "
                f"Received: labels from {values.min()} to {values.max()}."
            )
    return y_true, y_pred
