"""The course in a real browser: JupyterLab 4 driven by headless Chromium through Playwright.

Opens notebook 01 (student version) and notebook 05 (solution version) in JupyterLab, runs
all cells as a student would, and checks what the page shows: the kernel ends idle, no
error output, the check reports, the figures (rendered, and not shrunk to fit the
column), the convolution explorer redrawing without blank or torn frames while its
sliders move, and the live training curve while `fit` runs. Screenshots go to
`artifacts/browser/` (or `$COURSEKIT_ARTIFACTS/browser/`), which git ignores.

Needs Debian's `chromium` package and Playwright's Python package (`pip install playwright`;
no `playwright install`: the system's Chromium is used). Skipped when either is missing.
"""

import importlib.util
import os
import pathlib
import shutil
import time

import pytest

from coursekit import arithmetic
from coursekit.grading import exercises
from tests import jupyterlab_driver as lab

ROOT = pathlib.Path(__file__).resolve().parents[1]
ARTIFACTS = pathlib.Path(os.environ.get("COURSEKIT_ARTIFACTS", ROOT / "artifacts")) / "browser"
STUDENT_01 = ROOT / "notebooks" / "01_convolution_arithmetic.ipynb"
SOLUTION_05 = ROOT / "notebooks" / "solutions" / "05_training_a_cnn.ipynb"
# A figure narrower than this share of its natural width has text too small to read.
MIN_FIGURE_SCALE = 0.95

if importlib.util.find_spec("playwright") is None:
    pytest.skip(
        "Playwright's Python package is missing: pip install playwright (no `playwright "
        "install`: the test drives the system's Chromium)",
        allow_module_level=True,
    )
if lab.chromium_path() is None:
    pytest.skip(
        "Chromium is missing: install Debian's package (apt-get install chromium) or set "
        f"{lab.CHROMIUM_VARIABLE} to a Chromium binary",
        allow_module_level=True,
    )
if importlib.util.find_spec("jupyterlab") is None:
    pytest.skip("JupyterLab is missing: pip install jupyterlab", allow_module_level=True)


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """JupyterLab serving copies of the two notebooks (a run must not touch the originals)."""
    root = tmp_path_factory.mktemp("notebooks")
    for notebook in (STUDENT_01, SOLUTION_05):
        shutil.copy(notebook, root / notebook.name)
    environment = {
        name: value
        for name, value in os.environ.items()
        if name not in ("MPLBACKEND", "COURSEKIT_GRADING", "NBGRADER_EXECUTION")
    }
    environment["COURSEKIT_PROFILE"] = "fast"
    with lab.jupyterlab(root, tmp_path_factory.mktemp("jupyter"), environment) as address:
        yield address


@pytest.fixture
def page(server, tmp_path):
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with lab.chromium_page(tmp_path / "chromium-profile") as page:
        yield page


def check_titles(notebook):
    return [
        f"Exercise {int(exercise.id[:2])}.{int(exercise.id[3:])} – {exercise.title}"
        for exercise in exercises()
        if exercise.notebook == notebook and exercise.target
    ]


def assert_figures_fit(page, at_least):
    figures = page.evaluate("() => window.coursekit.figures()")
    rendered = [figure for figure in figures if figure["natural"] > 0]
    assert len(rendered) >= at_least, figures
    shrunk = [f for f in rendered if f["shown"] < MIN_FIGURE_SCALE * f["natural"]]
    assert not shrunk, f"figures shrunk to fit the column (pixels natural/shown): {shrunk}"


def test_student_notebook_01_in_jupyterlab(server, page):
    url, token = server
    lab.open_notebook(page, url, token, STUDENT_01.name)
    lab.start_run_all(page)
    lab.wait_for_run_all(page, timeout_s=600)
    page.screenshot(path=ARTIFACTS / "01_after_run_all.png")

    assert lab.error_outputs(page) == []
    text = page.evaluate("() => document.querySelector('.jp-Notebook').innerText")
    for title in check_titles("01_convolution_arithmetic"):
        assert f"{title}: not attempted yet" in text
    assert "passed (" not in text and "not passed yet" not in text
    assert_figures_fit(page, at_least=10)
    check_explorer(page)


# Slider moves: (control's position in the explorer, key, presses). Rapid presses, so
# that callbacks overlap as they do when a student drags a slider.
MOVES = [(0, "ArrowRight", 3), (2, "ArrowRight", 1), (1, "ArrowRight", 2), (4, "ArrowRight", 2)]
EXPLORER_START = {
    "input_size": 7,
    "kernel_size": 3,
    "strides": 2,
    "dilation_rate": 1,
    "position": 0,
}


