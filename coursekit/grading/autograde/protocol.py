"""What crosses between the processes of `coursekit grade`, read and written here only.

Four processes take part in grading one submission; all but the grader run in the
submission's sandbox:

    grader --(session, jobs: frames on stdin)--------> worker
    worker --(events: JSON lines on stdout)----------> grader
    worker --(cells)--> kernel --(hand-in file)------> test process
    worker --(job, stdin)--> test process --(events)--> worker --> grader

1. The **session** (`Session`) tells the worker what to run: the notebook's code cells,
   which of them hand in which exercise, the limits and the environment.
2. The **hand-in cell** replaces a check cell. It calls `hand_in(exercise_id, function,
   folder)`, which writes a `HandIn` to `hand_in_path(folder, exercise_id)`: the
   student's function by value (cloudpickle) and its source lines, so errors can quote
   them. A function cloudpickle cannot carry to another process (one that holds a lock,
   an open file or a generator, or a `functools.cache` wrapper, which is pickled by
   name) is kept in the kernel instead, marked by `kept_path`, and tested there
   (`coursekit.grading.autograde.evaluator.evaluate_kept`).
3. After a hand-in cell the worker asks for the exercise's **job** (`NeedJob`); the
   grader sends a `Job`: the cases to call the function with, hidden ones included,
   and the coursekit functions to trap. Hidden cases enter the sandbox only then.
4. The **events** come back one JSON object per line, from the test process through
   the worker, and from the worker itself:

   | event | JSON | meaning |
   |---|---|---|
   | `Ready` | `{"ready": true}` | the function loaded; its time limit starts |
   | `LoadError` | `{"load_error": "TypeError: ..."}` | it could not be loaded |
   | `CaseDone` | `{"outcome": {"value": ..., "error": "", "not_implemented": false, "changed_inputs": false}}` | one case ran; `value` is plain data (`coursekit.grading.plain`) |
   | `Done` | `{"done": true, "called_reference": false}` | every case ran |
   | `CellStarted` | `{"cell": 3}` | the worker started code cell 3 |
   | `CellError` | `{"cell_error": 3, "ename": "NameError", "evalue": "..."}` | cell 3 raised |
   | `NeedJob` | `{"need_job": "01.2"}` | the function of 01.2 was handed in |
   | `CheckEnded` | `{"check_end": "time", "exit_code": null}` | the test of that function ended, and why (`null`: normally) |
   | `NotebookEnded` | `{"notebook_end": "memory", "cell": 4, "detail": ""}` | the notebook stopped, and why (`null`: after its last cell) |

   `decode_event` accepts exactly these and raises `ValueError` for anything else, so
   a line a student's code forged or garbled is refused, not misread. Texts that reach
   feedback are cut to a line or two and scrubbed of file paths (`scrub`).

`EventStream` reads events from a process the grader does not trust: within a
deadline that only the reader sets, and within a budget of bytes.
"""

import dataclasses
import json
import os
import pathlib
import re
import select
import struct
import time

from coursekit.grading.compare import describe
from coursekit.grading.judge import Outcome
from coursekit.grading.plain import from_plain
from coursekit.grading.source import collect_sources

HAND_IN_SUFFIX = ".hand-in"
KEPT_SUFFIX = ".kept"
# Errors are quoted in feedback: their first lines only, this long at most.
MAX_ERROR_CHARS = 300
MAX_ERROR_LINES = 2
# What the grader reads from one sandbox, and from one line of it.
MAX_LINE_BYTES = 16 * 2**20
MAX_STREAM_BYTES = 32 * 2**20
_PATH = re.compile(r"(?<![\w.~])(?:[A-Za-z]:|~)?(?:[\\/][^\s\\/'\"`:;,()\[\]{}<>|]+){2,}[\\/]?")


# --- the session and the job: grader -> worker -> test process ---------------------


