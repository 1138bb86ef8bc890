"""Judging: run an exercise's test cases on a student's function and compare with the reference.

`run_check` does both in one process (a notebook's check cell). The grader splits
them: `call_cases` runs where the student's code runs, `judge` where it cannot reach.
"""

import copy
import dataclasses
import os
import re
import sysconfig
import traceback

import numpy as np

from coursekit.grading.compare import describe, mismatch
from coursekit.grading.plain import dumps, loads
from coursekit.grading.registry import get_exercise
from coursekit.grading.source import source_line
from coursekit.grading.status import Status
from coursekit.grading.tripwire import ReferenceTrap, resolve, trap_targets

# Keras decorates the errors its layers raise with terminal colours and a list of the
# call's arguments, whose tensor names change from run to run: neither helps a student.
_TERMINAL_COLOURS = re.compile(r"\x1b\[[0-9;]*m")
_KERAS_ARGUMENTS = "\n\nArguments received by"
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
        status: `Status.PASSED`, `Status.FAILED` or `Status.NOT_ATTEMPTED`.
        cases: a `CaseResult` per test case that ran.
        problem: a reason the function could not be tested at all, if any.
    """

    exercise: object
    status: Status
    cases: tuple = ()
    problem: str = ""

    @property
    def passed(self):
        return self.status is Status.PASSED

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
        if self.status is Status.NOT_ATTEMPTED:
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


@dataclasses.dataclass(frozen=True)
class Outcome:
    """What one call of a student's function did.

    Attributes:
        value: what it returned (reduced to plain data by the caller).
        error: how it failed, e.g. `"raised IndexError: ... (in `f`, line 3)."`.
        not_implemented: it raised `NotImplementedError`.
        changed_inputs: it modified the arrays it was given.
    """

    value: object = None
    error: str = ""
    not_implemented: bool = False
    changed_inputs: bool = False


def run_check(exercise_id, candidate):
    """Tests a student's function against the exercise's reference.

    Nothing is printed and nothing is raised for a wrong answer: the result says
    what passed and what failed. A function that calls the coursekit reference it
    should re-implement does not pass.

    Args:
        exercise_id: the exercise, e.g. `"01.2"`.
        candidate: the student's function.

    Returns:
        A `CheckResult` with `.passed`, `.score`, `.max_score` and `.messages`.

    Example:

    >>> from coursekit.arithmetic import receptive_field
    >>> run_check("01.5", receptive_field).status.value  # the reference itself is refused
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
            Status.FAILED,
            problem=f"Pass your function `{exercise.target}` to check(), "
            f"not {describe(candidate)}.",
        )
    cases = exercise.cases()
    with ReferenceTrap(resolve(trap_targets(exercise))) as trap:
        outcomes = call_cases(candidate, cases, reduce=lambda value: loads(dumps(value)))
    return judge(exercise, cases, outcomes, called_reference=trap.triggered)


def call_cases(candidate, cases, reduce, on_outcome=None, sources=None):
    """Calls the student's function on each case; stops early if it is not attempted.

    Args:
        candidate: the student's function.
        cases: the `Case`s to call it with.
        reduce: turns a returned value into what the comparison sees.
        on_outcome: called with each `Outcome` as soon as it is known.
        sources: the function's source lines from `coursekit.grading.source.collect_sources`,
            for a function that came from another process; `None` reads them from `linecache`.

    Returns:
        A list of `Outcome`s, one per case called.
    """
    outcomes = []
    for case in cases:
        outcome = _call(candidate, case, reduce, sources)
        outcomes.append(outcome)
        if on_outcome is not None:
            on_outcome(outcome)
        if outcome.not_implemented and len(outcomes) == 1:
            break
    return outcomes


