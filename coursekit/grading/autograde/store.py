"""One record per graded submission, written the moment its result is known.

A grading run keeps a folder of records next to its CSV (`results.graded/` for
`results.csv`): one JSON file per submission, written atomically (`files.write_atomic`),
with the submission's result, the SHA-256 of the file graded and the settings it was
graded with. The CSV, the JSON and the feedback are regenerated from the records, so
a run that is interrupted, even killed, loses only the submissions in progress; run
again, it grades only what has no record for the same file and settings.
"""

import dataclasses
import hashlib
import json
import os
import pathlib

from coursekit.grading.autograde import files
from coursekit.grading.status import Status


def digest(data):
    """The SHA-256 of a submitted file's bytes, in hex."""
    return hashlib.sha256(data).hexdigest()


def settings(limits, profile, hidden):
    """What a result depends on besides the file: limits, profile, hidden tests, course."""
    from coursekit import __version__
    from coursekit.grading.registry import exercises

    course = [(e.id, e.title, e.points, e.target) for e in exercises()]
    return {
        "timeout_s": limits.timeout,
        "memory_limit_mb": limits.memory_mb,
        "submission_timeout_s": limits.submission_seconds,
        "profile": profile,
        "hidden_tests": digest(hidden.source.encode()) if hidden.source else "",
        "coursekit": __version__,
        "exercises": digest(json.dumps(course).encode()),
    }


class Store:
    """The records of one output folder.

    Args:
        folder: the records folder (made if missing; never a symbolic link).
    """

    def __init__(self, folder):
        self.folder = pathlib.Path(folder)

    def load(self, student, path, file_digest, current):
        """The recorded `SubmissionResult` of this file, if graded with `current`
        settings, else `None`."""
        try:
            record = json.loads(files.read_regular(self._path(student, path), 2**26))
        except (OSError, ValueError):
            return None
        expected = {"student": student, "path": _key(path), "digest": file_digest}
        if any(record.get(key) != value for key, value in expected.items()):
            return None
        if record.get("settings") != current:
            return None
        try:
            return from_json(record["result"])
        except (KeyError, TypeError, ValueError):
            return None

    def save(self, result, file_digest, current):
        """Records `result` (atomically: a reader sees the old record or the new one)."""
        record = {
            "student": result.student,
            "path": _key(result.path),
            "digest": file_digest,
            "settings": current,
            "result": to_json(result),
        }
        text = json.dumps(record, indent=1) + "\n"
        files.write_atomic(self._path(result.student, result.path), text.encode("ascii"))

    def recorded(self):
        """Every `SubmissionResult` in the folder, whatever its settings."""
        found = []
        for path in sorted(self.folder.glob("*.json")):
            try:
                found.append(from_json(json.loads(files.read_regular(path, 2**26))["result"]))
            except (OSError, ValueError, KeyError, TypeError):
                continue
        return found

    def _path(self, student, path):
        key = digest(f"{student}\0{_key(path)}".encode(errors="surrogateescape"))[:24]
        return self.folder / f"{files.safe_name(student) or 'student'}-{key}.json"


def to_json(result):
    """A `SubmissionResult` as JSON-compatible data."""
    data = dataclasses.asdict(result)
    data["path"] = str(result.path)
    data["scores"] = [
        dict(dataclasses.asdict(item), status=item.status.value) for item in result.scores
    ]
    data["notes"] = list(result.notes)
    for item in data["scores"]:
        item["messages"] = list(item["messages"])
    return data


def from_json(data):
    """The `SubmissionResult` that `to_json` wrote."""
    from coursekit.grading.autograde.grade import ExerciseScore, SubmissionResult

    scores = tuple(
        ExerciseScore(**dict(item, status=Status(item["status"]), messages=tuple(item["messages"])))
        for item in data["scores"]
    )
    return SubmissionResult(
        pathlib.Path(data["path"]),
        data["student"],
        data["notebook"],
        scores,
        data["error"],
        tuple(data["notes"]),
    )


def _key(path):
    return os.path.abspath(path)
