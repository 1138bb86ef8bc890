"""Gradient checking: centred finite differences and the relative error."""

import numpy as np

from coursekit._arguments import float64_array, positive_number, same_shape, scalar


def numerical_gradient(f, x, h=1e-5):
    """Estimates the gradient of a scalar function by centred differences.

    For every element `x[k]`, `grad[k] = (f(x + h e_k) - f(x - h e_k)) / (2h)`,
    where `e_k` is 1 at `k` and 0 elsewhere. The error of this estimate shrinks
    like `h**2` (a one-sided difference only like `h`), until floating-point
    round-off, which grows like `1/h`, takes over.

    It needs two calls of `f` per element, so use it on small inputs to check
    an analytic gradient, never to train.

    Args:
        f: a function of an array returning a number (e.g. a loss).
        x: the point at which to differentiate; it is not modified.
        h: the step.

    Returns:
        A float64 array shaped like `x`.

    Raises:
        ValueError: if `h` is not a positive number, or `f` does not return one number.

    Example (the gradient of `sum(x**2)` is `2x`):

    >>> numerical_gradient(lambda a: np.sum(a**2), np.array([1.0, -2.0, 3.0])).round(6)
    array([ 2., -4.,  6.])
    """
    h = positive_number(h, "h")
    point = float64_array(x, copy=True)  # a copy: the caller's x is never touched
    grad = np.zeros_like(point)
    for index in np.ndindex(point.shape):
        saved = point[index]
        point[index] = saved + h
        above = scalar(f(point), "f")
        point[index] = saved - h
        below = scalar(f(point), "f")
        point[index] = saved
        grad[index] = (above - below) / (2 * h)
    return grad


def relative_error(a, b):
    """Returns `max |a - b| / max(1e-8, |a| + |b|)`, the largest element-wise relative error.

    Around 1e-7 or less, two gradients agree; 1e-4 or more usually means a bug
    (unless the function has a kink, like ReLU at 0, close to the point).

    Args:
        a, b: two arrays of the same shape, e.g. an analytic and a numerical gradient.

    Returns:
        A float: the largest element-wise relative error (0.0 for empty arrays).

    Raises:
        ValueError: if the shapes differ.

    Example:

    >>> relative_error(np.array([1.0, 2.0]), np.array([1.0, 2.000002]))  # doctest: +ELLIPSIS
    4.99...e-07
    """
    a, b = same_shape(float64_array(a), float64_array(b), ("a", "b"))
    return float(np.max(np.abs(a - b) / np.maximum(1e-8, np.abs(a) + np.abs(b)), initial=0.0))
