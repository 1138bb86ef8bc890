"""First-order mutants of a solution: one small change each, the kind a student makes.

Only the code between the solution markers changes. The changes:

| kind | example |
|---|---|
| operator | `a + b` -> `a - b`; `a // b` -> `a / b`; `a += b` -> `a -= b` or `a = b` |
| operand order and dropped operand | `a - b` -> `b - a`; `a + b` -> `a` or `b`; `a * b` -> `a` |
| comparison | `<` -> `<=` or `>`; `==` -> `!=`; `is` -> `is not`; `and` -> `or` |
| negation | `if c:` -> `if not c:`; `-x` -> `x`; `not c` -> `c` |
| constant | `1` -> `0` or `2`; `0.5` -> `1.5`, `-0.5` or `0.0`; `True` -> `False` |
| axis twin | a name for one axis replaced by its twin: `pad_h` -> `pad_w`, `i` -> `j` |
| function twin | `np.max` -> `np.min`; `argmax` -> `argmin`; `sum` -> `mean`; `ceil` -> `floor` |
| argument | adjacent positional arguments or tuple items swapped; a keyword argument dropped |
| slice | one bound or the step of a slice dropped: `a[1:n]` -> `a[:n]`; `a[::-1]` -> `a[::]` |
| statement | one statement deleted (replaced by `pass`) |

Mutants are listed in a fixed order (the function's syntax tree, depth first, then the
order of the table), without duplicates or mutants that do not compile.
"""

import ast
import copy
import dataclasses

_OPERATORS = {
    ast.Add: (ast.Sub,),
    ast.Sub: (ast.Add,),
    ast.Mult: (ast.Div,),
    ast.Div: (ast.Mult, ast.FloorDiv),
    ast.FloorDiv: (ast.Div, ast.Mult),
    ast.Mod: (ast.FloorDiv,),
    ast.Pow: (ast.Mult,),
    ast.MatMult: (ast.Mult,),
    ast.BitAnd: (ast.BitOr,),
    ast.BitOr: (ast.BitAnd,),
}
_NOT_COMMUTATIVE = (ast.Sub, ast.Div, ast.FloorDiv, ast.Mod, ast.Pow, ast.MatMult)
_COMPARISONS = {
    ast.Lt: (ast.LtE, ast.Gt),
    ast.LtE: (ast.Lt, ast.GtE),
    ast.Gt: (ast.GtE, ast.Lt),
    ast.GtE: (ast.Gt, ast.LtE),
    ast.Eq: (ast.NotEq,),
    ast.NotEq: (ast.Eq,),
    ast.Is: (ast.IsNot,),
    ast.IsNot: (ast.Is,),
    ast.In: (ast.NotIn,),
    ast.NotIn: (ast.In,),
}
_FUNCTION_TWINS = {
    "max": "min",
    "min": "max",
    "argmax": "argmin",
    "argmin": "argmax",
    "maximum": "minimum",
    "minimum": "maximum",
    "amax": "amin",
    "amin": "amax",
    "sum": "mean",
    "mean": "sum",
    "var": "std",
    "std": "var",
    "ceil": "floor",
    "floor": "ceil",
    "any": "all",
    "all": "any",
    "zeros": "ones",
    "ones": "zeros",
    "zeros_like": "ones_like",
    "ones_like": "zeros_like",
}
# Words that name one of two axes; names that differ only in one of them are twins.
_AXIS_PAIRS = [
    ("h", "w"),
    ("height", "width"),
    ("row", "col"),
    ("rows", "cols"),
    ("top", "left"),
    ("i", "j"),
    ("u", "v"),
    ("before", "after"),
]
_AXIS_WORDS = {**dict(_AXIS_PAIRS), **{second: first for first, second in _AXIS_PAIRS}}


