"""coursekit.detection RoI pooling and RoIAlign, with torchvision's definitions.

torchvision is not a dependency; its CPU kernels (roi_pool_kernel.cpp,
roi_align_kernel.cpp, roi_align_common.h) define what is checked here: RoIAlign on
linear ramps, where every bin must equal the ramp at the bin's centre, and against
tf.image.crop_and_resize, which samples the same bilinear points; RoI pooling on
small worked examples whose answers follow from the rounding rules by hand.
"""

import itertools

import numpy as np
import pytest
import tensorflow as tf

from coursekit.detection import bilinear_interpolation_weights, roi_align, roi_pool


def ramp(height, width, channels, rng):
    """A feature map that is linear in (row, col): value = a * row + b * col + c per channel."""
    a, b, c = rng.normal(size=(3, channels))
    rows, cols = np.mgrid[:height, :width]
    return (a * rows[..., None] + b * cols[..., None] + c)[None], (a, b, c)


def bin_centres(start, end, count):
    edges = np.linspace(start, end, count + 1)
    return (edges[:-1] + edges[1:]) / 2


RAMP_CASES = list(
    itertools.product((1, 2, 3, 0, -1), ((1, 1), (2, 3), (7, 7)), (1.0, 0.5, 0.25), (True, False))
)


@pytest.mark.parametrize(("sampling_ratio", "output_size", "scale", "aligned"), RAMP_CASES)
def test_roi_align_on_a_ramp_is_the_ramp_at_each_bin_centre(
    sampling_ratio, output_size, scale, aligned
):
    rng = np.random.default_rng(sampling_ratio + 10 * output_size[0])
    height, width = 11, 13
    features, (a, b, c) = ramp(height, width, 3, rng)
    # Regions whose sample points all lie inside the map, away from the clamped border:
    # on the map, in cell-centre coordinates, from 0.5 to size - 1.5.
    shift = 0.5 if aligned else 0.0
    low = rng.uniform(0.5, 3.0, size=(6, 2)) + shift
    high = low + rng.uniform(1.0, 6.0, size=(6, 2))
    rois = np.concatenate([np.zeros((6, 1)), low, high], axis=1)
    rois[:, 1:] /= scale  # image coordinates
    got = roi_align(features, rois, output_size, scale, sampling_ratio, aligned)
    assert got.shape == (6, *output_size, 3)
    for roi, pooled in zip(rois, got, strict=True):
        x0, y0, x1, y1 = roi[1:] * scale - shift
        ys, xs = bin_centres(y0, y1, output_size[0]), bin_centres(x0, x1, output_size[1])
        expected = a * ys[:, None, None] + b * xs[None, :, None] + c
        np.testing.assert_allclose(pooled, expected, rtol=0, atol=1e-12)


@pytest.mark.parametrize(("sampling_ratio", "output_size"), [(1, (2, 2)), (2, (3, 2)), (3, (7, 7))])
def test_roi_align_matches_tensorflow_crop_and_resize(sampling_ratio, output_size):
    # RoIAlign's sample points form a regular grid, `output_size * sampling_ratio`
    # per axis: crop_and_resize samples that grid bilinearly, and averaging each
    # `sampling_ratio x sampling_ratio` block gives the bins.
    rng = np.random.default_rng(sampling_ratio)
    features = rng.normal(size=(2, 12, 10, 4))
    rois = np.array([[0, 1.0, 2.0, 9.0, 11.0], [1, 2.3, 0.7, 5.9, 8.2], [1, 0.6, 0.6, 3.1, 2.0]])
    got = roi_align(features, rois, output_size, 1.0, sampling_ratio, aligned=True)
    out_h, out_w = output_size
    boxes, crops = [], (out_h * sampling_ratio, out_w * sampling_ratio)
    for _, x0, y0, x1, y1 in rois - [0, 0.5, 0.5, 0.5, 0.5]:
        step_y, step_x = (y1 - y0) / crops[0], (x1 - x0) / crops[1]
        first_y, first_x = y0 + step_y / 2, x0 + step_x / 2
        last_y, last_x = y1 - step_y / 2, x1 - step_x / 2
        boxes.append([first_y / 11, first_x / 9, last_y / 11, last_x / 9])  # / (size - 1)
    sampled = tf.image.crop_and_resize(
        features, np.array(boxes, np.float32), rois[:, 0].astype(np.int32), crops
    ).numpy()
    blocks = sampled.reshape(len(rois), out_h, sampling_ratio, out_w, sampling_ratio, 4)
    # crop_and_resize takes its boxes in float32.
    np.testing.assert_allclose(got, blocks.mean(axis=(2, 4)), rtol=1e-5, atol=1e-5)


