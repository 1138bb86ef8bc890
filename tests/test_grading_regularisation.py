"""The checks of notebook 04: a dropout check that is statistical
yet never fails a right answer because of the mask it happened to draw."""

import numpy as np
import pytest

import tests.answers.regularisation as answers
from coursekit import grading
from coursekit.grading.notebook_exercises.nb04_regularisation import _dropout_mismatch
from coursekit.scratch import dropout


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
