"""Hostile submissions against the sandboxed grader: every attack of issue 11, numbered
as there. Each costs only its own points with a clear reason; the batch finishes,
the others keep their exact scores, nothing outside a sandbox changes, and nothing
secret reaches the feedback.

One batch (two jobs, a 4 s cell limit, a 600 MB cap, a hidden test) grades small
notebooks of notebook 01 (see `tests.submissions`). These tests need bubblewrap
(`apt-get install bubblewrap`; CI installs it). Attacks that would harm the machine
if a sandbox failed check first that they run inside one.
"""

import csv
import json
import os
import pathlib
import resource
import site
import subprocess
import textwrap
import time

import psutil
import pytest

import coursekit
from coursekit.grading import get_exercise
from coursekit.grading.autograde import sandbox
from tests.submissions import SOLUTION, SOLUTIONS, code, every_solution, grade, solution, write

pytestmark = pytest.mark.skipif(
    sandbox.detect().bwrap is None, reason="needs bubblewrap: apt-get install bubblewrap"
)

TIMEOUT, MEMORY_MB = 4, 600
SECRET = "hidden-marker-7c1f"
SLEEP_MARKS = ("314.159", "271.828")
HIDDEN_TESTS = f"""
import numpy as np
from coursekit.grading import Case, hidden_cases

# {SECRET}


@hidden_cases("01.2")
def special_values():
    x = np.arange(2 * 5 * 5 * 1, dtype=float).reshape(2, 5, 5, 1)
    x[0, 1, 1, 0], x[1, 3, 2, 0] = np.nan, np.inf
    return [Case("NaN and inf in the input", (x, np.ones((2, 2, 1, 2)), None))]
"""
IN_SANDBOX = "open('/proc/1/comm').read().strip() == 'bwrap'"


def renamed(exercise_id, name):
    """The solution of an exercise with its function renamed (to be wrapped)."""
    target = {"01.1": "conv_output_size", "01.2": "conv2d", "01.3": "conv_layer_stats"}
    target["01.5"] = "receptive_field"
    return SOLUTIONS[exercise_id].replace(f"def {target[exercise_id]}(", f"def {name}(")


