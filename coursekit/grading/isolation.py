"""The grader's side of testing a handed-in function in a separate process.

`check_hand_in` starts `python -m coursekit.grading.evaluator` for one exercise,
under a time limit and a memory cap, reads back the plain-data outcome of each
case, and judges them here, where the student's code never ran: the reference
answers, the comparison and the hints are all computed in this process.
"""

import dataclasses
import json
import os
import subprocess
import sys
import threading

from coursekit.grading.hidden import grading_cases
from coursekit.grading.limits import Guard, Limits
from coursekit.grading.plain import from_plain
from coursekit.grading.runner import FAILED, CheckResult, Outcome, case_name, judge
from coursekit.grading.tripwire import trap_targets

# Loading a function may import TensorFlow; that gets its own allowance.
LOAD_SECONDS = 120
MAX_LINE_BYTES = 64 * 2**20


def check_hand_in(exercise, hand_in_path, limits=None, cwd=None, env=None):
    """Tests a handed-in function in a fresh process and judges it here.

    Args:
        exercise: the coding `Exercise`.
        hand_in_path: the file `coursekit.grading.handin.hand_in` wrote.
        limits: the `Limits` for the test process (default: `Limits()`).
        cwd: the folder the function runs in (the submission's folder).
        env: the environment of the test process (default: this one's).

    Returns:
        A `CheckResult`; a crash, time-out or memory blow-up is a failure with its reason.
    """
    import cloudpickle

    limits = limits or Limits()
    pairs = grading_cases(exercise)
    cases = [case for case, _ in pairs]
    hidden = {index for index, (_, is_hidden) in enumerate(pairs) if is_hidden}
    job = cloudpickle.dumps({"cases": cases, "targets": trap_targets(exercise)})
    process = subprocess.Popen(
        [sys.executable, "-m", "coursekit.grading.evaluator", os.fspath(hand_in_path)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        cwd=cwd,
        env=env,
        start_new_session=True,
    )
    threading.Thread(target=_feed, args=(process.stdin, job), daemon=True).start()
    messages = []
    with Guard(process.pid, limits.memory_mb) as guard:
        guard.set_deadline(LOAD_SECONDS)
        while line := process.stdout.readline(MAX_LINE_BYTES):
            messages.append(line)
            if messages[-1].startswith(b'{"ready"'):
                guard.set_deadline(limits.timeout)
            if not line.endswith(b"\n"):
                guard.kill("unreadable")
        process.stdout.close()
        exit_code = process.wait()
    return _verdict(exercise, cases, hidden, messages, guard.reason, exit_code, limits)


def _feed(stream, data):
    try:
        stream.write(data)
        stream.close()
    except OSError:
        pass  # the process ended before reading its cases


def _verdict(exercise, cases, hidden, lines, stop_reason, exit_code, limits):
    target = exercise.target
    try:
        events = [json.loads(line) for line in lines]
        outcomes = [_outcome(event["outcome"]) for event in events if "outcome" in event]
    except (ValueError, KeyError, TypeError):
        return CheckResult(exercise, FAILED, problem=_UNREADABLE)
    loaded = any(event.get("ready") for event in events)
    done = next((event for event in events if event.get("done")), None)
    load_error = next((event["load_error"] for event in events if "load_error" in event), None)
    if load_error is not None:
        problem = f"Your `{target}` could not be loaded for testing: {str(load_error)[:300]}"
        return CheckResult(exercise, FAILED, problem=problem)
    if done is not None and stop_reason is None:
        called = done.get("called_reference") is True
        return judge(exercise, cases, outcomes, called_reference=called, hidden=hidden)
    where = ""
    if loaded and len(outcomes) < len(cases):
        where = f" (on the test '{case_name(cases, hidden, len(outcomes))}')"
    if stop_reason == "memory":
        problem = (
            f"Your `{target}` used more than the {limits.memory_mb} MB memory cap{where} "
            "and was stopped."
        )
    elif stop_reason == "time" and loaded:
        problem = f"Your `{target}` ran longer than the {limits.timeout:g} s time limit{where}."
    elif stop_reason == "time":
        problem = f"Loading your `{target}` for testing took longer than {LOAD_SECONDS} s."
    elif stop_reason == "unreadable":
        problem = _UNREADABLE
    else:
        problem = (
            f"The process testing your `{target}` ended unexpectedly (exit status "
            f"{exit_code}){where}: does your function exit Python or crash it?"
        )
    partial = judge(exercise, cases, outcomes, hidden=hidden)
    return dataclasses.replace(partial, status=FAILED, problem=problem)


def _outcome(data):
    if type(data) is not dict:
        raise TypeError("an outcome must be a JSON object")
    flags = (data.get("not_implemented", False), data.get("changed_inputs", False))
    if not isinstance(data.get("error", ""), str) or any(type(flag) is not bool for flag in flags):
        raise TypeError("malformed outcome")
    return Outcome(
        value=from_plain(data.get("value")),
        error=data.get("error", "")[:2000],
        not_implemented=flags[0],
        changed_inputs=flags[1],
    )


_UNREADABLE = "The results of testing your function could not be read."
