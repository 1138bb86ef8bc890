"""A batch of submissions: graded in parallel, recorded as it goes, resumable.

`Batch` checks everything it can before grading anything (options, output paths,
hand edits in an existing CSV, hidden tests out of the sandboxes' sight), then grades
`jobs` submissions at a time, each in its own sandbox, from threads of this process.
Each result is recorded (`store`) the moment it is known, and the CSV, the JSON and
that student's feedback are written again from the records at once. Submissions
recorded earlier with the same file and settings are not graded again unless asked.

On Ctrl-C or SIGTERM the sandboxes are stopped, what was finished is written, and
`KeyboardInterrupt` is raised; a run killed outright loses only the submissions in
progress, and the sandboxes die with it (bubblewrap's `--die-with-parent`).
"""

import concurrent.futures
import contextlib
import signal
import threading

from coursekit.grading.autograde import files, outputs, sandbox, store, submission
from coursekit.grading.autograde.grade import (
    SubmissionResult,
    collect_submissions,
    grade_notebook,
    summary_line,
)
from coursekit.grading.autograde.hidden import NO_HIDDEN_TESTS, HiddenTests


class Batch:
    """One run of `coursekit grade` (see `coursekit.grading.autograde.grade.grade`)."""

    def __init__(
        self,
        submissions,
        out,
        limits,
        profile,
        jobs,
        hidden_tests,
        feedback,
        json_out,
        log,
        regrade,
        force,
        max_mb,
        isolation,
    ):
        if jobs < 1:
            raise ValueError(f"jobs must be at least 1. Received: jobs={jobs}")
        if max_mb <= 0:
            raise ValueError(f"The size limit must be positive. Received: max_mb={max_mb}")
        self.hidden = NO_HIDDEN_TESTS if hidden_tests is None else HiddenTests.load(hidden_tests)
        if (
            hidden_tests is not None
            and isolation.bwrap
            and sandbox.visible_in_sandbox(hidden_tests)
        ):
            raise ValueError(
                f"The hidden tests {hidden_tests} are in a folder every sandbox can read; "
                "keep them outside the Python environment and the course package."
            )
        self.limits, self.profile, self.jobs, self.log = limits, profile, jobs, log
        self.regrade, self.max_mb, self.isolation = regrade, max_mb, isolation
        self.paths = outputs.OutputPaths.check(out, json_out, feedback)
        self.store = store.Store(self.paths.records)
        try:
            self.previous = outputs.Sheet.read(self.paths.csv)
        except ValueError:
            if not force:
                raise
            self.previous = None
        if self.previous is not None and not force:
            _refuse_hand_edits(self.previous, self.store, self.paths.csv)
        self.found = collect_submissions(submissions)
        self.names = files.unique_names(list(dict.fromkeys(student for student, _ in self.found)))
        self.settings = store.settings(limits, profile, self.hidden)
        self._lock = threading.Lock()
        self._stopping = threading.Event()

    def run(self):
        """Grades what is not recorded yet; returns every `SubmissionResult`, in order."""
        self.log(self.isolation.describe())
        sandbox.allow_new()
        results = [None] * len(self.found)
        todo = self._recorded(results)
        try:
            with _interrupted_by_sigterm():
                self._grade_all(todo, results)
        except KeyboardInterrupt:
            self._stopping.set()
            sandbox.stop_all()
            done = sum(result is not None for result in results)
            self.log(f"Interrupted: {done} of {len(results)} submission(s) graded and written.")
            raise
        finally:
            self._write([result for result in results if result is not None])
        return results

    def _recorded(self, results):
        """Fills in the results recorded earlier; returns what is left to grade."""
        todo, recorded_count = [], 0
        for index, (student, path) in enumerate(self.found):
            try:
                data = submission.read_submission(path, self.max_mb)
            except submission.RefusedSubmissionError as error:
                results[index] = SubmissionResult(path, student, None, error=str(error))
                continue
            digest = store.digest(data)
            recorded = None
            if not self.regrade:
                recorded = self.store.load(student, path, digest, self.settings)
            if recorded is None:
                todo.append((index, student, path, data, digest))
            else:
                results[index], recorded_count = recorded, recorded_count + 1
        if recorded_count:
            self.log(
                f"{recorded_count} submission(s) already graded with these settings "
                f"(recorded in {self.paths.records}); --regrade grades them again."
            )
        return todo

    def _grade_all(self, todo, results):
        count = len(results)
        with concurrent.futures.ThreadPoolExecutor(max_workers=self.jobs) as pool:
            futures = [pool.submit(self._grade_one, item) for item in todo]
            try:
                for number, future in enumerate(concurrent.futures.as_completed(futures), 1):
                    index, result, digest = future.result()
                    if self._stopping.is_set():
                        continue
                    results[index] = result
                    with self._lock:
                        self.store.save(result, digest, self.settings)
                        self._write([item for item in results if item is not None], result)
                    self.log(f"[{number}/{len(todo)} of {count}] {summary_line(result)}")
            except BaseException:
                self._stopping.set()
                for future in futures:
                    future.cancel()
                sandbox.stop_all()
                raise

    def _grade_one(self, item):
        index, student, path, data, digest = item
        if self._stopping.is_set():
            return index, None, digest
        try:
            result = grade_notebook(
                path, data, self.limits, self.profile, student, self.hidden, self.isolation
            )
        except Exception as error:  # a grader bug must not cost the rest of the batch
            result = SubmissionResult(path, student, None, error=f"grading failed: {error!r}")
        return index, result, digest

    def _write(self, results, fresh=None):
        """Writes the CSV and the JSON, and the feedback of `fresh`'s student (or all)."""
        outputs.write_csv(results, self.paths.csv, self.previous)
        outputs.write_json(
            results, self.paths.json, self.limits, self.profile, bool(self.isolation.bwrap)
        )
        students = {fresh.student} if fresh is not None else None
        chosen = [result for result in results if students is None or result.student in students]
        outputs.write_feedback(chosen, self.paths.feedback, self.names)


def _refuse_hand_edits(previous, records, path):
    edits = outputs.hand_edits(previous, records.recorded())
    if not edits:
        return
    listed = "; ".join(
        f"{student} {column}: {typed!r} (graded {graded!r})"
        for student, column, typed, graded in edits[:5]
    )
    raise ValueError(
        f"{path} has values typed over the grader's columns ({listed}). Move them to a "
        "column of your own (grading keeps every column it does not write, and the written "
        "answers' columns), or pass --force to overwrite them."
    )


@contextlib.contextmanager
def _interrupted_by_sigterm():
    """SIGTERM stops the batch as Ctrl-C does (in the main thread only)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def interrupt(signum, frame):
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)
