"""Strict comparison of a student's answer with the reference answer.

`mismatch(got, expected)` returns `None` when the answer is right and otherwise
one sentence saying what differs. Types are part of the answer: an output size
must be an int, an array must be a `numpy.ndarray` of the right shape, a shape a
tuple, so a plausible-looking but wrong answer does not pass.
"""

import math
import numbers

import numpy as np

RTOL = 1e-5
ATOL = 1e-6


def mismatch(got, expected, where="the result"):
    """Returns why `got` is not `expected`, or `None` if it matches.

    Args:
        got: the student's answer.
        expected: the reference answer: an int, float, bool, str, None, tuple, list,
            dict or ndarray (nested as needed).
        where: how to name the value in the message (e.g. `"output_shape"`).

    Example:

    >>> mismatch(55, 55) is None
    True
    >>> mismatch(54.5, 55)
    'the result should be an int, but it is 54.5 (a float).'
    """
    if isinstance(expected, np.ndarray):
        return _array_mismatch(got, expected, where)
    if isinstance(expected, dict):
        return _dict_mismatch(got, expected, where)
    if isinstance(expected, (tuple, list)):
        return _sequence_mismatch(got, expected, where)
    if isinstance(expected, (bool, np.bool_)):
        return _exact_mismatch(got, bool(expected), (bool, np.bool_), "True or False", where)
    if isinstance(expected, str):
        return _exact_mismatch(got, expected, (str,), "a str", where)
    if expected is None:
        return _exact_mismatch(got, None, (type(None),), "None", where)
    if isinstance(expected, numbers.Integral):
        return _int_mismatch(got, expected, where)
    if isinstance(expected, numbers.Real):
        return _float_mismatch(got, expected, where)
    raise TypeError(f"Cannot compare with a reference of type {type(expected).__name__}.")


def describe(value):
    """Returns a short description of a value for messages, e.g. `'4.5 (a float)'`."""
    if isinstance(value, np.ndarray):
        return f"an array of shape {value.shape} and dtype {value.dtype}"
    if isinstance(value, (tuple, list)) and any(isinstance(item, np.ndarray) for item in value):
        return f"a {type(value).__name__} of {len(value)} entries"
    text = repr(value)
    if len(text) > 60:
        text = text[:57] + "..."
    return f"{text} (a {type(value).__name__})"


def _int_mismatch(got, expected, where):
    if isinstance(got, bool) or not isinstance(got, numbers.Integral):
        return f"{where} should be an int, but it is {describe(got)}."
    if got != expected:
        return f"{where} should be {expected}, but it is {got}."
    return None


def _float_mismatch(got, expected, where):
    if isinstance(got, bool) or not isinstance(got, numbers.Real):
        return f"{where} should be a number, but it is {describe(got)}."
    if math.isnan(expected) and math.isnan(got):
        return None
    if not math.isclose(got, expected, rel_tol=RTOL, abs_tol=ATOL):
        return f"{where} should be {expected:.6g}, but it is {got:.6g}."
    return None


def _exact_mismatch(got, expected, types, kind, where):
    if not isinstance(got, types):
        return f"{where} should be {kind}, but it is {describe(got)}."
    if got != expected:
        return f"{where} should be {expected!r}, but it is {got!r}."
    return None


def _sequence_mismatch(got, expected, where):
    kind = tuple if isinstance(expected, tuple) else list
    if type(got) is not kind:
        return f"{where} should be a {kind.__name__} {_like(expected)}, but it is {describe(got)}."
    if len(got) != len(expected):
        return (
            f"{where} should have {len(expected)} entries {_like(expected)}, "
            f"but it has {len(got)}: {describe(got)}."
        )
    for index, (got_item, expected_item) in enumerate(zip(got, expected, strict=True)):
        problem = mismatch(got_item, expected_item, f"{where}[{index}]")
        if problem:
            return problem
    return None


def _like(sequence):
    """A sequence as messages show it: its repr when short, else what each entry is."""
    text = repr(sequence)
    if len(text) <= 60 and not any(isinstance(item, np.ndarray) for item in sequence):
        return f"like {text}"
    return "holding " + ", ".join(describe(item) for item in sequence)


def _dict_mismatch(got, expected, where):
    if not isinstance(got, dict):
        return f"{where} should be a dict, but it is {describe(got)}."
    missing = [key for key in expected if key not in got]
    if missing:
        return f"{where} is missing the key(s) {', '.join(map(repr, missing))}."
    for key, expected_value in expected.items():
        problem = mismatch(got[key], expected_value, f"{where}[{key!r}]")
        if problem:
            return problem
    return None


def _array_mismatch(got, expected, where):
    if type(got) is not np.ndarray:
        return f"{where} should be a numpy.ndarray, but it is {describe(got)}."
    if got.shape != expected.shape:
        return f"{where} should have shape {expected.shape}, but it has shape {got.shape}."
    if expected.dtype.kind == "f" and got.dtype.kind != "f":
        return f"{where} should hold floats, but its dtype is {got.dtype}."
    if got.dtype.kind not in "biuf":
        return f"{where} should hold numbers, but its dtype is {got.dtype}."
    got_nan, expected_nan = np.isnan(got), np.isnan(expected)
    if (got_nan & ~expected_nan).any():
        return f"{where} contains NaN at {(got_nan & ~expected_nan).sum()} position(s)."
    if (expected_nan & ~got_nan).any():
        return f"{where} should be NaN at {(expected_nan & ~got_nan).sum()} position(s)."
    wrong = _wrong_positions(got.astype(np.float64), expected.astype(np.float64))
    if not wrong.any():
        return None
    with np.errstate(invalid="ignore"):
        error = np.abs(got.astype(np.float64) - expected)
    error = np.where(np.isnan(error), np.inf, error)
    index = np.unravel_index(np.argmax(np.where(wrong, error, -1.0)), expected.shape)
    position = tuple(int(i) for i in index)
    return (
        f"{where} differs from the reference at {int(wrong.sum())} of {wrong.size} positions; "
        f"for example at index {position} it should be {expected[index]:.6g} "
        f"but it is {got[index]:.6g}."
    )


def _wrong_positions(got, expected):
    """Where `got` is not `expected`: NaN and infinities must sit exactly where the
    reference has them, and the tolerance comes from the reference's finite values.

    Example:

    >>> _wrong_positions(np.array([1.0, np.nan, np.inf]), np.array([1.0, np.nan, np.inf]))
    array([False, False, False])
    >>> _wrong_positions(np.array([np.nan, 0.0, 0.0]), np.array([1.0, np.nan, -np.inf]))
    array([ True,  True,  True])
    """
    finite = np.isfinite(expected)
    scale = max(1.0, float(np.max(np.abs(expected[finite]), initial=0.0)))
    with np.errstate(invalid="ignore"):
        error = np.abs(got - expected)
        close = error <= ATOL * scale + RTOL * np.abs(expected)
    same_special = (np.isnan(got) & np.isnan(expected)) | (got == expected)
    return np.where(finite, ~(close & np.isfinite(got)), ~same_special)
