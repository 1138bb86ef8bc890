"""The grader's side of one submission's session with the worker in its sandbox.

`converse` sends the `protocol.Session`, answers each `NeedJob` with the exercise's
cases, and reads the events back until the notebook's run ends. Everything it reads
is held to the submission's time budget (`Limits.submission_seconds`, a deadline
only this reader sets) and to a byte budget; events must come in the order the
protocol allows. A submission that breaks any of this is stopped where it was, and
keeps what it had earned before.
"""

import dataclasses
import time

from coursekit.grading.autograde import checker, protocol
from coursekit.grading.autograde.execution import Stop


@dataclasses.dataclass
class Transcript:
    """What a session reported.

    Attributes:
        errors: `(cell index, ename, evalue)` for each error a cell showed.
        stop: the `Stop` that ended the run early, or `None`.
        checks: exercise id -> the `CheckResult` of its last hand-in (or the
            exception raised while judging it).
    """

    errors: list = dataclasses.field(default_factory=list)
    stop: Stop | None = None
    checks: dict = dataclasses.field(default_factory=dict)


class _ProtocolError(Exception):
    """The worker sent something the protocol does not allow there."""


def converse(run, session, exercises, hidden, limits):
    """Runs the session of a started `sandbox.Run`; returns its `Transcript`.

    Args:
        run: the entered `sandbox.Run`.
        session: the `protocol.Session` to send.
        exercises: exercise id -> `Exercise`, for the hand-in cells.
        hidden: the `HiddenTests`.
        limits: the `Limits`.
    """
    transcript = Transcript()
    deadline = time.monotonic() + limits.submission_seconds
    hand_ins = {index: exercise for index, _, exercise in session.cells if exercise}
    cell = None
    if not run.send(session, deadline):
        transcript.stop = Stop(None, "ended")
        return transcript
    try:
        while True:
            event = run.events.next_event(deadline)
            if isinstance(event, protocol.NotebookEnded):
                if event.stop is not None:
                    transcript.stop = Stop(event.cell, event.stop, event.detail)
                return transcript
            if isinstance(event, protocol.CellStarted):
                if cell is not None and event.index <= cell:
                    raise _ProtocolError
                cell = event.index
            elif isinstance(event, protocol.CellError) and event.index == cell:
                transcript.errors.append((event.index, event.ename, event.evalue))
            elif isinstance(event, protocol.NeedJob) and hand_ins.get(cell) == event.exercise_id:
                exercise = exercises[event.exercise_id]
                transcript.checks.pop(exercise.id, None)
                job, pairs = checker.job_for(exercise, hidden)
                if not run.send(job, deadline):
                    raise protocol.StreamError("time")
                tally = _test_events(run, deadline)
                transcript.checks[exercise.id] = _judged(exercise, pairs, tally, limits)
            else:
                raise _ProtocolError
    except protocol.StreamError as problem:
        transcript.stop = Stop(cell, _STOPS[problem.reason])
    except _ProtocolError:
        transcript.stop = Stop(cell, "protocol")
    if run.stopped_for_memory:
        transcript.stop = Stop(cell, "memory")
    return transcript


def _test_events(run, deadline):
    tally = checker.Tally()
    while tally.ended is None:
        event = run.events.next_event(deadline)
        if not isinstance(event, (*protocol.TEST_EVENTS, protocol.CheckEnded)):
            raise _ProtocolError
        try:
            tally.add(event)
        except ValueError:
            raise _ProtocolError from None
    return tally


def _judged(exercise, pairs, tally, limits):
    try:
        return checker.verdict(exercise, pairs, tally, limits)
    except Exception as error:  # a grader bug costs this exercise, not the batch
        return error


_STOPS = {"time": "budget", "ended": "ended", "too much": "output", "unreadable": "protocol"}
