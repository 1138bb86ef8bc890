"""Building blocks for the exercises' fuzz generators (`Exercise.fuzz`).

A fuzz generator draws `Case`s over the whole domain an exercise's statement allows.
They are never graded: the check-strength measure (`coursekit exercises --strength`)
runs mutants of the notebook's solution on them to tell a wrong mutant from an
equivalent one, so they must reach every corner a wrong answer could hide in.
"""

import re

import numpy as np

from coursekit.grading.registry import Case

# Kinds of array values: wrong answers hide in ties, signs and magnitudes.
VALUE_KINDS = ("normal", "ties", "negative", "positive", "large")
_OPEN_SPACES = re.compile(r"\[ +")


def pick(rng, options):
    """One of `options`, drawn with `rng` (keeps Python types, unlike `rng.choice`)."""
    return options[int(rng.integers(len(options)))]


def int_or_pair(rng, low, high):
    """An int in `[low, high]`, or, half the time, an `(h, w)` pair of them."""
    if rng.random() < 0.5:
        return int(rng.integers(low, high + 1))
    return tuple(int(value) for value in rng.integers(low, high + 1, size=2))


def values(rng, shape, kind=None):
    """A float64 array of `shape` whose values are of `kind` (drawn when `None`).

    Kinds: `"normal"`, `"ties"` (small integers, many equal), `"negative"` (all below
    zero), `"positive"` (all above zero) and `"large"` (magnitudes around 1000).
    """
    kind = kind or pick(rng, VALUE_KINDS)
    if kind == "ties":
        return rng.integers(-2, 3, size=shape).astype(np.float64)
    normal = rng.normal(size=shape)
    if kind == "negative":
        return -np.abs(normal) - 0.1
    if kind == "positive":
        return np.abs(normal) + 0.1
    if kind == "large":
        return normal * 1000.0
    return normal


def draw(rng, count, make, reference, attempts=50):
    """`count` cases made by `make(rng)` that `reference` accepts.

    `make` may draw invalid combinations (a window larger than its input); those it or
    the reference rejects with `ValueError` are drawn again, at most `attempts` times each.
    Each case is described by its arguments (see `describe_call`).
    """
    cases = []
    for _ in range(count * attempts):
        try:
            args, kwargs = make(rng)
            reference(*args, **kwargs)
        except ValueError:
            continue
        cases.append(Case(describe_call(args, kwargs), args, kwargs))
        if len(cases) == count:
            return cases
    raise ValueError(f"Only {len(cases)} of {count} drawn cases are valid; widen `make`.")


def describe_call(args, kwargs):
    """The arguments of a call, briefly: arrays of at most 12 values and two
    dimensions in full, others by shape.

    Example:

    >>> describe_call((np.array([[0.0, 1000.0]]), 3), {"padding": "same"})
    "array([[0., 1000.]]), 3, padding='same'"
    """
    shown = [_show(value) for value in args]
    shown += [f"{name}={_show(value)}" for name, value in kwargs.items()]
    return ", ".join(shown)


def _show(value):
    if isinstance(value, np.ndarray):
        if value.size <= 12 and value.ndim <= 2:
            text = np.array2string(value, separator=", ", precision=4)
            return f"array({_OPEN_SPACES.sub('[', ' '.join(text.split()))})"
        return f"array of shape {value.shape}"
    if callable(value):
        return getattr(value, "__name__", repr(value))
    return repr(value)
