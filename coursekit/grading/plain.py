"""Answers reduced to plain data, so that only values cross into the grader.

A student's function runs in a process the student's code controls. What it
returns is written out as JSON by `to_plain` and rebuilt by `from_plain` from
built-in types and base-class NumPy arrays only, so an object whose `__eq__`
always says True, or an ndarray subclass that lies about its values, reaches the
comparison as what it is: a foreign object named after its type.

Exact types are kept: `int`, `float`, `bool`, `complex`, `str`, `None`, `tuple`,
`list`, `dict` (also its subclasses, rebuilt as a plain dict), `numpy.ndarray`
of numbers, booleans or text, and NumPy scalars. Anything else becomes a
`Foreign` value that compares unequal to every reference answer.
"""

import base64
import json
import math

import numpy as np

# Deeper answers than this are not course answers; they would only slow the grader.
MAX_DEPTH = 32
ARRAY_KINDS = "biufcUS"
_SCALAR_TYPES = frozenset(np.dtype(code).type for code in "?bhilqpBHILQPefdgFDG")


class Foreign:
    """Stands for a value of a type the grader does not rebuild.

    `type(value).__name__` is the original type's name and `repr(value)` the
    original representation (shortened), so messages still say what was returned.
    """

    def __init__(self, text):
        self._text = text

    def __repr__(self):
        return self._text


def to_plain(value, depth=0):
    """Encodes a value as JSON-compatible data (see the module docstring).

    Example:

    >>> to_plain((1, 2.5, [True, None]))
    {'tuple': [1, 2.5, [True, None]]}
    """
    kind = type(value)
    if value is None or kind in (bool, int, float, str):
        return value
    if depth >= MAX_DEPTH:
        return _foreign(value, "nested too deeply")
    if kind is complex:
        return {"complex": [value.real, value.imag]}
    if kind is tuple:
        return {"tuple": [to_plain(item, depth + 1) for item in value]}
    if kind is list:
        return [to_plain(item, depth + 1) for item in value]
    if isinstance(value, dict):
        items = dict.items(value)
        return {"dict": [[to_plain(k, depth + 1), to_plain(v, depth + 1)] for k, v in items]}
    if kind is np.ndarray and value.dtype.kind in ARRAY_KINDS:
        data = np.ascontiguousarray(value).tobytes()
        shape = list(value.shape)
        return {"ndarray": {"dtype": value.dtype.str, "shape": shape, "data": _b64(data)}}
    if kind in _SCALAR_TYPES:
        return {"scalar": {"dtype": value.dtype.str, "data": _b64(value.tobytes())}}
    return _foreign(value)


def from_plain(data):
    """Rebuilds a value encoded by `to_plain`, from built-in types and NumPy only.

    Raises:
        ValueError: when the data is not something `to_plain` writes.

    Example:

    >>> from_plain(to_plain({"shape": (2, 3)}))
    {'shape': (2, 3)}
    """
    if data is None or type(data) in (bool, int, float, str):
        return data
    if type(data) is list:
        return [from_plain(item) for item in data]
    if type(data) is not dict or len(data) != 1:
        raise ValueError(f"Not an encoded answer. Received: {str(data)[:80]}")
    ((tag, payload),) = data.items()
    if tag == "tuple":
        return tuple(from_plain(item) for item in payload)
    if tag == "dict":
        return {from_plain(key): from_plain(value) for key, value in payload}
    if tag == "complex":
        return complex(*map(float, payload))
    if tag == "ndarray":
        return _array(payload)
    if tag == "scalar":
        dtype = _dtype(payload["dtype"], "biufc")
        return np.frombuffer(base64.b64decode(payload["data"]), dtype=dtype)[0].copy()
    if tag == "foreign":
        name = str(payload["type"])[:60] or "object"
        return type(name, (Foreign,), {})(str(payload["repr"])[:60])
    raise ValueError(f"Unknown tag in an encoded answer. Received: {tag!r}")


def dumps(value):
    """`to_plain` as a JSON string (NaN and infinities are kept)."""
    return json.dumps(to_plain(value))


def loads(text):
    """`from_plain` of a JSON string."""
    return from_plain(json.loads(text))


def _foreign(value, why=""):
    try:
        text = repr(value)
    except Exception:
        text = "<unprintable>"
    if len(text) > 60:
        text = text[:57] + "..."
    name = getattr(type(value), "__name__", "object")
    return {"foreign": {"type": str(name), "repr": f"{text} ({why})" if why else text}}


def _array(payload):
    dtype = _dtype(payload["dtype"], ARRAY_KINDS)
    shape = tuple(int(size) for size in payload["shape"])
    data = base64.b64decode(payload["data"])
    if any(size < 0 for size in shape) or len(data) != dtype.itemsize * math.prod(shape):
        raise ValueError(f"An encoded array's data does not fit its shape {shape}.")
    return np.frombuffer(data, dtype=dtype).reshape(shape).copy()


def _dtype(text, kinds):
    dtype = np.dtype(str(text))
    if dtype.kind not in kinds or dtype.fields is not None:
        raise ValueError(f"An encoded answer has an unsupported dtype. Received: {text!r}")
    return dtype


def _b64(data):
    return base64.b64encode(data).decode("ascii")
