"""coursekit.scratch pooling, forward and backward, against Keras layers and the backend's
autodiff."""

import itertools

import keras
import numpy as np
import pytest

from coursekit.scratch import (
    avg_pool2d,
    avg_pool2d_backward,
    avg_pool2d_backward_loops,
    avg_pool2d_loops,
    max_pool2d,
    max_pool2d_backward,
    max_pool2d_backward_loops,
    max_pool2d_loops,
)
from tests.autodiff import vjp

LAYERS = {"max": keras.layers.MaxPooling2D, "avg": keras.layers.AveragePooling2D}
SCRATCH = {
    ("max", "vectorised"): (max_pool2d, max_pool2d_backward),
    ("max", "loops"): (max_pool2d_loops, max_pool2d_backward_loops),
    ("avg", "vectorised"): (avg_pool2d, avg_pool2d_backward),
    ("avg", "loops"): (avg_pool2d_loops, avg_pool2d_backward_loops),
}

CASES = list(
    itertools.product(
        ("max", "avg"),
        ((2, 7, 7, 3), (3, 8, 6, 2)),  # odd and even sizes, batch > 1, channels > 1
        ((2, 2), (3, 3), (2, 3)),
        (None, 1, 2, 3),  # None: strides = pool_size; 1 and 2 overlap 3x3 windows
        ("valid", "same"),
    )
)


def keras_pool_and_gradient(kind, x, grad_output_shape_seed, pool_size, strides, padding):
    """Keras's pooled output and the backend's gradient for a random upstream gradient."""
    layer = LAYERS[kind](pool_size, strides=strides, padding=padding, dtype="float64")
    outputs, pullback = vjp(layer, x)
    grad_output = np.random.default_rng(grad_output_shape_seed).normal(size=outputs.shape)
    (grad_x,) = pullback(grad_output)
    return outputs, grad_output, grad_x


