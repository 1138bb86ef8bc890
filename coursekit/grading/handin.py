"""The kernel's side of `coursekit grade`: hand a student's function to the grader.

While a submission is graded, each check cell is replaced by

    from coursekit.grading.handin import hand_in
    hand_in("01.2", conv2d, "/tmp/.../hand-ins")

which only saves the function, by value, with the source lines of the notebook
cells it was defined in (for error messages, see `coursekit.grading.source`). The function is tested later, in a
separate process that the notebook's code never reaches, so nothing a notebook
patches in its own kernel can change a score.
"""

import pathlib

from coursekit.grading.compare import describe
from coursekit.grading.source import collect_sources

SUFFIX = ".hand-in"


def hand_in(exercise_id, candidate, folder):
    """Saves `candidate` for exercise `exercise_id` into `folder`.

    Raises:
        TypeError: when `candidate` is not a function.
    """
    import cloudpickle

    if not callable(candidate):
        raise TypeError(f"Exercise {exercise_id} needs a function; this is {describe(candidate)}.")
    data = cloudpickle.dumps({"function": candidate, "sources": collect_sources(candidate)})
    target = path_for(folder, exercise_id)
    partial = target.with_name(f"{exercise_id}.partial")
    partial.write_bytes(data)
    partial.replace(target)


def path_for(folder, exercise_id):
    """Where `hand_in` saves the function of `exercise_id`."""
    return pathlib.Path(folder) / f"{exercise_id}{SUFFIX}"


def cell_source(exercise, folder):
    """The source of the cell that replaces an exercise's check cell during grading."""
    return (
        "from coursekit.grading.handin import hand_in\n"
        f'hand_in("{exercise.id}", {exercise.target}, {str(folder)!r})'
    )
