"""`coursekit build`: student and solution notebooks from the jupytext sources.

`notebooks/src/NN_topic.py` (jupytext py:percent, with solutions) becomes

- `notebooks/NN_topic.ipynb`, the student version: every region between
  `### BEGIN SOLUTION` and `### END SOLUTION` is replaced by
  `raise NotImplementedError("Exercise N.K")` (code) or `YOUR ANSWER HERE` (text);
- `notebooks/solutions/NN_topic.ipynb`, the instructor version: solutions kept,
  nbgrader metadata on solution, answer and check cells, check cells locked.

In both, an exercise heading `### Exercise N.K` gets the title and points the
registry declares. The build also checks each source against the registry and the
course's notebook conventions (`coursekit.grading.layout`), and fails with a message
naming the cell when one is broken.
"""

import copy
import dataclasses
import json
import pathlib

from coursekit.grading import layout
from coursekit.grading.layout import BEGIN, END, TEXT_STUB, BuildError
from coursekit.grading.registry import exercises


@dataclasses.dataclass
class Built:
    """The two notebooks built from one source."""

    name: str
    student: object
    solution: object


def build_notebook(source_path):
    """Builds the student and solution notebooks from one jupytext source.

    Args:
        source_path: path to `notebooks/src/NN_topic.py`.

    Returns:
        A `Built` with `.student` and `.solution` nbformat notebooks.

    Raises:
        BuildError: when the source breaks a convention (see the module docstring).
    """
    import jupytext

    path = pathlib.Path(source_path)
    source = jupytext.read(path, fmt="py:percent")
    cells = [_clean_cell(cell, index) for index, cell in enumerate(source.cells)]
    layout.check_opening(path.stem, cells)
    roles = _assign_roles(path.stem, cells)
    for cell, role in zip(cells, roles, strict=True):
        if role.kind == "heading":
            _, rest = (cell.source + "\n").split("\n", 1)
            cell.source = (layout.heading(role.exercise) + "\n" + rest).rstrip("\n")
    metadata = {key: value for key, value in source.metadata.items() if key != "jupytext"}
    metadata.update(layout.NOTEBOOK_METADATA)
    solution = _notebook(
        [_solution_cell(cell, role) for cell, role in zip(cells, roles, strict=True)], metadata
    )
    student = _notebook(
        [_student_cell(cell, role) for cell, role in zip(cells, roles, strict=True)], metadata
    )
    solution.metadata["coursekit"] = {"notebook": path.stem, "version": "solution"}
    student.metadata["coursekit"] = {"notebook": path.stem, "version": "student"}
    return Built(path.stem, student, solution)


def build_all(root=".", check_only=False):
    """Builds every notebook under `root/notebooks/src`, or checks they are current.

    Args:
        root: the course repository's root.
        check_only: if True, write nothing and report which files are stale.

    Returns:
        The paths written (or, with `check_only`, the stale or missing ones).
    """
    import nbformat

    root = pathlib.Path(root)
    changed = []
    for source in notebook_sources(root):
        built = build_notebook(source)
        for notebook, folder in (
            (built.student, "notebooks"),
            (built.solution, "notebooks/solutions"),
        ):
            target = root / folder / f"{built.name}.ipynb"
            text = nbformat.writes(notebook) + "\n"
            if _same_content(target, text):
                continue
            changed.append(target)
            if not check_only:
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_text(text, encoding="utf-8")
    return changed


def _same_content(path, text):
    """Whether the notebook at `path` holds what `text` holds. Compared as JSON, so a
    new nbformat release that lays out the same notebook differently changes nothing."""
    try:
        return json.loads(path.read_text(encoding="utf-8")) == json.loads(text)
    except (OSError, ValueError):
        return False


def notebook_sources(root):
    """The notebook sources `root/notebooks/src/NN_*.py`, in order."""
    sources = sorted((root / "notebooks" / "src").glob("[0-9][0-9]_*.py"))
    if not sources:
        raise BuildError(f"No notebook sources found in {root / 'notebooks' / 'src'}.")
    return sources


@dataclasses.dataclass(frozen=True)
class _Role:
    kind: str  # "plain", "heading", "solution", "answer" or "check"
    exercise: object = None
    part: int = 0


def _assign_roles(name, cells):
    """Ties solution, answer and check cells to the exercise heading above them."""
    registered = {exercise.id: exercise for exercise in exercises(name)}
    seen, roles, current = {}, [], None
    for index, cell in enumerate(cells):
        where = f"{name}.py, cell {index + 1}"
        heading = _heading(cell, registered, name, where)
        if heading:
            current = heading
            seen[current.id] = {"solution": 0, "answer": 0, "check": 0}
            roles.append(_Role("heading", current))
            continue
        kind = _cell_kind(cell, current, where)
        if kind != "plain":
            seen[current.id][kind] += 1
            roles.append(_Role(kind, current, seen[current.id][kind]))
        else:
            roles.append(_Role("plain"))
    _check_complete(name, registered, seen)
    return roles


