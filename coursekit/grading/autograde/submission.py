"""A submitted notebook, prepared for grading.

`notebook_name` tells which course notebook a submission is a copy of;
`restore_check_cells` puts the instructor's hand-in cell in place of every check
cell (also where a student edited, emptied or deleted one); `notes` lists what a
student should know about the run, such as interrupted cells.
"""

import re

from coursekit.grading.autograde import protocol
from coursekit.grading.autograde.execution import cell_name
from coursekit.grading.layout import role
from coursekit.grading.registry import exercises

_NOTEBOOK_NAME = re.compile(r"(\d\d_[a-z0-9_]+?)(?:[-.]|$)")


def restore_check_cells(notebook, graded, folder):
    """Puts the instructor's hand-in cell in place of each coding exercise's check cell.

    Returns:
        A dict from exercise id to its (last) check cell.
    """
    import nbformat

    checks = {}
    for exercise in graded:
        if exercise.kind != "code":
            continue
        cells = [cell for cell in notebook.cells if role(cell) == ("check", exercise.id)]
        added = not cells
        if added:
            cells = [nbformat.v4.new_code_cell()]
            notebook.cells.insert(_insertion_point(notebook, exercise), cells[0])
        for cell in cells:
            cell.cell_type, cell.source = "code", protocol.hand_in_cell(exercise, folder)
            cell.metadata = {"coursekit": {"exercise": exercise.id, "role": "check"}}
            if added:
                cell.metadata["coursekit"]["added"] = True
            cell.setdefault("outputs", [])
            cell.setdefault("execution_count", None)
            cell.pop("attachments", None)
        checks[exercise.id] = cells[-1]
    return checks


def _insertion_point(notebook, exercise):
    """Just after the exercise's solution cell, or the last cell defining its function."""
    defines = re.compile(rf"^(def\s+{exercise.target}\s*\(|{exercise.target}\s*=)", re.MULTILINE)
    after_solution = after_definition = None
    for index, cell in enumerate(notebook.cells):
        if role(cell) == ("solution", exercise.id):
            after_solution = index + 1
        elif cell.cell_type == "code" and defines.search(cell.source):
            after_definition = index + 1
    return after_solution or after_definition or len(notebook.cells)


def position(notebook, cell):
    """The index of `cell` in the notebook (-1 if it is not there)."""
    return next((index for index, other in enumerate(notebook.cells) if other is cell), -1)


def notes(notebook, limits):
    notes = []
    for index, cell in enumerate(notebook.cells):
        for output in cell.get("outputs", []):
            if output.get("output_type") != "error":
                continue
            if output.get("ename") == "KeyboardInterrupt":
                notes.append(
                    f"{cell_name(notebook, index)} ran past the {limits.timeout:g} s time "
                    "limit and was interrupted."
                )
            elif output.get("ename") == "SystemExit":
                notes.append(f"{cell_name(notebook, index)} called sys.exit(); the run went on.")
    return tuple(notes)


def notebook_name(notebook, path):
    """The notebook's stem: from its metadata, its exercise cells, or its file name."""
    name = notebook.metadata.get("coursekit", {}).get("notebook")
    if name:
        return name
    known = {exercise.id: exercise for exercise in exercises()}
    for cell in notebook.cells:
        _, exercise_id = role(cell)
        if exercise_id in known:
            return known[exercise_id].notebook
    match = _NOTEBOOK_NAME.match(path.stem)
    return match.group(1) if match else None
