"""Exercises of notebook 04, regularisation: L1/L2 steps, dropout, early stopping, batch
and layer normalisation, with the hints for classic mistakes.
"""

import numpy as np

from coursekit.grading import fuzz
from coursekit.grading.compare import ATOL, RTOL, mismatch
from coursekit.grading.registry import Case, Hint, coding, written
from coursekit.scratch import (
    batch_norm,
    dropout,
    early_stopping_epoch,
    layer_norm,
    regularized_update,
)

# --- 04.1 written answer ------------------------------------------------------------------

BIAS_AND_VARIANCE = written("04.1", "Diagnose bias and variance", 3)


# --- 04.2 regularized_update ---------------------------------------------------


def _regularized_update_cases():
    rng = np.random.default_rng(404)

    def case(description, shape, learning_rate, with_zeros=False, **penalties):
        w = rng.normal(size=shape)
        if with_zeros:
            w.flat[:: max(1, w.size // 4)] = 0.0
        return Case(description, (w, rng.normal(size=shape), learning_rate), penalties)

    return [
        case("no penalty: a plain SGD step", (3, 4), 0.1),
        case("L2 only", (4, 3), 0.1, l2=0.01),
        case("L1 only", (5,), 0.05, l1=0.02),
        case("L1 and L2 together", (3, 3), 0.5, l1=0.1, l2=0.2),
        case("L1 with some weights exactly zero", (4, 4), 0.1, with_zeros=True, l1=0.3),
        case("a strong L2 penalty on a conv kernel", (3, 3, 2, 4), 0.01, l2=5.0),
        case("learning rate 1, as in the lecture's update rule", (6,), 1.0, l1=0.05, l2=0.05),
    ]


def _any_shape(rng, ndim=(1, 4), size=(1, 6)):
    return tuple(int(n) for n in rng.integers(*size, size=rng.integers(ndim[0], ndim[1] + 1)))


def _regularized_update_fuzz(rng):
    def make(rng):
        shape = _any_shape(rng)
        w = fuzz.values(rng, shape, fuzz.pick(rng, ["normal", "ties"]))
        penalties = {name: float(fuzz.pick(rng, [0.0, rng.uniform(0, 2)])) for name in ("l1", "l2")}
        return (w, rng.normal(size=shape), float(rng.uniform(0.001, 2))), penalties

    return fuzz.draw(rng, 40, make, regularized_update)


def _l2_without_factor_2(w, grad, learning_rate, l1=0.0, l2=0.0):
    return w - learning_rate * (grad + l1 * np.sign(w) + l2 * w)


def _l1_like_l2(w, grad, learning_rate, l1=0.0, l2=0.0):
    return w - learning_rate * (grad + l1 * w + 2 * l2 * w)


def _penalty_without_learning_rate(w, grad, learning_rate, l1=0.0, l2=0.0):
    return w - learning_rate * grad - (l1 * np.sign(w) + 2 * l2 * w)


def _sign_of_zero_is_one(w, grad, learning_rate, l1=0.0, l2=0.0):
    return w - learning_rate * (grad + l1 * np.where(w >= 0, 1.0, -1.0) + 2 * l2 * w)


REGULARIZED_UPDATE = coding(
    "04.2",
    "One SGD step with L1 and L2 penalties",
    2,
    reference=regularized_update,
    cases=_regularized_update_cases,
    fuzz=_regularized_update_fuzz,
    hints=(
        Hint(
            "The derivative of l2 * w**2 is 2 * l2 * w: keep the factor 2 (Keras's "
            "penalty is l2 * sum(w**2), with no 1/2 in front).",
            _l2_without_factor_2,
        ),
        Hint(
            "The derivative of l1 * |w| is l1 * sign(w): the same size for every "
            "non-zero weight, whatever its magnitude.",
            _l1_like_l2,
        ),
        Hint(
            "The step is learning_rate times the whole gradient, penalty included.",
            _penalty_without_learning_rate,
        ),
        Hint(
            "At w = 0 use sign(0) = 0 (np.sign), as TensorFlow's gradient of |w| does.",
            _sign_of_zero_is_one,
        ),
    ),
)


# --- 04.3 dropout --------------------------------------------------------------


def _dropout_cases():
    rng = np.random.default_rng(4003)

    def case(description, shape, rate, training, seed):
        x = rng.uniform(0.5, 2.0, size=shape)  # no zeros: a zero output means "dropped"
        return Case(description, (x, rate, training), {"seed": seed})

    return [
        case("rate 0.3 in training, 200 examples of 100 features", (200, 100), 0.3, True, 1),
        case("rate 0.2 on a batch of feature maps", (16, 8, 8, 16), 0.2, True, 2),
        case("rate 0.75 in training", (300, 80), 0.75, True, 3),
        case("rate 0.5 in training", (100, 200), 0.5, True, 4),
        case("rate 0 in training keeps everything", (20, 30), 0.0, True, 5),
        case("rate 0.4 at inference (training=False)", (100, 50), 0.4, False, 6),
        case("rate 0.5 at inference on feature maps", (4, 6, 6, 3), 0.5, False, 7),
    ]


def _dropout_fuzz(rng):
    """Inputs of 2,000 to 6,000 values, enough for the statistical comparison."""

    def make(rng):
        size = int(rng.integers(2000, 6001))
        shape = fuzz.pick(rng, [(size,), (size // 50, 50), (size // 96, 4, 4, 6)])
        x = rng.uniform(0.5, 2.0, size=shape) * rng.choice([-1.0, 1.0], size=shape)
        rate = float(fuzz.pick(rng, [0.0, rng.uniform(0.05, 0.9)]))
        return (x, rate, bool(rng.integers(2))), {"seed": int(rng.integers(1000))}

    return fuzz.draw(rng, 16, make, dropout)


def _dropout_mismatch(got, expected):
    """Compares two dropout outputs for the same input by their statistics.

    The masks differ between implementations, so the fraction of zeros is
    compared within six standard deviations, the values kept by both exactly, and
    the means within six standard errors.
    """
    if type(got) is not np.ndarray or got.shape != expected.shape or got.dtype.kind != "f":
        return mismatch(got, expected)  # reports the type, shape or dtype
    got_dropped, expected_dropped = got == 0, expected == 0
    rate, fraction = expected_dropped.mean(), got_dropped.mean()
    if abs(fraction - rate) > 6 * np.sqrt(2 * rate * (1 - rate) / got.size):
        should = f"about {rate:.0%} should be" if rate > 0 else "none should be"
        return f"{fraction:.1%} of the outputs are zero, but {should}."
    kept = ~got_dropped & ~expected_dropped
    differ = ~np.isclose(got[kept], expected[kept], rtol=RTOL, atol=ATOL)
    if differ.any():
        factor = np.median(got[kept][differ] / expected[kept][differ])
        return (
            f"{differ.mean():.0%} of the values you keep differ from the expected values: "
            f"yours are about {factor:.3g} times as large."
        )
    spread = 6 * np.sqrt((got.var() + expected.var()) / got.size)
    if abs(got.mean() - expected.mean()) > spread:
        return f"the output's mean is {got.mean():.4g}; it should be about {expected.mean():.4g}."
    if got.ndim > 1 and _same_mask_for_every_example(got_dropped, expected_dropped):
        return "every example in the batch has the same mask."
    return None


def _same_mask_for_every_example(got_dropped, expected_dropped):
    return np.all(got_dropped == got_dropped[:1]) and not np.all(
        expected_dropped == expected_dropped[:1]
    )


def _no_rescaling(x, rate, training, seed=None):
    if not training:
        return x.copy()
    keep = np.random.default_rng(seed).random(x.shape) >= rate
    return np.where(keep, x, 0.0)


def _active_at_inference(x, rate, training, seed=None):
    return dropout(x, rate, True, seed)


def _scaled_at_inference(x, rate, training, seed=None):
    return _no_rescaling(x, rate, True, seed) if training else x * (1 - rate)


def _rate_as_keep_probability(x, rate, training, seed=None):
    if not training:
        return x.copy()
    keep = np.random.default_rng(seed).random(x.shape) < rate
    return np.where(keep, x / (1 - rate), 0.0)


def _one_mask_for_the_batch(x, rate, training, seed=None):
    if not training:
        return x.copy()
    keep = np.random.default_rng(seed).random(x.shape[1:]) >= rate
    return np.where(keep, x / (1 - rate), 0.0)


DROPOUT = coding(
    "04.3",
    "Inverted dropout",
    3,
    reference=dropout,
    cases=_dropout_cases,
    fuzz=_dropout_fuzz,
    hints=(
        Hint(
            "Inverted dropout divides the values it keeps by 1 - rate, so that the "
            "expected output equals the input.",
            _no_rescaling,
        ),
        Hint(
            "With training=False dropout is switched off: return x unchanged.",
            _active_at_inference,
        ),
        Hint(
            "That is the original dropout, which scales at test time. Keras's inverted "
            "dropout scales in training (divide by 1 - rate) and leaves x unchanged "
            "at inference.",
            _scaled_at_inference,
        ),
        Hint(
            "`rate` is the probability of dropping a value, not of keeping it.",
            _rate_as_keep_probability,
        ),
        Hint(
            "Draw a mask of the full shape of x, so that every example gets its own.",
            _one_mask_for_the_batch,
        ),
    ),
    compare=_dropout_mismatch,
)


# --- 04.4 written answer ------------------------------------------------------------------

DROPOUT_AT_TEST_TIME = written("04.4", "Why dropout is switched off at test time", 2)


# --- 04.5 early_stopping_epoch -------------------------------------------------


def _early_stopping_cases():
    curve = [2.3, 1.6, 1.2, 1.0, 0.91, 0.86, 0.84, 0.85, 0.83, 0.86, 0.87, 0.9, 0.89, 0.93]
    return [
        Case("always improving: never stops", ([0.9, 0.8, 0.7, 0.6], 2)),
        Case("stops after 3 epochs without improvement", ([1.0, 0.8, 0.85, 0.9, 0.95, 0.7], 3)),
        Case("patience 0 stops at the first epoch without improvement", ([0.9, 0.8, 0.85, 0.7], 0)),
        Case("a loss equal to the best one is no improvement", ([0.9, 0.7, 0.7, 0.7, 0.6], 2)),
        Case("the last epoch improves", ([0.9, 0.8, 0.85, 0.82, 0.6], 3)),
        Case("runs out of epochs without stopping", ([0.9, 0.6, 0.7, 0.8, 0.75], 5)),
        Case("a single epoch", ([0.4], 1)),
        Case("the first epoch is the best", ([0.5, 0.6, 0.55, 0.7], 2)),
        Case("a noisy validation curve, patience 2", (curve, 2)),
        Case("a noisy validation curve, patience 4", (np.array(curve), 4)),
    ]


def _early_stopping_fuzz(rng):
    """Short curves over a few distinct losses: ties, plateaus and late improvements."""

    def make(rng):
        losses = [float(v) for v in rng.choice([0.5, 0.6, 0.7, 0.8, 0.9], rng.integers(1, 13))]
        curve = fuzz.pick(rng, [losses, np.array(losses)])
        return (curve, int(rng.integers(0, 6))), {}

    return fuzz.draw(rng, 400, make, early_stopping_epoch)


def _stopping_rule(val_losses, patience, improves, stops):
    """Early stopping with a given improvement test and stopping test, for wrong answers."""
    best, wait = 0, 0
    for epoch in range(1, len(val_losses)):
        if improves(val_losses[epoch], val_losses[best]):
            best, wait = epoch, 0
            continue
        wait += 1
        if stops(wait, patience):
            return epoch, best
    return len(val_losses) - 1, best


def _waits_one_epoch_too_long(val_losses, patience):
    return _stopping_rule(val_losses, patience, lambda a, b: a < b, lambda w, p: w > p)


def _ties_improve(val_losses, patience):
    return _stopping_rule(val_losses, patience, lambda a, b: a <= b, lambda w, p: w >= p)


def _one_based(val_losses, patience):
    stop, best = early_stopping_epoch(val_losses, patience)
    return stop + 1, best + 1


def _keeps_last_weights_when_not_stopped(val_losses, patience):
    stop, best = early_stopping_epoch(val_losses, patience)
    return (stop, stop) if stop == len(val_losses) - 1 else (stop, best)


def _stops_at_best_plus_patience(val_losses, patience):
    best = 0
    for epoch in range(len(val_losses)):
        if val_losses[epoch] < val_losses[best]:
            best = epoch
        if epoch - best >= patience:
            return epoch, best
    return len(val_losses) - 1, best


EARLY_STOPPING_EPOCH = coding(
    "04.5",
    "Where early stopping stops",
    3,
    reference=early_stopping_epoch,
    cases=_early_stopping_cases,
    fuzz=_early_stopping_fuzz,
    hints=(
        Hint(
            "Training stops at the end of the epoch that makes `patience` epochs "
            "without improvement in a row: count the epochs since the last improvement.",
            _waits_one_epoch_too_long,
        ),
        Hint("Return 0-based epoch indices into val_losses.", _one_based),
        Hint(
            "A loss equal to the best so far is no improvement: it must be strictly lower.",
            _ties_improve,
        ),
        Hint(
            "With restore_best_weights=True, Keras restores the best epoch's weights "
            "whenever training ends, also when it runs out of epochs.",
            _keeps_last_weights_when_not_stopped,
        ),
        Hint(
            "With patience=0, training still runs until the first epoch without "
            "improvement and stops at its end.",
            _stops_at_best_plus_patience,
        ),
    ),
)


# --- 04.6 batch_norm -----------------------------------------------------------


def _batch_norm_cases():
    rng = np.random.default_rng(406)

    def case(description, shape, training, **kwargs):
        features = shape[-1]
        x = rng.normal(rng.uniform(-2, 4, size=features), rng.uniform(0.5, 3, size=features))
        x = x + rng.normal(size=shape)
        arrays = (
            rng.uniform(0.5, 2, size=features),  # gamma
            rng.normal(size=features),  # beta
            rng.normal(size=features),  # moving_mean, far from the batch mean
            rng.uniform(0.3, 3, size=features),  # moving_variance
        )
        return Case(description, (x, *arrays, training), kwargs)

    return [
        case("training, 8 examples of 3 features", (8, 3), True),
        case("inference, 8 examples of 3 features", (8, 3), False),
        case("training on feature maps (spatial batch norm)", (4, 5, 5, 2), True),
        case("inference on feature maps", (4, 5, 5, 2), False),
        case(
            "training with momentum 0.9 and epsilon 1e-5", (6, 4), True, momentum=0.9, epsilon=1e-5
        ),
        case("training on a batch of two", (2, 3), True, momentum=0.5),
        case("inference on a single example", (1, 3), False),
    ]


def _batch_norm_fuzz(rng):
    def make(rng):
        shape = fuzz.pick(rng, [_any_shape(rng, (2, 2)), _any_shape(rng, (4, 4), (1, 4))])
        features = shape[-1]
        x = fuzz.values(rng, shape) + rng.uniform(-3, 3, size=features)
        arrays = (
            rng.uniform(0.5, 2, size=features),
            rng.normal(size=features),
            rng.normal(size=features),
            rng.uniform(0.3, 3, size=features),
        )
        kwargs = fuzz.pick(
            rng,
            [{}, {"momentum": float(rng.uniform(0, 1)), "epsilon": float(rng.uniform(1e-5, 0.5))}],
        )
        return (x, *arrays, bool(rng.integers(2))), kwargs

    return fuzz.draw(rng, 50, make, batch_norm)


def _spatial_axes(x):
    return tuple(range(x.ndim - 1))


def _normalise(x, gamma, beta, mean, variance, epsilon):
    return gamma * (x - mean) / np.sqrt(variance + epsilon) + beta


def _batch_statistics_at_inference(x, gamma, beta, mm, mv, training, momentum=0.99, epsilon=1e-3):
    _, new_mean, new_variance = batch_norm(x, gamma, beta, mm, mv, training, momentum, epsilon)
    mean, variance = x.mean(axis=_spatial_axes(x)), x.var(axis=_spatial_axes(x))
    return _normalise(x, gamma, beta, mean, variance, epsilon), new_mean, new_variance


def _momentum_reversed(x, gamma, beta, mm, mv, training, momentum=0.99, epsilon=1e-3):
    return batch_norm(x, gamma, beta, mm, mv, training, 1.0 - momentum, epsilon)


def _unbiased_variance(x, gamma, beta, mm, mv, training, momentum=0.99, epsilon=1e-3):
    if not training:
        return batch_norm(x, gamma, beta, mm, mv, training, momentum, epsilon)
    axes = _spatial_axes(x)
    mean, variance = x.mean(axis=axes), x.var(axis=axes, ddof=1)
    y = _normalise(x, gamma, beta, mean, variance, epsilon)
    return y, mm * momentum + mean * (1 - momentum), mv * momentum + variance * (1 - momentum)


def _epsilon_outside_the_root(x, gamma, beta, mm, mv, training, momentum=0.99, epsilon=1e-3):
    _, new_mean, new_variance = batch_norm(x, gamma, beta, mm, mv, training, momentum, epsilon)
    axes = _spatial_axes(x)
    mean, variance = (x.mean(axis=axes), x.var(axis=axes)) if training else (mm, mv)
    return gamma * (x - mean) / (np.sqrt(variance) + epsilon) + beta, new_mean, new_variance


def _per_position_statistics(x, gamma, beta, mm, mv, training, momentum=0.99, epsilon=1e-3):
    if not training or x.ndim == 2:
        return batch_norm(x, gamma, beta, mm, mv, training, momentum, epsilon)
    mean, variance = x.mean(axis=0), x.var(axis=0)
    y = _normalise(x, gamma, beta, mean, variance, epsilon)
    axes = _spatial_axes(mean)
    new_mean = mm * momentum + mean.mean(axis=axes) * (1 - momentum)
    return y, new_mean, mv * momentum + variance.mean(axis=axes) * (1 - momentum)


def _normalises_with_the_updated_averages(
    x, gamma, beta, mm, mv, training, momentum=0.99, epsilon=1e-3
):
    _, new_mean, new_variance = batch_norm(x, gamma, beta, mm, mv, training, momentum, epsilon)
    return _normalise(x, gamma, beta, new_mean, new_variance, epsilon), new_mean, new_variance


BATCH_NORM = coding(
    "04.6",
    "Batch normalisation in training and at inference",
    4,
    reference=batch_norm,
    cases=_batch_norm_cases,
    fuzz=_batch_norm_fuzz,
    hints=(
        Hint(
            "At inference (training=False), normalise with moving_mean and "
            "moving_variance, not with the statistics of the batch.",
            _batch_statistics_at_inference,
        ),
        Hint(
            "Keras keeps `momentum` of the old average: "
            "moving * momentum + batch_statistic * (1 - momentum).",
            _momentum_reversed,
        ),
        Hint(
            "Use the biased variance (np.var, dividing by the number of values), "
            "as Keras does, both to normalise and to update the moving variance.",
            _unbiased_variance,
        ),
        Hint("Add epsilon to the variance, inside the square root.", _epsilon_outside_the_root),
        Hint(
            "For feature maps, each channel has one mean and one variance, taken over "
            "the batch and all positions: reduce over every axis but the last.",
            _per_position_statistics,
        ),
        Hint(
            "In training, normalise with the batch statistics; the moving averages "
            "are only updated, for use at inference.",
            _normalises_with_the_updated_averages,
        ),
    ),
)


# --- 04.7 layer_norm -----------------------------------------------------------


def _layer_norm_cases():
    rng = np.random.default_rng(407)

    def case(description, shape, **kwargs):
        features = shape[-1]
        x = rng.normal(size=shape) * rng.uniform(0.5, 3, size=(*shape[:-1], 1))
        x = x + rng.uniform(-3, 3, size=(*shape[:-1], 1))  # a different offset per example
        gamma, beta = rng.uniform(0.5, 2, size=features), rng.normal(size=features)
        return Case(description, (x, gamma, beta), kwargs)

    return [
        case("4 examples of 6 features", (4, 6)),
        case("a batch of one", (1, 5)),
        case("a sequence: (batch, steps, features)", (3, 4, 6)),
        case("feature maps: each position on its own", (2, 3, 3, 4)),
        case("epsilon 1e-5", (5, 3), epsilon=1e-5),
    ]


def _layer_norm_fuzz(rng):
    def make(rng):
        shape = _any_shape(rng)
        x = fuzz.values(rng, shape) + rng.uniform(-3, 3, size=(*shape[:-1], 1))
        gamma, beta = rng.uniform(0.5, 2, size=shape[-1]), rng.normal(size=shape[-1])
        return (x, gamma, beta), fuzz.pick(rng, [{}, {"epsilon": float(rng.uniform(1e-5, 0.5))}])

    return fuzz.draw(rng, 40, make, layer_norm)


def _over_the_batch(x, gamma, beta, epsilon=1e-3):
    mean, variance = x.mean(axis=0), x.var(axis=0)
    return gamma * (x - mean) / np.sqrt(variance + epsilon) + beta


def _layer_norm_unbiased(x, gamma, beta, epsilon=1e-3):
    mean, variance = x.mean(axis=-1, keepdims=True), x.var(axis=-1, ddof=1, keepdims=True)
    return gamma * (x - mean) / np.sqrt(variance + epsilon) + beta


def _over_all_but_the_batch(x, gamma, beta, epsilon=1e-3):
    axes = tuple(range(1, x.ndim))
    mean, variance = x.mean(axis=axes, keepdims=True), x.var(axis=axes, keepdims=True)
    return gamma * (x - mean) / np.sqrt(variance + epsilon) + beta


def _layer_norm_epsilon_outside(x, gamma, beta, epsilon=1e-3):
    mean, deviation = x.mean(axis=-1, keepdims=True), x.std(axis=-1, keepdims=True)
    return gamma * (x - mean) / (deviation + epsilon) + beta


LAYER_NORM = coding(
    "04.7",
    "Layer normalisation",
    2,
    reference=layer_norm,
    cases=_layer_norm_cases,
    fuzz=_layer_norm_fuzz,
    hints=(
        Hint(
            "Layer norm normalises each example over its own features (the last axis); "
            "normalising each feature over the batch is batch norm.",
            _over_the_batch,
        ),
        Hint("Use the biased variance (np.var), as Keras does.", _layer_norm_unbiased),
        Hint(
            "Normalise over the last axis only, as keras.layers.LayerNormalization() "
            "does by default: every position of a feature map on its own.",
            _over_all_but_the_batch,
        ),
        Hint("Add epsilon to the variance, inside the square root.", _layer_norm_epsilon_outside),
    ),
)


EXERCISES = (
    BIAS_AND_VARIANCE,
    REGULARIZED_UPDATE,
    DROPOUT,
    DROPOUT_AT_TEST_TIME,
    EARLY_STOPPING_EPOCH,
    BATCH_NORM,
    LAYER_NORM,
)
