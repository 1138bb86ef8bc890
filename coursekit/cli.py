"""The `coursekit` command: build notebooks, list exercises, grade submissions.

coursekit build [--check] [--root DIR]
coursekit exercises [NOTEBOOK]
coursekit grade SUBMISSION.ipynb... --out results.csv [--timeout S] [--profile P]
"""

import argparse
import sys

from coursekit import __version__


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
    listing.set_defaults(run=_exercises)

    grade = commands.add_parser("grade", help="execute and score submitted notebooks")
    grade.add_argument("submissions", nargs="+", help="submitted .ipynb files")
    grade.add_argument("--out", required=True, help="CSV file for the scores")
    grade.add_argument("--timeout", type=int, default=None, help="seconds per cell (default: 120)")
    grade.add_argument(
        "--profile", default="fast", help="coursekit profile to run with (default: fast)"
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

    for exercise in exercises(args.notebook):
        target = exercise.target or "(written answer)"
        print(
            f"{exercise.id}  {exercise.points} pt  {target:<20} {exercise.title}  [{exercise.notebook}]"
        )
    return 0


def _grade(args):
    from coursekit.grading.grade import DEFAULT_CELL_TIMEOUT, grade

    timeout = args.timeout or DEFAULT_CELL_TIMEOUT
    results = grade(args.submissions, args.out, timeout=timeout, profile=args.profile)
    print(f"wrote {args.out} ({len(results)} submission(s))")
    return 0


if __name__ == "__main__":
    sys.exit(main())
