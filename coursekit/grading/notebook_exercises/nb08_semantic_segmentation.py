"""Exercises of notebook 08, semantic segmentation: bilinear upsampling, max-unpooling,
transposed convolution and mean IoU, with the hints for classic mistakes.
"""

import numpy as np

from coursekit import arithmetic, segmentation
from coursekit.grading.registry import Case, Hint, coding, written
from coursekit.scratch import (
    conv2d_transpose,
    max_pool2d_with_argmax,
    max_unpool2d,
    upsample_bilinear,
    upsample_nearest,
)
from coursekit.scratch.windows import padding_amounts

# --- 08.1 upsample_bilinear ------------------------------------------------------


def _bilinear_cases():
    rng = np.random.default_rng(8001)
    ramp = np.array([0.0, 4.0, 8.0]).reshape(1, 1, 3, 1)
    return [
        Case("a ramp 0, 4, 8 along one row, factor 2", (ramp, 2)),
        Case("2 images, 3 channels, 3x4, factor 2", (rng.normal(size=(2, 3, 4, 3)).round(3), 2)),
        Case("an odd factor: 4x3 image, factor 3", (rng.normal(size=(1, 4, 3, 2)).round(3), 3)),
        Case(
            "factors (2, 3): rows doubled, columns tripled",
            (rng.normal(size=(2, 3, 5, 1)).round(3), (2, 3)),
        ),
        Case("factor 1 returns the image unchanged", (rng.normal(size=(1, 3, 3, 2)).round(3), 1)),
        Case("a single pixel, factor 4", (np.full((1, 1, 1, 2), 2.5), 4)),
        Case("a 2x2 checkerboard, factor 4", (np.array([[1.0, 0], [0, 1]]).reshape(1, 2, 2, 1), 4)),
    ]


def _bilinear_fuzz(rng):
    cases = []
    for index in range(12):
        shape = (*rng.integers(1, 3, size=1), *rng.integers(1, 7, size=2), *rng.integers(1, 4, 1))
        size = tuple(int(s) for s in rng.integers(1, 5, size=2))
        size = size[0] if index % 3 == 0 else size
        cases.append(Case(f"fuzz {index}", (rng.normal(size=shape), size)))
    return cases


def _align_corners(x, size):
    """Maps the first and last pixel centres of input and output onto each other."""
    size_h, size_w = arithmetic.as_pair(size, "size")

    def matrix(length, factor):
        out = length * factor
        coordinates = np.arange(out) * ((length - 1) / (out - 1) if out > 1 else 0.0)
        below = np.floor(coordinates).astype(int)
        above = np.minimum(below + 1, length - 1)
        weights = np.zeros((out, length))
        np.add.at(weights, (np.arange(out), below), 1 - (coordinates - below))
        np.add.at(weights, (np.arange(out), above), coordinates - below)
        return weights

    return np.einsum("oh,nhwc,pw->nopc", matrix(x.shape[1], size_h), x, matrix(x.shape[2], size_w))


def _corner_aligned_grid(x, size):
    """Output pixel o reads input coordinate o / size: no half-pixel shift."""
    size_h, size_w = arithmetic.as_pair(size, "size")

    def matrix(length, factor):
        coordinates = np.minimum(np.arange(length * factor) / factor, length - 1)
        below = np.floor(coordinates).astype(int)
        above = np.minimum(below + 1, length - 1)
        weights = np.zeros((length * factor, length))
        np.add.at(weights, (np.arange(length * factor), below), 1 - (coordinates - below))
        np.add.at(weights, (np.arange(length * factor), above), coordinates - below)
        return weights

    return np.einsum("oh,nhwc,pw->nopc", matrix(x.shape[1], size_h), x, matrix(x.shape[2], size_w))


UPSAMPLE_BILINEAR = coding(
    "08.1",
    "Bilinear upsampling",
    3,
    reference=upsample_bilinear,
    cases=_bilinear_cases,
    hints=(
        Hint(
            "Use half-pixel centres, as Keras does: output pixel o reads input coordinate "
            "(o + 0.5) / size - 0.5. Mapping the corners onto each other "
            "(align_corners) is a different function.",
            _align_corners,
        ),
        Hint(
            "Output pixel o's centre is at (o + 0.5) / size - 0.5 in input coordinates, not "
            "o / size: without the half-pixel shift the image moves by a fraction of a pixel.",
            _corner_aligned_grid,
        ),
        Hint(
            "Interpolate between the two nearest pixels; copying the nearest one is "
            "nearest-neighbour upsampling.",
            upsample_nearest,
        ),
    ),
    fuzz=_bilinear_fuzz,
)


