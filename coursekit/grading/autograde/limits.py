"""Time and memory limits for the processes that run student code.

A `Guard` watches a group of processes from a thread: it measures their memory every
few milliseconds and kills them when it passes the memory cap, or when a deadline
passes.

What counts as memory (`Meter`): the resident memory of the processes, the files in
the submission's in-memory file systems (its `/tmp` and `/dev/shm` in the sandbox),
and anonymous in-memory files (`memfd_create`). Pages shared between processes, as
after a `fork`, count once, split between their users (proportional set size, PSS):
three workers reading one 600 MB array use 600 MB, not 2.4 GB. Shared memory counts
as the larger of what is mapped and what is stored, so a file in `/dev/shm` that a
process maps is not counted twice.

Why polling and not `resource.setrlimit`: TensorFlow reserves far more virtual memory
than it uses (importing it and running one Keras layer maps about 2 GB while about 650
MB is resident), and with `RLIMIT_AS` at 1 GB `import tensorflow` aborts with
`std::bad_alloc`; `RLIMIT_DATA` turns an over-allocation into a `MemoryError` the
student's code can catch and carry on from. Polling measures what a notebook really
uses and stops it from outside.
"""

import contextlib
import dataclasses
import os
import sys
import threading
import time

DEFAULT_CELL_TIMEOUT = 120
DEFAULT_MEMORY_MB = 4096
# The largest notebook file read, in megabytes.
DEFAULT_NOTEBOOK_MB = 50
# Without --submission-timeout, a submission may take this many cell time limits in all.
SUBMISSION_TIMEOUTS = 10
# After a cell's time limit the kernel is interrupted; if the cell still runs this
# many seconds later (it ignores KeyboardInterrupt), the kernel is killed.
INTERRUPT_GRACE = 5
POLL_SECONDS = 0.02
# Children and in-memory files are looked up less often than memory is read.
_SCAN_EVERY = 10
# Reading proportional set sizes is slow for large processes (75 ms for TensorFlow):
# it is done only above the cap, and at most this often.
_PRECISE_SECONDS = 0.25


@dataclasses.dataclass(frozen=True)
class Limits:
    """What one submission may use.

    Attributes:
        timeout: seconds a notebook cell may run, and seconds the checks of one
            exercise may run in the grader's test process.
        memory_mb: megabytes of memory everything one submission runs at once may use.
        submission_timeout: seconds the whole submission may take (`None`:
            `SUBMISSION_TIMEOUTS` times `timeout`).
    """

    timeout: float = DEFAULT_CELL_TIMEOUT
    memory_mb: int = DEFAULT_MEMORY_MB
    submission_timeout: float | None = None

    def __post_init__(self):
        if not self.timeout > 0:
            raise ValueError(f"The time limit must be positive. Received: timeout={self.timeout}")
        if not self.memory_mb > 0:
            raise ValueError(
                f"The memory cap must be positive. Received: memory_mb={self.memory_mb}"
            )
        if self.submission_timeout is not None and not self.submission_timeout > 0:
            raise ValueError(
                "The time limit of a submission must be positive. "
                f"Received: submission_timeout={self.submission_timeout}"
            )

    @property
    def submission_seconds(self):
        """The wall-clock budget of one submission."""
        return self.submission_timeout or SUBMISSION_TIMEOUTS * self.timeout


def tree(pid):
    """A scope for `Guard`: the process `pid` and all its descendants."""
    import psutil

    root = psutil.Process(pid)

    def processes():
        try:
            return [root, *root.children(recursive=True)]
        except psutil.Error:
            return []

    return processes


def everything_but(*pids):
    """A scope for `Guard`: every process this one can see, except `pids`. In a
    sandbox with its own process namespace, that is everything the submission runs."""
    import psutil

    def processes():
        found = []
        for pid in psutil.pids():
            if pid not in pids:
                with contextlib.suppress(psutil.Error):
                    found.append(psutil.Process(pid))
        return found

    return processes


class Meter:
    """Measures the memory of processes and of the file systems they write to (see
    the module docstring).

    Args:
        stores: paths of in-memory file systems (tmpfs) whose used space counts.
    """

    def __init__(self, stores=()):
        self._stores = tuple(stores)
        self._memfds = 0
        self._scans = 0
        self._precise = None  # (bytes, quick measure then, time)

    def measure(self, processes, limit):
        """The memory in use, in bytes; exact (PSS-based) whenever it is above `limit`."""
        if self._scans % _SCAN_EVERY == 0:
            self._memfds = _memfd_bytes(processes)
        self._scans += 1
        stored = sum(_used_bytes(path) for path in self._stores) + self._memfds
        quick = sum(_resident(process) for process in processes) + stored
        if quick <= limit:
            self._precise = None
            return quick
        if self._precise is not None:
            precise, quick_then, when = self._precise
            estimate = precise + max(0, quick - quick_then)
            if estimate <= limit and time.monotonic() - when < _PRECISE_SECONDS:
                return estimate
        precise = _proportional(processes, stored)
        self._precise = (precise, quick, time.monotonic())
        return precise


