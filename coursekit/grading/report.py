"""Renders a `CheckResult` as the short report a student sees under a check cell."""

import html

from coursekit.grading.status import Status

# Only the first failures are explained; fixing them usually fixes the rest.
MAX_EXPLAINED_FAILURES = 3

# Background and accent colour per status; any other status is drawn as a failure.
_COLOURS = {
    Status.PASSED: ("#e8f5e9", "#2e7d32"),
    Status.NOT_ATTEMPTED: ("#e3f2fd", "#1565c0"),
    Status.FAILED: ("#fdecea", "#c62828"),
}


class Report:
    """A check report: plain text in a terminal, a coloured box in a notebook."""

    def __init__(self, result):
        self.result = result

    def title(self):
        result = self.result
        verdict = {Status.PASSED: "passed", Status.NOT_ATTEMPTED: "not attempted yet"}.get(
            result.status, "not passed yet"
        )
        return (
            f"Exercise {result.exercise.number} – {result.exercise.title}: {verdict} "
            f"({result.score}/{result.max_score} points)"
        )

    def lines(self):
        """The summary, then a line per test case; the first failures say what went wrong."""
        summary, *_ = self.result.messages
        lines = [summary]
        explained = 0
        for case in self.result.cases:
            if case.passed:
                lines.append(f"✔ {case.description}")
            elif explained < MAX_EXPLAINED_FAILURES:
                lines.append(f"✘ {case.description}: {case.message}")
                explained += 1
            else:
                lines.append(f"✘ {case.description}")
        return lines

    def __str__(self):
        return "\n".join([self.title(), *("  " + line for line in self.lines())])

    def __repr__(self):
        return str(self)

    def _repr_html_(self):
        background, colour = _COLOURS.get(self.result.status, _COLOURS[Status.FAILED])
        summary, *cases = self.lines()
        items = "".join(f"<li>{html.escape(line)}</li>" for line in cases)
        return (
            f'<div style="border-left:5px solid {colour};background:{background};'
            f'padding:6px 12px;margin:4px 0;color:#222">'
            f'<b style="color:{colour}">{self.result.status.mark} {html.escape(self.title())}</b>'
            f"<div>{html.escape(summary)}</div>"
            # Each line carries its own mark (✔ or ✘), so the list draws no bullets.
            f'<ul style="margin:2px 0;padding-left:8px;list-style:none">{items}</ul></div>'
        )
