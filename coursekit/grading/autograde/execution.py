"""Runs a submitted notebook top to bottom in a fresh kernel, within limits.

Every cell has a time limit: past it the kernel is interrupted and the next cell
runs; a cell that ignores the interrupt gets `INTERRUPT_GRACE` more seconds, then
the kernel is killed. A `Guard` kills the kernel when it passes the memory cap.
Errors in cells do not stop the run; a dead kernel does, and `execute` says where
and why.
"""

import dataclasses
import pathlib
import subprocess

from coursekit.grading.autograde.limits import INTERRUPT_GRACE, Guard

_WHY = {
    "memory": "it used more than the {memory_mb} MB memory cap",
    "time": "it ran past the {timeout:g} s time limit and did not stop when interrupted",
    "died": "the kernel died (the code ended or crashed the Python process, e.g. os._exit)",
}


@dataclasses.dataclass(frozen=True)
class Stop:
    """Why a notebook's run ended before its last cell.

    Attributes:
        cell: the index of the cell that was running, or `None` if no cell ran.
        reason: `"memory"`, `"time"`, `"died"` or `"error"`.
        detail: for `"error"`, what went wrong.
    """

    cell: int | None
    reason: str
    detail: str = ""

    def describe(self, notebook, limits):
        """One sentence for feedback, naming the cell by number and first line."""
        if self.cell is None:
            return f"the notebook could not be run: {self.detail}"
        why = _WHY.get(self.reason, self.detail).format(**dataclasses.asdict(limits))
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


def execute(notebook, cwd, limits, env, private_dir):
    """Runs every code cell of `notebook` in place, recording outputs.

    Args:
        notebook: an nbformat notebook; its outputs are replaced.
        cwd: the kernel's working folder.
        limits: the `Limits` (per-cell time, memory cap).
        env: the kernel's environment variables.
        private_dir: a folder only this run uses, for the kernel's sockets.

    Returns:
        A `Stop` if the run ended early, else `None`.
    """
    from nbclient import NotebookClient

    for cell in notebook.cells:
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
    client = NotebookClient(
        notebook,
        timeout=limits.timeout,
        kernel_name="python3",
        allow_errors=True,
        interrupt_on_timeout=True,
        resources={"metadata": {"path": str(cwd)}},
    )
    # Kernels started at the same moment can race for the same TCP port; local
    # sockets in a private folder cannot collide.
    client.create_kernel_manager()
    client.km.transport = "ipc"
    client.km.ip = str(pathlib.Path(private_dir) / "kernel")
    stop = None
    try:
        # The kernel's own start-up chatter is of no use in a grade report.
        with (
            client.setup_kernel(env=env, stderr=subprocess.DEVNULL),
            Guard(client.km.provisioner.pid, limits.memory_mb) as guard,
        ):
            stop = _run_cells(client, notebook, guard, limits)
    except Exception as error:  # the kernel did not start, or did not shut down cleanly
        stop = stop or Stop(None, "error", f"{type(error).__name__}: {error}")
    return stop


def _run_cells(client, notebook, guard, limits):
    from nbclient.exceptions import DeadKernelError

    for index, cell in enumerate(notebook.cells):
        guard.set_deadline(limits.timeout + INTERRUPT_GRACE)
        try:
            client.execute_cell(cell, index)
        except DeadKernelError:
            return Stop(index, guard.reason or "died")
        except Exception as error:
            guard.kill("error")
            return Stop(index, "error", f"{type(error).__name__}: {error}")
        finally:
            guard.set_deadline(None)
    return None
