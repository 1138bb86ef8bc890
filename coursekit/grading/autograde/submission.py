"""A submitted notebook, prepared for grading.

`read_submission` reads a submitted file, if it is a regular file of a sane size;
`notebook_name` tells which course notebook a submission is a copy of;
`restore_check_cells` puts the instructor's hand-in cell in place of every check
cell (also where a student edited, emptied or deleted one); `code_cells` lists what
the kernel runs; `record_errors` puts the errors it reported back into the notebook,
and `notes` lists what a student should know about the run, such as interrupted cells.
"""

import os
import re
import stat

from coursekit.grading.autograde import protocol
from coursekit.grading.autograde.execution import cell_name
from coursekit.grading.autograde.limits import DEFAULT_NOTEBOOK_MB
from coursekit.grading.layout import role
from coursekit.grading.registry import exercises

_NOTEBOOK_NAME = re.compile(r"(\d\d_[a-z0-9_]+?)(?:[-.]|$)")
_KINDS = (
    (stat.S_ISFIFO, "a named pipe (FIFO)"),
    (stat.S_ISCHR, "a device"),
    (stat.S_ISBLK, "a device"),
    (stat.S_ISSOCK, "a socket"),
    (stat.S_ISDIR, "a folder"),
)


class RefusedSubmissionError(Exception):
    """A submitted file the grader does not read; the message says why."""


def read_submission(path, max_mb=DEFAULT_NOTEBOOK_MB):
    """The bytes of a submitted notebook.

    Only a regular file is read (never through a symbolic link, never a named pipe
    or a device), and only up to `max_mb` megabytes.

    Raises:
        RefusedSubmissionError: for anything else, saying what it is.
    """
    flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)
    if os.path.islink(path):
        raise RefusedSubmissionError(
            "not a regular file but a symbolic link: submit the notebook itself"
        )
    try:
        descriptor = os.open(path, flags)
    except OSError as error:
        raise RefusedSubmissionError(f"the file could not be opened ({error.strerror})") from None
    with os.fdopen(descriptor, "rb") as handle:
        mode = os.fstat(descriptor).st_mode
        kind = next((name for test, name in _KINDS if test(mode)), None)
        if kind is not None or not stat.S_ISREG(mode):
            raise RefusedSubmissionError(f"not a regular file but {kind or 'something else'}")
        data = handle.read(max_mb * 2**20 + 1)
    if len(data) > max_mb * 2**20:
        raise RefusedSubmissionError(
            f"the file is larger than {max_mb} MB (clear its outputs, or grade with a "
            "larger --max-notebook-mb)"
        )
    return data


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


def code_cells(notebook, checks):
    """`(index, source, exercise id of a hand-in cell or None)` for each code cell the
    kernel runs (not empty, not tagged `skip-execution`), after `restore_check_cells`
    returned `checks`."""
    found = []
    for index, cell in enumerate(notebook.cells):
        if cell.cell_type != "code" or not cell.source.strip():
            continue
        if "skip-execution" in cell.metadata.get("tags", []):
            continue
        kind, exercise_id = role(cell)
        handing_in = exercise_id if kind == "check" and exercise_id in checks else None
        found.append((index, cell.source, handing_in))
    return found


def clear_outputs(notebook):
    """Removes the outputs a submission was saved with: only this run's count."""
    for cell in notebook.cells:
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None


def record_errors(notebook, errors):
    """Adds the errors the run reported, `(index, ename, evalue)`, as error outputs."""
    import nbformat

    for index, ename, evalue in errors:
        output = nbformat.v4.new_output("error", ename=ename, evalue=evalue, traceback=[])
        notebook.cells[index].outputs.append(output)


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
