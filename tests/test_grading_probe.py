"""Probes: grading functions whose answer is not plain data, such as Keras blocks.

A case with a probe calls the student's function, the reference and every hint's wrong
function through it, and compares the plain data it returns.
"""

import dataclasses

import numpy as np
import pytest

from coursekit.grading import Case, Hint, Status, coding, get_exercise, run_check
from coursekit.grading.judge import call_cases, judge
from coursekit.grading.plain import Foreign, dumps, loads
from coursekit.grading.registry import HiddenCases
from coursekit.models import compare_probes, probe, residual_block, vgg_block
from tests.answers.cnn_architectures import residual_block_with_conv_biases

CALLS = []


def describe(function, n):
    """A probe for functions returning a generator: plain data from what it yields."""
    CALLS.append(function.__name__)
    return list(function(n))


def squares(n):
    return (i * i for i in range(n))


def squares_from_one(n):
    return (i * i for i in range(1, n + 1))


def exercise(**changes):
    declared = dict(
        exercise_id="01.9",
        title="Squares",
        points=1,
        reference=squares,
        cases=lambda: [Case("three squares", (3,)), Case("none", (0,))],
        hints=(Hint("Start at zero.", squares_from_one),),
        fuzz=lambda rng: [Case("random", (int(rng.integers(5)),))],
        probe=describe,
    )
    return coding(**{**declared, **changes})


def reduce(value):
    return loads(dumps(value))


def test_a_probe_is_set_on_every_case_and_fuzz_case():
    declared = exercise()
    assert declared.probe is describe
    assert {case.probe for case in declared.cases()} == {describe}
    assert declared.fuzz(np.random.default_rng(0))[0].probe is describe
    assert all(case.probe is None for case in exercise(probe=None).cases())


def test_the_student_s_function_the_reference_and_the_hints_go_through_the_probe():
    declared = exercise()
    cases = declared.cases()
    CALLS.clear()
    outcomes = call_cases(squares_from_one, cases, reduce)
    assert [outcome.value for outcome in outcomes] == [[1, 4, 9], []]
    result = judge(declared, cases, outcomes)
    assert result.status is Status.FAILED
    assert "Start at zero." in result.messages[1]
    assert result.cases[1].passed  # no squares either way
    assert CALLS == ["squares_from_one"] * 2 + ["squares", "squares_from_one", "squares"]


def test_without_a_probe_the_answer_is_what_the_function_returned():
    outcomes = call_cases(squares, exercise(probe=None).cases(), reduce)
    assert isinstance(outcomes[0].value, Foreign)
    assert type(outcomes[0].value).__name__ == "generator"


def test_hidden_cases_of_a_course_exercise_get_its_probe():
    hidden = HiddenCases("06.4", lambda: [Case("hidden", ((4, 4, 2), 2))])
    assert [case.probe for case in hidden()] == [probe]
    plain = HiddenCases("01.5", lambda: [Case("hidden", ([(3, 1)],))])
    assert [case.probe for case in plain()] == [None]


def test_probing_a_block_gives_plain_data_that_crosses_processes():
    found = probe(vgg_block, (6, 5, 3), 4, 2)
    assert set(found) == {
        "output_shape",
        "trainable_params",
        "non_trainable_params",
        "output",
        "output_batchnorm_zeroed",
        "paths",
    }
    assert found["output_shape"] == (3, 2, 4)
    assert found["trainable_params"] == (27 + 1) * 4 + (36 + 1) * 4
    assert found["output"].dtype == np.float64 and found["output"].shape == (2, 3, 2, 4)
    back = reduce(found)
    assert compare_probes(back, found) is None


def test_probes_of_coursekit_functions_are_computed_once_and_copied():
    first = probe(residual_block, (4, 4, 2), 2)
    first["output"][...] = 0
    again = probe(residual_block, (4, 4, 2), 2)
    assert np.abs(again["output"]).sum() > 0


def test_layers_created_in_another_order_give_the_same_description():
    from tests.answers.cnn_architectures import residual_block as shortcut_first

    for args in [((5, 5, 4), 6), ((6, 6, 8), 4, 2, True)]:
        assert compare_probes(probe(shortcut_first, *args), probe(residual_block, *args)) is None


def test_a_function_that_does_not_return_a_keras_tensor_is_told_so():
    def vgg_block(x, filters, convs):
        return filters

    outcome = call_cases(vgg_block, get_exercise("06.1").cases()[:1], reduce)[0]
    assert outcome.error.startswith("raised TypeError: `vgg_block` should return the block's")


def test_a_wrong_block_is_told_what_differs():
    # Two 3x3 convolutions 8 -> 8 (2 x 576) and two batch normalisations (2 x 16): 1184;
    # a bias on each convolution adds 2 x 8.
    result = run_check("06.4", residual_block_with_conv_biases)
    first = result.messages[1]
    assert first.startswith(
        "basic block, same shape: the identity shortcut: the number of trainable "
        "parameters should be 1184, but it is 1200."
    )
    assert "needs no bias" in first


def test_an_error_while_probing_names_the_student_s_line():
    def residual_block(x, filters, strides=1, bottleneck=False, preactivation=False):
        return x + undefined_name  # noqa: F821

    result = run_check("06.4", residual_block)
    assert "NameError" in result.messages[1] and "undefined_name" in result.messages[1]


@pytest.mark.parametrize("exercise_id", ["06.1", "06.4"])
def test_the_keras_exercises_declare_the_probe_and_its_comparison(exercise_id):
    declared = get_exercise(exercise_id)
    assert declared.probe is probe and declared.compare is compare_probes
    fuzzed = declared.fuzz(np.random.default_rng(1))
    assert fuzzed and all(case.probe is probe for case in fuzzed)
    assert all(dataclasses.replace(case, probe=None).probe is None for case in fuzzed)


def test_a_keras_error_is_reported_without_colours_or_tensor_names():
    def vgg_block(x, filters, convs):
        from keras import layers

        return layers.MaxPooling2D(16)(x)

    outcome = call_cases(vgg_block, get_exercise("06.1").cases()[:1], reduce)[0]
    assert "Computed output size would be zero or negative" in outcome.error
    assert "\x1b[" not in outcome.error and "keras_tensor" not in outcome.error
    assert outcome.error.endswith(": `return layers.MaxPooling2D(16)(x)`).")
