"""Runs an exercise's test cases on a student's function and collects the outcome."""

import copy
import dataclasses
import os
import sysconfig
import traceback

import numpy as np

from coursekit.grading.compare import describe, mismatch
from coursekit.grading.registry import get_exercise

PASSED, FAILED, NOT_ATTEMPTED = "passed", "failed", "not attempted"
# Tracebacks are reported at the deepest frame outside coursekit and the libraries.
_LIBRARY_DIRS = tuple(
    os.path.abspath(path)
    for path in (
        os.path.dirname(os.path.dirname(__file__)),
        sysconfig.get_paths()["purelib"],
        sysconfig.get_paths()["platlib"],
        sysconfig.get_paths()["stdlib"],
    )
)


@dataclasses.dataclass(frozen=True)
class CaseResult:
    """The outcome of one test case: `message` says what went wrong, if anything."""

    description: str
    passed: bool
    message: str = ""


@dataclasses.dataclass(frozen=True)
class CheckResult:
    """The outcome of checking one exercise.

    Attributes:
        exercise: the `Exercise` checked.
        status: `"passed"`, `"failed"` or `"not attempted"`.
        cases: a `CaseResult` per test case that ran.
        problem: a reason the function could not be tested at all, if any.
    """

    exercise: object
    status: str
    cases: tuple = ()
    problem: str = ""

    @property
    def passed(self):
        return self.status == PASSED

    @property
    def score(self):
        return self.exercise.points if self.passed else 0

    @property
    def max_score(self):
        return self.exercise.points

    @property
    def messages(self):
        """One line per finding: the summary first, then each failed case."""
        passed = sum(case.passed for case in self.cases)
        if self.status == NOT_ATTEMPTED:
            summary = (
                f"Exercise {self.exercise.number} is not attempted yet: replace "
                "`raise NotImplementedError` with your code, run that cell, then this one."
            )
        elif self.problem:
            summary = self.problem
        else:
            summary = f"{passed} of {len(self.cases)} tests passed."
        failures = [f"{case.description}: {case.message}" for case in self.cases if not case.passed]
        return [summary, *failures]


def run_check(exercise_id, candidate):
    """Tests a student's function against the exercise's reference.

    Nothing is printed and nothing is raised for a wrong answer: the result says
    what passed and what failed.

    Args:
        exercise_id: the exercise, e.g. `"01.2"`.
        candidate: the student's function.

    Returns:
        A `CheckResult` with `.passed`, `.score`, `.max_score` and `.messages`.

    Example:

    >>> from coursekit.arithmetic import receptive_field
    >>> run_check("01.5", receptive_field).status  # the reference itself is refused
    'failed'
    >>> result = run_check("01.5", lambda layers: 1 + 2 * len(layers))
    >>> result.passed, result.score, result.max_score
    (False, 0, 2)
    """
    exercise = get_exercise(exercise_id)
    if exercise.kind != "code":
        raise ValueError(f"Exercise {exercise_id} is a written answer, graded by hand.")
    if not callable(candidate):
        return CheckResult(
            exercise,
            FAILED,
            problem=f"Pass your function `{exercise.target}` to check(), "
            f"not {describe(candidate)}.",
        )
    if candidate is exercise.reference:
        return CheckResult(
            exercise,
            FAILED,
            problem=f"That is coursekit's own `{exercise.target}`: "
            "write your own version in the exercise cell.",
        )
    results = []
    for case in exercise.cases():
        outcome = _run_case(exercise, case, candidate)
        if outcome is None:  # NotImplementedError
            if not results:
                return CheckResult(exercise, NOT_ATTEMPTED)
            outcome = CaseResult(case.description, False, "raised NotImplementedError.")
        results.append(outcome)
    status = PASSED if all(result.passed for result in results) else FAILED
    return CheckResult(exercise, status, tuple(results))


def _run_case(exercise, case, candidate):
    expected = exercise.reference(*case.args, **case.kwargs)
    args, kwargs = copy.deepcopy(case.args), copy.deepcopy(case.kwargs)
    try:
        got = candidate(*args, **kwargs)
    except NotImplementedError:
        return None
    except Exception as error:
        return CaseResult(case.description, False, _describe_error(error))
    compare = exercise.compare or mismatch
    problem = compare(got, expected)
    if problem is None and not _same_values((args, kwargs), (case.args, case.kwargs)):
        message = "the function changed its input arrays; compute into a new array instead."
        return CaseResult(case.description, False, message)
    if problem is None:
        return CaseResult(case.description, True)
    hints = [hint.message for hint in exercise.hints if _matches(compare, hint.wrong, case, got)]
    return CaseResult(case.description, False, " ".join([problem, *hints]))


def _matches(compare, wrong, case, got):
    try:
        return compare(got, wrong(*copy.deepcopy(case.args), **copy.deepcopy(case.kwargs))) is None
    except Exception:
        return False


def _same_values(a, b):
    if isinstance(a, np.ndarray):
        return (
            isinstance(b, np.ndarray)
            and a.shape == b.shape
            and np.array_equal(a, b, equal_nan=True)
        )
    if isinstance(a, (tuple, list)):
        return len(a) == len(b) and all(_same_values(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(_same_values(a[key], b[key]) for key in a)
    return a == b


def _describe_error(error):
    """Names the error and the line of student code it came from."""
    frames = [
        frame
        for frame in traceback.extract_tb(error.__traceback__)
        if not os.path.abspath(frame.filename).startswith(_LIBRARY_DIRS)
    ]
    where = ""
    if frames:
        frame = frames[-1]
        code = (frame.line or "").strip()
        where = f" (in `{frame.name}`, line {frame.lineno}" + (f": `{code}`)" if code else ")")
    return f"raised {type(error).__name__}: {error}{where}."
