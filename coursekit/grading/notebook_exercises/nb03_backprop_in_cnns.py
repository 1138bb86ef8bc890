"""Exercises of notebook 03, backpropagation in CNNs: ReLU, max pooling and convolution
backward, and gradient checking, with the hints for classic mistakes.
"""

import numpy as np

from coursekit import arithmetic
from coursekit.grading import fuzz, same_padding_mistakes
from coursekit.grading.registry import Case, Hint, coding, written
from coursekit.scratch import (
    conv2d,
    conv2d_backward,
    max_pool2d,
    max_pool2d_backward,
    numerical_gradient,
    relu_backward,
)
from coursekit.scratch.windows import padding_amounts

# --- 03.1 relu_backward --------------------------------------------------------


def _relu_backward_cases():
    rng = np.random.default_rng(3001)

    def pair(*shape):
        x = rng.integers(-3, 4, size=shape).astype(np.float64)  # about one in seven is 0
        return rng.normal(size=shape), x

    return [
        Case(
            "a vector with a zero input",
            (np.array([1.5, -2.0, 3.0, 4.0]), np.array([2.0, 0.0, -1.0, 5.0])),
        ),
        Case(
            "negative upstream gradients where x > 0",
            (np.array([-2.0, -3.0, 1.0]), np.array([1.0, 2.0, -1.0])),
        ),
        Case("a batch of 2 feature maps with 3 channels", pair(2, 4, 5, 3)),
        Case("a 7x7 map with many zeros", pair(1, 7, 7, 1)),
    ]


def _relu_backward_fuzz(rng):
    def make(rng):
        shape = tuple(int(n) for n in rng.integers(1, 6, size=rng.integers(1, 5)))
        return (fuzz.values(rng, shape), fuzz.values(rng, shape, "ties")), {}

    return fuzz.draw(rng, 40, make, relu_backward)


def _relu_mask_only(grad_output, x):
    return (x > 0).astype(np.float64)


def _relu_passes_zero(grad_output, x):
    return np.where(x >= 0, grad_output, 0.0)


def _relu_masks_the_gradient(grad_output, x):
    return np.where(grad_output > 0, grad_output, 0.0)


RELU_BACKWARD = coding(
    "03.1",
    "The gradient of ReLU",
    2,
    reference=relu_backward,
    cases=_relu_backward_cases,
    fuzz=_relu_backward_fuzz,
    hints=(
        Hint(
            "By the chain rule, multiply the upstream gradient by ReLU's derivative; "
            "the derivative alone is not the answer.",
            _relu_mask_only,
        ),
        Hint(
            "At x == 0 ReLU's derivative is taken to be 0 (as TensorFlow does): use x > 0.",
            _relu_passes_zero,
        ),
        Hint(
            "Whether the gradient passes depends on the forward input x, not on the "
            "sign of the gradient.",
            _relu_masks_the_gradient,
        ),
    ),
)


# --- 03.2 max_pool2d_backward --------------------------------------------------


def _max_pool_backward_cases():
    rng = np.random.default_rng(3002)
    shared = np.zeros((1, 5, 5, 1))
    shared[0, 2, 2] = 9.0  # the maximum of all four overlapping windows
    ties = rng.integers(-1, 2, size=(2, 6, 6, 2)).astype(np.float64)

    def case(description, x, pool_size, **kwargs):
        grad = rng.integers(1, 6, size=max_pool2d(x, pool_size, **kwargs).shape).astype(float)
        return Case(description, (grad, x, pool_size), kwargs)

    return [
        case("one cell is the maximum of four overlapping windows", shared, 3, strides=2),
        case(
            "2 images, 2 channels, 2x2 windows, default strides", rng.normal(size=(2, 4, 6, 2)), 2
        ),
        case("ties: small integers, overlapping 2x2 windows, stride 1", ties, 2, strides=1),
        case("ties, overlapping 3x3 windows, stride 2", ties, 3, strides=2),
        case("stride 3 with 2x2 windows", rng.normal(size=(2, 8, 8, 1)), 2, strides=3),
        case(
            "'same' padding on negative values",
            -np.abs(rng.normal(size=(2, 5, 5, 2))) - 0.5,
            3,
            strides=2,
            padding="same",
        ),
        case(
            "'same' padding with an odd total: the extra cell goes after the input",
            -np.abs(rng.normal(size=(1, 5, 6, 2))) - 0.5,
            2,
            padding="same",
        ),
        case(
            "ties, 2x3 windows with default strides (2, 3) on a 5x11 image",
            rng.integers(-1, 2, size=(1, 5, 11, 2)).astype(np.float64),
            (2, 3),
        ),
        case(
            "'same' padding, 3x4 windows, strides (2, 3) on a 5x6 image: each axis has its "
            "own padding, and each is cut off by its own amounts",
            -np.abs(rng.normal(size=(2, 5, 6, 2))) - 0.5,
            (3, 4),
            strides=(2, 3),
            padding="same",
        ),
        case(
            "'same' padding, 3x5 windows, strides (1, 3) on a 5x6 image",
            -np.abs(rng.normal(size=(1, 5, 6, 2))) - 0.5,
            (3, 5),
            strides=(1, 3),
            padding="same",
        ),
        case(
            "'same' padding, 2x1 windows, stride 3 on a 9x8 image: the window is smaller "
            "than the stride, so nothing is padded",
            rng.normal(size=(1, 9, 8, 2)),
            (2, 1),
            strides=3,
            padding="same",
        ),
    ]


