"""A grading run whose results survive anything (issue 11, items 1, 4, 7 and 9): each
submission is recorded as soon as it is graded, a run interrupted or killed continues
where it was, typed grades are never lost, outputs are checked before grading starts
and never written through a symbolic link; a submission has a time budget; without
bubblewrap grading works and says it is not isolated.

Submissions here are tiny (`tests.submissions`); a file that is not JSON is refused
before any kernel starts, which makes some tests fast.
"""

import csv
import json
import os
import signal
import subprocess
import sys
import time

import psutil
import pytest

from coursekit import cli
from coursekit.grading.autograde import files, outputs, sandbox
from coursekit.grading.autograde.grade import grade
from tests.submissions import code, every_solution, solution, write

NOT_JSON = "{ not json"


def rows(path):
    """The CSV's rows by student, as the grader reads them back."""
    return outputs.Sheet.read(path).rows


# --- 9. Outputs checked before grading, never written through a link ------------------


@pytest.mark.parametrize(
    ("options", "says"),
    [
        (["--out", "{tmp}/grades.json"], "--out must name a .csv file"),
        (["--out", "{tmp}/folder.csv"], "exists and is not a file"),
        (["--out", "{tmp}/a.csv", "--json", "{tmp}/a.csv"], "--json must name a .json file"),
        (["--out", "{tmp}/a.csv", "--feedback", "{tmp}/a.graded"], "four different paths"),
        (["--out", "{tmp}/linked.csv"], "is a symbolic link"),
        (["--out", "{tmp}/b.csv", "--feedback", "{tmp}/linked_folder"], "is a symbolic link"),
    ],
)
def test_unusable_outputs_are_refused_before_anything_is_graded(tmp_path, capsys, options, says):
    (tmp_path / "folder.csv").mkdir()
    (tmp_path / "linked.csv").symlink_to(tmp_path / "elsewhere.csv")
    (tmp_path / "linked_folder").symlink_to(tmp_path)
    inbox = tmp_path / "inbox"
    write(inbox, "alice", every_solution())
    arguments = ["grade", str(inbox), *(option.format(tmp=tmp_path) for option in options)]
    assert cli.main(arguments) == 2
    assert says in capsys.readouterr().err
    assert not (tmp_path / "elsewhere.csv").exists()
    assert not list(tmp_path.glob("*.graded"))


def test_a_link_planted_in_the_output_folder_is_replaced_not_followed(tmp_path):
    inbox, out = tmp_path / "inbox", tmp_path / "grades" / "results.csv"
    (inbox).mkdir()
    (inbox / "alice.ipynb").write_text(NOT_JSON)
    (out.parent / "feedback").mkdir(parents=True)
    target = tmp_path / "target.txt"
    target.write_text("untouched")
    (out.parent / "feedback" / "alice.md").symlink_to(target)
    assert cli.main(["grade", str(inbox), "--out", str(out)]) == 0
    assert target.read_text() == "untouched"
    written = out.parent / "feedback" / "alice.md"
    assert not written.is_symlink() and "not a readable notebook" in written.read_text()


def test_write_atomic_refuses_a_linked_folder(tmp_path):
    (tmp_path / "real").mkdir()
    (tmp_path / "link").symlink_to(tmp_path / "real")
    with pytest.raises(OSError):
        files.write_atomic(tmp_path / "link" / "file.txt", b"x")
    assert list((tmp_path / "real").iterdir()) == []


# --- 9. Typed grades kept; a run continues where it stopped --------------------------


