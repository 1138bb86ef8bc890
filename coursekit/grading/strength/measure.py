"""Measuring one exercise: every mutant of its solution against the fuzz cases and the check."""

import dataclasses
import random

import numpy as np

from coursekit.grading.strength.accepted import ACCEPTED
from coursekit.grading.strength.mutants import mutants
from coursekit.grading.strength.solution import find_solution
from coursekit.grading.strength.worker import FUZZ_SEED, Task, Worker

DEFAULT_TIMEOUT = 10.0


class StrengthError(ValueError):
    """An exercise cannot be measured: no fuzz generator, or a solution that is wrong."""


@dataclasses.dataclass(frozen=True)
class Verdict:
    """What one mutant did.

    Attributes:
        mutant: the `Mutant`.
        difference: `(fuzz case index, why)` where it first differs from the reference,
            or `None` for an equivalent mutant.
        rejected: whether the check fails it (`None` when it was not run: equivalent).
    """

    mutant: object
    difference: tuple = None
    rejected: bool = None

    @property
    def wrong(self):
        return self.difference is not None

    @property
    def survived(self):
        return self.wrong and not self.rejected


@dataclasses.dataclass(frozen=True)
class Strength:
    """How strong one exercise's check is.

    Attributes:
        exercise: the `Exercise`.
        solution: the `Solution` the mutants come from.
        verdicts: a `Verdict` per mutant, in the mutants' order.
        fuzz_cases: the fuzz cases (a `Verdict`'s difference indexes them).
        accepted: `{statement: reason}`, the survivors accepted for this exercise.
    """

    exercise: object
    solution: object
    verdicts: tuple
    fuzz_cases: tuple
    accepted: dict

    @property
    def counts(self):
        """`(mutants, equivalent, observably wrong, rejected, accepted survivors)`."""
        wrong = sum(verdict.wrong for verdict in self.verdicts)
        rejected = sum(bool(verdict.rejected) for verdict in self.verdicts)
        return (
            len(self.verdicts),
            len(self.verdicts) - wrong,
            wrong,
            rejected,
            len(self.accepted_survivors),
        )

    @property
    def survivors(self):
        """Observably wrong mutants the check passes, accepted ones included."""
        return [verdict for verdict in self.verdicts if verdict.survived]

    @property
    def accepted_survivors(self):
        return [v for v in self.survivors if v.mutant.statement in self.accepted]

    @property
    def score(self):
        """Rejected / (observably wrong - accepted survivors), in percent."""
        _, _, wrong, rejected, accepted = self.counts
        return 100.0 if wrong == accepted else 100.0 * rejected / (wrong - accepted)


def measure(
    exercise,
    root=".",
    hidden_tests=None,
    timeout=DEFAULT_TIMEOUT,
    sample=None,
    worker=None,
):
    """Measures the strength of a coding exercise's check.

    Args:
        exercise: a coding `Exercise` with a `fuzz` generator.
        root: the course repository with the exercise's notebook source.
        hidden_tests: a `HiddenTests` value whose cases join the check's, or `None`.
        timeout: seconds each mutant may run on the fuzz cases, and again on the check.
        sample: measure only this many mutants, drawn by a fixed rule; `None` for all.
        worker: the `Worker` to run the mutants in, to share one between exercises;
            `None` starts one with the default memory cap and stops it at the end.

    Returns:
        A `Strength`.

    Raises:
        StrengthError: when the exercise has no fuzz generator, or its notebook solution
            differs from the reference on a fuzz case or fails its own check.

    Example (a sample of 5 of exercise 5.5's mutants):

    >>> import pathlib, coursekit
    >>> from coursekit.grading import get_exercise
    >>> root = pathlib.Path(coursekit.__file__).parents[1]
    >>> strength = measure(get_exercise("05.5"), root, sample=5)
    >>> strength.counts  # mutants, equivalent, observably wrong, rejected, accepted
    (5, 0, 5, 5, 0)
    >>> strength.score, strength.survivors
    (100.0, [])
    """
    if exercise.fuzz is None:
        raise StrengthError(
            f"Exercise {exercise.id} has no fuzz generator: add fuzz=... to its coding(...)."
        )
    solution = find_solution(exercise, root)
    found = mutants(solution)
    if sample is not None and sample < len(found):
        chosen = sorted(random.Random(f"{exercise.id}:{sample}").sample(range(len(found)), sample))
        found = [found[index] for index in chosen]
    fuzz_cases = tuple(exercise.fuzz(np.random.default_rng(FUZZ_SEED)))
    own = worker is None
    worker = Worker() if own else worker
    try:
        worker.load(Task(exercise.id, hidden_tests))
        _check_the_solution(worker, exercise, solution, fuzz_cases, timeout)
        verdicts = tuple(_verdict(worker, mutant, timeout) for mutant in found)
    except RuntimeError as error:
        raise StrengthError(str(error)) from error
    finally:
        if own:
            worker.stop()
    accepted = {
        statement: reason
        for (exercise_id, statement), reason in ACCEPTED.items()
        if exercise_id == exercise.id
    }
    return Strength(exercise, solution, verdicts, fuzz_cases, accepted)


def _check_the_solution(worker, exercise, solution, fuzz_cases, timeout):
    source = solution.module_source()
    difference = _difference(worker.run("fuzz", source, timeout), timeout)
    if difference is not None:
        index, why = difference
        raise StrengthError(
            f"Exercise {exercise.id}: the notebook's solution differs from the reference on "
            f"fuzz case {index} ({fuzz_cases[index].description}): {why}"
        )
    if _rejected(worker.run("check", source, timeout)):
        raise StrengthError(f"Exercise {exercise.id}: the notebook's solution fails its check.")


def _verdict(worker, mutant, timeout):
    difference = _difference(worker.run("fuzz", mutant.source, timeout), timeout)
    if difference is None:
        return Verdict(mutant)
    return Verdict(mutant, difference, _rejected(worker.run("check", mutant.source, timeout)))


def _difference(messages, timeout):
    kind, answer = messages[-1]
    if kind == "fuzz":
        return answer
    reached = max([index for name, index in messages if name == "case"], default=0)
    if kind == "timeout":
        return reached, f"it did not finish within {timeout:g} s."
    return reached, "it stopped the process (crashed)."


def _rejected(messages):
    """A check that times out or crashes counts as a rejection, as the grader's would."""
    kind, answer = messages[-1]
    return not answer if kind == "check" else True
