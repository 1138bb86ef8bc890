"""A JupyterLab server on localhost and a headless Chromium page driving it, for test_browser.

The browser is the system's Chromium (Debian's `chromium` package), driven by Playwright's
Python client; Playwright never downloads a browser of its own here. JupyterLab runs with
`expose_app_in_browser`, so the page's `window.jupyterapp` runs JupyterLab's own commands
(open a notebook, run all cells) and reads its notebook model.
"""

import contextlib
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request

CHROMIUM_VARIABLE = "COURSEKIT_CHROMIUM"
# What the machines these tests run on need: no sandbox as root, no GPU, and no
# background connections (the network is closed; Chromium would retry them all the time).
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
# JupyterLab settings for a quiet, deterministic page: no news or update checks (no
# network, no pop-up over the screenshots), every cell in the DOM (no virtual scrolling).
LAB_SETTINGS = {
    "@jupyterlab/apputils-extension/notification": {"fetchNews": "false", "checkForUpdates": False},
    "@jupyterlab/notebook-extension/tracker": {"windowingMode": "none"},
}
VIEWPORT = {"width": 1280, "height": 900}


def chromium_path():
    """The Chromium binary to drive: `COURSEKIT_CHROMIUM`, else `chromium` on the PATH."""
    return os.environ.get(CHROMIUM_VARIABLE) or shutil.which("chromium")


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextlib.contextmanager
def jupyterlab(root, home, environment):
    """Runs JupyterLab on 127.0.0.1 with a fresh token, serving `root`; yields its base URL
    and token. Its settings, runtime files and workspaces live under `home`."""
    settings = home / "settings"
    for name, values in LAB_SETTINGS.items():
        path = settings / f"{name}.jupyterlab-settings"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(values))
    token, port = secrets.token_hex(16), free_port()
    environment = {
        **environment,
        "JUPYTER_CONFIG_DIR": str(home / "config"),
        "JUPYTER_RUNTIME_DIR": str(home / "runtime"),
        "JUPYTERLAB_SETTINGS_DIR": str(settings),
        "JUPYTERLAB_WORKSPACES_DIR": str(home / "workspaces"),
    }
    command = [
        sys.executable,
        "-m",
        "jupyterlab",
        "--no-browser",
        "--allow-root",
        f"--port={port}",
        "--ServerApp.ip=127.0.0.1",
        f"--IdentityProvider.token={token}",
        f"--ServerApp.root_dir={root}",
        "--LabApp.expose_app_in_browser=True",
    ]
    log = open(home / "jupyterlab.log", "w")  # noqa: SIM115 (closed below)
    server = subprocess.Popen(
        command, env=environment, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
    )
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_for_server(url, token, server, home / "jupyterlab.log")
        yield url, token
    finally:
        os.killpg(server.pid, signal.SIGTERM)  # the server and the kernels it started
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()
        log.close()


def _wait_for_server(url, token, server, log_path, timeout=120):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"JupyterLab exited: {log_path.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(f"{url}/api/status?token={token}", timeout=5):
                return
        except OSError:
            time.sleep(0.5)
    raise RuntimeError(f"JupyterLab did not answer in {timeout} s: {log_path.read_text()[-3000:]}")


