"""Sliding windows over NHWC arrays: padding amounts and strided, dilated views."""

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from coursekit import arithmetic


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
        padding: an int, `"valid"`, `"same"` or `"full"`.

    Example:

    >>> x = np.arange(16.0).reshape(1, 4, 4, 1)
    >>> extract_windows(x, 3, strides=1).shape
    (1, 2, 2, 1, 3, 3)
    >>> extract_windows(x, 2, strides=2)[0, 1, 1, 0]
    array([[10., 11.],
           [14., 15.]])
    """
    if x.ndim != 4:
        raise ValueError(
            f"Expected a 4-D NHWC array (batch, height, width, channels). Received: shape={x.shape}."
        )
    (kernel_h, kernel_w) = arithmetic.as_pair(kernel_size, "kernel_size")
    (stride_h, stride_w) = arithmetic.as_pair(strides, "strides")
    (dilation_h, dilation_w) = arithmetic.as_pair(dilation_rate, "dilation_rate")
    pad_h = padding_amounts(x.shape[1], kernel_h, stride_h, padding, dilation_h)
    pad_w = padding_amounts(x.shape[2], kernel_w, stride_w, padding, dilation_w)
    padded = np.pad(x, ((0, 0), pad_h, pad_w, (0, 0)))
    spans = (
        arithmetic.effective_kernel_size(kernel_h, dilation_h),
        arithmetic.effective_kernel_size(kernel_w, dilation_w),
    )
    windows = sliding_window_view(padded, spans, axis=(1, 2))
    return windows[:, ::stride_h, ::stride_w, :, ::dilation_h, ::dilation_w]


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
        padding: an int, `"valid"`, `"same"` or `"full"`.

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
    (kernel_h, kernel_w) = arithmetic.as_pair(kernel_size, "kernel_size")
    (stride_h, stride_w) = arithmetic.as_pair(strides, "strides")
    (dilation_h, dilation_w) = arithmetic.as_pair(dilation_rate, "dilation_rate")
    pad_h = padding_amounts(height, kernel_h, stride_h, padding, dilation_h)
    pad_w = padding_amounts(width, kernel_w, stride_w, padding, dilation_w)
    out_h = arithmetic.conv_output_size(height, kernel_h, stride_h, padding, dilation_h)
    out_w = arithmetic.conv_output_size(width, kernel_w, stride_w, padding, dilation_w)
    expected = (batch, out_h, out_w, channels, kernel_h, kernel_w)
    if window_values.shape != expected:
        raise ValueError(
            f"Expected window values of shape {expected} for input_shape={tuple(input_shape)}. "
            f"Received: window_values.shape={window_values.shape}."
        )
    padded = np.zeros(
        (batch, height + sum(pad_h), width + sum(pad_w), channels), dtype=window_values.dtype
    )
    for u in range(kernel_h):
        rows = slice(u * dilation_h, u * dilation_h + (out_h - 1) * stride_h + 1, stride_h)
        for v in range(kernel_w):
            cols = slice(v * dilation_w, v * dilation_w + (out_w - 1) * stride_w + 1, stride_w)
            padded[:, rows, cols, :] += window_values[..., u, v]
    return padded[:, pad_h[0] : pad_h[0] + height, pad_w[0] : pad_w[0] + width, :]
