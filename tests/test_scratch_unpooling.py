"""max_pool2d_with_argmax against tf.nn.max_pool_with_argmax; max_unpool2d against the
max-pool gradient it shares its routing with."""

import itertools

import numpy as np
import pytest
import tensorflow as tf

from coursekit.scratch import (
    max_pool2d,
    max_pool2d_backward,
    max_pool2d_with_argmax,
    max_unpool2d,
)

SHAPES = ((2, 6, 6, 3), (1, 7, 5, 2))
POOLING = ((2, None), (3, 2), (2, 1), ((2, 3), (1, 2)), (2, 3))
CASES = list(itertools.product(SHAPES, POOLING, ("valid", "same")))


def tf_argmax(x, pool_size, strides, padding):
    pool = (pool_size, pool_size) if isinstance(pool_size, int) else pool_size
    steps = pool if strides is None else strides
    steps = (steps, steps) if isinstance(steps, int) else steps
    values, indices = tf.nn.max_pool_with_argmax(
        x, (1, *pool, 1), (1, *steps, 1), padding.upper(), include_batch_in_index=False
    )
    return values.numpy(), indices.numpy()


@pytest.mark.parametrize(("shape", "pooling", "padding"), CASES)
def test_values_and_indices_match_tensorflow(shape, pooling, padding):
    # Distinct values: TensorFlow does not document which of several equal maxima it picks.
    rng = np.random.default_rng(0)
    x = rng.permutation(np.prod(shape)).reshape(shape).astype(np.float64) - 20.0
    pool_size, strides = pooling
    expected_values, expected_indices = tf_argmax(x, pool_size, strides, padding)
    values, indices = max_pool2d_with_argmax(x, pool_size, strides, padding)
    assert indices.dtype == np.int64 and indices.shape == expected_indices.shape
    np.testing.assert_array_equal(values, expected_values)
    np.testing.assert_array_equal(indices, expected_indices)
    np.testing.assert_array_equal(values, max_pool2d(x, pool_size, strides, padding))


@pytest.mark.parametrize(("shape", "pooling", "padding"), CASES)
def test_unpooling_routes_like_the_max_pool_gradient(shape, pooling, padding):
    # With ties too: both pick the first maximum in row-major order.
    rng = np.random.default_rng(1)
    x = rng.integers(-2, 2, size=shape).astype(np.float64)
    pool_size, strides = pooling
    _, indices = max_pool2d_with_argmax(x, pool_size, strides, padding)
    upstream = rng.normal(size=indices.shape)
    np.testing.assert_allclose(
        max_unpool2d(upstream, indices, x.shape),
        max_pool2d_backward(upstream, x, pool_size, strides, padding),
        rtol=1e-12,
        atol=1e-15,
    )


def test_unpooling_puts_the_maxima_back_and_zeros_elsewhere():
    x = np.random.default_rng(2).normal(size=(2, 6, 8, 3))
    values, indices = max_pool2d_with_argmax(x, 2)
    unpooled = max_unpool2d(values, indices, x.shape)
    winners = unpooled != 0
    assert winners.sum() == values.size  # one cell per 2x2 window
    np.testing.assert_array_equal(unpooled[winners], x[winners])


def test_a_cell_that_wins_two_windows_receives_both_values():
    x = np.zeros((1, 5, 5, 1))
    x[0, 2, 2] = 7.0  # the centre is the maximum of all four 3x3 windows with stride 2
    values, indices = max_pool2d_with_argmax(x, 3, strides=2)
    assert (indices == 12).all()
    assert max_unpool2d(values, indices, x.shape)[0, 2, 2, 0] == 4 * 7.0


def test_indices_count_within_each_image():
    x = np.arange(2 * 4 * 4 * 2, dtype=float).reshape(2, 4, 4, 2)
    _, indices = max_pool2d_with_argmax(x, 4)
    np.testing.assert_array_equal(indices[:, 0, 0], [[30, 31], [30, 31]])


@pytest.mark.parametrize(
    ("indices", "output_shape", "match"),
    [
        (np.zeros((1, 2, 2, 1), int), (2, 4, 4, 1), "batch of x"),
        (np.zeros((1, 2, 1, 1), int), (1, 4, 4, 1), "same shape as x"),
        (np.full((1, 2, 2, 1), 16), (1, 4, 4, 1), r"\[0, 16\)"),
        (np.zeros((1, 2, 2, 1)), (1, 4, 4, 1), "integers"),
    ],
)
def test_unpooling_errors_say_what_was_received(indices, output_shape, match):
    with pytest.raises(ValueError, match=match):
        max_unpool2d(np.ones((1, 2, 2, 1)), indices, output_shape)


def test_pooling_errors_say_what_was_received():
    with pytest.raises(ValueError, match="padding='full'"):
        max_pool2d_with_argmax(np.ones((1, 4, 4, 1)), 2, padding="full")
    with pytest.raises(ValueError, match=r"shape=\(4, 4\)"):
        max_pool2d_with_argmax(np.ones((4, 4)), 2)