def _max_pool_backward_fuzz(rng):
    def make(rng):
        x = fuzz.values(rng, (int(rng.integers(1, 3)), *rng.integers(1, 10, size=2), 2))
        pool_size = fuzz.int_or_pair(rng, 1, 4)
        kwargs = {
            "strides": fuzz.pick(rng, [None, fuzz.int_or_pair(rng, 1, 4)]),
            "padding": fuzz.pick(rng, ["valid", "same"]),
        }
        grad = fuzz.values(rng, max_pool2d(x, pool_size, **kwargs).shape, "positive")
        return (grad, x, pool_size), kwargs

    return fuzz.draw(rng, 150, make, max_pool2d_backward)


def _window_slices(grad_output, x, pool_size, strides, padding, step_one=False):
    """Yields `(i, j), (rows, cols)`: each pooling window's slices of the unpadded input.

    With `step_one`, window (i, j) is placed at (i, j) instead of (i * s, j * s).
    """
    pool = arithmetic.as_pair(pool_size, "pool_size")
    steps = pool if strides is None else arithmetic.as_pair(strides, "strides")
    before = [
        padding_amounts(size, window, step, padding)[0]
        for size, window, step in zip(x.shape[1:3], pool, steps, strict=True)
    ]
    if step_one:
        steps = (1, 1)
    for i, j in np.ndindex(grad_output.shape[1:3]):
        rows, cols = (
            slice(max(start, 0), min(start + window, size))
            for start, window, size in zip(
                (i * steps[0] - before[0], j * steps[1] - before[1]),
                pool,
                x.shape[1:3],
                strict=True,
            )
        )
        yield (i, j), (rows, cols)


def _max_pool_backward_by_windows(overwrite=False, every_tie=False, step_one=False):
    """A loop over windows, as students write it, with one of three classic mistakes."""

    def backward(grad_output, x, pool_size, strides=None, padding="valid"):
        grad_x = np.zeros_like(x)
        images, channels = np.meshgrid(np.arange(x.shape[0]), np.arange(x.shape[3]), indexing="ij")
        windows = _window_slices(grad_output, x, pool_size, strides, padding, step_one)
        for (i, j), (rows, cols) in windows:
            window, grad = x[:, rows, cols, :], grad_output[:, i, j, :]
            if every_tie:
                winners = window == window.max(axis=(1, 2), keepdims=True)
                grad_x[:, rows, cols, :] += winners * grad[:, None, None, :]
                continue
            flat = window.transpose(0, 3, 1, 2).reshape(*grad.shape, -1).argmax(axis=-1)
            row, col = np.unravel_index(flat, window.shape[1:3])
            target = (images, rows.start + row, cols.start + col, channels)
            if overwrite:
                grad_x[target] = grad
            else:
                grad_x[target] += grad
        return grad_x

    return backward


def _max_pool_backward_cropped_by_the_other_axis(
    grad_output, x, pool_size, strides=None, padding="valid"
):
    pool = arithmetic.as_pair(pool_size, "pool_size")
    steps = pool if strides is None else arithmetic.as_pair(strides, "strides")
    pads = [
        padding_amounts(size, window, step, padding)
        for size, window, step in zip(x.shape[1:3], pool, steps, strict=True)
    ]
    padded = np.pad(x, ((0, 0), *pads, (0, 0)), constant_values=-np.inf)
    grad = max_pool2d_backward(grad_output, padded, pool, steps)
    (top, _), (left, _) = pads[::-1]
    return grad[:, top : top + x.shape[1], left : left + x.shape[2]]


