"""One sandbox per submission: bubblewrap where it works, a plain process where not.

Under bubblewrap (`bwrap`, Debian's `bubblewrap`, unprivileged namespaces), a
submission's worker (`coursekit.grading.autograde.worker`), its kernel and its test
processes see:

- the system (`/usr`, `/etc`, `/sys`), Python and the course environment, read-only;
  of the course source only the `coursekit` package; not the system's secrets
  (`/etc/shadow`, SSH host keys, private TLS keys), which a grader run as root could
  otherwise pass on;
- a private `/tmp` and `/dev/shm` in memory, each at most the memory cap, holding the
  home folder, a copy of that one notebook and the hand-ins; what they store counts
  toward the cap;
- no network, no other process (their own process namespace: everything the
  submission starts dies with it), a clean environment without the grader's
  variables, and nothing of the grader's files: not the other submissions, not the
  outputs, not the hidden tests.

The grader writes every output itself, outside all sandboxes. Without bubblewrap
(macOS, Windows, a container that forbids namespaces) the worker runs as a plain
process with a fresh home folder and environment: grading works the same, but the
submission's code can reach this machine, and other submissions, with the grader's
rights; `Isolation.describe` says so.

`Run` starts one worker and holds it: the byte budget of what is read from it, a
second memory cap (twice the submission's, against a worker stopped from inside),
and cleanup however the grading of that submission ends.
"""

import contextlib
import dataclasses
import functools
import os
import pathlib
import shutil
import subprocess
import sys
import tempfile
import threading
import time

from coursekit.grading.autograde import protocol
from coursekit.grading.autograde.limits import Guard, kill_all, tree

# Variables of the grader's environment a kernel may still see.
PASSED_VARIABLES = (
    "KERAS_BACKEND",
    "CUDA_VISIBLE_DEVICES",
    "OMP_NUM_THREADS",
    "OPENBLAS_NUM_THREADS",
    "MKL_NUM_THREADS",
    "TF_CPP_MIN_LOG_LEVEL",
    "TZ",
)
# Set, the workers' standard error (their tracebacks) goes to the grader's.
DEBUG_VARIABLE = "COURSEKIT_GRADE_DEBUG"
SANDBOX_FOLDERS = protocol.Folders(work="/tmp/work", home="/tmp/home", private="/tmp/grading")
# The worker's own memory is allowed on top of the submission's, then all of it twice.
_OUTER_MARGIN_MB = 256
_SYSTEM = ("/usr", "/etc", "/sys")
_TOP_LINKS = ("/bin", "/sbin", "/lib", "/lib64", "/lib32", "/libx32")
# Hidden inside the read-only system: readable to a grader run as root, so to its sandboxes.
_SECRETS = (
    "/etc/shadow",
    "/etc/shadow-",
    "/etc/gshadow",
    "/etc/gshadow-",
    "/etc/sudoers",
    "/etc/sudoers.d",
    "/etc/ssh",
    "/etc/ssl/private",
)


@dataclasses.dataclass(frozen=True)
class Isolation:
    """How submissions are kept apart.

    Attributes:
        bwrap: the bubblewrap program, or `None` when submissions are not isolated.
        reason: why there is no sandbox.
    """

    bwrap: str | None
    reason: str = ""

    def describe(self):
        """One line for the start of a grading run."""
        if self.bwrap:
            return (
                "Each submission runs in its own bubblewrap sandbox: no network, no view of "
                "other submissions, of the outputs or of the hidden tests."
            )
        return (
            f"WARNING: {self.reason} Submissions are NOT isolated from each other or from "
            "this machine: a submission's code runs with your rights and can read and change "
            "your files, other submissions and their grades. Grade untrusted work where "
            "bubblewrap works (Linux: apt-get install bubblewrap)."
        )


@functools.lru_cache(maxsize=1)
def detect():
    """The `Isolation` this machine allows: bubblewrap if it is installed and works."""
    program = shutil.which("bwrap")
    if program is None:
        return Isolation(None, "bubblewrap (bwrap) is not installed.")
    probe = [program, *_BASE_OPTIONS, "--ro-bind", "/", "/", "--proc", "/proc", "--dev", "/dev"]
    probe += ["--size", str(2**20), "--tmpfs", "/tmp", "true"]
    try:
        result = subprocess.run(probe, capture_output=True, timeout=60, check=False)
    except (OSError, subprocess.TimeoutExpired) as error:
        return Isolation(None, f"bubblewrap could not be started ({error}).")
    if result.returncode != 0:
        why = result.stderr.decode(errors="replace").strip().splitlines()[-1:] or ["?"]
        return Isolation(None, f"bubblewrap cannot make a sandbox here ({why[0]}).")
    return Isolation(program)


