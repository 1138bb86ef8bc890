"""Output sizes, counts and receptive fields: the lectures' numbers and Keras's shapes."""

import itertools
import math

import keras
import pytest

from coursekit import arithmetic


def test_alexnet_conv1_numbers_from_the_lecture():
    stats = arithmetic.conv_layer_stats((227, 227, 3), filters=96, kernel_size=11, strides=4)
    assert stats == {
        "output_shape": (55, 55, 96),
        "weights_per_neuron": 364,
        "neurons": 290_400,
        "connections": 105_705_600,
        "parameters": 34_944,
    }


def test_lecture_examples_of_local_connectivity():
    # 32x32x3 input, 5x5 receptive field: 75 weights (+1 bias) per neuron.
    assert arithmetic.conv_layer_stats((32, 32, 3), 1, 5)["weights_per_neuron"] == 76
    # 16x16x20 input, 3x3 receptive field: 180 connections (+1 bias) per neuron.
    assert arithmetic.conv_layer_stats((16, 16, 20), 1, 3)["weights_per_neuron"] == 181
    # Ten 5x5x3 filters with biases, whatever the input size, stride or padding.
    stats = arithmetic.conv_layer_stats((32, 32, 3), 10, 5, strides=1, padding=2)
    assert stats["parameters"] == (5 * 5 * 3 + 1) * 10 == 760
    assert stats["output_shape"] == (32, 32, 10)


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        ((227, 11, 4, 0), 55),  # AlexNet conv1
        ((7, 3, 1, 0), 5),
        ((7, 3, 2, 0), 3),
        ((32, 5, 1, 2), 32),
        ((5, 3, 1, "full"), 7),
        ((10, 3, 2, 0), 4),  # (10 - 3)/2 + 1 = 4.5 does not tile: floor
    ],
)
def test_conv_output_size_formula(args, expected):
    assert arithmetic.conv_output_size(*args) == expected


def test_lecture_ceil_forms_for_strided_convolution():
    for input_size, kernel_size, strides in itertools.product(
        range(1, 20), (1, 2, 3, 5), (1, 2, 3)
    ):
        if kernel_size > input_size:
            continue
        no_padding = -(-(input_size - kernel_size + 1) // strides)
        assert arithmetic.conv_output_size(input_size, kernel_size, strides, "valid") == no_padding
        with_padding = -(-input_size // strides)
        assert arithmetic.conv_output_size(input_size, kernel_size, strides, "same") == with_padding


def test_ceil_forms_and_keras_agree_on_notebook_01s_180_cases():
    # The check notebook 01 used to run inline: sizes 5-19, kernels 1-5, strides 1-3.
    checked = 0
    for size, kernel_size, strides in itertools.product(range(5, 20), (1, 2, 3, 5), (1, 2, 3)):
        valid = arithmetic.conv_output_size(size, kernel_size, strides, "valid")
        same = arithmetic.conv_output_size(size, kernel_size, strides, "same")
        assert valid == math.ceil((size - kernel_size + 1) / strides)
        assert same == math.ceil(size / strides)
        for padding, expected in (("valid", valid), ("same", same)):
            layer = keras.layers.Conv2D(1, kernel_size, strides=strides, padding=padding)
            assert layer.compute_output_shape((1, size, size, 1))[1] == expected
            checked += 1
    assert checked == 360  # 180 sizes, each with two paddings


def test_dilation_formula_from_the_lecture():
    # floor((m + 2p - n - (n-1)(d-1))/s) + 1
    for m, n, p, s, d in itertools.product((9, 16), (2, 3), (0, 1, 2), (1, 2, 3), (1, 2, 3)):
        expected = (m + 2 * p - n - (n - 1) * (d - 1)) // s + 1
        assert arithmetic.conv_output_size(m, n, s, p, d) == expected


def test_strict_mode_rejects_windows_that_do_not_tile():
    assert arithmetic.conv_output_size(227, 11, 4, strict=True) == 55
    with pytest.raises(ValueError, match=r"do not tile.*4\.5"):
        arithmetic.conv_output_size(10, 3, 2, strict=True)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"input_size": 0, "kernel_size": 3},
        {"input_size": 5, "kernel_size": 3, "strides": 0},
        {"input_size": 5, "kernel_size": 3, "padding": "half"},
        {"input_size": 5, "kernel_size": 3, "padding": -1},
        {"input_size": 2, "kernel_size": 3},
        {"input_size": 5, "kernel_size": 2.0},
    ],
)
def test_bad_arguments_say_what_was_received(kwargs):
    with pytest.raises(ValueError, match="Received"):
        arithmetic.conv_output_size(**kwargs)


