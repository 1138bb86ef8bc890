"""Check strength: every check rejects the wrong versions of its notebook's solution.

The default run measures each coding exercise, present and future (notebooks 06-08
included as their modules land), on a fixed sample of `SAMPLE` mutants. The full
measurement is one command, which CI runs after the test suite (about 40 s):

    coursekit exercises --strength --fail-under 99

The rest tests the machinery: solutions read from notebook sources, mutants, the
worker's time and memory bounds, and the command on an instructor's own exercise.
"""

import copy
import pathlib
import re
import textwrap

import numpy as np
import pytest

from coursekit import arithmetic, cli, grading
from coursekit.grading.layout import BuildError
from coursekit.grading.strength import find_solution, measure, mutants
from coursekit.grading.strength.accepted import ACCEPTED
from coursekit.grading.strength.worker import Task, Worker

ROOT = pathlib.Path(__file__).resolve().parents[1]
SAMPLE = 12
CODE_EXERCISES = [exercise for exercise in grading.exercises() if exercise.kind == "code"]


def _ids(exercise):
    return exercise.id


def test_every_coding_exercise_has_a_fuzz_generator():
    missing = [exercise.id for exercise in CODE_EXERCISES if exercise.fuzz is None]
    assert not missing, f"add fuzz=... to the coding(...) of {missing}"


@pytest.mark.parametrize("exercise", CODE_EXERCISES, ids=_ids)
def test_fuzz_cases_are_valid_and_fixed_by_their_seed(exercise):
    first = exercise.fuzz(np.random.default_rng(3))
    again = exercise.fuzz(np.random.default_rng(3))
    assert len(first) >= 10
    assert [case.description for case in first] == [case.description for case in again]
    for case in first:
        exercise.reference(*copy.deepcopy(case.args), **copy.deepcopy(case.kwargs))


@pytest.fixture(scope="module")
def worker():
    shared = Worker()
    yield shared
    shared.stop()


@pytest.mark.parametrize("exercise", CODE_EXERCISES, ids=_ids)
def test_the_check_rejects_sampled_mutants_of_the_notebook_solution(exercise, worker):
    strength = measure(exercise, ROOT, sample=SAMPLE, worker=worker)
    unaccepted = [v for v in strength.survivors if v not in strength.accepted_survivors]
    assert strength.score >= 99, [
        (v.mutant.change, v.mutant.statement, strength.fuzz_cases[v.difference[0]].description)
        for v in unaccepted
    ]


def test_accepted_survivors_name_a_coding_exercise_and_a_reason():
    coding = {exercise.id for exercise in CODE_EXERCISES}
    for (exercise_id, statement), reason in ACCEPTED.items():
        assert exercise_id in coding and statement.strip() and len(reason) > 20


# --- the machinery ------------------------------------------------------------------


def test_the_solution_is_the_code_between_the_markers_with_the_notebook_s_imports():
    solution = find_solution(grading.get_exercise("01.2"), ROOT)
    source = solution.path.read_text().splitlines()
    first, last = solution.lines
    assert source[first - 2].strip() == "### BEGIN SOLUTION"
    assert source[last].strip() == "### END SOLUTION"
    assert solution.preamble.splitlines() == [
        "import numpy as np",
        "from coursekit.scratch.windows import padding_amounts",
    ]


def _course(tmp_path, solution_body, before=""):
    """A course root whose notebook 01 asks for `padding_per_side` (exercise 1.9)."""
    source = tmp_path / "notebooks" / "src" / "01_convolution_arithmetic.py"
    source.parent.mkdir(parents=True)
    body = textwrap.indent(textwrap.dedent(solution_body).strip(), " " * 4)
    source.write_text(
        f"# %%\nimport math\n{before}\n\n# %% [markdown]\n# ### Exercise 1.9\n\n\n# %%\n"
        f"def padding_per_side(padding, span):\n    ### BEGIN SOLUTION\n{body}\n"
        f'    ### END SOLUTION\n\n\n# %%\ncheck("01.9", padding_per_side)\n'
    )
    return tmp_path


PADDING_PER_SIDE = """
    if padding == "valid":
        return 0
    if padding == "full":
        return span - 1
    return padding
"""


def _readme_hidden_tests(tmp_path):
    """The README's example hidden-tests file, written to `tmp_path`."""
    readme = (ROOT / "README.md").read_text()
    example = re.search(r"```python\n# ~/course-private/hidden_tests.py\n(.+?)```", readme, re.S)
    path = tmp_path / "hidden_tests.py"
    path.write_text(example.group(1))
    return path


