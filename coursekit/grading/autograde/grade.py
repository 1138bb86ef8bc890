"""`coursekit grade`: run submitted notebooks in fresh kernels and score their exercises.

For each submission:

1. `submission`: every check cell is replaced by the instructor's hand-in cell (also
   where a student edited, emptied or deleted it); it only saves the student's
   function (`protocol.hand_in`).
2. `execution`: the notebook runs top to bottom in its own kernel with
   `COURSEKIT_GRADING=1`, a per-cell time limit and a memory cap (`limits`).
3. `checker`: each saved function is tested in a fresh process (`evaluator`) under
   the same limits, and the verdict is computed in the grader from plain-data
   answers, so code in the notebook cannot change a score.
4. `outputs`: the CSV, the JSON and one feedback file per student.

Written answers are listed for hand grading. A broken submission never stops the
batch; its feedback says what went wrong.
"""

import concurrent.futures
import contextlib
import dataclasses
import multiprocessing
import os
import pathlib
import tempfile

from coursekit.grading.autograde import outputs, protocol, submission
from coursekit.grading.autograde.checker import check_hand_in
from coursekit.grading.autograde.execution import cell_name, execute
from coursekit.grading.autograde.hidden import NO_HIDDEN_TESTS, HiddenTests
from coursekit.grading.autograde.limits import Limits
from coursekit.grading.status import Status


@dataclasses.dataclass(frozen=True)
class ExerciseScore:
    """One exercise of one submission, as plain data.

    Attributes:
        id, title, points, kind: the exercise's (see `coursekit.grading.Exercise`).
        score: the points given; `None` for an answer graded by hand.
        status: a `Status`.
        messages: the summary, then one line per failed case.
    """

    id: str
    title: str
    points: int
    kind: str
    score: int | None
    status: Status
    messages: tuple = ()

    @classmethod
    def of(cls, exercise, score, status, messages):
        return cls(
            exercise.id, exercise.title, exercise.points, exercise.kind, score, status, messages
        )

    @property
    def number(self):
        """The number shown in headings, e.g. `"1.2"` for id `"01.2"`."""
        notebook, exercise = self.id.split(".")
        return f"{int(notebook)}.{exercise}"


@dataclasses.dataclass(frozen=True)
class SubmissionResult:
    """The scores of one submitted notebook, or why it could not be graded.

    Attributes:
        path: the submitted file.
        student: who submitted it (see `collect_submissions`).
        notebook: the course notebook it is a copy of, if recognised.
        scores: an `ExerciseScore` per exercise of that notebook.
        error: why the notebook could not be graded, or run to its end.
        notes: other things worth knowing, e.g. cells that were interrupted.
    """

    path: pathlib.Path
    student: str
    notebook: str | None
    scores: tuple = ()
    error: str = ""
    notes: tuple = ()

    @property
    def auto_score(self):
        return sum(item.score for item in self.scores if item.score is not None)

    @property
    def auto_max(self):
        return sum(item.points for item in self.scores if item.kind == "code")


def collect_submissions(inputs):
    """Lists `(student, path)` for submitted files and folders, in a stable order.

    A folder is searched for `.ipynb` files at any depth. A file directly in it is
    named after its stem (`alice.ipynb` -> `alice`); a file in a sub-folder after
    that sub-folder (`alice/01_convolution_arithmetic.ipynb` -> `alice`).
    """
    found = []
    for item in map(pathlib.Path, inputs):
        if not item.is_dir():
            found.append((item.stem, item))
            continue
        for path in sorted(item.rglob("*.ipynb")):
            relative = path.relative_to(item)
            if ".ipynb_checkpoints" in relative.parts:
                continue
            found.append((relative.parts[0] if len(relative.parts) > 1 else path.stem, path))
    return found


def grade_submission(path, limits=None, profile="fast", student=None, hidden=NO_HIDDEN_TESTS):
    """Executes one submission in a fresh kernel and scores each exercise.

    Args:
        path: the submitted `.ipynb` file.
        limits: the per-cell time limit and memory cap (default: `Limits()`).
        profile: the coursekit profile the notebook runs with.
        student: the name in the results (default: the file's stem).
        hidden: the `HiddenTests` to add (default: none).

    Returns:
        A `SubmissionResult`; it never raises for a broken submission.
    """
    import nbformat

    path = pathlib.Path(path)
    student = student or path.stem
    limits = limits or Limits()
    try:
        notebook = nbformat.read(path, as_version=4)
        notebook.cells  # noqa: B018 - a JSON file without cells is not a notebook
    except Exception as error:
        return SubmissionResult(path, student, None, error=f"not a readable notebook ({error})")
    name = submission.notebook_name(notebook, path)
    graded = hidden.exercises_for(name) if name else []
    if not graded:
        return SubmissionResult(
            path, student, name, error="no coursekit exercises found in this notebook"
        )
    env = dict(os.environ, COURSEKIT_GRADING="1", COURSEKIT_PROFILE=profile, MPLBACKEND="Agg")
    with tempfile.TemporaryDirectory(prefix="coursekit-grade-") as folder:
        checks = submission.restore_check_cells(notebook, graded, folder)
        stop = execute(notebook, path.parent, limits, env, folder)
        stopped = stop.describe(notebook, limits) if stop else ""
        scores = []
        for exercise in graded:
            position = submission.position(notebook, checks.get(exercise.id))
            reached = stop is None or (stop.cell is not None and stop.cell > position)
            if exercise.kind == "code" and not reached and not _handed_in(folder, exercise):
                message = (f"Not graded: {stopped}.",)
                scores.append(ExerciseScore.of(exercise, 0, Status.NOT_RUN, message))
                continue
            run = _Run(notebook, folder, limits, path.parent, env, hidden)
            scores.append(_score(exercise, position, run))
    return SubmissionResult(
        path, student, name, tuple(scores), stopped, submission.notes(notebook, limits)
    )


