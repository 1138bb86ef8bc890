"""Small segmentation networks: a fully convolutional network (FCN), a SegNet-style
encoder-decoder with max-unpooling, and a U-Net.

All three map an image `(height, width, channels)` to per-pixel class probabilities
`(height, width, num_classes)` (a softmax over the last axis, kept in float32 under
mixed precision), so they train with `sparse_categorical_crossentropy` on integer
masks. Each encoder halves the resolution `depth` times with 2x2 max pooling, so the
height and width must be multiples of `2**depth`. Only `keras.layers` and
`keras.ops` are used: the models run on every Keras backend.
"""

import keras
from keras import ops

from coursekit.scratch.upsampling import bilinear_upsampling_kernel

BATCH_NORM_MOMENTUM = 0.9


@keras.saving.register_keras_serializable(package="coursekit")
class BilinearUpsampling(keras.initializers.Initializer):
    """Initialises a `Conv2DTranspose` kernel to bilinear upsampling, channel by channel.

    For a kernel of shape `(k, k, channels, channels)` with `k = 2 * s - s % 2`, used
    with `strides=s` and `padding="same"`, the layer starts out as bilinear
    upsampling by `s` (away from the border), as the learned upsampling layers of
    FCN do. See `coursekit.scratch.bilinear_upsampling_kernel`.

    Example:

    >>> kernel = BilinearUpsampling()((4, 4, 2, 2))
    >>> [float(value) for value in ops.convert_to_numpy(kernel)[:, 1, 0, 0]]
    [0.1875, 0.5625, 0.5625, 0.1875]
    """

    def __call__(self, shape, dtype=None):
        height, width, out_channels, in_channels = shape
        factor = (height + 1) // 2
        if height != width or out_channels != in_channels or 2 * factor - factor % 2 != height:
            raise ValueError(
                "A bilinear kernel has shape (k, k, c, c) with k = 2 * factor - factor % 2 "
                f"(4 for a factor of 2). Received: shape={tuple(shape)}."
            )
        kernel = bilinear_upsampling_kernel(factor, out_channels)
        return ops.convert_to_tensor(kernel, dtype=dtype or "float32")

    def get_config(self):
        return {}


def fcn(input_shape, num_classes, depth=3, filters=16, skips=1):
    """A small fully convolutional network (FCN) with skip fusion.

    The encoder has `depth` stages of two 3x3 convolutions (batch norm, ReLU) and 2x2
    max pooling, doubling the filters at each stage. Where a classifier would flatten
    and apply fully connected layers, the FCN applies them as convolutions (a 3x3 and
    a 1x1, the "fc" layers) and scores every position of the coarse map with a 1x1
    convolution, at stride `2**depth`. The score map is then upsampled 2x by a
    transposed convolution initialised to bilinear upsampling and added to the scores
    of the stage before it (the skip fusion), `skips` times; a fixed bilinear
    upsampling brings the result back to the input size. With `depth=5`, `skips=0`,
    1 and 2 are FCN-32s, FCN-16s and FCN-8s.

    Args:
        input_shape: `(height, width, channels)`, height and width multiples of `2**depth`.
        num_classes: the number of classes.
        depth: the number of pooling stages.
        filters: the filters of the first stage.
        skips: how many shallower score maps are fused, from 0 to `depth - 1`.

    Returns:
        An uncompiled `keras.Model`.

    Raises:
        ValueError: for an input size that is not a multiple of `2**depth`, or a number
            of skips outside `[0, depth - 1]`.

    Example:

    >>> model = fcn((32, 32, 3), num_classes=4, depth=3, filters=4)
    >>> model.output_shape
    (None, 32, 32, 4)
    """
    _check_input(input_shape, depth)
    if not 0 <= skips < depth:
        raise ValueError(f"skips must be in [0, {depth - 1}]. Received: skips={skips!r}.")
    inputs = keras.Input(input_shape)
    x, pooled = inputs, []
    for level in range(depth):
        x = _conv_block(x, filters * 2**level, f"encoder{level}")
        x = keras.layers.MaxPooling2D(2, name=f"pool{level}")(x)
        pooled.append(x)
    width = filters * 2**depth
    x = _conv_bn_relu(x, width, 3, "fc6")  # the fully connected layers, as convolutions
    x = _conv_bn_relu(x, width, 1, "fc7")
    scores = keras.layers.Conv2D(num_classes, 1, name="score")(x)
    for step in range(skips):
        level = depth - 2 - step
        scores = keras.layers.Conv2DTranspose(
            num_classes,
            4,
            strides=2,
            padding="same",
            use_bias=False,
            kernel_initializer=BilinearUpsampling(),
            name=f"upscore{step + 1}",
        )(scores)
        # Zero-initialised, so training starts from the coarser network's prediction.
        shallow = keras.layers.Conv2D(
            num_classes, 1, kernel_initializer="zeros", name=f"score_pool{level}"
        )(pooled[level])
        scores = keras.layers.Add(name=f"fuse{step + 1}")([scores, shallow])
    factor = 2 ** (depth - skips)
    scores = keras.layers.UpSampling2D(factor, interpolation="bilinear", name="upsample")(scores)
    outputs = keras.layers.Softmax(dtype="float32", name="probabilities")(scores)
    return keras.Model(inputs, outputs, name=f"fcn_{factor}s")