def check_explorer(page):
    index = page.evaluate("() => window.coursekit.findCell('conv_explorer(')")
    cell = page.locator(".jp-Notebook .jp-Cell").nth(index)
    cell.scroll_into_view_if_needed()
    handles = cell.locator(".widget-slider .noUi-handle")
    assert handles.count() == 5  # input W, kernel k, stride S, dilation d, output #
    values = dict(EXPLORER_START)
    first = page.evaluate("(i) => window.coursekit.frame(i)", index)
    assert_good_frame(first, values)
    cell.screenshot(path=ARTIFACTS / "01_explorer_0.png")
    frames, bad, wrong_numbers = 0, [], []
    for move, (control, key, presses) in enumerate(MOVES, start=1):
        name = ["input_size", "kernel_size", "strides", "dilation_rate", "position"][control]
        for _ in range(presses):
            handles.nth(control).press(key)
            values[name] += 1
            for pause in (0.02, 0.08, 0.15):  # frames while the callbacks run
                time.sleep(pause)
                frame = page.evaluate("(i) => window.coursekit.frame(i)", index)
                frames += 1
                if not is_whole_drawing(frame):
                    bad.append(frame_summary(frame))
        settled = wait_for_numbers(page, index, values)
        frames += 1
        if not is_whole_drawing(settled):
            bad.append(frame_summary(settled))
        if expected_formula(values) not in settled["text"]:
            wrong_numbers.append((dict(values), settled["text"][-200:]))
        cell.screenshot(path=ARTIFACTS / f"01_explorer_{move}.png")
    assert not bad, f"{len(bad)} blank or torn frames of {frames}: {bad}"
    assert not wrong_numbers
    assert settled["sources"] != first["sources"]


def is_whole_drawing(frame):
    """One image, with the kernel taps (red) and the output grid (light blue) drawn."""
    colours = frame["colours"]
    return (
        len(colours) == 1
        and colours[0] is not None
        and colours[0]["red"] > 0.003
        and (colours[0]["blue"] > 0.01)
    )


def frame_summary(frame):
    return {"images": frame["colours"], "text": frame["text"][:80]}


def expected_formula(values):
    size = arithmetic.conv_output_size(
        values["input_size"],
        values["kernel_size"],
        values["strides"],
        "valid",
        values["dilation_rate"],
    )
    return f"+ 1 = {size}"


def wait_for_numbers(page, index, values, timeout_s=30):
    """The explorer's frame once its text shows the output size for `values`."""
    deadline = time.monotonic() + timeout_s
    while True:
        frame = page.evaluate("(i) => window.coursekit.frame(i)", index)
        if expected_formula(values) in frame["text"] or time.monotonic() > deadline:
            return frame
        time.sleep(0.1)


def assert_good_frame(frame, values):
    assert is_whole_drawing(frame), frame_summary(frame)
    assert expected_formula(values) in frame["text"], (values, frame["text"])


def test_solution_notebook_05_in_jupyterlab(server, page):
    url, token = server
    lab.open_notebook(page, url, token, SOLUTION_05.name)
    fit_cell = page.evaluate("() => window.coursekit.findCell('history = training.fit(')")
    assert fit_cell > 0
    lab.start_run_all(page)
    curve = watch_live_curve(page, fit_cell, timeout_s=600)
    lab.wait_for_run_all(page, timeout_s=600)
    page.screenshot(path=ARTIFACTS / "05_after_run_all.png")

    assert curve["images_while_running"] >= 2, curve  # drawn, then redrawn, during `fit`
    assert lab.error_outputs(page) == []
    text = page.evaluate("() => document.querySelector('.jp-Notebook').innerText")
    titles = check_titles("05_training_a_cnn")
    assert len(titles) == 5
    for title in titles:
        assert f"{title}: passed" in text
    report = page.locator(".jp-Notebook .jp-Cell").nth(
        page.evaluate("() => window.coursekit.findCell('check(\"05.1\"')")
    )
    report.scroll_into_view_if_needed()
    report.screenshot(path=ARTIFACTS / "05_check_report.png")
    assert_figures_fit(page, at_least=8)


def watch_live_curve(page, index, timeout_s):
    """Watches the `fit` cell while it runs; returns how many distinct figures it showed."""
    cell = page.locator(".jp-Notebook .jp-Cell").nth(index)
    seen, deadline = set(), time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        running = page.evaluate("(i) => window.coursekit.running(i)", index)
        frame = page.evaluate("(i) => window.coursekit.frame(i)", index)
        if running and frame["sources"]:
            if not seen:
                screenshot_if_stable(cell, ARTIFACTS / "05_live_curve_during_fit.png")
            seen.update(frame["sources"])
        if seen and not running:
            break
        time.sleep(0.1)
    return {"images_while_running": len(seen)}


def screenshot_if_stable(locator, path):
    """A screenshot of an element while cells above it may still grow: an artefact, so a
    page that keeps moving for 10 s costs the picture, not the test."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    try:
        locator.screenshot(path=path, timeout=10_000)
    except PlaywrightTimeout:
        print(f"no screenshot {path.name}: the page kept moving")
