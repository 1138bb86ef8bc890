"""Small submissions of notebook 01 for the grading tests: the notebook's metadata names
the course notebook, and only the cells a test needs are there, so that starting the
kernel is most of what grading one costs."""

import pathlib

import nbformat

from coursekit import cli
from coursekit.grading import get_exercise

ROOT = pathlib.Path(__file__).resolve().parents[1]
SOLUTION = ROOT / "notebooks" / "solutions" / "01_convolution_arithmetic.ipynb"
IMPORTS = (
    "import numpy as np\n"
    "from coursekit import arithmetic, check\n"
    "from coursekit.scratch.windows import padding_amounts"
)
CODE_EXERCISES = ("01.1", "01.2", "01.3", "01.5")


def _solutions():
    notebook = nbformat.read(SOLUTION, as_version=4)
    found = {}
    for cell in notebook.cells:
        tag = cell.metadata.get("coursekit", {})
        if tag.get("role") == "solution":
            found[tag["exercise"]] = cell.source
    return found


SOLUTIONS = _solutions()


def code(source):
    return nbformat.v4.new_code_cell(source)


def check_cell(exercise_id, source=None):
    """A check cell as the student notebook has it (tagged), or as a student left it."""
    target = get_exercise(exercise_id).target
    cell = code(source if source is not None else f'check("{exercise_id}", {target})')
    cell.metadata["coursekit"] = {"exercise": exercise_id, "role": "check"}
    return cell


def solution(exercise_id, wrong=None):
    """The solution cell of an exercise, optionally with one line changed."""
    source = SOLUTIONS[exercise_id]
    if wrong is not None:
        assert wrong[0] in source
        source = source.replace(*wrong)
    return code(source)


def every_solution():
    return [solution(key) for key in CODE_EXERCISES]


def write(folder, name, cells):
    """Writes a submission of notebook 01 with `cells` after the imports; returns its path."""
    notebook = nbformat.v4.new_notebook(
        cells=[code(IMPORTS), *cells],
        metadata={"coursekit": {"notebook": "01_convolution_arithmetic"}},
    )
    path = pathlib.Path(folder) / f"{name}.ipynb"
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(notebook, path)
    return path


def grade(arguments):
    """Runs `coursekit grade` with `arguments` (strings); asserts it succeeded."""
    assert cli.main(["grade", *map(str, arguments)]) == 0