def readable_paths():
    """The folders a sandbox sees read-only: the system, Python, the installed packages
    and the `coursekit` package."""
    import coursekit

    roots = list(_SYSTEM)
    candidates = [sys.prefix, sys.base_prefix, sys.exec_prefix, sys.base_exec_prefix]
    candidates += [entry for entry in sys.path if _is_package_folder(entry)]
    candidates.append(str(pathlib.Path(coursekit.__file__).resolve().parent))
    data = _data_cache()
    if data is not None:
        candidates.append(str(data))
    for candidate in candidates:
        real = os.path.realpath(candidate)
        if os.path.exists(real) and not any(_inside(real, root) for root in roots):
            roots = [root for root in roots if not _inside(root, real)] + [real]
    return roots


def visible_in_sandbox(path):
    """Whether a sandbox could read `path` (e.g. a hidden-tests file)."""
    real = os.path.realpath(path)
    return any(_inside(real, root) for root in readable_paths())


def environment(folders, profile, sandboxed):
    """The variables of the worker, the kernel and the test processes."""
    import coursekit

    package_parent = str(pathlib.Path(coursekit.__file__).resolve().parent.parent)
    variables = {
        name: os.environ[name] for name in PASSED_VARIABLES if os.environ.get(name) is not None
    }
    variables.update(
        PATH=os.pathsep.join(
            [os.path.dirname(sys.executable), "/usr/local/bin", "/usr/bin", "/bin"]
        ),
        HOME=folders.home,
        TMPDIR="/tmp" if sandboxed else folders.private,
        LANG="C.UTF-8",
        PYTHONPATH=package_parent,
        PYTHONDONTWRITEBYTECODE="1",
        COURSEKIT_GRADING="1",
        COURSEKIT_PROFILE=profile,
        MPLBACKEND="Agg",
    )
    data = _data_cache()
    if data is not None:
        variables["COURSEKIT_DATA"] = str(data)
    return variables


def seed_files(folders):
    """Files to copy into a fresh home folder: matplotlib's font list, which would
    otherwise be rebuilt (seconds) in every sandbox."""
    try:
        import matplotlib
    except ImportError:
        return {}
    cache = pathlib.Path(matplotlib.get_cachedir())
    target = pathlib.Path(folders.home) / ".cache" / "matplotlib"
    found = {}
    for path in cache.glob("fontlist-*.json"):
        with contextlib.suppress(OSError):
            found[str(target / path.name)] = path.read_bytes()
    return found


_active = set()
_active_lock = threading.Lock()
_stopped = threading.Event()


def stop_all():
    """Kills every process of every sandbox this process has running, and refuses to
    start new ones until `allow_new` is called."""
    _stopped.set()
    with _active_lock:
        running = list(_active)
    for run in running:
        run.stop()


def allow_new():
    """Lets sandboxes start again after `stop_all`."""
    _stopped.clear()


