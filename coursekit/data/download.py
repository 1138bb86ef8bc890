"""The download cache: where online datasets live, and the error when one is missing."""

import os
import pathlib

CACHE_VARIABLE = "COURSEKIT_DATA"


class DataUnavailableError(OSError):
    """An online dataset could be neither read from the cache nor downloaded.

    Attributes:
        reason: one sentence saying what went wrong, without the advice.
    """

    def __init__(self, reason):
        self.reason = reason
        super().__init__(
            f"{reason} Without a network connection, use the embedded data instead: "
            "coursekit.data.load('digits', profile) (or the 'fast' profile, which "
            "falls back to it automatically)."
        )


def cache_dir():
    """Returns the folder that holds downloaded datasets.

    `COURSEKIT_DATA` when set, else `$XDG_CACHE_HOME/coursekit`, else
    `~/.cache/coursekit`. The folder is not created here.

    Example:

    >>> cache_dir().name in ("coursekit", os.environ.get("COURSEKIT_DATA", "coursekit"))
    True
    """
    if os.environ.get(CACHE_VARIABLE):
        return pathlib.Path(os.environ[CACHE_VARIABLE]).expanduser()
    base = os.environ.get("XDG_CACHE_HOME") or pathlib.Path.home() / ".cache"
    return pathlib.Path(base).expanduser() / "coursekit"
