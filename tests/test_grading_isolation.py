"""The grader's verdict is computed where a student's code cannot reach it.

A handed-in function runs in its own process under a time limit and a memory cap;
only plain data comes back, and the grader compares it with the reference itself.
These tests hand functions in directly (no notebook kernel), as notebook code would.
"""

import itertools
import linecache
import math
import pathlib
import pickle
import textwrap

import cloudpickle
import numpy as np
import pytest

from coursekit import arithmetic, scratch
from coursekit.grading import Case, Status, exercises, get_exercise, run_check
from coursekit.grading.autograde.checker import check_hand_in
from coursekit.grading.autograde.hidden import NO_HIDDEN_TESTS, HiddenTests
from coursekit.grading.autograde.limits import Limits
from coursekit.grading.autograde.protocol import hand_in, hand_in_path
from coursekit.grading.compare import mismatch
from coursekit.grading.judge import call_cases
from coursekit.grading.plain import Foreign, dumps, from_plain, loads, to_plain
from coursekit.grading.source import collect_sources
from coursekit.grading.tripwire import CalledReferenceError, ReferenceTrap
from tests.answers import RIGHT

LIMITS = Limits(timeout=5, memory_mb=600)
_CELLS = itertools.count()
SOLUTION_01_1 = """
def conv_output_size(input_size, kernel_size, strides=1, padding=0, dilation_rate=1):
    span = (kernel_size - 1) * dilation_rate + 1
    if padding == "same":
        return -(-input_size // strides)
    per_side = {"valid": 0, "full": span - 1}.get(padding, padding)
    return (input_size + 2 * per_side - span) // strides + 1
"""


def student_function(source, name):
    """Defines `name` as a notebook cell would: in `__main__`, so it is sent by value,
    with its source lines only in `linecache`."""
    source = textwrap.dedent(source)
    filename = f"/nonexistent/cell-{next(_CELLS)}.py"
    linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
    namespace = {"__name__": "__main__", "np": np, "arithmetic": arithmetic, "scratch": scratch}
    exec(compile(source, filename, "exec"), namespace)
    return namespace[name]


def graded(exercise_id, candidate, tmp_path, limits=LIMITS, hidden=NO_HIDDEN_TESTS):
    exercise = next(e for e in [*exercises(), *hidden.exercises] if e.id == exercise_id)
    hand_in(exercise_id, candidate, tmp_path)
    saved = hand_in_path(tmp_path, exercise_id)
    return check_hand_in(exercise, saved, limits, hidden=hidden)


# --- plain data across the boundary ------------------------------------------------


PLAIN_VALUES = [
    0,
    -(2**70),
    2.5,
    math.inf,
    True,
    None,
    "same",
    1 + 2j,
    (3, (4, 5.0), []),
    [1, "a", None],
    {"output_shape": (55, 55, 96), (1, 2): [True]},
    np.arange(24, dtype=np.float64).reshape(2, 3, 4),
    np.array([[1, 2]], dtype=np.int32),
    np.array([True, False]),
    np.array(3.5),
    np.zeros((0, 3)),
    np.array([1 + 1j], dtype=np.complex64),
    np.int64(7),
    np.float32(0.25),
    np.bool_(True),
]


@pytest.mark.parametrize("value", PLAIN_VALUES, ids=lambda value: type(value).__name__)
def test_plain_values_cross_unchanged(value):
    back = loads(dumps(value))
    assert type(back) is type(value)
    if isinstance(value, np.ndarray):
        assert back.dtype == value.dtype and np.array_equal(back, value)
    else:
        assert back == value
    assert repr(to_plain(back)) == repr(to_plain(value))


def test_nan_survives_the_trip():
    assert math.isnan(loads(dumps(float("nan"))))
    assert np.isnan(loads(dumps(np.array([np.nan])))).all()


class Liar(int):
    def __eq__(self, other):
        return True

    def __ne__(self, other):
        return False

    __hash__ = int.__hash__


class LyingArray(np.ndarray):
    def __eq__(self, other):
        return np.ones(np.shape(other), dtype=bool)

    def __getitem__(self, index):
        return 0.0


class LyingDict(dict):
    def __getitem__(self, key):
        return Liar(0)


def test_an_object_that_equals_everything_arrives_as_what_it_is():
    back = loads(dumps(Liar(5)))
    assert isinstance(back, Foreign) and type(back).__name__ == "Liar"
    assert mismatch(back, 5) == "the result should be an int, but it is 5 (a Liar)."


def test_an_array_subclass_arrives_as_a_foreign_object():
    lying = np.zeros((2, 2)).view(LyingArray)
    back = loads(dumps(lying))
    assert type(back).__name__ == "LyingArray"
    assert "should be a numpy.ndarray" in mismatch(back, np.zeros((2, 2)))


