"""Claims the notebooks make in prose, computed here independently of the notebook run.

Each test reads what a notebook states (a kernel, an experiment) from its source in
`notebooks/src` and checks the claim the text makes about it.
"""

import ast
import json
import os
import pathlib
import re
import subprocess
import sys

import jupytext
import matplotlib
import numpy as np

from coursekit import plotting, scratch

SOURCES = pathlib.Path(__file__).resolve().parents[1] / "notebooks" / "src"


def test_sobel_x_of_notebook_01_is_positive_and_red_on_a_dark_to_bright_edge():
    # The text: "a dark-to-bright edge gives a positive response", drawn red.
    source = (SOURCES / "01_convolution_arithmetic.py").read_text()
    literal = re.search(r'"vertical edges \(Sobel x\)": (\[\[.*?\]\])', source).group(1)
    kernel = np.array(ast.literal_eval(literal), dtype=float)
    step = np.zeros((1, 5, 6, 1))
    step[:, :, 3:] = 1.0  # dark on the left, bright on the right
    response = scratch.conv2d(step, kernel[:, :, None, None])[0, :, :, 0]
    assert (response[:, 1:3] > 0).all()  # the windows that straddle the edge
    assert (response[:, [0, 3]] == 0).all()  # flat regions give nothing

    figure = plotting.show_images([np.array([[-1.0, 1.0]])], symmetric=True)
    image = figure.axes[0].images[0]
    red, _, blue, _ = image.cmap(image.norm(1.0))
    assert red > blue  # positive responses are drawn red
    matplotlib.pyplot.close(figure)


def _section_script(notebook, first_heading, last_heading, profile):
    """A script that runs a notebook's imports and the code cells of one section."""
    cells = jupytext.reads((SOURCES / f"{notebook}.py").read_text(), fmt="py:percent").cells
    code = [cell.source for cell in cells if cell.cell_type == "code"]
    imports = next(source for source in code if source.startswith("import itertools"))
    start = next(i for i, c in enumerate(cells) if first_heading in c.source)
    stop = next(i for i, c in enumerate(cells) if last_heading in c.source)
    section = [c.source for c in cells[start:stop] if c.cell_type == "code"]
    setup = f"import coursekit\nprofile = coursekit.setup(seed=0, profile={profile!r})\n"
    return "\n\n".join([setup, imports, *section])


def test_every_regulariser_shrinks_the_gap_of_notebook_04_in_the_default_profile():
    script = _section_script(
        "04_regularisation", "## 9. Putting it together", "## Summary", "default"
    )
    script += "\nprint('GAPS', loss_gaps.to_json())\n"
    environment = {**os.environ, "MPLBACKEND": "Agg", "CUDA_VISIBLE_DEVICES": ""}
    completed = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        env=environment,
        timeout=900,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr[-3000:]
    gaps = json.loads(completed.stdout.split("GAPS", 1)[1])
    baseline = np.array(list(gaps.pop("none").values()))
    assert len(baseline) == 3 and (baseline > 0.5).all()  # three seeds, clear variance
    assert set(gaps) == {"L2", "dropout", "batch norm", "augmentation"}
    for regulariser, by_seed in gaps.items():
        assert (np.array(list(by_seed.values())) < baseline).all(), regulariser
