"""Answers to notebook 02: right ones in a different style from the
references, and classic wrong ones that the checks must reject."""

import math

import numpy as np

# --- 02.1 pool_output_size -----------------------------------------------------


def pool_output_size(input_size, pool_size, strides=None, padding="valid"):
    strides = pool_size if strides is None else strides
    if padding == "same":
        return -(-input_size // strides)
    return math.floor((input_size - pool_size) / strides) + 1


def pool_output_size_true_division(input_size, pool_size, strides=None, padding="valid"):
    strides = strides or pool_size
    if padding == "same":
        return input_size / strides
    return (input_size - pool_size) / strides + 1


def pool_output_size_same_rounds_down(input_size, pool_size, strides=None, padding="valid"):
    strides = strides or pool_size
    if padding == "same":
        return input_size // strides
    return (input_size - pool_size) // strides + 1


def pool_output_size_rounds_up(input_size, pool_size, strides=None, padding="valid"):
    strides = strides or pool_size
    if padding == "same":
        return math.ceil(input_size / strides)
    return math.ceil((input_size - pool_size) / strides) + 1


# --- 02.2 max_pool2d and 02.3 avg_pool2d: loops over output positions --------------


def _pairs(pool_size, strides):
    pool = (pool_size, pool_size) if isinstance(pool_size, int) else tuple(pool_size)
    if strides is None:
        strides = pool
    steps = (strides, strides) if isinstance(strides, int) else tuple(strides)
    return pool, steps


def _same_pads(size, window, step, extra_first=False):
    total = max((math.ceil(size / step) - 1) * step + window - size, 0)
    before, after = total // 2, total - total // 2
    return (after, before) if extra_first else (before, after)


def _pool_by_loops(x, pool_size, strides, padding, reduce, fill, extra_first=False):
    """Pools every window of a padded copy; `reduce(values)` sees only the real cells
    when `fill` is None, otherwise the padded cells too."""
    (pool_h, pool_w), (step_h, step_w) = _pairs(pool_size, strides)
    pads = ((0, 0), (0, 0))
    if padding == "same":
        pads = (
            _same_pads(x.shape[1], pool_h, step_h, extra_first),
            _same_pads(x.shape[2], pool_w, step_w, extra_first),
        )
    return _pool_padded(x, (pool_h, pool_w), (step_h, step_w), pads, reduce, fill)


def _pool_padded(x, pool, steps, pads, reduce, fill):
    """Pads `x` by `pads` ((before, after) per axis), then pools every window."""
    (pool_h, pool_w), (step_h, step_w) = pool, steps
    padded = np.pad(x, ((0, 0), *pads, (0, 0)), constant_values=np.nan if fill is None else fill)
    out_h = (padded.shape[1] - pool_h) // step_h + 1
    out_w = (padded.shape[2] - pool_w) // step_w + 1
    out = np.empty((x.shape[0], out_h, out_w, x.shape[3]))
    for i in range(out_h):
        for j in range(out_w):
            window = padded[:, i * step_h : i * step_h + pool_h, j * step_w : j * step_w + pool_w]
            for n in range(x.shape[0]):
                for c in range(x.shape[3]):
                    values = window[n, :, :, c]
                    out[n, i, j, c] = reduce(values[~np.isnan(values)] if fill is None else values)
    return out


def _same_pads_from_the_height(x, pool, steps):
    # The height's 'same' padding, used for the width too (right for square inputs).
    total = max((math.ceil(x.shape[1] / steps[0]) - 1) * steps[0] + pool[0] - x.shape[1], 0)
    return ((total // 2, total - total // 2),) * 2


def _same_pads_rounded_down(x, pool, steps):
    # floor(size / strides) outputs planned, as for 'valid'.
    pads = []
    for size, window, step in zip(x.shape[1:3], pool, steps, strict=True):
        total = max((size // step - 1) * step + window - size, 0)
        pads.append((total // 2, total - total // 2))
    return tuple(pads)


def _same_pads_negative(x, pool, steps):
    # The total padding is not clamped at 0 when the window is smaller than the stride.
    pads = []
    for size, window, step in zip(x.shape[1:3], pool, steps, strict=True):
        total = (math.ceil(size / step) - 1) * step + window - size
        pads.append((total // 2, total - total // 2))
    return tuple(pads)


def _same_pads_all_after(x, pool, steps):
    # Every padded cell after the input: (0, total).
    return tuple(
        (0, max((math.ceil(size / step) - 1) * step + window - size, 0))
        for size, window, step in zip(x.shape[1:3], pool, steps, strict=True)
    )


def _pool_with_own_pads(x, pool_size, strides, padding, same_pads, reduce, fill):
    pool, steps = _pairs(pool_size, strides)
    pads = same_pads(x, pool, steps) if padding == "same" else ((0, 0), (0, 0))
    return _pool_padded(x, pool, steps, pads, reduce, fill)


def max_pool2d(x, pool_size, strides=None, padding="valid"):
    return _pool_by_loops(x, pool_size, strides, padding, np.max, fill=-np.inf)


def max_pool2d_zero_padding(x, pool_size, strides=None, padding="valid"):
    return _pool_by_loops(x, pool_size, strides, padding, np.max, fill=0.0)


def max_pool2d_windows_one_short(x, pool_size, strides=None, padding="valid"):
    # Ends each window a cell early: i * s : i * s + p - 1.
    (pool_h, pool_w), (step_h, step_w) = _pairs(pool_size, strides)
    pads = ((0, 0), (0, 0))
    if padding == "same":
        pads = (_same_pads(x.shape[1], pool_h, step_h), _same_pads(x.shape[2], pool_w, step_w))
    padded = np.pad(x, ((0, 0), *pads, (0, 0)), constant_values=-np.inf)
    out_h = (padded.shape[1] - pool_h) // step_h + 1
    out_w = (padded.shape[2] - pool_w) // step_w + 1
    out = np.empty((x.shape[0], out_h, out_w, x.shape[3]))
    for i in range(out_h):
        for j in range(out_w):
            rows = slice(i * step_h, i * step_h + pool_h - 1)
            cols = slice(j * step_w, j * step_w + pool_w - 1)
            out[:, i, j] = padded[:, rows, cols].max(axis=(1, 2))
    return out


def max_pool2d_extra_padding_first(x, pool_size, strides=None, padding="valid"):
    return _pool_by_loops(x, pool_size, strides, padding, np.max, -np.inf, extra_first=True)


def avg_pool2d(x, pool_size, strides=None, padding="valid"):
    # Zero padding summed, then divided by a count of real cells from padded ones.
    sums = _pool_by_loops(x, pool_size, strides, padding, np.sum, fill=0.0)
    ones = np.ones((1, *x.shape[1:3], 1))
    counts = _pool_by_loops(ones, pool_size, strides, padding, np.sum, fill=0.0)
    return sums / counts


def avg_pool2d_counts_padding(x, pool_size, strides=None, padding="valid"):
    return _pool_by_loops(x, pool_size, strides, padding, np.mean, fill=0.0)


def avg_pool2d_extra_padding_first(x, pool_size, strides=None, padding="valid"):
    return _pool_by_loops(x, pool_size, strides, padding, np.mean, None, extra_first=True)


def avg_pool2d_real_cells_only(x, pool_size, strides=None, padding="valid"):
    # Averages only the real cells of each window (padding marked as NaN and dropped).
    return _pool_by_loops(x, pool_size, strides, padding, np.mean, fill=None)


def avg_pool2d_as_list(x, pool_size, strides=None, padding="valid"):
    # Right values, but a list of lists is not an array.
    return avg_pool2d(x, pool_size, strides, padding).tolist()


# The classic 'same' padding mistakes, each in max and average pooling.


def max_pool2d_same_pads_from_the_height(x, pool_size, strides=None, padding="valid"):
    return _pool_with_own_pads(
        x, pool_size, strides, padding, _same_pads_from_the_height, np.max, -np.inf
    )


def max_pool2d_same_rounds_down(x, pool_size, strides=None, padding="valid"):
    return _pool_with_own_pads(
        x, pool_size, strides, padding, _same_pads_rounded_down, np.max, -np.inf
    )


def max_pool2d_same_negative_padding(x, pool_size, strides=None, padding="valid"):
    return _pool_with_own_pads(x, pool_size, strides, padding, _same_pads_negative, np.max, -np.inf)


def max_pool2d_same_pads_after(x, pool_size, strides=None, padding="valid"):
    return _pool_with_own_pads(
        x, pool_size, strides, padding, _same_pads_all_after, np.max, -np.inf
    )


def avg_pool2d_same_pads_from_the_height(x, pool_size, strides=None, padding="valid"):
    return _pool_with_own_pads(
        x, pool_size, strides, padding, _same_pads_from_the_height, np.mean, None
    )


def avg_pool2d_same_rounds_down(x, pool_size, strides=None, padding="valid"):
    return _pool_with_own_pads(
        x, pool_size, strides, padding, _same_pads_rounded_down, np.mean, None
    )


def avg_pool2d_same_negative_padding(x, pool_size, strides=None, padding="valid"):
    return _pool_with_own_pads(x, pool_size, strides, padding, _same_pads_negative, np.mean, None)


def avg_pool2d_same_pads_after(x, pool_size, strides=None, padding="valid"):
    return _pool_with_own_pads(x, pool_size, strides, padding, _same_pads_all_after, np.mean, None)


RIGHT = {
    "02.1": [pool_output_size],
    "02.2": [max_pool2d],
    "02.3": [avg_pool2d, avg_pool2d_real_cells_only],
}

WRONG = {
    "02.1": [
        pool_output_size_true_division,
        pool_output_size_rounds_up,
        pool_output_size_same_rounds_down,
    ],
    "02.2": [
        max_pool2d_zero_padding,
        max_pool2d_extra_padding_first,
        max_pool2d_windows_one_short,
        max_pool2d_same_pads_from_the_height,
        max_pool2d_same_rounds_down,
        max_pool2d_same_negative_padding,
        max_pool2d_same_pads_after,
    ],
    "02.3": [
        avg_pool2d_counts_padding,
        avg_pool2d_extra_padding_first,
        avg_pool2d_as_list,
        avg_pool2d_same_pads_from_the_height,
        avg_pool2d_same_rounds_down,
        avg_pool2d_same_negative_padding,
        avg_pool2d_same_pads_after,
    ],
}

# Wrong answers whose check must name the mistake: (exercise, answer, words of the hint).
HINTS = [
    ("02.1", pool_output_size_true_division, "round down"),
    ("02.2", max_pool2d_zero_padding, "-inf"),
    ("02.3", avg_pool2d_counts_padding, "real cells"),
    ("02.2", max_pool2d_same_pads_from_the_height, "Pad each axis by its own numbers"),
    ("02.2", max_pool2d_same_rounds_down, "ceil(n / strides) outputs"),
    ("02.2", max_pool2d_same_pads_after, "total // 2 cells before"),
    ("02.3", avg_pool2d_same_pads_from_the_height, "Pad each axis by its own numbers"),
    ("02.3", avg_pool2d_same_rounds_down, "ceil(n / strides) outputs"),
    ("02.3", avg_pool2d_same_pads_after, "total // 2 cells before"),
]