@dataclasses.dataclass(frozen=True)
class Session:
    """What the worker in a submission's sandbox runs.

    Attributes:
        cells: `(index, source, exercise id or None)` for each code cell, in order;
            the exercise id marks a hand-in cell.
        limits: the `Limits`.
        environment: the variables of the kernel and the test processes.
        folders: the `Folders` inside the sandbox.
        files: `{path: bytes}` to write before the kernel starts (the notebook's own
            copy, caches).
        sandboxed: whether the worker runs under bubblewrap (then every process it
            sees belongs to this submission).
    """

    cells: list
    limits: object
    environment: dict
    folders: object
    files: dict = dataclasses.field(default_factory=dict)
    sandboxed: bool = False


@dataclasses.dataclass(frozen=True)
class Folders:
    """The folders of one submission's run: `work` (the kernel's working folder, with
    the notebook), `home` and `private` (hand-ins and the kernel's sockets)."""

    work: str
    home: str
    private: str


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


def write_frame(stream, value):
    """Writes `value` (pickled) to a binary stream, preceded by its length."""
    import cloudpickle

    data = cloudpickle.dumps(value)
    stream.write(struct.pack(">Q", len(data)) + data)
    stream.flush()


def read_frame(stream):
    """Reads what `write_frame` wrote (the worker trusts the grader); `None` at the end."""
    import cloudpickle

    header = stream.read(8)
    if len(header) < 8:
        return None
    return cloudpickle.loads(stream.read(struct.unpack(">Q", header)[0]))


# --- the hand-in: kernel -> test process ----------------------------------------------


@dataclasses.dataclass(frozen=True)
class HandIn:
    """A student's function as the kernel saved it, with the source lines of its code."""

    function: object
    sources: dict


_kept = {}  # in the kernel: the functions that could not be carried, by exercise id


def hand_in(exercise_id, candidate, folder):
    """Saves `candidate` for exercise `exercise_id` into `folder` (runs in the kernel).

    A function that cannot be carried to another process is kept in this process and
    marked by `kept_path(folder, exercise_id)` instead.

    Raises:
        TypeError: when `candidate` is not a function.
    """
    if not callable(candidate):
        raise TypeError(f"Exercise {exercise_id} needs a function; this is {describe(candidate)}.")
    for stale in (hand_in_path(folder, exercise_id), kept_path(folder, exercise_id)):
        stale.unlink(missing_ok=True)
    sources = collect_sources(candidate)
    try:
        data = _carry(HandIn(candidate, sources))
    except Exception:
        _kept[exercise_id] = HandIn(candidate, sources)
        kept_path(folder, exercise_id).touch()
        return
    target = hand_in_path(folder, exercise_id)
    partial = target.with_name(f"{exercise_id}.partial")
    partial.write_bytes(data)
    partial.replace(target)


def kept_hand_in(exercise_id):
    """The `HandIn` that `hand_in` kept in this process for `exercise_id`."""
    return _kept[exercise_id]


def hand_in_path(folder, exercise_id):
    """Where `hand_in` saves the function of `exercise_id`."""
    return pathlib.Path(folder) / f"{exercise_id}{HAND_IN_SUFFIX}"


def kept_path(folder, exercise_id):
    """The mark `hand_in` leaves when it keeps the function of `exercise_id`."""
    return pathlib.Path(folder) / f"{exercise_id}{KEPT_SUFFIX}"


def job_path(folder, exercise_id):
    """Where the worker puts the job of a kept function for the kernel."""
    return pathlib.Path(folder) / f"{exercise_id}.job"


def events_path(folder, exercise_id):
    """Where the kernel writes the events of testing a kept function."""
    return pathlib.Path(folder) / f"{exercise_id}.events"


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


def _carry(value):
    """`value` pickled by value, refusing what only this process could load again."""
    import io

    import cloudpickle

    class Carrier(cloudpickle.Pickler):
        def reducer_override(self, obj):
            reduced = super().reducer_override(obj)
            if reduced is NotImplemented and _by_name_from_main(obj, self.proto):
                raise TypeError(f"{describe(obj)} is pickled by its name in __main__")
            return reduced

    buffer = io.BytesIO()
    Carrier(buffer).dump(value)
    return buffer.getvalue()


