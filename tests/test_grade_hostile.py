"""Bad and hostile submissions: each costs only its own points, with the reason in its
feedback, and never the batch.

One batch (two parallel jobs, a 5 s cell limit, a 600 MB memory cap and a hidden
test) grades small notebooks built from notebook 01's solutions; each test below
looks at one of them. `good` is the control: it must keep full marks.
"""

import csv
import json

import nbformat
import pytest

from coursekit import cli
from tests.submissions import SOLUTIONS, check_cell, code, every_solution, solution, write

TIMEOUT, MEMORY_MB = 5, 600
HIDDEN_TESTS = """
from coursekit.grading import Case, hidden_cases


@hidden_cases("01.1")
def large_inputs():
    return [Case("1000 inputs, kernel 7, stride 3, 'full'", (1000, 7), {"strides": 3, "padding": "full"})]
"""


TRUE_DIVISION = ("// strides + 1", "/ strides + 1")
NO_BIAS = ("* channels + 1", "* channels")
NO_JUMP = ("* jump\n", "\n")


def submissions():
    every = every_solution()
    patches = code(
        "import numpy.testing\n"
        "import coursekit\n"
        "import coursekit.grading\n"
        "from coursekit.grading import compare, judge\n"
        "numpy.testing.assert_allclose = lambda *args, **kwargs: None\n"
        "np.array_equal = np.allclose = lambda *args, **kwargs: True\n"
        "compare.mismatch = judge.mismatch = lambda *args, **kwargs: None\n"
        "judge.run_check = lambda *args, **kwargs: None\n"
        "coursekit.check = coursekit.grading.check = check = lambda *args, **kwargs: None\n\n"
        # Exercise 1.2 scores only if this cell ran to its end, patches and all.
        + SOLUTIONS["01.2"]
    )
    mixed = [
        solution("01.1", TRUE_DIVISION),
        check_cell("01.1"),
        solution("01.2"),
        check_cell("01.2"),
        solution("01.3", NO_BIAS),
        check_cell("01.3"),
        solution("01.5", NO_JUMP),
        check_cell("01.5"),
    ]
    out_of_order = [
        solution("01.1"),
        check_cell("01.1"),
        check_cell("01.2"),
        solution("01.2"),  # defined below its check: the student ran them out of order
        solution("01.3"),
        check_cell("01.3"),
        solution("01.5"),
        check_cell("01.5"),
    ]
    for count, cell in zip([7, 3, 12, 1, 9, 2, 5, 4], out_of_order, strict=True):
        cell.execution_count = count
        cell.outputs = [nbformat.v4.new_output("stream", text="passed (11/11 points)\n")]
    return {
        "good": every,
        "loop": [
            solution("01.1"),
            code("while True:\n    pass"),
            solution("01.2"),
            code("def receptive_field(layers):\n    while True:\n        pass"),
        ],
        "stubborn": [
            solution("01.1"),
            code(
                "import signal\nsignal.signal(signal.SIGINT, signal.SIG_IGN)\nwhile True:\n    pass"
            ),
            solution("01.2"),
        ],
        "memory": [
            solution("01.1"),
            code("blocks = []\nwhile True:\n    blocks.append(np.ones(2**24))"),
            solution("01.2"),
        ],
        "os_exit": [solution("01.1"), code("import os\nos._exit(0)"), solution("01.2")],
        "sys_exit": [*every[:2], code("import sys\nsys.exit(1)"), *every[2:]],
        "edited_checks": [
            solution("01.1", TRUE_DIVISION),
            check_cell("01.1", "print('all good')"),
            solution("01.2"),
            check_cell("01.2", ""),
            solution("01.3"),
            solution("01.5"),
            check_cell("01.5", 'check = lambda *args: None\ncheck("01.5", receptive_field)'),
        ],
        "monkeypatch": [patches, *mixed[:2], *mixed[3:]],
        "monkeypatch_control": mixed,
        "liars": [
            code(
                "class Liar(int):\n"
                "    def __eq__(self, other):\n        return True\n"
                "    def __ne__(self, other):\n        return False\n"
                "    __hash__ = int.__hash__\n\n"
                "class LyingArray(np.ndarray):\n"
                "    def __eq__(self, other):\n        return np.ones(np.shape(other), bool)\n\n"
                "class LyingDict(dict):\n"
                "    def __getitem__(self, key):\n        return Liar(0)"
            ),
            code("def conv_output_size(*args, **kwargs):\n    return Liar(0)"),
            code("def conv2d(x, *args, **kwargs):\n    return np.zeros(1).view(LyingArray)"),
            code(
                "def conv_layer_stats(*args, **kwargs):\n"
                "    keys = ['output_shape', 'weights_per_neuron', 'neurons', 'connections',"
                " 'parameters']\n"
                "    return LyingDict((key, Liar(0)) for key in keys)"
            ),
            solution("01.5"),
        ],
        "calls_reference": [
            code("from coursekit import scratch\nconv_output_size = arithmetic.conv_output_size"),
            code("def conv2d(*args, **kwargs):\n    return scratch.conv2d(*args, **kwargs)"),
            solution("01.3"),  # uses arithmetic.conv_output_size: another exercise's reference
            code(
                "def receptive_field(layers):\n"
                "    try:\n        return arithmetic.receptive_field(layers)\n"
                "    except Exception:\n        return 1"
            ),
        ],
        "hardcoded": [
            code(
                SOLUTIONS["01.1"].replace(
                    "    span =", "    if input_size > 500:\n        return 0\n    span ="
                )
            )
        ],
        "out_of_order": out_of_order,
    }


