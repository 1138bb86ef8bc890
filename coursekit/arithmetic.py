"""Convolution arithmetic: output sizes, parameter and connection counts, receptive fields.

Sizes follow Keras: `padding="valid"` adds nothing, `"same"` pads so that the
output has `ceil(input / strides)` positions (putting the odd extra zero after the
input, as TensorFlow does), and `"full"` pads `effective_kernel - 1` on each side.
An integer `padding` adds that many zeros on each side.
"""

import dataclasses
import math

from coursekit._arguments import (
    as_pair,
    image_shape,
    is_int,
    padding_per_axis,
    pooling_padding,
    positive_int,
)


def effective_kernel_size(kernel_size, dilation_rate=1):
    """Returns the span of a dilated kernel: `(kernel_size - 1) * dilation_rate + 1`.

    Example:

    >>> effective_kernel_size(3, dilation_rate=2)
    5
    """
    kernel_size = positive_int(kernel_size, "kernel_size")
    dilation_rate = positive_int(dilation_rate, "dilation_rate")
    return (kernel_size - 1) * dilation_rate + 1


def conv_output_size(
    input_size, kernel_size, strides=1, padding=0, dilation_rate=1, *, strict=False
):
    """Returns the number of output positions of a convolution along one axis.

    With `W` the input size, `F` the effective kernel size, `P` the padding on each
    side and `S` the stride, the output has `floor((W - F + 2P) / S) + 1` positions,
    the lectures' `(W - F + 2P)/S + 1` rounded down. When `(W - F + 2P)` is not a
    multiple of `S` the windows "do not tile": the last rows of the input are never
    covered. For `"valid"` this equals `ceil((W - F + 1) / S)`; for `"same"` it is
    `ceil(W / S)`.

    Args:
        input_size: positions along the axis (`W`).
        kernel_size: kernel taps along the axis.
        strides: step between windows (`S`).
        padding: zeros added on each side (an int), or `"valid"`, `"same"`, `"full"`.
        dilation_rate: spacing between kernel taps; the kernel then spans
            `(kernel_size - 1) * dilation_rate + 1` positions.
        strict: if True, raise `ValueError` when the windows do not tile.

    Returns:
        The output size, an int.

    Raises:
        ValueError: for non-positive sizes, unknown padding, a kernel larger than
            the padded input, or (with `strict=True`) windows that do not tile.

    Example (AlexNet's first layer: 227 pixels, 11x11 kernel, stride 4):

    >>> conv_output_size(227, 11, strides=4)
    55
    >>> conv_output_size(7, 3, strides=2, padding="same")
    4
    >>> conv_output_size(10, 3, strides=2, strict=True)
    Traceback (most recent call last):
    ...
    ValueError: The windows do not tile: (W - F + 2P)/S + 1 = (10 - 3 + 0)/2 + 1 = 4.5. Received: input_size=10, kernel_size=3, strides=2, padding=0, dilation_rate=1.
    """
    input_size = positive_int(input_size, "input_size")
    strides = positive_int(strides, "strides")
    span = effective_kernel_size(kernel_size, dilation_rate)
    if _mode(padding) == "same":
        return -(-input_size // strides)
    pad = padding_per_side(padding, span)
    covered = input_size + 2 * pad - span
    received = (
        f"Received: input_size={input_size}, kernel_size={kernel_size}, strides={strides}, "
        f"padding={padding!r}, dilation_rate={dilation_rate}."
    )
    if covered < 0:
        raise ValueError(
            f"The kernel (span {span}) is larger than the padded input "
            f"({input_size + 2 * pad}). {received}"
        )
    if strict and covered % strides:
        raise ValueError(
            "The windows do not tile: (W - F + 2P)/S + 1 = "
            f"({input_size} - {span} + {2 * pad})/{strides} + 1 = {covered / strides + 1:g}. "
            f"{received}"
        )
    return covered // strides + 1


def pool_output_size(input_size, pool_size, strides=None, padding="valid"):
    """Returns the number of output positions of a pooling layer along one axis.

    Pooling windows slide like a convolution kernel, so the output size is
    `floor((W - F) / S) + 1` for `"valid"` and `ceil(W / S)` for `"same"`.
    As in Keras, `strides` defaults to `pool_size` (non-overlapping windows).

    Args:
        input_size: positions along the axis.
        pool_size: window size along the axis.
        strides: step between windows; `None` means `pool_size`.
        padding: `"valid"` or `"same"`.

    Returns:
        The output size, an int.

    Raises:
        ValueError: for non-positive sizes or another padding.

    Example (AlexNet's overlapping 3x3, stride-2 pooling):

    >>> pool_output_size(55, 3, strides=2)
    27
    """
    pooling_padding(padding)
    strides = pool_size if strides is None else strides
    return conv_output_size(input_size, pool_size, strides, padding)


def transposed_conv_output_size(
    input_size, kernel_size, strides=1, padding=0, output_padding=0, dilation_rate=1
):
    """Returns the output size of a transposed convolution along one axis.

    A transposed convolution inverts the shape arithmetic of a convolution:
    `(W - 1) * S - 2P + F + output_padding`, with `F` the effective kernel size.
    `"valid"` means `P = 0` and `"same"` means `P = F // 2`, as in Keras.
    `output_padding=None` reproduces Keras's default, which picks the size so that
    `"same"` gives `W * S` and `"valid"` gives `W * S + max(F - S, 0)`.

    Args:
        input_size: positions along the axis.
        kernel_size: kernel taps along the axis.
        strides: upsampling factor.
        padding: an int, `"valid"` or `"same"`.
        output_padding: extra rows added on one side (smaller than `strides`),
            or `None` for Keras's default.
        dilation_rate: spacing between kernel taps.

    Returns:
        The output size, an int.

    Example (a stride-2 upsampling that doubles 7 to 14):

    >>> transposed_conv_output_size(7, 3, strides=2, padding="same", output_padding=None)
    14
    >>> transposed_conv_output_size(7, 3, strides=2, padding=1, output_padding=1)
    14
    """
    input_size = positive_int(input_size, "input_size")
    strides = positive_int(strides, "strides")
    span = effective_kernel_size(kernel_size, dilation_rate)
    mode = _mode(padding)
    if output_padding is None:
        if mode == "same":
            return input_size * strides
        if mode == "valid":
            return input_size * strides + max(span - strides, 0)
        output_padding = 0
    if not is_int(output_padding) or not 0 <= output_padding < strides:
        raise ValueError(
            "output_padding must be an int in [0, strides). "
            f"Received: output_padding={output_padding!r}, strides={strides}."
        )
    pad = span // 2 if mode == "same" else padding_per_side(padding, span)
    return (input_size - 1) * strides - 2 * pad + span + output_padding


def conv_layer_stats(input_shape, filters, kernel_size, strides=1, padding=0):
    """Counts the output shape, neurons, connections and parameters of a conv layer.

    Every output value is a neuron that sees a `kh x kw x C` window of the input
    plus a bias, so it has `kh * kw * C + 1` weights (`weights_per_neuron`,
    counting the bias). Without parameter sharing each neuron would own its
    weights (`connections` = neurons x weights per neuron); with sharing, the
    neurons of one depth slice reuse one filter, so the layer has only
    `filters * weights_per_neuron` parameters.

    Args:
        input_shape: `(height, width, channels)` of one input image.
        filters: number of filters (output channels).
        kernel_size: an int or a `(kh, kw)` pair.
        strides: an int or a pair.
        padding: `"valid"`, `"same"`, `"full"`, an int number of zeros on each
            side, or a pair `(pad_h, pad_w)` of these, one per axis (as
            `scratch.conv2d` takes it).

    Returns:
        A dict with `output_shape` (a tuple), `weights_per_neuron`, `neurons`,
        `connections` and `parameters` (ints).

    Example (AlexNet's first layer on a 227x227x3 image):

    >>> stats = conv_layer_stats((227, 227, 3), filters=96, kernel_size=11, strides=4)
    >>> stats["output_shape"], stats["parameters"]
    ((55, 55, 96), 34944)
    """
    height, width, channels = image_shape(input_shape)
    filters = positive_int(filters, "filters")
    channels = positive_int(channels, "channels")
    kernel_h, kernel_w = as_pair(kernel_size, "kernel_size")
    stride_h, stride_w = as_pair(strides, "strides")
    pad_h, pad_w = padding_per_axis(padding)
    output_shape = (
        conv_output_size(height, kernel_h, stride_h, pad_h),
        conv_output_size(width, kernel_w, stride_w, pad_w),
        filters,
    )
    weights_per_neuron = kernel_h * kernel_w * channels + 1
    neurons = math.prod(output_shape)
    return {
        "output_shape": output_shape,
        "weights_per_neuron": weights_per_neuron,
        "neurons": neurons,
        "connections": neurons * weights_per_neuron,
        "parameters": filters * weights_per_neuron,
    }


def receptive_field(layers):
    """Returns how many input pixels (along one axis) one output unit depends on.

    Walking from the input up, each layer widens the field by
    `(effective_kernel - 1) * jump`, where `jump` is the product of the strides
    of the layers below it.

    Args:
        layers: a sequence of `(kernel_size, strides)` or
            `(kernel_size, strides, dilation_rate)` tuples, input side first.

    Returns:
        The receptive field size, an int (1 for no layers).

    Example (three stacked 3x3 convolutions see as far as one 7x7):

    >>> receptive_field([(3, 1), (3, 1), (3, 1)])
    7
    >>> receptive_field([(11, 4), (3, 2)])  # AlexNet's conv1 then pool1
    19
    """
    size, jump = 1, 1
    for index, layer in enumerate(layers):
        if not isinstance(layer, (tuple, list)) or len(layer) not in (2, 3):
            raise ValueError(
                "Each layer must be (kernel_size, strides) or (kernel_size, strides, "
                f"dilation_rate). Received: layers[{index}]={layer!r}."
            )
        kernel_size, strides, *dilation = layer
        strides = positive_int(strides, "strides")
        size += (effective_kernel_size(kernel_size, *dilation) - 1) * jump
        jump *= strides
    return size


def inception_params(
    in_channels,
    filters_1x1,
    filters_3x3_reduce,
    filters_3x3,
    filters_5x5_reduce,
    filters_5x5,
    filters_pool_proj,
):
    """Counts the parameters of an Inception module with and without its 1x1 reductions.

    With reductions (GoogLeNet's module): a 1x1 convolution; a 1x1 reduction then a
    3x3 convolution; a 1x1 reduction then a 5x5 convolution; 3x3 max pooling then a
    1x1 projection. Without them (the naive module): the same 1x1 convolution, the
    3x3 and 5x5 convolutions straight on the input, and the pooling alone. A k x k
    convolution from C to F maps has `(k * k * C + 1) * F` parameters (biases
    included); pooling has none.

    Args:
        in_channels: the channels of the module's input.
        filters_1x1, filters_3x3_reduce, filters_3x3, filters_5x5_reduce, filters_5x5,
            filters_pool_proj: the filters of each convolution, as in GoogLeNet's table.

    Returns:
        A dict `{"with_reduction": int, "without_reduction": int}`.

    Example (GoogLeNet's module 3a, on 192 channels):

    >>> inception_params(192, 64, 96, 128, 16, 32, 32)
    {'with_reduction': 163696, 'without_reduction': 387296}
    """
    names = ("in_channels", "filters_1x1", "filters_3x3_reduce", "filters_3x3")
    names += ("filters_5x5_reduce", "filters_5x5", "filters_pool_proj")
    values = (in_channels, filters_1x1, filters_3x3_reduce, filters_3x3)
    values += (filters_5x5_reduce, filters_5x5, filters_pool_proj)
    channels, f1, r3, f3, r5, f5, fp = (
        positive_int(value, name) for name, value in zip(names, values, strict=True)
    )
    return {
        "with_reduction": _conv_params(1, channels, f1)
        + _conv_params(1, channels, r3)
        + _conv_params(3, r3, f3)
        + _conv_params(1, channels, r5)
        + _conv_params(5, r5, f5)
        + _conv_params(1, channels, fp),
        "without_reduction": _conv_params(1, channels, f1)
        + _conv_params(3, channels, f3)
        + _conv_params(5, channels, f5),
    }


def _conv_params(kernel_size, in_channels, filters):
    return (kernel_size * kernel_size * in_channels + 1) * filters


def _mode(padding):
    return padding.lower() if isinstance(padding, str) else None


def padding_per_side(padding, span):
    """Returns the zeros an int, `"valid"` or `"full"` padding adds on each side.

    Args:
        padding: a non-negative int, `"valid"` or `"full"`.
        span: the effective (dilated) kernel size.

    Example:

    >>> padding_per_side("full", span=5)
    4
    """
    mode = _mode(padding)
    if mode == "valid":
        return 0
    if mode == "full":
        return span - 1
    if is_int(padding) and padding >= 0:
        return int(padding)
    raise ValueError(
        "padding must be a non-negative int or one of 'valid', 'same', 'full'. "
        f"Received: padding={padding!r}."
    )


@dataclasses.dataclass(frozen=True)
class LayerRow:
    """One row of a `ModelTable`: a layer's output shape, activations and parameters."""

    name: str
    kind: str
    output_shape: tuple
    activations: int
    parameters: int


_TABLE_HEADER = ("layer", "type", "output shape", "activations", "parameters")
# Layers that only reinterpret the shape of their input: no new values to store.
RESHAPE_LAYERS = ("Flatten", "Reshape")
_RESHAPE_NOTE = "* a reshape holds no new values: counted as 0 activations"


@dataclasses.dataclass(frozen=True)
class ModelTable:
    """Per-layer output shapes, activations per image and parameters of a model.

    Prints as a text table and renders as an HTML table in notebooks.
    """

    rows: tuple

    @property
    def total_params(self):
        return sum(row.parameters for row in self.rows)

    @property
    def total_activations(self):
        return sum(row.activations for row in self.rows)

    def _cells(self):
        """Formatted cells of every row, then the totals."""
        rows = [
            (
                row.name,
                f"{row.kind}*" if row.kind in RESHAPE_LAYERS else row.kind,
                " x ".join(map(str, row.output_shape)),
                f"{row.activations:,}",
                f"{row.parameters:,}",
            )
            for row in self.rows
        ]
        return [*rows, ("total", "", "", f"{self.total_activations:,}", f"{self.total_params:,}")]

    def _note(self):
        """The footnote for reshape layers, if the table has any."""
        return _RESHAPE_NOTE if any(row.kind in RESHAPE_LAYERS for row in self.rows) else ""

    def __str__(self):
        widths = (16, 20, 18, 14, 14)
        lines = [_TABLE_HEADER, *self._cells()]
        table = "\n".join(
            "  ".join(
                cell.ljust(width) if index < 3 else cell.rjust(width)
                for index, (cell, width) in enumerate(zip(line, widths, strict=True))
            ).rstrip()
            for line in lines
        )
        return "\n".join(filter(None, [table, self._note()]))

    def _repr_html_(self):
        head = "".join(f"<th>{title}</th>" for title in _TABLE_HEADER)
        body = "".join(
            "<tr>" + "".join(f"<td>{cell}</td>" for cell in row) + "</tr>" for row in self._cells()
        )
        note = (
            f"<caption style='caption-side: bottom'>{self._note()}</caption>"
            if self._note()
            else ""
        )
        return f"<table>{note}<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def model_table(model):
    """Tabulates a built Keras model layer by layer, starting with its input.

    Activations count the values one image produces at each layer's output (the
    memory a forward pass keeps for backpropagation); a reshape (`Flatten`,
    `Reshape`) produces no new values and counts 0, marked with `*`. Parameters are
    each layer's weights and biases (with batch normalisation's moving statistics).

    Args:
        model: a built `keras.Model` with a single input.

    Returns:
        A `ModelTable`; `.total_params` and `.total_activations` sum its rows.

    Example:

    >>> import keras
    >>> model = keras.Sequential([
    ...     keras.Input((227, 227, 3)),
    ...     keras.layers.Conv2D(96, 11, strides=4, name="conv1"),
    ...     keras.layers.MaxPooling2D(3, strides=2, name="pool1"),
    ... ])
    >>> table = model_table(model)
    >>> [(row.name, row.output_shape, row.parameters) for row in table.rows]
    [('input', (227, 227, 3), 0), ('conv1', (55, 55, 96), 34944), ('pool1', (27, 27, 96), 0)]
    >>> table.total_activations
    514971
    """
    if not model.built or not model.inputs:
        raise ValueError(
            "model_table needs a built model with a known input shape: start it with "
            f"keras.Input(shape) or call it on data first. Received: model={model.name!r}."
        )
    import keras

    input_shape = tuple(model.inputs[0].shape[1:])
    rows = [LayerRow("input", "Input", input_shape, math.prod(input_shape), 0)]
    # Functional models list their InputLayer; the first row already stands for it.
    layers = [layer for layer in model.layers if not isinstance(layer, keras.layers.InputLayer)]
    for layer in layers:
        shape = tuple(layer.output.shape[1:])
        kind = type(layer).__name__
        activations = 0 if kind in RESHAPE_LAYERS else math.prod(shape)
        rows.append(LayerRow(layer.name, kind, shape, activations, layer.count_params()))
    return ModelTable(tuple(rows))
