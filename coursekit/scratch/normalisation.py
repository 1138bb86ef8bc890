"""Batch and layer normalisation in NumPy, with Keras's conventions."""

import numpy as np

from coursekit._arguments import batch_of_features, feature_vector, float64_array


def batch_norm(x, gamma, beta, moving_mean, moving_variance, training, momentum=0.99, epsilon=1e-3):
    """Computes `keras.layers.BatchNormalization` (features on the last axis).

    Statistics are taken per feature (channel) over every other axis: over the
    batch for `(batch, features)` inputs, over the batch and all positions for
    `(batch, height, width, channels)` feature maps (spatial batch norm). In
    training the layer normalises with the batch mean and the *biased* batch
    variance (divided by the number of values, not one less) and updates the
    moving averages as Keras does,

    `moving = moving * momentum + batch_statistic * (1 - momentum)`;

    at inference it normalises with the moving averages and leaves them alone.
    Either way the output is `gamma * (x - mean) / sqrt(variance + epsilon) + beta`.

    Args:
        x: the input, `(batch, ..., features)`.
        gamma: the learned scale, `(features,)`.
        beta: the learned offset, `(features,)`.
        moving_mean: the running mean, `(features,)`.
        moving_variance: the running variance, `(features,)`.
        training: whether to use (and fold in) the batch statistics.
        momentum: how much of the old moving average each update keeps.
        epsilon: added to the variance before the square root.

    Returns:
        A tuple `(y, new_moving_mean, new_moving_variance)` of new float arrays.

    Raises:
        ValueError: if a parameter's shape is not `(features,)`.

    Example:

    >>> x = np.array([[1.0, 10.0], [3.0, 30.0]])
    >>> ones, zeros = np.ones(2), np.zeros(2)
    >>> y, mean, variance = batch_norm(x, ones, zeros, zeros, ones, training=True, epsilon=0.0)
    >>> y
    array([[-1., -1.],
           [ 1.,  1.]])
    >>> mean, variance
    (array([0.02, 0.2 ]), array([1.  , 1.99]))
    """
    x = batch_of_features(x)
    gamma, beta, moving_mean, moving_variance = (
        feature_vector(value, x, name)
        for value, name in (
            (gamma, "gamma"),
            (beta, "beta"),
            (moving_mean, "moving_mean"),
            (moving_variance, "moving_variance"),
        )
    )
    if training:
        axes = tuple(range(x.ndim - 1))
        mean, variance = x.mean(axis=axes), x.var(axis=axes)
        moving_mean = moving_mean * momentum + mean * (1.0 - momentum)
        moving_variance = moving_variance * momentum + variance * (1.0 - momentum)
    else:
        mean, variance = moving_mean, moving_variance
    y = gamma * (x - mean) / np.sqrt(variance + epsilon) + beta
    return y, moving_mean, moving_variance


def layer_norm(x, gamma, beta, epsilon=1e-3):
    """Computes `keras.layers.LayerNormalization` over the last axis.

    Each example (and, for feature maps, each position) is normalised by the mean
    and biased variance of its own features, so the result does not depend on the
    rest of the batch and is the same in training and at inference:
    `gamma * (x - mean) / sqrt(variance + epsilon) + beta`.

    Args:
        x: the input, `(..., features)`; a single vector is one example.
        gamma: the learned scale, `(features,)`.
        beta: the learned offset, `(features,)`.
        epsilon: added to the variance before the square root.

    Returns:
        A new float array of the shape of `x`.

    Raises:
        ValueError: if `gamma` or `beta` is not of shape `(features,)`.

    Example:

    >>> layer_norm(np.array([[1.0, 3.0], [10.0, 30.0]]), np.ones(2), np.zeros(2), epsilon=0.0)
    array([[-1.,  1.],
           [-1.,  1.]])
    """
    x = float64_array(x)
    gamma, beta = feature_vector(gamma, x, "gamma"), feature_vector(beta, x, "beta")
    mean = x.mean(axis=-1, keepdims=True)
    variance = x.var(axis=-1, keepdims=True)
    return gamma * (x - mean) / np.sqrt(variance + epsilon) + beta
