"""Runs a submitted notebook's code cells top to bottom in a fresh kernel, within limits.

`run_cells` runs in the worker, inside the submission's sandbox. Every cell has a time
limit: past it the kernel is interrupted and the next cell runs; a cell that ignores
the interrupt gets `INTERRUPT_GRACE` more seconds, then every process of the
submission is killed. A `Guard` does the same when they pass the memory cap. Errors in
cells do not stop the run; a dead kernel does, and the returned `Stop` says where and
why. Outputs are dropped as they arrive: only the name and message of errors are
kept, and no message from the kernel may be larger than `MAX_MESSAGE_BYTES`.

`Stop.describe` and `cell_name` run in the grader, on its own copy of the notebook.
"""

import dataclasses
import subprocess
import time

from coursekit.grading.autograde.limits import INTERRUPT_GRACE, die_with_parent

KERNEL_START_SECONDS = 120
MAX_MESSAGE_BYTES = 4 * 2**20
_QUEUED_MESSAGES = 32
# After a cell's reply, its last outputs may take this long to arrive.
_OUTPUT_GRACE = 2.0

_WHY = {
    "memory": "it used more than the {memory_mb} MB memory cap",
    "time": "it ran past the {timeout:g} s time limit and did not stop when interrupted",
    "died": "the kernel died (the code ended or crashed the Python process, e.g. os._exit)",
    "budget": "the submission ran past its {submission_seconds:g} s time budget",
    "output": "it sent the grader more than {stream_mb} MB",
    "protocol": "the grading process in its sandbox sent something it should not",
    "ended": "the grading process in its sandbox ended (was it killed?)",
}


@dataclasses.dataclass(frozen=True)
class Stop:
    """Why a notebook's run ended before its last cell.

    Attributes:
        cell: the index of the cell that was running, or `None` if no cell ran.
        reason: `"memory"`, `"time"`, `"died"` or `"error"` from the worker;
            `"budget"`, `"output"`, `"protocol"` or `"ended"` when the grader stopped
            the whole sandbox (see `_WHY`).
        detail: for `"error"`, what went wrong.
    """

    cell: int | None
    reason: str
    detail: str = ""

    def describe(self, notebook, limits):
        """One sentence for feedback, naming the cell by number and first line."""
        from coursekit.grading.autograde.protocol import MAX_STREAM_BYTES

        values = dict(
            dataclasses.asdict(limits),
            submission_seconds=limits.submission_seconds,
            stream_mb=MAX_STREAM_BYTES >> 20,
        )
        why = _WHY[self.reason].format(**values) if self.reason in _WHY else self.detail
        if self.cell is None:
            return f"the notebook could not be run: {self.detail or why}"
        return f"the kernel was stopped in {cell_name(notebook, self.cell)}: {why}"


def cell_name(notebook, index, first_line=True):
    """The cell's number in the submitted notebook and its first line.

    For example "cell 12 (`while True:`)", or "cell 12" without `first_line`. Check
    cells the grader added are not counted.
    """
    added = [cell.metadata.get("coursekit", {}).get("added", False) for cell in notebook.cells]
    if added[index]:
        return "a check cell the grader added"
    first = next((line.strip() for line in notebook.cells[index].source.split("\n")), "")
    if len(first) > 40:
        first = first[:37] + "..."
    number = index + 1 - sum(added[:index])
    return f"cell {number}" + (f" (`{first}`)" if first and first_line else "")