def _by_name_from_main(obj, protocol):
    """Whether pickle would save `obj` as a reference to a name in `__main__` (a
    `functools.cache` wrapper, for one), which no other process can look up."""
    if isinstance(obj, type) or getattr(obj, "__module__", None) != "__main__":
        return False
    try:
        return isinstance(obj.__reduce_ex__(protocol), str)
    except Exception:
        return False


# --- the events: sandbox -> grader ---------------------------------------------------


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


@dataclasses.dataclass(frozen=True)
class CellStarted:
    """The worker started the code cell at `index` of the notebook."""

    index: int


@dataclasses.dataclass(frozen=True)
class CellError:
    """The cell at `index` raised `ename` with the message `evalue`."""

    index: int
    ename: str
    evalue: str


@dataclasses.dataclass(frozen=True)
class NeedJob:
    """A function was handed in for `exercise_id`; the worker waits for its `Job`."""

    exercise_id: str


@dataclasses.dataclass(frozen=True)
class CheckEnded:
    """The test of a handed-in function ended.

    Attributes:
        stop: `None` when it ended by itself, else why it was stopped: `"time"`,
            `"memory"` or `"unreadable"` (it wrote something that is not an event).
        exit_code: the test process's exit status, if known.
    """

    stop: str | None
    exit_code: int | None


@dataclasses.dataclass(frozen=True)
class NotebookEnded:
    """The notebook's run ended: after its last cell (`stop` is `None`), or stopped
    in the cell at `cell` for `stop` (`"memory"`, `"time"`, `"died"`, `"error"`)."""

    stop: str | None
    cell: int | None
    detail: str = ""


TEST_EVENTS = (Ready, LoadError, CaseDone, Done)
"""What a test process may send."""


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
    elif isinstance(event, CellStarted):
        data = {"cell": event.index}
    elif isinstance(event, CellError):
        data = {"cell_error": event.index, "ename": event.ename, "evalue": event.evalue}
    elif isinstance(event, NeedJob):
        data = {"need_job": event.exercise_id}
    elif isinstance(event, CheckEnded):
        data = {"check_end": event.stop, "exit_code": event.exit_code}
    elif isinstance(event, NotebookEnded):
        data = {"notebook_end": event.stop, "cell": event.cell, "detail": event.detail}
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
    except (ValueError, TypeError, KeyError, RecursionError) as error:
        raise ValueError(f"Not a grading event: {str(line)[:80]!r}") from error
    if event is None:
        raise ValueError(f"Not a grading event: {str(line)[:80]!r}")
    return event


def scrub(text, max_chars=MAX_ERROR_CHARS):
    """A text from a sandbox as feedback may quote it: its first lines, shortened,
    with file paths replaced by `<path>`.

    Example:

    >>> print(scrub("raised OSError: cannot open '/home/teacher/hidden.py'\\nline 2\\nline 3"))
    raised OSError: cannot open '<path>'
    line 2 ...
    """
    text = str(text)
    lines = text[: 4 * max_chars].split("\n")
    cut = "\n".join(lines[:MAX_ERROR_LINES])
    cut = _PATH.sub("<path>", cut)
    if len(lines) > MAX_ERROR_LINES or len(cut) > max_chars or len(text) > 4 * max_chars:
        cut = cut[: max_chars - 4].rstrip() + " ..."
    return cut


