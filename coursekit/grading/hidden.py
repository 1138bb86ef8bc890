"""Hidden tests: extra cases and exercises that exist only while submissions are graded.

An instructor keeps a Python file outside the course repository and passes it to
`coursekit grade --hidden-tests PATH`. The file adds cases to registered
exercises with the `hidden_cases` decorator and may register whole new exercises
with `register(Exercise(...))`. Students never see these cases: their check cells
run the public cases only, and feedback names a hidden case only by its number.

    import numpy as np
    from coursekit.grading import Case, hidden_cases

    @hidden_cases("01.2")
    def more_conv2d_cases():
        x = np.arange(2 * 9 * 9 * 3, dtype=float).reshape(2, 9, 9, 3)
        kernel = np.ones((2, 2, 3, 4))
        return [Case("2x2 kernel, stride 3", (x, kernel, None), {"strides": 3})]
"""

import pathlib
import runpy

from coursekit.grading import registry

_HIDDEN_CASES = {}
_HIDDEN_EXERCISES = set()


def hidden_cases(exercise_id):
    """Decorates a function returning `Case`s that the grader adds to an exercise.

    Args:
        exercise_id: the coding exercise the cases belong to, e.g. `"01.2"`.

    Returns:
        The decorator; the decorated function is returned unchanged.
    """

    def decorator(function):
        _HIDDEN_CASES.setdefault(exercise_id, []).append(function)
        return function

    return decorator


def grading_cases(exercise):
    """The cases the grader runs, public then hidden, as `(case, hidden)` pairs."""
    all_hidden = exercise.id in _HIDDEN_EXERCISES
    cases = [(case, all_hidden) for case in exercise.cases()]
    for function in _HIDDEN_CASES.get(exercise.id, []):
        cases.extend((case, True) for case in function())
    return cases


class HiddenTests:
    """A loaded hidden-tests file; `close()` (or leaving a `with` block) removes it again.

    Raises:
        FileNotFoundError: when `path` does not exist.
        ValueError: when the file adds cases to an exercise that is not a
            registered coding exercise.
    """

    def __init__(self, path):
        self.path = pathlib.Path(path)
        if not self.path.is_file():
            raise FileNotFoundError(f"No hidden-tests file at {self.path}.")
        registry.exercises()  # registers the course's exercises first
        known = set(registry._REGISTRY)
        self._sizes = {key: len(value) for key, value in _HIDDEN_CASES.items()}
        try:
            runpy.run_path(str(self.path), run_name="coursekit_hidden_tests")
        except BaseException:
            self._added_exercises = [key for key in registry._REGISTRY if key not in known]
            self.close()
            raise
        self._added_exercises = [key for key in registry._REGISTRY if key not in known]
        _HIDDEN_EXERCISES.update(self._added_exercises)
        unknown = [
            key
            for key in _HIDDEN_CASES
            if getattr(registry._REGISTRY.get(key), "kind", None) != "code"
        ]
        if unknown:
            self.close()
            raise ValueError(
                f"{self.path}: hidden cases for {', '.join(map(repr, unknown))}, which is not "
                "a registered coding exercise."
            )

    def close(self):
        for key in self._added_exercises:
            registry._REGISTRY.pop(key, None)
            _HIDDEN_EXERCISES.discard(key)
        for key in list(_HIDDEN_CASES):
            kept = _HIDDEN_CASES[key][: self._sizes.get(key, 0)]
            if kept:
                _HIDDEN_CASES[key] = kept
            else:
                del _HIDDEN_CASES[key]
        self._added_exercises = []

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.close()
        return False