@contextlib.contextmanager
def chromium_page(profile_dir):
    """A page of a headless Chromium with a new, empty profile."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            str(profile_dir),
            executable_path=chromium_path(),
            args=CHROMIUM_FLAGS,
            headless=True,
            viewport=VIEWPORT,
        )
        try:
            yield context.pages[0] if context.pages else context.new_page()
        finally:
            context.close()


# JavaScript run in the page. `notebook()` is the open notebook panel.
PAGE_HELPERS = """
window.coursekit = {
  notebook: () => window.jupyterapp.shell.currentWidget,
  kernelStatus: () => {
    const session = window.coursekit.notebook().sessionContext.session;
    return session && session.kernel ? session.kernel.status : 'none';
  },
  cells: () => window.coursekit.notebook().content.widgets,
  findCell: (text) => window.coursekit.cells().findIndex(
    cell => cell.model.type === 'code' && cell.model.sharedModel.getSource().includes(text)),
  outputs: () => window.coursekit.cells().map(cell => cell.model.type === 'code'
    ? cell.model.outputs.toJSON() : []),
  running: (index) => window.coursekit.cells()[index].node
    .querySelector('.jp-InputPrompt').textContent.includes('*'),
  figures: () => Array.from(document.querySelectorAll('.jp-OutputArea-output img'))
    .filter(img => !img.closest('.jupyter-widgets') && !img.closest('.widget-image'))
    .map(img => ({
      cell: window.coursekit.cells().findIndex(cell => cell.node.contains(img)),
      natural: img.naturalWidth,
      shown: img.clientWidth,
    })),
  // What a cell's output area shows now: its visible images, each with its share of
  // red (kernel taps) and light-blue (output grid) pixels, and its text.
  frame: (index) => {
    const area = window.coursekit.cells()[index].node.querySelector('.jp-Cell-outputArea');
    const images = Array.from(area.querySelectorAll('img'))
      .filter(img => img.offsetParent !== null);
    const colours = images.map(img => {
      if (!img.complete || img.naturalWidth === 0) return null;
      const canvas = document.createElement('canvas');
      canvas.width = img.naturalWidth;
      canvas.height = img.naturalHeight;
      const context = canvas.getContext('2d');
      context.drawImage(img, 0, 0);
      const pixels = context.getImageData(0, 0, canvas.width, canvas.height).data;
      let red = 0, blue = 0;
      for (let i = 0; i < pixels.length; i += 4) {
        const [r, g, b] = [pixels[i], pixels[i + 1], pixels[i + 2]];
        if (r > 200 && g < 130 && b < 130) red++;
        if (r > 170 && r < 200 && g > 210 && g < 235 && b > 240) blue++;
      }
      const total = pixels.length / 4;
      return {red: red / total, blue: blue / total, width: img.naturalWidth};
    });
    return {colours, text: area.innerText, sources: images.map(img => img.src)};
  },
};
"""


def open_notebook(page, url, token, name, timeout_s=180):
    """Opens a notebook in JupyterLab and waits until its kernel is idle."""
    # `reset`: a fresh workspace, so that no notebook of an earlier test is restored and
    # becomes the current one.
    page.goto(f"{url}/lab/tree/{name}?reset&token={token}")
    page.wait_for_function(
        "(name) => { const panel = window.jupyterapp && window.jupyterapp.shell.currentWidget;"
        " return panel && panel.context && panel.context.path === name"
        " && panel.context.isReady && panel.sessionContext"
        " && panel.content.widgets.length === panel.content.model.cells.length"
        " && panel.content.widgets.length > 0; }",
        arg=name,
        timeout=timeout_s * 1000,
    )
    page.evaluate(PAGE_HELPERS)
    wait_for_kernel(page, "idle", timeout_s)


def wait_for_kernel(page, status, timeout_s):
    page.wait_for_function(
        f"() => window.coursekit.kernelStatus() === '{status}'", timeout=timeout_s * 1000
    )


def start_run_all(page):
    """Starts JupyterLab's *Run All Cells*; `run_all_finished(page)` tells when it is done."""
    page.evaluate(
        "() => { window.coursekit.done = false;"
        " window.jupyterapp.commands.execute('notebook:run-all-cells')"
        "   .then(() => { window.coursekit.done = true; }); }"
    )


def wait_for_run_all(page, timeout_s):
    page.wait_for_function("() => window.coursekit.done === true", timeout=timeout_s * 1000)
    wait_for_kernel(page, "idle", 60)


def error_outputs(page):
    """The error outputs in the notebook, as `(cell index, 'Name: message')`."""
    outputs = page.evaluate("() => window.coursekit.outputs()")
    return [
        (index, f"{output['ename']}: {output['evalue']}")
        for index, cell_outputs in enumerate(outputs)
        for output in cell_outputs
        if output["output_type"] == "error"
    ]
