"""Wrong ways to compute `"same"` padding, as hints for every exercise that pads.

Convolution and pooling, forward and backward (exercises 1.2, 2.2, 2.3, 3.2, 3.3),
share TensorFlow's rule: an axis of `n` cells with stride `s` has `ceil(n / s)`
outputs, the total padding is whatever makes the last window fit (never below 0),
and `total // 2` cells go before the input, the rest after. `wrong(kind, rule)`
returns the exercise's reference computed with one mistaken `rule`:

- the other axis's numbers: `"swapped"` (the height padded as the width should be,
  and the reverse), `"width_for_both"` or `"height_for_both"` (as if the input were
  square);
- `"floor"`: `floor(n / s)` outputs planned instead of `ceil(n / s)`;
- `"all_after"`: the whole padding after the input;
- `"extra_first"`: an odd total's extra cell before the input instead of after it.

`kind` is `"conv2d"`, `"max_pool2d"`, `"avg_pool2d"`, `"max_pool2d_backward"` or
`"conv2d_backward"`. With `padding="valid"` the wrong function is the reference itself.
`hints(kind, *rules)` makes the `Hint`s an exercise declares: one per rule, the
three other-axis rules sharing one message.
"""

import math

import numpy as np

from coursekit import arithmetic
from coursekit.grading.registry import Hint
from coursekit.scratch import (
    avg_pool2d,
    conv2d,
    conv2d_backward,
    max_pool2d,
    max_pool2d_backward,
)

OTHER_AXIS = (
    "Pad each axis by its own numbers: the height's 'same' padding comes from the "
    "height, the window's height and the vertical stride; the width's from the width's."
)
MESSAGES = {
    "swapped": OTHER_AXIS,
    "width_for_both": OTHER_AXIS,
    "height_for_both": OTHER_AXIS,
    "floor": (
        "With 'same', an axis of n cells has ceil(n / strides) outputs, so pad "
        "(ceil(n / s) - 1) * s + window - n cells in total (never below 0)."
    ),
    "all_after": (
        "With 'same', split the total padding: total // 2 cells before the input and the "
        "rest after it, as TensorFlow does."
    ),
    "extra_first": (
        "With 'same' padding and an odd total, the extra cell goes after the input "
        "(bottom and right), as in TensorFlow."
    ),
}


def hints(kind, *rules):
    """A `Hint` for each mistaken rule (all by default), for the exercise of `kind`.

    Leave out a rule whose wrong function fails with an error on every case of the
    exercise, as the student's code would: errors get no hint.
    """
    return tuple(Hint(MESSAGES[rule], wrong(kind, rule)) for rule in rules or MESSAGES)


def wrong(kind, rule):
    """The reference of exercise `kind` with `"same"` padding computed by mistaken `rule`."""
    return {
        "conv2d": _conv2d,
        "max_pool2d": _max_pool2d,
        "avg_pool2d": _avg_pool2d,
        "max_pool2d_backward": _max_pool2d_backward,
        "conv2d_backward": _conv2d_backward,
    }[kind](rule)