@dataclasses.dataclass(frozen=True)
class Mutant:
    """One changed copy of a solution.

    Attributes:
        line: the notebook source's line of the change.
        before: the changed code as the solution has it (normalised by `ast.unparse`).
        after: that code in the mutant.
        statement: the mutant's changed statement (its header for a block); with the
            exercise id it names the mutant, e.g. in the list of accepted survivors.
        source: the mutant's module source (the solution's preamble, then the function).
    """

    line: int
    before: str
    after: str
    statement: str
    source: str

    @property
    def change(self):
        return f"line {self.line}: `{self.before}` -> `{self.after}`"


def mutants(solution):
    """The first-order mutants of a `Solution`, in a fixed order (see the module docstring).

    Example (exercise 5.5's three-line solution):

    >>> import pathlib, coursekit
    >>> from coursekit.grading import get_exercise
    >>> from coursekit.grading.strength import find_solution
    >>> root = pathlib.Path(coursekit.__file__).parents[1]
    >>> found = mutants(find_solution(get_exercise("05.5"), root))
    >>> len(found), found[-1].statement
    (14, 'return float(np.mean(higher <= k))')
    >>> [(m.before, m.after) for m in found if m.after.startswith("None")]
    [(':, None', 'None, :')]
    """
    original = solution.function
    seen = {ast.unparse(original)}
    found = []
    twins = _axis_twins(original)
    for path, node in _walk(original):
        if not solution.in_solution(node):
            continue
        for replacement in _replacements(node, path[-1][0], twins):
            tree = copy.deepcopy(original)
            statement = _replace(tree, path, replacement)
            text = ast.unparse(tree)
            if text in seen or not _compiles(text):
                continue
            seen.add(text)
            deleted = isinstance(replacement, ast.Pass)
            found.append(
                Mutant(
                    line=node.lineno,
                    before=_head(node),
                    after="(deleted)" if deleted else _head(replacement),
                    statement=f"(deleted) {_head(node)}" if deleted else _head(statement),
                    source=solution.module_source(tree),
                )
            )
    return found


def _walk(node, path=()):
    """`(path, node)` for every node below `node`, depth first; a path is a list of
    `(field, index)` steps from the root (index `None` for a single child)."""
    for field, value in ast.iter_fields(node):
        children = value if isinstance(value, list) else [value]
        for index, child in enumerate(children):
            if isinstance(child, ast.AST):
                step = (*path, (field, index if isinstance(value, list) else None))
                yield step, child
                yield from _walk(child, step)


def _replace(tree, path, replacement):
    """Puts `replacement` at `path` in `tree`; returns the statement that now holds it."""
    parent, statement = tree, tree
    for field, index in path[:-1]:
        child = getattr(parent, field)
        parent = child[index] if index is not None else child
        if isinstance(parent, ast.stmt):
            statement = parent
    field, index = path[-1]
    if index is None:
        setattr(parent, field, replacement)
    else:
        getattr(parent, field)[index] = replacement
    ast.fix_missing_locations(tree)
    return replacement if isinstance(replacement, ast.stmt) else statement


def _replacements(node, field, twins):
    """The nodes that may replace `node` (which sits in its parent's `field`)."""
    found = []
    if isinstance(node, ast.stmt):
        found.extend(_statement_changes(node))
    if field in ("test",) and isinstance(node, ast.expr):
        found.append(ast.UnaryOp(ast.Not(), copy.deepcopy(node)))
    if isinstance(node, ast.BinOp):
        found.extend(_binary_changes(node))
    elif isinstance(node, ast.Compare):
        for position, operator in enumerate(node.ops):
            for other in _COMPARISONS.get(type(operator), ()):
                found.append(_with(node, ops=_swapped(node.ops, position, other())))
    elif isinstance(node, ast.BoolOp):
        found.append(_with(node, op=ast.Or() if isinstance(node.op, ast.And) else ast.And()))
    elif isinstance(node, ast.UnaryOp) and not isinstance(node.op, ast.UAdd):
        found.append(copy.deepcopy(node.operand))
    elif isinstance(node, ast.Constant):
        found.extend(ast.Constant(value) for value in _constant_changes(node.value))
    elif isinstance(node, ast.Name) and node.id in twins and isinstance(node.ctx, ast.Load):
        found.append(_with(node, id=twins[node.id]))
    elif isinstance(node, ast.Attribute) and node.attr in _FUNCTION_TWINS:
        found.append(_with(node, attr=_FUNCTION_TWINS[node.attr]))
    elif isinstance(node, ast.Call):
        found.extend(_call_changes(node))
    elif isinstance(node, (ast.Tuple, ast.List)):
        found.extend(_with(node, elts=items) for items in _adjacent_swaps(node.elts))
    elif isinstance(node, ast.Slice):
        for part in ("lower", "upper", "step"):
            if getattr(node, part) is not None:
                found.append(_with(node, **{part: None}))
    return found


