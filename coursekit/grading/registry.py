"""The exercise registry: every graded exercise of the course, declared as data.

Each notebook has one module in `coursekit.grading.notebook_exercises`, named like the notebook
(`nb02_pooling_and_downsampling.py` for `02_pooling_and_downsampling`), whose
`EXERCISES` tuple lists its exercises, made with `coding(...)` or `written(...)`.
What can be derived is derived: the notebook from the id's prefix, the function a
student writes (`target`) from the reference's name. Title and points live here only;
`coursekit build` writes them into the notebook's exercise headings.
"""

import dataclasses
import functools
import importlib
import pkgutil
import re
from collections.abc import Callable

_ID = re.compile(r"^(\d\d)\.(\d+)$")
EXERCISES_PACKAGE = "coursekit.grading.notebook_exercises"


@dataclasses.dataclass(frozen=True)
class Case:
    """One call of the student's function: what it is called with and why.

    `probe`, when set, is how the function is called: `probe(function, *args,
    **kwargs)` calls it and returns plain data describing what it built, for
    functions whose answer is not plain data (a Keras tensor, say). The student's
    function, the reference and the hints' wrong functions all go through it. An
    exercise declared with `coding(..., probe=...)` sets it on every case it hands out.
    """

    description: str
    args: tuple = ()
    kwargs: dict = dataclasses.field(default_factory=dict)
    probe: Callable | None = None


@dataclasses.dataclass(frozen=True)
class Hint:
    """A message shown when a wrong answer equals what `wrong` computes."""

    message: str
    wrong: Callable


@dataclasses.dataclass(frozen=True)
class Exercise:
    """A graded exercise; make one with `coding(...)` or `written(...)`.

    Args:
        id: `"NN.K"`, notebook number and exercise number, e.g. `"01.2"`.
        title: the title shown in the notebook heading and in feedback.
        points: the points it is worth.
        reference: for coding exercises, the coursekit function that computes the
            expected answers; the student writes a function of the same name and
            signature.
        cases: a function of no arguments returning the list of `Case`s to test.
        hints: `Hint`s for classic wrong answers.
        compare: `compare(got, expected)` returns why an answer is wrong, or `None`.
            By default `compare.mismatch` (exact types, values to round-off); an
            exercise whose answers are random, like dropout's, compares statistics.
        fuzz: `fuzz(rng)` returns a list of `Case`s drawn with the NumPy generator
            `rng` over the whole domain the exercise's statement allows (odd and even,
            square and non-square sizes, strides above the window, pairs, ties,
            extreme values). Never graded: the check-strength measure uses them to
            tell a wrong implementation from an equivalent one.
        probe: `probe(function, *args, **kwargs)` calls a function on a case's
            arguments and returns plain data describing what it built (see `Case`);
            `None` calls the function directly. `coding` sets it on the cases that
            `cases` and `fuzz` return.
        shortcuts: names of other course functions that do the exercise's work for
            the student (beyond the reference and its `<target>_...` variants, which
            are always trapped); calling one while graded fails like calling the
            reference.

    Raises:
        ValueError: for a malformed id, points that are not a positive int, an
            empty title, or a reference without cases (or cases without one).
    """

    id: str
    title: str
    points: int
    reference: Callable | None = None
    cases: Callable | None = None
    hints: tuple = ()
    compare: Callable | None = None
    fuzz: Callable | None = None
    probe: Callable | None = None
    shortcuts: tuple = ()

    def __post_init__(self):
        if not isinstance(self.id, str) or not _ID.match(self.id):
            raise ValueError(f"An exercise id looks like '01.2'. Received: id={self.id!r}")
        if isinstance(self.points, bool) or not isinstance(self.points, int) or self.points < 1:
            raise ValueError(
                f"Exercise {self.id}: points must be a positive int. Received: {self.points!r}"
            )
        if not isinstance(self.title, str) or not self.title.strip():
            raise ValueError(f"Exercise {self.id} needs a title. Received: {self.title!r}")
        if (self.reference is None) != (self.cases is None):
            raise ValueError(
                f"Coding exercise {self.id} needs both a reference and its cases; a written "
                "one has neither."
            )

    @property
    def kind(self):
        """`"code"` for autograded exercises, `"written"` for hand-graded answers."""
        return "code" if self.cases is not None else "written"

    @property
    def target(self):
        """The name of the function the student writes (the reference's name), or `None`."""
        return None if self.reference is None else self.reference.__name__

    @property
    def notebook(self):
        """The notebook's file stem, from the id's prefix, e.g. `"01_convolution_arithmetic"`."""
        return notebook_for(self.id)

    @property
    def number(self):
        """The number shown in headings, e.g. `"1.2"` for id `"01.2"`."""
        notebook, exercise = self.id.split(".")
        return f"{int(notebook)}.{exercise}"

    @property
    def sort_key(self):
        """Orders ids numerically: 01.2 before 01.10."""
        return tuple(int(part) for part in self.id.split("."))


