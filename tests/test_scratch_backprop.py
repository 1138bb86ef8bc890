"""relu, conv2d_backward and gradient checking against the Keras backend's autodiff,
tf.GradientTape and finite differences."""

import itertools

import keras
import numpy as np
import pytest
import tensorflow as tf

from coursekit.scratch import (
    conv2d,
    conv2d_backward,
    conv2d_backward_loops,
    max_pool2d,
    max_pool2d_backward,
    numerical_gradient,
    relative_error,
    relu,
    relu_backward,
)
from coursekit.scratch.windows import extract_windows, scatter_windows
from tests.autodiff import layer_function, vjp


def tf_conv2d_gradients(x, kernel, bias, grad_output_seed, strides, padding, dilation_rate):
    """TensorFlow's forward output and gradients of a convolution, for any strides and dilation.

    TensorFlow's CPU gradient refuses dilation_rate > 1, so the dilated kernel is
    written out with zeros between its taps; the kernel's gradient is then read at
    the taps.
    """
    kernel_h, kernel_w, channels, filters = kernel.shape
    spread = np.zeros(
        ((kernel_h - 1) * dilation_rate + 1, (kernel_w - 1) * dilation_rate + 1, channels, filters)
    )
    spread[::dilation_rate, ::dilation_rate] = kernel
    inputs, weights, offsets = tf.constant(x), tf.constant(spread), tf.constant(bias)
    with tf.GradientTape() as tape:
        tape.watch([inputs, weights, offsets])
        outputs = tf.nn.conv2d(inputs, weights, strides, padding.upper()) + offsets
    grad_output = np.random.default_rng(grad_output_seed).normal(size=outputs.shape)
    grads = tape.gradient(outputs, [inputs, weights, offsets], tf.constant(grad_output))
    grad_x, grad_spread, grad_bias = (grad.numpy() for grad in grads)
    return (
        outputs.numpy(),
        grad_output,
        (grad_x, grad_spread[::dilation_rate, ::dilation_rate], grad_bias),
    )


CONV_CASES = list(
    itertools.product(
        ((2, 7, 7, 3), (3, 8, 6, 2)),
        ((3, 3), (2, 2), (2, 3), (1, 1)),
        (1, 2, 3),
        ("valid", "same"),
        (1, 2),
    )
)


@pytest.mark.parametrize("backward", [conv2d_backward, conv2d_backward_loops])
@pytest.mark.parametrize(("x_shape", "kernel_hw", "strides", "padding", "dilation"), CONV_CASES)
def test_conv2d_backward_matches_tensorflow(
    x_shape, kernel_hw, strides, padding, dilation, backward
):
    rng = np.random.default_rng(0)
    x = rng.normal(size=x_shape)
    kernel = rng.normal(size=(*kernel_hw, x_shape[-1], 4))
    bias = rng.normal(size=4)
    expected_y, grad_output, expected = tf_conv2d_gradients(
        x, kernel, bias, 1, strides, padding, dilation
    )
    np.testing.assert_allclose(
        conv2d(x, kernel, bias, strides, padding, dilation), expected_y, rtol=1e-12, atol=1e-12
    )
    got = backward(grad_output, x, kernel, strides, padding, dilation)
    assert isinstance(got, tuple) and len(got) == 3
    for name, got_grad, expected_grad in zip(("x", "kernel", "bias"), got, expected, strict=True):
        assert got_grad.shape == expected_grad.shape, name
        np.testing.assert_allclose(got_grad, expected_grad, rtol=1e-12, atol=1e-12, err_msg=name)


@pytest.mark.parametrize(
    ("strides", "padding", "dilation"), [(1, "valid", 1), (2, "same", 1), (1, "same", 2)]
)
def test_conv2d_backward_matches_a_keras_layer(strides, padding, dilation):
    rng = np.random.default_rng(1)
    x, kernel, bias = (
        rng.normal(size=(2, 7, 6, 3)),
        rng.normal(size=(3, 3, 3, 5)),
        rng.normal(size=5),
    )
    layer = keras.layers.Conv2D(
        5, 3, strides=strides, padding=padding, dilation_rate=dilation, dtype="float64"
    )
    layer.build(x.shape)
    layer.set_weights([kernel, bias])
    outputs, pullback = vjp(layer_function(layer), x, kernel, bias)
    grad_output = rng.normal(size=outputs.shape)
    expected = pullback(grad_output)
    got = conv2d_backward(grad_output, x, kernel, strides, padding, dilation)
    for got_grad, expected_grad in zip(got, expected, strict=True):
        np.testing.assert_allclose(got_grad, expected_grad, rtol=1e-12)