MAX_POOL2D_BACKWARD = coding(
    "03.2",
    "Routing gradients through max pooling",
    3,
    reference=max_pool2d_backward,
    cases=_max_pool_backward_cases,
    fuzz=_max_pool_backward_fuzz,
    # Pooling with switches and unpooling (notebook 08) route the gradient in two calls.
    shortcuts=("max_unpool2d",),
    hints=(
        Hint(
            "A cell that is the maximum of several overlapping windows receives the sum "
            "of their gradients: accumulate with `+=`, never overwrite with `=`.",
            _max_pool_backward_by_windows(overwrite=True),
        ),
        Hint(
            "When a window holds several equal maxima, only the first one in row-major "
            "order (as `argmax` finds it) gets the gradient, as in TensorFlow.",
            _max_pool_backward_by_windows(every_tie=True),
        ),
        Hint(
            "Window (i, j) starts at row i * strides and column j * strides.",
            _max_pool_backward_by_windows(step_one=True),
        ),
        Hint(
            "Cut the padding off each axis by that axis's own amount: rows "
            "pad_h[0] : pad_h[0] + height, columns pad_w[0] : pad_w[0] + width.",
            _max_pool_backward_cropped_by_the_other_axis,
        ),
        *same_padding_mistakes.hints("max_pool2d_backward"),
    ),
)


# --- 03.3 conv2d_backward ------------------------------------------------------


def _conv_backward_cases():
    rng = np.random.default_rng(3003)

    def case(description, x_shape, kernel_shape, **kwargs):
        x = rng.integers(-3, 4, size=x_shape).astype(np.float64)
        kernel = rng.integers(-2, 3, size=kernel_shape).astype(np.float64)
        grad = rng.normal(size=conv2d(x, kernel, **kwargs).shape).round(2)
        return Case(description, (grad, x, kernel), kwargs)

    return [
        case("one 5x5 image, one asymmetric 3x3 filter", (1, 5, 5, 1), (3, 3, 1, 1)),
        case("2 images, 3 channels, 4 filters", (2, 6, 5, 3), (3, 3, 3, 4)),
        case("a 2x3 kernel", (2, 5, 6, 2), (2, 3, 2, 3)),
        case("stride 2: the windows overlap", (2, 7, 7, 2), (3, 3, 2, 2), strides=2),
        case(
            "stride 3 with a 2x2 kernel: some inputs are skipped",
            (1, 8, 8, 1),
            (2, 2, 1, 2),
            strides=3,
        ),
        case("'same' padding", (2, 5, 6, 2), (3, 3, 2, 3), padding="same"),
        case(
            "'same' padding, stride 2, even size",
            (2, 6, 6, 1),
            (3, 3, 1, 2),
            strides=2,
            padding="same",
        ),
        case("dilation 2", (1, 8, 7, 2), (3, 3, 2, 2), dilation_rate=2),
        case(
            "'same' padding, stride 3, a 5x7 image and a 3x4 kernel: 5 rows give "
            "ceil(5 / 3) = 2 outputs, and each axis has its own padding",
            (2, 5, 7, 2),
            (3, 4, 2, 3),
            strides=3,
            padding="same",
        ),
        case(
            "'same' padding, stride 3, a 2x1 kernel on a 9x8 image: the window is "
            "smaller than the stride, so nothing is padded",
            (1, 9, 8, 1),
            (2, 1, 1, 2),
            strides=3,
            padding="same",
        ),
    ]


def _conv_backward_fuzz(rng):
    def make(rng):
        channels, filters = (int(n) for n in rng.integers(1, 4, size=2))
        x = fuzz.values(rng, (int(rng.integers(1, 3)), *rng.integers(1, 10, size=2), channels))
        kernel = fuzz.values(rng, (*rng.integers(1, 5, size=2), channels, filters))
        kwargs = {
            "strides": int(rng.integers(1, 5)),
            "padding": fuzz.pick(rng, ["valid", "same"]),
            "dilation_rate": int(rng.integers(1, 4)),
        }
        grad = fuzz.values(rng, conv2d(x, kernel, **kwargs).shape)
        return (grad, x, kernel), kwargs

    return fuzz.draw(rng, 150, make, conv2d_backward)