def _heading(cell, registered, name, where):
    first_line = cell.source.split("\n", 1)[0]
    if cell.cell_type != "markdown" or not first_line.startswith("### Exercise"):
        return None
    match = layout.SOURCE_HEADING.match(first_line)
    exercise_id = f"{int(match.group(1)):02d}.{match.group(2)}" if match else None
    exercise = registered.get(exercise_id)
    if exercise is None:
        known = ", ".join(e.number for e in registered.values()) or "none"
        raise BuildError(
            f"{where}: {first_line!r} names no registered exercise of {name} (known: {known})."
        )
    if match.group(3).strip():
        raise BuildError(
            f"{where}: write just '### Exercise {exercise.number}': the title and points come "
            f"from coursekit/grading/notebook_exercises/nb{name}.py, which says "
            f"{exercise.title!r} ({exercise.points} points)."
        )
    return exercise


def _cell_kind(cell, exercise, where):
    has_solution = BEGIN in cell.source or END in cell.source
    check = layout.CHECK_CALL.match(cell.source.strip()) if cell.cell_type == "code" else None
    if not has_solution and not check:
        return "plain"
    if exercise is None:
        raise BuildError(f"{where}: solution or check cell before any exercise heading.")
    if check:
        exercise_id, target = check.groups()
        if (exercise_id, target) != (exercise.id, exercise.target):
            raise BuildError(
                f"{where}: expected {layout.check_source(exercise)} under the "
                f"heading of exercise {exercise.number}."
            )
        return "check"
    _check_solution_markers(cell, exercise, where)
    return "solution" if cell.cell_type == "code" else "answer"


def _check_solution_markers(cell, exercise, where):
    lines = [line.strip() for line in cell.source.split("\n")]
    if lines.count(BEGIN) != lines.count(END) or BEGIN not in lines:
        raise BuildError(f"{where}: unbalanced {BEGIN} / {END} markers.")
    if cell.cell_type == "code":
        if exercise.kind != "code":
            raise BuildError(
                f"{where}: exercise {exercise.number} is written; use a markdown cell."
            )
        for line in cell.source.split("\n"):
            if line.strip() == BEGIN and not line.startswith((" ", "\t")):
                raise BuildError(
                    f"{where}: put the solution inside a function body, so the student "
                    "notebook still runs from top to bottom."
                )
    elif exercise.kind != "written":
        raise BuildError(f"{where}: exercise {exercise.number} is autograded; use a code cell.")


def _check_complete(name, registered, seen):
    for exercise_id, exercise in registered.items():
        counts = seen.get(exercise_id)
        if counts is None:
            raise BuildError(
                f"{name}.py: exercise {exercise.number} is registered but has no heading."
            )
        needs = ("solution", "check") if exercise.kind == "code" else ("answer",)
        for kind in needs:
            if counts[kind] == 0:
                raise BuildError(f"{name}.py: exercise {exercise.number} has no {kind} cell.")
        if exercise.kind == "code" and counts["check"] != 1:
            raise BuildError(f"{name}.py: exercise {exercise.number} needs exactly one check cell.")


def _clean_cell(cell, index):
    cell = copy.deepcopy(cell)
    cell.metadata = {}
    cell.id = f"cell-{index:03d}"
    if cell.cell_type == "code":
        cell.outputs, cell.execution_count = [], None
    return cell


def _solution_cell(cell, role):
    cell = copy.deepcopy(cell)
    if role.kind in ("solution", "answer", "check"):
        cell.metadata["nbgrader"] = layout.nbgrader_metadata(role.kind, role.exercise, role.part)
        cell.metadata["coursekit"] = {"exercise": role.exercise.id, "role": role.kind}
    if role.kind == "check":
        cell.metadata.update(deletable=False, editable=False)
    return cell


def _student_cell(cell, role):
    cell = copy.deepcopy(cell)
    if role.kind in ("solution", "answer"):
        cell.source = _blank_solutions(cell.source, role.exercise, cell.cell_type)
    if role.kind in ("solution", "answer", "check"):
        cell.metadata["coursekit"] = {"exercise": role.exercise.id, "role": role.kind}
    if role.kind == "check":
        cell.metadata.update(deletable=False, editable=False)
    return cell


def _blank_solutions(source, exercise, cell_type):
    lines, inside = [], False
    for line in source.split("\n"):
        if line.strip() == BEGIN:
            inside = True
            indent = line[: len(line) - len(line.lstrip())]
            if cell_type == "code":
                lines.append(f'{indent}raise NotImplementedError("Exercise {exercise.number}")')
            else:
                lines.append(TEXT_STUB)
        elif line.strip() == END:
            inside = False
        elif not inside:
            lines.append(line)
    return "\n".join(lines)


def _notebook(cells, metadata):
    import nbformat

    notebook = nbformat.v4.new_notebook(cells=cells, metadata=copy.deepcopy(metadata))
    notebook.nbformat_minor = 5
    return notebook
