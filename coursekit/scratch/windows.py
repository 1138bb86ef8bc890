"""Sliding windows over NHWC arrays: padding amounts, strided and dilated views, and their slices.

`extract_windows` and `scatter_windows` move every window at once (the vectorised
layers use them); `window_slices` names one window at a time (the loop definitions
use it). All three place windows the same way, through `padding_amounts`.
"""

import collections

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from coursekit import arithmetic
from coursekit._arguments import as_pair, nhwc, padding_per_axis

# How windows sit along one spatial axis: the zeros added (before, after) the input,
# the number of windows, the step between windows, the kernel's taps, the span they
# cover and the step between them.
_Axis = collections.namedtuple("_Axis", "pads size stride taps span dilation")


def padding_amounts(input_size, kernel_size, strides=1, padding="valid", dilation_rate=1):
    """Returns `(before, after)`: the zeros a layer adds around one spatial axis.

    `"same"` follows TensorFlow: the total padding is whatever makes the output
    `ceil(input_size / strides)` long, and when it is odd the extra zero goes
    after the input (bottom or right).

    Example (stride 2 on an even size pads only at the end):

    >>> padding_amounts(6, 3, strides=2, padding="same")
    (0, 1)
    >>> padding_amounts(5, 3, padding="full")
    (2, 2)
    """
    # Validates every argument and rejects kernels larger than the padded input.
    output_size = arithmetic.conv_output_size(
        input_size, kernel_size, strides, padding, dilation_rate
    )
    span = arithmetic.effective_kernel_size(kernel_size, dilation_rate)
    if isinstance(padding, str) and padding.lower() == "same":
        total = max((output_size - 1) * strides + span - input_size, 0)
        return total // 2, total - total // 2
    per_side = arithmetic.padding_per_side(padding, span)
    return per_side, per_side


def extract_windows(x, kernel_size, strides=1, padding="valid", dilation_rate=1):
    """Returns every window a kernel sees, as a view of shape `(N, Ho, Wo, C, kh, kw)`.

    `windows[n, i, j, c]` is the `kh x kw` patch of channel `c` that output position
    `(i, j)` of image `n` is computed from, after padding, striding and dilation.
    No data is copied until the caller combines the windows.

    Args:
        x: an array of shape `(batch, height, width, channels)`.
        kernel_size, strides, dilation_rate: ints or `(h, w)` pairs.
        padding: `"valid"`, `"same"`, `"full"`, an int, or a `(pad_h, pad_w)` pair
            of these.

    Example:

    >>> x = np.arange(16.0).reshape(1, 4, 4, 1)
    >>> extract_windows(x, 3, strides=1).shape
    (1, 2, 2, 1, 3, 3)
    >>> extract_windows(x, 2, strides=2)[0, 1, 1, 0]
    array([[10., 11.],
           [14., 15.]])
    """
    x = nhwc(x)
    rows, cols = _axes(x.shape, kernel_size, strides, padding, dilation_rate)
    padded = np.pad(x, ((0, 0), rows.pads, cols.pads, (0, 0)))
    windows = sliding_window_view(padded, (rows.span, cols.span), axis=(1, 2))
    return windows[:, :: rows.stride, :: cols.stride, :, :: rows.dilation, :: cols.dilation]


