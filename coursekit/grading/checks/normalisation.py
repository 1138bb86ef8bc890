"""Exercises on normalisation layers: batch norm (training and inference) and layer norm."""

import numpy as np

from coursekit.grading.checks.regularisation import NOTEBOOK_04
from coursekit.grading.registry import Case, Exercise, Hint, register
from coursekit.scratch import batch_norm, layer_norm

# --- 04.6 batch_norm ------------------------------------------------------------------


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


register(
    Exercise(
        id="04.6",
        notebook=NOTEBOOK_04,
        title="Batch normalisation in training and at inference",
        points=4,
        target="batch_norm",
        reference=batch_norm,
        cases=_batch_norm_cases,
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
)


# --- 04.7 layer_norm ------------------------------------------------------------------


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


register(
    Exercise(
        id="04.7",
        notebook=NOTEBOOK_04,
        title="Layer normalisation",
        points=2,
        target="layer_norm",
        reference=layer_norm,
        cases=_layer_norm_cases,
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
            Hint(
                "Add epsilon to the variance, inside the square root.", _layer_norm_epsilon_outside
            ),
        ),
    )
)
