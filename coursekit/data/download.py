"""The download cache: fetch a file once, verify it, and never trust a partial one.

Files live in `cache_dir()`: `COURSEKIT_DATA` when set, else the user cache folder
(`$XDG_CACHE_HOME/coursekit`, by default `~/.cache/coursekit`). A download goes to a
temporary file in the same folder, is flushed to disk, checked against the pinned
size and SHA-256 and only then renamed into place with `os.replace`, which is atomic:
an interrupted run leaves no file that a later run would read. A cached file whose
size or checksum is wrong is reported and fetched again.
"""

import contextlib
import dataclasses
import hashlib
import os
import pathlib
import tempfile
import urllib.request

CACHE_VARIABLE = "COURSEKIT_DATA"
CHUNK_BYTES = 1 << 20
TIMEOUT_SECONDS = 60
ATTEMPTS = 2
DIGITS_FALLBACK = "coursekit.data.load('digits', profile)"


class DataUnavailableError(OSError):
    """An online dataset could be neither read from the cache nor downloaded.

    Args:
        reason: one sentence saying what went wrong, without the advice.
        fallback: the offline data to use instead, as the advice names it.

    Attributes:
        reason: the `reason` given.
    """

    def __init__(self, reason, fallback=DIGITS_FALLBACK):
        self.reason = reason
        super().__init__(
            f"{reason} Without a network connection, use the embedded data instead: "
            f"{fallback} (or the 'fast' profile, which falls back to it automatically)."
        )


@dataclasses.dataclass(frozen=True)
class RemoteFile:
    """A file to download, with the size and SHA-256 it must have.

    Args:
        name: the dataset's name, used in messages.
        url: where to fetch it from (`https://`, or `file://` in tests).
        size: its size in bytes.
        sha256: its SHA-256 as 64 lowercase hex digits.
    """

    name: str
    url: str
    size: int
    sha256: str

    @property
    def filename(self):
        return self.url.rstrip("/").rsplit("/", 1)[-1]


def cache_dir():
    """Returns the folder that holds downloaded datasets (it may not exist yet).

    Example:

    >>> os.environ["COURSEKIT_DATA"] = "/tmp/course-data"
    >>> cache_dir()
    PosixPath('/tmp/course-data')
    >>> del os.environ["COURSEKIT_DATA"]
    """
    if os.environ.get(CACHE_VARIABLE):
        return pathlib.Path(os.environ[CACHE_VARIABLE]).expanduser()
    base = os.environ.get("XDG_CACHE_HOME") or pathlib.Path.home() / ".cache"
    return pathlib.Path(base).expanduser() / "coursekit"


def fetch(remote, *, download=True, opener=urllib.request.urlopen, progress=True):
    """Returns the path of a verified copy of `remote` in the cache, downloading it if needed.

    Args:
        remote: the `RemoteFile`.
        download: whether a missing or corrupt file may be fetched. When `False`,
            only a verified cached copy is returned.
        opener: opens a URL, `opener(url, timeout=...)`, and returns a readable
            response (`urllib.request.urlopen` by default; tests inject others).
        progress: whether to print a progress bar while downloading.

    Returns:
        The `pathlib.Path` of the cached file.

    Raises:
        DataUnavailableError: when the file is not cached and `download` is `False`,
            when the download fails (offline: any `OSError`, `URLError` included), or
            when the downloaded file fails verification twice.
    """
    path = cache_dir() / remote.filename
    if path.exists():
        problem = verification_problem(path, remote)
        if problem is None:
            return path
        if not download:
            raise DataUnavailableError(
                f"The cached {path} is damaged ({problem}); pass download=True to fetch it again."
            )
        print(f"The cached {path} is damaged ({problem}); fetching it again.")
    elif not download:
        raise DataUnavailableError(
            f"{remote.name!r} is not in the cache ({path}); pass download=True to fetch "
            f"it ({remote.size / 1e6:.0f} MB)."
        )
    path.parent.mkdir(parents=True, exist_ok=True)
    for attempt in range(1, ATTEMPTS + 1):
        problem = _download_verified(remote, path, opener, progress)
        if problem is None:
            return path
        print(f"Download {attempt} of {remote.filename} failed verification: {problem}.")
    raise DataUnavailableError(
        f"The download of {remote.name!r} from {remote.url} keeps failing verification ({problem})."
    )


