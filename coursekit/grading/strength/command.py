"""`coursekit exercises --strength [ID ...]`: the strength table, survivors and exit status."""

import sys
import time

from coursekit.grading import registry
from coursekit.grading.layout import BuildError
from coursekit.grading.strength import table
from coursekit.grading.strength.accepted import ACCEPTED
from coursekit.grading.strength.measure import DEFAULT_TIMEOUT, StrengthError, measure
from coursekit.grading.strength.worker import Worker

TITLE = (
    "Check strength: first-order mutants of each notebook solution. A mutant is observably\n"
    "wrong if it differs from the reference on the exercise's fuzz inputs, rejected if the\n"
    "check fails it; score = rejected / (observably wrong - accepted survivors)."
)


def strength(args):
    """Measures the chosen exercises and prints the report; returns the exit status.

    0 when every exercise was measured (and, with `--fail-under`, scores at least that);
    1 when one scores lower; 2 when one cannot be measured.
    """
    started = time.monotonic()
    try:
        hidden = _hidden_tests(args.hidden_tests)
        chosen = _chosen(args, hidden)
    except (KeyError, ValueError, FileNotFoundError) as error:
        return _fail(error)
    print(TITLE, end="\n\n")
    print(table.header())
    timeout = DEFAULT_TIMEOUT if args.timeout is None else args.timeout
    results, worker = [], Worker()
    try:
        for exercise in chosen:
            results.append(measure(exercise, args.root, hidden, timeout, args.sample, worker))
            print(table.row(results[-1]), flush=True)
    except (StrengthError, BuildError) as error:
        return _fail(error)
    finally:
        worker.stop()
    print(table.total(results))
    _section(
        "Survivors: observably wrong, yet the check passes them",
        table.survivors(results, args.root),
    )
    if args.equivalent:
        _section(
            "Equivalent: the same answers as the reference on every fuzz input",
            table.equivalents(results),
        )
    if args.sample is None:
        _section("Accepted survivors that no longer survive (remove them)", _stale(results))
    mutants = sum(len(result.verdicts) for result in results)
    print(f"\n{len(results)} exercise(s), {mutants} mutants, {time.monotonic() - started:.0f} s.")
    low = [r.exercise.id for r in results if args.fail_under and r.score < args.fail_under]
    if low:
        print(f"Below {args.fail_under:g}%: {', '.join(low)}.", file=sys.stderr)
        return 1
    return 0


def _hidden_tests(path):
    if path is None:
        return None
    from coursekit.grading.autograde.hidden import HiddenTests

    return HiddenTests.load(path)


def _chosen(args, hidden):
    """The exercises to measure: those named, else the hidden-tests file's, else all."""
    declared = {exercise.id: exercise for exercise in (hidden.exercises if hidden else ())}
    if args.strength:
        found = [declared.get(i) or registry.get_exercise(i) for i in args.strength]
    elif hidden is not None:
        touched = {exercise_id for exercise_id, _ in hidden.cases}
        found = [*declared.values(), *map(registry.get_exercise, touched - declared.keys())]
    else:
        found = registry.exercises(args.notebook)
    if args.notebook:
        found = [exercise for exercise in found if exercise.notebook == args.notebook]
    written = [exercise.id for exercise in found if exercise.kind != "code"]
    if args.strength and written:
        raise ValueError(f"{', '.join(written)}: written answers have no check to measure.")
    return registry.sorted_exercises(e for e in found if e.kind == "code")


def _stale(results):
    measured = {result.exercise.id: result for result in results}
    return [
        f"{exercise_id}: {statement}"
        for exercise_id, statement in ACCEPTED
        if exercise_id in measured
        and statement not in {v.mutant.statement for v in measured[exercise_id].survivors}
    ]


def _section(title, lines):
    if lines:
        print(f"\n{title}:")
        print("\n".join(f"  {line}" for line in lines))


def _fail(error):
    message = error.args[0] if isinstance(error, KeyError) and error.args else error
    print(f"coursekit exercises --strength: {message}", file=sys.stderr)
    return 2
