"""Fixed crops for test-time augmentation: the four corners, the centre, and their mirrors."""

import numpy as np

from coursekit._arguments import crop_within, image_or_batch

CROP_NAMES = (
    "top left",
    "top right",
    "bottom left",
    "bottom right",
    "centre",
    "top left, mirrored",
    "top right, mirrored",
    "bottom left, mirrored",
    "bottom right, mirrored",
    "centre, mirrored",
)


def crop_offsets(image_size, crop_size):
    """Returns the `(top, left)` corner of the five crops, in `ten_crop`'s order.

    The centre crop starts at `((H - h) // 2, (W - w) // 2)`, as in
    `keras.layers.CenterCrop`: when the margin is odd, the extra pixel is left at
    the bottom and right.

    Args:
        image_size: the image's `(height, width)`.
        crop_size: an int (square crop) or a `(height, width)` pair.

    Returns:
        A list of five `(top, left)` pairs: top left, top right, bottom left,
        bottom right, centre.

    Raises:
        ValueError: if the crop is larger than the image.

    Example:

    >>> crop_offsets((32, 32), 28)
    [(0, 0), (0, 4), (4, 0), (4, 4), (2, 2)]
    """
    crop_h, crop_w = crop_within(crop_size, image_size)
    bottom, right = image_size[0] - crop_h, image_size[1] - crop_w
    return [(0, 0), (0, right), (bottom, 0), (bottom, right), (bottom // 2, right // 2)]


def ten_crop(image, crop_size):
    """Cuts the ten standard test-time crops out of an image.

    The order is the one in `CROP_NAMES`: crops 0-4 are the top-left, top-right,
    bottom-left, bottom-right and centre crops, and crop `5 + i` is crop `i`
    mirrored left to right. (torchvision's `TenCrop` instead crops the mirrored
    image, which swaps the left and right corners in its second half.)

    Args:
        image: an array `(height, width, channels)`. A batch `(N, height, width,
            channels)` works too and gives every image's crops at once.
        crop_size: an int (square crop) or a `(height, width)` pair.

    Returns:
        A new array `(10, crop_h, crop_w, channels)`, or `(10, N, crop_h, crop_w,
        channels)` for a batch.

    Raises:
        ValueError: if the image is not 3-D or 4-D or the crop does not fit.

    Example:

    >>> image = np.arange(16.0).reshape(4, 4, 1)
    >>> crops = ten_crop(image, 2)
    >>> crops.shape
    (10, 2, 2, 1)
    >>> crops[1, :, :, 0]  # top right
    array([[2., 3.],
           [6., 7.]])
    >>> crops[6, :, :, 0]  # top right, mirrored
    array([[3., 2.],
           [7., 6.]])
    """
    image = image_or_batch(image)
    crop_h, crop_w = crop_within(crop_size, image.shape[-3:-1])
    crops = [
        image[..., top : top + crop_h, left : left + crop_w, :]
        for top, left in crop_offsets(image.shape[-3:-1], crop_size)
    ]
    mirrored = [crop[..., ::-1, :] for crop in crops]
    return np.stack(crops + mirrored)