def verification_problem(path, remote):
    """Returns why the file at `path` is not `remote` (wrong size or SHA-256), or `None`.

    Example:

    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     path = pathlib.Path(folder) / "hello.txt"
    ...     _ = path.write_bytes(b"hello")
    ...     expected = hashlib.sha256(b"hello").hexdigest()
    ...     print(verification_problem(path, RemoteFile("hello", "file:///hello.txt", 5, expected)))
    ...     print(verification_problem(path, RemoteFile("hello", "file:///hello.txt", 6, expected)))
    None
    size 5 bytes, expected 6
    """
    size = path.stat().st_size
    if size != remote.size:
        return _mismatch(size, None, remote)
    digest = hashlib.sha256()
    with open(path, "rb") as file:
        for chunk in iter(lambda: file.read(CHUNK_BYTES), b""):
            digest.update(chunk)
    return _mismatch(size, digest, remote)


@contextlib.contextmanager
def atomic_write(path):
    """Opens a temporary file next to `path` for writing; on success, moves it into place.

    The data is flushed and fsync'ed before the atomic `os.replace`. If the block
    raises, the temporary file is removed and `path` is left untouched.

    Example:

    >>> with tempfile.TemporaryDirectory() as folder:
    ...     path = pathlib.Path(folder) / "out.bin"
    ...     with atomic_write(path) as file:
    ...         _ = file.write(b"abc")
    ...     path.read_bytes(), len(os.listdir(folder))
    (b'abc', 1)
    """
    path = pathlib.Path(path)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".part")
    try:
        with os.fdopen(handle, "wb") as file:
            yield file
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.remove(temporary)
        raise


class _VerificationError(Exception):
    """Raised inside `atomic_write` to discard a download that failed verification."""


def _mismatch(size, digest, remote):
    if size != remote.size:
        return f"size {size} bytes, expected {remote.size}"
    if digest.hexdigest() != remote.sha256:
        return f"SHA-256 {digest.hexdigest()}, expected {remote.sha256}"
    return None


def _download_verified(remote, path, opener, progress):
    digest = hashlib.sha256()
    bar = ProgressBar(remote.filename, remote.size) if progress else None
    try:
        with atomic_write(path) as file:
            with opener(remote.url, timeout=TIMEOUT_SECONDS) as response:
                for chunk in iter(lambda: response.read(CHUNK_BYTES), b""):
                    file.write(chunk)
                    digest.update(chunk)
                    if bar:
                        bar.update(len(chunk))
            problem = _mismatch(file.tell(), digest, remote)
            if problem:
                raise _VerificationError(problem)
    except _VerificationError as failure:
        return str(failure)
    except OSError as error:
        raise DataUnavailableError(
            f"Could not download {remote.name!r} from {remote.url} ({error})."
        ) from error
    return None


class ProgressBar:
    """A text progress bar: one line per tenth of the transfer, readable in logs.

    Args:
        label: what is being transferred.
        total: the expected number of bytes.

    Example:

    >>> bar = ProgressBar("file.bin", total=4_000_000)
    >>> bar.update(1_000_000)
    file.bin [#####---------------]  25%   1.0/4.0 MB
    >>> bar.update(100_000)
    >>> bar.update(2_900_000)
    file.bin [####################] 100%   4.0/4.0 MB
    """

    width = 20

    def __init__(self, label, total):
        self.label, self.total = label, max(total, 1)
        self.done = 0
        self.next_tenth = 1

    def update(self, num_bytes):
        self.done += num_bytes
        tenths = min(10, self.done * 10 // self.total)
        if tenths < self.next_tenth:
            return
        self.next_tenth = tenths + 1
        fraction = min(1.0, self.done / self.total)
        filled = round(fraction * self.width)
        bar = "#" * filled + "-" * (self.width - filled)
        print(
            f"{self.label} [{bar}] {fraction:4.0%} {self.done / 1e6:5.1f}/{self.total / 1e6:.1f} MB",
            flush=True,
        )