@pytest.fixture(scope="module")
def batch(tmp_path_factory):
    """Grades every submission above, plus two broken files, in one parallel batch."""
    folder = tmp_path_factory.mktemp("hostile")
    inbox = folder / "submissions"
    inbox.mkdir()
    for name, cells in submissions().items():
        write(inbox, name, cells)
    (inbox / "broken.ipynb").write_text("{ not json")
    nbformat.write(nbformat.v4.new_notebook(), inbox / "empty.ipynb")
    hidden = folder / "hidden_tests.py"
    hidden.write_text(HIDDEN_TESTS)
    out = folder / "results.csv"
    arguments = ["grade", str(inbox), "--out", str(out), "--jobs", "2"]
    arguments += ["--timeout", str(TIMEOUT), "--memory-limit", str(MEMORY_MB)]
    assert cli.main([*arguments, "--hidden-tests", str(hidden)]) == 0
    with open(out, newline="") as handle:
        rows = {row["student"]: row for row in csv.DictReader(handle)}
    students = json.loads(out.with_suffix(".json").read_text())["students"]
    details = {
        student["student"]: {
            item["id"]: item
            for submission in student["submissions"]
            for item in submission["exercises"]
        }
        for student in students
    }
    feedback = {path.stem: path.read_text() for path in (folder / "feedback").glob("*.md")}
    return rows, details, feedback


def scores(batch, student):
    row = batch[0][student]
    return {key: row[key] for key in ("01.1", "01.2", "01.3", "01.5")}


def messages(batch, student, exercise_id):
    return "\n".join(batch[1][student][exercise_id]["messages"])


def test_a_good_submission_in_a_hostile_batch_keeps_full_marks(batch):
    assert batch[0]["good"]["total"] == "11"
    assert batch[0]["good"]["problems"] == ""


def test_an_endless_cell_is_interrupted_and_the_rest_still_runs(batch):
    assert scores(batch, "loop") == {"01.1": "2", "01.2": "4", "01.3": "0", "01.5": "0"}
    assert (
        f"cell 3 (`while True:`) ran past the {TIMEOUT} s time limit"
        in (batch[0]["loop"]["problems"])
    )
    assert f"ran longer than the {TIMEOUT} s time limit" in messages(batch, "loop", "01.5")
    assert "`conv_layer_stats` is not defined in the notebook" in messages(batch, "loop", "01.3")
    assert "interrupted" in batch[2]["loop"]


