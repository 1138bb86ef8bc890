"""Every check accepts right answers and rejects classic wrong ones, with a reason.

The messages each wrong answer gets are recorded in `tests/data/check_messages.json`;
after a change meant to alter them (a new case, a reworded hint), rewrite the record with
`COURSEKIT_REWRITE_GRADE_RECORD=1 python -m pytest tests/test_grading_checks.py` and
review its diff like code.
"""

import functools
import json
import os
import pathlib
import re
import subprocess
import sys

import numpy as np
import pytest

from coursekit import grading
from coursekit.grading import Status
from coursekit.grading.judge import call_cases, judge
from coursekit.grading.plain import dumps, loads
from coursekit.grading.report import Report
from tests.answers import HINTS, RIGHT, WRONG

CODE_EXERCISES = [exercise.id for exercise in grading.exercises() if exercise.kind == "code"]


@functools.cache
def checked(exercise_id, answer):
    """`grading.run_check`, once per answer: several tests read the same result, and the
    checks of notebook 06 build Keras blocks, a fraction of a second each."""
    return grading.run_check(exercise_id, answer)


def test_every_coding_exercise_is_tested_against_three_wrong_answers():
    assert CODE_EXERCISES, "no coding exercises registered"
    for exercise_id in CODE_EXERCISES:
        assert len(RIGHT.get(exercise_id, [])) >= 1, exercise_id
        assert len(WRONG.get(exercise_id, [])) >= 3, exercise_id


@pytest.mark.parametrize("exercise_id", CODE_EXERCISES)
def test_reference_answers_pass_their_own_tests(exercise_id):
    # run_check refuses a function that calls the reference, so the reference's answers
    # are judged directly, through the same reduction to plain data as a student's.
    exercise = grading.get_exercise(exercise_id)
    cases = exercise.cases()
    outcomes = call_cases(exercise.reference, cases, reduce=lambda value: loads(dumps(value)))
    result = judge(exercise, cases, outcomes)
    assert result.passed, result.messages
    assert result.score == result.max_score == exercise.points


@pytest.mark.parametrize(
    ("exercise_id", "answer"),
    [(exercise_id, answer) for exercise_id, answers in RIGHT.items() for answer in answers],
    ids=lambda value: getattr(value, "__name__", value),
)
def test_right_answers_pass(exercise_id, answer):
    result = grading.run_check(exercise_id, answer)
    assert result.passed, result.messages


@pytest.mark.parametrize(
    ("exercise_id", "answer"),
    [(exercise_id, answer) for exercise_id, answers in WRONG.items() for answer in answers],
    ids=lambda value: getattr(value, "__name__", value),
)
def test_wrong_answers_fail_with_a_reason(exercise_id, answer):
    result = checked(exercise_id, answer)
    assert result.status == "failed"
    assert result.score == 0
    assert len(result.messages) >= 2  # the summary and at least one failed case
    assert all(message.strip() for message in result.messages)


EVERY_HINT = [
    pytest.param(exercise, hint, id=f"{exercise.id}-{hint.wrong.__name__}")
    for exercise in grading.exercises()
    for hint in exercise.hints
]


@pytest.mark.parametrize(("exercise", "hint"), EVERY_HINT)
def test_every_hint_fails_its_own_mistake_and_names_it(exercise, hint):
    # A hint's wrong function may call the reference, which run_check refuses; so the
    # cases are called and judged directly, as the grader does.
    cases = exercise.cases()
    outcomes = call_cases(hint.wrong, cases, reduce=lambda value: loads(dumps(value)))
    result = judge(exercise, cases, outcomes)
    assert result.status is Status.FAILED
    assert any(hint.message in message for message in result.messages), result.messages


def test_wrong_answers_get_the_recorded_messages():
    record = pathlib.Path(__file__).parent / "data" / "check_messages.json"
    found = {
        exercise_id: {answer.__name__: checked(exercise_id, answer).messages for answer in answers}
        for exercise_id, answers in sorted(WRONG.items())
    }
    if os.environ.get("COURSEKIT_REWRITE_GRADE_RECORD"):
        record.write_text(json.dumps(found, indent=1, ensure_ascii=False, sort_keys=True) + "\n")
    assert _course_words(found) == _course_words(json.loads(record.read_text()))


