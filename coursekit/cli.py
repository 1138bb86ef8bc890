"""The `coursekit` command: build notebooks, list exercises, grade submissions.

coursekit build [--check] [--root DIR]
coursekit assign OUTDIR [NOTEBOOK...] [--root DIR]
coursekit exercises [NOTEBOOK] [--strength [ID...]] [--hidden-tests PATH] [--fail-under PERCENT]
                    [--root DIR] [--timeout S] [--sample N] [--equivalent]
coursekit grade SUBMISSIONS... --out results.csv [--jobs N] [--timeout S] [--memory-limit MB]
                [--submission-timeout S] [--profile P] [--hidden-tests PATH] [--json PATH]
                [--feedback DIR] [--max-notebook-mb MB] [--regrade] [--force]
"""

import argparse
import sys

from coursekit import __version__
from coursekit.grading.autograde.limits import (
    DEFAULT_CELL_TIMEOUT,
    DEFAULT_MEMORY_MB,
    DEFAULT_NOTEBOOK_MB,
    SUBMISSION_TIMEOUTS,
)


def main(argv=None):
    """Runs the command line; returns the process exit status."""
    parser = _parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 2
    try:
        return args.run(args)
    except ImportError as error:
        print(
            f"coursekit {args.command} needs the instructor tools ({error.name} is missing): "
            "pip install 'coursekit[instructor]'",
            file=sys.stderr,
        )
        return 2


def _parser():
    parser = argparse.ArgumentParser(prog="coursekit", description=__doc__.split("\n")[0])
    parser.add_argument("--version", action="version", version=f"coursekit {__version__}")
    commands = parser.add_subparsers(dest="command")

    build = commands.add_parser(
        "build", help="generate student and solution notebooks from notebooks/src/*.py"
    )
    build.add_argument("--check", action="store_true", help="fail if a generated notebook is stale")
    build.add_argument("--root", default=".", help="the course repository (default: .)")
    build.set_defaults(run=_build)

    listing = commands.add_parser("exercises", help="list the graded exercises")
    listing.add_argument(
        "notebook", nargs="?", help="only this notebook, e.g. 01_convolution_arithmetic"
    )
    strength = listing.add_argument_group(
        "check strength", "run mutants of each notebook solution through its check"
    )
    strength.add_argument(
        "--strength",
        nargs="*",
        metavar="ID",
        help="measure these exercises (default: every coding exercise, or those of --hidden-tests)",
    )
    strength.add_argument(
        "--hidden-tests", metavar="PATH", help="add this file's cases and exercises"
    )
    strength.add_argument(
        "--fail-under", type=float, metavar="PERCENT", help="exit 1 if a score is lower"
    )
    strength.add_argument(
        "--root", default=".", help="the course repository with notebooks/src (default: .)"
    )
    strength.add_argument(
        "--timeout",
        type=float,
        help="seconds per mutant, on the fuzz inputs and on the check (default: 10)",
    )
    strength.add_argument("--sample", type=int, metavar="N", help="only N mutants per exercise")
    strength.add_argument(
        "--equivalent", action="store_true", help="also list the equivalent mutants"
    )
    listing.set_defaults(run=_exercises)

    assign = commands.add_parser(
        "assign", help="write the student release (student notebooks only) to a folder"
    )
    assign.add_argument("outdir", help="the release folder to write")
    assign.add_argument(
        "notebooks", nargs="*", help="only these notebooks, e.g. 01_convolution_arithmetic"
    )
    assign.add_argument("--root", default=".", help="the course repository (default: .)")
    assign.set_defaults(run=_assign)

    grade = commands.add_parser("grade", help="execute and score submitted notebooks")
    grade.add_argument(
        "submissions", nargs="+", help="submitted .ipynb files, or folders searched for them"
    )
    grade.add_argument("--out", required=True, help="CSV file for the scores, one row per student")
    grade.add_argument(
        "--jobs", type=int, default=1, help="submissions graded in parallel (default: 1)"
    )
    grade.add_argument(
        "--timeout",
        type=float,
        default=DEFAULT_CELL_TIMEOUT,
        help=f"seconds per notebook cell and per exercise check (default: {DEFAULT_CELL_TIMEOUT})",
    )
    grade.add_argument(
        "--memory-limit",
        type=int,
        default=DEFAULT_MEMORY_MB,
        metavar="MB",
        help="memory cap of everything one submission runs at once, in MB "
        f"(default: {DEFAULT_MEMORY_MB})",
    )
    grade.add_argument(
        "--submission-timeout",
        type=float,
        metavar="S",
        help="seconds one whole submission may take "
        f"(default: {SUBMISSION_TIMEOUTS} times --timeout)",
    )
    grade.add_argument(
        "--profile", default="fast", help="coursekit profile to run with (default: fast)"
    )
    grade.add_argument(
        "--hidden-tests", metavar="PATH", help="a Python file of extra cases used only here"
    )
    grade.add_argument("--json", metavar="PATH", help="JSON output (default: --out with .json)")
    grade.add_argument(
        "--feedback", metavar="DIR", help="feedback folder (default: feedback/ beside --out)"
    )
    grade.add_argument(
        "--max-notebook-mb",
        type=int,
        default=DEFAULT_NOTEBOOK_MB,
        metavar="MB",
        help=f"largest notebook file graded (default: {DEFAULT_NOTEBOOK_MB})",
    )
    grade.add_argument(
        "--regrade",
        action="store_true",
        help="grade again the submissions recorded by an earlier run with the same settings",
    )
    grade.add_argument(
        "--force",
        action="store_true",
        help="overwrite values typed over the grader's columns of an existing CSV",
    )
    grade.set_defaults(run=_grade)
    return parser


