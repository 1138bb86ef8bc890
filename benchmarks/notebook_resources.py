"""Wall time and peak memory of executing each course notebook, as a student's kernel sees them.

    python benchmarks/notebook_resources.py [--profile fast | --binder] [NOTEBOOK.ipynb ...]

Runs each notebook (default: the solution notebooks) in a fresh kernel, with one extra
cell at the end that reports the kernel's peak resident memory, and prints a table.
Binder gives a student about 1.5-2 GB; the `fast` profile must stay well under it.

With `--binder`, the kernels see a mybinder.org session's environment variables and no
`COURSEKIT_PROFILE`, so coursekit must detect Binder and pick its profile itself (the
table says which it picked); the command fails if a notebook's peak passes 1.5 GB.
`scripts/check_binder.sh` runs it in a fresh copy of Binder's environment.
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


BINDER_MEMORY_BUDGET = 1.5 * 2**30
# What a mybinder.org session sets (coursekit looks for any BINDER_ variable).
BINDER_VARIABLES = {
    "BINDER_LAUNCH_HOST": "https://mybinder.org/",
    "BINDER_REQUEST": "v2/gh/cnn-course/cnn-course/main",
    "BINDER_REF_URL": "https://github.com/cnn-course/cnn-course/tree/main",
}


def kernel_environment(profile, binder):
    env = dict(os.environ, MPLBACKEND="Agg", TF_CPP_MIN_LOG_LEVEL="2")
    if binder:
        env.pop("COURSEKIT_PROFILE", None)
        env.update(BINDER_VARIABLES)
    else:
        env["COURSEKIT_PROFILE"] = profile
    return env


def measure(path, profile, binder=False):
    """Returns the seconds, the peak resident bytes and the setup line of one notebook run."""
    notebook = nbformat.read(path, as_version=4)
    notebook.cells.append(nbformat.v4.new_code_cell(PEAK_MEMORY_CELL))
    env = kernel_environment(profile, binder)
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
    return seconds, peak, setup_line(notebook)


def setup_line(notebook):
    """The status line `coursekit.setup()` printed, e.g. '... | profile fast | ... | Binder'."""
    for cell in notebook.cells:
        for output in cell.get("outputs", []):
            for line in output.get("text", "").splitlines():
                if line.startswith("coursekit ") and "| profile " in line:
                    return line
    return ""


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("notebooks", nargs="*", type=pathlib.Path)
    parser.add_argument("--profile", default="fast")
    parser.add_argument(
        "--binder", action="store_true", help="as on mybinder.org: coursekit picks the profile"
    )
    args = parser.parse_args()
    paths = args.notebooks or sorted((ROOT / "notebooks" / "solutions").glob("*.ipynb"))
    chosen = "as Binder detects it" if args.binder else args.profile
    print(f"profile {chosen}, {os.cpu_count()} CPUs, Python {sys.version.split()[0]}")
    print(f"{'notebook':<52}{'seconds':>9}{'peak MB':>9}  setup says")
    over_budget = []
    for path in paths:
        seconds, peak, line = measure(path.resolve(), args.profile, args.binder)
        name = f"{path.resolve().parent.name}/{path.name}"
        said = " ".join(part for part in line.split(" | ") if part.startswith("profile"))
        if args.binder:
            said += f", {line.rsplit(' | ', 1)[-1]}"
        print(f"{name:<52}{seconds:>9.1f}{peak / 2**20:>9.0f}  {said}", flush=True)
        if args.binder and (peak > BINDER_MEMORY_BUDGET or not line.endswith("| Binder")):
            over_budget.append(name)
    if over_budget:
        sys.exit(f"Over 1.5 GB, or Binder not detected: {', '.join(over_budget)}")


if __name__ == "__main__":
    main()
