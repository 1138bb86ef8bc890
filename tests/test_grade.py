"""`coursekit grade`: solutions score full marks, untouched notebooks zero, and the
check cells a student edits or deletes are restored."""

import csv
import pathlib
import shutil

import nbformat
import pytest

from coursekit import cli
from coursekit.grading.grade import grade, grade_submission

ROOT = pathlib.Path(__file__).resolve().parents[1]
STUDENT = ROOT / "notebooks" / "01_convolution_arithmetic.ipynb"
SOLUTION = ROOT / "notebooks" / "solutions" / "01_convolution_arithmetic.ipynb"


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    """Grades the solution (alice) and the untouched student notebook (bob) once."""
    folder = tmp_path_factory.mktemp("submissions")
    shutil.copy(SOLUTION, folder / "alice.ipynb")
    shutil.copy(STUDENT, folder / "bob.ipynb")
    out = folder / "results.csv"
    results = grade([folder / "alice.ipynb", folder / "bob.ipynb"], out, log=lambda line: None)
    with open(out, newline="") as handle:
        rows = {row["submission"]: row for row in csv.DictReader(handle)}
    return rows, {result.path.name: result for result in results}


def test_solution_notebook_scores_full_marks(graded):
    alice = graded[0]["alice.ipynb"]
    assert (alice["auto_score"], alice["auto_max"]) == ("11", "11")
    assert [alice[e] for e in ("01.1", "01.2", "01.3", "01.5")] == ["2", "4", "3", "2"]
    assert alice["01.4"] == alice["01.6"] == ""  # written answers: graded by hand
    assert alice["problems"] == ""


def test_untouched_student_notebook_scores_zero_as_not_attempted(graded):
    bob = graded[0]["bob.ipynb"]
    assert (bob["auto_score"], bob["auto_max"]) == ("0", "11")
    assert [bob[e] for e in ("01.1", "01.2", "01.3", "01.5")] == ["0"] * 4
    coded = [item for item in graded[1]["bob.ipynb"].scores if item.exercise.kind == "code"]
    assert {item.status for item in coded} == {"not attempted"}
    assert all("not attempted yet" in item.message for item in coded)


def test_edited_and_deleted_check_cells_are_restored(tmp_path):
    notebook = nbformat.read(SOLUTION, as_version=4)
    roles = [cell.metadata.get("coursekit", {}) for cell in notebook.cells]
    edited = roles.index({"exercise": "01.1", "role": "check"})
    notebook.cells[edited].source = "print('all good')"
    deleted = roles.index({"exercise": "01.2", "role": "check"})
    del notebook.cells[deleted]
    wrong = next(c for c in notebook.cells if c.source.startswith("def conv_layer_stats"))
    wrong.source = wrong.source.replace(
        "kernel_h * kernel_w * channels + 1", "kernel_h * kernel_w * channels"
    )
    shadow = nbformat.v4.new_code_cell("check = lambda *args: None")
    notebook.cells.insert(edited, shadow)
    path = tmp_path / "carol.ipynb"
    nbformat.write(notebook, path)
    result = grade_submission(path)
    scores = {item.exercise.id: item.score for item in result.scores}
    assert scores == {"01.1": 2, "01.2": 4, "01.3": 0, "01.4": None, "01.5": 2, "01.6": None}
    message = next(item.message for item in result.scores if item.exercise.id == "01.3")
    assert "AssertionError" in message and "weights_per_neuron" in message


def test_a_cell_that_runs_forever_is_interrupted_and_grading_goes_on(tmp_path):
    from tests.answers import convolution_arithmetic as student_answers

    source = pathlib.Path(student_answers.__file__).read_text()
    start = source.index("def conv_output_size(")
    end = source.index("\n\n\ndef ", start)
    notebook = nbformat.v4.new_notebook(
        cells=[
            nbformat.v4.new_code_cell("import math"),
            nbformat.v4.new_code_cell("while True:\n    pass"),
            nbformat.v4.new_code_cell(source[start:end]),
        ],
        metadata={"coursekit": {"notebook": "01_convolution_arithmetic"}},
    )
    path = tmp_path / "dave.ipynb"
    nbformat.write(notebook, path)
    result = grade_submission(path, timeout=5)
    scores = {item.exercise.id: item.score for item in result.scores}
    assert scores["01.1"] == 2  # its check cell was missing and is appended, then passes
    assert scores["01.2"] == 0 and result.auto_score == 2


def test_a_check_that_runs_forever_scores_zero_with_the_reason(tmp_path):
    notebook = nbformat.v4.new_notebook(
        cells=[
            nbformat.v4.new_code_cell("def receptive_field(layers):\n    while True:\n        pass")
        ],
        metadata={"coursekit": {"notebook": "01_convolution_arithmetic"}},
    )
    path = tmp_path / "erin.ipynb"
    nbformat.write(notebook, path)
    result = grade_submission(path, timeout=3)
    looping = next(item for item in result.scores if item.exercise.id == "01.5")
    assert (looping.score, looping.message) == (0, "the check ran past the cell time limit")


def test_unreadable_and_unknown_files_are_reported_not_fatal(tmp_path, capsys):
    (tmp_path / "broken.ipynb").write_text("{ not json")
    nbformat.write(nbformat.v4.new_notebook(), tmp_path / "empty.ipynb")
    out = tmp_path / "out.csv"
    assert (
        cli.main(
            [
                "grade",
                str(tmp_path / "broken.ipynb"),
                str(tmp_path / "empty.ipynb"),
                "--out",
                str(out),
            ]
        )
        == 0
    )
    printed = capsys.readouterr().out
    assert "not a readable notebook" in printed and "no coursekit exercises" in printed
    with open(out, newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert [row["auto_score"] for row in rows] == ["0", "0"]
    assert rows[0]["problems"].startswith("not a readable notebook")


def test_the_notebook_is_recognised_by_metadata_exercise_cells_or_file_name():
    from coursekit.grading.grade import _notebook_name

    tagged = nbformat.v4.new_notebook(
        metadata={"coursekit": {"notebook": "01_convolution_arithmetic"}}
    )
    cell = nbformat.v4.new_code_cell("check('01.2', conv2d)")
    cell.metadata["coursekit"] = {"exercise": "01.2", "role": "check"}
    by_cell = nbformat.v4.new_notebook(cells=[cell])
    bare = nbformat.v4.new_notebook()
    assert _notebook_name(tagged, pathlib.Path("x.ipynb")) == "01_convolution_arithmetic"
    assert _notebook_name(by_cell, pathlib.Path("x.ipynb")) == "01_convolution_arithmetic"
    assert _notebook_name(bare, pathlib.Path("01_convolution_arithmetic-alice.ipynb")) == (
        "01_convolution_arithmetic"
    )
    assert _notebook_name(bare, pathlib.Path("homework.ipynb")) is None
