"""Answers to notebook 04: right ones in a different style from the references, and
classic wrong ones that the checks must reject."""

import numpy as np

# --- 04.2 regularized_update ----------------------------------------------------------


def regularized_update(w, grad, learning_rate, l1=0.0, l2=0.0):
    step = np.copy(grad)
    step += l1 * np.sign(w)
    step += 2.0 * l2 * w
    return w - learning_rate * step


def regularized_update_elementwise(w, grad, learning_rate, l1=0.0, l2=0.0):
    new = np.empty_like(w)
    for index, value in np.ndenumerate(w):
        sign = int(value > 0) - int(value < 0)
        new[index] = value - learning_rate * (grad[index] + l1 * sign + 2 * l2 * value)
    return new


def regularized_update_without_factor_2(w, grad, learning_rate, l1=0.0, l2=0.0):
    return w - learning_rate * (grad + l1 * np.sign(w) + l2 * w)


def regularized_update_l1_times_w(w, grad, learning_rate, l1=0.0, l2=0.0):
    return w - learning_rate * (grad + l1 * w + 2 * l2 * w)


def regularized_update_lecture_rule_without_eta(w, grad, learning_rate, l1=0.0, l2=0.0):
    # (w - H) - lambda * sign(w) - 2 * lambda * w: the rule written for eta = 1
    return (w - learning_rate * grad) - l1 * np.sign(w) - 2 * l2 * w


def regularized_update_sign_of_zero_is_one(w, grad, learning_rate, l1=0.0, l2=0.0):
    sign = np.where(w >= 0, 1.0, -1.0)
    return w - learning_rate * (grad + l1 * sign + 2 * l2 * w)


def regularized_update_adds_the_penalty(w, grad, learning_rate, l1=0.0, l2=0.0):
    return w - learning_rate * (grad - l1 * np.sign(w) - 2 * l2 * w)


def regularized_update_in_place(w, grad, learning_rate, l1=0.0, l2=0.0):
    w -= learning_rate * (grad + l1 * np.sign(w) + 2 * l2 * w)
    return w


# --- 04.3 dropout ---------------------------------------------------------------------


def dropout(x, rate, training, seed=None):
    if not training:
        return np.array(x, dtype=float)
    keep = np.random.default_rng(seed).binomial(1, 1 - rate, size=x.shape)
    return x * keep / (1 - rate)


# One generator for the whole test session, as a student's global NumPy state: the
# seed argument is ignored, yet every run of the tests draws the same masks.
_UNSEEDED = np.random.RandomState(2024)


def dropout_ignoring_the_seed(x, rate, training, seed=None):
    if training and rate > 0:
        mask = _UNSEEDED.rand(*x.shape) > rate
        return mask * x * (1.0 / (1.0 - rate))
    return x + 0.0


def dropout_without_rescaling(x, rate, training, seed=None):
    if not training:
        return x.copy()
    return x * (np.random.default_rng(seed).random(x.shape) >= rate)


def dropout_active_at_inference(x, rate, training, seed=None):
    keep = np.random.default_rng(seed).random(x.shape) >= rate
    return np.where(keep, x / (1 - rate), 0.0)


def dropout_scaled_at_inference(x, rate, training, seed=None):
    if not training:
        return x * (1 - rate)
    return x * (np.random.default_rng(seed).random(x.shape) >= rate)


def dropout_rate_is_keep_probability(x, rate, training, seed=None):
    if not training:
        return x.copy()
    keep = np.random.default_rng(seed).random(x.shape) < rate
    return np.where(keep, x / (1 - rate), 0.0)


def dropout_one_mask_for_the_batch(x, rate, training, seed=None):
    if not training:
        return x.copy()
    keep = np.random.default_rng(seed).random(x.shape[1:]) >= rate
    return x * keep / (1 - rate)


def dropout_divides_by_rate(x, rate, training, seed=None):
    if not training or rate == 0:
        return x.copy()
    keep = np.random.default_rng(seed).random(x.shape) >= rate
    return x * keep / rate


def dropout_returns_a_list(x, rate, training, seed=None):
    keep = np.random.default_rng(seed).random(x.shape) >= rate if training else True
    return (x * keep / (1 - rate) if training else x).tolist()


# --- 04.5 early_stopping_epoch --------------------------------------------------------


def early_stopping_epoch(val_losses, patience):
    best_epoch = 0
    for epoch, loss in enumerate(val_losses):
        if loss < val_losses[best_epoch]:
            best_epoch = epoch
        elif epoch - best_epoch >= max(patience, 1):
            return epoch, best_epoch
    return len(val_losses) - 1, best_epoch


