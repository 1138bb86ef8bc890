"""2-D convolution (Keras's cross-correlation) in NumPy, forward and backward.

Each pass comes twice. `conv2d_loops` and `conv2d_backward_loops` are the
definitions: loops over every output value, one window at a time, as the formulas
read. `conv2d` and `conv2d_backward` compute the same numbers (the tests hold them
to it) with a few large array operations over all windows at once (`im2col`),
hundreds of times faster.
"""

import numpy as np

from coursekit._arguments import array_of_shape, check_conv_operands
from coursekit.scratch.windows import extract_windows, scatter_windows, window_slices


def conv2d(x, kernel, bias=None, strides=1, padding="valid", dilation_rate=1):
    """Computes a 2-D convolution exactly as `keras.layers.Conv2D` does.

    Like every deep learning library, this is a cross-correlation: the kernel is
    not flipped. Output position `(i, j)` of filter `f` is

    `y[n, i, j, f] = bias[f] + sum_{u, v, c} x_pad[n, i*s + u*d, j*s + v*d, c] * kernel[u, v, c, f]`.

    `conv2d_loops` computes exactly this, one window at a time. Here the work is
    one matrix product between all windows (`im2col`) and the kernel.

    Args:
        x: input of shape `(batch, height, width, in_channels)`.
        kernel: weights of shape `(kernel_h, kernel_w, in_channels, filters)`.
        bias: `None` or a vector of `filters` values.
        strides: an int or an `(h, w)` pair.
        padding: `"valid"`, `"same"` (TensorFlow's placement, extra zero at the end),
            `"full"`, an int number of zeros on each side, or a pair `(pad_h, pad_w)`
            of these, one per axis.
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
    >>> conv2d(x, kernel, padding=(1, 0)).shape  # one zero above and below only
    (1, 4, 2, 1)
    """
    x, kernel = check_conv_operands(x, kernel)
    windows = extract_windows(x, kernel.shape[:2], strides, padding, dilation_rate)
    output = np.einsum("nhwcuv,uvcf->nhwf", windows, kernel, optimize=True)
    return output if bias is None else output + _bias(bias, kernel)


def conv2d_loops(x, kernel, bias=None, strides=1, padding="valid", dilation_rate=1):
    """The definition of `conv2d`, written as loops: one output value at a time.

    For every image `n`, output position `(i, j)` and filter `f`, it cuts out the
    window the kernel covers (padded rows `i*s, i*s + d, ...`, columns likewise;
    see `window_slices`), multiplies it by the filter and sums. It returns the
    same numbers as `conv2d`, but Python runs one small NumPy operation per output
    value, so it is hundreds of times slower: read it, time it, never train with it.

    Args:
        x, kernel, bias, strides, padding, dilation_rate: as in `conv2d`.

    Returns:
        An array of shape `(batch, out_height, out_width, filters)`.

    Example:

    >>> x = np.arange(16.0).reshape(1, 4, 4, 1)
    >>> conv2d_loops(x, np.ones((3, 3, 1, 1)))[0, :, :, 0]
    array([[45., 54.],
           [81., 90.]])
    """
    x, kernel = check_conv_operands(x, kernel)
    pads, rows, cols = window_slices(x.shape, kernel.shape[:2], strides, padding, dilation_rate)
    padded = np.pad(x, ((0, 0), *pads, (0, 0)))
    output = np.zeros(
        (len(x), len(rows), len(cols), kernel.shape[3]), dtype=np.result_type(x, kernel)
    )
    for n, i, j, f in np.ndindex(output.shape):
        window = padded[n, rows[i], cols[j], :]
        output[n, i, j, f] = np.sum(window * kernel[:, :, :, f])
    return output if bias is None else output + _bias(bias, kernel)