CONV_CASES = [
    (size, kernel, strides, padding, dilation)
    for size, kernel, strides, padding, dilation in itertools.product(
        (7, 8, 13), (1, 2, 3, 5), (1, 2, 3), ("valid", "same"), (1, 2)
    )
    # Keras refuses strides and dilation together, and kernels wider than the input.
    if not (strides > 1 and dilation > 1) and (kernel - 1) * dilation < size
]


@pytest.mark.parametrize(("size", "kernel", "strides", "padding", "dilation"), CONV_CASES)
def test_conv_output_size_matches_keras(size, kernel, strides, padding, dilation):
    layer = keras.layers.Conv2D(1, kernel, strides=strides, padding=padding, dilation_rate=dilation)
    expected = layer.compute_output_shape((1, size, size + 1, 1))
    got = (
        arithmetic.conv_output_size(size, kernel, strides, padding, dilation),
        arithmetic.conv_output_size(size + 1, kernel, strides, padding, dilation),
    )
    assert got == expected[1:3]


@pytest.mark.parametrize(
    ("size", "pool", "strides", "padding"),
    list(itertools.product((7, 8, 55), (2, 3), (None, 1, 2, 3), ("valid", "same"))),
)
def test_pool_output_size_matches_keras(size, pool, strides, padding):
    layer = keras.layers.MaxPooling2D(pool, strides=strides, padding=padding)
    expected = layer.compute_output_shape((1, size, size, 1))[1]
    assert arithmetic.pool_output_size(size, pool, strides, padding) == expected


@pytest.mark.parametrize(
    ("size", "kernel", "strides", "padding", "output_padding", "dilation"),
    [
        case
        for case in itertools.product(
            (3, 4, 7), (1, 2, 3, 4), (1, 2, 3), ("valid", "same"), (None, 0, 1), (1, 2)
        )
        if (case[4] is None or case[4] < case[2]) and not (case[2] > 1 and case[5] > 1)
    ],
)
def test_transposed_conv_output_size_matches_keras(
    size, kernel, strides, padding, output_padding, dilation
):
    layer = keras.layers.Conv2DTranspose(
        1,
        kernel,
        strides=strides,
        padding=padding,
        output_padding=output_padding,
        dilation_rate=dilation,
    )
    expected = layer.compute_output_shape((1, size, size, 1))[1]
    got = arithmetic.transposed_conv_output_size(
        size, kernel, strides, padding, output_padding, dilation
    )
    assert got == expected


def test_transposed_conv_inverts_the_conv_shape():
    for size, kernel, strides, padding in itertools.product((8, 9), (2, 3), (1, 2), (0, 1)):
        down = arithmetic.conv_output_size(size, kernel, strides, padding)
        extra = (size + 2 * padding - kernel) % strides
        assert arithmetic.transposed_conv_output_size(down, kernel, strides, padding, extra) == size


def test_receptive_field_of_stacks():
    assert arithmetic.receptive_field([]) == 1
    assert arithmetic.receptive_field([(3, 1)] * 3) == 7
    assert arithmetic.receptive_field([(3, 1)] * 2) == 5
    assert arithmetic.receptive_field([(3, 1, 2)]) == 5
    assert arithmetic.receptive_field([(2, 2), (2, 2), (2, 2)]) == 8
    # AlexNet conv1 (11, stride 4) -> pool (3, stride 2) -> conv2 (5) -> pool (3, 2)
    assert arithmetic.receptive_field([(11, 4), (3, 2), (5, 1), (3, 2)]) == 67
    with pytest.raises(ValueError, match="Received"):
        arithmetic.receptive_field([3, 1])