def coding(
    exercise_id,
    title,
    points,
    reference,
    cases,
    hints=(),
    compare=None,
    fuzz=None,
    probe=None,
    shortcuts=(),
):
    """Declares an autograded exercise: the student re-implements `reference`.

    With a `probe`, every case that `cases` and `fuzz` return calls the functions
    through it (see `Case`).

    Example:

    >>> from coursekit import arithmetic
    >>> exercise = coding(
    ...     "01.9", "Zeros on each side", 1, arithmetic.padding_per_side,
    ...     cases=lambda: [Case("'full' padding of a 5-wide kernel", ("full", 5))],
    ... )
    >>> exercise.target, exercise.notebook, exercise.kind
    ('padding_per_side', '01_convolution_arithmetic', 'code')
    """
    if not callable(reference) or not callable(cases):
        raise ValueError(
            f"Exercise {exercise_id}: reference and cases must be functions. Received: "
            f"reference={reference!r}, cases={cases!r}"
        )
    if probe is not None:
        cases = _probing(cases, probe)
        fuzz = _probing(fuzz, probe) if fuzz is not None else None
    return Exercise(
        exercise_id,
        title,
        points,
        reference,
        cases,
        tuple(hints),
        compare,
        fuzz,
        probe,
        tuple(shortcuts),
    )


def _probing(make_cases, probe):
    """`make_cases` with `probe` set on every case it returns."""

    @functools.wraps(make_cases)
    def probed(*args):
        return [dataclasses.replace(case, probe=probe) for case in make_cases(*args)]

    return probed


def written(exercise_id, title, points):
    """Declares a written answer, graded by hand (an nbgrader "manually graded" cell)."""
    return Exercise(exercise_id, title, points)


@dataclasses.dataclass(frozen=True)
class HiddenCases:
    """Cases a hidden-tests file adds to an exercise (see `hidden_cases`).

    The cases of a course exercise with a probe get that probe; cases added to an
    exercise the hidden-tests file declares itself set theirs with `Case(probe=...)`.
    """

    exercise_id: str
    function: Callable

    def __call__(self):
        exercise = _course_exercises().get(self.exercise_id)
        if exercise is None or exercise.probe is None:
            return self.function()
        return _probing(self.function, exercise.probe)()


def hidden_cases(exercise_id):
    """Decorates a function returning `Case`s that the grader adds to an exercise.

    Used in a hidden-tests file (`coursekit grade --hidden-tests PATH`); the decorated
    name holds a `HiddenCases` value, which the grader finds when it loads the file.

    Example:

    >>> @hidden_cases("01.5")
    ... def deep_stacks():
    ...     return [Case("ten 3x3 layers", ([(3, 1)] * 10,))]
    >>> deep_stacks.exercise_id, len(deep_stacks())
    ('01.5', 1)
    """

    def decorator(function):
        return HiddenCases(exercise_id, function)

    return decorator


def exercises(notebook=None):
    """Lists the course's exercises, optionally those of one notebook, in id order.

    Example:

    >>> [exercise.target for exercise in exercises("01_convolution_arithmetic")][:2]
    ['conv_output_size', 'conv2d']
    """
    return [e for e in _course_exercises().values() if notebook in (None, e.notebook)]


def get_exercise(exercise_id):
    """Returns the course exercise with this id.

    Raises:
        KeyError: naming the known ids when there is no such exercise.
    """
    found = _course_exercises()
    if exercise_id not in found:
        raise KeyError(f"No exercise {exercise_id!r}. Known exercises: {', '.join(found)}.")
    return found[exercise_id]


def notebook_for(exercise_id):
    """The notebook stem an exercise id belongs to, from its two-digit prefix.

    Raises:
        ValueError: when no notebook has that number.
    """
    prefix = exercise_id.split(".")[0]
    names = _notebook_names()
    if prefix not in names:
        raise ValueError(
            f"No notebook numbered {prefix} for exercise {exercise_id!r}. "
            f"Known: {', '.join(names.values())}."
        )
    return names[prefix]


def sorted_exercises(found):
    """`found` in id order (01.2 before 01.10)."""
    return sorted(found, key=lambda exercise: exercise.sort_key)


@functools.cache
def _notebook_names():
    package = importlib.import_module(EXERCISES_PACKAGE)
    stems = [module.name.removeprefix("nb") for module in pkgutil.iter_modules(package.__path__)]
    return {stem[:2]: stem for stem in sorted(stems)}


@functools.cache
def _course_exercises():
    found = {}
    for notebook in _notebook_names().values():
        module = importlib.import_module(f"{EXERCISES_PACKAGE}.nb{notebook}")
        for exercise in module.EXERCISES:
            if exercise.notebook != notebook or exercise.id in found:
                raise ValueError(
                    f"{module.__name__} declares exercise {exercise.id}, which is "
                    + ("declared twice." if exercise.id in found else f"not in {notebook}.")
                )
            found[exercise.id] = exercise
    return {exercise.id: exercise for exercise in sorted_exercises(found.values())}