def grade(
    submissions,
    out,
    limits=None,
    profile="fast",
    jobs=1,
    hidden_tests=None,
    feedback=None,
    json_out=None,
    log=print,
):
    """Grades submitted notebooks and writes the CSV, the JSON and the feedback files.

    Args:
        submissions: notebook files and folders of them (see `collect_submissions`).
        out: the CSV file to write (one row per student).
        limits: the per-cell time limit and memory cap (default: `Limits()`).
        profile: the coursekit profile notebooks run with.
        jobs: how many submissions are graded at once, each in its own process.
        hidden_tests: a hidden-tests file (see `coursekit.grading.autograde.hidden`), or
            `None`.
        feedback: the folder for one Markdown file per student
            (default: `feedback/` next to `out`).
        json_out: the JSON file with every check's messages (default: `out` with `.json`).
        log: where progress lines go (`print` by default).

    Returns:
        The list of `SubmissionResult`s, in the order `collect_submissions` lists them.
    """
    if jobs < 1:
        raise ValueError(f"jobs must be at least 1. Received: jobs={jobs}")
    limits = limits or Limits()
    hidden = NO_HIDDEN_TESTS if hidden_tests is None else HiddenTests.load(hidden_tests)
    found = collect_submissions(submissions)
    tasks = [(path, limits, profile, student, hidden) for student, path in found]
    with contextlib.ExitStack() as stack:
        if jobs == 1 or len(tasks) < 2:
            graded = map(_grade_task, tasks)
        else:
            pool = stack.enter_context(
                concurrent.futures.ProcessPoolExecutor(
                    max_workers=jobs, mp_context=multiprocessing.get_context("spawn")
                )
            )
            graded = pool.map(_grade_task, tasks)
        results = []
        for index, result in enumerate(graded, start=1):
            results.append(result)
            log(f"[{index}/{len(tasks)}] {summary_line(result)}")
        out = pathlib.Path(out)
        out.parent.mkdir(parents=True, exist_ok=True)
        outputs.write_csv(results, out)
        outputs.write_json(results, json_out or out.with_suffix(".json"), limits, profile)
        outputs.write_feedback(results, feedback or out.parent / "feedback")
    return results


def summary_line(result):
    """One line per submission: points and a mark per exercise."""
    if result.error and not result.scores:
        return f"{result.student} ({result.path.name}): not graded: {result.error}"
    marks = " ".join(f"{item.id}{item.status.mark}" for item in result.scores)
    problem = f" ({result.error})" if result.error else ""
    return (
        f"{result.student} ({result.path.name}): {result.auto_score}/{result.auto_max} points"
        f"  {marks}{problem}"
    )


def _grade_task(task):
    path, limits, profile, student, hidden = task
    try:
        return grade_submission(path, limits, profile, student, hidden)
    except Exception as error:  # a grader bug must not cost the rest of the batch
        return SubmissionResult(
            pathlib.Path(path), student, None, error=f"grading failed: {error!r}"
        )


@dataclasses.dataclass(frozen=True)
class _Run:
    """One submission's executed notebook and what scoring its exercises needs."""

    notebook: object
    folder: str
    limits: Limits
    cwd: pathlib.Path
    env: dict
    hidden: HiddenTests


def _score(exercise, position, run):
    if exercise.kind == "written":
        return ExerciseScore.of(exercise, None, Status.HAND_GRADED, ("Graded by hand.",))
    if _handed_in(run.folder, exercise):
        saved = protocol.hand_in_path(run.folder, exercise.id)
        try:
            result = check_hand_in(exercise, saved, run.limits, run.cwd, run.env, run.hidden)
        except Exception as error:
            message = (f"The check itself failed: {error!r}",)
            return ExerciseScore.of(exercise, 0, Status.ERROR, message)
        return ExerciseScore.of(exercise, result.score, result.status, tuple(result.messages))
    message = _missing_hand_in(exercise, run.notebook, position)
    return ExerciseScore.of(exercise, 0, Status.FAILED, (message,))


def _missing_hand_in(exercise, notebook, position):
    """Why an exercise's check cell ran without handing in a function."""
    errors = [
        output
        for output in notebook.cells[position].get("outputs", [])
        if output.get("output_type") == "error"
    ]
    added = notebook.cells[position].metadata["coursekit"].get("added", False)
    if errors and errors[0]["ename"] == "NameError" and added:
        return (
            f"`{exercise.target}` is not defined in the notebook: write it in the exercise's cell."
        )
    if errors and errors[0]["ename"] == "NameError":
        return (
            f"`{exercise.target}` was not defined when its check cell "
            f"({cell_name(notebook, position, first_line=False)}) ran: define it in the "
            "exercise's cell above the check (the notebook runs from top to bottom)."
        )
    if errors:
        return f"The check cell failed: {errors[0]['ename']}: {errors[0]['evalue']}".strip()
    return "The check cell did not run."


def _handed_in(folder, exercise):
    return protocol.hand_in_path(folder, exercise.id).exists()