def test_a_dict_subclass_arrives_as_a_plain_dict_of_its_real_values():
    back = loads(dumps(LyingDict(neurons=Liar(3))))
    assert type(back) is dict and type(back["neurons"]).__name__ == "Liar"


@pytest.mark.parametrize(
    "data",
    [
        {"ndarray": {"dtype": "|O", "shape": [1], "data": ""}},
        {"ndarray": {"dtype": "<f8", "shape": [3], "data": "AAAAAAAAAAA="}},
        {"pickle": "gASVAAAA"},
        {"tuple": [1], "extra": 2},
    ],
)
def test_malformed_plain_data_is_rejected(data):
    with pytest.raises(ValueError):
        from_plain(data)


# --- the reference tripwire -------------------------------------------------------


def test_the_trap_restores_the_reference_even_after_an_error():
    with pytest.raises(RuntimeError), ReferenceTrap([arithmetic.conv_output_size]):
        raise RuntimeError("inside")
    assert arithmetic.conv_output_size(227, 11, 4) == 55


def test_the_trap_catches_a_call_under_another_name():
    from coursekit.arithmetic import conv_output_size as renamed

    with ReferenceTrap([arithmetic.conv_output_size]) as trap, pytest.raises(CalledReferenceError):
        renamed(7, 3)
    assert trap.triggered


def test_the_notebook_check_refuses_a_function_that_calls_the_reference():
    def conv2d(x, kernel, bias=None, strides=1, padding="valid", dilation_rate=1):
        return scratch.conv2d(x, kernel, bias, strides, padding, dilation_rate)

    result = run_check("01.2", conv2d)
    assert result.score == 0
    assert "coursekit's own `conv2d`" in result.messages[0]


def test_using_another_exercise_s_reference_is_allowed():
    # Exercise 1.3's solution may call conv_output_size, the reference of 1.1.
    assert run_check("01.3", RIGHT["01.3"][0]).passed


# --- handed-in functions, tested in a separate process -----------------------------


def test_a_right_function_passes_in_the_test_process(tmp_path):
    result = graded("01.1", student_function(SOLUTION_01_1, "conv_output_size"), tmp_path)
    assert (result.status, result.score) == (Status.PASSED, 2), result.messages


@pytest.mark.parametrize(
    ("exercise_id", "answer"),
    [(exercise_id, answer) for exercise_id, answers in RIGHT.items() for answer in answers],
    ids=lambda value: getattr(value, "__name__", value),
)
def test_every_right_answer_passes_in_the_test_process(exercise_id, answer, tmp_path):
    module = __import__(answer.__module__, fromlist=["_"])
    # A block-building exercise's test process imports Keras and its backend.
    keras_sized = Limits(timeout=60, memory_mb=4096)
    limits = keras_sized if get_exercise(exercise_id).probe else LIMITS
    cloudpickle.register_pickle_by_value(module)
    try:
        result = graded(exercise_id, answer, tmp_path, limits)
    finally:
        cloudpickle.unregister_pickle_by_value(module)
    assert result.passed, result.messages


@pytest.mark.parametrize(
    ("exercise_id", "source", "name"),
    [
        (
            "01.2",
            "def conv2d(*args, **kwargs):\n    return scratch.conv2d(*args, **kwargs)",
            "conv2d",
        ),
        ("01.1", "conv_output_size = arithmetic.conv_output_size", "conv_output_size"),
        (
            "01.5",
            """
            def receptive_field(layers):
                try:
                    return arithmetic.receptive_field(layers)
                except Exception:
                    return 1
            """,
            "receptive_field",
        ),
    ],
    ids=["wrapper", "alias", "caught"],
)
def test_a_function_that_calls_its_reference_scores_zero(exercise_id, source, name, tmp_path):
    result = graded(exercise_id, student_function(source, name), tmp_path)
    assert result.score == 0
    assert f"coursekit's own `{name}`" in result.messages[0]


@pytest.mark.parametrize(
    "source",
    [
        "import inspect\nexec(inspect.getsource(arithmetic.receptive_field))",
        """
        def receptive_field(layers):
            import importlib
            import coursekit.arithmetic as module
            return importlib.reload(module).receptive_field(layers)
        """,
        """
        calls = []

        def receptive_field(layers):
            import json, subprocess, sys
            calls.append(layers)
            if len(calls) > 1:
                return 1
            code = (
                "import json, sys\\nfrom coursekit import arithmetic\\n"
                "print(arithmetic.receptive_field(json.loads(sys.argv[1])))"
            )
            run = subprocess.run([sys.executable, "-c", code, json.dumps(layers)], capture_output=True)
            return int(run.stdout) if run.returncode == 0 else -1
        """,
    ],
    ids=["copied-source", "reloaded-module", "subprocess"],
)
def test_the_cheap_ways_around_the_tripwire_are_caught(source, tmp_path):
    result = graded("01.5", student_function(source, "receptive_field"), tmp_path)
    assert result.score == 0
    assert "coursekit's own `receptive_field`" in result.messages[0]