def scatter_windows(
    window_values, input_shape, kernel_size, strides=1, padding="valid", dilation_rate=1
):
    """Adds window-shaped values back onto the input positions they were read from.

    This is the transpose (adjoint) of `extract_windows`, often called `col2im`:
    `window_values[n, i, j, c, u, v]` is added to the input cell that window `(i, j)`
    read with tap `(u, v)`. Where windows overlap, a cell receives the sum of all
    its contributions; values that land in the padding are dropped. Backward passes
    use it to send window gradients back to the input.

    The work is one vectorised, strided addition per tap `(u, v)`, never a loop
    over pixels.

    Args:
        window_values: an array of shape `(N, Ho, Wo, C, kh, kw)`, the shape
            `extract_windows` returns for `input_shape` and the same arguments.
        input_shape: `(N, H, W, C)` of the array the windows were taken from.
        kernel_size, strides, dilation_rate: ints or `(h, w)` pairs.
        padding: as in `extract_windows`.

    Returns:
        An array of shape `input_shape`.

    Raises:
        ValueError: if `window_values` does not have the windows' shape.

    Example (four overlapping 2x2 windows of ones on a 3x3 input):

    >>> ones = np.ones((1, 2, 2, 1, 2, 2))
    >>> scatter_windows(ones, (1, 3, 3, 1), kernel_size=2)[0, :, :, 0]
    array([[1., 2., 1.],
           [2., 4., 2.],
           [1., 2., 1.]])
    """
    window_values = np.asarray(window_values)
    batch, height, width, channels = input_shape
    rows, cols = _axes(input_shape, kernel_size, strides, padding, dilation_rate)
    expected = (batch, rows.size, cols.size, channels, rows.taps, cols.taps)
    if window_values.shape != expected:
        raise ValueError(
            f"Expected window values of shape {expected} for input_shape={tuple(input_shape)}. "
            f"Received: window_values.shape={window_values.shape}."
        )
    padded = np.zeros(
        (batch, height + sum(rows.pads), width + sum(cols.pads), channels),
        dtype=window_values.dtype,
    )
    for u in range(rows.taps):
        first_row = u * rows.dilation
        row_taps = slice(first_row, first_row + (rows.size - 1) * rows.stride + 1, rows.stride)
        for v in range(cols.taps):
            first_col = v * cols.dilation
            col_taps = slice(first_col, first_col + (cols.size - 1) * cols.stride + 1, cols.stride)
            padded[:, row_taps, col_taps, :] += window_values[..., u, v]
    return padded[:, rows.pads[0] : rows.pads[0] + height, cols.pads[0] : cols.pads[0] + width, :]


def window_slices(input_shape, kernel_size, strides=1, padding="valid", dilation_rate=1):
    """Returns the padding, and the rows and columns of the padded input each window reads.

    Output row `i` reads padded rows `i*s, i*s + d, ..., i*s + (k - 1)*d` (stride
    `s`, dilation `d`, kernel size `k`): the slice `rows[i]`. Loops use it to take
    one window at a time, `x_pad[n, rows[i], cols[j], :]`, where `extract_windows`
    takes all of them at once.

    Args:
        input_shape: `(N, H, W, C)` of the input.
        kernel_size, strides, dilation_rate: ints or `(h, w)` pairs.
        padding: as in `extract_windows`.

    Returns:
        A tuple `(pads, rows, cols)`: `pads` is `((top, bottom), (left, right))`,
        the zeros added around the input; `rows` and `cols` are lists of slices,
        one per output row and one per output column.

    Example (a 3-tap kernel with stride 2 on 5 rows; dilation 2 on 6 rows):

    >>> pads, rows, cols = window_slices((1, 5, 6, 1), 3, strides=(2, 1), dilation_rate=(1, 2))
    >>> pads, rows, cols
    (((0, 0), (0, 0)), [slice(0, 3, 1), slice(2, 5, 1)], [slice(0, 5, 2), slice(1, 6, 2)])
    """
    axes = _axes(input_shape, kernel_size, strides, padding, dilation_rate)
    rows, cols = (
        [
            slice(i * axis.stride, i * axis.stride + axis.span, axis.dilation)
            for i in range(axis.size)
        ]
        for axis in axes
    )
    return (axes[0].pads, axes[1].pads), rows, cols


def _axes(input_shape, kernel_size, strides, padding, dilation_rate):
    """Returns how the windows sit along the height and the width, an `_Axis` each."""
    return tuple(
        _Axis(
            pads=padding_amounts(size, kernel, step, pad, dilation),
            size=arithmetic.conv_output_size(size, kernel, step, pad, dilation),
            stride=step,
            taps=kernel,
            span=arithmetic.effective_kernel_size(kernel, dilation),
            dilation=dilation,
        )
        for size, kernel, step, pad, dilation in zip(
            input_shape[1:3],
            as_pair(kernel_size, "kernel_size"),
            as_pair(strides, "strides"),
            padding_per_axis(padding),
            as_pair(dilation_rate, "dilation_rate"),
            strict=True,
        )
    )
