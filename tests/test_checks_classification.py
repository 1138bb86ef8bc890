"""The notebook-05 checks: a tie in top-k, and the written exercises."""

import tests.answers.training_a_cnn as answers
from coursekit import grading


def test_a_tie_breaking_top_k_fails_only_on_the_tie():
    result = grading.run_check("05.5", answers.top_k_error_argsort_breaks_ties)
    failed = [message for message in result.messages[1:]]
    assert len(failed) == 1 and failed[0].startswith("a tie at the boundary"), failed


def test_written_exercises_of_notebook_05_are_registered_for_hand_grading():
    written = [e for e in grading.exercises("05_training_a_cnn") if e.kind == "written"]
    assert [exercise.id for exercise in written] == ["05.3", "05.7"]