def test_receptive_field_agrees_with_gradient_support():
    """One output unit's gradient is non-zero exactly on its receptive field."""
    import numpy as np

    from tests.autodiff import vjp

    layers = [(3, 1, 1), (3, 2, 1), (3, 1, 2), (2, 2, 1)]
    model = keras.Sequential(
        [keras.Input((64, 64, 1))]
        + [
            keras.layers.Conv2D(1, k, strides=s, dilation_rate=d, kernel_initializer="ones")
            for k, s, d in layers
        ]
    )
    _, pullback = vjp(lambda x: model(x)[:1, :1, :1, :1], np.ones((1, 64, 64, 1), "float32"))
    (gradient,) = pullback(np.ones((1, 1, 1, 1), "float32"))
    support = np.flatnonzero(gradient[0, :, 0, 0])
    assert support.max() - support.min() + 1 == arithmetic.receptive_field(layers)


def test_model_table_counts_every_layer():
    model = keras.Sequential(
        [
            keras.Input((32, 32, 3)),
            keras.layers.Conv2D(6, 5, name="conv"),
            keras.layers.MaxPooling2D(2, name="pool"),
            keras.layers.Flatten(name="flatten"),
            keras.layers.Dense(10, name="dense"),
        ]
    )
    table = arithmetic.model_table(model)
    assert [row.output_shape for row in table.rows] == [
        (32, 32, 3),
        (28, 28, 6),
        (14, 14, 6),
        (1176,),
        (10,),
    ]
    assert table.total_params == model.count_params() == 456 + 11_770
    # Flatten only reshapes the pooled maps: no new values to store.
    assert [row.activations for row in table.rows] == [3072, 4704, 1176, 0, 10]
    assert table.total_activations == 3072 + 4704 + 1176 + 10
    text = str(table)
    assert "Flatten*" in text and "reshape holds no new values" in text.splitlines()[-1]
    assert "conv" in text and "<table>" in table._repr_html_()


def test_model_table_counts_the_input_of_a_functional_model_once():
    inputs = keras.Input((8, 8, 3))
    outputs = keras.layers.Conv2D(4, 3, name="conv")(inputs)
    table = arithmetic.model_table(keras.Model(inputs, outputs))
    assert [row.name for row in table.rows] == ["input", "conv"]
    assert table.total_activations == 8 * 8 * 3 + 6 * 6 * 4
    assert str(table).splitlines()[-1].split()[-2:] == ["336", "112"]
    assert "*" not in str(table)


def test_model_table_needs_a_built_model():
    with pytest.raises(ValueError, match=r"keras\.Input"):
        arithmetic.model_table(keras.Sequential([keras.layers.Dense(3)]))


@pytest.mark.parametrize(
    ("arguments", "with_reduction", "without_reduction"),
    [
        ((192, 64, 96, 128, 16, 32, 32), 163_696, 387_296),  # GoogLeNet 3a
        ((832, 384, 192, 384, 48, 128, 128), 1_444_080, 5_858_176),  # GoogLeNet 5b
        ((1, 1, 1, 1, 1, 1, 1), 2 + 2 + 10 + 2 + 26 + 2, 2 + 10 + 26),
    ],
)
def test_inception_params(arguments, with_reduction, without_reduction):
    assert arithmetic.inception_params(*arguments) == {
        "with_reduction": with_reduction,
        "without_reduction": without_reduction,
    }


@pytest.mark.parametrize("bad", [0, -3, 2.0, True])
def test_inception_params_needs_positive_ints(bad):
    with pytest.raises(
        ValueError, match=rf"`filters_5x5` must be a positive int. Received: filters_5x5={bad!r}"
    ):
        arithmetic.inception_params(192, 64, 96, 128, 16, bad, 32)
