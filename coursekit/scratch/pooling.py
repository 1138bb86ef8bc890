"""Max and average pooling in NumPy, forward and backward, as Keras computes them.

Both slide a `pool_size` window with step `strides` (by default `pool_size`, so
windows do not overlap) over each channel separately. With `padding="same"`
the windows are placed as TensorFlow places them (any odd extra cell after the
input), and the padding never counts: max pooling pads with `-inf`, and average
pooling divides each window's sum by the number of real (unpadded) cells in it.

Each pass also comes as its definition, a loop over the output values that looks
at one window of real cells at a time (`max_pool2d_loops`, ...): the same numbers
as the vectorised version, far more slowly.
"""

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from coursekit._arguments import array_of_shape, as_pair, float_array, nhwc, pooling_padding
from coursekit.scratch.windows import (
    extract_windows,
    padding_amounts,
    scatter_windows,
    window_slices,
)


def max_pool2d(x, pool_size, strides=None, padding="valid"):
    """Computes 2-D max pooling exactly as `keras.layers.MaxPooling2D` does.

    `y[n, i, j, c] = max_{u, v} x_pad[n, i*s + u, j*s + v, c]`, where `x_pad` is
    `x` padded with `-inf` for `padding="same"`, so a padded cell never wins.

    Args:
        x: input of shape `(batch, height, width, channels)`.
        pool_size: an int or an `(h, w)` pair.
        strides: an int, an `(h, w)` pair, or `None` for `pool_size`.
        padding: `"valid"` or `"same"`.

    Returns:
        An array of shape `(batch, out_height, out_width, channels)`.

    Raises:
        ValueError: for another padding, or a window larger than a valid input.

    Example (AlexNet's overlapping pooling: 3x3 windows, stride 2):

    >>> x = np.arange(25.0).reshape(1, 5, 5, 1)
    >>> max_pool2d(x, 3, strides=2)[0, :, :, 0]
    array([[12., 14.],
           [22., 24.]])
    >>> max_pool2d(x, 2, padding="same")[0, :, :, 0]
    array([[ 6.,  8.,  9.],
           [16., 18., 19.],
           [21., 23., 24.]])
    """
    x, pool, strides, pads = _geometry(x, pool_size, strides, padding)
    padded = _pad(x, pads, -np.inf)
    return extract_windows(padded, pool, strides).max(axis=(4, 5))


def max_pool2d_loops(x, pool_size, strides=None, padding="valid"):
    """The definition of `max_pool2d`, written as loops: one window at a time.

    Each output is the largest input cell in its window. The window holds only
    real cells (the padding is left out), so the padding never wins.

    Example:

    >>> max_pool2d_loops(np.arange(25.0).reshape(1, 5, 5, 1), 3, strides=2)[0, :, :, 0]
    array([[12., 14.],
           [22., 24.]])
    """
    x, rows, cols = _windows_of_real_cells(x, pool_size, strides, padding)
    output = np.empty((len(x), len(rows), len(cols), x.shape[3]), dtype=x.dtype)
    for n, i, j, c in np.ndindex(output.shape):
        output[n, i, j, c] = x[n, rows[i], cols[j], c].max()
    return output


def max_pool2d_backward(grad_output, x, pool_size, strides=None, padding="valid"):
    """Returns the gradient of a loss with respect to the input of `max_pool2d`.

    Each window sends its upstream gradient to the input cell that won the max
    and nothing to the others. A cell that wins several overlapping windows
    receives the **sum** of their gradients. When a window holds several equal
    maxima, the first one in row-major order (top row first, then left to right)
    gets the gradient, as in TensorFlow's gradient of `MaxPooling2D`.

    Args:
        grad_output: the gradient with respect to the pooled output,
            of shape `(batch, out_height, out_width, channels)`.
        x: the input the forward pass pooled.
        pool_size, strides, padding: as in `max_pool2d`.

    Returns:
        An array shaped like `x`.

    Raises:
        ValueError: if `grad_output` does not have the pooled output's shape.

    Example (the centre cell wins all four overlapping windows):

    >>> x = np.array([[1.0, 0, 2], [0, 9, 0], [3, 0, 4]]).reshape(1, 3, 3, 1)
    >>> max_pool2d_backward(np.ones((1, 2, 2, 1)), x, 2, strides=1)[0, :, :, 0]
    array([[0., 0., 0.],
           [0., 4., 0.],
           [0., 0., 0.]])
    """
    x, pool, strides, pads = _geometry(x, pool_size, strides, padding)
    windows = extract_windows(_pad(x, pads, -np.inf), pool, strides)
    grad_output = array_of_shape(grad_output, windows.shape[:4], "grad_output")
    flat = windows.reshape(*windows.shape[:4], pool[0] * pool[1])
    # argmax returns the first maximum in row-major order: TensorFlow's tie rule.
    winners = flat.argmax(axis=-1)
    routed = np.where(np.arange(flat.shape[-1]) == winners[..., None], grad_output[..., None], 0.0)
    return scatter_windows(routed.reshape(windows.shape), x.shape, pool, strides, padding)


