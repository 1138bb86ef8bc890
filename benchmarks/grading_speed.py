"""Seconds per submission for `coursekit grade` on notebook 01, the `--jobs` speed-up, and
the same against another version of the course, all measured in one run.

    python benchmarks/grading_speed.py [--copies 50] [--jobs 2] [--baseline main]

Grades `--copies` copies of notebook 01's solution once with one job and once with
`--jobs` jobs (kernel start, full execution in the fast profile, the checks in their
own processes, the output files), checks that both runs give the same scores, and
prints the seconds per submission and the speed-up. With `--baseline REF`, the same
batches are also graded by the course at git revision REF (checked out in a temporary
worktree, imported through PYTHONPATH), interleaved with this checkout's runs so that
both see the same load, and the ratio of the times is printed.
"""

import argparse
import contextlib
import json
import os
import pathlib
import shutil
import subprocess
import sys
import tempfile

ROOT = pathlib.Path(__file__).resolve().parents[1]
NOTEBOOK = "01_convolution_arithmetic.ipynb"
RUN = """
import json, pathlib, sys, time
from coursekit.grading.autograde.grade import grade
folder, out, jobs = pathlib.Path(sys.argv[1]), pathlib.Path(sys.argv[2]), int(sys.argv[3])
start = time.perf_counter()
results = grade([folder], out, jobs=jobs, log=lambda line: None)
seconds = time.perf_counter() - start
scores = sorted((r.student, r.auto_score, r.auto_max, r.error) for r in results)
print(json.dumps({"seconds": seconds, "scores": scores}))
"""


def timed_batch(checkout, folder, jobs, scratch):
    """Grades `folder` with the course in `checkout`; returns (seconds, scores)."""
    out = pathlib.Path(tempfile.mkdtemp(dir=scratch)) / "results.csv"
    env = dict(os.environ, PYTHONPATH=str(checkout))
    command = [sys.executable, "-c", RUN, str(folder), str(out), str(jobs)]
    run = subprocess.run(command, env=env, cwd=scratch, capture_output=True, text=True)
    if run.returncode != 0:
        raise RuntimeError(f"grading with {checkout} failed:\n{run.stderr[-2000:]}")
    result = json.loads(run.stdout.strip().splitlines()[-1])
    return result["seconds"], result["scores"]


@contextlib.contextmanager
def worktree(ref, scratch):
    """A temporary checkout of `ref`."""
    path = pathlib.Path(scratch) / "baseline"
    subprocess.run(
        ["git", "-C", str(ROOT), "worktree", "add", "--detach", str(path), ref], check=True
    )
    try:
        yield path
    finally:
        subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force", str(path)])


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--copies", type=int, default=2, help="copies of the solution")
    parser.add_argument("--jobs", type=int, default=2, help="jobs for the parallel run")
    parser.add_argument("--baseline", metavar="REF", help="a git revision to compare with")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch, contextlib.ExitStack() as stack:
        folder = pathlib.Path(scratch) / "submissions"
        folder.mkdir()
        for index in range(args.copies):
            shutil.copy(ROOT / "notebooks" / "solutions" / NOTEBOOK, folder / f"s{index:03d}.ipynb")
        checkouts = {"this checkout": ROOT}
        if args.baseline:
            checkouts[args.baseline] = stack.enter_context(worktree(args.baseline, scratch))
        seconds, scores = {}, {}
        for jobs in (1, args.jobs):
            for name, checkout in checkouts.items():
                seconds[name, jobs], scores[name, jobs] = timed_batch(
                    checkout, folder, jobs, scratch
                )
                print(
                    f"{name}, --jobs {jobs}: {args.copies} submissions in "
                    f"{seconds[name, jobs]:.1f} s, {seconds[name, jobs] / args.copies:.2f} s each",
                    flush=True,
                )
    for name in checkouts:
        same = scores[name, 1] == scores[name, args.jobs]
        print(
            f"{name}: the same scores with --jobs 1 and --jobs {args.jobs}: {same}; "
            f"speed-up {seconds[name, 1] / seconds[name, args.jobs]:.2f}x"
        )
    if args.baseline:
        for jobs in (1, args.jobs):
            ratio = seconds["this checkout", jobs] / seconds[args.baseline, jobs]
            print(f"--jobs {jobs}: this checkout takes {ratio:.2f}x the time of {args.baseline}")
        points = {name: [score[1:3] for score in scores[name, 1]] for name in checkouts}
        print(f"the same points as {args.baseline}: {len(set(map(str, points.values()))) == 1}")


if __name__ == "__main__":
    main()