def test_a_cell_that_ignores_the_interrupt_gets_its_kernel_stopped(batch):
    assert scores(batch, "stubborn") == {"01.1": "2", "01.2": "0", "01.3": "0", "01.5": "0"}
    assert batch[1]["stubborn"]["01.2"]["status"] == "not run"
    assert "did not stop when interrupted" in messages(batch, "stubborn", "01.2")


def test_a_cell_past_the_memory_cap_gets_its_kernel_stopped(batch):
    assert scores(batch, "memory") == {"01.1": "2", "01.2": "0", "01.3": "0", "01.5": "0"}
    reason = (
        f"the kernel was stopped in cell 3 (`blocks = []`): it used more than the {MEMORY_MB} MB"
    )
    assert reason in messages(batch, "memory", "01.2")
    assert reason in batch[2]["memory"]


def test_a_cell_that_kills_its_kernel_costs_only_the_rest_of_its_notebook(batch):
    assert scores(batch, "os_exit") == {"01.1": "2", "01.2": "0", "01.3": "0", "01.5": "0"}
    assert "the kernel died" in messages(batch, "os_exit", "01.2")


def test_sys_exit_in_a_cell_does_not_stop_the_run(batch):
    assert batch[0]["sys_exit"]["total"] == "11"
    assert "called sys.exit()" in batch[0]["sys_exit"]["problems"]


def test_edited_emptied_and_deleted_check_cells_are_restored(batch):
    assert scores(batch, "edited_checks") == {"01.1": "0", "01.2": "4", "01.3": "3", "01.5": "2"}
    assert "round down" in messages(batch, "edited_checks", "01.1")  # the real check ran


def test_patching_the_grading_code_in_the_notebook_changes_no_score(batch):
    expected = {"01.1": "0", "01.2": "4", "01.3": "0", "01.5": "0"}
    assert scores(batch, "monkeypatch") == scores(batch, "monkeypatch_control") == expected
    assert messages(batch, "monkeypatch", "01.3") == messages(batch, "monkeypatch_control", "01.3")


def test_answers_that_lie_about_their_values_score_zero(batch):
    assert scores(batch, "liars") == {"01.1": "0", "01.2": "0", "01.3": "0", "01.5": "2"}
    assert "(a Liar)" in messages(batch, "liars", "01.1")
    assert "should be a numpy.ndarray" in messages(batch, "liars", "01.2")
    assert "(a Liar)" in messages(batch, "liars", "01.3")


def test_functions_that_call_their_coursekit_reference_score_zero(batch):
    assert scores(batch, "calls_reference") == {"01.1": "0", "01.2": "0", "01.3": "3", "01.5": "0"}
    assert "coursekit's own `conv2d`" in batch[2]["calls_reference"]


def test_hidden_tests_count_without_being_revealed(batch):
    assert scores(batch, "hardcoded")["01.1"] == "0"
    assert "hidden test 1: the result is not the expected one." in (
        messages(batch, "hardcoded", "01.1")
    )
    assert "11 of 12 tests passed." in messages(batch, "hardcoded", "01.1")
    assert "1000" not in batch[2]["hardcoded"] and "'full'" not in batch[2]["hardcoded"]


def test_cells_run_in_order_whatever_their_stored_counts_and_outputs(batch):
    assert scores(batch, "out_of_order") == {"01.1": "2", "01.2": "0", "01.3": "3", "01.5": "2"}
    assert messages(batch, "out_of_order", "01.2") == (
        "`conv2d` was not defined when its check cell (cell 4) ran: define it in the "
        "exercise's cell above the check (the notebook runs from top to bottom)."
    )


def test_files_that_are_not_course_notebooks_are_reported(batch):
    assert batch[0]["broken"]["problems"].startswith("broken.ipynb: not a readable notebook")
    assert (
        batch[0]["empty"]["problems"]
        == "empty.ipynb: no coursekit exercises found in this notebook"
    )
    assert batch[0]["broken"]["total"] == batch[0]["empty"]["total"] == "0"
    assert "not a readable notebook" in batch[2]["broken"]
