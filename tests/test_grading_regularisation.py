"""The checks of notebook 04: specific hints, and a dropout check that is statistical
yet never fails a right answer because of the mask it happened to draw."""

import numpy as np
import pytest

import tests.answers.regularisation as answers
from coursekit import grading
from coursekit.grading.checks.regularisation import _dropout_mismatch
from coursekit.scratch import dropout


@pytest.mark.parametrize(
    ("exercise_id", "answer", "hint"),
    [
        ("04.2", "regularized_update_without_factor_2", "keep the factor 2"),
        ("04.2", "regularized_update_l1_times_w", "l1 * sign(w)"),
        ("04.2", "regularized_update_lecture_rule_without_eta", "penalty included"),
        ("04.2", "regularized_update_sign_of_zero_is_one", "sign(0) = 0"),
        ("04.2", "regularized_update_in_place", "changed its input"),
        ("04.3", "dropout_without_rescaling", "divides the values it keeps by 1 - rate"),
        ("04.3", "dropout_active_at_inference", "return x unchanged"),
        ("04.3", "dropout_scaled_at_inference", "scales at test time"),
        ("04.3", "dropout_rate_is_keep_probability", "not of keeping it"),
        ("04.3", "dropout_one_mask_for_the_batch", "every example gets its own"),
        ("04.5", "early_stopping_epoch_off_by_one", "without improvement in a row"),
        ("04.5", "early_stopping_epoch_ties_improve", "strictly lower"),
        ("04.5", "early_stopping_epoch_one_based", "0-based"),
        ("04.5", "early_stopping_epoch_last_weights_when_not_stopped", "runs out of epochs"),
        ("04.5", "early_stopping_epoch_stops_at_best_plus_patience", "patience=0"),
        ("04.6", "batch_norm_batch_statistics_at_inference", "not with the statistics"),
        ("04.6", "batch_norm_momentum_reversed", "moving * momentum + batch_statistic"),
        ("04.6", "batch_norm_unbiased_variance", "biased variance"),
        ("04.6", "batch_norm_per_position", "every axis but the last"),
        ("04.7", "layer_norm_over_the_batch", "over the batch is batch norm"),
        ("04.7", "layer_norm_over_all_but_the_batch", "last axis only"),
    ],
)
def test_classic_mistakes_get_a_specific_hint(exercise_id, answer, hint):
    result = grading.run_check(exercise_id, getattr(answers, answer))
    assert result.status == "failed"
    assert any(hint in message for message in result.messages), result.messages


def test_a_right_dropout_passes_whatever_masks_it_draws():
    for offset in range(20):

        def shifted_seed_dropout(x, rate, training, seed=None, offset=offset):
            seed = None if seed is None else seed + 1000 + offset
            return answers.dropout(x, rate, training, seed=seed)

        result = grading.run_check("04.3", shifted_seed_dropout)
        assert result.passed, result.messages


@pytest.mark.parametrize(("rate", "wrong_rate"), [(0.3, 0.34), (0.5, 0.45), (0.2, 0.23)])
def test_the_dropout_comparison_notices_a_rate_a_few_percent_off(rate, wrong_rate):
    x = np.random.default_rng(99).uniform(0.5, 2.0, size=(200, 100))
    expected = dropout(x, rate, True, seed=0)
    slightly_off = np.where(expected == 0, 0.0, x / (1 - wrong_rate))
    keep = np.random.default_rng(1).random(x.shape) >= wrong_rate
    assert _dropout_mismatch(np.where(keep, x / (1 - rate), 0.0), expected) is not None
    assert _dropout_mismatch(slightly_off, expected) is not None
    assert _dropout_mismatch(dropout(x, rate, True, seed=1), expected) is None


def test_the_dropout_comparison_reports_type_and_shape_first():
    expected = dropout(np.ones((4, 5)), 0.5, True, seed=0)
    assert "numpy.ndarray" in _dropout_mismatch(expected.tolist(), expected)
    assert "shape" in _dropout_mismatch(expected[:2], expected)
    assert "floats" in _dropout_mismatch(expected.astype(int), expected)