def unet(input_shape, num_classes, depth=3, filters=8):
    """A U-Net: an encoder-decoder whose decoder concatenates the encoder's features.

    Each encoder level has two 3x3 convolutions (batch norm, ReLU) and hands its
    output to the decoder before 2x2 max pooling halves the resolution; filters double
    at every level. Each decoder level upsamples 2x with a learned 2x2 transposed
    convolution (stride 2), concatenates the encoder's features of the same size
    (the skip connection, which brings back the detail that pooling lost), and applies
    two 3x3 convolutions. A 1x1 convolution scores every pixel.

    Args:
        input_shape: `(height, width, channels)`, height and width multiples of `2**depth`.
        num_classes: the number of classes.
        depth: the number of pooling (and upsampling) steps.
        filters: the filters of the first level.

    Returns:
        An uncompiled `keras.Model`.

    Raises:
        ValueError: for an input size that is not a multiple of `2**depth`.

    Example:

    >>> model = unet((32, 32, 3), num_classes=4)
    >>> model.output_shape, model.count_params()
    ((None, 32, 32, 4), 121908)
    """
    _check_input(input_shape, depth)
    inputs = keras.Input(input_shape)
    x, skips = inputs, []
    for level in range(depth):
        x = _conv_block(x, filters * 2**level, f"encoder{level}")
        skips.append(x)
        x = keras.layers.MaxPooling2D(2, name=f"pool{level}")(x)
    x = _conv_block(x, filters * 2**depth, "bottleneck")
    for level in reversed(range(depth)):
        x = keras.layers.Conv2DTranspose(filters * 2**level, 2, strides=2, name=f"up{level}")(x)
        x = keras.layers.Concatenate(name=f"skip{level}")([skips[level], x])
        x = _conv_block(x, filters * 2**level, f"decoder{level}")
    outputs = keras.layers.Conv2D(
        num_classes, 1, activation="softmax", dtype="float32", name="probabilities"
    )(x)
    return keras.Model(inputs, outputs, name="unet")