def judge(exercise, cases, outcomes, called_reference=False, hidden=()):
    """Compares the outcomes of the student's function with the reference.

    Args:
        exercise: the `Exercise`.
        cases: the `Case`s, in the order they were called.
        outcomes: an `Outcome` per case called (there may be fewer than cases).
        called_reference: the function called the coursekit reference.
        hidden: indices of hidden cases, reported without their inputs or values.

    Returns:
        A `CheckResult`.
    """
    if called_reference:
        return CheckResult(exercise, Status.FAILED, problem=_calls_reference_problem(exercise))
    if outcomes and outcomes[0].not_implemented:
        return CheckResult(exercise, Status.NOT_ATTEMPTED)
    results = []
    for index, (case, outcome) in enumerate(zip(cases, outcomes, strict=False)):
        result = _judge_case(exercise, case, outcome)
        if index in hidden:
            result = _conceal(result, case_name(cases, hidden, index), outcome)
        results.append(result)
    passed = len(results) == len(cases) and all(result.passed for result in results)
    return CheckResult(exercise, Status.PASSED if passed else Status.FAILED, tuple(results))


def case_name(cases, hidden, index):
    """How feedback names the case at `index`: its description, or "hidden test N"."""
    if index in hidden:
        return f"hidden test {sorted(hidden).index(index) + 1}"
    return cases[index].description


def _call(candidate, case, reduce, sources):
    args, kwargs = copy.deepcopy(case.args), copy.deepcopy(case.kwargs)
    try:
        got = _invoke(candidate, case, args, kwargs)
    except NotImplementedError:
        return Outcome(not_implemented=True)
    except (Exception, SystemExit) as error:
        return Outcome(error=_describe_error(error, sources))
    changed = not _same_values((args, kwargs), (case.args, case.kwargs))
    return Outcome(value=reduce(got), changed_inputs=changed)


def _judge_case(exercise, case, outcome):
    if outcome.not_implemented:
        return CaseResult(case.description, False, "raised NotImplementedError.")
    if outcome.error:
        return CaseResult(case.description, False, outcome.error)
    expected = _invoke(
        exercise.reference, case, copy.deepcopy(case.args), copy.deepcopy(case.kwargs)
    )
    compare = exercise.compare or mismatch
    problem = compare(outcome.value, expected)
    if problem is None and outcome.changed_inputs:
        message = "the function changed its input arrays; compute into a new array instead."
        return CaseResult(case.description, False, message)
    if problem is None:
        return CaseResult(case.description, True)
    hints = {  # several mistakes may share one message
        hint.message: None
        for hint in exercise.hints
        if _matches(compare, hint.wrong, case, outcome.value)
    }
    return CaseResult(case.description, False, " ".join([problem, *hints]))


def _conceal(result, description, outcome):
    """A hidden case's result, saying what kind of failure but nothing about its data."""
    if result.passed:
        return CaseResult(description, True)
    if outcome.error:
        message = outcome.error.split(":", 1)[0] + "."
    elif outcome.changed_inputs:
        message = "the function changed its input arrays."
    else:
        message = "the result is not the expected one."
    return CaseResult(description, False, message)


def _calls_reference_problem(exercise):
    return (
        f"Your `{exercise.target}` uses coursekit's own `{exercise.target}`, which this "
        "exercise asks you to write yourself: no points until your function computes "
        "the result on its own."
    )


def _matches(compare, wrong, case, got):
    try:
        answer = _invoke(wrong, case, copy.deepcopy(case.args), copy.deepcopy(case.kwargs))
        return compare(got, answer) is None
    except Exception:
        return False


def _invoke(function, case, args, kwargs):
    """Calls `function` on a case's arguments: through the case's probe, if it has one."""
    if case.probe is None:
        return function(*args, **kwargs)
    return case.probe(function, *args, **kwargs)


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


def _describe_error(error, sources=None):
    """Names the error and the line of student code it came from."""
    frames = [
        (frame.f_code, lineno)
        for frame, lineno in traceback.walk_tb(error.__traceback__)
        if not os.path.abspath(frame.f_code.co_filename).startswith(_LIBRARY_DIRS)
    ]
    where = ""
    if frames:
        code, lineno = frames[-1]
        line = source_line(code, lineno, sources)
        where = f" (in `{code.co_name}`, line {lineno}" + (f": `{line}`)" if line else ")")
    text = _TERMINAL_COLOURS.sub("", str(error)).split(_KERAS_ARGUMENTS)[0].strip()
    return f"raised {type(error).__name__}: {text}{where}."