def pads(rule, shape, windows, strides, dilation_rate=1):
    """`(pad_h, pad_w)`, each `(before, after)`, for an input of NHWC `shape` under `rule`.

    Example (a 7x4 input, a 3x2 window, strides (2, 1)):

    >>> pads("swapped", (1, 7, 4, 1), (3, 2), (2, 1))
    ((0, 1), (1, 1))
    >>> pads("floor", (1, 7, 4, 1), (3, 2), (2, 1))
    ((0, 0), (0, 1))
    """
    height, width = zip(shape[1:3], windows, strides, strict=True)
    sources = {
        "swapped": (width, height),
        "width_for_both": (width, width),
        "height_for_both": (height, height),
    }.get(rule, (height, width))
    found = []
    for size, window, step in sources:
        outputs = size // step if rule == "floor" else math.ceil(size / step)
        span = (window - 1) * dilation_rate + 1
        total = max((outputs - 1) * step + span - size, 0)
        before = {"all_after": 0, "extra_first": total - total // 2}.get(rule, total // 2)
        found.append((before, total - before))
    return tuple(found)


def _pool_geometry(x, pool_size, strides):
    pool = arithmetic.as_pair(pool_size, "pool_size")
    return pool, pool if strides is None else arithmetic.as_pair(strides, "strides")


def _pad(x, amounts, value=0.0):
    return np.pad(x, ((0, 0), *amounts, (0, 0)), constant_values=value)


def _crop(grad, amounts, shape):
    (top, _), (left, _) = amounts
    return grad[:, top : top + shape[1], left : left + shape[2]]


def _conv2d(rule):
    def conv2d_with_wrong_padding(
        x, kernel, bias=None, strides=1, padding="valid", dilation_rate=1
    ):
        if padding != "same":
            return conv2d(x, kernel, bias, strides, padding, dilation_rate)
        amounts = pads(rule, x.shape, kernel.shape[:2], (strides, strides), dilation_rate)
        return conv2d(_pad(x, amounts), kernel, bias, strides, "valid", dilation_rate)

    return conv2d_with_wrong_padding


def _max_pool2d(rule):
    def max_pool2d_with_wrong_padding(x, pool_size, strides=None, padding="valid"):
        if padding != "same":
            return max_pool2d(x, pool_size, strides, padding)
        pool, steps = _pool_geometry(x, pool_size, strides)
        return max_pool2d(_pad(x, pads(rule, x.shape, pool, steps), -np.inf), pool, steps)

    return max_pool2d_with_wrong_padding


def _avg_pool2d(rule):
    def avg_pool2d_with_wrong_padding(x, pool_size, strides=None, padding="valid"):
        if padding != "same":
            return avg_pool2d(x, pool_size, strides, padding)
        pool, steps = _pool_geometry(x, pool_size, strides)
        amounts = pads(rule, x.shape, pool, steps)
        real = _pad(np.ones((1, *x.shape[1:3], 1)), amounts)
        return avg_pool2d(_pad(x, amounts), pool, steps) / avg_pool2d(real, pool, steps)

    return avg_pool2d_with_wrong_padding


def _max_pool2d_backward(rule):
    """Routes each output's gradient as a loop over the outputs does, on the wrongly
    padded input (a window may stick out of it, or miss cells)."""

    def max_pool2d_backward_with_wrong_padding(
        grad_output, x, pool_size, strides=None, padding="valid"
    ):
        if padding != "same":
            return max_pool2d_backward(grad_output, x, pool_size, strides, padding)
        (pool_h, pool_w), (step_h, step_w) = _pool_geometry(x, pool_size, strides)
        amounts = pads(rule, x.shape, (pool_h, pool_w), (step_h, step_w))
        padded = _pad(x, amounts, -np.inf)
        grad = np.zeros(padded.shape)
        images, channels = np.meshgrid(np.arange(x.shape[0]), np.arange(x.shape[3]), indexing="ij")
        for i, j in np.ndindex(grad_output.shape[1:3]):
            top, left = i * step_h, j * step_w
            window = padded[:, top : top + pool_h, left : left + pool_w, :]
            flat = window.transpose(0, 3, 1, 2).reshape(*images.shape, -1).argmax(axis=-1)
            rows, cols = np.divmod(flat, window.shape[2])
            np.add.at(grad, (images, top + rows, left + cols, channels), grad_output[:, i, j, :])
        return _crop(grad, amounts, x.shape)

    return max_pool2d_backward_with_wrong_padding


def _conv2d_backward(rule):
    """Loops over the kernel taps as the notebook does, on the wrongly padded input."""

    def conv2d_backward_with_wrong_padding(
        grad_output, x, kernel, strides=1, padding="valid", dilation_rate=1
    ):
        if padding != "same":
            return conv2d_backward(grad_output, x, kernel, strides, padding, dilation_rate)
        amounts = pads(rule, x.shape, kernel.shape[:2], (strides, strides), dilation_rate)
        padded = _pad(x, amounts)
        grad_padded, grad_kernel = np.zeros(padded.shape), np.zeros(kernel.shape)
        out_h, out_w = grad_output.shape[1:3]
        for u, v in np.ndindex(kernel.shape[:2]):
            rows = slice(u * dilation_rate, u * dilation_rate + (out_h - 1) * strides + 1, strides)
            cols = slice(v * dilation_rate, v * dilation_rate + (out_w - 1) * strides + 1, strides)
            grad_kernel[u, v] = np.einsum("nijc,nijf->cf", padded[:, rows, cols], grad_output)
            grad_padded[:, rows, cols] += grad_output @ kernel[u, v].T
        grad_bias = grad_output.sum(axis=(0, 1, 2))
        return _crop(grad_padded, amounts, x.shape), grad_kernel, grad_bias

    return conv2d_backward_with_wrong_padding
