"""Seconds per submission for `coursekit grade` on notebook 01, and the `--jobs` speed-up.

    python benchmarks/grading_speed.py [--copies 2] [--jobs 2]

Grades copies of the solution and of the untouched student notebook, once with one
job and once with `--jobs` jobs, and prints the seconds per submission of each run
(kernel start, full execution in the fast profile, the checks in their own
processes, and the output files) and the speed-up between them.
"""

import argparse
import pathlib
import shutil
import tempfile
import time

from coursekit.grading.autograde.grade import grade

ROOT = pathlib.Path(__file__).resolve().parents[1]
NOTEBOOK = "01_convolution_arithmetic.ipynb"


def timed_batch(folder, jobs):
    """Grades every notebook in `folder`; returns the seconds taken and the scores."""
    start = time.perf_counter()
    results = grade([folder], folder.parent / f"results-{jobs}.csv", jobs=jobs, log=lambda _: None)
    seconds = time.perf_counter() - start
    scores = sorted({(r.student.split("-")[0], r.auto_score, r.auto_max) for r in results})
    return seconds, scores


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--copies", type=int, default=2, help="copies of each version")
    parser.add_argument("--jobs", type=int, default=2, help="jobs for the parallel run")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as temporary:
        folder = pathlib.Path(temporary) / "submissions"
        folder.mkdir()
        for index in range(args.copies):
            for version, source in (
                ("solution", ROOT / "notebooks" / "solutions" / NOTEBOOK),
                ("student", ROOT / "notebooks" / NOTEBOOK),
            ):
                shutil.copy(source, folder / f"{version}-{index}.ipynb")
        count = 2 * args.copies
        serial, scores = timed_batch(folder, jobs=1)
        parallel, parallel_scores = timed_batch(folder, jobs=args.jobs)
    print(f"scores {scores}; the same with --jobs {args.jobs}: {scores == parallel_scores}")
    print(f"--jobs 1: {count} submissions in {serial:.1f} s, {serial / count:.1f} s each")
    print(
        f"--jobs {args.jobs}: {count} submissions in {parallel:.1f} s, "
        f"{parallel / count:.1f} s each; speed-up {serial / parallel:.2f}x"
    )


if __name__ == "__main__":
    main()
