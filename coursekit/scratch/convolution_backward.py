"""The backward pass of `conv2d`: gradients for the input, the kernel and the bias."""

import numpy as np

from coursekit.scratch.convolution import check_conv_operands
from coursekit.scratch.windows import extract_windows, scatter_windows


def conv2d_backward(grad_output, x, kernel, strides=1, padding="valid", dilation_rate=1):
    """Returns the gradients of a loss with respect to the input, kernel and bias of `conv2d`.

    Given `grad_output = dL/dy` for `y = conv2d(x, kernel, bias, strides, padding,
    dilation_rate)`:

    - `grad_bias[f] = sum_{n, i, j} grad_output[n, i, j, f]`;
    - `grad_kernel[u, v, c, f] = sum_{n, i, j} x_pad[n, i*s + u*d, j*s + v*d, c]
      * grad_output[n, i, j, f]`: every position where the weight was used
      contributes, so it is a cross-correlation of the input with the gradient;
    - `grad_x` sends each output's gradient back through the weights to the
      inputs its window read. This equals a "full" convolution of
      `grad_output` (with `strides - 1` zeros inserted between its values) with
      the kernel flipped in both spatial axes and its channel axes swapped, with
      the padding cut off again.

    The work is two matrix products over the windows (`im2col`) and, for
    `grad_x`, one strided addition per kernel tap (`col2im`); no loop over pixels.

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
    grad_output = np.asarray(grad_output)
    x, kernel = check_conv_operands(x, kernel)
    windows = extract_windows(x, kernel.shape[:2], strides, padding, dilation_rate)
    expected = (*windows.shape[:3], kernel.shape[3])
    if grad_output.shape != expected:
        raise ValueError(
            f"Expected grad_output of the output shape {expected}. "
            f"Received: grad_output.shape={grad_output.shape}."
        )
    grad_bias = grad_output.sum(axis=(0, 1, 2))
    # (n, i, j) are summed: windows as rows, output gradients as columns (im2col).
    grad_kernel = np.tensordot(windows, grad_output, axes=([0, 1, 2], [0, 1, 2]))
    grad_kernel = grad_kernel.transpose(1, 2, 0, 3)
    grad_windows = np.einsum("nijf,uvcf->nijcuv", grad_output, kernel, optimize=True)
    grad_x = scatter_windows(
        grad_windows, x.shape, kernel.shape[:2], strides, padding, dilation_rate
    )
    return grad_x, grad_kernel, grad_bias
