"""The test process: calls one handed-in function on the grader's cases.

    python -m coursekit.grading.evaluator HAND_IN_FILE < cases

It reads the cases and the functions to trap (a pickle written by the grader) from
standard input, loads the student's function, calls it on each case with the
coursekit reference replaced by a tripwire, and writes one JSON line per event to
its standard output: `{"ready": true}` once loaded, an outcome per case, then
`{"done": true, "called_reference": ...}`. Answers are written as plain data
(`coursekit.grading.plain`); the grader alone compares them with the reference.
The student's own printing goes to standard error.
"""

import json
import os
import sys


def main(hand_in_path):
    """Runs the protocol described in the module docstring; returns the exit status."""
    results = os.fdopen(os.dup(1), "w", encoding="utf-8")
    os.dup2(2, 1)
    sys.stdout = sys.stderr

    def send(message):
        results.write(json.dumps(message) + "\n")
        results.flush()

    import cloudpickle

    from coursekit.grading.plain import to_plain
    from coursekit.grading.runner import call_cases
    from coursekit.grading.tripwire import ReferenceTrap, resolve

    job = cloudpickle.loads(sys.stdin.buffer.read())
    with ReferenceTrap(resolve(job["targets"])) as trap:
        try:
            with open(hand_in_path, "rb") as handle:
                handed_in = cloudpickle.load(handle)
            candidate, sources = handed_in["function"], handed_in["sources"]
        except Exception as error:
            send({"load_error": f"{type(error).__name__}: {error}"})
            return 1
        send({"ready": True})
        call_cases(
            candidate,
            job["cases"],
            reduce=to_plain,
            on_outcome=lambda outcome: send({"outcome": outcome.__dict__}),
            sources=sources,
        )
    send({"done": True, "called_reference": trap.triggered})
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