def _input_gradient_by_full_convolution(
    grad_output, x, kernel, strides=1, padding="valid", dilation_rate=1
):
    """grad_x as a full convolution of the gradient with the kernel *not* flipped."""
    (stride_h, stride_w) = arithmetic.as_pair(strides, "strides")
    batch, out_h, out_w, filters = grad_output.shape
    spread = np.zeros((batch, (out_h - 1) * stride_h + 1, (out_w - 1) * stride_w + 1, filters))
    spread[:, ::stride_h, ::stride_w] = grad_output
    back = conv2d(spread, kernel.transpose(0, 1, 3, 2), padding="full", dilation_rate=dilation_rate)
    pads = _conv_pads(x, kernel, strides, padding, dilation_rate)
    padded = np.zeros(
        (x.shape[0], x.shape[1] + sum(pads[0]), x.shape[2] + sum(pads[1]), x.shape[3])
    )
    padded[:, : back.shape[1], : back.shape[2]] = back
    return padded[:, pads[0][0] : pads[0][0] + x.shape[1], pads[1][0] : pads[1][0] + x.shape[2]]


def _conv_pads(x, kernel, strides, padding, dilation_rate):
    return [
        padding_amounts(size, taps, step, padding, dilation_rate)
        for size, taps, step in zip(
            x.shape[1:3], kernel.shape[:2], arithmetic.as_pair(strides, "strides"), strict=True
        )
    ]


def _conv_backward_unflipped(grad_output, x, kernel, strides=1, padding="valid", dilation_rate=1):
    _, grad_kernel, grad_bias = conv2d_backward(
        grad_output, x, kernel, strides, padding, dilation_rate
    )
    grad_x = _input_gradient_by_full_convolution(
        grad_output, x, kernel, strides, padding, dilation_rate
    )
    return grad_x, grad_kernel, grad_bias


def _conv_backward_ignores_strides(
    grad_output, x, kernel, strides=1, padding="valid", dilation_rate=1
):
    """Reads and writes the windows as if they were one step apart."""
    pads = _conv_pads(x, kernel, strides, padding, dilation_rate)
    padded = np.pad(x, ((0, 0), *pads, (0, 0)))
    grad_padded, grad_kernel = np.zeros_like(padded), np.zeros_like(kernel)
    out_h, out_w = grad_output.shape[1:3]
    for u, v in np.ndindex(kernel.shape[:2]):
        rows = slice(u * dilation_rate, u * dilation_rate + out_h)
        cols = slice(v * dilation_rate, v * dilation_rate + out_w)
        grad_kernel[u, v] = np.einsum("nijc,nijf->cf", padded[:, rows, cols], grad_output)
        grad_padded[:, rows, cols] += grad_output @ kernel[u, v].T
    grad_x = grad_padded[
        :, pads[0][0] : pads[0][0] + x.shape[1], pads[1][0] : pads[1][0] + x.shape[2]
    ]
    return grad_x, grad_kernel, grad_output.sum(axis=(0, 1, 2))


def _conv_backward_without_bias(
    grad_output, x, kernel, strides=1, padding="valid", dilation_rate=1
):
    grad_x, grad_kernel, grad_bias = conv2d_backward(
        grad_output, x, kernel, strides, padding, dilation_rate
    )
    return grad_x, grad_kernel, np.zeros_like(grad_bias)


def _conv_backward_batch_mean(grad_output, x, kernel, strides=1, padding="valid", dilation_rate=1):
    grad_x, grad_kernel, grad_bias = conv2d_backward(
        grad_output, x, kernel, strides, padding, dilation_rate
    )
    return grad_x, grad_kernel / x.shape[0], grad_bias / x.shape[0]