def segnet(input_shape, num_classes, depth=3, filters=8):
    """A SegNet-style encoder-decoder: the decoder upsamples by max-unpooling.

    The encoder is the U-Net's. Its 2x2 max pooling remembers which cell of each
    window won; the decoder puts its features back at exactly those cells, zeros
    elsewhere (`MaxUnpooling2D`), and 3x3 convolutions fill in the rest. Only the
    winners' positions cross from encoder to decoder, not the features: far less to
    keep than a U-Net's concatenated feature maps, and no upsampling weights to learn.

    Args:
        input_shape: `(height, width, channels)`, height and width multiples of `2**depth`.
        num_classes: the number of classes.
        depth: the number of pooling (and unpooling) steps.
        filters: the filters of the first level.

    Returns:
        An uncompiled `keras.Model`.

    Example:

    >>> segnet((32, 32, 3), num_classes=4).output_shape
    (None, 32, 32, 4)
    """
    _check_input(input_shape, depth)
    inputs = keras.Input(input_shape)
    x, switches = inputs, []
    for level in range(depth):
        x = _conv_block(x, filters * 2**level, f"encoder{level}")
        x, switch = MaxPoolingWithSwitches2D(name=f"pool{level}")(x)
        switches.append(switch)
    for level in reversed(range(depth)):
        x = MaxUnpooling2D(name=f"unpool{level}")([x, switches[level]])
        x = _conv_block(x, filters * 2 ** max(level - 1, 0), f"decoder{level}")
    outputs = keras.layers.Conv2D(
        num_classes, 1, activation="softmax", dtype="float32", name="probabilities"
    )(x)
    return keras.Model(inputs, outputs, name="segnet")


@keras.saving.register_keras_serializable(package="coursekit")
class MaxPoolingWithSwitches2D(keras.layers.Layer):
    """2x2 max pooling that also returns its "switches": which cell of each window won.

    Returns `(pooled, switches)`: `switches` has shape `(batch, height / 2, width / 2,
    channels, 4)`, one-hot over the window's four cells in row-major order; on ties
    the first cell wins, as in `coursekit.scratch.max_pool2d_with_argmax`.
    """

    def call(self, inputs):
        windows = _windows(inputs)
        switches = ops.one_hot(ops.argmax(windows, axis=-1), 4, dtype=inputs.dtype)
        return ops.max(windows, axis=-1), switches


@keras.saving.register_keras_serializable(package="coursekit")
class MaxUnpooling2D(keras.layers.Layer):
    """Undoes `MaxPoolingWithSwitches2D`: each value goes to its window's winning cell.

    Called on `[values, switches]`; returns an array twice as high and wide, with
    zeros in the three other cells of every window, as `coursekit.scratch.max_unpool2d`.
    """

    def call(self, inputs):
        values, switches = inputs
        _, height, width, channels = values.shape
        cells = ops.expand_dims(values, -1) * ops.cast(switches, values.dtype)
        cells = ops.reshape(cells, (-1, height, width, channels, 2, 2))
        cells = ops.transpose(cells, (0, 1, 4, 2, 5, 3))
        return ops.reshape(cells, (-1, 2 * height, 2 * width, channels))


def _windows(x):
    """`(N, H, W, C)` -> `(N, H/2, W/2, C, 4)`: each 2x2 window's cells in row-major order."""
    _, height, width, channels = x.shape
    x = ops.reshape(x, (-1, height // 2, 2, width // 2, 2, channels))
    x = ops.transpose(x, (0, 1, 3, 5, 2, 4))
    return ops.reshape(x, (-1, height // 2, width // 2, channels, 4))


def _conv_bn_relu(x, filters, kernel_size, name):
    """A convolution, batch normalisation and ReLU. The running averages that batch norm
    uses at inference follow the batches quickly (momentum 0.9, not Keras's 0.99), since
    the course's trainings are only a few hundred steps long."""
    x = keras.layers.Conv2D(
        filters, kernel_size, padding="same", use_bias=False, name=f"{name}_conv"
    )(x)
    x = keras.layers.BatchNormalization(momentum=BATCH_NORM_MOMENTUM, name=f"{name}_bn")(x)
    return keras.layers.ReLU(name=f"{name}_relu")(x)


def _conv_block(x, filters, name):
    x = _conv_bn_relu(x, filters, 3, f"{name}a")
    return _conv_bn_relu(x, filters, 3, f"{name}b")


def _check_input(input_shape, depth):
    if len(input_shape) != 3:
        raise ValueError(
            f"input_shape must be (height, width, channels). Received: input_shape={input_shape!r}."
        )
    multiple = 2**depth
    if any(size % multiple for size in input_shape[:2]):
        raise ValueError(
            f"Height and width must be multiples of 2**depth = {multiple}. "
            f"Received: input_shape={tuple(input_shape)}, depth={depth}."
        )