def attacks(inbox, out, outside, hidden):
    """name -> cells of each hostile submission (and the control, `good`)."""
    return {
        "good": every_solution(),
        # 1. A cell kills the process that started its kernel.
        "kills_grader": [
            solution("01.1"),
            code("import os, signal\nos.kill(os.getppid(), signal.SIGKILL)"),
            *every_solution()[1:],
        ],
        # 3. Files of classmates, the startup folder, site-packages, the course source.
        "tamper": [
            code(
                textwrap.dedent(f"""
                import glob, os, shutil
                for pattern in ("{inbox}/*.ipynb", "../**/*.ipynb", "/tmp/**/*.ipynb"):
                    for path in glob.glob(pattern, recursive=True):
                        try:
                            open(path, "w").close()
                            os.remove(path)
                        except OSError:
                            pass
                shutil.rmtree("{inbox}", ignore_errors=True)
                targets = [
                    os.path.expanduser("~/.ipython/profile_default/startup/00-zero.py"),
                    "{outside}/.ipython/profile_default/startup/00-zero.py",
                    *(os.path.join(folder, "zz_attack.pth") for folder in {site.getsitepackages()!r}),
                    "{pathlib.Path(coursekit.__file__).parent}/attack.py",
                    "{outside}/written.txt",
                ]
                for target in targets:
                    try:
                        os.makedirs(os.path.dirname(target), exist_ok=True)
                        with open(target, "w") as handle:
                            handle.write("# harmless\\n")
                    except OSError:
                        pass
                """)
            ),
            *every_solution(),
        ],
        # 3. A daemon that outlives its kernel rewrites the results and hand-ins.
        "daemon": [
            code(
                textwrap.dedent(f"""
                import glob, os, time
                if os.fork() == 0:
                    os.setsid()
                    if os.fork() == 0:
                        time.sleep(2)
                        for path in ["{out}", *glob.glob("/tmp/**/*.hand-in", recursive=True)]:
                            try:
                                with open(path, "w") as handle:
                                    handle.write("student,total\\nvictim,0\\n")
                            except OSError:
                                pass
                        os.execvp("sleep", ["sleep", "{SLEEP_MARKS[0]}"])
                    os._exit(0)
                """)
            ),
            *every_solution(),
        ],
        # 3. With two jobs, a kernel tries to kill the kernels graded beside it.
        "killer": [
            code(
                textwrap.dedent(f"""
                import os, signal, time, psutil
                if {IN_SANDBOX}:
                    end = time.monotonic() + 3
                    while time.monotonic() < end:
                        for process in psutil.process_iter(["cmdline"]):
                            if process.pid != os.getpid() and "ipykernel" in " ".join(process.info["cmdline"] or []):
                                process.kill()
                        time.sleep(0.1)
                """)
            ),
            solution("01.5"),
        ],
        # 2. A child keeps the result pipe open; 4. processes started by a check.
        "children": [
            code(
                "import os, subprocess, time\n"
                + renamed("01.5", "_receptive_field")
                + "\n\ndef receptive_field(layers):\n"
                "    if os.fork() == 0:\n"
                "        time.sleep(600)\n"
                "        os._exit(0)\n"
                f"    subprocess.Popen(['sleep', '{SLEEP_MARKS[1]}'], start_new_session=True)\n"
                "    return _receptive_field(layers)\n"
            ),
        ],
        # 4. The test process writes "ready" lines to every pipe it has, to restart its clock.
        "ready_lines": [
            code(
                "import os, time\n\n"
                "def receptive_field(layers):\n"
                "    for _ in range(40):\n"
                "        for fd in range(3, 12):\n"
                "            try:\n"
                "                os.write(fd, b'{\"ready\": true}\\n')\n"
                "            except OSError:\n"
                "                pass\n"
                "        time.sleep(0.5)\n"
                "    return 1\n"
            ),
        ],
        # 4. A detached process, and files in /dev/shm, past the memory cap.
        "detached_memory": [
            solution("01.1"),
            code(
                "import os, time\n"
                "if os.fork() == 0:\n"
                "    os.setsid()\n"
                "    if os.fork() == 0:\n"
                "        blocks = [np.ones(2**24) for _ in range(8)]\n"
                "        time.sleep(60)\n"
                "    os._exit(0)"
            ),
            *[
                code("time.sleep(3)") for _ in range(6)
            ],  # time for the daemon to grow, however loaded
        ],
        "shm": [
            solution("01.1"),
            code("import time"),
            *[  # 128 MB a cell, so that no cell nears the time limit on a slow machine
                code(
                    "try:\n"
                    "    with open('/dev/shm/blob', 'ab') as handle:\n"
                    "        for _ in range(4):\n"
                    "            handle.write(b'x' * 2**25)\n"
                    "except OSError:\n"
                    "    pass"
                )
                for _ in range(8)
            ],
            *[code("time.sleep(3)") for _ in range(3)],
        ],
        # 5. The function looks for the hidden tests and the grader's secrets.
        # 6. A wrong conv2d that is right on finite inputs only.
        "leaks": [
            code(
                "import glob, os\n\n"
                "def receptive_field(layers):\n"
                "    found = [str(dict(os.environ))]\n"
                "    for path in glob.glob('/proc/*/cmdline') + glob.glob('/proc/*/environ'):\n"
                "        try:\n"
                "            found.append(open(path, 'rb').read().decode(errors='replace'))\n"
                "        except OSError:\n"
                "            pass\n"
                f"    for path in ['{hidden}', '{inbox}']:\n"
                "        try:\n"
                "            found.append(open(path).read())\n"
                "        except OSError as error:\n"
                "            found.append(str(error))\n"
                "    raise ValueError('\\n'.join(found))\n"
            ),
            code(
                renamed("01.2", "_conv2d")
                + "\n\ndef conv2d(x, kernel, bias=None, strides=1, padding='valid', "
                "dilation_rate=1):\n"
                "    return _conv2d(np.nan_to_num(x, posinf=0.0, neginf=0.0), kernel, bias, "
                "strides, padding, dilation_rate)\n"
            ),
        ],
        # 8. Events sent straight to the grader, well-formed but endless (cell 3 is this
        # cell: the grader adds the check cell of 01.1 after its solution).
        "junk_pipe": [
            solution("01.1"),
            code(
                "import os\n"
                "parent = f'/proc/{os.getppid()}'\n"
                "for fd in os.listdir(f'{parent}/fd'):\n"
                "    flags = open(f'{parent}/fdinfo/{fd}').read().split('flags:')[1].split()[0]\n"
                "    if os.readlink(f'{parent}/fd/{fd}').startswith('pipe:') and int(flags, 8) & 3 == 1:\n"
                "        with open(f'{parent}/fd/{fd}', 'wb') as pipe:\n"
                "            for _ in range(100):\n"
                '                pipe.write(b\'{"cell_error": 3, "ename": "E", "evalue": "\'\n'
                "                           + b'x' * 2**20 + b'\"}\\n')"
            ),
            *every_solution()[1:],
        ],
        # 8. Printed output; 10. a pool of forked workers over one large array.
        "loud_pool": [
            code("for _ in range(10):\n    print('x' * 5_000_000)"),
            code("big = np.ones(20_000_000)"),
            code(
                "import multiprocessing\n\n"
                "def total(_):\n"
                "    return float(big.sum())\n\n"
                "with multiprocessing.get_context('fork').Pool(3) as pool:\n"
                "    assert pool.map(total, range(3)) == [2e7] * 3"
            ),
            *every_solution(),
        ],
        # 11. Right answers that cloudpickle cannot carry to another process.
        "uncarriable": [
            code("import functools\n\n@functools.cache\n" + SOLUTIONS["01.1"].lstrip()),
            code(
                "import itertools\n_calls = (n for n in itertools.count())\n"
                + renamed("01.2", "_conv2d")
                + "\n\ndef conv2d(*args, **kwargs):\n"
                "    next(_calls)\n"
                "    return _conv2d(*args, **kwargs)\n"
            ),
            code(
                "LOG = open('log.txt', 'w')\n"
                + renamed("01.3", "_conv_layer_stats")
                + "\n\ndef conv_layer_stats(*args, **kwargs):\n"
                "    LOG.write('called\\n')\n"
                "    return _conv_layer_stats(*args, **kwargs)\n"
            ),
            code(
                "import threading\nLOCK = threading.Lock()\n"
                + renamed("01.5", "_receptive_field")
                + "\n\ndef receptive_field(layers):\n"
                "    with LOCK:\n"
                "        return _receptive_field(layers)\n"
            ),
        ],
    }


