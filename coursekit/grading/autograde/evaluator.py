"""The test process: calls one handed-in function on the grader's cases.

    python -m coursekit.grading.autograde.evaluator HAND_IN_FILE < job

It reads a `Job` from standard input, loads the `HandIn`, calls the function on each
case with the coursekit reference replaced by a tripwire, and writes the events of
`coursekit.grading.autograde.protocol` to its standard output. Answers go back as
plain data; the grader alone compares them with the reference. The student's own
printing goes to standard error.
"""

import os
import sys


def main(hand_in_file):
    """Runs the protocol described in the module docstring; returns the exit status."""
    results = os.fdopen(os.dup(1), "w", encoding="utf-8")
    os.dup2(2, 1)
    sys.stdout = sys.stderr

    from coursekit.grading.autograde import protocol
    from coursekit.grading.judge import call_cases
    from coursekit.grading.plain import to_plain
    from coursekit.grading.tripwire import ReferenceTrap, resolve

    def send(event):
        results.write(protocol.encode_event(event))
        results.flush()

    job = protocol.Job.from_bytes(sys.stdin.buffer.read())
    with ReferenceTrap(resolve(job.targets)) as trap:
        try:
            handed_in = protocol.read_hand_in(hand_in_file)
        except Exception as error:
            send(protocol.LoadError(f"{type(error).__name__}: {error}"))
            return 1
        send(protocol.Ready())
        call_cases(
            handed_in.function,
            job.cases,
            reduce=to_plain,
            on_outcome=lambda outcome: send(protocol.CaseDone(outcome)),
            sources=handed_in.sources,
        )
    send(protocol.Done(called_reference=trap.triggered))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
