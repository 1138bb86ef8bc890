"""Answers to notebook 01: right ones in a different style from the
references, and classic wrong ones that the checks must reject."""

import math

import numpy as np

# --- 01.1 conv_output_size ----------------------------------------------------


def conv_output_size(input_size, kernel_size, strides=1, padding=0, dilation_rate=1):
    span = dilation_rate * (kernel_size - 1) + 1
    if padding == "same":
        return math.ceil(input_size / strides)
    pad = {"valid": 0, "full": span - 1}.get(padding, padding)
    return math.floor((input_size + 2 * pad - span) / strides) + 1


def conv_output_size_true_division(input_size, kernel_size, strides=1, padding=0, dilation_rate=1):
    span = dilation_rate * (kernel_size - 1) + 1
    pad = {"valid": 0, "full": span - 1, "same": (span - 1) // 2}.get(padding, padding)
    return (input_size + 2 * pad - span) / strides + 1


def conv_output_size_symmetric_same(input_size, kernel_size, strides=1, padding=0, dilation_rate=1):
    if padding == "same":
        padding = (kernel_size - 1) // 2
    return conv_output_size(input_size, kernel_size, strides, padding, dilation_rate)


def conv_output_size_full_ignores_dilation(
    input_size, kernel_size, strides=1, padding=0, dilation_rate=1
):
    if padding == "full":
        padding = kernel_size - 1  # should be the dilated span minus one
    return conv_output_size(input_size, kernel_size, strides, padding, dilation_rate)


# --- 01.2 conv2d --------------------------------------------------------------


def _same_padding(size, kernel, strides, dilation):
    span = (kernel - 1) * dilation + 1
    total = max((math.ceil(size / strides) - 1) * strides + span - size, 0)
    return total // 2, total - total // 2


def conv2d(x, kernel, bias=None, strides=1, padding="valid", dilation_rate=1, *, pad_first=False):
    _, height, width, _ = x.shape
    kernel_h, kernel_w, _, _ = kernel.shape
    if padding == "same":
        pad_h = _same_padding(height, kernel_h, strides, dilation_rate)
        pad_w = _same_padding(width, kernel_w, strides, dilation_rate)
        if pad_first:
            pad_h, pad_w = pad_h[::-1], pad_w[::-1]
        x = np.pad(x, ((0, 0), pad_h, pad_w, (0, 0)))
    return _correlate_padded(x, kernel, bias, strides, dilation_rate)


def _correlate_padded(x, kernel, bias, strides, dilation_rate):
    """Slides the kernel over an input that is already padded."""
    batch = x.shape[0]
    kernel_h, kernel_w, _, filters = kernel.shape
    out_h = (x.shape[1] - (kernel_h - 1) * dilation_rate - 1) // strides + 1
    out_w = (x.shape[2] - (kernel_w - 1) * dilation_rate - 1) // strides + 1
    out = np.zeros((batch, out_h, out_w, filters))
    for n in range(batch):
        for i in range(out_h):
            for j in range(out_w):
                rows = slice(
                    i * strides, i * strides + (kernel_h - 1) * dilation_rate + 1, dilation_rate
                )
                cols = slice(
                    j * strides, j * strides + (kernel_w - 1) * dilation_rate + 1, dilation_rate
                )
                patch = x[n, rows, cols, :]
                for f in range(filters):
                    out[n, i, j, f] = np.sum(patch * kernel[:, :, :, f])
    if bias is not None:
        out += bias
    return out


def conv2d_same_pads_from_the_width(
    x, kernel, bias=None, strides=1, padding="valid", dilation_rate=1
):
    # Works out the 'same' padding once, from the width, as if every image were square.
    if padding == "same":
        pad = _same_padding(x.shape[2], kernel.shape[1], strides, dilation_rate)
        x = np.pad(x, ((0, 0), pad, pad, (0, 0)))
    return _correlate_padded(x, kernel, bias, strides, dilation_rate)


def conv2d_same_rounds_down(x, kernel, bias=None, strides=1, padding="valid", dilation_rate=1):
    # Plans floor(size / strides) outputs for 'same' instead of ceil(size / strides).
    if padding == "same":
        pads = []
        for size, taps in zip(x.shape[1:3], kernel.shape[:2], strict=True):
            span = (taps - 1) * dilation_rate + 1
            total = max((size // strides - 1) * strides + span - size, 0)
            pads.append((total // 2, total - total // 2))
        x = np.pad(x, ((0, 0), *pads, (0, 0)))
    return _correlate_padded(x, kernel, bias, strides, dilation_rate)


def conv2d_same_negative_padding(x, kernel, bias=None, strides=1, padding="valid", dilation_rate=1):
    # Forgets that the total padding is never below 0 (a window smaller than the stride).
    if padding == "same":
        pads = []
        for size, taps in zip(x.shape[1:3], kernel.shape[:2], strict=True):
            span = (taps - 1) * dilation_rate + 1
            total = (math.ceil(size / strides) - 1) * strides + span - size
            pads.append((total // 2, total - total // 2))
        x = np.pad(x, ((0, 0), *pads, (0, 0)))
    return _correlate_padded(x, kernel, bias, strides, dilation_rate)


def conv2d_pads_extra_zero_first(x, kernel, bias=None, strides=1, padding="valid", dilation_rate=1):
    return conv2d(x, kernel, bias, strides, padding, dilation_rate, pad_first=True)


def conv2d_pads_in_place(x, kernel, bias=None, strides=1, padding="valid", dilation_rate=1):
    result = conv2d(x, kernel, bias, strides, padding, dilation_rate)
    x[0] = 0.0  # right answer, but it overwrites the caller's array
    return result


def conv2d_as_list(x, kernel, bias=None, strides=1, padding="valid", dilation_rate=1):
    return conv2d(x, kernel, bias, strides, padding, dilation_rate).tolist()


# --- 01.3 conv_layer_stats ------------------------------------------------------


def conv_layer_stats(input_shape, filters, kernel_size, strides=1, padding=0):
    height, width, channels = input_shape
    kernel_h, kernel_w = (kernel_size, kernel_size) if isinstance(kernel_size, int) else kernel_size
    stride_h, stride_w = (strides, strides) if isinstance(strides, int) else strides
    out_h = conv_output_size(height, kernel_h, stride_h, padding)
    out_w = conv_output_size(width, kernel_w, stride_w, padding)
    per_neuron = kernel_h * kernel_w * channels + 1
    neurons = out_h * out_w * filters
    return {
        "output_shape": (out_h, out_w, filters),
        "weights_per_neuron": per_neuron,
        "neurons": neurons,
        "connections": neurons * per_neuron,
        "parameters": per_neuron * filters,
    }


def conv_layer_stats_neurons_of_one_slice(input_shape, filters, kernel_size, strides=1, padding=0):
    # Counts the neurons of one depth slice only, and the connections from them.
    height, width, channels = input_shape
    kernel_h, kernel_w = (kernel_size, kernel_size) if isinstance(kernel_size, int) else kernel_size
    stride_h, stride_w = (strides, strides) if isinstance(strides, int) else strides
    out_h = conv_output_size(height, kernel_h, stride_h, padding)
    out_w = conv_output_size(width, kernel_w, stride_w, padding)
    per_neuron = kernel_h * kernel_w * channels + 1
    return {
        "output_shape": (out_h, out_w, filters),
        "weights_per_neuron": per_neuron,
        "neurons": out_h * out_w,
        "connections": out_h * out_w * per_neuron,
        "parameters": per_neuron * filters,
    }


def conv_layer_stats_kernel_as_width_height(
    input_shape, filters, kernel_size, strides=1, padding=0
):
    # Reads a (height, width) kernel size as (width, height).
    if not isinstance(kernel_size, int):
        kernel_size = tuple(reversed(kernel_size))
    return conv_layer_stats(input_shape, filters, kernel_size, strides, padding)


def conv_layer_stats_shape_as_list(input_shape, filters, kernel_size, strides=1, padding=0):
    stats = conv_layer_stats(input_shape, filters, kernel_size, strides, padding)
    return {**stats, "output_shape": list(stats["output_shape"])}


# --- 01.5 receptive_field ----------------------------------------------------------


def receptive_field(layers):
    # Walk down from one output unit: r_below = (r - 1) * s + span.
    size = 1
    for kernel_size, strides, *dilation in reversed(layers):
        span = (kernel_size - 1) * (dilation[0] if dilation else 1) + 1
        size = (size - 1) * strides + span
    return size


def receptive_field_ignores_strides(layers):
    return 1 + sum(layer[0] - 1 for layer in layers)


def receptive_field_own_stride(layers):
    size, jump = 1, 1
    for kernel_size, strides, *dilation in layers:
        jump *= strides
        size += ((kernel_size - 1) * (dilation[0] if dilation else 1)) * jump
    return size


def receptive_field_dilation_in_jump(layers):
    # Dilation spreads a layer's own taps; it does not change the step of the layers above.
    size, jump = 1, 1
    for kernel_size, strides, *dilation in layers:
        rate = dilation[0] if dilation else 1
        size += (kernel_size - 1) * rate * jump
        jump *= strides * rate
    return size


def receptive_field_as_float(layers):
    return float(receptive_field(layers))


RIGHT = {
    "01.1": [conv_output_size],
    "01.2": [conv2d],
    "01.3": [conv_layer_stats],
    "01.5": [receptive_field],
}

WRONG = {
    "01.1": [
        conv_output_size_true_division,
        conv_output_size_symmetric_same,
        conv_output_size_full_ignores_dilation,
    ],
    "01.2": [
        conv2d_pads_extra_zero_first,
        conv2d_pads_in_place,
        conv2d_as_list,
        conv2d_same_pads_from_the_width,
        conv2d_same_rounds_down,
        conv2d_same_negative_padding,
    ],
    "01.3": [
        conv_layer_stats_neurons_of_one_slice,
        conv_layer_stats_kernel_as_width_height,
        conv_layer_stats_shape_as_list,
    ],
    "01.5": [
        receptive_field_ignores_strides,
        receptive_field_own_stride,
        receptive_field_dilation_in_jump,
        receptive_field_as_float,
    ],
}

# Wrong answers whose check must name the mistake: (exercise, answer, words of the hint).
HINTS = [
    ("01.1", conv_output_size_true_division, "round down"),
    ("01.2", conv2d_pads_extra_zero_first, "extra zero goes after"),
    ("01.2", conv2d_pads_in_place, "changed its input"),
    ("01.2", conv2d_same_pads_from_the_width, "Pad each axis by its own numbers"),
    ("01.2", conv2d_same_rounds_down, "ceil(n / strides) outputs"),
    ("01.5", receptive_field_ignores_strides, "product of the strides"),
]
