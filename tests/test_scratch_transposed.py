"""conv2d_transpose against keras.layers.Conv2DTranspose, the gradient of a convolution and
zero insertion, in float64 on many shapes."""

import itertools

import keras
import numpy as np
import pytest
import tensorflow as tf

from coursekit import arithmetic
from coursekit.scratch import conv2d, conv2d_transpose

SHAPES = ((2, 3, 4, 3), (1, 1, 2, 1))
KERNELS = ((1, 1), (2, 2), (3, 3), (4, 4), (2, 3), (5, 3))
STRIDES = (1, 2, 3, (3, 2))
CASES = list(itertools.product(SHAPES, KERNELS, STRIDES, ("valid", "same"), ("default", "padded")))


def keras_transpose(x, kernel, bias, strides, padding, output_padding):
    """Keras's output, or the exception it raises for a layer that cannot exist."""
    layer = keras.layers.Conv2DTranspose(
        kernel.shape[2],
        kernel.shape[:2],
        strides=strides,
        padding=padding,
        output_padding=output_padding,
        dtype="float64",
    )
    try:
        layer.build(x.shape)
        layer.set_weights([kernel, bias])
        return np.asarray(layer(x))
    except (ValueError, tf.errors.InvalidArgumentError) as error:
        return error


ON_TENSORFLOW = keras.backend.backend() == "tensorflow"
ACCEPTED_OFF_TENSORFLOW = (
    f"Keras on {keras.backend.backend()} computes a transposed convolution that no "
    "convolution maps back (e.g. 'same', an even kernel, no output padding); Keras on "
    "TensorFlow refuses it, and so does coursekit"
)


def output_paddings(strides, choice):
    """None (Keras's default sizes) or the largest output padding each stride allows."""
    if choice == "default":
        return None
    return tuple(step - 1 for step in arithmetic.as_pair(strides, "strides"))


@pytest.mark.parametrize(("x_shape", "kernel_hw", "strides", "padding", "extra"), CASES)
def test_matches_keras_conv2d_transpose(x_shape, kernel_hw, strides, padding, extra):
    rng = np.random.default_rng(0)
    x = rng.normal(size=x_shape)
    kernel = rng.normal(size=(*kernel_hw, 4, x_shape[3]))
    bias = rng.normal(size=4)
    output_padding = output_paddings(strides, extra)
    expected = keras_transpose(x, kernel, bias, strides, padding, output_padding)
    if isinstance(expected, Exception):  # e.g. "same", an even kernel and no extra row
        with pytest.raises(ValueError, match="No convolution"):
            conv2d_transpose(x, kernel, bias, strides, padding, output_padding)
        return
    try:
        got = conv2d_transpose(
            x, kernel, bias, strides=strides, padding=padding, output_padding=output_padding
        )
    except ValueError as error:
        if ON_TENSORFLOW or "No convolution" not in str(error):
            raise
        pytest.skip(ACCEPTED_OFF_TENSORFLOW)
    assert got.shape == expected.shape and got.dtype == np.float64
    np.testing.assert_allclose(got, expected, rtol=1e-12, atol=1e-12)


@pytest.mark.skipif(not ON_TENSORFLOW, reason=ACCEPTED_OFF_TENSORFLOW)
def test_some_layers_keras_refuses_are_refused_too():
    # 'same' with an even kernel and output_padding=0 has no matching convolution.
    x, kernel = np.ones((1, 3, 3, 1)), np.ones((2, 2, 1, 1))
    assert isinstance(keras_transpose(x, kernel, np.zeros(1), 2, "same", 0), Exception)
    with pytest.raises(ValueError, match="No convolution"):
        conv2d_transpose(x, kernel, strides=2, padding="same", output_padding=0)


@pytest.mark.parametrize("strides", [1, 2, 3])
@pytest.mark.parametrize("padding", ["valid", "same"])
def test_is_the_input_gradient_of_the_convolution_with_the_same_kernel(strides, padding):
    rng = np.random.default_rng(1)
    kernel = rng.normal(size=(3, 3, 2, 5))  # (h, w, out_channels, in_channels)
    upstream = rng.normal(size=(2, 4, 3, 5))
    output = conv2d_transpose(upstream, kernel, strides=strides, padding=padding)
    # The convolution that maps the output's shape back to the input's shape.
    images = tf.constant(np.zeros(output.shape))
    with tf.GradientTape() as tape:
        tape.watch(images)
        convolved = tf.nn.conv2d(images, kernel, strides, padding.upper())
    assert convolved.shape == upstream.shape
    gradient = tape.gradient(convolved, images, output_gradients=tf.constant(upstream))
    np.testing.assert_allclose(output, gradient.numpy(), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("strides", [1, 2, 3])
def test_equals_zero_insertion_then_a_full_convolution_with_the_flipped_kernel(strides):
    rng = np.random.default_rng(2)
    x = rng.normal(size=(2, 3, 4, 2))
    kernel = rng.normal(size=(3, 4, 3, 2))  # kernels at least as large as the stride
    spread = np.zeros((2, (3 - 1) * strides + 1, (4 - 1) * strides + 1, 2))
    spread[:, ::strides, ::strides] = x
    flipped = kernel[::-1, ::-1].transpose(0, 1, 3, 2)
    expected = conv2d(spread, flipped, padding="full")
    got = conv2d_transpose(x, kernel, strides=strides)
    np.testing.assert_allclose(got, expected, rtol=1e-12, atol=1e-12)


def test_the_lectures_example_gives_5x5():
    x = np.arange(1.0, 5.0).reshape(1, 2, 2, 1)
    assert conv2d_transpose(x, np.ones((3, 3, 1, 1)), strides=2).shape == (1, 5, 5, 1)


@pytest.mark.parametrize(
    ("arguments", "match"),
    [
        ({"padding": "full"}, "'valid' or 'same'"),
        ({"strides": 2, "output_padding": 2}, "smaller than the stride"),
        ({"output_padding": -1}, "int >= 0"),
        ({"bias": np.zeros(3)}, "bias of shape"),
    ],
)
def test_errors_say_what_was_received(arguments, match):
    with pytest.raises(ValueError, match=match):
        conv2d_transpose(np.ones((1, 3, 3, 2)), np.ones((3, 3, 1, 2)), **arguments)


def test_channels_must_match_the_kernel_s_last_axis():
    with pytest.raises(ValueError, match=r"Received: x.shape=\(1, 3, 3, 2\)"):
        conv2d_transpose(np.ones((1, 3, 3, 2)), np.ones((3, 3, 2, 1)))
