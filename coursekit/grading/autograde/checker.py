"""The grader's side of testing a handed-in function in a separate process.

`check_hand_in` starts the test process (`coursekit.grading.autograde.evaluator`) for
one exercise, under a time limit and a memory cap, reads back its events
(`coursekit.grading.autograde.protocol`), and judges the outcomes here, where the
student's code never ran: the reference answers, the comparison and the hints are
all computed in this process.
"""

import dataclasses
import os
import subprocess
import sys
import threading

from coursekit.grading.autograde import protocol
from coursekit.grading.autograde.hidden import NO_HIDDEN_TESTS
from coursekit.grading.autograde.limits import Guard, Limits
from coursekit.grading.judge import CheckResult, case_name, judge
from coursekit.grading.status import Status
from coursekit.grading.tripwire import trap_targets

# Loading a function may import TensorFlow; that gets its own allowance.
LOAD_SECONDS = 120
MAX_LINE_BYTES = 64 * 2**20


@dataclasses.dataclass
class _Run:
    """What the test process reported, and why it stopped."""

    ready: bool = False
    load_error: str | None = None
    outcomes: list = dataclasses.field(default_factory=list)
    done: protocol.Done | None = None
    unreadable: bool = False


def check_hand_in(exercise, hand_in_file, limits=None, cwd=None, env=None, hidden=None):
    """Tests a handed-in function in a fresh process and judges it here.

    Args:
        exercise: the coding `Exercise`.
        hand_in_file: the file `protocol.hand_in` wrote.
        limits: the `Limits` for the test process (default: `Limits()`).
        cwd: the folder the function runs in (the submission's folder).
        env: the environment of the test process (default: this one's).
        hidden: the `HiddenTests` whose cases are added (default: none).

    Returns:
        A `CheckResult`; a crash, time-out or memory blow-up is a failure with its reason.
    """
    limits = limits or Limits()
    pairs = (hidden or NO_HIDDEN_TESTS).grading_cases(exercise)
    cases = [case for case, _ in pairs]
    hidden_indices = {index for index, (_, is_hidden) in enumerate(pairs) if is_hidden}
    job = protocol.Job(cases, trap_targets(exercise))
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
    with Guard(process.pid, limits.memory_mb) as guard:
        guard.set_deadline(LOAD_SECONDS)
        run = _read_events(process.stdout, guard, limits)
        process.stdout.close()
        exit_code = process.wait()
    return _verdict(exercise, cases, hidden_indices, run, guard.reason, exit_code, limits)


def _feed(stream, data):
    try:
        stream.write(data)
        stream.close()
    except OSError:
        pass  # the process ended before reading its cases


def _read_events(stream, guard, limits):
    run = _Run()
    while line := stream.readline(MAX_LINE_BYTES):
        try:
            event = protocol.decode_event(line)
        except ValueError:
            run.unreadable = True
            guard.kill("unreadable")
            break
        if isinstance(event, protocol.Ready) and not run.ready:
            run.ready = True
            guard.set_deadline(limits.timeout)
        elif isinstance(event, protocol.LoadError):
            run.load_error = event.message
        elif isinstance(event, protocol.CaseDone):
            run.outcomes.append(event.outcome)
        elif isinstance(event, protocol.Done):
            run.done = event
    return run


def _verdict(exercise, cases, hidden, run, stop_reason, exit_code, limits):
    target = exercise.target
    if run.unreadable or stop_reason == "unreadable":
        return CheckResult(exercise, Status.FAILED, problem=_UNREADABLE)
    if run.load_error is not None:
        problem = f"Your `{target}` could not be loaded for testing: {run.load_error[:300]}"
        return CheckResult(exercise, Status.FAILED, problem=problem)
    if run.done is not None and stop_reason is None:
        return judge(
            exercise,
            cases,
            run.outcomes,
            called_reference=run.done.called_reference,
            hidden=hidden,
        )
    where = ""
    if run.ready and len(run.outcomes) < len(cases):
        where = f" (on the test '{case_name(cases, hidden, len(run.outcomes))}')"
    if stop_reason == "memory":
        problem = (
            f"Your `{target}` used more than the {limits.memory_mb} MB memory cap{where} "
            "and was stopped."
        )
    elif stop_reason == "time" and run.ready:
        problem = f"Your `{target}` ran longer than the {limits.timeout:g} s time limit{where}."
    elif stop_reason == "time":
        problem = f"Loading your `{target}` for testing took longer than {LOAD_SECONDS} s."
    else:
        problem = (
            f"The process testing your `{target}` ended unexpectedly (exit status "
            f"{exit_code}){where}: does your function exit Python or crash it?"
        )
    partial = judge(exercise, cases, run.outcomes, hidden=hidden)
    return dataclasses.replace(partial, status=Status.FAILED, problem=problem)


_UNREADABLE = "The results of testing your function could not be read."
