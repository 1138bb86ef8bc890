"""Writing the grader's outputs safely, and naming them so that they never collide.

`write_atomic` writes a file the way the grader writes every output: into a new file
beside it, then renamed into place, so a reader (or a run killed half-way) sees the
old file or the new one, never a mix. It never writes through a symbolic link: the
folder must not be one, and a link where the file goes is replaced, not followed.
`safe_name` turns a student's name into a file name that no other student's name
maps to.
"""

import contextlib
import hashlib
import os
import re
import secrets
import stat
import unicodedata

_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")
_HASHED = re.compile(r"-[0-9a-f]{16}$")
_RESERVED = {"con", "prn", "aux", "nul"} | {
    f"{kind}{n}" for kind in ("com", "lpt") for n in range(10)
}


def write_atomic(path, data):
    """Writes `data` (bytes) to `path` atomically, never through a symbolic link.

    Raises:
        OSError: when the folder is a symbolic link or cannot be written.
    """
    folder, name = os.path.split(os.fspath(path))
    folder = folder or "."
    temporary = f".{name}.{secrets.token_hex(6)}.tmp"
    nofollow = getattr(os, "O_NOFOLLOW", 0)
    if os.open not in os.supports_dir_fd:  # pragma: no cover - Windows
        _write_new(os.path.join(folder, temporary), data, nofollow)
        os.replace(os.path.join(folder, temporary), os.path.join(folder, name))
        return
    directory = os.open(folder, os.O_RDONLY | os.O_DIRECTORY | nofollow)
    try:
        _write_new(temporary, data, nofollow, directory)
        try:
            os.replace(temporary, name, src_dir_fd=directory, dst_dir_fd=directory)
        except OSError:
            with contextlib.suppress(OSError):
                os.unlink(temporary, dir_fd=directory)
            raise
    finally:
        os.close(directory)


def read_regular(path, max_bytes):
    """The bytes of a regular file (not through a symbolic link), at most `max_bytes`.

    Raises:
        OSError: when it is not a regular file, or it is larger.
    """
    flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)
    descriptor = os.open(path, flags)
    with os.fdopen(descriptor, "rb") as handle:
        if not stat.S_ISREG(os.fstat(descriptor).st_mode):
            raise OSError(f"{path} is not a regular file")
        data = handle.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise OSError(f"{path} is larger than {max_bytes} bytes")
    return data


def make_folder(path):
    """Makes the folder `path` (and its parents) unless it exists; refuses a symbolic
    link or anything else in its place.

    Raises:
        ValueError: saying what is there instead.
    """
    if os.path.islink(path):
        raise ValueError(f"{path} is a symbolic link; the grader never writes through one.")
    if os.path.exists(path) and not os.path.isdir(path):
        raise ValueError(f"{path} exists and is not a folder.")
    os.makedirs(path, exist_ok=True)


def safe_name(name):
    """The ASCII letters, digits, `.`, `_` and `-` of `name` (accents dropped).

    Example:

    >>> safe_name("zoë"), safe_name("a b"), safe_name(".."), safe_name("张伟")
    ('zoe', 'a_b', '', '')
    """
    folded = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    return _UNSAFE.sub("_", folded).strip("._-")


def unique_names(names):
    """A file name (without suffix) for each name, no two alike, even ignoring case.

    A name that is already safe is kept as it is; any other, and any that would clash,
    gets a hash of the full name (`zoë` -> `zoe-2752b88686847fa5`), which no kept name ends with.

    Example:

    >>> unique_names(["alice", "zoë", "zoé"])["alice"]
    'alice'
    >>> len(set(unique_names(["zoë", "zoé", "张伟", "李娜", "..", "a b", "a_b"]).values()))
    7
    """
    chosen = {}
    for name in names:
        plain = safe_name(name)
        kept = plain == name and not _HASHED.search(plain) and plain.lower() not in _RESERVED
        chosen[name] = plain if kept else _hashed(name)
    folded = {}
    for name, file_name in chosen.items():
        folded.setdefault(file_name.lower(), []).append(name)
    for clashing in folded.values():
        if len(clashing) > 1:
            for name in clashing:
                chosen[name] = _hashed(name)
    if len({file_name.lower() for file_name in chosen.values()}) != len(chosen):
        raise ValueError("Two students' names give the same file name.")  # a 64-bit clash
    return chosen


def _hashed(name):
    digest = hashlib.sha256(name.encode("utf-8", "surrogatepass")).hexdigest()[:16]
    return f"{safe_name(name) or 'student'}-{digest}"


def _write_new(path, data, nofollow, directory=None):
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | nofollow
    descriptor = os.open(path, flags, 0o644, dir_fd=directory)
    with os.fdopen(descriptor, "wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())
