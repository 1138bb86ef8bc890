"""coursekit.scratch regularisation against Keras: L1/L2 steps, dropout, early stopping."""

import itertools

import keras
import numpy as np
import pytest

from coursekit.scratch import dropout, early_stopping_epoch, regularized_update
from tests.autodiff import vjp

# --- regularized_update -------------------------------------------------------------


def keras_regularized_step(w, x, y, learning_rate, l1, l2):
    """One SGD step of a Dense layer with `kernel_regularizer=L1L2(l1, l2)`.

    Returns the data loss's gradient for the kernel and the kernel after the step
    on the full (penalised) loss, both computed by the Keras backend.
    """
    layer = keras.layers.Dense(
        w.shape[1], kernel_regularizer=keras.regularizers.L1L2(l1, l2), dtype="float64"
    )
    layer.build(x.shape)
    bias = np.zeros(w.shape[1])
    layer.set_weights([w, bias])

    def loss(kernel, penalised):
        outputs, _, penalties = layer.stateless_call([kernel, bias], [], x, return_losses=True)
        data_loss = keras.ops.mean((outputs - y) ** 2)
        return data_loss + sum(penalties) if penalised else data_loss

    (data_grad,) = vjp(lambda kernel: loss(kernel, False), w)[1](np.float64(1.0))
    (grad,) = vjp(lambda kernel: loss(kernel, True), w)[1](np.float64(1.0))
    optimizer = keras.optimizers.SGD(learning_rate)
    optimizer.apply_gradients([(keras.ops.convert_to_tensor(grad), layer.kernel)])
    return data_grad, keras.ops.convert_to_numpy(layer.kernel.value)


@pytest.mark.parametrize(
    ("shape", "learning_rate", "l1", "l2"),
    [
        ((3, 2), 0.125, 0.0, 0.0),
        ((4, 3), 0.125, 0.015625, 0.0),
        ((4, 3), 0.0625, 0.0, 0.03125),
        ((5, 4), 0.5, 0.125, 0.25),
        ((2, 6), 1.0, 0.375, 0.0),
        ((6, 1), 0.015625, 0.0, 2.0),
    ],
)
def test_regularized_update_matches_a_keras_sgd_step(shape, learning_rate, l1, l2):
    # Keras keeps the learning rate and the penalty factors in float32: these are exact in it.
    rng = np.random.default_rng(shape[0] * 10 + shape[1])
    w = rng.normal(size=shape)
    w[0, 0] = 0.0  # the subgradient of |w| at 0 is 0 in TensorFlow, as np.sign
    x, y = rng.normal(size=(8, shape[0])), rng.normal(size=(8, shape[1]))
    data_grad, expected = keras_regularized_step(w, x, y, learning_rate, l1, l2)
    got = regularized_update(w, data_grad, learning_rate, l1=l1, l2=l2)
    if keras.backend.backend() != "tensorflow":
        # JAX differentiates |w| at 0 as 1; the exercise follows TensorFlow and np.sign (0).
        got, expected = got[w != 0], expected[w != 0]
    np.testing.assert_allclose(got, expected, rtol=1e-12, atol=1e-12)


def test_keras_l2_penalty_is_lambda_times_the_sum_of_squares_without_a_half():
    w = np.array([[1.0, -2.0], [0.5, 0.0]])
    penalty = keras.regularizers.L2(0.1)(keras.ops.convert_to_tensor(w))
    assert np.isclose(float(penalty), 0.1 * np.sum(w**2))
    step = regularized_update(w, np.zeros_like(w), learning_rate=1.0, l2=0.1)
    np.testing.assert_allclose(step, w - 2 * 0.1 * w)  # the factor 2 of d(w^2)/dw


def test_regularized_update_does_not_modify_its_input_and_checks_arguments():
    w, grad = np.ones(3), np.full(3, 0.5)
    regularized_update(w, grad, 0.1, l1=0.1, l2=0.1)
    np.testing.assert_array_equal(w, np.ones(3))
    with pytest.raises(ValueError, match=r"Received: w.shape=\(3,\), grad.shape=\(2,\)"):
        regularized_update(w, np.ones(2), 0.1)
    with pytest.raises(ValueError, match="Received: l2=-1"):
        regularized_update(w, grad, 0.1, l2=-1)


# --- dropout --------------------------------------------------------------------------


