"""Answers a student might write, one module per notebook.

Each module defines `RIGHT` and `WRONG`: exercise id -> list of functions. Right
answers are written in a different style from the references; wrong ones are the
classic mistakes the checks must reject. `HINTS` lists `(exercise id, wrong answer,
words its hint must contain)`. This package merges them.
"""

import importlib
import pkgutil

RIGHT = {}
WRONG = {}
HINTS = []

for _module_info in pkgutil.iter_modules(__path__):
    _module = importlib.import_module(f"{__name__}.{_module_info.name}")
    for _merged, _part in ((RIGHT, _module.RIGHT), (WRONG, _module.WRONG)):
        for _exercise_id, _answers in _part.items():
            _merged.setdefault(_exercise_id, []).extend(_answers)
    HINTS.extend(_module.HINTS)