def _padding_exercise():
    return grading.coding(
        "01.9", "Zeros", 1, arithmetic.padding_per_side, cases=list, fuzz=lambda rng: []
    )


def test_a_free_name_that_only_notebook_code_binds_is_an_error(tmp_path):
    root = _course(tmp_path, "return padding + offset", before="offset = 0")
    with pytest.raises(BuildError, match="uses `offset`"):
        find_solution(_padding_exercise(), root)


def test_a_helper_defined_above_comes_with_the_imports_it_needs(tmp_path):
    helper = "def _side(padding, span):\n    return math.floor(padding)"
    root = _course(tmp_path, "return _side(padding, span)", before=helper)
    solution = find_solution(_padding_exercise(), root)
    assert solution.preamble == f"import math\n{helper}"


def test_mutants_are_first_order_distinct_and_in_a_fixed_order(tmp_path):
    solution = find_solution(_padding_exercise(), _course(tmp_path, PADDING_PER_SIDE))
    found = mutants(solution)
    assert [m.source for m in found] == [m.source for m in mutants(solution)]
    assert len({m.source for m in found}) == len(found)
    changes = {(m.before, m.after) for m in found}
    assert ("padding == 'valid'", "padding != 'valid'") in changes
    assert ("span - 1", "span + 1") in changes
    assert ("0", "1") in changes and ("1", "2") in changes
    assert ("return 0", "(deleted)") in changes
    assert all(m.line >= solution.lines[0] for m in found)  # only the marked code changes


def test_a_mutant_that_never_ends_is_stopped_and_counts_as_wrong():
    worker = Worker()
    worker.load(Task("05.5"))
    try:
        source = "def top_k_error(scores, labels, k):\n    while True:\n        pass\n"
        messages = worker.run("fuzz", source, timeout=1.0)
        assert messages[-1] == ("timeout", None)
        assert messages[0] == ("case", 0)
        right = find_solution(grading.get_exercise("05.5"), ROOT).module_source()
        assert worker.run("fuzz", right, timeout=30.0) == [
            *[("case", index) for index in range(100)],
            ("fuzz", None),
        ]
    finally:
        worker.stop()


@pytest.mark.skipif(not pathlib.Path("/proc/self/statm").exists(), reason="Linux only")
def test_a_mutant_that_allocates_wildly_gets_a_memory_error():
    worker = Worker(memory_mb=64)
    worker.load(Task("05.5"))
    try:
        source = (
            "import numpy as np\n"
            "def top_k_error(scores, labels, k):\n"
            "    return float(np.ones(2**26).sum())\n"
        )
        kind, (index, why) = worker.run("fuzz", source, timeout=30.0)[-1]
        assert (kind, index) == ("fuzz", 0) and "MemoryError" in why
    finally:
        worker.stop()


def test_an_instructor_measures_the_readme_s_hidden_exercise(tmp_path, capsys):
    root = _course(tmp_path, PADDING_PER_SIDE)
    hidden = _readme_hidden_tests(tmp_path)
    arguments = ["exercises", "--strength", "01.9", "--hidden-tests", str(hidden)]
    assert cli.main([*arguments, "--root", str(root), "--fail-under", "99"]) == 1
    out = capsys.readouterr().out
    assert (
        "01.9      padding_per_side                 16           0                16        11"
        in out
    )
    assert "Survivors: observably wrong, yet the check passes them" in out
    assert "mutant:     (deleted) return padding\n      differs on: padding_per_side(1, 3)" in out
    hidden.write_text(hidden.read_text().replace('("full", 5))]', '("full", 5)), *MORE]'))
    hidden.write_text(hidden.read_text() + 'MORE = [Case("", ("valid", 2)), Case("", (2, 3))]\n')
    assert cli.main([*arguments, "--root", str(root), "--fail-under", "99"]) == 0
    assert "100.0%" in capsys.readouterr().out


def test_ci_measures_every_check_with_the_readme_s_command():
    command = "coursekit exercises --strength --fail-under 99"
    assert f"```bash\n{command}\n```" in (ROOT / "README.md").read_text()
    assert command in (ROOT / ".ci" / "run").read_text().splitlines()


def test_the_command_refuses_written_answers_and_unknown_ids(capsys):
    assert cli.main(["exercises", "--strength", "01.4"]) == 2
    assert "written answers" in capsys.readouterr().err
    assert cli.main(["exercises", "--strength", "09.9"]) == 2
    assert "No exercise '09.9'" in capsys.readouterr().err