def keras_dropout(x, rate, training, seed):
    layer = keras.layers.Dropout(rate, seed=seed, dtype="float64")
    return keras.ops.convert_to_numpy(layer(x, training=training))


DROPOUT_SHAPES = [(200, 300), (20, 10, 10, 30), (60_000,)]


@pytest.mark.parametrize(
    ("shape", "rate"), list(itertools.product(DROPOUT_SHAPES, (0.1, 0.3, 0.75)))
)
def test_dropout_has_the_statistics_of_keras_dropout(shape, rate):
    rng = np.random.default_rng(7)
    x = rng.uniform(0.5, 2.0, size=shape)  # no zeros, so a zero output means "dropped"
    tolerance = 6 * np.sqrt(rate * (1 - rate) / x.size)  # six standard deviations
    for output in (dropout(x, rate, training=True, seed=3), keras_dropout(x, rate, True, 3)):
        dropped = output == 0
        assert abs(dropped.mean() - rate) < tolerance
        np.testing.assert_allclose(output[~dropped], x[~dropped] / (1 - rate), rtol=1e-12)
        spread = 6 * np.std(output) / np.sqrt(x.size)
        assert abs(output.mean() - x.mean()) < spread  # the mean is preserved


@pytest.mark.parametrize("shape", DROPOUT_SHAPES)
def test_dropout_is_the_identity_at_inference_as_in_keras(shape):
    x = np.random.default_rng(1).normal(size=shape)
    for rate in (0.0, 0.5, 0.9):
        np.testing.assert_array_equal(dropout(x, rate, training=False), x)
        np.testing.assert_array_equal(keras_dropout(x, rate, False, 0), x)
    np.testing.assert_array_equal(dropout(x, 0.0, training=True), x)


def test_dropout_averaged_over_many_masks_is_the_input():
    x = np.random.default_rng(2).uniform(1.0, 2.0, size=(4, 25))
    draws = np.stack([dropout(x, 0.5, training=True, seed=seed) for seed in range(4_000)])
    np.testing.assert_allclose(draws.mean(axis=0), x, rtol=0.1)
    # Each value is dropped independently: the fraction dropped is about `rate`
    # for every position and for every draw.
    dropped = draws == 0
    assert np.all(np.abs(dropped.mean(axis=0) - 0.5) < 0.05)
    assert np.all(np.abs(dropped.mean(axis=(1, 2)) - 0.5) < 0.25)


def test_dropout_draws_a_mask_per_value_and_per_call():
    x = np.ones((50, 40))
    first, again = dropout(x, 0.5, True, seed=0), dropout(x, 0.5, True, seed=0)
    np.testing.assert_array_equal(first, again)  # a seed fixes the mask
    assert not np.array_equal(first, dropout(x, 0.5, True, seed=1))
    assert not np.array_equal(dropout(x, 0.5, True), dropout(x, 0.5, True))
    assert not all(np.array_equal(first[0], row) for row in first[1:])  # per sample


def test_dropout_returns_a_new_array_and_checks_the_rate():
    x = np.ones((2, 3))
    assert dropout(x, 0.5, training=False) is not x
    for rate in (-0.1, 1.0, 1.5):
        with pytest.raises(ValueError, match=f"Received: rate={rate}"):
            dropout(x, rate, training=True)


# --- early_stopping_epoch -------------------------------------------------------------


class _InjectLosses(keras.callbacks.Callback):
    """Replaces the logged validation loss with a prescribed sequence."""

    def __init__(self, losses):
        super().__init__()
        self.losses = losses

    def on_epoch_end(self, epoch, logs=None):
        logs["val_loss"] = self.losses[epoch]


class _RecordWeights(keras.callbacks.Callback):
    def __init__(self):
        super().__init__()
        self.weights = []

    def on_epoch_end(self, epoch, logs=None):
        self.weights.append(self.model.get_weights())


def _tiny_model():
    model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
    model.compile(optimizer=keras.optimizers.SGD(0.1), loss="mse")
    return model


