"""Exercises of notebook 01, convolution arithmetic: output sizes, a conv layer,
layer statistics and receptive fields, with the hints for classic mistakes.
"""

import math

import numpy as np

from coursekit import arithmetic
from coursekit.grading import fuzz, same_padding_mistakes
from coursekit.grading.registry import Case, Hint, coding, written
from coursekit.scratch import conv2d

# --- 01.1 conv_output_size -----------------------------------------------------


def _conv_output_size_cases():
    return [
        Case("AlexNet conv1: 227 inputs, kernel 11, stride 4", (227, 11), {"strides": 4}),
        Case("7 inputs, kernel 3, default arguments", (7, 3)),
        Case("32 inputs, kernel 5, padding 2 keeps the size", (32, 5), {"padding": 2}),
        Case("10 inputs, kernel 3, stride 2: the windows do not tile", (10, 3), {"strides": 2}),
        Case("7 inputs, kernel 3, stride 2, 'valid'", (7, 3), {"strides": 2, "padding": "valid"}),
        Case("8 inputs, kernel 3, stride 2, 'same'", (8, 3), {"strides": 2, "padding": "same"}),
        Case("13 inputs, kernel 4, stride 3, 'same'", (13, 4), {"strides": 3, "padding": "same"}),
        Case("5 inputs, kernel 3, 'full'", (5, 3), {"padding": "full"}),
        Case("9 inputs, kernel 3, dilation 2", (9, 3), {"dilation_rate": 2}),
        Case(
            "6 inputs, kernel 3, 'full', dilation 2",
            (6, 3),
            {"padding": "full", "dilation_rate": 2},
        ),
        Case(
            "16 inputs, kernel 3, stride 2, padding 1, dilation 3",
            (16, 3),
            {"strides": 2, "padding": 1, "dilation_rate": 3},
        ),
    ]


def _conv_output_size_fuzz(rng):
    def make(rng):
        kwargs = {
            "strides": int(rng.integers(1, 7)),
            "padding": fuzz.pick(rng, [0, 1, 2, 3, "valid", "same", "full"]),
            "dilation_rate": int(rng.integers(1, 4)),
        }
        return (int(rng.integers(1, 41)), int(rng.integers(1, 10))), kwargs

    return fuzz.draw(rng, 400, make, arithmetic.conv_output_size)


def _true_division(input_size, kernel_size, strides=1, padding=0, dilation_rate=1):
    span = (kernel_size - 1) * dilation_rate + 1
    pad = arithmetic.padding_per_side(padding, span) if padding != "same" else 0
    return (input_size - span + 2 * pad) / strides + 1


def _no_dilation(input_size, kernel_size, strides=1, padding=0, dilation_rate=1):
    return arithmetic.conv_output_size(input_size, kernel_size, strides, padding)


def _padding_once(input_size, kernel_size, strides=1, padding=0, dilation_rate=1):
    if isinstance(padding, str):
        return arithmetic.conv_output_size(input_size, kernel_size, strides, padding, dilation_rate)
    return arithmetic.conv_output_size(input_size + padding, kernel_size, strides, 0, dilation_rate)


def _same_ignores_stride(input_size, kernel_size, strides=1, padding=0, dilation_rate=1):
    if padding == "same":
        return input_size
    return arithmetic.conv_output_size(input_size, kernel_size, strides, padding, dilation_rate)


CONV_OUTPUT_SIZE = coding(
    "01.1",
    "Output size of a convolution",
    2,
    reference=arithmetic.conv_output_size,
    cases=_conv_output_size_cases,
    fuzz=_conv_output_size_fuzz,
    hints=(
        Hint("Windows that do not fit are dropped: round down with `//`.", _true_division),
        Hint(
            "A dilated kernel spans (kernel_size - 1) * dilation_rate + 1 inputs.",
            _no_dilation,
        ),
        Hint("An int padding adds that many zeros on each side.", _padding_once),
        Hint(
            "With 'same', the output has ceil(input_size / strides) positions.",
            _same_ignores_stride,
        ),
    ),
)


