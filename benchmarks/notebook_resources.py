"""Wall time and peak memory of executing each course notebook, as a student's kernel sees them.

    python benchmarks/notebook_resources.py [--profile fast] [NOTEBOOK.ipynb ...]

Runs each notebook (default: the solution notebooks) in a fresh kernel, with one extra
cell at the end that reports the kernel's peak resident memory, and prints a table.
Binder gives a student about 1.5-2 GB; the `fast` profile must stay well under it.
"""

import argparse
import os
import pathlib
import subprocess
import sys
import time

import nbformat
from nbclient import NotebookClient

ROOT = pathlib.Path(__file__).resolve().parents[1]
PEAK_MEMORY_CELL = (
    "import resource, sys\n"
    "_scale = 1 if sys.platform == 'darwin' else 1024\n"
    "print('PEAK_RSS_BYTES', resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * _scale)"
)


def measure(path, profile):
    notebook = nbformat.read(path, as_version=4)
    notebook.cells.append(nbformat.v4.new_code_cell(PEAK_MEMORY_CELL))
    env = dict(os.environ, COURSEKIT_PROFILE=profile, MPLBACKEND="Agg", TF_CPP_MIN_LOG_LEVEL="2")
    client = NotebookClient(
        notebook,
        timeout=600,
        kernel_name="python3",
        resources={"metadata": {"path": str(path.parent)}},
    )
    start = time.perf_counter()
    client.execute(env=env, stderr=subprocess.DEVNULL)
    seconds = time.perf_counter() - start
    text = "".join(output.get("text", "") for output in notebook.cells[-1].outputs)
    peak = int(text.split("PEAK_RSS_BYTES")[1].split()[0])
    return seconds, peak


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("notebooks", nargs="*", type=pathlib.Path)
    parser.add_argument("--profile", default="fast")
    args = parser.parse_args()
    paths = args.notebooks or sorted((ROOT / "notebooks" / "solutions").glob("*.ipynb"))
    print(f"profile {args.profile}, {os.cpu_count()} CPUs, Python {sys.version.split()[0]}")
    print(f"{'notebook':<52}{'seconds':>9}{'peak MB':>9}")
    for path in paths:
        seconds, peak = measure(path.resolve(), args.profile)
        name = f"{path.resolve().parent.name}/{path.name}"
        print(f"{name:<52}{seconds:>9.1f}{peak / 2**20:>9.0f}")


if __name__ == "__main__":
    main()
