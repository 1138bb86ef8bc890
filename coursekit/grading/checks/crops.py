"""The ten-crop exercise of notebook 05 (test-time augmentation), with its classic mistakes."""

import numpy as np

from coursekit import scratch
from coursekit.grading.checks.classification import NOTEBOOK_05
from coursekit.grading.registry import Case, Exercise, Hint, register


def _ten_crop_cases():
    rng = np.random.default_rng(5)
    return [
        Case("a 4x4 grey image, crops of 2", (np.arange(16.0).reshape(4, 4, 1), 2)),
        Case("an 8x8 colour image, crops of 5 (odd margin)", (rng.normal(size=(8, 8, 3)), 5)),
        Case("a 32x32 colour image, crops of 28", (rng.normal(size=(32, 32, 3)), 28)),
        Case("a 7x10 image, 4x7 crops", (rng.normal(size=(7, 10, 2)), (4, 7))),
        Case("a crop as large as the image", (rng.normal(size=(5, 5, 1)), 5)),
    ]


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


register(
    Exercise(
        id="05.6",
        notebook=NOTEBOOK_05,
        title="Ten crops for test-time augmentation",
        points=3,
        target="ten_crop",
        reference=scratch.ten_crop,
        cases=_ten_crop_cases,
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
                "The centre crop starts at ((H - h) // 2, (W - w) // 2), like "
                "keras.layers.CenterCrop.",
                _centre_rounded_up,
            ),
            Hint(
                "Crop 5 + i is crop i mirrored; cutting the corners out of the mirrored "
                "image swaps the left and right corners.",
                _crops_of_the_mirrored_image,
            ),
        ),
    )
)