def test_a_rerun_skips_what_is_graded_and_keeps_what_was_typed(tmp_path, capsys):
    inbox, out = tmp_path / "inbox", tmp_path / "grades" / "results.csv"
    write(inbox, "alice", [solution("01.1")])
    (inbox / "bob.ipynb").write_text(NOT_JSON)
    assert cli.main(["grade", str(inbox), "--out", str(out)]) == 0
    graded = rows(out)
    assert graded["alice"]["01.1"] == "2"
    # The instructor grades a written answer, adds a column, and a student they graded
    # elsewhere stays in the sheet.
    header = [*next(csv.reader(out.open())), "comment"]
    typed = dict(graded["alice"], **{"01.4": "3", "comment": "=good"})
    other = dict.fromkeys(header, "") | {"student": "carol", "comment": "graded on paper"}
    with open(out, "w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, header)
        writer.writeheader()
        writer.writerows([typed, graded["bob"], other])
    capsys.readouterr()
    assert cli.main(["grade", str(inbox), "--out", str(out)]) == 0
    log = capsys.readouterr().out
    assert "2 submission(s) already graded" in log and "points" not in log
    again = rows(out)
    assert (again["alice"]["01.4"], again["alice"]["comment"]) == ("3", "=good")
    assert again["alice"]["01.1"] == "2" and again["carol"]["comment"] == "graded on paper"
    assert "'=good" in out.read_text()  # written so that no spreadsheet runs it
    # A value typed over the grader's own column is not silently overwritten.
    text = out.read_text().replace("alice,alice.ipynb,2", "alice,alice.ipynb,1")
    out.write_text(text)
    assert cli.main(["grade", str(inbox), "--out", str(out)]) == 2
    assert "alice 01.1: '1' (graded '2')" in capsys.readouterr().err
    assert cli.main(["grade", str(inbox), "--out", str(out), "--force", "--regrade"]) == 0
    assert "alice (alice.ipynb): 2/11 points" in capsys.readouterr().out
    final = rows(out)
    assert (final["alice"]["01.1"], final["alice"]["01.4"]) == ("2", "3")


@pytest.mark.skipif(sandbox.detect().bwrap is None, reason="needs bubblewrap")
@pytest.mark.parametrize(
    "stop", [signal.SIGINT, signal.SIGTERM, signal.SIGKILL], ids=["ctrl-c", "sigterm", "sigkill"]
)
def test_an_interrupted_run_keeps_what_was_graded_and_leaves_nothing_behind(tmp_path, stop):
    inbox, out = tmp_path / "inbox", tmp_path / "grades" / "results.csv"
    write(inbox, "a_quick", [solution("01.1")])
    write(inbox, "b_slow", [code("import time\ntime.sleep(8)")])
    temporary = tmp_path / "tmp"
    temporary.mkdir()
    command = [sys.executable, "-m", "coursekit.cli", "grade", str(inbox), "--out", str(out)]
    env = dict(os.environ, TMPDIR=str(temporary))
    grader = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL)
    try:
        spawned = _wait_for_second_sandbox(grader, out)
        grader.send_signal(stop)
        grader.wait(timeout=60)
    finally:
        grader.kill()
    assert grader.returncode == (-signal.SIGKILL if stop == signal.SIGKILL else 130)
    assert rows(out)["a_quick"]["01.1"] == "2"
    assert _all_gone(spawned)
    assert [path.name for path in temporary.rglob("*") if "kernel" in path.name] == []
    # Run again: the quick one is not graded twice.
    log = subprocess.run(command, env=env, capture_output=True, text=True, check=True).stdout
    assert "1 submission(s) already graded" in log and "a_quick" not in log
    assert "b_slow (b_slow.ipynb): 0/11 points" in log


def _wait_for_second_sandbox(grader, out):
    """Waits until a_quick is recorded and b_slow's sandbox runs; returns the pids."""
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        recorded = list(out.parent.glob("results.graded/a_quick-*.json"))
        children = psutil.Process(grader.pid).children(recursive=True)
        if recorded and len(children) >= 3:  # a sandbox, its worker and its kernel
            time.sleep(1)
            return [child.pid for child in psutil.Process(grader.pid).children(recursive=True)]
        time.sleep(0.2)
    raise AssertionError("the grader did not get to the second submission")


def _all_gone(pids, seconds=20):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        alive = [pid for pid in pids if psutil.pid_exists(pid) and _not_zombie(pid)]
        if not alive:
            return True
        time.sleep(0.2)
    return False


def _not_zombie(pid):
    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.Error:
        return False


# --- 4. A budget for a whole submission ----------------------------------------------


def test_a_submission_stops_at_its_time_budget(tmp_path):
    inbox, out = tmp_path / "inbox", tmp_path / "results.csv"
    write(inbox, "slow", [code("import time\ntime.sleep(1.5)") for _ in range(40)])
    arguments = ["grade", str(inbox), "--out", str(out), "--timeout", "2"]
    assert cli.main([*arguments, "--submission-timeout", "12"]) == 0
    assert "ran past its 12 s time budget" in rows(out)["slow"]["problems"]


# --- 7. Feedback files that never collide, CSV cells that are never formulas ----------


def test_feedback_file_names_never_collide():
    names = ["zoë", "zoé", "张伟", "李娜", "..", "a b", "a_b", "Alice", "alice", "con", "x-1234"]
    names.append("zoe-" + files.unique_names(["zoë"])["zoë"].split("-")[1])  # a crafted twin
    chosen = files.unique_names(names)
    assert len({name.lower() for name in chosen.values()}) == len(names)
    assert chosen["a_b"] == "a_b" and chosen["x-1234"] == "x-1234"
    assert all(files.safe_name(name) == name for name in chosen.values())


@pytest.mark.parametrize("name", ["=1+1", "+cmd", "-2", "@SUM(A1)", "'=x", "\tx"])
def test_no_csv_cell_starts_a_formula_and_names_read_back_unchanged(tmp_path, name):
    from coursekit.grading.autograde.grade import SubmissionResult

    out = tmp_path / "results.csv"
    outputs.write_csv([SubmissionResult(tmp_path / "x.ipynb", name, None, error="e")], out)
    cell = next(csv.DictReader(out.open(newline="")))["student"]
    assert not cell.startswith(("=", "+", "-", "@", "\t"))
    assert outputs.Sheet.read(out).rows.keys() == {name}


# --- Without bubblewrap ----------------------------------------------------------------


def test_without_bubblewrap_grading_works_and_says_it_is_not_isolated(tmp_path, monkeypatch):
    monkeypatch.setattr(sandbox, "detect", lambda: sandbox.Isolation(None, "bwrap is missing."))
    inbox, out = tmp_path / "inbox", tmp_path / "results.csv"
    write(inbox, "alice", every_solution())
    lines = []
    results = grade([inbox], out, log=lines.append)
    assert lines[0].startswith("WARNING: bwrap is missing. Submissions are NOT isolated")
    assert results[0].auto_score == 11
    assert json.loads(out.with_suffix(".json").read_text())["options"]["isolated"] is False
