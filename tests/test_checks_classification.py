"""The notebook-05 checks name the classic mistake behind a wrong answer."""

import pytest

import tests.answers.training_a_cnn as answers
from coursekit import grading


@pytest.mark.parametrize(
    ("exercise_id", "answer", "hint"),
    [
        ("05.1", "softmax_without_max_subtraction", "Subtract the largest score"),
        ("05.1", "softmax_global_max", "not of the whole array"),
        ("05.1", "softmax_always_last_axis", "`axis` argument"),
        ("05.2", "cross_entropy_summed", "Average the per-example losses"),
        ("05.2", "cross_entropy_unclipped", "Clip the probabilities"),
        ("05.2", "cross_entropy_over_all_classes", "Only the true class"),
        ("05.2", "cross_entropy_picks_a_matrix", "one entry per row"),
        ("05.4", "median_frequency_weights_inverted", "inverted"),
        ("05.4", "median_frequency_weights_mean", "not the mean"),
        ("05.4", "median_frequency_weights_no_median", "median class gets weight 1"),
        ("05.4", "median_frequency_weights_absent_in_median", "stays out of the median"),
        ("05.5", "top_k_error_off_by_one", "Off by one"),
        ("05.5", "top_k_error_returns_accuracy", "1 - accuracy"),
        ("05.5", "top_k_error_lowest_scores", "*highest*"),
        ("05.6", "ten_crop_five_only", "each of those five"),
        ("05.6", "ten_crop_flipped_upside_down", "not upside down"),
        ("05.6", "ten_crop_centre_rounded_up", "CenterCrop"),
        ("05.6", "ten_crop_of_the_mirrored_image", "swaps the left and right"),
    ],
)
def test_classic_mistakes_get_a_specific_hint(exercise_id, answer, hint):
    result = grading.run_check(exercise_id, getattr(answers, answer))
    assert result.status == "failed"
    assert any(hint in message for message in result.messages), result.messages


def test_a_tie_breaking_top_k_fails_only_on_the_tie():
    result = grading.run_check("05.5", answers.top_k_error_argsort_breaks_ties)
    failed = [message for message in result.messages[1:]]
    assert len(failed) == 1 and failed[0].startswith("a tie at the boundary"), failed


def test_written_exercises_of_notebook_05_are_registered_for_hand_grading():
    written = [e for e in grading.exercises("05_training_a_cnn") if e.kind == "written"]
    assert [exercise.id for exercise in written] == ["05.3", "05.7"]
