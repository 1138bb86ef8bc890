"""The notebook-05 checks: ties in top-k."""

import pytest

import tests.answers.training_a_cnn as answers
from coursekit import grading


@pytest.mark.parametrize(
    ("answer", "failing_case"),
    [
        (answers.top_k_error_argsort_breaks_ties, "the true class the later of the two"),
        (answers.top_k_error_last_k_of_an_ascending_argsort, "the true class the earlier"),
    ],
)
def test_a_top_k_that_breaks_ties_by_sorting_fails_only_on_one_tie(answer, failing_case):
    result = grading.run_check("05.5", answer)
    failed = result.messages[1:]
    assert len(failed) == 1 and failing_case in failed[0], failed
    assert "Off by one" not in failed[0]
