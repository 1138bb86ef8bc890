"""Hidden tests: extra cases and exercises that exist only while submissions are graded.

An instructor keeps a Python file outside the course repository and passes it to
`coursekit grade --hidden-tests PATH`. The file adds cases to the course's coding
exercises with the `hidden_cases` decorator and may declare new exercises in an
`EXERCISES` tuple, as the course's own exercise modules do:

    import numpy as np
    from coursekit import arithmetic
    from coursekit.grading import Case, hidden_cases
    from coursekit.grading.registry import coding

    @hidden_cases("01.2")
    def more_conv2d_cases():
        x = np.arange(2 * 9 * 9 * 3, dtype=float).reshape(2, 9, 9, 3)
        kernel = np.ones((2, 2, 3, 4))
        return [Case("2x2 kernel, stride 3", (x, kernel, None), {"strides": 3})]

    EXERCISES = (
        coding("01.9", "Zeros added on each side", 1, arithmetic.padding_per_side,
               cases=lambda: [Case("'full' padding of a 5-wide kernel", ("full", 5))]),
    )

`HiddenTests.load(path)` runs the file once and keeps what it declares in an
immutable value, which the grader passes to whatever needs it. Nothing global
changes: the notebooks' own check cells never see these cases, and feedback names a
hidden case only by its number. Every case of an exercise the file declares is hidden.
"""

import dataclasses
import pathlib

from coursekit.grading import registry
from coursekit.grading.registry import Exercise, HiddenCases


@dataclasses.dataclass(frozen=True)
class HiddenTests:
    """The cases and exercises of a hidden-tests file (see the module docstring).

    Attributes:
        path: the file it was loaded from ("" for no hidden tests).
        source: the file's text; a copy sent to another process runs this text again.
        cases: `(exercise id, HiddenCases)` pairs, in the file's order.
        exercises: the new `Exercise`s it declares.
    """

    path: str = ""
    source: str = ""
    cases: tuple = ()
    exercises: tuple = ()

    @classmethod
    def load(cls, path):
        """Runs a hidden-tests file and returns what it declares.

        Raises:
            FileNotFoundError: when `path` is not a file.
            ValueError: when it adds cases to an exercise that is not a coding
                exercise, or declares an exercise the course already has.
        """
        path = pathlib.Path(path)
        if not path.is_file():
            raise FileNotFoundError(f"No hidden-tests file at {path}.")
        return cls.from_source(str(path), path.read_text(encoding="utf-8"))

    @classmethod
    def from_source(cls, path, source):
        """Like `load`, from the file's text."""
        namespace = {"__name__": "coursekit_hidden_tests", "__file__": path}
        exec(compile(source, path, "exec"), namespace)
        declared = tuple(namespace.get("EXERCISES", ()))
        cases = tuple(
            (value.exercise_id, value)
            for value in namespace.values()
            if isinstance(value, HiddenCases)
        )
        hidden = cls(path, source, cases, declared)
        hidden._validate()
        return hidden

    def __reduce__(self):
        # Sent to another process as its source, and run again there.
        return (HiddenTests.from_source, (self.path, self.source))

    def exercises_for(self, notebook):
        """The exercises graded in `notebook`: the course's, then the new ones, in id order."""
        added = [exercise for exercise in self.exercises if exercise.notebook == notebook]
        return registry.sorted_exercises([*registry.exercises(notebook), *added])

    def grading_cases(self, exercise):
        """The cases the grader runs for `exercise`, as `(case, hidden)` pairs."""
        all_hidden = exercise in self.exercises
        pairs = [(case, all_hidden) for case in exercise.cases()]
        for exercise_id, function in self.cases:
            if exercise_id == exercise.id:
                pairs.extend((case, True) for case in function())
        return pairs

    def _validate(self):
        course = {exercise.id: exercise for exercise in registry.exercises()}
        for exercise in self.exercises:
            if not isinstance(exercise, Exercise):
                raise ValueError(f"{self.path}: EXERCISES holds {exercise!r}, not an Exercise.")
            if exercise.id in course:
                raise ValueError(
                    f"{self.path}: exercise {exercise.id} is already in the course; add cases "
                    f'to it with @hidden_cases("{exercise.id}") instead.'
                )
            exercise.notebook  # noqa: B018 - raises ValueError for an unknown notebook number
        coding = {e.id for e in [*course.values(), *self.exercises] if e.kind == "code"}
        unknown = sorted({exercise_id for exercise_id, _ in self.cases} - coding)
        if unknown:
            raise ValueError(
                f"{self.path}: hidden cases for {', '.join(map(repr, unknown))}, which is not "
                "a registered coding exercise."
            )


NO_HIDDEN_TESTS = HiddenTests()
