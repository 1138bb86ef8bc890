"""Exercises on the convolution operation itself."""

import numpy as np

from coursekit.grading.registry import Case, Exercise, Hint, register
from coursekit.scratch import conv2d


def _conv2d_cases():
    rng = np.random.default_rng(2024)

    def case(description, x_shape, kernel_shape, bias=True, **kwargs):
        x = rng.integers(-4, 5, size=x_shape).astype(np.float64)
        kernel = rng.integers(-3, 4, size=kernel_shape).astype(np.float64)
        args = (x, kernel, rng.normal(size=kernel_shape[-1]) if bias else None)
        return Case(description, args, kwargs)

    return [
        case("one 5x5 image, one 3x3 filter, no bias", (1, 5, 5, 1), (3, 3, 1, 1), bias=False),
        case("2 images with 3 channels, 4 filters, bias", (2, 6, 5, 3), (3, 3, 3, 4)),
        case("a 2x3 kernel", (1, 5, 6, 2), (2, 3, 2, 3)),
        case("stride 2 on a 7x7 image", (2, 7, 7, 2), (3, 3, 2, 2), strides=2),
        case("'same' padding, stride 1", (1, 5, 6, 2), (3, 3, 2, 3), padding="same"),
        case(
            "'same' padding, stride 2, even size",
            (2, 6, 6, 1),
            (3, 3, 1, 2),
            strides=2,
            padding="same",
        ),
        case("'same' padding with a 4x4 kernel", (1, 7, 7, 1), (4, 4, 1, 1), padding="same"),
        case("dilation 2", (1, 8, 7, 2), (3, 3, 2, 2), dilation_rate=2),
        case(
            "'same' padding and dilation 2",
            (1, 6, 6, 1),
            (3, 3, 1, 2),
            padding="same",
            dilation_rate=2,
        ),
    ]


def _flipped_kernel(x, kernel, bias=None, **kwargs):
    return conv2d(x, kernel[::-1, ::-1], bias, **kwargs)


def _no_bias(x, kernel, bias=None, **kwargs):
    return conv2d(x, kernel, None, **kwargs)


def _ignores_strides(x, kernel, bias=None, strides=1, **kwargs):
    return conv2d(x, kernel, bias, **kwargs)


def _extra_padding_first(x, kernel, bias=None, strides=1, padding="valid", dilation_rate=1):
    """Pads the odd extra zero before the input instead of after it."""
    flipped = conv2d(x[:, ::-1, ::-1], kernel[::-1, ::-1], bias, strides, padding, dilation_rate)
    return flipped[:, ::-1, ::-1]


def _ignores_dilation(x, kernel, bias=None, dilation_rate=1, **kwargs):
    return conv2d(x, kernel, bias, **kwargs)


register(
    Exercise(
        id="01.2",
        notebook="01_convolution_arithmetic",
        title="A convolutional layer from scratch",
        points=4,
        target="conv2d",
        reference=conv2d,
        cases=_conv2d_cases,
        hints=(
            Hint(
                "This is a true convolution (flipped kernel). Keras's Conv2D computes a "
                "cross-correlation: use kernel[u, v] as it is.",
                _flipped_kernel,
            ),
            Hint("Add bias[f] to every output of filter f (when bias is not None).", _no_bias),
            Hint("Move the window by `strides` pixels between outputs.", _ignores_strides),
            Hint(
                "With 'same' padding and an odd total, the extra zero goes after the input "
                "(bottom and right), as in TensorFlow.",
                _extra_padding_first,
            ),
            Hint(
                "With dilation d, kernel tap (u, v) reads input (i*s + u*d, j*s + v*d).",
                _ignores_dilation,
            ),
        ),
    )
)