def _build(args):
    from coursekit.grading.build import BuildError, build_all

    try:
        changed = build_all(args.root, check_only=args.check)
    except BuildError as error:
        print(f"coursekit build: {error}", file=sys.stderr)
        return 1
    if args.check:
        for path in changed:
            print(f"stale: {path} (run `coursekit build`)", file=sys.stderr)
        return 1 if changed else 0
    for path in changed:
        print(f"wrote {path}")
    print(f"{len(changed)} notebook(s) written" if changed else "all notebooks up to date")
    return 0


def _exercises(args):
    from coursekit.grading import exercises

    if args.strength is not None:
        from coursekit.grading.strength.command import strength

        return strength(args)
    for exercise in exercises(args.notebook):
        target = exercise.target or "(written answer)"
        print(
            f"{exercise.id}  {exercise.points} pt  {target:<20} {exercise.title}  [{exercise.notebook}]"
        )
    return 0


def _assign(args):
    from coursekit.grading.build import BuildError
    from coursekit.grading.release import release

    try:
        written = release(args.outdir, args.root, args.notebooks or None)
    except BuildError as error:
        print(f"coursekit assign: {error}", file=sys.stderr)
        return 1
    for path in written:
        print(f"wrote {path}")
    return 0


def _grade(args):
    from coursekit.grading.autograde.grade import grade
    from coursekit.grading.autograde.limits import Limits

    try:
        limits = Limits(args.timeout, args.memory_limit, args.submission_timeout)
        results = grade(
            args.submissions,
            args.out,
            limits=limits,
            profile=args.profile,
            jobs=args.jobs,
            hidden_tests=args.hidden_tests,
            feedback=args.feedback,
            json_out=args.json,
            regrade=args.regrade,
            force=args.force,
            max_mb=args.max_notebook_mb,
        )
    except (ValueError, FileNotFoundError) as error:
        print(f"coursekit grade: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(
            f"coursekit grade: interrupted; what was graded is in {args.out}. Run the same "
            "command again to grade the rest.",
            file=sys.stderr,
        )
        return 130
    print(f"wrote {args.out} ({len(results)} submission(s))")
    return 0


if __name__ == "__main__":
    sys.exit(main())