def _keras_like(val_losses, patience, *, improves, limit):
    best, best_epoch, wait = None, 0, 0
    for epoch, loss in enumerate(val_losses):
        wait += 1
        if best is None or improves(loss, best):
            best, best_epoch, wait = loss, epoch, 0
        elif wait >= limit(patience):
            return epoch, best_epoch
    return len(val_losses) - 1, best_epoch


def early_stopping_epoch_like_keras(val_losses, patience):
    return _keras_like(val_losses, patience, improves=lambda a, b: a < b, limit=lambda p: p)


def early_stopping_epoch_off_by_one(val_losses, patience):
    return _keras_like(val_losses, patience, improves=lambda a, b: a < b, limit=lambda p: p + 1)


def early_stopping_epoch_ties_improve(val_losses, patience):
    return _keras_like(val_losses, patience, improves=lambda a, b: a <= b, limit=lambda p: p)


def early_stopping_epoch_stops_at_best_plus_patience(val_losses, patience):
    best = 0
    for epoch, loss in enumerate(val_losses):
        if loss < val_losses[best]:
            best = epoch
        if epoch - best >= patience:  # with patience 0, "stops" at the best epoch itself
            return epoch, best
    return len(val_losses) - 1, best


# --- 04.6 batch_norm ------------------------------------------------------------------


def batch_norm(x, gamma, beta, moving_mean, moving_variance, training, momentum=0.99, epsilon=1e-3):
    flat = x.reshape(-1, x.shape[-1])
    if training:
        mean = flat.sum(axis=0) / len(flat)
        variance = ((flat - mean) ** 2).sum(axis=0) / len(flat)
        new_mean = momentum * moving_mean + (1 - momentum) * mean
        new_variance = momentum * moving_variance + (1 - momentum) * variance
    else:
        mean, variance = moving_mean, moving_variance
        new_mean, new_variance = moving_mean.copy(), moving_variance.copy()
    scale = gamma / np.sqrt(variance + epsilon)
    return x * scale + (beta - mean * scale), new_mean, new_variance


def _batch_norm_variant(x, gamma, beta, mm, mv, training, momentum, epsilon, **change):
    if not (training or change.get("batch_stats_at_inference")):
        return gamma * (x - mm) / np.sqrt(mv + epsilon) + beta, mm, mv
    axes = tuple(range(x.ndim - 1))
    mean, variance = x.mean(axis=axes), x.var(axis=axes, ddof=change.get("ddof", 0))
    keep = change.get("keep", momentum)
    new_mean = mm * keep + mean * (1 - keep) if training else mm
    new_variance = mv * keep + variance * (1 - keep) if training else mv
    return gamma * (x - mean) / np.sqrt(variance + epsilon) + beta, new_mean, new_variance


def batch_norm_batch_statistics_at_inference(
    x, gamma, beta, mm, mv, training, momentum=0.99, epsilon=1e-3
):
    return _batch_norm_variant(
        x, gamma, beta, mm, mv, training, momentum, epsilon, batch_stats_at_inference=True
    )


def batch_norm_momentum_reversed(x, gamma, beta, mm, mv, training, momentum=0.99, epsilon=1e-3):
    return _batch_norm_variant(
        x, gamma, beta, mm, mv, training, momentum, epsilon, keep=1 - momentum
    )


def batch_norm_unbiased_variance(x, gamma, beta, mm, mv, training, momentum=0.99, epsilon=1e-3):
    return _batch_norm_variant(x, gamma, beta, mm, mv, training, momentum, epsilon, ddof=1)


def batch_norm_per_position(x, gamma, beta, mm, mv, training, momentum=0.99, epsilon=1e-3):
    mean, variance = (x.mean(axis=0), x.var(axis=0)) if training else (mm, mv)
    y = gamma * (x - mean) / np.sqrt(variance + epsilon) + beta
    if not training:
        return y, mm, mv
    flat_mean = mean.reshape(-1, x.shape[-1]).mean(axis=0)
    flat_variance = variance.reshape(-1, x.shape[-1]).mean(axis=0)
    return (
        y,
        mm * momentum + flat_mean * (1 - momentum),
        mv * momentum + flat_variance * (1 - momentum),
    )


def batch_norm_updates_at_inference(x, gamma, beta, mm, mv, training, momentum=0.99, epsilon=1e-3):
    y, new_mean, new_variance = _batch_norm_variant(x, gamma, beta, mm, mv, True, momentum, epsilon)
    if not training:
        y = gamma * (x - mm) / np.sqrt(mv + epsilon) + beta
    return y, new_mean, new_variance


def batch_norm_returns_only_y(x, gamma, beta, mm, mv, training, momentum=0.99, epsilon=1e-3):
    return _batch_norm_variant(x, gamma, beta, mm, mv, training, momentum, epsilon)[0]