# --- 01.2 conv2d ---------------------------------------------------------------


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
        case(
            "'same' padding, stride 3, a 5x7 image and a 3x4 kernel: 5 rows give "
            "ceil(5 / 3) = 2 outputs, and each axis has its own padding",
            (2, 5, 7, 2),
            (3, 4, 2, 3),
            strides=3,
            padding="same",
        ),
        case(
            "'same' padding, stride 3, a 2x1 kernel on a 9x8 image: the window is "
            "smaller than the stride, so nothing is padded",
            (1, 9, 8, 1),
            (2, 1, 1, 2),
            strides=3,
            padding="same",
        ),
    ]


def _conv2d_fuzz(rng):
    def make(rng):
        channels, filters = (int(n) for n in rng.integers(1, 4, size=2))
        x = fuzz.values(rng, (int(rng.integers(1, 3)), *rng.integers(1, 10, size=2), channels))
        kernel = fuzz.values(rng, (*rng.integers(1, 5, size=2), channels, filters))
        bias = fuzz.pick(rng, [None, rng.normal(size=filters)])
        kwargs = {
            "strides": int(rng.integers(1, 5)),
            "padding": fuzz.pick(rng, ["valid", "same"]),
            "dilation_rate": int(rng.integers(1, 4)),
        }
        return (x, kernel, bias), kwargs

    return fuzz.draw(rng, 150, make, conv2d)


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


CONV2D = coding(
    "01.2",
    "A convolutional layer from scratch",
    4,
    reference=conv2d,
    cases=_conv2d_cases,
    fuzz=_conv2d_fuzz,
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
        # The extra zero's place has its own hint above.
        *same_padding_mistakes.hints(
            "conv2d",
            "swapped",
            "width_for_both",
            "height_for_both",
            "floor",
            "all_after",
        ),
    ),
)


# --- 01.3 conv_layer_stats -----------------------------------------------------


def _conv_layer_stats_cases():
    return [
        Case("AlexNet conv1", ((227, 227, 3), 96, 11), {"strides": 4}),
        Case("ten 5x5 filters on 32x32x3, padding 2", ((32, 32, 3), 10, 5), {"padding": 2}),
        Case("eight 3x3 filters on 16x16x20", ((16, 16, 20), 8, 3)),
        Case("six 5x5 filters on a 28x28 grey image", ((28, 28, 1), 6, 5)),
        Case("64 3x3 filters on 224x224x3, 'same'", ((224, 224, 3), 64, 3), {"padding": "same"}),
        Case("a 1x1 convolution from 256 to 64 channels", ((14, 14, 256), 64, 1)),
        Case(
            "a 3x5 kernel with strides (2, 1) on 15x20x4",
            ((15, 20, 4), 7, (3, 5)),
            {"strides": (2, 1)},
        ),
    ]


def _conv_layer_stats_fuzz(rng):
    def make(rng):
        input_shape = tuple(int(n) for n in (*rng.integers(1, 41, size=2), rng.integers(1, 9)))
        kwargs = {
            "strides": fuzz.int_or_pair(rng, 1, 4),
            "padding": fuzz.pick(rng, [0, 1, 2, 3, "valid", "same", "full"]),
        }
        return (input_shape, int(rng.integers(1, 17)), fuzz.int_or_pair(rng, 1, 7)), kwargs

    return fuzz.draw(rng, 300, make, arithmetic.conv_layer_stats)


def _stats_without_bias(input_shape, filters, kernel_size, strides=1, padding=0):
    stats = arithmetic.conv_layer_stats(input_shape, filters, kernel_size, strides, padding)
    weights = stats["weights_per_neuron"] - 1
    return {
        **stats,
        "weights_per_neuron": weights,
        "connections": stats["neurons"] * weights,
        "parameters": filters * weights,
    }


def _stats_without_sharing(input_shape, filters, kernel_size, strides=1, padding=0):
    stats = arithmetic.conv_layer_stats(input_shape, filters, kernel_size, strides, padding)
    return {**stats, "parameters": stats["connections"]}


def _stats_ignoring_depth(input_shape, filters, kernel_size, strides=1, padding=0):
    kernel_h, kernel_w = arithmetic.as_pair(kernel_size, "kernel_size")
    stats = arithmetic.conv_layer_stats(input_shape, filters, kernel_size, strides, padding)
    weights = kernel_h * kernel_w + 1
    return {
        **stats,
        "weights_per_neuron": weights,
        "connections": stats["neurons"] * weights,
        "parameters": filters * weights,
    }