@pytest.mark.parametrize(("padding", "strides"), [("full", 1), ("full", 2), (1, 2), (2, 3)])
def test_conv2d_backward_matches_finite_differences_beyond_keras_paddings(padding, strides):
    rng = np.random.default_rng(2)
    x, kernel = rng.normal(size=(2, 5, 6, 2)), rng.normal(size=(3, 2, 2, 3))
    bias = rng.normal(size=3)
    out_shape = conv2d(x, kernel, bias, strides, padding, 2).shape
    grad_output = rng.normal(size=out_shape)

    def loss(x_, kernel_, bias_):
        return np.sum(conv2d(x_, kernel_, bias_, strides, padding, 2) * grad_output)

    grad_x, grad_kernel, grad_bias = conv2d_backward(grad_output, x, kernel, strides, padding, 2)
    assert relative_error(grad_x, numerical_gradient(lambda a: loss(a, kernel, bias), x)) < 1e-8
    assert (
        relative_error(grad_kernel, numerical_gradient(lambda k: loss(x, k, bias), kernel)) < 1e-8
    )
    assert relative_error(grad_bias, numerical_gradient(lambda b: loss(x, kernel, b), bias)) < 1e-8


@pytest.mark.parametrize(
    ("strides", "padding", "dilation"),
    list(itertools.product((1, 2, (3, 1)), ("valid", "full", 2, (1, "same"), (0, 2)), (1, (2, 1)))),
)
def test_conv2d_backward_matches_its_loop_definition_beyond_keras(strides, padding, dilation):
    rng = np.random.default_rng(7)
    x, kernel = rng.normal(size=(2, 8, 7, 2)), rng.normal(size=(3, 2, 2, 3))
    grad_output = rng.normal(size=conv2d(x, kernel, None, strides, padding, dilation).shape)
    got = conv2d_backward(grad_output, x, kernel, strides, padding, dilation)
    expected = conv2d_backward_loops(grad_output, x, kernel, strides, padding, dilation)
    for name, got_grad, expected_grad in zip(("x", "kernel", "bias"), got, expected, strict=True):
        assert got_grad.shape == expected_grad.shape, name
        np.testing.assert_allclose(got_grad, expected_grad, rtol=1e-12, atol=1e-12, err_msg=name)


def test_input_gradient_is_a_full_convolution_with_the_flipped_kernel():
    rng = np.random.default_rng(3)
    x, kernel = rng.normal(size=(2, 6, 7, 3)), rng.normal(size=(3, 3, 3, 4))
    grad_output = rng.normal(size=(2, 4, 5, 4))
    flipped = kernel[::-1, ::-1].transpose(0, 1, 3, 2)  # (kh, kw, filters, channels)
    full = conv2d(grad_output, flipped, padding="full")
    np.testing.assert_allclose(conv2d_backward(grad_output, x, kernel)[0], full, rtol=1e-12)


def test_scatter_windows_is_the_transpose_of_extract_windows():
    # <extract(x), w> == <x, scatter(w)> for every x and w: the definition of the adjoint.
    rng = np.random.default_rng(4)
    for strides, padding, dilation in [(1, "valid", 1), (2, "same", 1), (3, "full", 2), (2, 1, 2)]:
        x = rng.normal(size=(2, 7, 6, 3))
        windows = extract_windows(x, (3, 2), strides, padding, dilation)
        values = rng.normal(size=windows.shape)
        back = scatter_windows(values, x.shape, (3, 2), strides, padding, dilation)
        np.testing.assert_allclose(np.sum(windows * values), np.sum(x * back), rtol=1e-12)


