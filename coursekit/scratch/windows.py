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
