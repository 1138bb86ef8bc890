"""Calls one handed-in function on the grader's cases and writes the events back.

    python -m coursekit.grading.autograde.evaluator HAND_IN_FILE < job

The test process reads a `Job` from standard input, loads the `HandIn`, calls the
function on each case with the coursekit reference replaced by a tripwire, and writes
the events of `coursekit.grading.autograde.protocol` to its standard output. Answers
go back as plain data; the grader alone compares them with the reference. The
student's own printing goes to standard error.

A function that could not be carried to another process is tested in the kernel
that made it (`evaluate_kept`), in a process forked from it at its check cell: the
same function, with the state it had there, and the same events, into a file.
"""

import os
import sys
import tempfile
import time


def evaluate(handed_in, job, send):
    """Calls `handed_in.function` on the job's cases, sending an event per case.

    Child processes the function starts trap the same references (see
    `coursekit.grading.tripwire`).
    """
    from coursekit.grading.autograde import protocol
    from coursekit.grading.judge import call_cases
    from coursekit.grading.plain import to_plain
    from coursekit.grading.tripwire import ReferenceTrap, resolve

    with tempfile.TemporaryDirectory(prefix="coursekit-trap-") as folder:
        marker = os.path.join(folder, "called")
        with ReferenceTrap(resolve(job.targets), marker) as trap:
            os.environ.update(trap.environment(marker))
            send(protocol.Ready())
            call_cases(
                handed_in.function,
                job.cases,
                reduce=to_plain,
                on_outcome=lambda outcome: send(protocol.CaseDone(outcome)),
                sources=handed_in.sources,
            )
    send(protocol.Done(called_reference=trap.triggered))


def main(hand_in_file):
    """Runs the protocol described in the module docstring; returns the exit status."""
    results = os.fdopen(os.dup(1), "w", encoding="utf-8")
    os.dup2(2, 1)
    sys.stdout = sys.stderr

    from coursekit.grading.autograde import protocol
    from coursekit.grading.tripwire import ReferenceTrap, resolve

    def send(event):
        results.write(protocol.encode_event(event))
        results.flush()

    job = protocol.Job.from_bytes(sys.stdin.buffer.read())
    # Loading runs the student's code too: the references are trapped already.
    with ReferenceTrap(resolve(job.targets)):
        try:
            handed_in = protocol.read_hand_in(hand_in_file)
        except Exception as error:
            send(protocol.LoadError(f"{type(error).__name__}: {error}"))
            return 1
    evaluate(handed_in, job, send)
    return 0


def evaluate_kept(exercise_id, folder, seconds):
    """Tests the function `hand_in` kept for `exercise_id` (runs in the kernel).

    Reads the job the worker left in `folder`, forks, and calls the function in the
    child, which writes the events to `protocol.events_path`; the child is stopped
    after `seconds`. The last event, `CheckEnded`, says how it ended.
    """
    from coursekit.grading.autograde import protocol

    job = protocol.Job.from_bytes(protocol.job_path(folder, exercise_id).read_bytes())
    protocol.job_path(folder, exercise_id).unlink()
    handed_in = protocol.kept_hand_in(exercise_id)
    with open(protocol.events_path(folder, exercise_id), "w", encoding="utf-8") as events:
        child = os.fork()
        if child == 0:
            _kept_child(handed_in, job, events)
        stop, exit_code = _wait(child, seconds)
        events.write(protocol.encode_event(protocol.CheckEnded(stop, exit_code)))


def _kept_child(handed_in, job, events):
    from coursekit.grading.autograde import protocol

    status = 1
    try:
        devnull = open(os.devnull, "w")  # noqa: SIM115 - the child ends with os._exit
        sys.stdout = sys.stderr = devnull

        def send(event):
            events.write(protocol.encode_event(event))
            events.flush()

        evaluate(handed_in, job, send)
        status = 0
    finally:
        os._exit(status)


def _wait(child, seconds):
    """Waits for the child at most `seconds`; returns `(stop, exit status)`."""
    import signal

    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        pid, status = os.waitpid(child, os.WNOHANG)
        if pid:
            return None, os.waitstatus_to_exitcode(status)
        time.sleep(0.01)
    os.kill(child, signal.SIGKILL)
    os.waitpid(child, 0)
    return "time", None


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