CONV_LAYER_STATS = coding(
    "01.3",
    "Neurons, connections and parameters of a conv layer",
    3,
    reference=arithmetic.conv_layer_stats,
    cases=_conv_layer_stats_cases,
    fuzz=_conv_layer_stats_fuzz,
    hints=(
        Hint("Each neuron also has a bias: weights_per_neuron counts it.", _stats_without_bias),
        Hint(
            "Neurons of one depth slice share their filter: parameters = filters x "
            "weights per neuron.",
            _stats_without_sharing,
        ),
        Hint("A filter extends through the full depth of its input.", _stats_ignoring_depth),
    ),
)


# --- 01.4 written answer ------------------------------------------------------------------

FEW_PARAMETERS = written("01.4", "Why convolutional layers need so few parameters", 2)


# --- 01.5 receptive_field ------------------------------------------------------


def _receptive_field_cases():
    alexnet = [(11, 4), (3, 2), (5, 1), (3, 2), (3, 1), (3, 1), (3, 1), (3, 2)]
    return [
        Case("no layers", ([],)),
        Case("three stacked 3x3 convolutions", ([(3, 1), (3, 1), (3, 1)],)),
        Case("AlexNet conv1 then pool1", ([(11, 4), (3, 2)],)),
        Case("one 3x3 convolution with dilation 2", ([(3, 1, 2)],)),
        Case("three 2x2 poolings with stride 2", ([(2, 2), (2, 2), (2, 2)],)),
        Case("AlexNet's five conv and three pooling layers", (alexnet,)),
        Case("stride 2, then dilation 2, then a 1x1", ([(3, 2), (3, 1, 2), (1, 1)],)),
        Case("3x3 layers with dilation 1, 2, 4", ([(3, 1, 1), (3, 1, 2), (3, 1, 4)],)),
    ]


def _receptive_field_fuzz(rng):
    def layer(rng):
        kernel_size, strides, dilation_rate = (int(n) for n in rng.integers(1, [8, 5, 4]))
        return fuzz.pick(rng, [(kernel_size, strides), (kernel_size, strides, dilation_rate)])

    def make(rng):
        return ([layer(rng) for _ in range(rng.integers(0, 7))],), {}

    return fuzz.draw(rng, 300, make, arithmetic.receptive_field)


def _field_without_jump(layers):
    return 1 + sum(arithmetic.effective_kernel_size(k, *d) - 1 for k, _, *d in layers)


def _field_with_own_stride(layers):
    size, jump = 1, 1
    for kernel_size, strides, *dilation in layers:
        jump *= strides
        size += (arithmetic.effective_kernel_size(kernel_size, *dilation) - 1) * jump
    return size


def _field_without_dilation(layers):
    return arithmetic.receptive_field([layer[:2] for layer in layers])


def _field_as_product(layers):
    return math.prod(layer[0] for layer in layers)


RECEPTIVE_FIELD = coding(
    "01.5",
    "Receptive field of a stack of layers",
    2,
    reference=arithmetic.receptive_field,
    cases=_receptive_field_cases,
    fuzz=_receptive_field_fuzz,
    hints=(
        Hint(
            "Above a stride, one step of a layer moves further across the input: "
            "multiply (kernel - 1) by the product of the strides below the layer.",
            _field_without_jump,
        ),
        Hint(
            "A layer's own stride does not widen its own field; it only affects the "
            "layers above it.",
            _field_with_own_stride,
        ),
        Hint(
            "A dilated kernel spans (kernel_size - 1) * dilation_rate + 1 inputs.",
            _field_without_dilation,
        ),
    ),
)


# --- 01.6 written answer ------------------------------------------------------------------

STACKS_OF_3X3 = written("01.6", "Three 3x3 layers or one 7x7 layer?", 2)


EXERCISES = (
    CONV_OUTPUT_SIZE,
    CONV2D,
    CONV_LAYER_STATS,
    FEW_PARAMETERS,
    RECEPTIVE_FIELD,
    STACKS_OF_3X3,
)
