"""coursekit.scratch batch_norm and layer_norm against the Keras layers, in float64."""

import itertools

import keras
import numpy as np
import pytest

from coursekit.scratch import batch_norm, layer_norm

# Keras on JAX normalises in float32 even for float64 layers (its
# `backend.result_type("float64", "float32")` is float32 there); elsewhere in float64.
# Seen there: up to 2.2e-5 with epsilon 1e-5 and a small batch variance.
RTOL = 1e-4 if keras.backend.backend() == "jax" else 1e-10
ATOL = 1e-4 if keras.backend.backend() == "jax" else 1e-12

SHAPES = [(1, 4), (8, 5), (32, 3), (4, 3, 5, 2), (2, 6, 6, 8), (3, 4, 2, 5, 3)]


def _parameters(shape, seed):
    """Input and per-feature parameters; the moving statistics are far from the batch's."""
    rng = np.random.default_rng(seed)
    features = shape[-1]
    x = rng.normal(loc=rng.uniform(-3, 3, size=features), scale=rng.uniform(0.5, 4, size=features))
    x = np.broadcast_to(x, shape) + rng.normal(size=shape)
    gamma, beta = rng.normal(size=features), rng.normal(size=features)
    moving_mean = rng.normal(size=features)
    moving_variance = rng.uniform(0.2, 3.0, size=features)
    return x, gamma, beta, moving_mean, moving_variance


def keras_batch_norm(x, gamma, beta, moving_mean, moving_variance, training, momentum, epsilon):
    layer = keras.layers.BatchNormalization(momentum=momentum, epsilon=epsilon, dtype="float64")
    layer.build(x.shape)
    layer.set_weights([gamma, beta, moving_mean, moving_variance])
    y = keras.ops.convert_to_numpy(layer(x, training=training))
    _, _, new_mean, new_variance = layer.get_weights()
    return y, new_mean, new_variance


@pytest.mark.parametrize(
    ("shape", "training", "momentum", "epsilon"),
    list(itertools.product(SHAPES, (True, False), (0.99, 0.9, 0.5), (1e-3, 1e-5))),
)
def test_batch_norm_matches_keras(shape, training, momentum, epsilon):
    arrays = _parameters(shape, seed=len(shape) * 100 + shape[-1])
    expected = keras_batch_norm(*arrays, training, momentum, epsilon)
    got = batch_norm(*arrays, training, momentum=momentum, epsilon=epsilon)
    assert isinstance(got, tuple) and len(got) == 3
    for got_array, expected_array in zip(got, expected, strict=True):
        np.testing.assert_allclose(got_array, expected_array, rtol=RTOL, atol=ATOL)


def test_batch_norm_defaults_are_keras_defaults():
    arrays = _parameters((16, 3), seed=0)
    layer = keras.layers.BatchNormalization()
    assert (layer.momentum, layer.epsilon) == (0.99, 1e-3)
    expected = keras_batch_norm(*arrays, True, layer.momentum, layer.epsilon)
    for got, wanted in zip(batch_norm(*arrays, training=True), expected, strict=True):
        np.testing.assert_allclose(got, wanted, rtol=RTOL, atol=ATOL)


def test_batch_norm_in_training_uses_the_biased_batch_variance_everywhere():
    x, gamma, beta, moving_mean, moving_variance = _parameters((4, 3), seed=1)
    y, _, new_variance = batch_norm(x, gamma, beta, moving_mean, moving_variance, True, 0.0, 0.0)
    np.testing.assert_allclose(new_variance, x.var(axis=0))  # divided by N = 4, not 3
    np.testing.assert_allclose((y - beta) / gamma, (x - x.mean(axis=0)) / x.std(axis=0))


