"""Autograded exercises: the registry, the checks and the notebook-facing `check`.

- `exercises()` lists every exercise (id, notebook, title, points, target).
- `run_check(exercise_id, candidate)` tests a function and returns a result.
- `check(exercise_id, candidate)` is what notebook check cells call.

The instructor tools (`coursekit build`, `coursekit assign`, `coursekit grade`) live
in `coursekit.grading.build`, `coursekit.grading.release` and `coursekit.grading.grade`;
`hidden_cases` adds grading-time cases from a hidden-tests file.
"""

from coursekit.grading.hidden import hidden_cases
from coursekit.grading.notebook import check, in_grading_mode
from coursekit.grading.registry import Case, Exercise, Hint, exercises, get_exercise
from coursekit.grading.runner import CheckResult, run_check

__all__ = [
    "Case",
    "CheckResult",
    "Exercise",
    "Hint",
    "check",
    "exercises",
    "get_exercise",
    "hidden_cases",
    "in_grading_mode",
    "run_check",
]