@pytest.fixture(scope="module")
def batch(tmp_path_factory):
    folder = tmp_path_factory.mktemp("sandboxed")
    inbox, outside = folder / "submissions", folder / "outside"
    outside.mkdir()
    hidden = folder / "private" / "hidden_tests_secret.py"
    hidden.parent.mkdir()
    hidden.write_text(HIDDEN_TESTS)
    out = folder / "grades" / "results.csv"
    for name, cells in attacks(inbox, out, outside, hidden).items():
        write(inbox, name, cells)
    # 2. and 12. Files that are not notebooks: a named pipe, links, one too large.
    os.mkfifo(inbox / "fifo.ipynb")
    (inbox / "zero.ipynb").symlink_to("/dev/zero")
    (inbox / "linked_solution.ipynb").symlink_to(SOLUTION)
    (inbox / "linked_hidden.ipynb").symlink_to(hidden)
    (inbox / "stored_output.ipynb").write_text('{"cells": [], "x": "' + "y" * 51 * 2**20 + '"}')
    # 7. Names that collide as file names, and one that is a formula.
    for name in ("zoë", "zoé", "a b", "a_b", "=1+1"):
        (inbox / f"{name}.ipynb").write_text("{ not json")
    before = {path.name: path.read_bytes() for path in inbox.iterdir() if path.is_file()}
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    arguments = [inbox, "--out", out, "--jobs", 2, "--timeout", TIMEOUT]
    grade([*arguments, "--memory-limit", MEMORY_MB, "--hidden-tests", hidden])
    grown_mb = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - peak) / 1024
    written = out.read_bytes()
    time.sleep(3)  # what a surviving daemon would do after the grader exits
    with open(out, newline="", encoding="utf-8") as handle:
        rows = {row["student"]: row for row in csv.DictReader(handle)}
    students = json.loads(out.with_suffix(".json").read_text())["students"]
    details = {
        student["student"]: {
            item["id"]: item
            for submission in student["submissions"]
            for item in submission["exercises"]
        }
        for student in students
    }
    feedback = {
        path.name: path.read_text(encoding="utf-8") for path in (out.parent / "feedback").iterdir()
    }
    yield {
        "rows": rows,
        "details": details,
        "feedback": feedback,
        "inbox": inbox,
        "before": before,
        "outside": outside,
        "out": out,
        "written": written,
        "grown_mb": grown_mb,
    }
    for leftover in ["zz_attack.pth"]:
        for folder in site.getsitepackages():
            pathlib.Path(folder, leftover).unlink(missing_ok=True)
    (pathlib.Path(coursekit.__file__).parent / "attack.py").unlink(missing_ok=True)


