"""Time and memory limits for the processes that run student code.

A `Guard` watches one process and its children from a thread: it adds up their
resident memory (RSS) every few milliseconds and kills the whole tree when the
sum passes the memory cap, or when a deadline passes.

Why RSS polling and not `resource.setrlimit`: TensorFlow reserves far more
virtual memory than it uses (importing it and running one Keras layer maps about
2 GB while about 650 MB is resident), and with `RLIMIT_AS` at 1 GB `import
tensorflow` aborts with `std::bad_alloc`; `RLIMIT_DATA` turns an over-allocation
into a `MemoryError` the student's code can catch and carry on from. Polling
measures what a notebook really uses and stops it from outside.
"""

import contextlib
import dataclasses
import threading
import time

DEFAULT_CELL_TIMEOUT = 120
DEFAULT_MEMORY_MB = 4096
# After a cell's time limit the kernel is interrupted; if the cell still runs this
# many seconds later (it ignores KeyboardInterrupt), the kernel is killed.
INTERRUPT_GRACE = 5
POLL_SECONDS = 0.02
# Children are looked up less often than memory is read: listing them scans /proc.
_CHILDREN_EVERY = 10


@dataclasses.dataclass(frozen=True)
class Limits:
    """What one submission may use.

    Attributes:
        timeout: seconds a notebook cell may run, and seconds the checks of one
            exercise may run in the grader's test process.
        memory_mb: megabytes of resident memory the kernel (with its child
            processes), and each test process, may use.
    """

    timeout: float = DEFAULT_CELL_TIMEOUT
    memory_mb: int = DEFAULT_MEMORY_MB

    def __post_init__(self):
        if not self.timeout > 0:
            raise ValueError(f"The time limit must be positive. Received: timeout={self.timeout}")
        if not self.memory_mb > 0:
            raise ValueError(
                f"The memory cap must be positive. Received: memory_mb={self.memory_mb}"
            )


class Guard:
    """Kills a process tree that passes a memory cap or a deadline.

    Use it as a context manager around the life of the process; `reason` then says
    why it was killed (`"memory"` or `"time"`), or is `None`.

    Args:
        pid: the process to watch (its children are watched too).
        memory_mb: the memory cap in megabytes.
    """

    def __init__(self, pid, memory_mb):
        import psutil

        self._root = psutil.Process(pid)
        self._limit = memory_mb * 2**20
        self._deadline = None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, daemon=True)
        self.reason = None

    def set_deadline(self, seconds):
        """Kills the tree `seconds` from now (`None`: no deadline)."""
        self._deadline = None if seconds is None else time.monotonic() + seconds

    def kill(self, reason):
        """Kills the process tree now and records why."""
        import psutil

        if self.reason is None:
            self.reason = reason
        try:
            processes = [*self._root.children(recursive=True), self._root]
        except psutil.Error:
            processes = [self._root]
        for process in processes:
            with contextlib.suppress(psutil.Error):
                process.kill()

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc_info):
        self._stop.set()
        self._thread.join()
        return False

    def _watch(self):
        import psutil

        processes, polls = [self._root], 0
        while not self._stop.wait(POLL_SECONDS):
            try:
                if polls % _CHILDREN_EVERY == 0:
                    processes = [self._root, *self._root.children(recursive=True)]
                polls += 1
                resident = _resident(self._root, processes)
            except psutil.Error:
                return  # the process is gone
            if resident > self._limit:
                self.kill("memory")
                return
            if self._deadline is not None and time.monotonic() > self._deadline:
                self.kill("time")
                return


def _resident(root, processes):
    """The summed RSS of `processes`; raises `psutil.Error` once `root` is gone."""
    import psutil

    total = 0
    for process in processes:
        try:
            total += process.memory_info().rss
        except psutil.Error:
            if process is root:
                raise
    return total
