"""Evaluating a classifier: top-1 and top-5 error, and test-time augmentation with ten crops."""

import numpy as np

from coursekit import arithmetic
from coursekit.scratch.classification import top_k_error
from coursekit.scratch.crops import crop_offsets

PREDICT_BATCH_SIZE = 256


def evaluate(model, x, y, *, batch_size=PREDICT_BATCH_SIZE):
    """Returns the top-1 and top-5 error of a classifier on labelled images.

    Ties count in the model's favour, as in `keras.metrics.SparseTopKCategoricalAccuracy`.
    With five classes or fewer the top-5 error is 0.

    Args:
        model: a Keras model that maps images to class scores or probabilities.
        x: images `(N, height, width, channels)`.
        y: integer labels `(N,)`.
        batch_size: images per prediction step.

    Returns:
        A dict with the fractions `"top1_error"` and `"top5_error"`.

    Example:

    >>> import keras
    >>> model = keras.Sequential([keras.Input((2, 2, 1)), keras.layers.Flatten()])
    >>> images = np.array([[1.0, 0, 0, 0], [0, 0, 1, 0]]).reshape(2, 2, 2, 1)
    >>> evaluate(model, images, np.array([0, 3]))  # scores = the pixels themselves
    {'top1_error': 0.5, 'top5_error': 0.0}
    """
    scores = model.predict(x, batch_size=batch_size, verbose=0)
    return {"top1_error": top_k_error(scores, y, 1), "top5_error": top_k_error(scores, y, 5)}


def predict_tta(model, images, crop_size, *, mirror=True, batch_size=PREDICT_BATCH_SIZE):
    """Averages a model's predictions over the ten standard crops of each image.

    The crops are those of `coursekit.scratch.ten_crop`: four corners and the
    centre, and (with `mirror`) their mirror images. The crops are taken one
    position at a time, so memory stays that of one batch of crops.

    Args:
        model: a Keras model that takes `crop_size` images.
        images: images `(N, height, width, channels)`, larger than the crops.
        crop_size: an int or a `(height, width)` pair.
        mirror: also average over the mirrored crops; turn off for data whose
            mirror images are other classes (digits, text).
        batch_size: images per prediction step.

    Returns:
        The mean of the model's outputs, `(N, num_classes)`: probabilities if the
        model ends in a softmax.

    Example:

    >>> import keras
    >>> model = keras.Sequential([keras.Input((2, 2, 1)), keras.layers.GlobalAveragePooling2D()])
    >>> images = np.arange(16.0).reshape(1, 4, 4, 1)
    >>> predict_tta(model, images, 2)  # mean of the crop means 2.5, 4.5, 10.5, 12.5 and 7.5
    array([[7.5]], dtype=float32)
    """
    images = np.asarray(images)
    crop_h, crop_w = arithmetic.as_pair(crop_size, "crop_size")
    total = None
    for top, left in crop_offsets(images.shape[1:3], crop_size):
        crop = images[:, top : top + crop_h, left : left + crop_w]
        for view in (crop, crop[:, :, ::-1]) if mirror else (crop,):
            predictions = model.predict(
                np.ascontiguousarray(view), batch_size=batch_size, verbose=0
            )
            total = predictions if total is None else total + predictions
    return total / (10 if mirror else 5)