def scores(batch, student):
    row = batch["rows"][student]
    return {key: row[key] for key in ("01.1", "01.2", "01.3", "01.5")}


def messages(batch, student, exercise_id):
    return "\n".join(batch["details"][student][exercise_id]["messages"])


FULL = {"01.1": "2", "01.2": "4", "01.3": "3", "01.5": "2"}


def test_the_control_keeps_full_marks_in_a_hostile_batch(batch):
    assert scores(batch, "good") == FULL
    assert batch["rows"]["good"]["problems"] == ""


def test_1_killing_the_grading_process_costs_only_the_rest_of_that_notebook(batch):
    assert scores(batch, "kills_grader") == {"01.1": "2", "01.2": "0", "01.3": "0", "01.5": "0"}
    assert "the grading process in its sandbox ended" in batch["rows"]["kills_grader"]["problems"]
    assert "cell 3 (`import os, signal`)" in batch["rows"]["kills_grader"]["problems"]
    assert batch["details"]["kills_grader"]["01.2"]["status"] == "not run"


def test_2_a_child_holding_the_result_pipe_does_not_block_grading(batch):
    assert scores(batch, "children")["01.5"] == "2"
    public = len(get_exercise("01.5").cases())
    assert messages(batch, "children", "01.5") == f"{public} of {public} tests passed."


def test_2_and_12_only_regular_files_of_a_sane_size_are_read(batch):
    rows = batch["rows"]
    assert "not a regular file but a named pipe" in rows["fifo"]["problems"]
    for name in ("zero", "linked_solution", "linked_hidden"):
        assert "symbolic link" in rows[name]["problems"], name
        assert rows[name]["total"] == "0"
    assert "larger than 50 MB" in rows["stored_output"]["problems"]


def test_3_no_submission_changes_files_outside_its_sandbox(batch):
    inbox = batch["inbox"]
    after = {path.name: path.read_bytes() for path in inbox.iterdir() if path.is_file()}
    assert after == batch["before"]
    assert scores(batch, "tamper") == FULL
    assert list(batch["outside"].iterdir()) == []
    assert not (pathlib.Path(coursekit.__file__).parent / "attack.py").exists()
    assert not any(
        pathlib.Path(folder, "zz_attack.pth").exists() for folder in site.getsitepackages()
    )


def test_3_a_daemon_dies_with_its_sandbox_and_cannot_touch_the_results(batch):
    assert scores(batch, "daemon") == FULL
    assert batch["out"].read_bytes() == batch["written"]
    assert not _processes_with_argument(SLEEP_MARKS[0])


