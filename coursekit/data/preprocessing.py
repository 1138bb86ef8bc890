"""Mean subtraction: the mean image and the per-channel mean.

Both statistics are computed on the **training split only** and then subtracted from
every split (`x_val - mean`, `x_test - mean`), exactly as they will be subtracted from
images the model sees after deployment. Computing them over all the data, validation
and test included, is the classic mistake: the test images then leak into the
preprocessing, and the test error is no longer an honest estimate. With
`all_data = np.concatenate([x_train, x_test])`, compare `mean_image(all_data)` with
`mean_image(x_train)` to see the leak.
"""

import numpy as np


def mean_image(images):
    """Returns the average image of a set of images, pixel by pixel.

    Compute it on the training split only and subtract it from every split:
    `x_train - mean`, `x_val - mean`, `x_test - mean`.

    Args:
        images: array `(N, H, W, C)`.

    Returns:
        An array `(H, W, C)`: `float32` for integer or `float32` inputs, else the
        input's floating dtype. Accumulated in float64.

    Raises:
        ValueError: if `images` is not a non-empty 4D array.

    Example:

    >>> x_train = np.stack([np.zeros((2, 2, 3)), np.ones((2, 2, 3))])
    >>> mean = mean_image(x_train)
    >>> mean.shape, float(mean[0, 0, 0])
    ((2, 2, 3), 0.5)
    >>> float((x_train - mean).mean())
    0.0
    """
    images = _check_images(images)
    return images.mean(axis=0, dtype="float64").astype(_result_dtype(images))


def channel_mean(images):
    """Returns the mean of each channel over all images and pixels.

    This is the per-channel mean (one number per colour channel), the lighter
    alternative to the mean image. Compute it on the training split only and
    subtract it from every split; it broadcasts over `(N, H, W, C)` arrays.

    Args:
        images: array `(N, H, W, C)`.

    Returns:
        An array `(C,)`: `float32` for integer or `float32` inputs, else the input's
        floating dtype. Accumulated in float64.

    Raises:
        ValueError: if `images` is not a non-empty 4D array.

    Example:

    >>> x_train = np.zeros((4, 8, 8, 3))
    >>> x_train[..., 0] = 1.0
    >>> channel_mean(x_train)
    array([1., 0., 0.])
    >>> (x_train - channel_mean(x_train)).shape
    (4, 8, 8, 3)
    """
    images = _check_images(images)
    return images.mean(axis=(0, 1, 2), dtype="float64").astype(_result_dtype(images))


def _check_images(images):
    images = np.asarray(images)
    if images.ndim != 4 or len(images) == 0:
        raise ValueError(
            "Expected a non-empty batch of images (N, H, W, C). "
            f"Received: images with shape {images.shape}"
        )
    return images


def _result_dtype(images):
    if np.issubdtype(images.dtype, np.floating) and images.dtype.itemsize >= 4:
        return images.dtype
    return np.dtype("float32")