def conv2d_backward(grad_output, x, kernel, strides=1, padding="valid", dilation_rate=1):
    """Returns the gradients of a loss with respect to the input, kernel and bias of `conv2d`.

    Given `grad_output = dL/dy` for `y = conv2d(x, kernel, bias, strides, padding,
    dilation_rate)`:

    - `grad_bias[f] = sum_{n, i, j} grad_output[n, i, j, f]`;
    - `grad_kernel[u, v, c, f] = sum_{n, i, j} x_pad[n, i*s + u*d, j*s + v*d, c]
      * grad_output[n, i, j, f]`: every position where the weight was used
      contributes, so it is a cross-correlation of the input with the gradient;
    - `grad_x` sends each output's gradient back through the weights to the
      inputs its window read. For stride 1 and no dilation this equals padding
      `grad_output` by `k - 1` on each side and cross-correlating it (what
      `conv2d` computes) with the kernel rotated by 180 degrees and its channel
      axes swapped (equivalently: a true "full" convolution with the kernel
      itself), then cutting the forward pass's padding off again. A stride
      inserts `strides - 1` zeros between the gradient's values first.

    `conv2d_backward_loops` computes exactly this, one window at a time. Here the
    work is two matrix products over the windows (`im2col`) and, for `grad_x`,
    one strided addition per kernel tap (`col2im`); no loop over pixels.

    Args:
        grad_output: the gradient with respect to the output, of shape
            `(batch, out_height, out_width, filters)`.
        x: the forward pass's input, `(batch, height, width, in_channels)`.
        kernel: the forward pass's weights, `(kernel_h, kernel_w, in_channels, filters)`.
        strides, padding, dilation_rate: as in `conv2d`.

    Returns:
        A tuple `(grad_x, grad_kernel, grad_bias)` shaped like `x`, `kernel` and
        a bias vector of `filters` values.

    Raises:
        ValueError: if the shapes do not fit together.

    Example (one 3x3 input, a 2x2 kernel of ones, an upstream gradient of ones):

    >>> x = np.arange(9.0).reshape(1, 3, 3, 1)
    >>> grad_x, grad_kernel, grad_bias = conv2d_backward(
    ...     np.ones((1, 2, 2, 1)), x, np.ones((2, 2, 1, 1)))
    >>> grad_x[0, :, :, 0]
    array([[1., 2., 1.],
           [2., 4., 2.],
           [1., 2., 1.]])
    >>> grad_kernel[:, :, 0, 0], grad_bias
    (array([[ 8., 12.],
           [20., 24.]]), array([4.]))
    """
    x, kernel = check_conv_operands(x, kernel)
    windows = extract_windows(x, kernel.shape[:2], strides, padding, dilation_rate)
    grad_output = array_of_shape(grad_output, (*windows.shape[:3], kernel.shape[3]), "grad_output")
    grad_bias = grad_output.sum(axis=(0, 1, 2))
    # (n, i, j) are summed: windows as rows, output gradients as columns (im2col).
    grad_kernel = np.tensordot(windows, grad_output, axes=([0, 1, 2], [0, 1, 2]))
    grad_kernel = grad_kernel.transpose(1, 2, 0, 3)
    grad_windows = np.einsum("nijf,uvcf->nijcuv", grad_output, kernel, optimize=True)
    grad_x = scatter_windows(
        grad_windows, x.shape, kernel.shape[:2], strides, padding, dilation_rate
    )
    return grad_x, grad_kernel, grad_bias


def conv2d_backward_loops(grad_output, x, kernel, strides=1, padding="valid", dilation_rate=1):
    """The definition of `conv2d_backward`, written as loops: one output value at a time.

    The forward pass used weight `kernel[:, :, :, f]` on the window of output
    `(n, i, j, f)`, so that output's gradient `g` flows back along the same
    connections: `g * kernel[:, :, :, f]` is added to the window's inputs and
    `g * window` to the filter's weights. Windows overlap, so the additions
    accumulate. The padding's share is cut off at the end. It returns the same
    numbers as `conv2d_backward`, hundreds of times more slowly.

    Args:
        grad_output, x, kernel, strides, padding, dilation_rate: as in `conv2d_backward`.

    Returns:
        A tuple `(grad_x, grad_kernel, grad_bias)` shaped like `x`, `kernel` and
        a bias vector of `filters` values.

    Example (the overlapping windows of a 2x2 kernel on a 3x3 input):

    >>> grad_x, _, _ = conv2d_backward_loops(
    ...     np.ones((1, 2, 2, 1)), np.zeros((1, 3, 3, 1)), np.ones((2, 2, 1, 1)))
    >>> grad_x[0, :, :, 0]
    array([[1., 2., 1.],
           [2., 4., 2.],
           [1., 2., 1.]])
    """
    x, kernel = check_conv_operands(x, kernel)
    pads, rows, cols = window_slices(x.shape, kernel.shape[:2], strides, padding, dilation_rate)
    grad_output = array_of_shape(
        grad_output, (len(x), len(rows), len(cols), kernel.shape[3]), "grad_output"
    )
    padded = np.pad(x, ((0, 0), *pads, (0, 0)))
    grad_padded = np.zeros(padded.shape, dtype=np.result_type(grad_output, kernel))
    grad_kernel = np.zeros(kernel.shape, dtype=np.result_type(grad_output, x))
    for n, i, j, f in np.ndindex(grad_output.shape):
        g = grad_output[n, i, j, f]
        grad_padded[n, rows[i], cols[j], :] += g * kernel[:, :, :, f]
        grad_kernel[:, :, :, f] += g * padded[n, rows[i], cols[j], :]
    (top, _), (left, _) = pads
    grad_x = grad_padded[:, top : top + x.shape[1], left : left + x.shape[2], :]
    return grad_x, grad_kernel, grad_output.sum(axis=(0, 1, 2))


def _bias(bias, kernel):
    return array_of_shape(bias, (kernel.shape[3],), "bias")