def test_relu_and_its_gradient_match_keras_including_at_zero():
    rng = np.random.default_rng(5)
    x = rng.integers(-3, 4, size=(2, 5, 5, 3)).astype(np.float64)  # many exact zeros
    grad_output = rng.normal(size=x.shape)
    outputs, pullback = vjp(keras.activations.relu, x)
    (expected_grad,) = pullback(grad_output)
    np.testing.assert_array_equal(relu(x), outputs)
    np.testing.assert_array_equal(relu_backward(grad_output, x), expected_grad)
    assert np.all(relu_backward(grad_output, x)[x == 0] == 0)


def test_a_small_network_backpropagates_like_tensorflow():
    # conv -> relu -> overlapping max pool -> weighted sum, chained by hand.
    rng = np.random.default_rng(6)
    x, kernel, bias = (
        rng.normal(size=(2, 9, 9, 2)),
        rng.normal(size=(3, 3, 2, 3)),
        rng.normal(size=3),
    )
    pre = conv2d(x, kernel, bias, strides=1, padding="same")
    pooled = max_pool2d(relu(pre), 3, strides=2)
    weights = rng.normal(size=pooled.shape)
    grad_relu = max_pool2d_backward(weights, relu(pre), 3, strides=2)
    grad_x, grad_kernel, grad_bias = conv2d_backward(
        relu_backward(grad_relu, pre), x, kernel, padding="same"
    )
    variables = [tf.constant(x), tf.constant(kernel), tf.constant(bias)]
    with tf.GradientTape() as tape:
        tape.watch(variables)
        hidden = tf.nn.relu(tf.nn.conv2d(variables[0], variables[1], 1, "SAME") + variables[2])
        loss = tf.reduce_sum(tf.nn.max_pool2d(hidden, 3, 2, "VALID") * weights)
    expected_grads = tape.gradient(loss, variables)
    for got, expected in zip((grad_x, grad_kernel, grad_bias), expected_grads, strict=True):
        np.testing.assert_allclose(got, expected.numpy(), rtol=1e-12, atol=1e-12)


def test_numerical_gradient_is_centred_and_leaves_x_alone():
    x = np.array([[0.5, -1.0], [2.0, 0.25]])
    before = x.copy()
    grad = numerical_gradient(lambda a: np.sum(a**3), x, h=1e-3)
    # A centred difference of a cubic is exact up to h**2: 3x**2 + h**2.
    np.testing.assert_allclose(grad, 3 * x**2 + 1e-6, rtol=1e-8)
    np.testing.assert_array_equal(x, before)
    assert grad.dtype == np.float64 and grad.shape == x.shape


def test_relative_error_is_the_largest_elementwise_ratio():
    a, b = np.array([1.0, 100.0, 0.0]), np.array([1.1, 100.0, 0.0])
    assert relative_error(a, b) == pytest.approx(0.1 / 2.1)
    assert relative_error(np.zeros(3), np.zeros(3)) == 0.0
    assert relative_error(np.array([0.0]), np.array([1e-12])) == pytest.approx(1e-4)
    with pytest.raises(ValueError, match="Received"):
        relative_error(np.zeros(2), np.zeros(3))


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: relu_backward(np.zeros(3), np.zeros(4)), "Received: grad_output.shape"),
        (
            lambda: conv2d_backward(
                np.zeros((1, 3, 3, 1)), np.zeros((1, 4, 4, 1)), np.zeros((3, 3, 1, 1))
            ),
            "Received: grad_output.shape",
        ),
        (
            lambda: conv2d_backward_loops(
                np.zeros((1, 3, 3, 1)), np.zeros((1, 4, 4, 1)), np.zeros((3, 3, 1, 1))
            ),
            "Received: grad_output.shape",
        ),
        (
            lambda: conv2d_backward(
                np.zeros((1, 2, 2, 1)), np.zeros((1, 4, 4, 2)), np.zeros((3, 3, 1, 1))
            ),
            "Received: x.shape",
        ),
        (
            lambda: scatter_windows(np.zeros((1, 2, 2, 1, 3, 3)), (1, 5, 5, 1), 3),
            "Received: window_values.shape",
        ),
        (lambda: numerical_gradient(np.sum, np.ones(3), h=0.0), "Received: h=0.0"),
        (lambda: numerical_gradient(np.abs, np.ones(3)), r"Received: a value of shape \(3,\)"),
    ],
)
def test_bad_shapes_say_what_was_received(call, message):
    with pytest.raises(ValueError, match=message):
        call()