# --- 04.7 layer_norm ------------------------------------------------------------------


def layer_norm(x, gamma, beta, epsilon=1e-3):
    centred = x - x.mean(axis=-1)[..., None]
    variance = (centred**2).mean(axis=-1)[..., None]
    return centred / np.sqrt(variance + epsilon) * gamma + beta


def layer_norm_over_the_batch(x, gamma, beta, epsilon=1e-3):
    return gamma * (x - x.mean(axis=0)) / np.sqrt(x.var(axis=0) + epsilon) + beta


def layer_norm_unbiased(x, gamma, beta, epsilon=1e-3):
    variance = x.var(axis=-1, ddof=1, keepdims=True)
    return gamma * (x - x.mean(axis=-1, keepdims=True)) / np.sqrt(variance + epsilon) + beta


def layer_norm_over_all_but_the_batch(x, gamma, beta, epsilon=1e-3):
    axes = tuple(range(1, x.ndim))
    mean, variance = x.mean(axis=axes, keepdims=True), x.var(axis=axes, keepdims=True)
    return gamma * (x - mean) / np.sqrt(variance + epsilon) + beta


def layer_norm_without_gamma_and_beta(x, gamma, beta, epsilon=1e-3):
    mean, variance = x.mean(axis=-1, keepdims=True), x.var(axis=-1, keepdims=True)
    return (x - mean) / np.sqrt(variance + epsilon)


RIGHT = {
    "04.2": [regularized_update, regularized_update_elementwise],
    "04.3": [dropout, dropout_ignoring_the_seed],
    "04.5": [early_stopping_epoch, early_stopping_epoch_like_keras],
    "04.6": [batch_norm],
    "04.7": [layer_norm],
}

WRONG = {
    "04.2": [
        regularized_update_without_factor_2,
        regularized_update_l1_times_w,
        regularized_update_lecture_rule_without_eta,
        regularized_update_sign_of_zero_is_one,
        regularized_update_adds_the_penalty,
        regularized_update_in_place,
    ],
    "04.3": [
        dropout_without_rescaling,
        dropout_active_at_inference,
        dropout_scaled_at_inference,
        dropout_rate_is_keep_probability,
        dropout_one_mask_for_the_batch,
        dropout_divides_by_rate,
        dropout_returns_a_list,
    ],
    "04.5": [
        early_stopping_epoch_off_by_one,
        early_stopping_epoch_ties_improve,
        early_stopping_epoch_stops_at_best_plus_patience,
    ],
    "04.6": [
        batch_norm_batch_statistics_at_inference,
        batch_norm_momentum_reversed,
        batch_norm_unbiased_variance,
        batch_norm_per_position,
        batch_norm_updates_at_inference,
        batch_norm_returns_only_y,
    ],
    "04.7": [
        layer_norm_over_the_batch,
        layer_norm_unbiased,
        layer_norm_over_all_but_the_batch,
        layer_norm_without_gamma_and_beta,
    ],
}

# Wrong answers whose check must name the mistake: (exercise, answer, words of the hint).
HINTS = [
    ("04.2", regularized_update_without_factor_2, "keep the factor 2"),
    ("04.2", regularized_update_l1_times_w, "l1 * sign(w)"),
    ("04.2", regularized_update_lecture_rule_without_eta, "penalty included"),
    ("04.2", regularized_update_sign_of_zero_is_one, "sign(0) = 0"),
    ("04.2", regularized_update_in_place, "changed its input"),
    ("04.3", dropout_without_rescaling, "divides the values it keeps by 1 - rate"),
    ("04.3", dropout_active_at_inference, "return x unchanged"),
    ("04.3", dropout_scaled_at_inference, "scales at test time"),
    ("04.3", dropout_rate_is_keep_probability, "not of keeping it"),
    ("04.3", dropout_one_mask_for_the_batch, "every example gets its own"),
    ("04.5", early_stopping_epoch_off_by_one, "without improvement in a row"),
    ("04.5", early_stopping_epoch_ties_improve, "strictly lower"),
    ("04.5", early_stopping_epoch_stops_at_best_plus_patience, "patience=0"),
    ("04.6", batch_norm_batch_statistics_at_inference, "not with the statistics"),
    ("04.6", batch_norm_momentum_reversed, "moving * momentum + batch_statistic"),
    ("04.6", batch_norm_unbiased_variance, "biased variance"),
    ("04.6", batch_norm_per_position, "every axis but the last"),
    ("04.7", layer_norm_over_the_batch, "over the batch is batch norm"),
    ("04.7", layer_norm_over_all_but_the_batch, "last axis only"),
]
