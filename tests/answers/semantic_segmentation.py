"""Answers to notebook 08: right ones in a different style from the
references, and classic wrong ones that the checks must reject."""

import math

import numpy as np


def _pair(value):
    return (value, value) if isinstance(value, int) else tuple(value)


# --- 08.1 upsample_bilinear: one output pixel at a time ------------------------------


def _lerp_axis(image, factor, axis, source):
    """Interpolates `image` along `axis`, output pixel o reading `source(o, length)`."""
    length = image.shape[axis]
    moved = np.moveaxis(image, axis, 0)
    rows = []
    for o in range(length * factor):
        t = source(o, length, factor)
        low = math.floor(t)
        high = min(low + 1, length - 1)
        weight = t - low
        rows.append((1 - weight) * moved[low] + weight * moved[high])
    return np.moveaxis(np.stack(rows), 0, axis)


def _half_pixel(o, length, factor):
    return min(max((o + 0.5) / factor - 0.5, 0.0), length - 1)


def _bilinear(x, size, source, axes_factors=None):
    size_h, size_w = axes_factors or _pair(size)
    x = np.asarray(x, dtype=float)
    return _lerp_axis(_lerp_axis(x, size_h, 1, source), size_w, 2, source)


def upsample_bilinear(x, size):
    return _bilinear(x, size, _half_pixel)


def upsample_bilinear_align_corners(x, size):
    def corners(o, length, factor):
        out = length * factor
        return o * (length - 1) / (out - 1) if out > 1 else 0.0

    return _bilinear(x, size, corners)


def upsample_bilinear_no_half_pixel(x, size):
    return _bilinear(x, size, lambda o, length, factor: min(o / factor, length - 1))


def upsample_bilinear_no_clamp(x, size):
    """Half-pixel centres, but nothing stops t < 0: index -1 wraps to the last pixel."""

    def unclamped(o, length, factor):
        return min((o + 0.5) / factor - 0.5, length - 1)

    return _bilinear(x, size, unclamped)


def upsample_bilinear_swapped_factors(x, size):
    size_h, size_w = _pair(size)
    return _bilinear(x, size, _half_pixel, axes_factors=(size_w, size_h))


def upsample_bilinear_by_repeating(x, size):
    size_h, size_w = _pair(size)
    return np.repeat(np.repeat(np.asarray(x, float), size_h, axis=1), size_w, axis=2)


# --- 08.2 max_unpool2d: loops over the pooled values --------------------------------


def max_unpool2d(x, indices, output_shape):
    _, _, width, channels = output_shape
    out = np.zeros(output_shape)
    for n in range(x.shape[0]):
        for i in range(x.shape[1]):
            for j in range(x.shape[2]):
                for c in range(x.shape[3]):
                    flat = int(indices[n, i, j, c])
                    row, rest = divmod(flat, width * channels)
                    col, channel = divmod(rest, channels)
                    out[n, row, col, channel] += x[n, i, j, c]
    return out


def max_unpool2d_first_cell(x, indices, output_shape):
    """Every value goes to the top-left cell of its window; the indices are ignored."""
    out = np.zeros(output_shape)
    step_h = output_shape[1] // x.shape[1]
    step_w = output_shape[2] // x.shape[2]
    for i in range(x.shape[1]):
        for j in range(x.shape[2]):
            out[:, i * step_h, j * step_w, :] = x[:, i, j, :]
    return out


def max_unpool2d_height_for_width(x, indices, output_shape):
    """Decodes the index with the height where the width belongs."""
    _, height, width, channels = output_shape
    out = np.zeros(output_shape)
    for n, i, j, c in np.ndindex(*x.shape):
        spatial, channel = divmod(int(indices[n, i, j, c]), channels)
        row, col = divmod(spatial, height)
        if row < height and col < width:
            out[n, row, col, channel] += x[n, i, j, c]
    return out


def max_unpool2d_assigns(x, indices, output_shape):
    out = np.zeros((output_shape[0], math.prod(output_shape[1:])))
    for n in range(x.shape[0]):
        out[n][indices[n].reshape(-1)] = x[n].reshape(-1)
    return out.reshape(output_shape)


def max_unpool2d_spatial_index(x, indices, output_shape):
    """Reads the index as row * width + col and keeps the value's own channel."""
    _, height, width, _ = output_shape
    out = np.zeros(output_shape)
    for n, i, j, c in np.ndindex(*x.shape):
        row, col = divmod(int(indices[n, i, j, c]) % (height * width), width)
        out[n, row, col, c] += x[n, i, j, c]
    return out


