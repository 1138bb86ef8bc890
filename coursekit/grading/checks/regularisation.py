"""Exercises on regularisation: bias and variance, L1/L2 steps, dropout."""

import numpy as np

from coursekit.grading.compare import ATOL, RTOL, mismatch
from coursekit.grading.registry import Case, Exercise, Hint, register
from coursekit.scratch import dropout, regularized_update

NOTEBOOK_04 = "04_regularisation"

for _id, _title, _points in [
    ("04.1", "Diagnose bias and variance", 3),
    ("04.4", "Why dropout is switched off at test time", 2),
]:
    register(Exercise(id=_id, notebook=NOTEBOOK_04, title=_title, points=_points))


# --- 04.2 regularized_update ----------------------------------------------------------


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


def _l2_without_factor_2(w, grad, learning_rate, l1=0.0, l2=0.0):
    return w - learning_rate * (grad + l1 * np.sign(w) + l2 * w)


def _l1_like_l2(w, grad, learning_rate, l1=0.0, l2=0.0):
    return w - learning_rate * (grad + l1 * w + 2 * l2 * w)


def _penalty_without_learning_rate(w, grad, learning_rate, l1=0.0, l2=0.0):
    return w - learning_rate * grad - (l1 * np.sign(w) + 2 * l2 * w)


def _sign_of_zero_is_one(w, grad, learning_rate, l1=0.0, l2=0.0):
    return w - learning_rate * (grad + l1 * np.where(w >= 0, 1.0, -1.0) + 2 * l2 * w)


register(
    Exercise(
        id="04.2",
        notebook=NOTEBOOK_04,
        title="One SGD step with L1 and L2 penalties",
        points=2,
        target="regularized_update",
        reference=regularized_update,
        cases=_regularized_update_cases,
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
)


# --- 04.3 dropout ---------------------------------------------------------------------


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


register(
    Exercise(
        id="04.3",
        notebook=NOTEBOOK_04,
        title="Inverted dropout",
        points=3,
        target="dropout",
        reference=dropout,
        cases=_dropout_cases,
        compare=_dropout_mismatch,
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
    )
)
