"""`check(...)`: the function a notebook's check cells call."""

import os

from coursekit.grading.judge import run_check
from coursekit.grading.report import Report

GRADING_VARIABLES = ("NBGRADER_EXECUTION", "COURSEKIT_GRADING")


def in_grading_mode():
    """Returns whether a grader (nbgrader or `coursekit grade`) runs the notebook."""
    return any(os.environ.get(name, "") not in ("", "0") for name in GRADING_VARIABLES)


def check(exercise_id, candidate):
    """Tests a student's function and shows what passed, what failed and why.

    In a notebook it shows a coloured report; elsewhere it prints text. It never
    stops "Run All" for a student. Under a grader (`NBGRADER_EXECUTION` or
    `COURSEKIT_GRADING` set) a failed check raises `AssertionError`, which is how
    nbgrader counts it (`coursekit grade` replaces check cells and tests the
    function in a process of its own).

    Args:
        exercise_id: the exercise, e.g. `"01.2"`.
        candidate: the student's function.

    Raises:
        AssertionError: only in grading mode, when the check does not pass.

    Example:

    >>> def receptive_field(layers):
    ...     raise NotImplementedError("Exercise 1.5")
    >>> check("01.5", receptive_field)  # doctest: +ELLIPSIS
    Exercise 1.5 – Receptive field of a stack of layers: not attempted yet (0/2 points)
      Exercise 1.5 is not attempted yet: ...
    """
    result = run_check(exercise_id, candidate)
    report = Report(result)
    _show(report)
    if in_grading_mode() and not result.passed:
        raise AssertionError("\n".join([report.title(), *result.messages]))


def _show(report):
    try:
        from IPython import get_ipython
        from IPython.display import display
    except ImportError:  # pragma: no cover - IPython is a dependency
        get_ipython = None
    if get_ipython is not None and get_ipython() is not None:
        display(report)
    else:
        print(report)