def keras_early_stopping_by_fit(losses, patience):
    """Trains a real model with `EarlyStopping`, its validation losses replaced by `losses`.

    Returns the index of the last epoch that ran and the epoch whose weights the
    model ends with (found by comparing with the weights recorded at each epoch).
    """
    model = _tiny_model()
    x = np.random.default_rng(0).normal(size=(16, 2))
    recorder = _RecordWeights()
    stopping = keras.callbacks.EarlyStopping(
        monitor="val_loss", patience=patience, restore_best_weights=True
    )
    model.fit(
        x,
        x.sum(axis=1),
        validation_data=(x, x.sum(axis=1)),
        epochs=len(losses),
        callbacks=[_InjectLosses(losses), recorder, stopping],
        verbose=0,
    )
    final = model.get_weights()
    matching = [
        epoch
        for epoch, weights in enumerate(recorder.weights)
        if all(np.array_equal(a, b) for a, b in zip(weights, final, strict=True))
    ]
    assert len(matching) == 1, "the weights of every epoch should differ"
    return len(recorder.weights) - 1, matching[0]


def keras_early_stopping_by_hooks(losses, patience, model):
    """Calls the callback's hooks as `fit` does; each epoch's weights hold its index."""
    stopping = keras.callbacks.EarlyStopping(
        monitor="val_loss", patience=patience, restore_best_weights=True
    )
    stopping.set_model(model)
    model.stop_training = False
    stopping.on_train_begin()
    for epoch, loss in enumerate(losses):
        model.set_weights([np.full((2, 1), float(epoch)), np.zeros(1)])
        stopping.on_epoch_end(epoch, {"val_loss": loss})
        if model.stop_training:
            break
    stopping.on_train_end()
    return epoch, int(model.get_weights()[0][0, 0])


EARLY_STOPPING_CASES = [
    ([0.5], 0),  # a single epoch
    ([0.9, 0.8, 0.7, 0.6], 0),  # always improving: never stops
    ([0.9, 0.8, 0.7, 0.6], 2),
    ([0.9, 0.9, 0.8], 0),  # a tie is no improvement: patience 0 stops at once
    ([0.9, 0.9, 0.8], 1),  # ... and patience 1 stops there too
    ([0.9, 0.9, 0.8], 2),
    ([0.9, 0.7, 0.8, 0.7, 0.75, 0.6], 2),  # ties with the best, stops before the new best
    ([0.9, 0.7, 0.8, 0.7, 0.75, 0.6], 3),
    ([0.9, 0.7, 0.8, 0.7, 0.75, 0.6], 4),  # improves on the last epoch
    ([0.9, 0.7, 0.8, 0.75, 0.72, 0.71, 0.73], 10),  # never stops: best weights restored
    ([0.5, 0.6, 0.7, 0.8], 1),  # the first epoch is the best
    ([0.5, 0.6, 0.7, 0.8], 5),
    FLOAT32_TIE := ([1.0, 1.0 - 1e-9, 0.5], 0),  # equal in float32: a tie for Keras
    ([0.8, float("nan"), 0.7, 0.9], 1),  # NaN is never an improvement
]


@pytest.mark.parametrize(("losses", "patience"), EARLY_STOPPING_CASES)
def test_early_stopping_epoch_matches_keras_early_stopping_in_fit(losses, patience):
    if (losses, patience) == FLOAT32_TIE and keras.backend.backend() != "tensorflow":
        pytest.skip(
            "Keras on TensorFlow hands callbacks float32 logs, so 1 - 1e-9 ties with 1; "
            "other backends keep float64, as the exercise does not"
        )
    assert early_stopping_epoch(losses, patience) == keras_early_stopping_by_fit(losses, patience)


def test_early_stopping_epoch_matches_the_keras_callback_on_random_sequences():
    model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
    rng = np.random.default_rng(0)
    stops = set()
    for _ in range(300):
        # Losses on a coarse grid, so that ties are frequent.
        losses = list(np.round(rng.uniform(0, 1, size=rng.integers(1, 15)), 1))
        patience = int(rng.integers(0, 5))
        expected = keras_early_stopping_by_hooks(losses, patience, model)
        assert early_stopping_epoch(losses, patience) == expected, (losses, patience)
        stops.add(expected[0] == len(losses) - 1)
    assert stops == {True, False}  # both stopped early and ran out of epochs


def test_early_stopping_epoch_checks_its_arguments():
    with pytest.raises(ValueError, match="empty"):
        early_stopping_epoch([], 2)
    for patience in (-1, 1.5, True):
        with pytest.raises(ValueError, match="Received: patience="):
            early_stopping_epoch([0.5, 0.4], patience)
