"""The grading process inside one submission's sandbox.

    python -m coursekit.grading.autograde.worker   < session and jobs (frames)

It reads a `protocol.Session`, starts the notebook's kernel and runs its cells
(`execution.run_cells`). After each hand-in cell it asks the grader for the job of that
exercise (`protocol.NeedJob`) and tests the function at once, while the notebook waits:
in a fresh test process (`evaluator`), or in a process forked from the kernel when the
function could not be carried (`evaluator.evaluate_kept`). A later cell that kills the
kernel costs only the exercises after it. Events go to standard output; nothing is
judged here.

Every process of the submission descends from this one (it is their subreaper), and a
`Guard` holds them all to the memory cap. The kernel and test processes are killed
when this process dies. The student's code runs with this process's rights, so it can
stop or fool it: the grader outside trusts none of what it reads from here.
"""

import os
import sys
import traceback

# A kept function is tested in the kernel; the cell that does it gets this much more.
_KEPT_SLACK = 10


class Worker:
    """One session: its folders, its guard, the kernel, and the channel to the grader."""

    def __init__(self, session, requests, results):
        from coursekit.grading.autograde import limits

        self.session = session
        self.requests = requests
        self.results = results
        self.scope = _descendants_but_me()
        stores = ("/tmp", "/dev/shm") if session.sandboxed else ()
        self.guard = limits.Guard(self.scope, session.limits.memory_mb, stores)
        self.kernel = None

    def send(self, event):
        from coursekit.grading.autograde import protocol

        self.send_line(protocol.encode_event(event).encode())

    def send_line(self, line):
        self.results.write(line if line.endswith(b"\n") else line + b"\n")
        self.results.flush()

    def run(self):
        from coursekit.grading.autograde import execution, protocol

        with self.guard:
            try:
                self.kernel = execution.Kernel(self.session.folders, self.session.environment)
            except Exception as error:
                self.send(protocol.NotebookEnded("error", None, f"{type(error).__name__}: {error}"))
                return
            stop = execution.run_cells(
                self.kernel,
                self.session.cells,
                self.session.limits,
                self.guard,
                self.send,
                self.after_cell,
            )
            if stop is None:
                self.send(protocol.NotebookEnded(None, None))
            else:
                self.send(protocol.NotebookEnded(stop.reason, stop.cell, stop.detail))
            self.kernel.shut_down()

    def after_cell(self, index, exercise_id):
        """Tests the function the cell handed in, if it is a hand-in cell and did."""
        from coursekit.grading.autograde import protocol

        folder = self.session.folders.private
        kept = protocol.kept_path(folder, exercise_id) if exercise_id else None
        carried = protocol.hand_in_path(folder, exercise_id) if exercise_id else None
        if exercise_id is None or not (kept.exists() or carried.exists()):
            return
        self.send(protocol.NeedJob(exercise_id))
        job = protocol.read_frame(self.requests)
        if job is None:
            raise SystemExit("the grader closed the session")
        if carried.exists():
            self._test_carried(carried, job)
            carried.unlink(missing_ok=True)
        else:
            self._test_kept(exercise_id, job)
            kept.unlink(missing_ok=True)
        self._sweep()

    def _test_carried(self, path, job):
        from coursekit.grading.autograde import checker

        folders, limits = self.session.folders, self.session.limits
        tally = checker.Tally()

        def forward(line):
            tally.add_line(line)  # an event out of place stops the test as unreadable
            self.send_line(line)

        ended = checker.run_evaluator(
            path, job, limits, forward, folders.work, self.session.environment, self.guard
        )
        self._end_check()
        self.send(ended)

    def _test_kept(self, exercise_id, job):
        from coursekit.grading.autograde import protocol

        folder = self.session.folders.private
        protocol.job_path(folder, exercise_id).write_bytes(job.to_bytes())
        seconds = self.session.limits.timeout
        snippet = (
            "from coursekit.grading.autograde.evaluator import evaluate_kept\n"
            f"evaluate_kept({exercise_id!r}, {str(folder)!r}, {seconds!r})"
        )
        self.guard.reason = None
        self.guard.set_deadline(seconds + _KEPT_SLACK + 5)
        self.kernel.run(snippet, seconds + _KEPT_SLACK, lambda ename, evalue: None)
        self.guard.set_deadline(None)
        ended = _relay_file(protocol.events_path(folder, exercise_id), self.send_line)
        if not ended:
            self.send(protocol.CheckEnded(self.guard.reason or "time", None))
        self._end_check()

    def _end_check(self):
        """Aims the guard at every process again; a kernel it killed stays a stop."""
        self.guard.victims = None
        if self.kernel is not None and self.kernel.alive():
            self.guard.reason = None

    def _sweep(self):
        """Kills what the test left behind: every process but the kernel's."""
        from coursekit.grading.autograde import limits

        keep = {process.pid for process in limits.tree(self.kernel.pid)()}
        limits.kill_all(process for process in self.scope() if process.pid not in keep)


def _relay_file(path, send_line):
    """Forwards the events a kept function's test wrote; True if they end it."""
    from coursekit.grading.autograde import protocol

    try:
        descriptor = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except OSError:
        return False
    with os.fdopen(descriptor, "rb") as handle:
        if not _is_regular(os.fstat(descriptor)):
            return False
        data = handle.read(protocol.MAX_STREAM_BYTES)
    for line in data.splitlines():
        try:
            event = protocol.decode_event(line.decode("utf-8"))
        except (ValueError, UnicodeDecodeError):
            send_line(protocol.encode_event(protocol.CheckEnded("unreadable", None)).encode())
            return True
        send_line(line)
        if isinstance(event, protocol.CheckEnded):
            return True
    return False


def _is_regular(stats):
    import stat

    return stat.S_ISREG(stats.st_mode)


def _descendants_but_me():
    from coursekit.grading.autograde import limits

    everything = limits.tree(os.getpid())
    return lambda: everything()[1:]


def main():
    """Runs one session (see the module docstring)."""
    results = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    from coursekit.grading.autograde import limits, protocol

    limits.die_with_parent()
    limits.become_subreaper()

    requests = sys.stdin.buffer
    session = protocol.read_frame(requests)
    _prepare(session)
    status = 0
    try:
        Worker(session, requests, results).run()
    except BaseException:
        traceback.print_exc()  # to the grader's standard error with COURSEKIT_GRADE_DEBUG
        status = 1
    finally:
        results.flush()
        os._exit(status)  # skips the slow tear-down of the kernel client's sockets


def _prepare(session):
    for folder in (session.folders.work, session.folders.home, session.folders.private):
        os.makedirs(folder, mode=0o700, exist_ok=True)
    for path, data in session.files.items():
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "wb") as handle:
            handle.write(data)
    os.chdir(session.folders.work)


if __name__ == "__main__":
    main()
