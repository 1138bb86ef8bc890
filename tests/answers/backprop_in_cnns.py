"""Answers to notebook 03: right ones in a different style from the
references, and classic wrong ones that the checks must reject."""

import numpy as np

# --- 03.1 relu_backward --------------------------------------------------------


def relu_backward(grad_output, x):
    return grad_output * (x > 0)


def relu_backward_mask_only(grad_output, x):
    return (x > 0).astype(float)


def relu_backward_passes_zero(grad_output, x):
    return grad_output * (x >= 0)


def relu_backward_masks_by_gradient(grad_output, x):
    return np.maximum(grad_output, 0.0)


def relu_backward_times_relu(grad_output, x):
    return grad_output * np.maximum(x, 0.0)


def relu_backward_in_place(grad_output, x):
    grad_output[x <= 0] = 0.0  # right values, but it overwrites the caller's array
    return grad_output


# --- 03.2 max_pool2d_backward: loops over windows ----------------------------------


def _geometry(x, pool_size, strides, padding, extra_first=False):
    pool = (pool_size, pool_size) if isinstance(pool_size, int) else tuple(pool_size)
    steps = pool if strides is None else (strides, strides) if isinstance(strides, int) else strides
    pads = []
    for size, window, step in zip(x.shape[1:3], pool, steps, strict=True):
        total = 0
        if padding == "same":
            total = max((-(-size // step) - 1) * step + window - size, 0)
        pads.append(
            (total - total // 2, total // 2) if extra_first else (total // 2, total - total // 2)
        )
    return pool, steps, pads


def _max_pool_backward(grad_output, x, pool_size, strides, padding, *, mode="add"):
    pool, steps, pads = _geometry(x, pool_size, strides, padding, mode == "extra_first")
    padded = np.pad(x, ((0, 0), *pads, (0, 0)), constant_values=-np.inf)
    grad = np.zeros(padded.shape)
    for n in range(x.shape[0]):
        for c in range(x.shape[3]):
            for i in range(grad_output.shape[1]):
                for j in range(grad_output.shape[2]):
                    top, left = i * steps[0], j * steps[1]
                    window = padded[n, top : top + pool[0], left : left + pool[1], c]
                    if mode == "every_tie":
                        winners = window == window.max()
                        grad[n, top : top + pool[0], left : left + pool[1], c] += (
                            winners * grad_output[n, i, j, c]
                        )
                        continue
                    if mode == "last_tie":
                        flat = window.size - 1 - np.argmax(window.ravel()[::-1])
                    else:
                        flat = np.argmax(window)
                    a, b = divmod(int(flat), pool[1])
                    if mode == "assign":
                        grad[n, top + a, left + b, c] = grad_output[n, i, j, c]
                    else:
                        grad[n, top + a, left + b, c] += grad_output[n, i, j, c]
    (top, _), (left, _) = pads[::-1] if mode == "crop_other_axis" else pads
    return grad[:, top : top + x.shape[1], left : left + x.shape[2]]


def max_pool2d_backward(grad_output, x, pool_size, strides=None, padding="valid"):
    return _max_pool_backward(grad_output, x, pool_size, strides, padding)


def max_pool2d_backward_assigns(grad_output, x, pool_size, strides=None, padding="valid"):
    return _max_pool_backward(grad_output, x, pool_size, strides, padding, mode="assign")


def max_pool2d_backward_every_tie(grad_output, x, pool_size, strides=None, padding="valid"):
    return _max_pool_backward(grad_output, x, pool_size, strides, padding, mode="every_tie")


def max_pool2d_backward_last_tie(grad_output, x, pool_size, strides=None, padding="valid"):
    return _max_pool_backward(grad_output, x, pool_size, strides, padding, mode="last_tie")


def max_pool2d_backward_ignores_strides(grad_output, x, pool_size, strides=None, padding="valid"):
    return _max_pool_backward(grad_output, x, pool_size, 1, padding)


def max_pool2d_backward_extra_padding_first(
    grad_output, x, pool_size, strides=None, padding="valid"
):
    return _max_pool_backward(grad_output, x, pool_size, strides, padding, mode="extra_first")


def max_pool2d_backward_crops_with_the_other_axis(
    grad_output, x, pool_size, strides=None, padding="valid"
):
    # Cuts the padding off the rows with the columns' pads, and the reverse.
    return _max_pool_backward(grad_output, x, pool_size, strides, padding, mode="crop_other_axis")


def max_pool2d_backward_square_windows_only(
    grad_output, x, pool_size, strides=None, padding="valid"
):
    # Treats pool_size and strides as ints, as in the lecture's square windows.
    step = pool_size if strides is None else strides
    total = [0, 0]
    if padding == "same":
        for axis, size in enumerate(x.shape[1:3]):
            total[axis] = max((-(-size // step) - 1) * step + pool_size - size, 0)
    before = [t // 2 for t in total]
    padded = np.pad(
        x,
        ((0, 0), (before[0], total[0] - before[0]), (before[1], total[1] - before[1]), (0, 0)),
        constant_values=-np.inf,
    )
    grad = np.zeros(padded.shape)
    for n in range(x.shape[0]):
        for c in range(x.shape[3]):
            for i in range(grad_output.shape[1]):
                for j in range(grad_output.shape[2]):
                    window = padded[
                        n, i * step : i * step + pool_size, j * step : j * step + pool_size, c
                    ]
                    a, b = divmod(int(np.argmax(window)), pool_size)
                    grad[n, i * step + a, j * step + b, c] += grad_output[n, i, j, c]
    return grad[:, before[0] : before[0] + x.shape[1], before[1] : before[1] + x.shape[2]]


def max_pool2d_backward_spreads_evenly(grad_output, x, pool_size, strides=None, padding="valid"):
    # The average-pooling gradient instead of routing to the maximum.
    pool, steps, pads = _geometry(x, pool_size, strides, padding)
    grad = np.zeros((x.shape[0], x.shape[1] + sum(pads[0]), x.shape[2] + sum(pads[1]), x.shape[3]))
    for i in range(grad_output.shape[1]):
        for j in range(grad_output.shape[2]):
            top, left = i * steps[0], j * steps[1]
            share = grad_output[:, i, j, :] / (pool[0] * pool[1])
            grad[:, top : top + pool[0], left : left + pool[1], :] += share[:, None, None, :]
    return grad[:, pads[0][0] : pads[0][0] + x.shape[1], pads[1][0] : pads[1][0] + x.shape[2]]


# --- 03.3 conv2d_backward: the transposed convolution, written out ----------------


def _conv_backward(
    grad_output,
    x,
    kernel,
    strides,
    padding,
    dilation_rate,
    *,
    flip=True,
    bias=True,
    use_strides=True,
    batch_mean=False,
    same_rule="tensorflow",
):
    """Loops over kernel taps: each tap's weight multiplies a strided slice of the input."""
    kh, kw, _, filters = kernel.shape
    s = strides if use_strides else 1
    d = dilation_rate
    pads = []
    axes = list(zip(x.shape[1:3], (kh, kw), strict=True))
    if same_rule == "width_for_both":
        axes = [axes[1], axes[1]]
    for size, taps in axes:
        span = (taps - 1) * d + 1
        total = 0
        if padding == "same":
            outputs = size // strides if same_rule == "floor" else -(-size // strides)
            total = (outputs - 1) * strides + span - size
            total = total if same_rule == "unclamped" else max(total, 0)
        pads.append((total // 2, total - total // 2))
    padded = np.pad(x, ((0, 0), *pads, (0, 0)))
    grad_padded = np.zeros(padded.shape)
    grad_kernel = np.zeros(kernel.shape)
    out_h, out_w = grad_output.shape[1:3]
    taps_order = kernel[::-1, ::-1] if not flip else kernel
    for u in range(kh):
        for v in range(kw):
            rows = slice(u * d, u * d + (out_h - 1) * s + 1, s)
            cols = slice(v * d, v * d + (out_w - 1) * s + 1, s)
            patch = padded[:, rows, cols, :]
            grad_kernel[u, v] = np.einsum("nijc,nijf->cf", patch, grad_output)
            # With flip=False this uses the weight of the mirrored tap (i..a instead of a..i).
            grad_padded[:, rows, cols, :] += grad_output @ taps_order[u, v].T
    grad_x = grad_padded[
        :, pads[0][0] : pads[0][0] + x.shape[1], pads[1][0] : pads[1][0] + x.shape[2]
    ]
    grad_bias = grad_output.sum(axis=(0, 1, 2)) if bias else np.zeros(filters)
    if batch_mean:
        grad_kernel, grad_bias = grad_kernel / x.shape[0], grad_bias / x.shape[0]
    return grad_x, grad_kernel, grad_bias


def conv2d_backward(grad_output, x, kernel, strides=1, padding="valid", dilation_rate=1):
    return _conv_backward(grad_output, x, kernel, strides, padding, dilation_rate)


def conv2d_backward_by_full_convolution(
    grad_output, x, kernel, strides=1, padding="valid", dilation_rate=1
):
    """grad_x the way the notebook derives it: spread, pad, correlate with the flipped kernel."""
    from coursekit.scratch import conv2d

    _, grad_kernel, grad_bias = _conv_backward(
        grad_output, x, kernel, strides, padding, dilation_rate
    )
    n, out_h, out_w, filters = grad_output.shape
    spread = np.zeros((n, (out_h - 1) * strides + 1, (out_w - 1) * strides + 1, filters))
    spread[:, ::strides, ::strides] = grad_output
    flipped = kernel[::-1, ::-1].transpose(0, 1, 3, 2)
    back = conv2d(spread, flipped, padding="full", dilation_rate=dilation_rate)
    pads = []
    for size, taps in zip(x.shape[1:3], kernel.shape[:2], strict=True):
        span = (taps - 1) * dilation_rate + 1
        total = (
            max((-(-size // strides) - 1) * strides + span - size, 0) if padding == "same" else 0
        )
        pads.append((total // 2, total - total // 2))
    full = np.zeros((n, x.shape[1] + sum(pads[0]), x.shape[2] + sum(pads[1]), x.shape[3]))
    full[:, : back.shape[1], : back.shape[2]] = back
    grad_x = full[:, pads[0][0] : pads[0][0] + x.shape[1], pads[1][0] : pads[1][0] + x.shape[2]]
    return grad_x, grad_kernel, grad_bias


def conv2d_backward_unflipped_kernel(
    grad_output, x, kernel, strides=1, padding="valid", dilation_rate=1
):
    return _conv_backward(grad_output, x, kernel, strides, padding, dilation_rate, flip=False)


def conv2d_backward_forgets_bias(
    grad_output, x, kernel, strides=1, padding="valid", dilation_rate=1
):
    return _conv_backward(grad_output, x, kernel, strides, padding, dilation_rate, bias=False)


def conv2d_backward_ignores_strides(
    grad_output, x, kernel, strides=1, padding="valid", dilation_rate=1
):
    return _conv_backward(
        grad_output, x, kernel, strides, padding, dilation_rate, use_strides=False
    )


def conv2d_backward_batch_mean(grad_output, x, kernel, strides=1, padding="valid", dilation_rate=1):
    return _conv_backward(grad_output, x, kernel, strides, padding, dilation_rate, batch_mean=True)


def conv2d_backward_same_pads_from_the_width(
    grad_output, x, kernel, strides=1, padding="valid", dilation_rate=1
):
    # The width's 'same' padding used for both axes, as if every image were square.
    return _conv_backward(
        grad_output, x, kernel, strides, padding, dilation_rate, same_rule="width_for_both"
    )


def conv2d_backward_same_rounds_down(
    grad_output, x, kernel, strides=1, padding="valid", dilation_rate=1
):
    # Plans floor(size / strides) outputs for 'same' instead of ceil(size / strides).
    return _conv_backward(
        grad_output, x, kernel, strides, padding, dilation_rate, same_rule="floor"
    )


def conv2d_backward_same_negative_padding(
    grad_output, x, kernel, strides=1, padding="valid", dilation_rate=1
):
    # Forgets that the total padding is never below 0 (a window smaller than the stride).
    return _conv_backward(
        grad_output, x, kernel, strides, padding, dilation_rate, same_rule="unclamped"
    )


def conv2d_backward_as_list(grad_output, x, kernel, strides=1, padding="valid", dilation_rate=1):
    return list(_conv_backward(grad_output, x, kernel, strides, padding, dilation_rate))


# --- 03.4 numerical_gradient -------------------------------------------------------


def numerical_gradient(f, x, h=1e-5):
    grad = np.zeros(x.shape)
    flat = x.reshape(-1).astype(float)  # a copy, walked element by element
    for k in range(flat.size):
        step = np.zeros(flat.size)
        step[k] = h
        plus = f((flat + step).reshape(x.shape))
        minus = f((flat - step).reshape(x.shape))
        grad.flat[k] = (plus - minus) / (2 * h)
    return grad


def numerical_gradient_forward(f, x, h=1e-5):
    grad = np.zeros(x.shape)
    base = f(x)
    for index in np.ndindex(x.shape):
        moved = x.astype(float)
        moved[index] += h
        grad[index] = (f(moved) - base) / h
    return grad


def numerical_gradient_moves_everything(f, x, h=1e-5):
    return np.full(x.shape, (f(x + h) - f(x - h)) / (2 * h))


def numerical_gradient_first_axis_only(f, x, h=1e-5):
    # Treats x as a vector: x[i] is a whole row when x has more than one axis.
    grad = np.zeros(x.shape)
    for i in range(len(x)):
        plus, minus = x.astype(float), x.astype(float)
        plus[i] += h
        minus[i] -= h
        grad[i] = (f(plus) - f(minus)) / (2 * h)
    return grad


def numerical_gradient_no_restore(f, x, h=1e-5):
    grad = np.zeros(x.shape)
    for index in np.ndindex(x.shape):
        x[index] += h
        plus = f(x)
        x[index] -= 2 * h
        minus = f(x)  # x is left h below where it was
        grad[index] = (plus - minus) / (2 * h)
    return grad


RIGHT = {
    "03.1": [relu_backward],
    "03.2": [max_pool2d_backward],
    "03.3": [conv2d_backward, conv2d_backward_by_full_convolution],
    "03.4": [numerical_gradient],
}

WRONG = {
    "03.1": [
        relu_backward_mask_only,
        relu_backward_passes_zero,
        relu_backward_masks_by_gradient,
        relu_backward_times_relu,
        relu_backward_in_place,
    ],
    "03.2": [
        max_pool2d_backward_assigns,
        max_pool2d_backward_every_tie,
        max_pool2d_backward_last_tie,
        max_pool2d_backward_ignores_strides,
        max_pool2d_backward_spreads_evenly,
        max_pool2d_backward_extra_padding_first,
        max_pool2d_backward_crops_with_the_other_axis,
        max_pool2d_backward_square_windows_only,
    ],
    "03.3": [
        conv2d_backward_unflipped_kernel,
        conv2d_backward_forgets_bias,
        conv2d_backward_ignores_strides,
        conv2d_backward_batch_mean,
        conv2d_backward_as_list,
        conv2d_backward_same_pads_from_the_width,
        conv2d_backward_same_rounds_down,
        conv2d_backward_same_negative_padding,
    ],
    "03.4": [
        numerical_gradient_forward,
        numerical_gradient_moves_everything,
        numerical_gradient_first_axis_only,
        numerical_gradient_no_restore,
    ],
}

# Wrong answers whose check must name the mistake: (exercise, answer, words of the hint).
HINTS = [
    ("03.1", relu_backward_mask_only, "chain rule"),
    ("03.1", relu_backward_passes_zero, "x > 0"),
    ("03.1", relu_backward_masks_by_gradient, "forward input x"),
    ("03.1", relu_backward_in_place, "changed its input"),
    ("03.2", max_pool2d_backward_assigns, "accumulate with `+=`"),
    ("03.2", max_pool2d_backward_every_tie, "only the first one"),
    ("03.2", max_pool2d_backward_ignores_strides, "i * strides"),
    ("03.2", max_pool2d_backward_crops_with_the_other_axis, "that axis's own amount"),
    ("03.3", conv2d_backward_unflipped_kernel, "kernel[::-1, ::-1]"),
    ("03.3", conv2d_backward_forgets_bias, "grad_bias[f] sums"),
    ("03.3", conv2d_backward_ignores_strides, "goes back to those cells"),
    ("03.3", conv2d_backward_batch_mean, "not means"),
    ("03.3", conv2d_backward_same_pads_from_the_width, "Pad each axis by its own numbers"),
    ("03.4", numerical_gradient_forward, "centred difference"),
    ("03.4", numerical_gradient_moves_everything, "one element at a time"),
    ("03.4", numerical_gradient_no_restore, "changed its input"),
]