# --- 08.3 conv2d_transpose ------------------------------------------------------------


def _transposed_geometry(x, kernel, strides, padding, output_padding):
    """Output size and the rows/columns cropped at the top and left, per axis."""
    geometry = []
    extras = (None, None) if output_padding is None else _pair(output_padding)
    for axis, (step, extra) in enumerate(zip(_pair(strides), extras, strict=True)):
        size, k = x.shape[1 + axis], kernel.shape[axis]
        if extra is None:
            out = size * step + max(k - step, 0) if padding == "valid" else size * step
        else:
            out = (size - 1) * step + k - (2 * (k // 2) if padding == "same" else 0) + extra
        crop = 0
        if padding == "same":
            crop = max((size - 1) * step + k - out, 0) // 2
        geometry.append((out, crop, step))
    return geometry


def conv2d_transpose(x, kernel, bias=None, strides=1, padding="valid", output_padding=None):
    """Each input pixel stamps kernel * value onto the output (the scatter view)."""
    (out_h, top, step_h), (out_w, left, step_w) = _transposed_geometry(
        x, kernel, strides, padding, output_padding
    )
    k_h, k_w, filters, _ = kernel.shape
    canvas = np.zeros(
        (
            x.shape[0],
            max(out_h + top, (x.shape[1] - 1) * step_h + k_h),
            max(out_w + left, (x.shape[2] - 1) * step_w + k_w),
            filters,
        )
    )
    for i in range(x.shape[1]):
        for j in range(x.shape[2]):
            stamp = np.einsum("nf,uvcf->nuvc", x[:, i, j, :], kernel)
            canvas[:, i * step_h : i * step_h + k_h, j * step_w : j * step_w + k_w] += stamp
    out = canvas[:, top : top + out_h, left : left + out_w]
    return out if bias is None else out + bias


def _correlate(padded, kernel):
    """Stride-1 'valid' correlation of NHWC `padded` with HWIO `kernel`."""
    k_h, k_w = kernel.shape[:2]
    out_h, out_w = padded.shape[1] - k_h + 1, padded.shape[2] - k_w + 1
    out = np.zeros((padded.shape[0], out_h, out_w, kernel.shape[3]))
    for u in range(k_h):
        for v in range(k_w):
            out += np.einsum("nhwc,cf->nhwf", padded[:, u : u + out_h, v : v + out_w], kernel[u, v])
    return out


def _by_zero_insertion(
    x, kernel, bias, strides, padding, output_padding, *, flip=True, insert=True, extra_first=False
):
    """Insert s - 1 zeros, pad k - 1 zeros, correlate with the flipped kernel, crop."""
    (out_h, top, step_h), (out_w, left, step_w) = _transposed_geometry(
        x, kernel, strides, padding, output_padding
    )
    if not insert:
        step_h = step_w = 1
    k_h, k_w = kernel.shape[:2]
    n, h, w, c = x.shape
    spread = np.zeros((n, (h - 1) * step_h + 1, (w - 1) * step_w + 1, c))
    spread[:, ::step_h, ::step_w] = x
    spread = np.pad(
        spread, ((0, 0), (k_h - 1, k_h - 1 + out_h), (k_w - 1, k_w - 1 + out_w), (0, 0))
    )
    weights = kernel.transpose(0, 1, 3, 2)
    if flip:
        weights = weights[::-1, ::-1]
    full = _correlate(spread, weights)
    if extra_first:
        natural_h = (h - 1) * step_h + k_h
        natural_w = (w - 1) * step_w + k_w
        top = max(natural_h - out_h - top, 0) if padding == "same" else top
        left = max(natural_w - out_w - left, 0) if padding == "same" else left
    out = full[:, top : top + out_h, left : left + out_w]
    return out if bias is None else out + bias


def conv2d_transpose_by_zero_insertion(
    x, kernel, bias=None, strides=1, padding="valid", output_padding=None
):
    return _by_zero_insertion(x, kernel, bias, strides, padding, output_padding)


def conv2d_transpose_unflipped(
    x, kernel, bias=None, strides=1, padding="valid", output_padding=None
):
    return _by_zero_insertion(x, kernel, bias, strides, padding, output_padding, flip=False)


def conv2d_transpose_no_zero_insertion(
    x, kernel, bias=None, strides=1, padding="valid", output_padding=None
):
    return _by_zero_insertion(x, kernel, bias, strides, padding, output_padding, insert=False)


def conv2d_transpose_crops_extra_first(
    x, kernel, bias=None, strides=1, padding="valid", output_padding=None
):
    return _by_zero_insertion(x, kernel, bias, strides, padding, output_padding, extra_first=True)


def conv2d_transpose_without_output_padding(
    x, kernel, bias=None, strides=1, padding="valid", output_padding=None
):
    """Ignores output_padding: the extra row and column are never added."""
    return conv2d_transpose(x, kernel, bias, strides, padding, None)


# --- 08.5 mean_iou ----------------------------------------------------------------------


def mean_iou(y_true, y_pred, num_classes):
    scores = []
    for c in range(num_classes):
        truth, guess = y_true == c, y_pred == c
        union = np.logical_or(truth, guess).sum()
        if union:
            scores.append(np.logical_and(truth, guess).sum() / union)
    return float(np.mean(scores))


def mean_iou_over_every_class(y_true, y_pred, num_classes):
    total = 0.0
    for c in range(num_classes):
        truth, guess = y_true == c, y_pred == c
        union = np.logical_or(truth, guess).sum()
        total += np.logical_and(truth, guess).sum() / union if union else 0.0
    return total / num_classes


def mean_iou_absent_is_perfect(y_true, y_pred, num_classes):
    scores = []
    for c in range(num_classes):
        truth, guess = y_true == c, y_pred == c
        union = np.logical_or(truth, guess).sum()
        scores.append(np.logical_and(truth, guess).sum() / union if union else 1.0)
    return float(np.mean(scores))


def mean_iou_recall(y_true, y_pred, num_classes):
    scores = [np.mean(y_pred[y_true == c] == c) for c in range(num_classes) if (y_true == c).any()]
    return float(np.mean(scores))


def mean_iou_dice(y_true, y_pred, num_classes):
    scores = []
    for c in range(num_classes):
        truth, guess = y_true == c, y_pred == c
        if truth.any() or guess.any():
            scores.append(2 * (truth & guess).sum() / (truth.sum() + guess.sum()))
    return float(np.mean(scores))


def mean_iou_true_classes_only(y_true, y_pred, num_classes):
    """Averages over the classes in y_true: a wrongly predicted extra class costs nothing."""
    scores = []
    for c in np.unique(y_true):
        truth, guess = y_true == c, y_pred == c
        scores.append((truth & guess).sum() / (truth | guess).sum())
    return float(np.mean(scores))


def mean_iou_per_image(y_true, y_pred, num_classes):
    """The mean over images of each image's mIoU, instead of one mIoU over all pixels."""
    if y_true.ndim < 2:
        return mean_iou(y_true, y_pred, num_classes)
    return float(
        np.mean([mean_iou(t, p, num_classes) for t, p in zip(y_true, y_pred, strict=True)])
    )


RIGHT = {
    "08.1": [upsample_bilinear],
    "08.2": [max_unpool2d],
    "08.3": [conv2d_transpose, conv2d_transpose_by_zero_insertion],
    "08.5": [mean_iou],
}

WRONG = {
    "08.1": [
        upsample_bilinear_align_corners,
        upsample_bilinear_no_half_pixel,
        upsample_bilinear_no_clamp,
        upsample_bilinear_swapped_factors,
        upsample_bilinear_by_repeating,
    ],
    "08.2": [
        max_unpool2d_first_cell,
        max_unpool2d_height_for_width,
        max_unpool2d_assigns,
        max_unpool2d_spatial_index,
    ],
    "08.3": [
        conv2d_transpose_unflipped,
        conv2d_transpose_no_zero_insertion,
        conv2d_transpose_crops_extra_first,
        conv2d_transpose_without_output_padding,
    ],
    "08.5": [
        mean_iou_over_every_class,
        mean_iou_absent_is_perfect,
        mean_iou_recall,
        mean_iou_dice,
        mean_iou_true_classes_only,
        mean_iou_per_image,
    ],
}

HINTS = [
    ("08.1", upsample_bilinear_align_corners, "half-pixel centres"),
    ("08.1", upsample_bilinear_no_half_pixel, "not o / size"),
    ("08.1", upsample_bilinear_by_repeating, "nearest-neighbour"),
    ("08.2", max_unpool2d_first_cell, "where its index says"),
    ("08.2", max_unpool2d_assigns, "add their values"),
    ("08.3", conv2d_transpose_unflipped, "flipped"),
    ("08.3", conv2d_transpose_no_zero_insertion, "insert s - 1 zeros"),
    ("08.3", conv2d_transpose_crops_extra_first, "bottom or right"),
    ("08.5", mean_iou_over_every_class, "neither y_true nor y_pred"),
    ("08.5", mean_iou_recall, "recall"),
]
