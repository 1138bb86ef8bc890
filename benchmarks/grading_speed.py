"""Seconds per submission for `coursekit grade` on notebook 01.

    python benchmarks/grading_speed.py [--copies 2]

Grades copies of the solution and of the untouched student notebook and prints the
mean time per submission (kernel start, full execution in the fast profile, scoring).
"""

import argparse
import pathlib
import shutil
import tempfile
import time

from coursekit.grading.grade import grade

ROOT = pathlib.Path(__file__).resolve().parents[1]
NOTEBOOK = "01_convolution_arithmetic.ipynb"


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--copies", type=int, default=2, help="copies of each version")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        paths = []
        for index in range(args.copies):
            for version, source in (
                ("solution", ROOT / "notebooks" / "solutions" / NOTEBOOK),
                ("student", ROOT / "notebooks" / NOTEBOOK),
            ):
                paths.append(pathlib.Path(folder) / f"{version}-{index}.ipynb")
                shutil.copy(source, paths[-1])
        start = time.perf_counter()
        results = grade(paths, pathlib.Path(folder) / "results.csv")
        seconds = time.perf_counter() - start
    scores = sorted({(r.path.name.split("-")[0], r.auto_score, r.auto_max) for r in results})
    print(
        f"{len(paths)} submissions in {seconds:.1f} s: {seconds / len(paths):.1f} s each; "
        f"scores {scores}"
    )


if __name__ == "__main__":
    main()