def _statement_changes(node):
    found = [] if isinstance(node, ast.Pass) else [ast.Pass()]
    if isinstance(node, ast.AugAssign):
        found.extend(_with(node, op=other()) for other in _OPERATORS.get(type(node.op), ()))
        found.append(ast.Assign([copy.deepcopy(node.target)], copy.deepcopy(node.value)))
    return found


def _binary_changes(node):
    found = [_with(node, op=other()) for other in _OPERATORS.get(type(node.op), ())]
    if isinstance(node.op, _NOT_COMMUTATIVE):
        found.append(_with(node, left=node.right, right=node.left))
    if isinstance(node.op, (ast.Add, ast.Sub, ast.Mult, ast.Div)):
        found.append(copy.deepcopy(node.left))
    if isinstance(node.op, (ast.Add, ast.Mult)):
        found.append(copy.deepcopy(node.right))
    return found


def _call_changes(node):
    found = []
    if isinstance(node.func, ast.Name) and node.func.id in _FUNCTION_TWINS:
        found.append(_with(node, func=ast.Name(_FUNCTION_TWINS[node.func.id], ast.Load())))
    found.extend(_with(node, args=items) for items in _adjacent_swaps(node.args))
    for position in range(len(node.keywords)):
        found.append(_with(node, keywords=node.keywords[:position] + node.keywords[position + 1 :]))
    return found


def _constant_changes(value):
    if isinstance(value, bool):
        return [not value]
    if isinstance(value, int):
        return [value + 1, value - 1]
    if isinstance(value, float):
        return [*([0.0] if value != 0 else []), value + 1, value - 1]
    return []


def _axis_twins(function):
    """Maps each name of the function with an axis twin to that twin."""
    names = {node.id for node in ast.walk(function) if isinstance(node, ast.Name)}
    names |= {argument.arg for argument in ast.walk(function) if isinstance(argument, ast.arg)}
    twins = {}
    for name in sorted(names):
        words = name.split("_")
        for position, word in enumerate(words):
            if word in _AXIS_WORDS:
                twin = "_".join([*words[:position], _AXIS_WORDS[word], *words[position + 1 :]])
                if twin in names:
                    twins[name] = twin
    return twins


def _adjacent_swaps(items):
    for position in range(len(items) - 1):
        if ast.dump(items[position]) != ast.dump(items[position + 1]):
            swapped = list(items)
            swapped[position], swapped[position + 1] = swapped[position + 1], swapped[position]
            yield swapped


def _swapped(items, position, value):
    return [*items[:position], value, *items[position + 1 :]]


def _with(node, **changes):
    """A copy of `node` with some fields replaced."""
    changed = copy.deepcopy(node)
    for field, value in changes.items():
        setattr(changed, field, copy.deepcopy(value))
    return changed


def _head(node):
    """One line for a node: a block statement is shown by its header, a subscript's
    tuple of slices without the parentheses `ast.unparse` gives it."""
    first = ast.unparse(node).split("\n")[0]
    if isinstance(node, ast.Tuple) and any(isinstance(item, ast.Slice) for item in node.elts):
        return first[1:-1]
    return first.removesuffix(":") if isinstance(node, ast.stmt) and _has_body(node) else first


def _has_body(node):
    return isinstance(getattr(node, "body", None), list)


def _compiles(text):
    try:
        compile(text, "<mutant>", "exec")
    except SyntaxError:
        return False
    return True