class Guard:
    """Kills a group of processes that passes a memory cap or a deadline.

    Use it as a context manager around the life of the processes; `reason` then says
    why they were killed (`"memory"` or `"time"`), or is `None`.

    Args:
        scope: a function returning the `psutil.Process`es to measure (see `tree`,
            `everything_but`), or a process id for that process and its descendants.
        memory_mb: the memory cap in megabytes.
        stores: in-memory file systems whose contents count (see `Meter`).
        victims: a function returning the processes to kill first (`None`: `scope`);
            if memory stays above the cap once they are gone, the rest is killed.
            It may be changed while the guard watches.
    """

    def __init__(self, scope, memory_mb, stores=(), victims=None):
        self._scope = tree(scope) if isinstance(scope, int) else scope
        self.victims = victims
        self._limit = memory_mb * 2**20
        self._meter = Meter(stores)
        self._deadline = None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, daemon=True)
        self.reason = None

    def set_deadline(self, seconds):
        """Kills the processes `seconds` from now (`None`: no deadline)."""
        self._deadline = None if seconds is None else time.monotonic() + seconds

    def kill(self, reason, everything=False):
        """Kills the victims (or every process in scope) now and records why."""
        if self.reason is None:
            self.reason = reason
        kill_all((self._scope if everything or self.victims is None else self.victims)())

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc_info):
        self._stop.set()
        self._thread.join()
        return False

    def _watch(self):
        import psutil

        processes, polls = [], 0
        while not self._stop.wait(POLL_SECONDS):
            if polls % _SCAN_EVERY == 0:
                processes = self._scope()
            polls += 1
            try:
                used = self._meter.measure(processes, self._limit)
            except psutil.Error:
                processes = self._scope()
                continue
            if used > self._limit:
                self.kill("memory", everything=self.reason == "memory")
                processes = self._scope()
            elif self._deadline is not None and time.monotonic() > self._deadline:
                self.kill("time")
                self._deadline = None


def kill_all(processes):
    """Kills the processes (SIGKILL); those already gone are skipped."""
    import psutil

    for process in processes:
        with contextlib.suppress(psutil.Error):
            process.kill()


def die_with_parent():
    """Linux: this process gets SIGKILL when its parent dies (also as `preexec_fn`:
    call it once in the parent first, so the child imports nothing)."""
    _prctl(1, 9)  # PR_SET_PDEATHSIG, SIGKILL


def become_subreaper():
    """Linux: orphans of this process's descendants become its children, not init's."""
    _prctl(36, 1)  # PR_SET_CHILD_SUBREAPER


_libc = []


def _prctl(option, value):
    if not sys.platform.startswith("linux"):
        return
    if not _libc:
        import ctypes

        _libc.append(ctypes.CDLL(None, use_errno=True))
    _libc[0].prctl(option, value)


def _resident(process):
    import psutil

    try:
        return process.memory_info().rss
    except psutil.Error:
        return 0


def _used_bytes(path):
    try:
        stats = os.statvfs(path)
    except OSError:
        return 0
    return (stats.f_blocks - stats.f_bfree) * stats.f_frsize


def _proportional(processes, stored):
    """Private PSS of every process, plus shared memory counted once: the larger of
    what the processes map and what is `stored` in in-memory files."""
    private = mapped = 0
    for process in processes:
        sizes = _smaps_rollup(process.pid)
        if sizes is None:
            private += _resident(process)
            continue
        private += sizes.get("Pss", 0) - sizes.get("Pss_Shmem", 0)
        mapped += sizes.get("Pss_Shmem", 0)
    return private + max(mapped, stored)


def _smaps_rollup(pid):
    """`{"Pss": bytes, "Pss_Shmem": bytes}` from Linux's summary of the process's
    mappings, or `None` where there is none."""
    try:
        with open(f"/proc/{pid}/smaps_rollup", encoding="ascii") as handle:
            text = handle.read()
    except OSError:
        return None
    sizes = {}
    for line in text.splitlines():
        key, _, value = line.partition(":")
        if key in ("Pss", "Pss_Shmem"):
            sizes[key] = int(value.split()[0]) * 1024
    return sizes if "Pss" in sizes else None


def _memfd_bytes(processes):
    """The size of the distinct anonymous in-memory files the processes hold open."""
    seen, total = set(), 0
    for process in processes:
        folder = f"/proc/{process.pid}/fd"
        try:
            names = os.listdir(folder)
        except OSError:
            continue
        for name in names:
            path = f"{folder}/{name}"
            try:
                if not os.readlink(path).startswith("/memfd:"):
                    continue
                stats = os.stat(path)
            except OSError:
                continue
            if (stats.st_dev, stats.st_ino) not in seen:
                seen.add((stats.st_dev, stats.st_ino))
                total += stats.st_size
    return total
