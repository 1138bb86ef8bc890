"""Testing a handed-in function in a separate process, and judging what it reported.

`run_evaluator` starts the test process (`coursekit.grading.autograde.evaluator`) for
one exercise and relays its events within a deadline set by the reader: loading gets
`LOAD_SECONDS`, the cases `limits.timeout` from the moment the function loaded, and
nothing the process writes moves either. In `coursekit grade` it runs in the worker,
inside the submission's sandbox.

`Tally` collects the events of one test and `verdict` judges them in the grader, where
the student's code never ran: the reference answers, the comparison and the hints are
all computed there. `check_hand_in` does all of it in one call, without a sandbox.
"""

import contextlib
import dataclasses
import os
import subprocess
import sys
import threading
import time

from coursekit.grading.autograde import protocol
from coursekit.grading.autograde.hidden import NO_HIDDEN_TESTS
from coursekit.grading.autograde.limits import Guard, Limits, kill_all, tree
from coursekit.grading.judge import CheckResult, case_name, judge
from coursekit.grading.status import Status
from coursekit.grading.tripwire import trap_targets

# Loading a function may import TensorFlow; that gets its own allowance.
LOAD_SECONDS = 120


def job_for(exercise, hidden=NO_HIDDEN_TESTS):
    """The `Job` for `exercise` and its `(case, hidden)` pairs."""
    pairs = hidden.grading_cases(exercise)
    return protocol.Job([case for case, _ in pairs], trap_targets(exercise)), pairs


def check_hand_in(exercise, hand_in_file, limits=None, cwd=None, env=None, hidden=None):
    """Tests a handed-in function in a fresh process and judges it here.

    Args:
        exercise: the coding `Exercise`.
        hand_in_file: the file `protocol.hand_in` wrote.
        limits: the `Limits` for the test process (default: `Limits()`).
        cwd: the folder the function runs in.
        env: the environment of the test process (default: this one's).
        hidden: the `HiddenTests` whose cases are added (default: none).

    Returns:
        A `CheckResult`; a crash, time-out or memory blow-up is a failure with its reason.
    """
    limits = limits or Limits()
    job, pairs = job_for(exercise, hidden or NO_HIDDEN_TESTS)
    tally = Tally()
    ended = run_evaluator(hand_in_file, job, limits, tally.add_line, cwd, env)
    tally.add(ended)
    return verdict(exercise, pairs, tally, limits)


def run_evaluator(hand_in_file, job, limits, send_line, cwd=None, env=None, guard=None):
    """Runs the test process on `job`, passing each event's line to `send_line`.

    Args:
        guard: a `Guard` already watching; its victims become the test process and
            its descendants. Without one, a guard of their own holds them to the cap.

    Returns:
        The `protocol.CheckEnded` that says how the test ended.
    """
    process = subprocess.Popen(
        [sys.executable, "-m", "coursekit.grading.autograde.evaluator", os.fspath(hand_in_file)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        cwd=cwd,
        env=env,
        start_new_session=True,
    )
    threading.Thread(target=_feed, args=(process.stdin, job.to_bytes()), daemon=True).start()
    victims = tree(process.pid)
    own = guard is None
    guard = Guard(victims, limits.memory_mb) if own else guard
    guard.victims, guard.reason = victims, None
    with guard if own else contextlib.nullcontext():
        stop = relay(protocol.EventStream(process.stdout), limits, send_line)
        kill_all(victims())
        exit_code = process.wait()
    process.stdout.close()
    stop = stop or guard.reason
    return protocol.CheckEnded(stop, None if stop else exit_code)


def relay(events, limits, send_line):
    """Passes on a test process's events until `Done`, within the reader's deadline.

    Returns:
        `None` when the events ended by themselves, else `"time"` or `"unreadable"`.
    """
    deadline = time.monotonic() + LOAD_SECONDS + limits.timeout
    ready = False
    while True:
        try:
            event = events.next_event(deadline)
        except protocol.StreamError as problem:
            return {"time": "time", "ended": None}.get(problem.reason, "unreadable")
        if not isinstance(event, protocol.TEST_EVENTS):
            return "unreadable"
        try:
            send_line(events.last_line)
        except ValueError:  # an event out of place
            return "unreadable"
        if isinstance(event, protocol.Done):
            return None
        if isinstance(event, protocol.Ready) and not ready:
            ready = True
            deadline = min(deadline, time.monotonic() + limits.timeout)


@dataclasses.dataclass
class Tally:
    """The events of one test, in the order the protocol allows.

    `add` raises `ValueError` for an event out of place (a second `Done`, a case
    before `Ready`), which the grader treats as a forged stream.
    """

    ready: bool = False
    load_error: str | None = None
    outcomes: list = dataclasses.field(default_factory=list)
    done: protocol.Done | None = None
    ended: protocol.CheckEnded | None = None

    def add_line(self, line):
        self.add(protocol.decode_event(line.decode("utf-8")))

    def add(self, event):
        if self.ended is not None:
            raise ValueError("an event after the end of a test")
        if isinstance(event, protocol.CheckEnded):
            self.ended = event
        elif isinstance(event, protocol.Ready) and not self.ready and self.load_error is None:
            self.ready = True
        elif isinstance(event, protocol.LoadError) and not self.ready:
            self.load_error = event.message
        elif isinstance(event, protocol.CaseDone) and self.ready and self.done is None:
            self.outcomes.append(event.outcome)
        elif isinstance(event, protocol.Done) and self.ready and self.done is None:
            self.done = event
        else:
            raise ValueError(f"{type(event).__name__} out of place")


def verdict(exercise, pairs, tally, limits):
    """Judges a finished `Tally` of `exercise`'s `(case, hidden)` pairs."""
    cases = [case for case, _ in pairs]
    hidden = {index for index, (_, is_hidden) in enumerate(pairs) if is_hidden}
    target = exercise.target
    stop, exit_code = tally.ended.stop, tally.ended.exit_code
    if stop == "unreadable" or len(tally.outcomes) > len(cases):
        return CheckResult(exercise, Status.FAILED, problem=_UNREADABLE)
    if tally.load_error is not None:
        problem = f"Your `{target}` could not be loaded for testing: {tally.load_error}"
        return CheckResult(exercise, Status.FAILED, problem=problem)
    if tally.done is not None and stop is None:
        return judge(
            exercise,
            cases,
            tally.outcomes,
            called_reference=tally.done.called_reference,
            hidden=hidden,
        )
    where = ""
    if tally.ready and len(tally.outcomes) < len(cases):
        where = f" (on the test '{case_name(cases, hidden, len(tally.outcomes))}')"
    if stop == "memory":
        problem = (
            f"Your `{target}` used more than the {limits.memory_mb} MB memory cap{where} "
            "and was stopped."
        )
    elif stop == "time" and tally.ready:
        problem = f"Your `{target}` ran longer than the {limits.timeout:g} s time limit{where}."
    elif stop == "time":
        problem = f"Loading your `{target}` for testing took longer than {LOAD_SECONDS} s."
    else:
        problem = (
            f"The process testing your `{target}` ended unexpectedly (exit status "
            f"{exit_code}){where}: does your function exit Python or crash it?"
        )
    partial = judge(exercise, cases, tally.outcomes, hidden=hidden)
    return dataclasses.replace(partial, status=Status.FAILED, problem=problem)


def _feed(stream, data):
    try:
        stream.write(data)
        stream.close()
    except OSError:
        pass  # the process ended before reading its cases


_UNREADABLE = "The results of testing your function could not be read."
