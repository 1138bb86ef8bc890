"""The pooling and backprop checks exercise what their mistakes get wrong.

Each property is read off the cases' own arrays and arguments, not their descriptions:
a window whose maximum is repeated (ties), windows that overlap, a stride above one,
a batch and channels above one, a non-square input, and 'same' padding.
"""

import numpy as np
import pytest

from coursekit import arithmetic, grading
from coursekit.scratch.windows import extract_windows

POOLING_EXERCISES = ["02.2", "02.3", "03.2"]


def _pooling_calls(exercise_id):
    """`(x, pool_size, strides, padding)` of each case of a pooling exercise."""
    calls = []
    for case in grading.get_exercise(exercise_id).cases():
        args = case.args[1:] if exercise_id == "03.2" else case.args  # 03.2 starts with grad
        x, pool_size = args[:2]
        strides = case.kwargs.get("strides", pool_size)
        calls.append((x, pool_size, strides, case.kwargs.get("padding", "valid")))
    return calls


def _has_tied_maximum(x, pool_size, strides):
    windows = extract_windows(x, pool_size, strides)  # (batch, out_h, out_w, channels, ph, pw)
    flat = windows.reshape(*windows.shape[:4], -1)
    return bool(np.any((flat == flat.max(axis=-1, keepdims=True)).sum(axis=-1) > 1))


@pytest.mark.parametrize("exercise_id", POOLING_EXERCISES)
def test_pooling_cases_cover_ties_overlaps_strides_batches_and_shapes(exercise_id):
    calls = _pooling_calls(exercise_id)
    pairs = [
        (arithmetic.as_pair(pool, "pool_size"), arithmetic.as_pair(step, "strides"))
        for _, pool, step, _ in calls
    ]
    assert any(_has_tied_maximum(x, pool, step) for x, pool, step, _ in calls)
    assert any(min(s) < max(p) for p, s in pairs), "no overlapping windows"
    assert any(max(s) > 1 for _, s in pairs), "no stride above one"
    assert any(max(s) > max(p) for p, s in pairs), "no stride larger than the window"
    assert any(x.shape[0] > 1 and x.shape[3] > 1 for x, *_ in calls), "no batch of channels"
    assert any(x.shape[1] != x.shape[2] for x, *_ in calls), "no non-square input"
    assert any(padding == "same" for *_, padding in calls), "no 'same' padding"


def test_conv_backward_cases_cover_strides_batches_padding_and_dilation():
    cases = grading.get_exercise("03.3").cases()
    kernels = [case.args[2] for case in cases]
    inputs = [case.args[1] for case in cases]
    assert any(case.kwargs.get("strides", 1) > 1 for case in cases)
    assert any(case.kwargs.get("padding") == "same" for case in cases)
    assert any(case.kwargs.get("dilation_rate", 1) > 1 for case in cases)
    assert any(x.shape[0] > 1 and x.shape[3] > 1 for x in inputs)
    assert any(k.shape[0] != k.shape[1] for k in kernels), "no non-square kernel"
    assert any(not np.array_equal(k, k[::-1, ::-1]) for k in kernels), "only symmetric kernels"
