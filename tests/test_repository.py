"""The README, CI and the notebook index stay true to the repository."""

import pathlib
import re

ROOT = pathlib.Path(__file__).resolve().parents[1]


def _commands(readme):
    return re.findall(r"```bash\n(.+?)\n```", readme)


def test_ci_runs_exactly_the_readme_test_command():
    readme = (ROOT / "README.md").read_text()
    run_course, run_tests = _commands(readme)[:2]
    assert "jupyter lab" in run_course and "[lab]" in run_course
    assert "pytest" in run_tests and "[test]" in run_tests
    ci_lines = (ROOT / ".ci" / "run").read_text().splitlines()
    assert run_tests in ci_lines


def test_binder_installs_cpu_tensorflow_and_coursekit():
    binder = ROOT / "binder"
    assert "tensorflow-cpu" in (binder / "requirements.txt").read_text()
    assert re.fullmatch(r"python-3\.1[0-3]\n?", (binder / "runtime.txt").read_text())
    post_build = (binder / "postBuild").read_text()
    assert "set -e" in post_build and "pip install" in post_build
    assert (binder / "postBuild").stat().st_mode & 0o111


def test_index_and_readme_link_every_notebook_and_only_existing_ones():
    notebooks = {path.name for path in (ROOT / "notebooks").glob("*.ipynb")}
    index = (ROOT / "notebooks" / "src" / "00_index.py").read_text()
    readme = (ROOT / "README.md").read_text()
    index_links = set(re.findall(r"\]\((\d\d_\w+\.ipynb)\)", index))
    readme_links = {
        link.split("/")[-1] for link in re.findall(r"\]\((notebooks/\d\d_\w+\.ipynb)\)", readme)
    }
    assert index_links == notebooks
    assert readme_links == notebooks
