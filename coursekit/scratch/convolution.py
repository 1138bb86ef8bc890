"""2-D convolution (Keras's cross-correlation) in NumPy."""

import numpy as np

from coursekit.scratch.windows import extract_windows


def conv2d(x, kernel, bias=None, strides=1, padding="valid", dilation_rate=1):
    """Computes a 2-D convolution exactly as `keras.layers.Conv2D` does.

    Like every deep learning library, this is a cross-correlation: the kernel is
    not flipped. Output position `(i, j)` of filter `f` is

    `y[n, i, j, f] = bias[f] + sum_{u, v, c} x_pad[n, i*s + u*d, j*s + v*d, c] * kernel[u, v, c, f]`.

    The work is one matrix product between all windows (`im2col`) and the kernel.

    Args:
        x: input of shape `(batch, height, width, in_channels)`.
        kernel: weights of shape `(kernel_h, kernel_w, in_channels, filters)`.
        bias: `None` or a vector of `filters` values.
        strides: an int or an `(h, w)` pair.
        padding: `"valid"`, `"same"` (TensorFlow's placement, extra zero at the end),
            `"full"`, or an int number of zeros on each side.
        dilation_rate: an int or an `(h, w)` pair.

    Returns:
        An array of shape `(batch, out_height, out_width, filters)`.

    Raises:
        ValueError: if the shapes do not fit together.

    Example (a 3x3 box filter on a 4x4 ramp):

    >>> x = np.arange(16.0).reshape(1, 4, 4, 1)
    >>> kernel = np.ones((3, 3, 1, 1))
    >>> conv2d(x, kernel)[0, :, :, 0]
    array([[45., 54.],
           [81., 90.]])
    >>> conv2d(x, kernel, strides=2, padding="same").shape
    (1, 2, 2, 1)
    """
    x, kernel = check_conv_operands(x, kernel)
    windows = extract_windows(x, kernel.shape[:2], strides, padding, dilation_rate)
    output = np.einsum("nhwcuv,uvcf->nhwf", windows, kernel, optimize=True)
    if bias is not None:
        bias = np.asarray(bias)
        if bias.shape != (kernel.shape[3],):
            raise ValueError(
                f"Expected a bias of shape ({kernel.shape[3]},). Received: bias.shape={bias.shape}."
            )
        output = output + bias
    return output


def check_conv_operands(x, kernel):
    """Returns `x` and `kernel` as arrays after checking that they fit together (NHWC, HWIO).

    Raises:
        ValueError: naming both shapes, unless `x` is 4-D, `kernel` is 4-D and they
            have the same number of input channels.

    Example (3 input channels, but a kernel for 2):

    >>> check_conv_operands(np.zeros((1, 5, 5, 3)), np.zeros((3, 3, 2, 8)))  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ValueError: Expected x of shape ... Received: x.shape=(1, 5, 5, 3), kernel.shape=(3, 3, 2, 8).
    """
    x, kernel = np.asarray(x), np.asarray(kernel)
    if kernel.ndim != 4 or x.ndim != 4 or kernel.shape[2] != x.shape[3]:
        raise ValueError(
            "Expected x of shape (batch, height, width, channels) and kernel of shape "
            "(kernel_h, kernel_w, channels, filters) with matching channels. "
            f"Received: x.shape={x.shape}, kernel.shape={kernel.shape}."
        )
    return x, kernel
