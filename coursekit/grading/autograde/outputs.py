"""What `coursekit grade` writes: a CSV for the gradebook, a JSON with every check's
messages, and one Markdown feedback file per student.

A student who submitted several notebooks gets one row and one feedback file. If
one student submitted the same notebook twice, the first file in sorted order
counts and the problem says so. Hidden tests appear only by number.

Every file is written atomically and never through a symbolic link
(`files.write_atomic`); `OutputPaths.check` refuses unusable paths before grading
starts. Feedback files are named so that no two students share one
(`files.unique_names`), and no CSV cell can start a spreadsheet formula. A CSV that
already exists keeps what was typed into it: the columns of written answers and any
column the grader does not write, row by row, and the rows of students not graded
in this run. `hand_edits` finds values typed over the grader's own columns, which a
new run would replace.
"""

import csv
import dataclasses
import io
import json
import os
import pathlib
import re

from coursekit.grading.autograde import files

_FORMULA = re.compile(r"^'*[=+\-@\t\r]")
_FIXED = ("student", "submissions")
_TOTALS = ("total", "max", "problems")


@dataclasses.dataclass(frozen=True)
class OutputPaths:
    """Where a grading run writes: `csv`, `json`, `feedback` (a folder) and `records`
    (the folder of one record per submission, see `coursekit.grading.autograde.store`)."""

    csv: pathlib.Path
    json: pathlib.Path
    feedback: pathlib.Path
    records: pathlib.Path

    @classmethod
    def check(cls, out, json_out=None, feedback=None):
        """The paths for `--out`, `--json` and `--feedback`, checked and their folders made.

        Raises:
            ValueError: saying which path is unusable and why.
        """
        out = pathlib.Path(out)
        paths = cls(
            out,
            pathlib.Path(json_out) if json_out else out.with_suffix(".json"),
            pathlib.Path(feedback) if feedback else out.parent / "feedback",
            out.parent / f"{out.stem}.graded",
        )
        if out.suffix.lower() != ".csv":
            raise ValueError(f"--out must name a .csv file. Received: --out {out}")
        if paths.json.suffix.lower() != ".json":
            raise ValueError(f"--json must name a .json file. Received: --json {paths.json}")
        for option, path in (("--out", paths.csv), ("--json", paths.json)):
            if path.is_symlink():
                raise ValueError(
                    f"{option} {path} is a symbolic link; the grader never writes through one."
                )
            if path.exists() and not path.is_file():
                raise ValueError(f"{option} {path} exists and is not a file.")
        everything = [os.path.abspath(path) for path in dataclasses.astuple(paths)]
        if len(set(everything)) != len(everything):
            raise ValueError(f"The outputs must be four different paths. Received: {everything}")
        for folder in (paths.csv.parent, paths.json.parent, paths.feedback, paths.records):
            files.make_folder(folder)
            try:
                files.write_atomic(folder / ".coursekit-write-test", b"")
                os.unlink(folder / ".coursekit-write-test")
            except OSError as error:
                raise ValueError(f"Cannot write in {folder}: {error.strerror or error}") from None
        return paths


@dataclasses.dataclass(frozen=True)
class Sheet:
    """A CSV that is already there: its header and its rows by student."""

    header: list
    rows: dict

    @classmethod
    def read(cls, path):
        """The sheet at `path`, or `None` if there is none.

        Raises:
            ValueError: when it cannot be read as the grader's CSV.
        """
        try:
            text = files.read_regular(path, 2**28).decode("utf-8")
        except FileNotFoundError:
            return None
        except (OSError, UnicodeDecodeError) as error:
            raise ValueError(f"{path} cannot be read ({error}).") from None
        reader = csv.reader(io.StringIO(text, newline=""))
        header = [_plain(cell) for cell in next(reader, [])]
        if header[:1] != ["student"]:
            raise ValueError(f"{path} is not a grades CSV: its first column is not 'student'.")
        rows = {}
        for cells in reader:
            row = dict(zip(header, (_plain(cell) for cell in cells), strict=False))
            rows.setdefault(row.get("student", ""), row)
        return cls(header, rows)


@dataclasses.dataclass
class StudentRecord:
    """A student's submissions, merged: at most one per notebook."""

    student: str
    results: list = dataclasses.field(default_factory=list)
    problems: list = dataclasses.field(default_factory=list)

    @property
    def total(self):
        return sum(result.auto_score for result in self.results)

    @property
    def max_total(self):
        return sum(result.auto_max for result in self.results)


def by_student(results):
    """Merges results per student, in order of first appearance."""
    records = {}
    for result in results:
        record = records.setdefault(result.student, StudentRecord(result.student))
        twin = next(
            (
                kept
                for kept in record.results
                if result.notebook and kept.notebook == result.notebook
            ),
            None,
        )
        if twin is not None:
            record.problems.append(
                f"{result.path.name} is a second copy of {result.notebook}; only "
                f"{twin.path.name} counts."
            )
            continue
        record.results.append(result)
        record.problems.extend(f"{result.path.name}: {text}" for text in _problems(result))
    return list(records.values())