def test_bilinear_weights_follow_torchvision_at_the_border():
    # Within one cell outside the map a point reads the border cell; farther out, 0.
    weights = bilinear_interpolation_weights(
        np.array([-1.5, -1.0, -0.4, 0.0, 3.0, 3.7, 4.0, 4.2]), 4
    )
    np.testing.assert_allclose(
        weights,
        [
            [0, 0, 0, 0],
            [1, 0, 0, 0],
            [1, 0, 0, 0],
            [1, 0, 0, 0],
            [0, 0, 0, 1],
            [0, 0, 0, 1],
            [0, 0, 0, 1],
            [0, 0, 0, 0],
        ],
    )


def test_roi_align_of_a_region_partly_off_the_map():
    features = np.arange(1.0, 5.0).reshape(1, 1, 4, 1)  # one row: 1 2 3 4
    # One bin, sampled at x = -2.25 and -1.75 (both off the map: 0) and,
    # along y, at -0.25 and 0.25 (clamped to row 0). With aligned=False.
    got = roi_align(features, [[0, -3, -0.5, -1, 0.5]], 1, sampling_ratio=2, aligned=False)
    np.testing.assert_allclose(got.ravel(), [0.0])
    # Samples at x = 2.5 and 3.5: 3.5 (inside) and 4 (clamped to the last cell).
    got = roi_align(features, [[0, 2, -0.5, 4, 0.5]], 1, sampling_ratio=2, aligned=False)
    np.testing.assert_allclose(got.ravel(), [(3.5 + 4) / 2])


def test_roi_align_without_alignment_widens_small_regions_to_one_cell():
    features, (a, b, c) = ramp(6, 6, 1, np.random.default_rng(0))
    tiny = [[0, 2.0, 2.0, 2.2, 2.1]]
    wide = roi_align(features, tiny, 1, sampling_ratio=4, aligned=False)
    np.testing.assert_allclose(wide.ravel(), a * 2.5 + b * 2.5 + c)  # a 1x1 region from (2, 2)
    exact = roi_align(features, tiny, 1, sampling_ratio=4, aligned=True)
    np.testing.assert_allclose(exact.ravel(), a * 1.55 + b * 1.6 + c)


def test_adaptive_sampling_uses_about_one_point_per_cell():
    # A region 4 cells wide pooled to 2 bins: ceil(4 / 2) = 2 points per bin and axis.
    rng = np.random.default_rng(5)
    features = rng.normal(size=(1, 8, 8, 2))
    roi = [[0, 1.3, 1.1, 5.3, 5.1]]
    np.testing.assert_allclose(
        roi_align(features, roi, 2, sampling_ratio=0), roi_align(features, roi, 2, sampling_ratio=2)
    )
    assert not np.allclose(
        roi_align(features, roi, 2, sampling_ratio=1), roi_align(features, roi, 2, sampling_ratio=2)
    )


# RoI pooling: on the map value = 10 * row + col, the maximum of any window is its
# bottom-right cell, so each bin's value names the window it covered.
GRID = (10 * np.arange(8)[:, None] + np.arange(8)[None, :]).astype(float).reshape(1, 8, 8, 1)