def test_an_answer_that_equals_everything_scores_zero(tmp_path):
    source = """
    class Liar(int):
        def __eq__(self, other):
            return True
        def __ne__(self, other):
            return False
        __hash__ = int.__hash__

    def receptive_field(layers):
        return Liar(0)
    """
    candidate = student_function(source, "receptive_field")
    assert run_check("01.5", candidate).score == 0
    result = graded("01.5", candidate, tmp_path)
    assert result.score == 0
    assert "(a Liar)" in result.messages[1]


def test_a_lying_array_subclass_scores_zero(tmp_path):
    source = """
    class LyingArray(np.ndarray):
        def __eq__(self, other):
            return np.ones(np.shape(other), dtype=bool)
        def __sub__(self, other):
            return np.zeros(np.shape(other))

    def conv2d(x, kernel, bias=None, strides=1, padding="valid", dilation_rate=1):
        return np.zeros((1, 1, 1, 1)).view(LyingArray)
    """
    result = graded("01.2", student_function(source, "conv2d"), tmp_path)
    assert result.score == 0
    assert "should be a numpy.ndarray" in result.messages[1]
    assert "LyingArray" in result.messages[1]


def test_patching_the_comparison_in_the_test_process_changes_nothing(tmp_path):
    source = """
    def conv_output_size(input_size, kernel_size, strides=1, padding=0, dilation_rate=1):
        import coursekit.grading.compare as compare
        import coursekit.grading.judge as judge
        compare.mismatch = judge.mismatch = lambda *args, **kwargs: None
        np.testing.assert_allclose = lambda *args, **kwargs: None
        return 0
    """
    result = graded("01.1", student_function(source, "conv_output_size"), tmp_path)
    assert result.score == 0
    assert result.messages[0] == "0 of 11 tests passed."


def test_a_function_that_never_returns_is_stopped_at_the_time_limit(tmp_path):
    source = "def receptive_field(layers):\n    while True:\n        pass"
    limits = Limits(timeout=2, memory_mb=600)
    result = graded("01.5", student_function(source, "receptive_field"), tmp_path, limits)
    assert result.score == 0
    assert result.messages[0] == (
        "Your `receptive_field` ran longer than the 2 s time limit (on the test 'no layers')."
    )


def test_a_function_that_allocates_too_much_is_stopped_at_the_memory_cap(tmp_path):
    source = """
    def receptive_field(layers):
        blocks = []
        while True:
            blocks.append(np.ones(2**24))
    """
    result = graded("01.5", student_function(source, "receptive_field"), tmp_path)
    assert result.score == 0
    assert "more than the 600 MB memory cap" in result.messages[0]


def test_a_function_that_ends_its_process_scores_zero_with_the_reason(tmp_path):
    source = "def receptive_field(layers):\n    import os\n    os._exit(3)"
    result = graded("01.5", student_function(source, "receptive_field"), tmp_path)
    assert result.score == 0
    assert "ended unexpectedly (exit status 3)" in result.messages[0]


def test_a_function_that_prints_a_lot_is_still_graded(tmp_path):
    source = SOLUTION_01_1.replace("    span =", "    print('{\"done\": true}' * 1000)\n    span =")
    result = graded("01.1", student_function(source, "conv_output_size"), tmp_path)
    assert result.passed, result.messages


def test_errors_quote_the_student_s_line(tmp_path):
    source = "def receptive_field(layers):\n    return layers[0][0] + 1"
    result = graded("01.5", student_function(source, "receptive_field"), tmp_path)
    assert result.messages[1] == (
        "no layers: raised IndexError: list index out of range "
        "(in `receptive_field`, line 2: `return layers[0][0] + 1`)."
    )


def test_errors_quote_the_student_s_line_whatever_a_pickler_names_the_code():
    source = """
    def helper(layers):
        return layers[0][0] + 1

    def receptive_field(layers):
        return helper(layers)
    """
    original = student_function(source, "receptive_field")
    sources = collect_sources(original)
    # What any pickler may do: keep the code, relabel its file, lose the linecache entry.
    renamed = renamed_code(original, "<renamed>")
    renamed.__globals__["helper"] = renamed_code(original.__globals__["helper"], "<renamed>")
    outcome = call_cases(renamed, [Case("no layers", ([],))], reduce=to_plain, sources=sources)
    assert outcome[0].error == (
        "raised IndexError: list index out of range (in `helper`, line 3: "
        "`return layers[0][0] + 1`)."
    )