def test_spatial_batch_norm_pools_each_channel_over_batch_and_positions():
    x, _, _, moving_mean, moving_variance = _parameters((2, 5, 4, 3), seed=2)
    y, mean, _ = batch_norm(x, np.ones(3), np.zeros(3), moving_mean, moving_variance, True, 0.0)
    np.testing.assert_allclose(mean, x.mean(axis=(0, 1, 2)))
    np.testing.assert_allclose(y.mean(axis=(0, 1, 2)), 0.0, atol=1e-12)
    np.testing.assert_allclose(
        y.var(axis=(0, 1, 2)), x.var(axis=(0, 1, 2)) / (x.var(axis=(0, 1, 2)) + 1e-3)
    )


def test_batch_norm_at_inference_ignores_the_batch_and_keeps_the_moving_statistics():
    x, gamma, beta, moving_mean, moving_variance = _parameters((6, 4), seed=3)
    y, mean, variance = batch_norm(x, gamma, beta, moving_mean, moving_variance, training=False)
    alone, _, _ = batch_norm(x[:1], gamma, beta, moving_mean, moving_variance, training=False)
    np.testing.assert_allclose(alone, y[:1])
    np.testing.assert_array_equal(mean, moving_mean)
    np.testing.assert_array_equal(variance, moving_variance)
    assert mean is not moving_mean and variance is not moving_variance


def test_gamma_and_beta_can_undo_the_normalisation():
    x = _parameters((64, 3), seed=4)[0]
    gamma, beta = np.sqrt(x.var(axis=0) + 1e-3), x.mean(axis=0)
    y, _, _ = batch_norm(x, gamma, beta, np.zeros(3), np.ones(3), training=True)
    np.testing.assert_allclose(y, x)


def test_batch_norm_checks_shapes():
    with pytest.raises(ValueError, match=r"Received: x.shape=\(4, 3\), gamma.shape=\(2,\)"):
        batch_norm(np.ones((4, 3)), np.ones(2), np.zeros(3), np.zeros(3), np.ones(3), True)
    with pytest.raises(ValueError, match=r"Received: x.shape=\(3,\)"):
        batch_norm(np.ones(3), np.ones(3), np.zeros(3), np.zeros(3), np.ones(3), True)


def keras_layer_norm(x, gamma, beta, epsilon):
    layer = keras.layers.LayerNormalization(epsilon=epsilon, dtype="float64")
    layer.build(x.shape)
    layer.set_weights([gamma, beta])
    return keras.ops.convert_to_numpy(layer(x))


@pytest.mark.parametrize(
    ("shape", "epsilon"), list(itertools.product([(6,), *SHAPES], (1e-3, 1e-6, 0.5)))
)
def test_layer_norm_matches_keras(shape, epsilon):
    x, gamma, beta, _, _ = _parameters(shape, seed=shape[-1])
    expected = keras_layer_norm(x, gamma, beta, epsilon)
    np.testing.assert_allclose(layer_norm(x, gamma, beta, epsilon), expected, rtol=RTOL, atol=ATOL)


def test_layer_norm_default_epsilon_is_keras_default():
    x, gamma, beta, _, _ = _parameters((5, 4), seed=5)
    assert keras.layers.LayerNormalization().epsilon == 1e-3
    np.testing.assert_allclose(
        layer_norm(x, gamma, beta), keras_layer_norm(x, gamma, beta, 1e-3), rtol=RTOL, atol=ATOL
    )


def test_layer_norm_treats_each_example_on_its_own():
    x, gamma, beta, _, _ = _parameters((7, 5), seed=6)
    y = layer_norm(x, gamma, beta)
    np.testing.assert_allclose(layer_norm(x[2:3], gamma, beta), y[2:3])
    unit = layer_norm(x, np.ones(5), np.zeros(5), epsilon=0.0)
    np.testing.assert_allclose(unit.mean(axis=-1), 0.0, atol=1e-12)
    np.testing.assert_allclose(unit.std(axis=-1), 1.0)


def test_layer_norm_checks_shapes():
    with pytest.raises(ValueError, match=r"Received: x.shape=\(4, 3\), beta.shape=\(4,\)"):
        layer_norm(np.ones((4, 3)), np.ones(3), np.zeros(4))
