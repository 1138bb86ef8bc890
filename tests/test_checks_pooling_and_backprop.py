"""The checks of notebooks 02 and 03 give the specific hint for each classic mistake."""

import pytest

import tests.answers.backprop_in_cnns as backprop_answers
import tests.answers.pooling_and_downsampling as pooling_answers
from coursekit import grading


@pytest.mark.parametrize(
    ("exercise_id", "answer", "hint"),
    [
        ("02.1", "pool_output_size_default_stride_one", "strides = pool_size"),
        ("02.1", "pool_output_size_true_division", "round down"),
        ("02.1", "pool_output_size_same_keeps_size", "ceil(input_size / S)"),
        ("02.2", "max_pool2d_zero_padding", "-inf"),
        ("02.2", "max_pool2d_default_stride_one", "strides = pool_size"),
        ("02.2", "max_pool2d_across_channels", "each channel separately"),
        ("02.3", "avg_pool2d_counts_padding", "real cells"),
        ("02.3", "avg_pool2d_ignores_strides", "by `strides` cells"),
        ("02.3", "avg_pool2d_across_channels", "each channel separately"),
    ],
)
def test_pooling_mistakes_get_a_specific_hint(exercise_id, answer, hint):
    result = grading.run_check(exercise_id, getattr(pooling_answers, answer))
    assert not result.passed
    assert any(hint in message for message in result.messages), result.messages


@pytest.mark.parametrize(
    ("exercise_id", "answer", "hint"),
    [
        ("03.1", "relu_backward_mask_only", "chain rule"),
        ("03.1", "relu_backward_passes_zero", "x > 0"),
        ("03.1", "relu_backward_masks_by_gradient", "forward input x"),
        ("03.1", "relu_backward_in_place", "changed its input"),
        ("03.2", "max_pool2d_backward_assigns", "accumulate with `+=`"),
        ("03.2", "max_pool2d_backward_every_tie", "only the first one"),
        ("03.2", "max_pool2d_backward_ignores_strides", "i * strides"),
        ("03.3", "conv2d_backward_unflipped_kernel", "kernel[::-1, ::-1]"),
        ("03.3", "conv2d_backward_forgets_bias", "grad_bias[f] sums"),
        ("03.3", "conv2d_backward_ignores_strides", "goes back to those cells"),
        ("03.3", "conv2d_backward_batch_mean", "not means"),
        ("03.4", "numerical_gradient_forward", "centred difference"),
        ("03.4", "numerical_gradient_divides_by_h", "divide by 2 * h"),
        ("03.4", "numerical_gradient_moves_everything", "one element at a time"),
        ("03.4", "numerical_gradient_no_restore", "changed its input"),
    ],
)
def test_backprop_mistakes_get_a_specific_hint(exercise_id, answer, hint):
    result = grading.run_check(exercise_id, getattr(backprop_answers, answer))
    assert not result.passed
    assert any(hint in message for message in result.messages), result.messages


@pytest.mark.parametrize(
    ("exercise_id", "words"),
    [
        ("02.2", ("overlapping", "ties", "stride", "2 images")),
        ("02.3", ("overlapping", "ties", "stride", "2 images")),
        ("03.2", ("overlapping", "ties", "stride", "2 images")),
        ("03.3", ("stride", "2 images", "'same'", "dilation")),
    ],
)
def test_cases_cover_overlap_ties_strides_and_batches(exercise_id, words):
    descriptions = " ".join(case.description for case in grading.get_exercise(exercise_id).cases())
    assert all(word in descriptions for word in words), descriptions


def test_every_exercise_of_notebooks_02_and_03_is_registered_with_a_written_one():
    for notebook, code_targets in [
        ("02_pooling_and_downsampling", {"pool_output_size", "max_pool2d", "avg_pool2d"}),
        (
            "03_backprop_in_cnns",
            {"relu_backward", "max_pool2d_backward", "conv2d_backward", "numerical_gradient"},
        ),
    ]:
        listed = grading.exercises(notebook)
        assert {e.target for e in listed if e.kind == "code"} == code_targets
        assert any(e.kind == "written" for e in listed)
