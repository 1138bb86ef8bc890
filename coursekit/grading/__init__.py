"""Autograded exercises: what a student's kernel needs, and the notebook build.

- `exercises()` lists every exercise (id, notebook, title, points, target, kind);
  they are declared, one module per notebook, in `coursekit.grading.notebook_exercises`.
- `run_check(exercise_id, candidate)` tests a function and returns a result.
- `check(exercise_id, candidate)` is what notebook check cells call.
- `coursekit.grading.build` makes the student and solution notebooks.

Batch grading (`coursekit grade`) is instructor-only and lives in
`coursekit.grading.autograde`, which nothing here imports.
"""

from coursekit.grading.judge import CheckResult, run_check
from coursekit.grading.notebook import check, in_grading_mode
from coursekit.grading.registry import (
    Case,
    Exercise,
    Hint,
    coding,
    exercises,
    get_exercise,
    hidden_cases,
    written,
)
from coursekit.grading.status import Status

__all__ = [
    "Case",
    "CheckResult",
    "Exercise",
    "Hint",
    "Status",
    "check",
    "coding",
    "exercises",
    "get_exercise",
    "hidden_cases",
    "in_grading_mode",
    "run_check",
    "written",
]
