"""The status of a graded exercise: one vocabulary for checks, reports and grade files."""

import enum


class Status(str, enum.Enum):
    """What happened to one exercise of one submission.

    The values are the words written to `results.json` and the feedback files.

    Example:

    >>> Status.NOT_ATTEMPTED.value, Status.NOT_ATTEMPTED.mark
    ('not attempted', '✎')
    """

    PASSED = "passed"
    """Every test case passed: full points."""
    FAILED = "failed"
    """At least one test case failed, or the function could not be tested."""
    NOT_ATTEMPTED = "not attempted"
    """The function still raises the student stub's `NotImplementedError`."""
    NOT_RUN = "not run"
    """The notebook stopped (time, memory, a dead kernel) before the exercise's check cell."""
    HAND_GRADED = "hand-graded"
    """A written answer, left for the instructor."""
    ERROR = "error"
    """The grader itself failed on this exercise; the messages say how."""

    def __str__(self):
        return self.value

    @property
    def mark(self):
        """✔ for passed, ✎ for work left to a person (hand-graded, not attempted), else ✘."""
        return _MARKS.get(self, "✘")


_MARKS = {Status.PASSED: "✔", Status.HAND_GRADED: "✎", Status.NOT_ATTEMPTED: "✎"}
