"""The fuzz generators of notebook 08's exercises: drawn cases the reference and the
right answers agree on, and on which every wrong answer is caught."""

import numpy as np
import pytest

from coursekit.grading import exercises
from coursekit.grading.compare import mismatch
from tests.answers import RIGHT, WRONG

CODING = [e for e in exercises() if e.id.startswith("08.") and e.kind == "code"]
SEEDS = range(8)


def _fuzz_cases(exercise):
    return [case for seed in SEEDS for case in exercise.fuzz(np.random.default_rng(seed))]


def _wrong_on(answer, case, expected, compare):
    try:
        return compare(answer(*case.args, **case.kwargs), expected) is not None
    except Exception:  # a crash on a drawn case is a caught mistake too
        return True


@pytest.mark.parametrize("exercise", CODING, ids=lambda e: e.id)
def test_fuzz_cases_tell_right_from_wrong(exercise):
    compare = exercise.compare or mismatch
    cases = _fuzz_cases(exercise)
    pairs = [(case, exercise.reference(*case.args, **case.kwargs)) for case in cases]
    for answer in RIGHT[exercise.id]:
        assert not any(_wrong_on(answer, case, value, compare) for case, value in pairs)
    for answer in WRONG[exercise.id]:
        assert any(_wrong_on(answer, case, value, compare) for case, value in pairs), answer