class Kernel:
    """A kernel started in `folders.work`, its sockets in `folders.private`.

    Args:
        folders: the session's `protocol.Folders`.
        environment: the kernel's environment variables.
    """

    def __init__(self, folders, environment):
        import zmq
        from jupyter_client.manager import KernelManager

        self._context = zmq.Context()
        # Set before any socket exists, so every socket of the client gets them.
        self._context.setsockopt(zmq.MAXMSGSIZE, MAX_MESSAGE_BYTES)
        self._context.setsockopt(zmq.RCVHWM, _QUEUED_MESSAGES)
        self.manager = KernelManager(kernel_name="python3", transport="ipc")
        self.manager.ip = f"{folders.private}/kernel"
        self.manager.connection_file = f"{folders.private}/kernel.json"
        self.manager.start_kernel(
            cwd=folders.work,
            env=environment,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            preexec_fn=die_with_parent,
        )
        self.pid = self.manager.provisioner.process.pid
        self.client = self.manager.client(context=self._context)
        self.client.start_channels(shell=True, iopub=True, stdin=False, hb=False, control=False)
        self.client.wait_for_ready(timeout=KERNEL_START_SECONDS)

    def alive(self):
        return self.manager.is_alive()

    def run(self, source, timeout, on_error):
        """Runs one cell; calls `on_error(ename, evalue)` for each error it shows.

        Returns:
            `None`, or `"died"` when the kernel is gone.
        """
        message_id = self.client.execute(source, store_history=True, allow_stdin=False)
        deadline = time.monotonic() + timeout
        replied, idle, interrupted = None, False, False
        while not (replied and idle):
            if not self.alive():
                return "died"
            now = time.monotonic()
            if replied and now > replied + _OUTPUT_GRACE:
                break
            if not replied and not interrupted and now > deadline:
                self.manager.interrupt_kernel()
                interrupted = True
            idle = self._read_outputs(message_id, on_error) or idle
            if not replied and self._replied(message_id):
                replied = time.monotonic()
        return None

    def shut_down(self):
        import contextlib

        with contextlib.suppress(Exception):
            self.client.stop_channels()
        with contextlib.suppress(Exception):
            self.manager.kill_kernel()
        with contextlib.suppress(Exception):
            self.manager.cleanup_resources()
        self._context.destroy(linger=0)

    def _read_outputs(self, message_id, on_error):
        """Drops the outputs waiting on iopub, except errors; True once the cell is idle."""
        idle = False
        if not self.client.iopub_channel.socket.poll(50):
            return False
        for message in _waiting(self.client.iopub_channel):
            if message.get("parent_header", {}).get("msg_id") != message_id:
                continue
            kind, content = message.get("msg_type"), message.get("content", {})
            if kind == "error":
                on_error(str(content.get("ename", "")), str(content.get("evalue", "")))
            elif kind == "status" and content.get("execution_state") == "idle":
                idle = True
        return idle

    def _replied(self, message_id):
        for message in _waiting(self.client.shell_channel):
            if message.get("parent_header", {}).get("msg_id") == message_id:
                return True
        return False


def _waiting(channel):
    """The messages waiting on a channel, without blocking."""
    import queue

    while True:
        try:
            yield channel.get_msg(timeout=0)
        except queue.Empty:
            return


def run_cells(kernel, cells, limits, guard, send, after_cell):
    """Runs `(index, source, exercise)` cells in `kernel`, reporting as it goes.

    Args:
        kernel: a started `Kernel`.
        cells: the session's cells.
        limits: the `Limits`.
        guard: the `Guard` watching every process of the submission.
        send: sends an event to the grader.
        after_cell: called with `(index, exercise)` after each cell that ran.

    Returns:
        A `Stop` if the run ended early, else `None`.
    """
    from coursekit.grading.autograde import protocol

    for index, source, exercise in cells:
        send(protocol.CellStarted(index))
        guard.set_deadline(limits.timeout + INTERRUPT_GRACE)

        def on_error(ename, evalue, index=index):
            send(protocol.CellError(index, ename, evalue))

        try:
            died = kernel.run(source, limits.timeout, on_error)
        except Exception as error:
            guard.kill("error")
            return Stop(index, "error", f"{type(error).__name__}: {error}")
        finally:
            guard.set_deadline(None)
        if died or guard.reason:
            return Stop(index, guard.reason or "died")
        after_cell(index, exercise)
        if guard.reason:
            return Stop(index, guard.reason)
    return None
