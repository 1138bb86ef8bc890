"""Check strength: how many wrong versions of an exercise's solution its check rejects.

`coursekit exercises --strength [ID ...]` (or `measure(exercise)`) does, per exercise:

1. **Mutants.** It reads the solution from the notebook source (the code between
   `### BEGIN SOLUTION` and `### END SOLUTION` in `notebooks/src/NN_topic.py`) and makes
   every first-order mutant of it: one operator, comparison, constant, axis name,
   argument, slice bound or statement changed (`mutants.py` lists the changes). The
   mutant runs with the notebook's own bindings for the names its function uses: the
   notebook's import statements that bind them and the helper functions it defines
   above the exercise (`solution.py`); nothing else of the notebook runs.
2. **Equivalent or observably wrong.** Each mutant runs on the exercise's fuzz cases
   (`Exercise.fuzz`, drawn with seed `FUZZ_SEED`) and is compared with the reference
   by the exercise's own comparison (`compare`, by default `compare.mismatch`: exact
   types and shapes, values to a relative 1e-5 and an absolute 1e-6 of the largest
   expected value). So "differs" means exactly what a wrong answer means to the
   check: a mutant that changes a float by less than the tolerance is equivalent,
   and so is a mutant that changes how a random answer is drawn without changing its
   statistics (dropout, whose comparison is statistical). Raising an error, changing
   an input array, not finishing within the time bound or crashing the process is
   observably wrong too.
3. **Rejected or survivor.** Each observably wrong mutant goes through the check as
   `run_check` runs it (the same cases, the reference trapped), plus any hidden cases.
   A check that fails it, times out or crashes rejects it; one that passes it leaves a
   *survivor*, reported with a fuzz input where it differs.

The score is rejected / (observably wrong - accepted survivors). Survivors that are
numerically immaterial yet beyond the tolerance can be accepted, with a reason, in
`accepted.py`, the one reviewed list.

Bounds and determinism: mutants run in a separate worker process (`worker.py`); each
one gets `timeout` seconds on the fuzz cases and again on the check, after which the
worker is stopped and replaced, and, on Linux, the worker's address space is capped at
its size plus `memory_mb`, so a mutant that allocates wildly gets a `MemoryError`. The
mutants, their order, the fuzz cases and the check's cases are fixed, so the numbers
are the same on every run, as long as no honest mutant comes near the time bound.
"""

from coursekit.grading.strength.measure import Strength, StrengthError, Verdict, measure
from coursekit.grading.strength.mutants import Mutant, mutants
from coursekit.grading.strength.solution import Solution, find_solution

__all__ = [
    "Mutant",
    "Solution",
    "Strength",
    "StrengthError",
    "Verdict",
    "find_solution",
    "measure",
    "mutants",
]
