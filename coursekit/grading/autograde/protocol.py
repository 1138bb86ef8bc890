"""What crosses between the processes of `coursekit grade`, read and written here only.

Three processes take part in grading one submission:

    grader --(hand-in cells)--> kernel --(hand-in file)--> test process
    grader --(job, stdin)-----> test process --(events, stdout)--> grader

1. The **hand-in cell** replaces a check cell in the notebook the kernel runs. It calls
   `hand_in(exercise_id, function, folder)`, which writes a `HandIn` to
   `hand_in_path(folder, exercise_id)`: the student's function by value (cloudpickle)
   and its source lines (`coursekit.grading.source`), so errors can quote them.
2. The **job** tells the test process (`coursekit.grading.autograde.evaluator`) which
   cases to call the function with and which coursekit functions to trap: a `Job`,
   pickled, on its standard input.
3. The **events** come back on its standard output, one JSON object per line:

   | event | JSON | meaning |
   |---|---|---|
   | `Ready` | `{"ready": true}` | the function loaded; its time limit starts |
   | `LoadError` | `{"load_error": "TypeError: ..."}` | it could not be loaded |
   | `CaseDone` | `{"outcome": {"value": ..., "error": "", "not_implemented": false, "changed_inputs": false}}` | one case ran; `value` is plain data (`coursekit.grading.plain`) |
   | `Done` | `{"done": true, "called_reference": false}` | every case ran |

   `decode_event` accepts exactly these and raises `ValueError` for anything else, so
   a line a student's code forged or garbled is refused, not misread.
"""

import dataclasses
import json
import pathlib

from coursekit.grading.compare import describe
from coursekit.grading.judge import Outcome
from coursekit.grading.plain import from_plain
from coursekit.grading.source import collect_sources

HAND_IN_SUFFIX = ".hand-in"
# Errors are quoted in feedback; longer texts are cut.
MAX_ERROR_CHARS = 2000


# --- the hand-in: kernel -> test process ----------------------------------------------


@dataclasses.dataclass(frozen=True)
class HandIn:
    """A student's function as the kernel saved it, with the source lines of its code."""

    function: object
    sources: dict


def hand_in(exercise_id, candidate, folder):
    """Saves `candidate` for exercise `exercise_id` into `folder` (runs in the kernel).

    Raises:
        TypeError: when `candidate` is not a function.
    """
    import cloudpickle

    if not callable(candidate):
        raise TypeError(f"Exercise {exercise_id} needs a function; this is {describe(candidate)}.")
    data = cloudpickle.dumps(HandIn(candidate, collect_sources(candidate)))
    target = hand_in_path(folder, exercise_id)
    partial = target.with_name(f"{exercise_id}.partial")
    partial.write_bytes(data)
    partial.replace(target)


def hand_in_path(folder, exercise_id):
    """Where `hand_in` saves the function of `exercise_id`."""
    return pathlib.Path(folder) / f"{exercise_id}{HAND_IN_SUFFIX}"


def hand_in_cell(exercise, folder):
    """The source of the cell that replaces an exercise's check cell during grading."""
    return (
        f"from {__name__} import hand_in\n"
        f'hand_in("{exercise.id}", {exercise.target}, {str(folder)!r})'
    )


def read_hand_in(path):
    """Loads a `HandIn` (in the test process: this runs the student's pickled code)."""
    import cloudpickle

    with open(path, "rb") as handle:
        handed_in = cloudpickle.load(handle)
    if not isinstance(handed_in, HandIn):
        raise TypeError(f"not a hand-in: {describe(handed_in)}")
    return handed_in


# --- the job: grader -> test process --------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Job:
    """What the test process does: call the function on `cases`, with `targets` trapped.

    Attributes:
        cases: the `Case`s, public then hidden.
        targets: `(module, qualified name)` pairs of the coursekit functions the
            student must not call (`coursekit.grading.tripwire.trap_targets`).
    """

    cases: list
    targets: list

    def to_bytes(self):
        import cloudpickle

        return cloudpickle.dumps(self)

    @staticmethod
    def from_bytes(data):
        import cloudpickle

        return cloudpickle.loads(data)


# --- the events: test process -> grader -----------------------------------------------


@dataclasses.dataclass(frozen=True)
class Ready:
    """The function loaded; the time limit for its cases starts now."""


@dataclasses.dataclass(frozen=True)
class LoadError:
    """The hand-in could not be loaded; `message` says why."""

    message: str


@dataclasses.dataclass(frozen=True)
class CaseDone:
    """One case ran; `outcome.value` is plain data in the test process, rebuilt here."""

    outcome: Outcome


@dataclasses.dataclass(frozen=True)
class Done:
    """Every case ran; `called_reference` tells whether the tripwire fired."""

    called_reference: bool


def encode_event(event):
    """One line of JSON, ending in a newline, for `event`."""
    if isinstance(event, Ready):
        data = {"ready": True}
    elif isinstance(event, LoadError):
        data = {"load_error": event.message}
    elif isinstance(event, CaseDone):
        data = {"outcome": dataclasses.asdict(event.outcome)}
    elif isinstance(event, Done):
        data = {"done": True, "called_reference": event.called_reference}
    else:
        raise TypeError(f"Not an event. Received: {event!r}")
    return json.dumps(data) + "\n"


def decode_event(line):
    """The event a line encodes.

    Raises:
        ValueError: when the line is not exactly one of the events `encode_event` writes.

    Example:

    >>> decode_event('{"done": true, "called_reference": false}')
    Done(called_reference=False)
    >>> decode_event('{"done": "yes"}')
    Traceback (most recent call last):
    ...
    ValueError: Not a grading event: '{"done": "yes"}'
    """
    try:
        data = json.loads(line)
        event = _event(data)
    except (ValueError, TypeError, KeyError) as error:
        raise ValueError(f"Not a grading event: {str(line)[:80]!r}") from error
    if event is None:
        raise ValueError(f"Not a grading event: {str(line)[:80]!r}")
    return event


def _event(data):
    if type(data) is not dict:
        return None
    keys = set(data)
    if keys == {"ready"} and data["ready"] is True:
        return Ready()
    if keys == {"load_error"} and type(data["load_error"]) is str:
        return LoadError(data["load_error"][:MAX_ERROR_CHARS])
    if keys == {"done", "called_reference"} and data["done"] is True:
        return Done(data["called_reference"]) if type(data["called_reference"]) is bool else None
    if keys == {"outcome"}:
        return CaseDone(_outcome(data["outcome"]))
    return None


def _outcome(data):
    fields = {"value", "error", "not_implemented", "changed_inputs"}
    if type(data) is not dict or set(data) != fields:
        raise TypeError("malformed outcome")
    if type(data["error"]) is not str or not all(
        type(data[flag]) is bool for flag in ("not_implemented", "changed_inputs")
    ):
        raise TypeError("malformed outcome")
    return Outcome(
        value=from_plain(data["value"]),
        error=data["error"][:MAX_ERROR_CHARS],
        not_implemented=data["not_implemented"],
        changed_inputs=data["changed_inputs"],
    )