def max_pool2d_backward_loops(grad_output, x, pool_size, strides=None, padding="valid"):
    """The definition of `max_pool2d_backward`, written as loops: one window at a time.

    Each window's upstream gradient goes to the cell that won its max: the first
    maximum in row-major order, as `np.argmax` finds it. Overlapping windows add up.

    Example:

    >>> x = np.array([[1.0, 0, 2], [0, 9, 0], [3, 0, 4]]).reshape(1, 3, 3, 1)
    >>> max_pool2d_backward_loops(np.ones((1, 2, 2, 1)), x, 2, strides=1)[0, :, :, 0]
    array([[0., 0., 0.],
           [0., 4., 0.],
           [0., 0., 0.]])
    """
    x, rows, cols = _windows_of_real_cells(x, pool_size, strides, padding)
    grad_output = _pooled_gradient(grad_output, x, rows, cols)
    grad_x = np.zeros_like(x)
    for n, i, j, c in np.ndindex(grad_output.shape):
        window = x[n, rows[i], cols[j], c]
        u, v = np.unravel_index(np.argmax(window), window.shape)
        grad_x[n, rows[i].start + u, cols[j].start + v, c] += grad_output[n, i, j, c]
    return grad_x


def avg_pool2d(x, pool_size, strides=None, padding="valid"):
    """Computes 2-D average pooling exactly as `keras.layers.AveragePooling2D` does.

    Each output is the mean of the real input cells in its window: with
    `padding="same"`, border windows that stick out of the input are averaged
    over the cells they cover, not over the full `pool_size`.

    Args:
        x: input of shape `(batch, height, width, channels)`.
        pool_size: an int or an `(h, w)` pair.
        strides: an int, an `(h, w)` pair, or `None` for `pool_size`.
        padding: `"valid"` or `"same"`.

    Returns:
        An array of shape `(batch, out_height, out_width, channels)`.

    Raises:
        ValueError: for another padding, or a window larger than a valid input.

    Example (the last row and column of windows cover fewer cells):

    >>> x = np.arange(1.0, 10.0).reshape(1, 3, 3, 1)
    >>> avg_pool2d(x, 2, padding="same")[0, :, :, 0]
    array([[3. , 4.5],
           [7.5, 9. ]])
    """
    x, pool, strides, pads = _geometry(x, pool_size, strides, padding)
    sums = extract_windows(x, pool, strides, padding).sum(axis=(4, 5))
    return (sums / _real_cells(x.shape, pool, strides, pads)).astype(x.dtype, copy=False)


def avg_pool2d_loops(x, pool_size, strides=None, padding="valid"):
    """The definition of `avg_pool2d`, written as loops: one window at a time.

    Each output is the mean of the real cells in its window (the padding is
    left out, so border windows average fewer cells).

    Example:

    >>> avg_pool2d_loops(np.arange(1.0, 10.0).reshape(1, 3, 3, 1), 2, padding="same")[0, :, :, 0]
    array([[3. , 4.5],
           [7.5, 9. ]])
    """
    x, rows, cols = _windows_of_real_cells(x, pool_size, strides, padding)
    output = np.empty((len(x), len(rows), len(cols), x.shape[3]), dtype=x.dtype)
    for n, i, j, c in np.ndindex(output.shape):
        output[n, i, j, c] = x[n, rows[i], cols[j], c].mean()
    return output