def test_3_a_kernel_cannot_kill_the_kernels_beside_it(batch):
    assert scores(batch, "killer")["01.5"] == "2"  # its loop ran to the end
    assert scores(batch, "good") == FULL


def test_4_processes_a_check_started_do_not_survive(batch):
    assert not _processes_with_argument(SLEEP_MARKS[1])


def test_4_lines_forged_on_the_result_pipe_do_not_restart_the_clock(batch):
    assert scores(batch, "ready_lines")["01.5"] == "0"
    assert messages(batch, "ready_lines", "01.5") in (
        "The results of testing your function could not be read.",
        f"Your `receptive_field` ran longer than the {TIMEOUT} s time limit (on the test "
        "'no layers').",
    )


def test_4_a_detached_process_and_files_in_dev_shm_count_toward_the_memory_cap(batch):
    for name in ("detached_memory", "shm"):
        assert scores(batch, name)["01.1"] == "2"
        assert f"it used more than the {MEMORY_MB} MB memory cap" in batch["rows"][name]["problems"]


def test_5_feedback_reveals_neither_the_hidden_tests_nor_the_grader_s_paths(batch):
    text = batch["feedback"]["leaks.md"]
    assert SECRET not in text and "hidden_tests_secret" not in text
    assert str(batch["inbox"].parent) not in text
    for line in text.splitlines():
        assert len(line) < 400
    assert "<path>" in messages(batch, "leaks", "01.5")
    for name in ("linked_hidden.md", "linked_solution.md"):
        assert SECRET not in batch["feedback"][name]


def test_6_nan_and_inf_must_sit_where_the_reference_has_them(batch):
    assert scores(batch, "leaks")["01.2"] == "0"
    assert "hidden test 1: the result is not the expected one." in messages(batch, "leaks", "01.2")
    public = len(get_exercise("01.2").cases())  # all pass; the hidden one fails
    assert f"{public} of {public + 1} tests passed." in messages(batch, "leaks", "01.2")


def test_7_feedback_files_never_collide_and_csv_cells_are_never_formulas(batch):
    names = [name for name in batch["feedback"] if name.startswith(("zo", "a_b"))]
    assert len(names) == 4
    assert "'=1+1" in batch["out"].read_text(encoding="utf-8")
    assert "=1+1" in batch["rows"]["'=1+1"]["student"]


def test_8_what_a_submission_sends_or_prints_does_not_grow_the_grader(batch):
    assert "sent the grader more than 32 MB" in batch["rows"]["junk_pipe"]["problems"]
    assert scores(batch, "junk_pipe")["01.1"] == "2"
    assert batch["grown_mb"] < 1024
    assert scores(batch, "loud_pool") == FULL


def test_10_memory_shared_by_forked_workers_counts_once(batch):
    assert scores(batch, "loud_pool") == FULL
    assert batch["rows"]["loud_pool"]["problems"] == ""


def test_11_right_answers_that_cloudpickle_cannot_carry_still_pass(batch):
    assert scores(batch, "uncarriable") == FULL


def _processes_with_argument(argument):
    found = []
    for process in psutil.process_iter(["cmdline"]):
        if argument in (process.info["cmdline"] or []):
            found.append(process.pid)
    return found


SHOW_SECRETS = """
import os
for path in ("/etc/shadow", "/etc/gshadow"):
    try:
        print(open(path).read())
    except OSError as error:
        print(type(error).__name__)
print(os.listdir("/etc/ssh") if os.path.isdir("/etc/ssh") else [])
"""


def test_5_the_system_s_secrets_are_hidden_even_from_a_grader_run_as_root():
    from coursekit.grading.autograde.limits import Limits

    run = sandbox.Run(sandbox.detect(), Limits(), "fast")
    command = run._bwrap_command(["python", "-c", SHOW_SECRETS])
    shown = subprocess.run(command, capture_output=True, text=True, timeout=60, check=True).stdout
    assert "root:" not in shown and "ssh_host" not in shown
    assert shown.strip().endswith("[]")
