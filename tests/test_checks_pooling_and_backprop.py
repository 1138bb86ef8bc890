"""Notebooks 02 and 03: the checks cover overlaps, ties, strides and batches; all registered."""

import pytest

from coursekit import grading


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