class Run:
    """A worker started for one submission, and held within limits until it ends.

    Use it as a context manager; on leaving it, every process of the submission is
    killed and its temporary folders removed, whatever happened.

    Args:
        isolation: the `Isolation` to use.
        limits: the submission's `Limits`.
        profile: the coursekit profile for its kernel.
    """

    def __init__(self, isolation, limits, profile):
        self.isolation = isolation
        self.limits = limits
        self._temporary = None
        if isolation.bwrap:
            self.folders = SANDBOX_FOLDERS
        else:
            self._temporary = tempfile.mkdtemp(prefix="coursekit-grade-")
            base = pathlib.Path(self._temporary)
            self.folders = protocol.Folders(
                str(base / "work"), str(base / "home"), str(base / "grading")
            )
        self.environment = environment(self.folders, profile, bool(isolation.bwrap))
        self.process = None
        self.events = None
        self._guard = None

    def __enter__(self):
        if _stopped.is_set():
            raise RuntimeError("grading was stopped")
        command = [sys.executable, "-m", "coursekit.grading.autograde.worker"]
        if self.isolation.bwrap:
            command = self._bwrap_command(command)
        self.process = subprocess.Popen(
            command,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=None if os.environ.get(DEBUG_VARIABLE) else subprocess.DEVNULL,
            env=None if self.isolation.bwrap else self.environment,
            cwd="/" if self.isolation.bwrap else self._temporary,
            start_new_session=True,
        )
        self.events = protocol.EventStream(self.process.stdout)
        self._guard = Guard(
            tree(self.process.pid),
            2 * self.limits.memory_mb + _OUTER_MARGIN_MB,
            stores=self._stores(),
        )
        self._guard.__enter__()
        with _active_lock:
            _active.add(self)
        return self

    def stop(self):
        """Kills every process of this sandbox."""
        with contextlib.suppress(Exception):
            kill_all(tree(self.process.pid)())

    def __exit__(self, *exc_info):
        with _active_lock:
            _active.discard(self)
        self.stop()
        self._guard.__exit__(*exc_info)
        with contextlib.suppress(Exception):
            self.process.kill()
        self.process.wait()
        for stream in (self.process.stdin, self.process.stdout):
            with contextlib.suppress(OSError):
                stream.close()
        if self._temporary:
            shutil.rmtree(self._temporary, onerror=_force_remove)
        return False

    @property
    def stopped_for_memory(self):
        """Whether the outer cap stopped the whole sandbox."""
        return self._guard is not None and self._guard.reason == "memory"

    def send(self, value, deadline):
        """Writes a frame to the worker; False if it did not take it before `deadline`."""
        sent = threading.Event()

        def write():
            try:
                protocol.write_frame(self.process.stdin, value)
                sent.set()
            except (OSError, ValueError):  # the worker is gone
                pass

        writer = threading.Thread(target=write, daemon=True)
        writer.start()
        writer.join(max(0.0, deadline - time.monotonic()))
        return sent.is_set()

    def _bwrap_command(self, command):
        size = str(self.limits.memory_mb * 2**20)
        # /tmp first: a course checked out under /tmp is bound into it, not hidden by it.
        options = [self.isolation.bwrap, *_BASE_OPTIONS, "--size", size, "--tmpfs", "/tmp"]
        for root in readable_paths():
            options += ["--ro-bind", root, root]
        for link in _TOP_LINKS:
            if os.path.islink(link):
                options += ["--symlink", os.readlink(link), link]
            elif os.path.isdir(link):
                options += ["--ro-bind", link, link]
        for secret in _SECRETS:
            if os.path.isdir(secret) and not os.path.islink(secret):
                options += ["--tmpfs", secret]
            elif os.path.lexists(secret):
                options += ["--ro-bind", "/dev/null", secret]
        options += ["--proc", "/proc", "--dev", "/dev"]
        options += ["--size", size, "--tmpfs", "/dev/shm"]
        options += ["--chdir", "/tmp", "--clearenv"]
        for name, value in self.environment.items():
            options += ["--setenv", name, value]
        return [*options, "--", *command]

    def _stores(self):
        """The sandbox's in-memory folders as the grader sees them: through the root of
        the worker, once it runs (before, that root may still be this machine's)."""
        if not self.isolation.bwrap:
            return ()
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            for process in tree(self.process.pid)()[1:]:
                with contextlib.suppress(Exception):
                    if process.name() != "bwrap":
                        root = f"/proc/{process.pid}/root"
                        return (f"{root}/tmp", f"{root}/dev/shm")
            time.sleep(0.01)
        return ()


_BASE_OPTIONS = ("--unshare-all", "--die-with-parent", "--new-session")


def _is_package_folder(entry):
    name = os.path.basename(os.path.normpath(entry)) if entry else ""
    return name in ("site-packages", "dist-packages") or (entry or "").endswith(".zip")


def _inside(path, root):
    return path == root or path.startswith(root.rstrip("/") + "/")


def _data_cache():
    from coursekit.data.download import cache_dir

    folder = cache_dir()
    return folder.resolve() if folder.is_dir() else None


def _force_remove(function, path, error_info):
    """Removes what a submission made unremovable (a folder without permissions)."""
    with contextlib.suppress(OSError):
        os.chmod(os.path.dirname(path), 0o700)
        os.chmod(path, 0o700)
        function(path)