def write_csv(results, out, previous=None):
    """One row per student: a column per exercise (blank when graded by hand), the
    autograded total and maximum, and any problems; with what was typed into
    `previous` (a `Sheet`) kept, as the module docstring says."""
    header, rows = table(results)
    if previous is not None:
        header += [column for column in previous.header if column not in header]
        typed = [column for column in header if column not in _grader_columns(results)]
        for row in rows:
            old = previous.rows.get(row["student"], {})
            row.update({column: old[column] for column in typed if old.get(column)})
        graded = {row["student"] for row in rows}
        rows += [row for student, row in previous.rows.items() if student not in graded]
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer)
    writer.writerow([_cell(column) for column in header])
    for row in rows:
        writer.writerow([_cell(row.get(column, "")) for column in header])
    files.write_atomic(out, buffer.getvalue().encode("utf-8", "backslashreplace"))


def table(results):
    """The grader's CSV columns and one row (a dict) per student."""
    columns = _exercise_ids(results)
    header = [*_FIXED, *columns, *_TOTALS]
    rows = []
    for record in by_student(results):
        scores = {item.id: item.score for result in record.results for item in result.scores}
        row = {
            "student": record.student,
            "submissions": " ".join(result.path.name for result in record.results),
            "total": record.total,
            "max": record.max_total,
            "problems": " | ".join(record.problems),
        }
        row.update({key: "" if scores.get(key) is None else scores[key] for key in columns})
        rows.append({key: str(value) for key, value in row.items()})
    return header, rows


def hand_edits(previous, recorded):
    """Values in `previous` (a `Sheet`) typed over the grader's columns, found by
    comparing them with the rows the `recorded` results give.

    Returns:
        `(student, column, typed, graded)` for each difference.
    """
    _, rows = table(recorded)
    grader = _grader_columns(recorded)
    found = []
    for row in rows:
        old = previous.rows.get(row["student"])
        if old is None:
            continue
        for column in sorted(grader & set(previous.header)):
            if old.get(column, "") != row.get(column, ""):
                found.append((row["student"], column, old.get(column, ""), row.get(column, "")))
    return found


def write_json(results, out, limits, profile, isolated=True):
    """Every student's scores with every check's messages, and the options used."""
    document = {
        "options": {
            "timeout_s": limits.timeout,
            "memory_limit_mb": limits.memory_mb,
            "submission_timeout_s": limits.submission_seconds,
            "profile": profile,
            "isolated": isolated,
        },
        "students": [_student_json(record) for record in by_student(results)],
    }
    text = json.dumps(document, indent=1, ensure_ascii=False) + "\n"
    files.write_atomic(out, text.encode("utf-8", "backslashreplace"))


def write_feedback(results, folder, names=None):
    """Writes `folder/<name>.md` for each student; returns the paths written.

    Args:
        names: student -> file name (`files.unique_names` of every student of the run);
            by default, made from the students in `results`.
    """
    folder = pathlib.Path(folder)
    files.make_folder(folder)
    records = by_student(results)
    names = names or files.unique_names([record.student for record in records])
    written = []
    for record in records:
        path = folder / f"{names[record.student]}.md"
        files.write_atomic(path, feedback_markdown(record).encode("utf-8", "backslashreplace"))
        written.append(path)
    return written


def feedback_markdown(record):
    """A student's feedback: points, then what passed, what failed and why."""
    lines = [
        f"# Feedback for {record.student}",
        "",
        f"**{record.total} of {record.max_total} autograded points.** "
        "Written answers are graded by hand.",
    ]
    if record.problems:
        lines += ["", "Problems:", *(f"- {problem}" for problem in record.problems)]
    for result in record.results:
        lines += ["", f"## {result.notebook} ({result.path.name})"]
        for item in result.scores:
            points = (
                f"{item.points} points, graded by hand"
                if item.score is None
                else f"{item.score}/{item.points} points, {item.status}"
            )
            lines += [
                "",
                f"### {item.status.mark} Exercise {item.number} – {item.title} ({points})",
                "",
            ]
            summary, *details = item.messages or ("",)
            lines.append(summary)
            lines += [f"- {detail}" for detail in details]
    return "\n".join(lines) + "\n"


def _student_json(record):
    return {
        "student": record.student,
        "total": record.total,
        "max": record.max_total,
        "problems": record.problems,
        "submissions": [
            {
                "file": result.path.name,
                "notebook": result.notebook,
                "problem": result.error,
                "notes": list(result.notes),
                "exercises": [
                    {
                        "id": item.id,
                        "title": item.title,
                        "points": item.points,
                        "score": item.score,
                        "status": item.status.value,
                        "messages": list(item.messages),
                    }
                    for item in result.scores
                ],
            }
            for result in record.results
        ],
    }


def _problems(result):
    return [text for text in (result.error, *result.notes) if text]


def _exercise_ids(results):
    return sorted(
        {item.id for result in results for item in result.scores},
        key=lambda exercise_id: tuple(int(part) for part in exercise_id.split(".")),
    )


def _grader_columns(results):
    """The columns a run writes itself: all but the written answers'."""
    written = {item.id for result in results for item in result.scores if item.kind != "code"}
    return (
        set(_FIXED) | set(_TOTALS) | {key for key in _exercise_ids(results) if key not in written}
    )


def _cell(value):
    """A CSV cell no spreadsheet reads as a formula: `=1+1` is written `'=1+1`."""
    text = str(value)
    return "'" + text if _FORMULA.match(text) else text


def _plain(cell):
    """The value `_cell` wrote."""
    return cell[1:] if cell.startswith("'") and _FORMULA.match(cell[1:]) else cell