@pytest.mark.parametrize(
    ("roi", "output_size", "scale", "expected"),
    [
        # Cells 0..3 inclusive (4 x 4) into 2 x 2: bins of two rows and two columns.
        ([0, 0, 0, 3, 3], 2, 1.0, [[11, 13], [31, 33]]),
        # 5 rows into 2 bins of 2.5: rows floor(0)..ceil(2.5) = 0..2 and 2..4. The
        # bins share row 2. 7 columns (1..7) into 2: columns 1..4 and 4..7.
        ([0, 1, 2, 7, 6], 2, 1.0, [[44, 47], [64, 67]]),
        # 3 columns (0..2) into 2 bins of 1.5 wide: columns 0..1 and 1..2.
        ([0, 0, 0, 2, 0], (1, 2), 1.0, [[1, 2]]),
        # Image coordinates at 1/16 scale: (20, 30, 100, 90) -> 1.25, 1.875, 6.25,
        # 5.625 -> rounded 1, 2, 6, 6: rows 2..6, columns 1..6, one bin.
        ([0, 20, 30, 100, 90], 1, 1 / 16, [[66]]),
        # Halves round away from zero: 2.5 -> 3 (NumPy's round would give 2).
        ([0, 2.5, 2.5, 4.5, 4.5], 1, 1.0, [[55]]),
        # A region that reaches off the map is clipped: cells 5..8, bins 5..6 and
        # 7..8, the second clipped to row and column 7.
        ([0, 5, 5, 8, 8], 2, 1.0, [[66, 67], [76, 77]]),
        # A bin that falls entirely off the map is 0 (cells 8..9 are outside).
        ([0, 7, 7, 10, 10], 2, 1.0, [[77, 0], [0, 0]]),
        # A malformed region (x_max < x_min) is one cell wide.
        ([0, 5, 1, 3, 1], 1, 1.0, [[15]]),
    ],
)
def test_roi_pool_worked_examples(roi, output_size, scale, expected):
    got = roi_pool(GRID, [roi], output_size, scale)
    np.testing.assert_array_equal(got[0, :, :, 0], expected)


def test_roi_pool_takes_each_channel_and_batch_item_on_its_own():
    features = np.stack([GRID[0], -GRID[0][::-1, ::-1]])
    features = np.concatenate([features, 2 * features], axis=-1)  # (2, 8, 8, 2)
    got = roi_pool(features, [[1, 0, 0, 3, 3], [0, 0, 0, 3, 3]], 1)
    # Batch item 1 channel 0 is -(10 * (7 - row) + (7 - col)): its maximum over
    # cells 0..3 is at (3, 3): -(40 + 4).
    np.testing.assert_array_equal(got[:, 0, 0, :], [[-44, -88], [33, 66]])


def test_roi_quantisation_error_that_roialign_removes():
    # On the ramp value = col, a region from x = 1.3 to 5.7 in 2 bins: RoIAlign gives
    # the ramp at the bin centres (2.4 and 4.6, minus the half-cell shift); RoI
    # pooling rounds the corners to cells 1..6 and reports the maxima 3 and 6.
    features = np.tile(np.arange(8.0), (8, 1)).reshape(1, 8, 8, 1)
    roi = [[0, 1.3, 1.3, 5.7, 5.7]]
    np.testing.assert_allclose(roi_align(features, roi, 2)[0, 0, :, 0], [1.9, 4.1])
    np.testing.assert_array_equal(roi_pool(features, roi, 2)[0, 0, :, 0], [3, 6])


@pytest.mark.parametrize("pool", [roi_pool, roi_align])
def test_roi_functions_check_their_inputs(pool):
    with pytest.raises(ValueError, match="NHWC"):
        pool(np.zeros((4, 4, 1)), [[0, 0, 0, 1, 1]], 2)
    with pytest.raises(ValueError, match=r"Batch indices must be ints in \[0, 1\)"):
        pool(np.zeros((1, 4, 4, 1)), [[1, 0, 0, 1, 1]], 2)
    with pytest.raises(ValueError, match="rois"):
        pool(np.zeros((1, 4, 4, 1)), [[0, 0, 1, 1]], 2)
    assert pool(np.zeros((1, 4, 4, 3)), np.zeros((0, 5)), (2, 3)).shape == (0, 2, 3, 3)
