"""The conventions every course notebook follows, in one place.

Each notebook opens the same way: a markdown cell with the title and the Colab and
Binder badges, the Colab install cell, then `profile = coursekit.setup(seed=0)`.
An exercise is a markdown heading `### Exercise N.K`, a cell with its solution
between `### BEGIN SOLUTION` and `### END SOLUTION`, and (for code) a check cell
`check("0N.K", function)`. The build checks these and the grader relies on them.
"""

import re

GITHUB_REPOSITORY = "cnn-course/cnn-course"
BRANCH = "main"
INSTALL_TARGET = f"coursekit @ git+https://github.com/{GITHUB_REPOSITORY}@{BRANCH}"

COLAB_INSTALL_CELL = f"""\
# Colab only: install coursekit. Colab's TensorFlow, Keras, NumPy and ipywidgets are kept.
import subprocess
import sys

install_from = "{INSTALL_TARGET}"
if "google.colab" in sys.modules:
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", install_from], check=True)"""

SETUP_LINE = "profile = coursekit.setup(seed=0)"

BEGIN, END = "### BEGIN SOLUTION", "### END SOLUTION"
TEXT_STUB = "YOUR ANSWER HERE"
# In a source: `### Exercise 1.2`; the build appends " – Title (P points)" from the registry.
SOURCE_HEADING = re.compile(r"^### Exercise (\d+)\.(\d+)(.*)$")
CHECK_CALL = re.compile(r'^check\("(\d\d\.\d+)", (\w+)\)$')


class BuildError(ValueError):
    """A notebook source breaks a convention; the message names the cell."""


NOTEBOOK_METADATA = {
    "kernelspec": {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"},
    "language_info": {"name": "python"},
}


def badges(name):
    """The Colab and Binder badge line for notebook `name` (its student version)."""
    path = f"notebooks/{name}.ipynb"
    colab = f"https://colab.research.google.com/github/{GITHUB_REPOSITORY}/blob/{BRANCH}/{path}"
    binder = f"https://mybinder.org/v2/gh/{GITHUB_REPOSITORY}/{BRANCH}?urlpath=lab/tree/{path}"
    return (
        f"[![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)]({colab}) "
        f"[![Binder](https://mybinder.org/badge_logo.svg)]({binder})"
    )


def check_opening(name, cells):
    """Raises `BuildError` unless the notebook opens as every course notebook does."""
    first = cells[0] if cells else None
    if first is None or first.cell_type != "markdown" or not first.source.startswith("# "):
        raise BuildError(f"{name}.py: the first cell must be markdown starting with '# Title'.")
    if badges(name) not in first.source:
        raise BuildError(f"{name}.py: the first cell must contain the badge line:\n{badges(name)}")
    code = [cell.source for cell in cells if cell.cell_type == "code"]
    if not code or code[0] != COLAB_INSTALL_CELL:
        raise BuildError(f"{name}.py: the first code cell must be exactly:\n{COLAB_INSTALL_CELL}")
    if len(code) < 2 or SETUP_LINE not in code[1].split("\n"):
        raise BuildError(f"{name}.py: the second code cell must contain the line {SETUP_LINE!r}.")


def nbgrader_metadata(kind, exercise, part=1):
    """nbgrader cell metadata for a `"solution"`, `"answer"` or `"check"` cell."""
    grade_id = f"ex{exercise.id.replace('.', '_')}_{kind}" + (f"_{part}" if part > 1 else "")
    metadata = {"grade_id": grade_id, "schema_version": 3, "task": False}
    if kind == "solution":
        metadata.update(solution=True, grade=False, locked=False)
    elif kind == "answer":
        metadata.update(solution=True, grade=True, locked=False, points=exercise.points)
    elif kind == "check":
        metadata.update(solution=False, grade=True, locked=True, points=exercise.points)
    else:
        raise ValueError(f"Unknown cell kind. Received: kind={kind!r}.")
    return metadata


def heading(exercise):
    """The heading line of an exercise in a built notebook."""
    unit = "point" if exercise.points == 1 else "points"
    return f"### Exercise {exercise.number} – {exercise.title} ({exercise.points} {unit})"


def check_source(exercise):
    """The source of a coding exercise's check cell."""
    return f'check("{exercise.id}", {exercise.target})'


def role(cell):
    """`(role, exercise id)` of a built notebook's cell: from its metadata, or, for a check
    cell whose metadata a student's tools dropped, from its `check(...)` call."""
    tag = cell.get("metadata", {}).get("coursekit", {})
    if tag.get("role"):
        return tag.get("role"), tag.get("exercise")
    match = CHECK_CALL.match(cell.get("source", "").strip()) if cell.cell_type == "code" else None
    return ("check", match.group(1)) if match else (None, None)
