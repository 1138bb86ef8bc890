"""NaN and infinities in answers (issue 11, item 6): they must sit exactly where the
reference has them, and the tolerance comes from the reference's finite values only.
Before, NaN anywhere in the reference let NaN pass anywhere, an infinity made the
tolerance infinite (zeros passed), and a NaN scalar rejected the right answer."""

import math

import numpy as np
import pytest

from coursekit.grading import Case
from coursekit.grading.autograde.checker import Tally, verdict
from coursekit.grading.autograde.limits import Limits
from coursekit.grading.autograde.protocol import CaseDone, CheckEnded, Done, Ready
from coursekit.grading.compare import mismatch
from coursekit.grading.judge import Outcome
from coursekit.grading.registry import get_exercise

EXPECTED = np.array([[1.0, np.nan, 3.0], [np.inf, -np.inf, 2.5]])


def test_the_same_special_values_at_the_same_positions_pass():
    assert mismatch(EXPECTED.copy(), EXPECTED) is None
    assert mismatch(EXPECTED + 1e-9, EXPECTED) is None


@pytest.mark.parametrize(
    "position, value, says",
    [
        ((0, 1), 0.0, "should be NaN at 1 position(s)"),  # a number where NaN belongs
        ((0, 0), np.nan, "contains NaN at 1 position(s)"),  # NaN where a number belongs
        ((1, 0), -np.inf, "index (1, 0)"),  # the wrong infinity
        ((1, 1), 0.0, "index (1, 1)"),  # a number where the reference has -inf
        ((0, 2), np.inf, "index (0, 2)"),  # an infinity where the reference has a number
        ((1, 2), 2.6, "index (1, 2)"),  # a finite value off by far more than the tolerance
    ],
)
def test_any_difference_in_special_or_finite_values_fails(position, value, says):
    got = EXPECTED.copy()
    got[position] = value
    problem = mismatch(got, EXPECTED)
    assert problem is not None and says in problem


def test_an_infinity_in_the_reference_does_not_widen_the_tolerance():
    expected = np.array([np.inf, 1.0, 2.0])
    assert mismatch(np.array([np.inf, 0.0, 0.0]), expected) is not None


def test_a_nan_scalar_accepts_nan_only():
    assert mismatch(math.nan, math.nan) is None
    assert mismatch(np.float64("nan"), math.nan) is None
    assert mismatch(0.0, math.nan) == "the result should be nan, but it is 0."
    assert mismatch(math.inf, math.inf) is None and mismatch(1e308, math.inf) is not None


def test_a_wrong_conv2d_fails_a_hidden_case_with_nan_and_inf():
    exercise = get_exercise("01.2")
    x = np.arange(50, dtype=float).reshape(2, 5, 5, 1)
    x[0, 1, 1, 0], x[1, 3, 2, 0] = np.nan, np.inf
    kernel = np.ones((2, 2, 1, 2))
    case = Case("NaN and inf", (x, kernel, None))
    right = exercise.reference(x, kernel, None)
    zeroed = exercise.reference(np.nan_to_num(x, posinf=0.0), kernel, None)
    for answer, passed in ((right, True), (zeroed, False)):
        tally = Tally()
        for event in (Ready(), CaseDone(Outcome(value=answer)), Done(False), CheckEnded(None, 0)):
            tally.add(event)
        result = verdict(exercise, [(case, True)], tally, Limits())
        assert result.passed is passed
