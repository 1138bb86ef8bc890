"""The exercise registry: every graded exercise of the course, with its tests.

A coding exercise names the coursekit function it mirrors (`target`), the
reference that produces the expected answers, the test cases, and typical
wrong implementations whose output triggers a hint. A written exercise only has
an id, a title and points; it is graded by hand.
"""

import dataclasses
from collections.abc import Callable


@dataclasses.dataclass(frozen=True)
class Case:
    """One call of the student's function: what it is called with and why."""

    description: str
    args: tuple = ()
    kwargs: dict = dataclasses.field(default_factory=dict)


@dataclasses.dataclass(frozen=True)
class Hint:
    """A message shown when a wrong answer equals what `wrong` computes."""

    message: str
    wrong: Callable


@dataclasses.dataclass(frozen=True)
class Exercise:
    """A graded exercise.

    Args:
        id: `"NN.K"`, notebook number and exercise number, e.g. `"01.2"`.
        notebook: the notebook's file stem, e.g. `"01_convolution_arithmetic"`.
        title: the title used in the notebook heading.
        points: the points it is worth.
        target: for coding exercises, the function name the student defines
            (the same name and signature as the coursekit reference).
        reference: the function that computes the expected answers.
        cases: a function returning the list of `Case`s to test.
        hints: `Hint`s for classic wrong answers.
        compare: `compare(got, expected)` returns why an answer is wrong, or `None`.
            By default `compare.mismatch` (exact types, values to round-off); an
            exercise whose answers are random, like dropout's, compares statistics.
    """

    id: str
    notebook: str
    title: str
    points: int
    target: str | None = None
    reference: Callable | None = None
    cases: Callable | None = None
    hints: tuple = ()
    compare: Callable | None = None

    def __reduce__(self):
        # Pickled by id, so results sent between grading processes stay small.
        return (get_exercise, (self.id,))

    @property
    def kind(self):
        """`"code"` for autograded exercises, `"written"` for hand-graded answers."""
        return "code" if self.cases is not None else "written"

    @property
    def number(self):
        """The number shown in headings, e.g. `"1.2"` for id `"01.2"`."""
        notebook, exercise = self.id.split(".")
        return f"{int(notebook)}.{exercise}"


_REGISTRY = {}


def register(exercise):
    """Adds an exercise to the registry; ids must be unique."""
    if exercise.id in _REGISTRY:
        raise ValueError(f"Exercise {exercise.id!r} is registered twice.")
    if exercise.kind == "code" and (exercise.target is None or exercise.reference is None):
        raise ValueError(f"Coding exercise {exercise.id!r} needs a target and a reference.")
    _REGISTRY[exercise.id] = exercise
    return exercise


def exercises(notebook=None):
    """Lists the registered exercises, optionally those of one notebook, in id order.

    Example:

    >>> [exercise.target for exercise in exercises("01_convolution_arithmetic")][:2]
    ['conv_output_size', 'conv2d']
    """
    _load_checks()
    found = [e for e in _REGISTRY.values() if notebook is None or e.notebook == notebook]
    return sorted(found, key=lambda exercise: tuple(int(part) for part in exercise.id.split(".")))


def get_exercise(exercise_id):
    """Returns the exercise with this id.

    Raises:
        KeyError: naming the known ids when there is no such exercise.
    """
    _load_checks()
    if exercise_id not in _REGISTRY:
        known = ", ".join(sorted(_REGISTRY))
        raise KeyError(f"No exercise {exercise_id!r}. Known exercises: {known}.")
    return _REGISTRY[exercise_id]


def _load_checks():
    # Importing the check modules registers their exercises.
    import coursekit.grading.checks  # noqa: F401
