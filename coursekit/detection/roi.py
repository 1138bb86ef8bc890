"""Region-of-interest pooling: RoI pooling (Fast R-CNN) and RoIAlign (Mask R-CNN).

Both turn a box of any size on a feature map into a fixed `out_height x out_width`
grid of features, so that fully connected heads can follow. They follow the
definitions of torchvision's `roi_pool` and `roi_align` (its C++ CPU kernels), with
NHWC feature maps instead of NCHW. Regions are rows `(batch_index, x_min, y_min,
x_max, y_max)` in image coordinates; `spatial_scale` (e.g. 1/16 for a stride-16
feature map) maps them onto the feature map.
"""

import numpy as np

from coursekit.arithmetic import as_pair


def roi_pool(feature_map, rois, output_size, spatial_scale=1.0):
    """RoI max pooling, as Fast R-CNN (and torchvision's `roi_pool`) defines it.

    The region is snapped to the feature map's cells twice. First its corners are
    scaled and **rounded** (half away from zero) to cell indices, and both are
    taken as *inclusive*: a region covers cells `round(x_min)` to `round(x_max)`,
    `round(x_max) - round(x_min) + 1` of them (at least 1). Then that span of
    `roi_height` cells is cut into `out_height` bins: bin `i` covers rows
    `floor(i * roi_height / out_height)` to `ceil((i + 1) * roi_height /
    out_height)` (exclusive), offset by the region's first row and clipped to the
    map, so neighbouring bins may share a row. Each bin keeps the maximum of each
    channel; a bin that falls off the map is 0.

    Args:
        feature_map: array `(batch, height, width, channels)`.
        rois: array `(num_rois, 5)` of `(batch_index, x_min, y_min, x_max, y_max)`.
        output_size: an int or `(out_height, out_width)`.
        spatial_scale: multiplies the region's coordinates (feature cells per pixel).

    Returns:
        A float64 array `(num_rois, out_height, out_width, channels)`.

    Raises:
        ValueError: for a feature map that is not 4-D, regions that are not
            `(num_rois, 5)` finite numbers, a batch index out of range, or an
            output size that is not positive.

    Example (a 4x4 map pooled to 2x2; the region covers cells 0..2, 3 per side, so
    the bins are rows and columns 0..1 and 1..2):

    >>> x = np.arange(16.0).reshape(1, 4, 4, 1)
    >>> roi_pool(x, [[0, 0, 0, 2, 2]], 2)[0, :, :, 0]
    array([[ 5.,  6.],
           [ 9., 10.]])
    """
    feature_map, rois, (out_height, out_width) = _check(feature_map, rois, output_size)
    _, height, width, channels = feature_map.shape
    output = np.zeros((len(rois), out_height, out_width, channels))
    for index, (batch, *corners) in enumerate(rois):
        x_start, y_start, x_end, y_end = _round_half_away(np.array(corners) * spatial_scale)
        rows = _pool_bins(y_start, y_end - y_start + 1, out_height, height)
        cols = _pool_bins(x_start, x_end - x_start + 1, out_width, width)
        for i, (row_start, row_end) in enumerate(rows):
            for j, (col_start, col_end) in enumerate(cols):
                if row_end > row_start and col_end > col_start:
                    window = feature_map[int(batch), row_start:row_end, col_start:col_end]
                    output[index, i, j] = window.max(axis=(0, 1))
    return output


def roi_align(feature_map, rois, output_size, spatial_scale=1.0, sampling_ratio=2, aligned=True):
    """RoIAlign, as Mask R-CNN (and torchvision's `roi_align`) defines it: no rounding.

    The region keeps its real-valued corners (scaled by `spatial_scale`). It is cut
    into `out_height x out_width` equal bins; each bin samples a
    `sampling_ratio x sampling_ratio` grid of evenly spaced points (at the centres of
    the grid's sub-cells) and averages them. Each point is read by bilinear
    interpolation of the four nearest cells, where cell `(row, col)` holds its value
    at the point `(x, y) = (col, row)`.

    - `aligned=True` subtracts half a cell from the scaled corners first, which
      maps continuous coordinates (cell `col` covers `[col, col + 1)`, as for the
      boxes of `coursekit.detection`) onto those cell centres. Then the features of
      a linear ramp are reproduced exactly: each bin equals the ramp at the bin's
      centre. `aligned=False` (the original Mask R-CNN code) omits the shift, and
      widens regions smaller than one cell to one cell.
    - `sampling_ratio <= 0` picks `ceil(roi_height / out_height)` by
      `ceil(roi_width / out_width)` points per bin, so about one per cell.
    - Points farther than one cell outside the map read 0; points within one cell
      outside it read the border cells (torchvision's clamping).

    torchvision's own defaults are `sampling_ratio=-1, aligned=False`; these
    defaults are Detectron2's (two points per axis, aligned).

    Args:
        feature_map: array `(batch, height, width, channels)`.
        rois: array `(num_rois, 5)` of `(batch_index, x_min, y_min, x_max, y_max)`.
        output_size: an int or `(out_height, out_width)`.
        spatial_scale: multiplies the region's coordinates (feature cells per pixel).
        sampling_ratio: sample points per bin along each axis, or `<= 0` for adaptive.
        aligned: whether to shift by half a cell (see above).

    Returns:
        A float64 array `(num_rois, out_height, out_width, channels)`.

    Raises:
        ValueError: for a feature map that is not 4-D, regions that are not
            `(num_rois, 5)` finite numbers, a batch index out of range, or an
            output size that is not positive.

    Example (on the ramp `value = column`, each bin is the ramp at its centre,
    minus the half-cell shift):

    >>> x = np.tile(np.arange(8.0), (8, 1)).reshape(1, 8, 8, 1)
    >>> roi_align(x, [[0, 1, 1, 7, 7]], 3)[0, 0, :, 0]
    array([1.5, 3.5, 5.5])
    """
    feature_map, rois, (out_height, out_width) = _check(feature_map, rois, output_size)
    _, height, width, channels = feature_map.shape
    output = np.zeros((len(rois), out_height, out_width, channels))
    offset = 0.5 if aligned else 0.0
    for index, (batch, *corners) in enumerate(rois):
        x_start, y_start, x_end, y_end = np.array(corners) * spatial_scale - offset
        roi_width, roi_height = x_end - x_start, y_end - y_start
        if not aligned:
            roi_width, roi_height = max(roi_width, 1.0), max(roi_height, 1.0)
        grid_y = _grid_points(sampling_ratio, roi_height, out_height)
        grid_x = _grid_points(sampling_ratio, roi_width, out_width)
        rows = _interpolation_weights(
            _sample_points(y_start, roi_height, out_height, grid_y), height
        )
        cols = _interpolation_weights(_sample_points(x_start, roi_width, out_width, grid_x), width)
        samples = np.einsum("yh,xw,hwc->yxc", rows, cols, feature_map[int(batch)])
        bins = samples.reshape(out_height, grid_y, out_width, grid_x, channels).sum(axis=(1, 3))
        output[index] = bins / max(grid_y * grid_x, 1)
    return output