@pytest.mark.parametrize("version", ["vectorised", "loops"])
@pytest.mark.parametrize("values", ["normal", "ties"])
@pytest.mark.parametrize(("kind", "x_shape", "pool_size", "strides", "padding"), CASES)
def test_pooling_and_its_gradient_match_keras(
    kind, x_shape, pool_size, strides, padding, values, version
):
    rng = np.random.default_rng(0)
    if values == "normal":
        x = rng.normal(size=x_shape)
    else:  # few distinct values: most windows hold several equal maxima
        x = rng.integers(-2, 2, size=x_shape).astype(np.float64)
    expected, grad_output, expected_grad = keras_pool_and_gradient(
        kind, x, 1, pool_size, strides, padding
    )
    forward, backward = SCRATCH[kind, version]
    got = forward(x, pool_size, strides=strides, padding=padding)
    assert got.shape == expected.shape and got.dtype == np.float64
    np.testing.assert_allclose(got, expected, rtol=1e-12, atol=1e-12)
    got_grad = backward(grad_output, x, pool_size, strides=strides, padding=padding)
    assert got_grad.shape == x.shape
    np.testing.assert_allclose(got_grad, expected_grad, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("kind", ["max", "avg"])
@pytest.mark.parametrize(
    ("pool_size", "strides", "padding"),
    [(3, 1, "same"), ((2, 4), (3, 1), "same"), ((4, 1), 2, "valid"), (5, 3, "same")],
)
def test_pooling_matches_its_loop_definition(kind, pool_size, strides, padding):
    rng = np.random.default_rng(4)
    x = rng.integers(-2, 3, size=(2, 9, 7, 3)).astype(np.float64)  # many ties
    (forward, backward), (forward_loops, backward_loops) = (
        SCRATCH[kind, "vectorised"],
        SCRATCH[kind, "loops"],
    )
    output = forward(x, pool_size, strides, padding)
    np.testing.assert_allclose(output, forward_loops(x, pool_size, strides, padding), atol=1e-14)
    grad_output = rng.normal(size=output.shape)
    np.testing.assert_allclose(
        backward(grad_output, x, pool_size, strides, padding),
        backward_loops(grad_output, x, pool_size, strides, padding),
        atol=1e-14,
    )


def test_max_pool_same_padding_never_picks_the_padding():
    # All inputs negative: zero padding would win every border window.
    x = -np.arange(1.0, 10.0).reshape(1, 3, 3, 1)
    np.testing.assert_array_equal(
        max_pool2d(x, 2, padding="same")[0, :, :, 0], [[-1.0, -3.0], [-7.0, -9.0]]
    )


def test_avg_pool_same_padding_divides_by_the_real_cells():
    x = np.ones((1, 5, 5, 1))
    np.testing.assert_array_equal(avg_pool2d(x, 2, padding="same"), np.ones((1, 3, 3, 1)))


def test_overlapping_windows_add_their_gradients():
    # The centre of a 5x5 input is the max of all four 3x3 stride-2 windows.
    x = np.zeros((1, 5, 5, 1))
    x[0, 2, 2] = 1.0
    grad_x = max_pool2d_backward(np.arange(1.0, 5.0).reshape(1, 2, 2, 1), x, 3, strides=2)
    assert grad_x[0, 2, 2, 0] == 1 + 2 + 3 + 4
    assert np.count_nonzero(grad_x) == 1


def test_ties_go_to_the_first_maximum_in_row_major_order():
    x = np.array([[0.0, 5.0], [5.0, 5.0]]).reshape(1, 2, 2, 1)
    grad_x = max_pool2d_backward(np.ones((1, 1, 1, 1)), x, 2)
    np.testing.assert_array_equal(grad_x[0, :, :, 0], [[0.0, 1.0], [0.0, 0.0]])


def test_channels_are_pooled_independently():
    rng = np.random.default_rng(3)
    x = rng.normal(size=(2, 6, 6, 4))
    for pool in (max_pool2d, avg_pool2d):
        together = pool(x, 3, strides=2, padding="same")
        for channel in range(4):
            alone = pool(x[..., channel : channel + 1], 3, strides=2, padding="same")
            np.testing.assert_allclose(together[..., channel : channel + 1], alone, atol=1e-14)


def test_float32_stays_float32_and_integers_become_float64():
    x32 = np.ones((1, 4, 4, 1), dtype=np.float32)
    assert max_pool2d(x32, 2).dtype == avg_pool2d(x32, 3, 1, "same").dtype == np.float32
    assert avg_pool2d(np.arange(16).reshape(1, 4, 4, 1), 2).dtype == np.float64


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: max_pool2d(np.zeros((4, 4, 1)), 2), "Received: shape"),
        (lambda: avg_pool2d(np.zeros((1, 4, 4, 1)), 2, padding="full"), "Received: padding"),
        (lambda: max_pool2d(np.zeros((1, 4, 4, 1)), 0), "Received: pool_size=0"),
        (lambda: max_pool2d(np.zeros((1, 4, 4, 1)), 2, strides=0), "Received: strides=0"),
        (lambda: max_pool2d(np.zeros((1, 2, 2, 1)), 3), "larger than"),
        (
            lambda: max_pool2d_backward(np.zeros((1, 3, 3, 1)), np.zeros((1, 4, 4, 1)), 2),
            "Received: grad_output.shape",
        ),
        (
            lambda: avg_pool2d_backward(np.zeros((1, 2, 2, 2)), np.zeros((1, 4, 4, 1)), 2),
            "Received: grad_output.shape",
        ),
        (lambda: max_pool2d_loops(np.zeros((1, 4, 4, 1)), 2, padding="full"), "Received: padding"),
        (
            lambda: avg_pool2d_backward_loops(np.zeros((1, 2, 2, 2)), np.zeros((1, 4, 4, 1)), 2),
            "Received: grad_output.shape",
        ),
    ],
)
def test_bad_arguments_say_what_was_received(call, message):
    with pytest.raises(ValueError, match=message):
        call()