def renamed_code(function, filename):
    code = function.__code__.replace(co_filename=filename)
    return type(function)(code, function.__globals__, function.__name__, function.__defaults__)


# --- hidden tests --------------------------------------------------------------------

HIDDEN_TESTS = """
from coursekit import arithmetic
from coursekit.grading import Case, coding, hidden_cases

EXERCISES = (
    coding(
        "01.9",
        "Zeros per side",
        1,
        arithmetic.padding_per_side,
        cases=lambda: [Case("'full' padding of a 5-wide kernel", ("full", 5))],
    ),
)


@hidden_cases("01.5")
def deeper_stacks():
    return [Case("ten 3x3 layers", ([(3, 1)] * 10,))]
"""


def test_hidden_tests_are_a_value_that_changes_nothing_global(tmp_path):
    path = tmp_path / "hidden_tests.py"
    path.write_text(HIDDEN_TESTS)
    public = len(get_exercise("01.5").cases())
    hidden = HiddenTests.load(path)
    flags = [is_hidden for _, is_hidden in hidden.grading_cases(get_exercise("01.5"))]
    assert flags == [False] * public + [True]
    (added,) = hidden.exercises
    assert [is_hidden for _, is_hidden in hidden.grading_cases(added)] == [True]
    assert "01.9" in [exercise.id for exercise in hidden.exercises_for(added.notebook)]
    wrong = student_function(
        "def padding_per_side(padding, span):\n    return 0", "padding_per_side"
    )
    result = graded("01.9", wrong, tmp_path, hidden=hidden)
    assert result.messages == [
        "0 of 1 tests passed.",
        "hidden test 1: the result is not the expected one.",
    ]
    assert "01.9" not in [exercise.id for exercise in exercises()]
    assert len(NO_HIDDEN_TESTS.grading_cases(get_exercise("01.5"))) == public


def test_hidden_tests_sent_to_another_process_are_the_same_tests(tmp_path):
    path = tmp_path / "hidden_tests.py"
    path.write_text(HIDDEN_TESTS)
    hidden = HiddenTests.load(path)
    path.write_text("")  # a copy is rebuilt from the source it was loaded from
    copy = pickle.loads(pickle.dumps(hidden))
    assert [e.id for e in copy.exercises] == ["01.9"]
    assert len(copy.grading_cases(get_exercise("01.5"))) == len(
        hidden.grading_cases(get_exercise("01.5"))
    )


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (('@hidden_cases("01.5")', '@hidden_cases("01.4")'), r"'01\.4', which is not a registered"),
        (('"01.9",', '"01.2",'), r"exercise 01\.2 is already in the course"),
        (('"01.9",', '"42.1",'), r"No notebook numbered 42"),
    ],
)
def test_a_hidden_tests_file_that_does_not_fit_the_course_is_refused(tmp_path, change, message):
    path = tmp_path / "hidden_tests.py"
    path.write_text(HIDDEN_TESTS.replace(*change))
    with pytest.raises(ValueError, match=message):
        HiddenTests.load(path)


def test_the_readme_s_hidden_tests_example_loads(tmp_path):
    readme = (pathlib.Path(__file__).resolve().parents[1] / "README.md").read_text()
    section = readme[readme.index("### Hidden tests") :]
    example = section[section.index("```python\n") + 10 : section.index("\n```\n")]
    path = tmp_path / "hidden_tests.py"
    path.write_text(example)
    public = len(get_exercise("01.2").cases())
    hidden = HiddenTests.load(path)
    assert len(hidden.grading_cases(get_exercise("01.2"))) == public + 1
    assert [exercise.target for exercise in hidden.exercises] == ["padding_per_side"]


@pytest.mark.parametrize(
    ("got", "expected", "problem"),
    [
        (True, True, None),
        (np.bool_(False), False, None),
        (1, True, "should be True or False, but it is 1 (a int)"),
        (False, True, "should be True, but it is False"),
        ("same", "same", None),
        ("valid", "same", "should be 'same', but it is 'valid'"),
        (None, None, None),
        (0, None, "should be None, but it is 0 (a int)"),
        ([1, (2, 3)], [1, (2, 3)], None),
        ((1, 2), [1, 2], "should be a list like [1, 2], but it is (1, 2) (a tuple)"),
        ([1, (2, 4)], [1, (2, 3)], "the result[1][1] should be 3, but it is 4"),
        ((np.zeros(2), 1.5), (np.zeros(2), 1.5), None),
    ],
)
def test_answers_of_every_plain_type_are_compared_strictly(got, expected, problem):
    found = mismatch(loads(dumps(got)), expected)
    assert found is None if problem is None else problem in found