def avg_pool2d_backward(grad_output, x, pool_size, strides=None, padding="valid"):
    """Returns the gradient of a loss with respect to the input of `avg_pool2d`.

    Each window spreads its upstream gradient evenly over the real cells it
    averaged: each receives `grad / cells`. Overlapping windows add up.

    Args:
        grad_output: the gradient with respect to the pooled output,
            of shape `(batch, out_height, out_width, channels)`.
        x: the input the forward pass pooled (only its shape matters).
        pool_size, strides, padding: as in `avg_pool2d`.

    Returns:
        An array shaped like `x`.

    Raises:
        ValueError: if `grad_output` does not have the pooled output's shape.

    Example:

    >>> avg_pool2d_backward(np.ones((1, 1, 1, 1)), np.zeros((1, 2, 2, 1)), 2)[0, :, :, 0]
    array([[0.25, 0.25],
           [0.25, 0.25]])
    """
    x, pool, strides, pads = _geometry(x, pool_size, strides, padding)
    cells = _real_cells(x.shape, pool, strides, pads)
    grad_output = array_of_shape(
        grad_output, (x.shape[0], *cells.shape[1:3], x.shape[3]), "grad_output"
    )
    shares = np.broadcast_to((grad_output / cells)[..., None, None], (*grad_output.shape, *pool))
    return scatter_windows(shares, x.shape, pool, strides, padding)


def avg_pool2d_backward_loops(grad_output, x, pool_size, strides=None, padding="valid"):
    """The definition of `avg_pool2d_backward`, written as loops: one window at a time.

    Each window shares its upstream gradient equally among its real cells.
    Overlapping windows add up.

    Example:

    >>> avg_pool2d_backward_loops(np.ones((1, 1, 1, 1)), np.zeros((1, 2, 2, 1)), 2)[0, :, :, 0]
    array([[0.25, 0.25],
           [0.25, 0.25]])
    """
    x, rows, cols = _windows_of_real_cells(x, pool_size, strides, padding)
    grad_output = _pooled_gradient(grad_output, x, rows, cols)
    grad_x = np.zeros_like(x)
    for n, i, j, c in np.ndindex(grad_output.shape):
        cells = x[n, rows[i], cols[j], c].size
        grad_x[n, rows[i], cols[j], c] += grad_output[n, i, j, c] / cells
    return grad_x


def _geometry(x, pool_size, strides, padding):
    """Checks the arguments; returns x (floats), pool, strides and padding amounts."""
    x = float_array(nhwc(x))
    pooling_padding(padding)
    pool = as_pair(pool_size, "pool_size")
    strides = pool if strides is None else as_pair(strides, "strides")
    pads = tuple(
        padding_amounts(size, window, step, padding)
        for size, window, step in zip(x.shape[1:3], pool, strides, strict=True)
    )
    return x, pool, strides, pads


def _windows_of_real_cells(x, pool_size, strides, padding):
    """Checks the arguments; returns x (floats) and, for each output row and column,
    the slice of rows or columns of `x` its window covers, the padding left out."""
    x, pool, strides, _ = _geometry(x, pool_size, strides, padding)
    ((top, _), (left, _)), rows, cols = window_slices(x.shape, pool, strides, padding)
    return (
        x,
        [slice(max(row.start - top, 0), row.stop - top) for row in rows],
        [slice(max(col.start - left, 0), col.stop - left) for col in cols],
    )


def _pooled_gradient(grad_output, x, rows, cols):
    return array_of_shape(grad_output, (len(x), len(rows), len(cols), x.shape[3]), "grad_output")


def _pad(x, pads, value):
    return np.pad(x, ((0, 0), *pads, (0, 0)), constant_values=value)


def _real_cells(shape, pool, strides, pads):
    """Returns the number of unpadded cells in each window, shaped `(1, Ho, Wo, 1)`."""
    per_axis = [
        sliding_window_view(np.pad(np.ones(size), pad), window)[::step].sum(axis=-1)
        for size, window, step, pad in zip(shape[1:3], pool, strides, pads, strict=True)
    ]
    return np.outer(*per_axis)[None, :, :, None]
