"""`coursekit build`: generated notebooks are current, blank the solutions, carry nbgrader
metadata, and sources that break the conventions are rejected with a clear message."""

import json
import pathlib
import shutil

import pytest

from coursekit import cli
from coursekit.grading import exercises
from coursekit.grading.build import build_all, build_notebook
from coursekit.grading.layout import COLAB_INSTALL_CELL, BuildError

ROOT = pathlib.Path(__file__).resolve().parents[1]
SOURCES = sorted((ROOT / "notebooks" / "src").glob("*.py"))
NOTEBOOK_01 = ROOT / "notebooks" / "src" / "01_convolution_arithmetic.py"


def test_generated_notebooks_are_current():
    assert cli.main(["build", "--check", "--root", str(ROOT)]) == 0


def test_every_source_has_both_generated_versions_without_outputs():
    for source in SOURCES:
        for folder in ("notebooks", "notebooks/solutions"):
            notebook = json.loads((ROOT / folder / f"{source.stem}.ipynb").read_text())
            code = [cell for cell in notebook["cells"] if cell["cell_type"] == "code"]
            assert all(cell["outputs"] == [] and cell["execution_count"] is None for cell in code)
            assert code[0]["source"] == COLAB_INSTALL_CELL.splitlines(keepends=True)


def test_stale_and_missing_notebooks_are_reported(tmp_path):
    shutil.copytree(ROOT / "notebooks", tmp_path / "notebooks")
    assert build_all(tmp_path, check_only=True) == []
    source = tmp_path / "notebooks" / "src" / NOTEBOOK_01.name
    source.write_text(source.read_text().replace("## Summary", "## In short"))
    (tmp_path / "notebooks" / "00_index.ipynb").unlink()
    stale = {path.relative_to(tmp_path).as_posix() for path in build_all(tmp_path, check_only=True)}
    assert stale == {
        "notebooks/00_index.ipynb",
        "notebooks/01_convolution_arithmetic.ipynb",
        "notebooks/solutions/01_convolution_arithmetic.ipynb",
    }
    assert cli.main(["build", "--check", "--root", str(tmp_path)]) == 1
    assert cli.main(["build", "--root", str(tmp_path)]) == 0
    assert build_all(tmp_path, check_only=True) == []


def test_a_notebook_laid_out_differently_but_the_same_is_current(tmp_path):
    shutil.copytree(ROOT / "notebooks", tmp_path / "notebooks")
    student = tmp_path / "notebooks" / "01_convolution_arithmetic.ipynb"
    student.write_text(json.dumps(json.loads(student.read_text()), indent=4))  # other layout
    assert build_all(tmp_path, check_only=True) == []


def test_student_version_keeps_no_solution():
    built = build_notebook(NOTEBOOK_01)
    student = "\n".join(cell.source for cell in built.student.cells)
    solution = "\n".join(cell.source for cell in built.solution.cells)
    assert "BEGIN SOLUTION" not in student and "BEGIN SOLUTION" in solution
    for exercise in exercises("01_convolution_arithmetic"):
        if exercise.kind == "code":
            assert f'raise NotImplementedError("Exercise {exercise.number}")' in student
    assert "per_side" in solution and "per_side" not in student  # a line of the 1.1 solution
    assert student.count("YOUR ANSWER HERE") == 2


def test_solution_version_carries_nbgrader_metadata():
    built = build_notebook(NOTEBOOK_01)
    graded = {
        cell.metadata["nbgrader"]["grade_id"]: cell.metadata["nbgrader"]
        for cell in built.solution.cells
        if "nbgrader" in cell.metadata
    }
    for exercise in exercises("01_convolution_arithmetic"):
        key = exercise.id.replace(".", "_")
        if exercise.kind == "code":
            check = graded[f"ex{key}_check"]
            assert check["grade"] and check["locked"] and not check["solution"]
            assert check["points"] == exercise.points
            assert graded[f"ex{key}_solution"]["solution"]
        else:
            answer = graded[f"ex{key}_answer"]
            assert answer["grade"] and answer["solution"] and answer["points"] == exercise.points
    assert len({cell.id for cell in built.solution.cells}) == len(built.solution.cells)


def test_headings_get_title_and_points_from_the_registry():
    built = build_notebook(NOTEBOOK_01)
    for notebook in (built.student, built.solution):
        headings = [
            cell.source.split("\n", 1)[0]
            for cell in notebook.cells
            if cell.cell_type == "markdown" and cell.source.startswith("### Exercise")
        ]
        assert headings[:2] == [
            "### Exercise 1.1 – Output size of a convolution (2 points)",
            "### Exercise 1.2 – A convolutional layer from scratch (4 points)",
        ]
        assert len(headings) == len(exercises("01_convolution_arithmetic"))


BROKEN = [
    (
        "# ### Exercise 1.1\n",
        "# ### Exercise 1.1 – Output size of a convolution (3 points)\n",
        "the title and points come from coursekit/grading/notebook_exercises/nb01",
    ),
    ('check("01.1", conv_output_size)', 'check("01.2", conv_output_size)', "expected check"),
    ('\n# %%\ncheck("01.5", receptive_field)\n', "\n", "no check cell"),
    (
        "def receptive_field(layers):\n    ### BEGIN SOLUTION",
        "### BEGIN SOLUTION\ndef receptive_field(layers):",
        "inside a function",
    ),
    ("### Exercise 1.6\n", "### Exercise 1.7\n", "names no registered exercise"),
    ("[![Binder]", "[![Launch]", "badge line"),
    ("import subprocess\nimport sys\n", "import sys\n", "first code cell"),
    ("profile = coursekit.setup(seed=0)", "coursekit.setup()", "second code cell"),
]


@pytest.mark.parametrize(("old", "new", "message"), BROKEN)
def test_broken_sources_are_rejected_with_the_reason(tmp_path, old, new, message):
    text = NOTEBOOK_01.read_text()
    assert old in text
    source = tmp_path / NOTEBOOK_01.name
    source.write_text(text.replace(old, new, 1))
    with pytest.raises(BuildError, match=message):
        build_notebook(source)
