"""The source lines of a student's functions, carried with them to another process.

Error messages quote the line of student code that failed. In the student's own
kernel, Python finds that line through the code object's file name (notebook cells
are registered in `linecache` under made-up names). A function sent to another
process by value loses that: the file name is only a label, and a pickler may
replace it (cloudpickle 3.1.3 names every code object `<dynamic-code>`).

So the source travels with the function, keyed by what a pickler must keep for the
code to run at all: its name, its first line number and its bytecode.
"""

import linecache
import types


def code_key(code):
    """Identifies a code object by its name, first line and bytecode."""
    return (code.co_name, code.co_firstlineno, code.co_code)


def collect_sources(function):
    """The source lines of `function` and of the functions it refers to by global name.

    Returns:
        A dict from `code_key(code)` to the lines of the file or notebook cell that
        code was compiled from, for each code object whose source `linecache` knows.
    """
    sources, seen = {}, set()
    pending = [function]
    while pending:
        current = pending.pop()
        if id(current) in seen or not isinstance(current, types.FunctionType):
            continue
        seen.add(id(current))
        for code in _code_objects(current.__code__):
            lines = linecache.getlines(code.co_filename)
            if lines:
                sources[code_key(code)] = lines
            pending.extend(current.__globals__.get(name) for name in code.co_names)
    return sources


def source_line(code, lineno, sources=None):
    """The stripped source line `lineno` of `code`: from `sources`, else from `linecache`."""
    lines = (sources or {}).get(code_key(code)) or linecache.getlines(code.co_filename)
    return lines[lineno - 1].strip() if 0 < lineno <= len(lines) else ""


def _code_objects(code):
    """`code` and the code objects nested in it (inner functions, comprehensions)."""
    found = [code]
    for constant in code.co_consts:
        if isinstance(constant, types.CodeType):
            found.extend(_code_objects(constant))
    return found
