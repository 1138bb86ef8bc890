"""`coursekit grade`: run submitted notebooks in fresh kernels and score their checks.

Each submission runs top to bottom in its own kernel with `COURSEKIT_GRADING=1`,
so a failed check raises and the check cell records an error. Check cells are
first restored from the registry (a student cannot edit or delete them away), and
every cell has a time limit, after which the kernel is interrupted and grading goes
on with the next cell. Written answers are listed for hand grading.
"""

import csv
import dataclasses
import os
import pathlib
import re
import subprocess

from coursekit.grading.registry import exercises

DEFAULT_CELL_TIMEOUT = 120
_MARKS = {"passed": "✔", "hand-graded": "✎"}
_NOTEBOOK_NAME = re.compile(r"(\d\d_[a-z0-9_]+?)(?:[-.]|$)")


@dataclasses.dataclass(frozen=True)
class ExerciseScore:
    """One exercise of one submission. `score` is `None` for hand-graded answers."""

    exercise: object
    score: int | None
    status: str
    message: str = ""


@dataclasses.dataclass(frozen=True)
class SubmissionResult:
    """The scores of one submitted notebook, or why it could not be graded."""

    path: pathlib.Path
    notebook: str | None
    scores: tuple = ()
    error: str = ""

    @property
    def auto_score(self):
        return sum(item.score for item in self.scores if item.score is not None)

    @property
    def auto_max(self):
        return sum(item.exercise.points for item in self.scores if item.exercise.kind == "code")


def grade_submission(path, timeout=DEFAULT_CELL_TIMEOUT, profile="fast"):
    """Executes one submission in a fresh kernel and scores each exercise.

    Args:
        path: the submitted `.ipynb` file.
        timeout: seconds each cell may run before the kernel is interrupted.
        profile: the coursekit profile the notebook runs with.

    Returns:
        A `SubmissionResult`; it never raises for a broken submission.
    """
    import nbformat

    path = pathlib.Path(path)
    try:
        notebook = nbformat.read(path, as_version=4)
    except Exception as error:
        return SubmissionResult(path, None, error=f"not a readable notebook ({error})")
    name = _notebook_name(notebook, path)
    graded = exercises(name) if name else []
    if not graded:
        return SubmissionResult(path, name, error="no coursekit exercises found in this notebook")
    _restore_check_cells(notebook, graded)
    error = _execute(notebook, path.parent, timeout, profile)
    scores = tuple(_score(exercise, notebook, error) for exercise in graded)
    return SubmissionResult(path, name, scores, error)


def grade(paths, out, timeout=DEFAULT_CELL_TIMEOUT, profile="fast", log=print):
    """Grades several submissions and writes one CSV row per submission.

    Args:
        paths: submitted notebooks.
        out: the CSV file to write.
        timeout: seconds each cell may run.
        profile: the coursekit profile notebooks run with.
        log: where progress lines go (`print` by default).

    Returns:
        The list of `SubmissionResult`s, in the order given.
    """
    results = []
    for index, path in enumerate(paths, start=1):
        result = grade_submission(path, timeout, profile)
        results.append(result)
        log(f"[{index}/{len(paths)}] {summary_line(result)}")
    write_csv(results, out)
    return results


def summary_line(result):
    """One line per submission: points and a mark per exercise."""
    if result.error and not result.scores:
        return f"{result.path.name}: not graded: {result.error}"
    marks = " ".join(f"{item.exercise.id}{_MARKS.get(item.status, '✘')}" for item in result.scores)
    problem = f" ({result.error})" if result.error else ""
    return f"{result.path.name}: {result.auto_score}/{result.auto_max} points  {marks}{problem}"


