"""Catches a student's function that uses the coursekit function it should re-implement.

While a `ReferenceTrap` is active:

- the trapped functions run a tripwire instead of their own code: every caller, under
  any name it imported them as, gets `CalledReferenceError`, and the trap remembers
  that it was triggered even when the student's code catches the exception;
- a function whose code is the reference's code compiled again (its source copied and
  run, its module reloaded or loaded a second time) is noticed when it starts to run;
- `environment()` gives variables for child processes: a Python process started with
  them traps the same references when it imports coursekit, and leaves a mark the
  trap reads, so computing the answer in a subprocess is noticed too.

These catch the evasions that cost nothing. A copy with one name changed, a
library doing the work, or code that undoes the trap is not caught (see the README).
"""

import contextlib
import importlib
import json
import os
import sys
import threading
import types

ENVIRONMENT_VARIABLE = "COURSEKIT_REFERENCE_TRAP"
_calls = 0
_marker = None


class CalledReferenceError(Exception):
    """Raised inside a student's function that called a trapped reference."""

    def __init__(self):
        global _calls
        _calls += 1
        _leave_mark(_marker)
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
    trapping them costs nothing. Functions named in the exercise's `shortcuts` are
    trapped too (`max_unpool2d` routes max pooling's gradient under another name).

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
            named = attribute == exercise.target or attribute in exercise.shortcuts
            if not named and not attribute.startswith(f"{exercise.target}_"):
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
    """A context manager that swaps the code of `functions` for a tripwire and
    watches for copies of their code (see the module docstring).

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

    def __init__(self, functions, marker=None):
        self.functions = list(dict.fromkeys(functions))
        self._fingerprints = {_fingerprint(function.__code__) for function in self.functions}
        self._saved = []
        self._calls_before = 0
        self._marker = marker
        self._copy_ran = False
        self._seen = {}
        self._previous_profilers = None
        self.triggered = False

    def __enter__(self):
        self._calls_before = _calls
        for function in self.functions:
            self._saved.append((function, function.__code__))
            function.__code__ = _tripwire.__code__
        if self._fingerprints:
            self._previous_profilers = (sys.getprofile(), threading.getprofile())
            sys.setprofile(self._watch)
            threading.setprofile(self._watch)
        return self

    def __exit__(self, *exc_info):
        if self._previous_profilers is not None:
            sys.setprofile(self._previous_profilers[0])
            threading.setprofile(self._previous_profilers[1])
            self._previous_profilers = None
        for function, code in reversed(self._saved):
            function.__code__ = code
        self._saved.clear()
        marked = self._marker is not None and os.path.exists(self._marker)
        self.triggered = self.triggered or _calls != self._calls_before or self._copy_ran or marked
        return False

    def environment(self, marker):
        """Variables under which a new Python process traps the same functions and
        creates the file `marker` when one is called (see `arm_from_environment`)."""
        targets = [(function.__module__, function.__qualname__) for function in self.functions]
        return {ENVIRONMENT_VARIABLE: json.dumps({"targets": targets, "marker": str(marker)})}

    def _watch(self, frame, event, arg):
        if event != "call":
            return
        code = frame.f_code
        known = self._seen.get(id(code))
        if known is None:
            known = self._seen[id(code)] = (code, _fingerprint(code) in self._fingerprints)
        if known[1]:
            self._copy_ran = True
            _leave_mark(self._marker)


def arm_from_environment():
    """Traps the functions named in `COURSEKIT_REFERENCE_TRAP` for the rest of this
    process; `coursekit` calls it on import when the variable is set."""
    global _marker
    try:
        settings = json.loads(os.environ[ENVIRONMENT_VARIABLE])
        targets = [tuple(pair) for pair in settings["targets"]]
        marker = str(settings["marker"])
    except (KeyError, TypeError, ValueError):
        return
    _marker = marker
    ReferenceTrap(resolve(targets), marker).__enter__()


def _leave_mark(marker):
    if marker is not None:
        with contextlib.suppress(OSError):
            open(marker, "a").close()


def _fingerprint(code):
    """What a copy of `code` compiled again shares with it, whatever its name."""
    constants = tuple(
        _fingerprint(constant) if isinstance(constant, types.CodeType) else repr(constant)
        for constant in code.co_consts
    )
    return (code.co_code, constants, code.co_names, code.co_varnames)


def _trappable(function):
    """Plain Python functions without closure cells can have their code swapped."""
    return (
        isinstance(function, types.FunctionType)
        and function.__closure__ is None
        and isinstance(function.__module__, str)
        and "<" not in function.__qualname__
    )
