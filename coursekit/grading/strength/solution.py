"""An exercise's solution as the notebook source writes it, ready to be mutated and run.

The solution is the code between `### BEGIN SOLUTION` and `### END SOLUTION` inside
the exercise's function in `notebooks/src/NN_topic.py`: the first function named like
the exercise's target, defined after the heading `# ### Exercise N.K`.

A mutant runs outside the notebook, so it gets exactly the notebook's bindings for the
names its function uses and does not define (its *free names*), found in the code
cells above it: an `import` statement that binds the name is run on its own (so `np`
is NumPy and `padding_amounts` is the one the notebook imported), and a function
defined at the top of a cell is copied with the names it needs in turn. A free name
that only other code binds (`x_train = ...`) cannot be rebuilt without running the
notebook, and is an error that names it; builtins need nothing.
"""

import ast
import builtins
import dataclasses
import pathlib
import re

from coursekit.grading.layout import BEGIN, END, BuildError

_HEADING = re.compile(r"^# ### Exercise (\d+)\.(\d+)\b")


@dataclasses.dataclass(frozen=True)
class Solution:
    """The solution of one exercise.

    Attributes:
        path: the notebook source it comes from.
        function: the `ast.FunctionDef` of the exercise's function, with the file's
            line numbers.
        lines: `(first, last)` file lines of the code between the markers.
        preamble: the source run before the function: the imports and helper
            functions that bind its free names.
    """

    path: pathlib.Path
    function: ast.FunctionDef
    lines: tuple
    preamble: str

    def module_source(self, function=None):
        """Source that defines the (possibly mutated) function after its preamble."""
        return f"{self.preamble}\n\n{ast.unparse(function or self.function)}\n"

    def in_solution(self, node):
        """Whether `node` lies between the markers (the code a student writes)."""
        first, last = self.lines
        return first <= getattr(node, "lineno", 0) and getattr(node, "end_lineno", 0) <= last


def find_solution(exercise, root="."):
    """Reads the solution of a coding exercise from its notebook source.

    Args:
        exercise: a coding `Exercise`.
        root: the course repository whose `notebooks/src/` holds the source.

    Returns:
        A `Solution`.

    Raises:
        BuildError: when the source, the function, its markers or one of its free
            names cannot be found.

    Example:

    >>> import pathlib, coursekit
    >>> from coursekit.grading import get_exercise
    >>> root = pathlib.Path(coursekit.__file__).parents[1]
    >>> solution = find_solution(get_exercise("02.2"), root)
    >>> solution.path.name, solution.function.name
    ('02_pooling_and_downsampling.py', 'max_pool2d')
    >>> print(solution.preamble)
    import numpy as np
    from coursekit.scratch.windows import padding_amounts
    """
    path = pathlib.Path(root) / "notebooks" / "src" / f"{exercise.notebook}.py"
    if not path.is_file():
        raise BuildError(f"Exercise {exercise.id}: no notebook source at {path}.")
    text = path.read_text(encoding="utf-8")
    module = ast.parse(text, str(path))
    heading = _heading_line(text, exercise)
    function = next(
        (
            node
            for node in module.body
            if isinstance(node, ast.FunctionDef)
            and node.name == exercise.target
            and node.lineno > heading
        ),
        None,
    )
    if function is None:
        raise BuildError(
            f"{path.name}: no function `{exercise.target}` after the heading of "
            f"Exercise {exercise.number}."
        )
    lines = _marker_lines(text, function, path)
    preamble = _preamble(module, function, path)
    return Solution(path, function, lines, preamble)


def _heading_line(text, exercise):
    for number, line in enumerate(text.splitlines(), start=1):
        match = _HEADING.match(line)
        if match and f"{int(match.group(1)):02d}.{match.group(2)}" == exercise.id:
            return number
    raise BuildError(f"{exercise.notebook}.py has no heading '# ### Exercise {exercise.number}'.")


def _marker_lines(text, function, path):
    """The first and last line between the markers; the end marker follows the body."""
    lines = [line.strip() for line in text.splitlines()]
    begin = _index(lines, BEGIN, function.lineno, function.end_lineno)
    end = _index(lines, END, begin or function.lineno, function.end_lineno + 1)
    if begin is None or end is None:
        raise BuildError(
            f"{path.name}, line {function.lineno}: `{function.name}` has no "
            f"{BEGIN} / {END} markers inside it."
        )
    return begin + 1, end - 1


def _index(lines, marker, first, last):
    """The 1-based number of the first line in `first..last` that is `marker`."""
    return next((n for n in range(first, last + 1) if lines[n - 1] == marker), None)


def _preamble(module, function, path):
    """The imports and helper functions that bind the function's free names."""
    bindings = _top_level_bindings(module.body[: module.body.index(function)])
    needed, pending, seen = [], sorted(_free_names(function)), set()
    while pending:
        name = pending.pop(0)
        if name in seen or hasattr(builtins, name):
            continue
        seen.add(name)
        node = bindings.get(name)
        if node is None:
            raise BuildError(
                f"{path.name}, line {function.lineno}: `{function.name}` uses `{name}`, which "
                "no import or function definition above it binds; a mutant cannot be run "
                "without running the notebook."
            )
        if isinstance(node, ast.FunctionDef):
            pending.extend(sorted(_free_names(node)))
        needed.append((node.lineno, ast.unparse(node)))
    return "\n".join(source for _, source in sorted(set(needed)))


def _top_level_bindings(statements):
    """Name -> the last import (reduced to that name) or function definition binding it."""
    bindings = {}
    for node in statements:
        if isinstance(node, ast.FunctionDef):
            bindings[node.name] = node
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            for alias in node.names:
                bound = alias.asname or alias.name.split(".")[0]
                single = ast.Import([alias]) if isinstance(node, ast.Import) else None
                if single is None:
                    single = ast.ImportFrom(node.module, [alias], node.level)
                bindings[bound] = ast.copy_location(single, node)
        else:
            for target in _assigned_names(node):
                bindings.pop(target, None)
    return bindings


def _assigned_names(node):
    return {
        child.id
        for child in ast.walk(node)
        if isinstance(child, ast.Name) and isinstance(child.ctx, (ast.Store, ast.Del))
    } | {
        child.name for child in ast.walk(node) if isinstance(child, (ast.ClassDef, ast.FunctionDef))
    }


def _free_names(function):
    """Names a function reads that neither its parameters nor its own code bind."""
    arguments = function.args
    parameters = {
        argument.arg
        for argument in [
            *arguments.posonlyargs,
            *arguments.args,
            *arguments.kwonlyargs,
            *filter(None, [arguments.vararg, arguments.kwarg]),
        ]
    }
    body = ast.Module(function.body, type_ignores=[])
    local = parameters | _assigned_names(body) | _lambda_parameters(body)
    read = {
        node.id
        for node in ast.walk(body)
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load)
    }
    defaults = [*arguments.defaults, *filter(None, arguments.kw_defaults)]
    read |= {
        node.id for default in defaults for node in ast.walk(default) if isinstance(node, ast.Name)
    }
    return read - local


def _lambda_parameters(body):
    return {node.arg for node in ast.walk(body) if isinstance(node, ast.arg)}
