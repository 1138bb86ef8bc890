"""The solution notebooks work in nbgrader unchanged.

A temporary nbgrader course takes notebook 01's solution version as its source,
generates the student version, and autogrades two submissions: the solution
(full marks on every autograded cell) and the untouched student version (zero).
"""

import pathlib
import shutil
import subprocess
import sys

import pytest
from nbgrader.api import Gradebook

ROOT = pathlib.Path(__file__).resolve().parents[1]
SOLUTION = ROOT / "notebooks" / "solutions" / "01_convolution_arithmetic.ipynb"
ASSIGNMENT = "ps01"


def nbgrader(course, *arguments):
    completed = subprocess.run(
        [sys.executable, "-m", "nbgrader", *arguments, f"--CourseDirectory.root={course}"],
        cwd=course,
        capture_output=True,
        text=True,
        check=False,
    )
    assert completed.returncode == 0, completed.stdout + completed.stderr


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    course = tmp_path_factory.mktemp("nbgrader_course")
    source = course / "source" / ASSIGNMENT
    source.mkdir(parents=True)
    shutil.copy(SOLUTION, source)
    nbgrader(course, "generate_assignment", ASSIGNMENT)
    for student, version in (("alice", source), ("bob", course / "release" / ASSIGNMENT)):
        submitted = course / "submitted" / student / ASSIGNMENT
        submitted.mkdir(parents=True)
        shutil.copy(version / SOLUTION.name, submitted)
    nbgrader(course, "autograde", ASSIGNMENT, "--create")
    return course


def autograded_scores(course, student):
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gradebook:
        notebook = gradebook.find_submission_notebook(SOLUTION.stem, ASSIGNMENT, student)
        cells = {grade.name: grade.auto_score for grade in notebook.grades}
        return cells, notebook.code_score, notebook.max_code_score


def test_the_generated_student_version_keeps_no_solution(course):
    released = (course / "release" / ASSIGNMENT / SOLUTION.name).read_text()
    assert "per_side" not in released and "BEGIN SOLUTION" not in released
    assert '"check(\\"01.2\\", conv2d)"' in released


def test_the_solution_gets_full_marks_for_every_autograded_cell(course):
    cells, score, maximum = autograded_scores(course, "alice")
    assert (score, maximum) == (11, 11)
    assert {name: cells[name] for name in cells if name.endswith("_check")} == {
        "ex01_1_check": 2,
        "ex01_2_check": 4,
        "ex01_3_check": 3,
        "ex01_5_check": 2,
    }


def test_the_untouched_student_version_gets_zero(course):
    cells, score, maximum = autograded_scores(course, "bob")
    assert (score, maximum) == (0, 11)
    assert all(cells[name] == 0 for name in cells if name.endswith("_check"))