# --- 08.2 max_unpool2d -----------------------------------------------------------


def _pooled(x, pool_size, strides=None, padding="valid"):
    """Pools `x` and returns `(values, indices, x.shape)`: the arguments of max_unpool2d."""
    values, indices = max_pool2d_with_argmax(x, pool_size, strides, padding)
    return values, indices, x.shape


def _unpool_cases():
    rng = np.random.default_rng(8002)
    lecture = np.array(
        [[1, 5, 0, 2], [3, 4, 6, 1], [0, 0, 1, 1], [9, 0, 1, 2]], dtype=np.float64
    ).reshape(1, 4, 4, 1)
    values, indices, shape = _pooled(rng.normal(size=(2, 6, 8, 3)), 2)
    return [
        Case("one 4x4 image pooled with 2x2 windows", _pooled(lecture, 2)),
        Case(
            "2 images, 3 channels, 6x8, 2x2 windows",
            _pooled(rng.normal(size=(2, 6, 8, 3)).round(3), 2),
        ),
        Case(
            "a decoder's features (not the pooled values) at the saved positions",
            (rng.normal(size=values.shape).round(3), indices, shape),
        ),
        Case(
            "overlapping 3x3 windows with stride 2: some cells win two windows",
            _pooled(rng.normal(size=(1, 7, 7, 2)).round(3), 3, 2),
        ),
        Case(
            "a 5x7 image pooled with 'same' padding (3x4 pooled)",
            _pooled(rng.normal(size=(2, 5, 7, 2)).round(3), 2, None, "same"),
        ),
        Case(
            "2x3 windows on a 4x9 image with 4 channels",
            _pooled(rng.normal(size=(1, 4, 9, 4)).round(3), (2, 3)),
        ),
    ]


def _unpool_fuzz(rng):
    cases = []
    for index in range(12):
        pool = tuple(int(p) for p in rng.integers(1, 4, size=2))
        strides = tuple(int(s) for s in rng.integers(1, 4, size=2))
        padding = ("valid", "same")[index % 2]
        height, width = (int(v) for v in rng.integers(3, 9, size=2))
        x = rng.normal(size=(int(rng.integers(1, 3)), height, width, int(rng.integers(1, 4))))
        values, indices, shape = _pooled(x, pool, strides, padding)
        if index % 3 == 0:
            values = rng.normal(size=values.shape)
        cases.append(Case(f"fuzz {index}", (values, indices, shape)))
    return cases


