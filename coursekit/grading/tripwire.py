"""Catches a student's function that calls the coursekit function it should re-implement.

While a `ReferenceTrap` is active, the trapped functions run a tripwire instead of
their own code: every caller, under any name it imported them as, gets
`CalledReferenceError`, and the trap remembers that it was triggered even when the
student's code catches the exception.
"""

import importlib
import sys
import types

_calls = 0


class CalledReferenceError(Exception):
    """Raised inside a student's function that called a trapped reference."""

    def __init__(self):
        global _calls
        _calls += 1
        super().__init__("this calls coursekit's own implementation of the exercise")


def _tripwire(*args, **kwargs):
    # Runs with the trapped function's globals, so it reaches this module by import.
    raise __import__("coursekit.grading.tripwire", fromlist=["_"]).CalledReferenceError()


def trap_targets(exercise):
    """Where to find the functions a student must not call for this exercise.

    These are the exercise's reference and, in the loaded coursekit modules outside
    `coursekit.grading`, every function named like the exercise's `target` or
    `<target>_...`: the course's other definitions of the same computation, such as
    `conv2d_loops` beside `conv2d` or `max_pool2d_with_argmax` beside `max_pool2d`. A
    right solution never calls a course function whose name extends its own, so
    trapping them costs nothing.

    Returns:
        A sorted list of `(module, qualified name)` pairs.
    """
    found = set()
    if _trappable(exercise.reference):
        found.add((exercise.reference.__module__, exercise.reference.__qualname__))
    for name, module in list(sys.modules.items()):
        if not name.startswith("coursekit.") or name.startswith("coursekit.grading"):
            continue
        for attribute, function in list(vars(module).items()):
            if attribute != exercise.target and not attribute.startswith(f"{exercise.target}_"):
                continue
            if _trappable(function) and function.__module__.startswith("coursekit."):
                found.add((function.__module__, function.__qualname__))
    return sorted(found)


def resolve(targets):
    """Imports the functions named by `trap_targets`; those not found are skipped."""
    functions = []
    for module_name, qualname in targets:
        try:
            value = importlib.import_module(module_name)
            for part in qualname.split("."):
                value = getattr(value, part)
        except (ImportError, AttributeError):
            continue
        if _trappable(value):
            functions.append(value)
    return functions


class ReferenceTrap:
    """A context manager that swaps the code of `functions` for a tripwire.

    Example:

    >>> from coursekit import arithmetic
    >>> with ReferenceTrap([arithmetic.conv_output_size]) as trap:
    ...     try:
    ...         arithmetic.conv_output_size(7, 3)
    ...     except CalledReferenceError:
    ...         pass
    >>> trap.triggered, arithmetic.conv_output_size(7, 3)
    (True, 5)
    """

    def __init__(self, functions):
        self.functions = list(dict.fromkeys(functions))
        self._saved = []
        self._calls_before = 0
        self.triggered = False

    def __enter__(self):
        self._calls_before = _calls
        for function in self.functions:
            self._saved.append((function, function.__code__))
            function.__code__ = _tripwire.__code__
        return self

    def __exit__(self, *exc_info):
        for function, code in reversed(self._saved):
            function.__code__ = code
        self._saved.clear()
        self.triggered = self.triggered or _calls != self._calls_before
        return False


def _trappable(function):
    """Plain Python functions without closure cells can have their code swapped."""
    return (
        isinstance(function, types.FunctionType)
        and function.__closure__ is None
        and isinstance(function.__module__, str)
        and "<" not in function.__qualname__
    )