def _event(data):
    if type(data) is not dict:
        return None
    keys = set(data)
    if keys == {"ready"} and data["ready"] is True:
        return Ready()
    if keys == {"load_error"} and type(data["load_error"]) is str:
        return LoadError(scrub(data["load_error"]))
    if keys == {"done", "called_reference"} and data["done"] is True:
        return Done(data["called_reference"]) if type(data["called_reference"]) is bool else None
    if keys == {"outcome"}:
        return CaseDone(_outcome(data["outcome"]))
    if keys == {"cell"} and _is_index(data["cell"]):
        return CellStarted(data["cell"])
    if keys == {"cell_error", "ename", "evalue"} and _is_index(data["cell_error"]):
        if type(data["ename"]) is str and type(data["evalue"]) is str:
            return CellError(data["cell_error"], scrub(data["ename"], 80), scrub(data["evalue"]))
        return None
    if keys == {"need_job"} and type(data["need_job"]) is str:
        return NeedJob(data["need_job"])
    if keys == {"check_end", "exit_code"} and data["check_end"] in _CHECK_STOPS:
        code = data["exit_code"]
        return CheckEnded(data["check_end"], code) if code is None or _is_int(code) else None
    if (
        keys == {"notebook_end", "cell", "detail"}
        and data["notebook_end"] in _NOTEBOOK_STOPS
        and (data["cell"] is None or _is_index(data["cell"]))
        and type(data["detail"]) is str
    ):
        return NotebookEnded(data["notebook_end"], data["cell"], scrub(data["detail"]))
    return None


_CHECK_STOPS = (None, "time", "memory", "unreadable")
_NOTEBOOK_STOPS = (None, "time", "memory", "died", "error")


def _is_int(value):
    return type(value) is int


def _is_index(value):
    return type(value) is int and value >= 0


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
        error=scrub(data["error"]),
        not_implemented=data["not_implemented"],
        changed_inputs=data["changed_inputs"],
    )


# --- reading events from an untrusted process -----------------------------------------


class StreamError(Exception):
    """Reading stopped: `reason` is `"time"` (the deadline passed), `"ended"` (the
    writer closed the stream), `"too much"` (the byte budget is spent) or
    `"unreadable"` (a line that is not an event)."""

    def __init__(self, reason):
        super().__init__(reason)
        self.reason = reason


class EventStream:
    """Events from the read end of a pipe, within deadlines and a byte budget.

    `last_line` holds the bytes of the last event returned. The deadline of each read is the reader's: nothing the writer sends moves it. At
    most `budget` bytes are read in all, and a line longer than `max_line` is refused,
    so what a process writes never grows this one past those sizes.

    Args:
        stream: a readable pipe (a file object or a file descriptor).
        budget: the most bytes read, in all.
        max_line: the longest line accepted.
    """

    def __init__(self, stream, budget=MAX_STREAM_BYTES, max_line=MAX_LINE_BYTES):
        self._fd = stream if isinstance(stream, int) else stream.fileno()
        self._budget = budget
        self._max_line = max_line
        self._buffer = bytearray()
        self._read = 0
        self._scanned = 0  # no newline before this offset of the buffer
        self._ended = False
        self.last_line = b""

    @property
    def bytes_read(self):
        return self._read

    def next_event(self, deadline):
        """The next event; `deadline` is a `time.monotonic()` value, or `None`.

        Raises:
            StreamError: when there is no event to return (see its `reason`).
        """
        while True:
            end = self._buffer.find(b"\n", self._scanned)
            self._scanned = len(self._buffer) if end < 0 else 0
            if end >= 0:
                line = self.last_line = bytes(self._buffer[:end])
                del self._buffer[: end + 1]
                try:
                    return decode_event(line.decode("utf-8"))
                except (ValueError, UnicodeDecodeError):
                    raise StreamError("unreadable") from None
            if len(self._buffer) > self._max_line:
                raise StreamError("unreadable")
            if self._ended:
                raise StreamError("ended")
            self._fill(deadline)

    def _fill(self, deadline):
        if self._read >= self._budget:
            raise StreamError("too much")
        wait = None if deadline is None else deadline - time.monotonic()
        if wait is not None and wait <= 0:
            raise StreamError("time")
        ready, _, _ = select.select([self._fd], [], [], wait)
        if not ready:
            raise StreamError("time")
        chunk = os.read(self._fd, min(2**16, self._budget - self._read))
        if not chunk:
            self._ended = True
        self._read += len(chunk)
        self._buffer += chunk
