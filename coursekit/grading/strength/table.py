"""The strength report: a table row per exercise, then every survivor with its input."""

import pathlib

from coursekit.grading.fuzz import describe_call

COLUMNS = (
    ("exercise", 8),
    ("function", 26),
    ("mutants", 7),
    ("equivalent", 10),
    ("observably wrong", 16),
    ("rejected", 8),
    ("accepted", 8),
    ("score", 7),
)


def header():
    """The table's header line."""
    return "  ".join(_cell(name, width, index) for index, (name, width) in enumerate(COLUMNS))


def row(strength):
    """One exercise's line of the table."""
    values = (
        strength.exercise.id,
        strength.exercise.target,
        *strength.counts,
        f"{strength.score:.1f}%",
    )
    return "  ".join(
        _cell(str(value), width, index)
        for index, (value, (_, width)) in enumerate(zip(values, COLUMNS, strict=True))
    )


def total(strengths):
    """The table's last line: the counts summed over every exercise measured."""
    sums = [sum(column) for column in zip(*(s.counts for s in strengths), strict=True)]
    _, _, wrong, rejected, accepted = sums
    score = 100.0 if wrong == accepted else 100.0 * rejected / (wrong - accepted)
    values = ("all", "", *sums, f"{score:.1f}%")
    return "  ".join(
        _cell(str(value), width, index)
        for index, (value, (_, width)) in enumerate(zip(values, COLUMNS, strict=True))
    )


def survivors(strengths, root="."):
    """Lines naming each survivor: where it changes the solution, and an input where it
    differs from the reference; accepted survivors come with their reason."""
    lines = []
    for strength in strengths:
        for verdict in strength.survivors:
            mutant = verdict.mutant
            index, why = verdict.difference
            case = strength.fuzz_cases[index]
            reason = strength.accepted.get(mutant.statement)
            where = _relative(strength.solution.path, root)
            lines += [
                f"{strength.exercise.id} {strength.exercise.target}, {where} {mutant.change}",
                f"    mutant:     {mutant.statement}",
                f"    differs on: {strength.exercise.target}({describe_call(case.args, case.kwargs)})",
                f"    {why}",
            ]
            if reason:
                lines.append(f"    accepted:   {reason}")
    return lines


def equivalents(strengths):
    """Lines naming each equivalent mutant, to review what the fuzz inputs cannot tell apart."""
    return [
        f"{strength.exercise.id} {verdict.mutant.change}: {verdict.mutant.statement}"
        for strength in strengths
        for verdict in strength.verdicts
        if not verdict.wrong
    ]


def _cell(text, width, index):
    return text.ljust(width) if index < 2 else text.rjust(width)


def _relative(path, root):
    try:
        return str(pathlib.Path(path).resolve().relative_to(pathlib.Path(root).resolve()))
    except ValueError:
        return str(path)