def bilinear_interpolation_weights(coordinates, size):
    """The weights with which RoIAlign reads points along one axis of a feature map.

    Row `k` holds the weights of the cells that the point `coordinates[k]` blends:
    two neighbours `floor(c)` and `floor(c) + 1` with weights `1 - frac` and `frac`.
    A point in `[-1, 0]` reads cell 0, one in `[size - 1, size]` the last cell,
    and one farther out reads nothing (a row of zeros). Bilinear interpolation is
    this along rows times this along columns.

    Example:

    >>> bilinear_interpolation_weights(np.array([0.25, 2.5, 3.5, 5.0]), 4)
    array([[0.75, 0.25, 0.  , 0.  ],
           [0.  , 0.  , 0.5 , 0.5 ],
           [0.  , 0.  , 0.  , 1.  ],
           [0.  , 0.  , 0.  , 0.  ]])
    """
    return _interpolation_weights(np.asarray(coordinates, dtype=np.float64), size)


def _interpolation_weights(coordinates, size):
    inside = (coordinates >= -1.0) & (coordinates <= size)
    clamped = np.maximum(coordinates, 0.0)
    low = np.floor(clamped).astype(np.int64)
    at_edge = low >= size - 1
    low = np.where(at_edge, size - 1, low)
    high = np.where(at_edge, size - 1, low + 1)
    fraction = np.where(at_edge, 0.0, clamped - low)
    weights = np.zeros((len(coordinates), size))
    points = np.arange(len(coordinates))
    np.add.at(weights, (points, low), np.where(inside, 1.0 - fraction, 0.0))
    np.add.at(weights, (points, high), np.where(inside, fraction, 0.0))
    return weights


def _grid_points(sampling_ratio, roi_size, out_size):
    if sampling_ratio > 0:
        return int(sampling_ratio)
    return max(int(np.ceil(roi_size / out_size)), 0)


def _sample_points(start, roi_size, out_size, grid):
    """The sample coordinates of every bin along one axis, bin by bin: `(out_size * grid,)`."""
    bin_size = roi_size / out_size
    bins = np.arange(out_size)[:, None] * bin_size
    within = (np.arange(grid)[None, :] + 0.5) * bin_size / max(grid, 1)
    return (start + bins + within).ravel()


def _pool_bins(start, roi_size, out_size, size):
    """`(first, end)` rows of each RoI-pooling bin along one axis, clipped to `[0, size]`."""
    roi_size = max(roi_size, 1)
    bin_size = roi_size / out_size
    bins = []
    for k in range(out_size):
        first = int(np.floor(k * bin_size)) + start
        end = int(np.ceil((k + 1) * bin_size)) + start
        bins.append((min(max(first, 0), size), min(max(end, 0), size)))
    return bins


def _round_half_away(values):
    """C's `round`: halves go away from zero (NumPy's `round` sends them to even)."""
    return (np.sign(values) * np.floor(np.abs(values) + 0.5)).astype(np.int64)


def _check(feature_map, rois, output_size):
    feature_map = np.asarray(feature_map, dtype=np.float64)
    if feature_map.ndim != 4:
        raise ValueError(
            "Expected an NHWC feature map (batch, height, width, channels). "
            f"Received: shape={feature_map.shape}."
        )
    rois = np.asarray(rois, dtype=np.float64)
    if rois.size == 0:
        rois = rois.reshape(0, 5)
    if rois.ndim != 2 or rois.shape[1] != 5 or not np.isfinite(rois).all():
        raise ValueError(
            "`rois` must be finite rows (batch_index, x_min, y_min, x_max, y_max). "
            f"Received: shape={rois.shape}."
        )
    batch = rois[:, 0]
    if ((batch < 0) | (batch >= feature_map.shape[0]) | (batch != np.floor(batch))).any():
        raise ValueError(
            f"Batch indices must be ints in [0, {feature_map.shape[0]}). Received: {batch.tolist()}."
        )
    return feature_map, rois, as_pair(output_size, "output_size")