def _course_words(record):
    """The recorded messages without the text of errors raised by other libraries (NumPy
    words its errors as it likes, and may change them in any release), and with decimals
    to 4 significant digits (a Keras block's float32 outputs round differently on each
    backend); the error's type and the student's line stay."""
    foreign = re.compile(r"(raised [\w.]+): .*?(?= \(in `|\.$)", re.S)
    decimal = re.compile(r"-?\d+\.\d+(?:e[-+]?\d+)?")

    def words(message):
        message = foreign.sub(r"\1: ...", message)
        return decimal.sub(lambda number: f"{float(number[0]):.4g}", message)

    return {
        exercise_id: {
            answer: [words(message) for message in messages] for answer, messages in answers.items()
        }
        for exercise_id, answers in record.items()
    }


@pytest.mark.parametrize(
    ("exercise_id", "answer", "hint"),
    HINTS,
    ids=lambda value: getattr(value, "__name__", value),
)
def test_classic_mistakes_get_a_specific_hint(exercise_id, answer, hint):
    result = checked(exercise_id, answer)
    assert result.status == "failed"
    assert any(hint in message for message in result.messages), result.messages


def test_untouched_exercise_is_not_attempted():
    def conv2d(x, kernel, bias=None, strides=1, padding="valid", dilation_rate=1):
        raise NotImplementedError("Exercise 1.2")

    result = grading.run_check("01.2", conv2d)
    assert result.status == "not attempted"
    assert result.score == 0 and result.max_score == 4
    assert "not attempted yet" in result.messages[0]
    assert "not attempted yet" in str(Report(result))


def test_partly_done_exercise_fails_on_the_missing_part():
    from tests.answers.convolution_arithmetic import conv_output_size

    def partial(input_size, kernel_size, strides=1, padding=0, dilation_rate=1):
        if padding == "full":
            raise NotImplementedError("full padding")
        return conv_output_size(input_size, kernel_size, strides, padding, dilation_rate)

    result = grading.run_check("01.1", partial)
    assert result.status == "failed"
    assert any("NotImplementedError" in message for message in result.messages)


def test_errors_name_the_line_of_student_code():
    def receptive_field(layers):
        return layers[0][0] + undefined_name  # noqa: F821

    result = grading.run_check("01.5", receptive_field)
    assert any("NameError" in m and "undefined_name" in m for m in result.messages)


def test_the_reference_itself_and_non_functions_are_refused():
    from coursekit.arithmetic import receptive_field

    assert "coursekit's own" in grading.run_check("01.5", receptive_field).messages[0]
    assert "Pass your function" in grading.run_check("01.5", 7).messages[0]


def test_written_exercises_cannot_be_autochecked():
    with pytest.raises(ValueError, match="graded by hand"):
        grading.run_check("01.4", lambda: None)


def test_unknown_exercise_lists_the_known_ones():
    with pytest.raises(KeyError, match=r"01\.1"):
        grading.run_check("9.9", lambda: None)


def test_check_shows_a_report_and_raises_only_when_grading(monkeypatch, capsys):
    from tests.answers.convolution_arithmetic import receptive_field_ignores_strides

    monkeypatch.delenv("NBGRADER_EXECUTION", raising=False)
    monkeypatch.delenv("COURSEKIT_GRADING", raising=False)
    grading.check("01.5", receptive_field_ignores_strides)  # does not raise
    assert "not passed yet" in capsys.readouterr().out
    for variable in ("NBGRADER_EXECUTION", "COURSEKIT_GRADING"):
        monkeypatch.setenv(variable, "autograde")
        with pytest.raises(AssertionError, match=r"Exercise 1\.5"):
            grading.check("01.5", receptive_field_ignores_strides)
        grading.check("01.5", RIGHT["01.5"][0])  # a right answer never raises
        monkeypatch.delenv(variable)


def test_a_student_s_kernel_loads_none_of_the_grader():
    code = (
        "import sys, coursekit\n"
        "from coursekit import check\n"
        "def receptive_field(layers):\n"
        "    return 1\n"
        "check('01.5', receptive_field)\n"
        "grader = ('nbclient', 'cloudpickle', 'psutil', 'coursekit.grading.autograde')\n"
        "print(sorted(name for name in sys.modules if name.startswith(grader)))"
    )
    loaded = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert "not passed yet" in loaded.stdout  # the check ran
    assert loaded.stdout.strip().splitlines()[-1] == "[]"


def test_nan_positions_are_part_of_the_answer():
    from coursekit.grading.compare import mismatch

    expected = np.array([np.nan, 1.0])
    assert mismatch(np.array([np.nan, 1.0]), expected) is None
    assert "contains NaN at 1" in mismatch(np.array([np.nan, np.nan]), expected)
    assert "should be NaN at 1" in mismatch(np.array([0.5, 1.0]), expected)
