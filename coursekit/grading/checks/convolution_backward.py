"""The convolution backward exercise of notebook 03, with its classic mistakes."""

import numpy as np

from coursekit import arithmetic
from coursekit.grading.checks.backprop import NOTEBOOK_03
from coursekit.grading.registry import Case, Exercise, Hint, register
from coursekit.scratch import conv2d, conv2d_backward
from coursekit.scratch.windows import padding_amounts


def _conv_backward_cases():
    rng = np.random.default_rng(3003)

    def case(description, x_shape, kernel_shape, **kwargs):
        x = rng.integers(-3, 4, size=x_shape).astype(np.float64)
        kernel = rng.integers(-2, 3, size=kernel_shape).astype(np.float64)
        grad = rng.normal(size=conv2d(x, kernel, **kwargs).shape).round(2)
        return Case(description, (grad, x, kernel), kwargs)

    return [
        case("one 5x5 image, one asymmetric 3x3 filter", (1, 5, 5, 1), (3, 3, 1, 1)),
        case("2 images, 3 channels, 4 filters", (2, 6, 5, 3), (3, 3, 3, 4)),
        case("a 2x3 kernel", (2, 5, 6, 2), (2, 3, 2, 3)),
        case("stride 2: the windows overlap", (2, 7, 7, 2), (3, 3, 2, 2), strides=2),
        case(
            "stride 3 with a 2x2 kernel: some inputs are skipped",
            (1, 8, 8, 1),
            (2, 2, 1, 2),
            strides=3,
        ),
        case("'same' padding", (2, 5, 6, 2), (3, 3, 2, 3), padding="same"),
        case(
            "'same' padding, stride 2, even size",
            (2, 6, 6, 1),
            (3, 3, 1, 2),
            strides=2,
            padding="same",
        ),
        case("dilation 2", (1, 8, 7, 2), (3, 3, 2, 2), dilation_rate=2),
    ]


def _input_gradient_by_full_convolution(
    grad_output, x, kernel, strides=1, padding="valid", dilation_rate=1
):
    """grad_x as a full convolution of the gradient with the kernel *not* flipped."""
    (stride_h, stride_w) = arithmetic.as_pair(strides, "strides")
    batch, out_h, out_w, filters = grad_output.shape
    spread = np.zeros((batch, (out_h - 1) * stride_h + 1, (out_w - 1) * stride_w + 1, filters))
    spread[:, ::stride_h, ::stride_w] = grad_output
    back = conv2d(spread, kernel.transpose(0, 1, 3, 2), padding="full", dilation_rate=dilation_rate)
    pads = _conv_pads(x, kernel, strides, padding, dilation_rate)
    padded = np.zeros(
        (x.shape[0], x.shape[1] + sum(pads[0]), x.shape[2] + sum(pads[1]), x.shape[3])
    )
    padded[:, : back.shape[1], : back.shape[2]] = back
    return padded[:, pads[0][0] : pads[0][0] + x.shape[1], pads[1][0] : pads[1][0] + x.shape[2]]


def _conv_pads(x, kernel, strides, padding, dilation_rate):
    return [
        padding_amounts(size, taps, step, padding, dilation_rate)
        for size, taps, step in zip(
            x.shape[1:3], kernel.shape[:2], arithmetic.as_pair(strides, "strides"), strict=True
        )
    ]


def _conv_backward_unflipped(grad_output, x, kernel, strides=1, padding="valid", dilation_rate=1):
    _, grad_kernel, grad_bias = conv2d_backward(
        grad_output, x, kernel, strides, padding, dilation_rate
    )
    grad_x = _input_gradient_by_full_convolution(
        grad_output, x, kernel, strides, padding, dilation_rate
    )
    return grad_x, grad_kernel, grad_bias


def _conv_backward_ignores_strides(
    grad_output, x, kernel, strides=1, padding="valid", dilation_rate=1
):
    """Reads and writes the windows as if they were one step apart."""
    pads = _conv_pads(x, kernel, strides, padding, dilation_rate)
    padded = np.pad(x, ((0, 0), *pads, (0, 0)))
    grad_padded, grad_kernel = np.zeros_like(padded), np.zeros_like(kernel)
    out_h, out_w = grad_output.shape[1:3]
    for u, v in np.ndindex(kernel.shape[:2]):
        rows = slice(u * dilation_rate, u * dilation_rate + out_h)
        cols = slice(v * dilation_rate, v * dilation_rate + out_w)
        grad_kernel[u, v] = np.einsum("nijc,nijf->cf", padded[:, rows, cols], grad_output)
        grad_padded[:, rows, cols] += grad_output @ kernel[u, v].T
    grad_x = grad_padded[
        :, pads[0][0] : pads[0][0] + x.shape[1], pads[1][0] : pads[1][0] + x.shape[2]
    ]
    return grad_x, grad_kernel, grad_output.sum(axis=(0, 1, 2))


def _conv_backward_without_bias(
    grad_output, x, kernel, strides=1, padding="valid", dilation_rate=1
):
    grad_x, grad_kernel, grad_bias = conv2d_backward(
        grad_output, x, kernel, strides, padding, dilation_rate
    )
    return grad_x, grad_kernel, np.zeros_like(grad_bias)


def _conv_backward_batch_mean(grad_output, x, kernel, strides=1, padding="valid", dilation_rate=1):
    grad_x, grad_kernel, grad_bias = conv2d_backward(
        grad_output, x, kernel, strides, padding, dilation_rate
    )
    return grad_x, grad_kernel / x.shape[0], grad_bias / x.shape[0]


register(
    Exercise(
        id="03.3",
        notebook=NOTEBOOK_03,
        title="Backpropagation through a convolutional layer",
        points=4,
        target="conv2d_backward",
        reference=conv2d_backward,
        cases=_conv_backward_cases,
        hints=(
            Hint(
                "grad_x is a full convolution of the upstream gradient with the kernel "
                "flipped in both spatial axes (a..i becomes i..a): use kernel[::-1, ::-1].",
                _conv_backward_unflipped,
            ),
            Hint(
                "The bias is added at every position: grad_bias[f] sums grad_output[..., f] "
                "over images and positions.",
                _conv_backward_without_bias,
            ),
            Hint(
                "With strides s, output (i, j) read the window at (i * s, j * s), so its "
                "gradient goes back to those cells (in the full-convolution view: put s - 1 "
                "zeros between the upstream gradient's values).",
                _conv_backward_ignores_strides,
            ),
            Hint(
                "The loss adds up over the batch, so the weight gradients are sums over all "
                "images and positions, not means.",
                _conv_backward_batch_mean,
            ),
        ),
    )
)
