"""`coursekit grade`: run submitted notebooks in fresh kernels and score their exercises.

For each submission:

1. `submission`: the file is read (a regular file of a sane size only) and every
   check cell is replaced by the instructor's hand-in cell (also where a student
   edited, emptied or deleted it); it only saves the student's function
   (`protocol.hand_in`).
2. `sandbox`: a worker starts in the submission's own sandbox (`worker`), and
   `session` sends it the notebook's cells.
3. `execution`: the notebook runs top to bottom in a fresh kernel with
   `COURSEKIT_GRADING=1`, a per-cell time limit and a memory cap (`limits`).
4. `checker`: each handed-in function is tested as soon as its hand-in cell ran, in
   a fresh process inside the same sandbox, and the verdict is computed here from
   plain-data answers, so code in the notebook cannot change a score.
5. `batch`: each result is recorded (`store`) the moment it is known, and the CSV,
   the JSON and one feedback file per student are regenerated from the records
   (`outputs`).

Written answers are listed for hand grading. A broken or hostile submission never
stops the batch; its feedback says what went wrong.
"""

import dataclasses
import os
import pathlib

from coursekit.grading.autograde import protocol, sandbox, submission
from coursekit.grading.autograde.execution import cell_name
from coursekit.grading.autograde.hidden import NO_HIDDEN_TESTS
from coursekit.grading.autograde.limits import DEFAULT_NOTEBOOK_MB, Limits
from coursekit.grading.autograde.session import converse
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

    A folder is searched for `.ipynb` files at any depth (symbolic links to folders
    are not followed). A file directly in it is named after its stem (`alice.ipynb`
    -> `alice`); a file in a sub-folder after that sub-folder
    (`alice/01_convolution_arithmetic.ipynb` -> `alice`). Anything named `.ipynb` is
    listed, a link or a pipe too: grading it says why it is refused.
    """
    found = []
    for item in map(pathlib.Path, inputs):
        if not item.is_dir():
            found.append((item.stem, item))
            continue
        listed = []
        for folder, folders, names in os.walk(item):
            folders[:] = [name for name in folders if name != ".ipynb_checkpoints"]
            entries = names + [
                name for name in folders if os.path.islink(os.path.join(folder, name))
            ]
            listed += [pathlib.Path(folder, name) for name in entries if name.endswith(".ipynb")]
        for path in sorted(listed):
            relative = path.relative_to(item)
            found.append((relative.parts[0] if len(relative.parts) > 1 else path.stem, path))
    return found


def grade_submission(
    path,
    limits=None,
    profile="fast",
    student=None,
    hidden=NO_HIDDEN_TESTS,
    isolation=None,
    max_mb=DEFAULT_NOTEBOOK_MB,
):
    """Executes one submission in a fresh kernel, in its own sandbox, and scores it.

    Args:
        path: the submitted `.ipynb` file.
        limits: the `Limits` (default: `Limits()`).
        profile: the coursekit profile the notebook runs with.
        student: the name in the results (default: the file's stem).
        hidden: the `HiddenTests` to add (default: none).
        isolation: the `sandbox.Isolation` (default: `sandbox.detect()`).
        max_mb: the largest notebook file read, in megabytes.

    Returns:
        A `SubmissionResult`; it never raises for a broken submission.
    """
    path = pathlib.Path(path)
    try:
        data = submission.read_submission(path, max_mb)
    except submission.RefusedSubmissionError as error:
        return SubmissionResult(path, student or path.stem, None, error=str(error))
    return grade_notebook(path, data, limits, profile, student, hidden, isolation)


def grade_notebook(
    path, data, limits=None, profile="fast", student=None, hidden=NO_HIDDEN_TESTS, isolation=None
):
    """`grade_submission` for the bytes `data` already read from `path`."""
    import nbformat

    student = student or path.stem
    limits = limits or Limits()
    isolation = isolation or sandbox.detect()
    try:
        notebook = nbformat.reads(data.decode("utf-8"), as_version=4)
        notebook.cells  # noqa: B018 - a JSON file without cells is not a notebook
    except Exception as error:
        reason = protocol.scrub(f"{type(error).__name__}: {error}", 120)
        return SubmissionResult(path, student, None, error=f"not a readable notebook ({reason})")
    name = submission.notebook_name(notebook, path)
    graded = hidden.exercises_for(name) if name else []
    if not graded:
        return SubmissionResult(
            path, student, name, error="no coursekit exercises found in this notebook"
        )
    run = sandbox.Run(isolation, limits, profile)
    submission.clear_outputs(notebook)
    checks = submission.restore_check_cells(notebook, graded, run.folders.private)
    files = {f"{run.folders.work}/{name}.ipynb": data, **sandbox.seed_files(run.folders)}
    session = protocol.Session(
        submission.code_cells(notebook, checks),
        limits,
        run.environment,
        run.folders,
        files,
        sandboxed=bool(isolation.bwrap),
    )
    with run:
        transcript = converse(run, session, {e.id: e for e in graded}, hidden, limits)
    submission.record_errors(notebook, transcript.errors)
    stop = transcript.stop
    stopped = stop.describe(notebook, limits) if stop else ""
    scores = []
    for exercise in graded:
        position = submission.position(notebook, checks.get(exercise.id))
        reached = stop is None or (stop.cell is not None and stop.cell > position)
        scores.append(_score(exercise, position, notebook, transcript, reached, stopped))
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
    regrade=False,
    force=False,
    max_mb=DEFAULT_NOTEBOOK_MB,
    isolation=None,
):
    """Grades submitted notebooks and writes the CSV, the JSON and the feedback files.

    Each submission's result is recorded as soon as it is known, and the outputs are
    regenerated from the records; a run that stopped half-way (interrupted, killed)
    continues where it was when run again. See `coursekit.grading.autograde.batch`.

    Args:
        submissions: notebook files and folders of them (see `collect_submissions`).
        out: the CSV file to write (one row per student).
        limits: the `Limits` (default: `Limits()`).
        profile: the coursekit profile notebooks run with.
        jobs: how many submissions are graded at once, each in its own sandbox.
        hidden_tests: a hidden-tests file (see `coursekit.grading.autograde.hidden`), or
            `None`.
        feedback: the folder for one Markdown file per student
            (default: `feedback/` next to `out`).
        json_out: the JSON file with every check's messages (default: `out` with `.json`).
        log: where progress lines go (`print` by default).
        regrade: grade again the submissions already recorded with the same settings.
        force: overwrite values typed over the grader's columns of an existing CSV.
        max_mb: the largest notebook file read, in megabytes.
        isolation: the `sandbox.Isolation` (default: `sandbox.detect()`).

    Returns:
        The list of `SubmissionResult`s, in the order `collect_submissions` lists them.

    Raises:
        ValueError: for unusable options or output paths, before anything is graded.
    """
    from coursekit.grading.autograde.batch import Batch

    batch = Batch(
        submissions,
        out,
        limits or Limits(),
        profile,
        jobs,
        hidden_tests,
        feedback,
        json_out,
        log,
        regrade,
        force,
        max_mb,
        isolation or sandbox.detect(),
    )
    return batch.run()


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


def _score(exercise, position, notebook, transcript, reached, stopped):
    if exercise.kind == "written":
        return ExerciseScore.of(exercise, None, Status.HAND_GRADED, ("Graded by hand.",))
    result = transcript.checks.get(exercise.id)
    if isinstance(result, Exception):
        message = (f"The check itself failed: {protocol.scrub(repr(result))}",)
        return ExerciseScore.of(exercise, 0, Status.ERROR, message)
    if result is not None:
        return ExerciseScore.of(exercise, result.score, result.status, tuple(result.messages))
    if not reached:
        return ExerciseScore.of(exercise, 0, Status.NOT_RUN, (f"Not graded: {stopped}.",))
    message = _missing_hand_in(exercise, notebook, position)
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