def _first_cell_of_each_window(x, indices, output_shape):
    """Ignores the indices: each value goes to the top-left cell of its block."""
    _, height, width, _ = output_shape
    step_h, step_w = max(height // x.shape[1], 1), max(width // x.shape[2], 1)
    unpooled = np.zeros(output_shape)
    unpooled[:, : x.shape[1] * step_h : step_h, : x.shape[2] * step_w : step_w] = x
    return unpooled


def _assign_on_overlaps(x, indices, output_shape):
    """Writes values instead of adding them where windows chose the same cell."""
    unpooled = np.zeros((output_shape[0], int(np.prod(output_shape[1:]))))
    for n in range(output_shape[0]):
        unpooled[n, indices[n].ravel()] = x[n].ravel()
    return unpooled.reshape(output_shape)


def _index_counts_batch(x, indices, output_shape):
    """Treats the indices as positions in the whole batch flattened."""
    unpooled = np.zeros(int(np.prod(output_shape)))
    np.add.at(unpooled, indices.ravel(), x.ravel())
    return unpooled.reshape(output_shape)


MAX_UNPOOL2D = coding(
    "08.2",
    "Max-unpooling",
    3,
    reference=max_unpool2d,
    cases=_unpool_cases,
    hints=(
        Hint(
            "Put each value where its index says, not at the first cell of its window: the "
            "index is (row * width + col) * channels + c.",
            _first_cell_of_each_window,
        ),
        Hint(
            "Where overlapping windows chose the same cell, add their values (as the max-pool "
            "gradient does) instead of keeping only one.",
            _assign_on_overlaps,
        ),
        Hint(
            "An index counts within its own image: image n's values go into image n.",
            _index_counts_batch,
        ),
    ),
    fuzz=_unpool_fuzz,
)


# --- 08.3 conv2d_transpose ---------------------------------------------------------


def _transpose_cases():
    rng = np.random.default_rng(8003)

    def normal(*shape):
        return rng.normal(size=shape).round(3)

    lecture = np.array([[1.0, 2.0], [3.0, 4.0]]).reshape(1, 2, 2, 1)
    return [
        Case(
            "the lectures' example: 2x2 input, 3x3 kernel of ones, stride 2, to 5x5",
            (lecture, np.ones((3, 3, 1, 1))),
            {"strides": 2},
        ),
        Case(
            "stride 1, an asymmetric kernel, 2 images, 3 -> 2 channels",
            (normal(2, 4, 5, 3), normal(3, 3, 2, 3)),
        ),
        Case(
            "stride 2, 'valid', 2 -> 4 channels, with a bias",
            (normal(2, 3, 4, 2), normal(3, 3, 4, 2), normal(4)),
            {"strides": 2},
        ),
        Case(
            "stride 3 with a 2x2 kernel: gaps between the stamps",
            (normal(1, 3, 3, 2), normal(2, 2, 1, 2)),
            {"strides": 3},
        ),
        Case(
            "stride 2, 'same', 3x3 kernel: the output is exactly twice the input",
            (normal(2, 3, 4, 2), normal(3, 3, 3, 2)),
            {"strides": 2, "padding": "same"},
        ),
        Case(
            "stride 2, 'same', 4x4 kernel",
            (normal(1, 4, 3, 1), normal(4, 4, 2, 1)),
            {"strides": 2, "padding": "same"},
        ),
        Case(
            "stride 2, 'valid', output_padding=1",
            (normal(1, 3, 3, 2), normal(3, 3, 2, 2)),
            {"strides": 2, "output_padding": 1},
        ),
        Case(
            "stride 2, 'same', 3x3 kernel, output_padding=1",
            (normal(1, 3, 4, 1), normal(3, 3, 1, 1)),
            {"strides": 2, "padding": "same", "output_padding": 1},
        ),
        Case(
            "strides (1, 2) and a 2x3 kernel",
            (normal(2, 3, 3, 2), normal(2, 3, 3, 2)),
            {"strides": (1, 2)},
        ),
        Case(
            "strides (2, 3), a 3x2 kernel, output_padding (1, 0)",
            (normal(2, 3, 4, 2), normal(3, 2, 3, 2)),
            {"strides": (2, 3), "output_padding": (1, 0)},
        ),
        Case(
            "'same', strides (1, 3), a 5x2 kernel, output_padding (0, 1)",
            (normal(1, 2, 3, 2), normal(5, 2, 1, 2), normal(1)),
            {"strides": (1, 3), "padding": "same", "output_padding": (0, 1)},
        ),
        Case(
            "'same', strides (3, 2) and a 2x5 kernel",
            (normal(1, 4, 2, 1), normal(2, 5, 2, 1)),
            {"strides": (3, 2), "padding": "same"},
        ),
        Case(
            "'same', strides (2, 1), output_padding (1, 0): a 2x1 input to 4x1",
            (normal(1, 2, 1, 2), normal(3, 3, 2, 2)),
            {"strides": (2, 1), "padding": "same", "output_padding": (1, 0)},
        ),
        Case(
            "'same', strides (1, 3), output_padding (0, 2): one pixel to 1x3",
            (normal(2, 1, 1, 2), normal(3, 3, 1, 2)),
            {"strides": (1, 3), "padding": "same", "output_padding": (0, 2)},
        ),
        Case(
            "'same', stride 3, a 1x2 kernel on a 3x4 input",
            (normal(1, 3, 4, 2), normal(1, 2, 1, 2)),
            {"strides": 3, "padding": "same"},
        ),
    ]


def _transpose_fuzz(rng):
    cases = []
    while len(cases) < 16:
        strides = tuple(int(s) for s in rng.integers(1, 4, size=2))
        kernel_size = tuple(int(k) for k in rng.integers(1, 6, size=2))
        padding = ("valid", "same")[len(cases) % 2]
        output_padding = None
        if len(cases) % 4 >= 2:
            output_padding = tuple(int(rng.integers(0, s)) for s in strides)
        x = rng.normal(size=(int(rng.integers(1, 3)), *rng.integers(1, 6, size=2), 2))
        kernel = rng.normal(size=(*kernel_size, int(rng.integers(1, 4)), 2))
        bias = rng.normal(size=kernel.shape[2]) if len(cases) % 3 == 0 else None
        kwargs = {"strides": strides, "padding": padding, "output_padding": output_padding}
        try:
            conv2d_transpose(x, kernel, bias, **kwargs)
        except ValueError:
            continue  # no such layer (Keras refuses it too)
        cases.append(Case(f"fuzz {len(cases)}", (x, kernel, bias), kwargs))
    return cases


def _zero_insertion_without_flip(
    x, kernel, bias=None, strides=1, padding="valid", output_padding=None
):
    """Zero insertion and full padding, then a correlation with the kernel as it is."""
    return conv2d_transpose(x, kernel[::-1, ::-1], bias, strides, padding, output_padding)


def _no_zero_insertion(x, kernel, bias=None, strides=1, padding="valid", output_padding=None):
    """Stamps neighbouring input values next to each other (no zeros between them), then
    crops as for the strided output."""
    expected = conv2d_transpose(x, kernel, None, strides, padding, output_padding).shape
    dense = conv2d_transpose(x, kernel)
    tops = [
        padding_amounts(expected[1 + axis], kernel.shape[axis], step, padding)[0]
        for axis, step in enumerate(arithmetic.as_pair(strides, "strides"))
    ]
    canvas = np.zeros(
        (
            x.shape[0],
            max(tops[0] + expected[1], dense.shape[1]),
            max(tops[1] + expected[2], dense.shape[2]),
            expected[3],
        )
    )
    canvas[:, : dense.shape[1], : dense.shape[2]] = dense
    output = canvas[:, tops[0] : tops[0] + expected[1], tops[1] : tops[1] + expected[2]]
    return output if bias is None else output + bias


def _same_crops_extra_at_the_start(
    x, kernel, bias=None, strides=1, padding="valid", output_padding=None
):
    """Crops 'same' padding with any odd extra row at the top and left."""
    if padding != "same":
        return conv2d_transpose(x, kernel, bias, strides, padding, output_padding)
    full = conv2d_transpose(x, kernel, bias, strides, "valid", None)
    expected = conv2d_transpose(x, kernel, bias, strides, padding, output_padding).shape
    top = full.shape[1] - expected[1] - (full.shape[1] - expected[1]) // 2
    left = full.shape[2] - expected[2] - (full.shape[2] - expected[2]) // 2
    return full[:, top : top + expected[1], left : left + expected[2]]


CONV2D_TRANSPOSE = coding(
    "08.3",
    "Transposed convolution from scratch",
    4,
    reference=conv2d_transpose,
    cases=_transpose_cases,
    hints=(
        Hint(
            "Each input value stamps the kernel onto the output as it is; computed as a "
            "convolution over the zero-inserted input, that needs the kernel flipped in both "
            "spatial axes.",
            _zero_insertion_without_flip,
        ),
        Hint(
            "With stride s, neighbouring input values stamp the kernel s cells apart: insert "
            "s - 1 zeros between them before the convolution.",
            _no_zero_insertion,
        ),
        Hint(
            "With 'same' padding, crop as TensorFlow pads the matching convolution: any odd "
            "extra row or column is cropped at the bottom or right.",
            _same_crops_extra_at_the_start,
        ),
    ),
    fuzz=_transpose_fuzz,
)


# --- 08.4 written answer ---------------------------------------------------------

SKIP_CONNECTIONS = written("08.4", "Why skip connections help", 2)


# --- 08.5 mean_iou ---------------------------------------------------------------


def _iou_cases():
    rng = np.random.default_rng(8005)
    background = np.zeros((2, 8, 8), dtype=np.int64)
    background[0, 2:4, 2:5] = 1
    background[1, 5:7, 1:3] = 2
    noisy = rng.integers(0, 4, size=(3, 6, 6))
    flipped = np.where(rng.random((3, 6, 6)) < 0.3, rng.integers(0, 4, size=(3, 6, 6)), noisy)
    return [
        Case(
            "4 pixels, class 2 in neither map",
            (np.array([0, 0, 1, 1]), np.array([0, 1, 1, 1]), 3),
        ),
        Case(
            "everything predicted as background on a mostly-background batch",
            (background, np.zeros_like(background), 3),
        ),
        Case("a perfect prediction with 2 of 5 classes present", (background, background, 5)),
        Case("3 masks of 4 classes, 30% of the pixels changed", (noisy, flipped, 4)),
        Case(
            "a class predicted that is in no true mask",
            (np.array([[0, 0, 0], [1, 1, 1]]), np.array([[0, 2, 1], [1, 1, 1]]), 3),
        ),
        Case("a single class everywhere", (np.ones((2, 3, 3), int), np.ones((2, 3, 3), int), 2)),
        Case(
            "uint8 masks with 20 classes (label * 20 overflows uint8)",
            (
                rng.integers(0, 20, size=(2, 6, 6)).astype(np.uint8),
                rng.integers(0, 20, size=(2, 6, 6)).astype(np.uint8),
                20,
            ),
        ),
    ]


def _iou_fuzz(rng):
    cases = []
    for index in range(12):
        num_classes = int(rng.integers(1, 6))
        shape = tuple(int(s) for s in rng.integers(1, 7, size=int(rng.integers(1, 4))))
        present = rng.choice(num_classes, size=int(rng.integers(1, num_classes + 1)), replace=False)
        y_true = rng.choice(present, size=shape)
        y_pred = np.where(rng.random(shape) < 0.3, rng.integers(0, num_classes, shape), y_true)
        cases.append(Case(f"fuzz {index}", (y_true, y_pred, num_classes)))
    return cases


def _mean_over_all_classes(y_true, y_pred, num_classes):
    """Counts a class absent from both maps as an IoU of 0."""
    return float(np.nan_to_num(segmentation.iou_per_class(y_true, y_pred, num_classes)).mean())


def _mean_class_recall(y_true, y_pred, num_classes):
    """TP / (TP + FN): the fraction of each class found, not its IoU."""
    matrix = segmentation.confusion_matrix(y_true, y_pred, num_classes)
    present = matrix.sum(axis=1) > 0
    return float(np.mean(np.diag(matrix)[present] / matrix.sum(axis=1)[present]))


def _pooled_over_classes(y_true, y_pred, num_classes):
    """One intersection over one union for all classes together."""
    matrix = segmentation.confusion_matrix(y_true, y_pred, num_classes)
    union = matrix.sum(axis=0) + matrix.sum(axis=1) - np.diag(matrix)
    return float(np.trace(matrix) / union.sum())


MEAN_IOU = coding(
    "08.5",
    "Mean intersection over union",
    3,
    reference=segmentation.mean_iou,
    cases=_iou_cases,
    hints=(
        Hint(
            "Leave out classes that are in neither y_true nor y_pred: their IoU is 0 / 0, "
            "not 0 (as keras.metrics.MeanIoU).",
            _mean_over_all_classes,
        ),
        Hint(
            "The union counts the pixels of class c in y_true or in y_pred: TP + FP + FN. "
            "TP / (TP + FN) is the class's recall.",
            _mean_class_recall,
        ),
        Hint(
            "Compute one IoU per class, then average them: summing intersections and unions "
            "over classes lets the background dominate.",
            _pooled_over_classes,
        ),
    ),
    fuzz=_iou_fuzz,
)


# --- 08.6 written answer ---------------------------------------------------------

PIXEL_ACCURACY_MISLEADS = written("08.6", "When pixel accuracy misleads", 2)


EXERCISES = (
    UPSAMPLE_BILINEAR,
    MAX_UNPOOL2D,
    CONV2D_TRANSPOSE,
    SKIP_CONNECTIONS,
    MEAN_IOU,
    PIXEL_ACCURACY_MISLEADS,
)