CONV2D_BACKWARD = coding(
    "03.3",
    "Backpropagation through a convolutional layer",
    4,
    reference=conv2d_backward,
    cases=_conv_backward_cases,
    fuzz=_conv_backward_fuzz,
    hints=(
        Hint(
            "grad_x is a full convolution of the upstream gradient with the kernel "
            "flipped in both spatial axes (a..i becomes i..a): use kernel[::-1, ::-1].",
            _conv_backward_unflipped,
        ),
        Hint(
            "The bias is added at every position: grad_bias[f] sums grad_output[..., f] "
            "over images and positions.",
            _conv_backward_without_bias,
        ),
        Hint(
            "With strides s, output (i, j) read the window at (i * s, j * s), so its "
            "gradient goes back to those cells (in the full-convolution view: put s - 1 "
            "zeros between the upstream gradient's values).",
            _conv_backward_ignores_strides,
        ),
        Hint(
            "The loss adds up over the batch, so the weight gradients are sums over all "
            "images and positions, not means.",
            _conv_backward_batch_mean,
        ),
        # The other rules leave the padded input too small for the upstream gradient.
        *same_padding_mistakes.hints(
            "conv2d_backward", "width_for_both", "all_after", "extra_first"
        ),
    ),
)


# --- 03.4 numerical_gradient ---------------------------------------------------


def _cubes(x):
    return float(np.sum(x**3))


def _exponential_mix(x):
    return float(np.sum(np.exp(2 * x) * np.arange(1, x.size + 1).reshape(x.shape)))


def _coupled_loss(x):
    return float(np.sum(np.log1p(np.exp(x)) ** 2) + np.sum(x[..., 0]) * np.sum(x**2))


def _numerical_gradient_cases():
    rng = np.random.default_rng(3004)
    return [
        Case(
            "sum of cubes of a vector, h = 1e-3", (_cubes, np.array([0.5, -1.0, 2.0])), {"h": 1e-3}
        ),
        Case(
            "an exponential of a 3x4 matrix, default h", (_exponential_mix, rng.normal(size=(3, 4)))
        ),
        Case(
            "a coupled loss of a 2x3x3x2 tensor, h = 1e-4",
            (_coupled_loss, rng.normal(size=(2, 3, 3, 2))),
            {"h": 1e-4},
        ),
        Case(
            "an exponential of a 2x2x2 tensor, h = 1e-2",
            (_exponential_mix, rng.normal(size=(2, 2, 2))),
            {"h": 1e-2},
        ),
        Case(
            "x in float32, h = 1e-3: the differences must be taken in float64",
            (_cubes, rng.normal(size=(2, 3)).astype(np.float32)),
            {"h": 1e-3},
        ),
    ]


def _numerical_gradient_fuzz(rng):
    def make(rng):
        shape = tuple(int(n) for n in rng.integers(1, 4, size=rng.integers(0, 4)))
        f = fuzz.pick(rng, [_cubes, _exponential_mix, _coupled_loss][: 3 if shape else 2])
        x = rng.normal(size=shape).astype(fuzz.pick(rng, [np.float64, np.float32]))
        return (f, x), fuzz.pick(rng, [{}, {"h": float(fuzz.pick(rng, [1e-2, 1e-3, 1e-4]))}])

    return fuzz.draw(rng, 30, make, numerical_gradient)


def _forward_difference(f, x, h=1e-5):
    grad = np.zeros(x.shape)
    for index in np.ndindex(x.shape):
        moved = np.array(x, dtype=np.float64)
        moved[index] += h
        grad[index] = (f(moved) - f(x)) / h
    return grad


def _divides_by_h(f, x, h=1e-5):
    return 2 * numerical_gradient(f, x, h)


def _moves_every_element(f, x, h=1e-5):
    return np.full(x.shape, (f(x + h) - f(x - h)) / (2 * h))


NUMERICAL_GRADIENT = coding(
    "03.4",
    "Numerical gradients by centred differences",
    2,
    reference=numerical_gradient,
    cases=_numerical_gradient_cases,
    fuzz=_numerical_gradient_fuzz,
    hints=(
        Hint(
            "Use the centred difference (f(x + h) - f(x - h)) / (2h): a one-sided "
            "difference is much less accurate.",
            _forward_difference,
        ),
        Hint("The two points are 2h apart: divide by 2 * h.", _divides_by_h),
        Hint(
            "Move one element at a time (all others unchanged) and record that "
            "element's derivative.",
            _moves_every_element,
        ),
    ),
)


# --- 03.5 written answer ------------------------------------------------------------------

FLIPPED_KERNEL = written("03.5", "Why the kernel is flipped", 2)


EXERCISES = (
    RELU_BACKWARD,
    MAX_POOL2D_BACKWARD,
    CONV2D_BACKWARD,
    NUMERICAL_GRADIENT,
    FLIPPED_KERNEL,
)
