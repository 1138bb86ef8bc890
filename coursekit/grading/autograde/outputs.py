"""What `coursekit grade` writes: a CSV for the gradebook, a JSON with every check's
messages, and one Markdown feedback file per student.

A student who submitted several notebooks gets one row and one feedback file. If
one student submitted the same notebook twice, the first file in sorted order
counts and the problem says so. Hidden tests appear only by number.
"""

import csv
import dataclasses
import json
import pathlib
import re


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


def write_csv(results, out):
    """One row per student: a column per exercise (blank when graded by hand), the
    autograded total and maximum, and any problems."""
    records = by_student(results)
    columns = _exercise_ids(results)
    with open(out, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["student", "submissions", *columns, "total", "max", "problems"])
        for record in records:
            scores = {item.id: item.score for result in record.results for item in result.scores}
            writer.writerow(
                [
                    record.student,
                    " ".join(result.path.name for result in record.results),
                    *("" if scores.get(key) is None else scores[key] for key in columns),
                    record.total,
                    record.max_total,
                    " | ".join(record.problems),
                ]
            )


def write_json(results, out, limits, profile):
    """Every student's scores with every check's messages, and the options used."""
    document = {
        "options": {
            "timeout_s": limits.timeout,
            "memory_limit_mb": limits.memory_mb,
            "profile": profile,
        },
        "students": [_student_json(record) for record in by_student(results)],
    }
    pathlib.Path(out).write_text(json.dumps(document, indent=1, ensure_ascii=False) + "\n")


def write_feedback(results, folder):
    """Writes `folder/<student>.md` for each student; returns the paths written."""
    folder = pathlib.Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for record in by_student(results):
        path = folder / f"{_file_name(record.student)}.md"
        path.write_text(feedback_markdown(record), encoding="utf-8")
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


def _file_name(student):
    return re.sub(r"[^A-Za-z0-9._-]+", "_", student).strip("._") or "student"
