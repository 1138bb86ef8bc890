"""Transposed convolution in NumPy, as `keras.layers.Conv2DTranspose` computes it.

A convolution reads a window of its input for every output position. A transposed
convolution runs the same wiring backwards: every *input* position writes a copy of
the kernel, scaled by its value, onto a window of the *output*, and overlapping
copies add up. The windows are those of an ordinary convolution with the same
kernel size, strides and padding whose input has the transposed convolution's output
shape, so a transposed convolution is exactly the input gradient of that convolution
(notebook 03) and upsamples by `strides`.
"""

import numpy as np

from coursekit import arithmetic
from coursekit._arguments import array_of_shape, as_pair, is_int, non_negative_int
from coursekit.scratch.windows import scatter_windows


def conv2d_transpose(x, kernel, bias=None, strides=1, padding="valid", output_padding=None):
    """Computes a 2-D transposed convolution exactly as `keras.layers.Conv2DTranspose` does.

    The kernel has Keras's layout for this layer, `(kernel_h, kernel_w, out_channels,
    in_channels)`: it is the kernel of the convolution that maps the output back to
    the input's shape. Input position `(i, j)` adds `x[n, i, j, f] * kernel[u, v, c, f]`
    to output cell `(i*s + u - p_top, j*s + v - p_left)` of channel `c`, for every tap
    `(u, v)`; contributions that fall into the cropped border are dropped.

    Output size per axis (`arithmetic.transposed_conv_output_size`): with
    `output_padding=None`, `"valid"` gives `W*s + max(k - s, 0)` and `"same"` gives
    `W*s`; with an `output_padding` `a`, it is `(W - 1)*s + k - 2*(k // 2 if "same"
    else 0) + a`. The border cropped, `p_top` and `p_left`, is TensorFlow's padding of
    that convolution: zero for `"valid"`, for `"same"` half the total, any odd extra
    cell cropped at the bottom or right.

    Equivalently (the view in the lectures): insert `s - 1` zeros between the input's
    values, pad `k - 1` zeros around them, and correlate with the kernel flipped in
    both spatial axes and its channel axes swapped; then crop.

    Args:
        x: input of shape `(batch, height, width, in_channels)`.
        kernel: weights of shape `(kernel_h, kernel_w, out_channels, in_channels)`.
        bias: `None` or a vector of `out_channels` values.
        strides: an int or an `(h, w)` pair: the upsampling factor.
        padding: `"valid"` or `"same"`.
        output_padding: `None` for Keras's default sizes, or an int or `(h, w)` pair of
            extra rows and columns, each smaller than its stride.

    Returns:
        An array of shape `(batch, out_height, out_width, out_channels)`.

    Raises:
        ValueError: if the shapes do not fit together, for another padding, for an
            `output_padding` not smaller than the stride, or when no convolution maps
            the output size back to the input size (Keras refuses those too, e.g.
            `"same"` with an even kernel and `output_padding=0`).

    Example (the lectures' example: a 2x2 input, a 3x3 kernel, stride 2, gives 5x5):

    >>> x = np.array([[1.0, 2.0], [3.0, 4.0]]).reshape(1, 2, 2, 1)
    >>> conv2d_transpose(x, np.ones((3, 3, 1, 1)), strides=2)[0, :, :, 0]
    array([[ 1.,  1.,  3.,  2.,  2.],
           [ 1.,  1.,  3.,  2.,  2.],
           [ 4.,  4., 10.,  6.,  6.],
           [ 3.,  3.,  7.,  4.,  4.],
           [ 3.,  3.,  7.,  4.,  4.]])
    """
    x, kernel = _check_operands(x, kernel)
    strides = as_pair(strides, "strides")
    output_size = _output_size(x.shape, kernel.shape, strides, padding, output_padding)
    output_shape = (x.shape[0], *output_size, kernel.shape[2])
    # Every input value times the kernel: one window of output values per input position.
    stamps = np.einsum("nijf,uvcf->nijcuv", x, kernel, optimize=True)
    output = scatter_windows(stamps, output_shape, kernel.shape[:2], strides, padding)
    if bias is not None:
        output = output + array_of_shape(bias, (kernel.shape[2],), "bias")
    return output


def _check_operands(x, kernel):
    x, kernel = np.asarray(x), np.asarray(kernel)
    if x.ndim != 4 or kernel.ndim != 4 or kernel.shape[3] != x.shape[3]:
        raise ValueError(
            "Expected x of shape (batch, height, width, in_channels) and kernel of shape "
            "(kernel_h, kernel_w, out_channels, in_channels) with matching in_channels. "
            f"Received: x.shape={x.shape}, kernel.shape={kernel.shape}."
        )
    return x, kernel


def _output_size(input_shape, kernel_shape, strides, padding, output_padding):
    """The output's `(height, width)`, after checking that a convolution maps it back."""
    if not isinstance(padding, str) or padding.lower() not in ("valid", "same"):
        raise ValueError(
            f"Transposed convolution padding must be 'valid' or 'same'. Received: padding={padding!r}."
        )
    paddings = _output_padding_pair(output_padding)
    sizes = []
    for axis in range(2):
        size, kernel_size = input_shape[1 + axis], kernel_shape[axis]
        extra, step = paddings[axis], strides[axis]
        if extra is not None and extra >= step:
            raise ValueError(
                "output_padding must be smaller than the stride. Received: "
                f"output_padding={output_padding!r}, strides={strides!r}."
            )
        out = arithmetic.transposed_conv_output_size(size, kernel_size, step, padding, extra)
        if out < 1 or arithmetic.conv_output_size(out, kernel_size, step, padding) != size:
            raise ValueError(
                f"No convolution with kernel {kernel_size}, stride {step} and padding "
                f"{padding!r} maps {out} positions back to {size}; change output_padding. "
                f"Received: input size {size}, output_padding={output_padding!r}."
            )
        sizes.append(out)
    return tuple(sizes)


def _output_padding_pair(output_padding):
    if output_padding is None:
        return (None, None)
    pair = (output_padding,) * 2 if is_int(output_padding) else tuple(output_padding)
    if len(pair) != 2:
        raise ValueError(
            "output_padding must be None, an int >= 0 or a pair of them. "
            f"Received: output_padding={output_padding!r}."
        )
    return tuple(non_negative_int(item, "output_padding") for item in pair)