def write_csv(results, out):
    """Writes per-exercise scores and totals; hand-graded answers are left blank."""
    columns = sorted(
        {item.exercise.id for result in results for item in result.scores},
        key=lambda exercise_id: tuple(int(part) for part in exercise_id.split(".")),
    )
    with open(out, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["submission", "notebook", *columns, "auto_score", "auto_max", "problems"])
        for result in results:
            by_id = {item.exercise.id: item for item in result.scores}
            cells = [_csv_score(by_id.get(exercise_id)) for exercise_id in columns]
            writer.writerow(
                [
                    result.path.name,
                    result.notebook or "",
                    *cells,
                    result.auto_score,
                    result.auto_max,
                    result.error,
                ]
            )


def _csv_score(item):
    if item is None or item.score is None:
        return ""
    return item.score


def _notebook_name(notebook, path):
    """The notebook's stem: from its metadata, its exercise cells, or its file name."""
    name = notebook.metadata.get("coursekit", {}).get("notebook")
    if name:
        return name
    known = {exercise.id: exercise for exercise in exercises()}
    for cell in notebook.cells:
        _, exercise_id = _role(cell)
        if exercise_id in known:
            return known[exercise_id].notebook
    match = _NOTEBOOK_NAME.match(path.stem)
    return match.group(1) if match else None


def _restore_check_cells(notebook, graded):
    """Puts back the instructor's check cell of every coding exercise.

    The restored cell imports `check` itself, so a notebook that deleted the import
    or rebound the name still runs the real check.
    """
    import nbformat

    for exercise in graded:
        if exercise.kind != "code":
            continue
        source = f'from coursekit.grading import check\ncheck("{exercise.id}", {exercise.target})'
        cells = [cell for cell in notebook.cells if _role(cell) == ("check", exercise.id)]
        for cell in cells:
            cell.cell_type, cell.source = "code", source
            cell.setdefault("outputs", [])
            cell.setdefault("execution_count", None)
        if not cells:
            cell = nbformat.v4.new_code_cell(source)
            cell.metadata["coursekit"] = {"exercise": exercise.id, "role": "check"}
            notebook.cells.append(cell)


def _execute(notebook, cwd, timeout, profile):
    """Runs every cell, errors included; returns why execution stopped early, if it did."""
    from nbclient import NotebookClient
    from nbclient.exceptions import DeadKernelError

    for cell in notebook.cells:
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
    env = dict(os.environ, COURSEKIT_GRADING="1", COURSEKIT_PROFILE=profile, MPLBACKEND="Agg")
    client = NotebookClient(
        notebook,
        timeout=timeout,
        kernel_name="python3",
        allow_errors=True,
        interrupt_on_timeout=True,
        resources={"metadata": {"path": str(cwd)}},
    )
    try:
        # The kernel's own start-up chatter is of no use in a grade report.
        client.execute(env=env, stderr=subprocess.DEVNULL)
    except DeadKernelError:
        return "the kernel died while running the notebook"
    except Exception as error:
        return f"execution stopped: {type(error).__name__}: {error}"
    return ""


def _score(exercise, notebook, execution_error):
    if exercise.kind == "written":
        return ExerciseScore(exercise, None, "hand-graded")
    cell = next(cell for cell in notebook.cells if _role(cell) == ("check", exercise.id))
    errors = [output for output in cell.get("outputs", []) if output.get("output_type") == "error"]
    if cell.get("execution_count") is None:
        return ExerciseScore(
            exercise, 0, "not run", execution_error or "the check cell did not run"
        )
    if errors and errors[0]["ename"] == "KeyboardInterrupt":
        return ExerciseScore(exercise, 0, "failed", "the check ran past the cell time limit")
    if errors:
        message = f"{errors[0]['ename']}: {errors[0]['evalue']}".strip()
        status = "not attempted" if "not attempted yet" in message else "failed"
        return ExerciseScore(exercise, 0, status, message)
    return ExerciseScore(exercise, exercise.points, "passed")


def _role(cell):
    tag = cell.get("metadata", {}).get("coursekit", {})
    return tag.get("role"), tag.get("exercise")
