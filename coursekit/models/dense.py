"""DenseNet (Huang et al., 2017): dense blocks, transition layers, DenseNet-121/169/201.

The layers follow `keras.applications.DenseNet121` (the "BC" variant: a 1x1 bottleneck
before every 3x3 convolution, transitions that halve the channels), so the parameter
counts are equal. Keras is imported when a builder runs, not when this module is.
"""

from coursekit.models.naming import unique_name

# Dense layers per block, with growth rate 32.
DENSENET_BLOCKS = {121: (6, 12, 24, 16), 169: (6, 12, 32, 32), 201: (6, 12, 48, 32)}
BOTTLENECK_WIDTH = 4
# Keras's DenseNets normalise with this epsilon; it changes no parameter count.
EPSILON = 1.001e-5


def dense_block(x, num_layers, growth_rate, *, name=None):
    """A dense block: every layer sees the concatenation of all earlier feature maps.

    Each of the `num_layers` layers is BN-ReLU-conv 1x1 (`4 * growth_rate` filters),
    BN-ReLU-conv 3x3 (`growth_rate` filters), and its output is concatenated to its
    input, so the block adds `num_layers * growth_rate` channels. Convolutions have
    no bias.

    Args:
        x: the block's input, `(batch, height, width, channels)`.
        num_layers: the number of layers.
        growth_rate: the feature maps each layer adds (k in the paper).
        name: the prefix of the layers' names; a unique one by default.

    Returns:
        The output tensor, with `channels + num_layers * growth_rate` channels.

    Example:

    >>> import keras
    >>> tuple(dense_block(keras.Input((8, 8, 64)), 6, 32).shape)
    (None, 8, 8, 256)
    """
    from keras import layers

    name = name or unique_name("dense_block")
    for index in range(1, num_layers + 1):
        prefix = f"{name}_layer{index}"
        y = _bn_relu_conv(x, BOTTLENECK_WIDTH * growth_rate, 1, f"{prefix}_1")
        y = _bn_relu_conv(y, growth_rate, 3, f"{prefix}_2")
        x = layers.Concatenate(name=f"{prefix}_concat")([x, y])
    return x


def transition(x, reduction=0.5, *, name=None):
    """A transition layer between dense blocks: BN-ReLU-conv 1x1, then 2x2 average pooling.

    Args:
        x: the input, `(batch, height, width, channels)`.
        reduction: the fraction of channels kept (compression, 0.5 in DenseNet-BC).
        name: the prefix of the layers' names; a unique one by default.

    Returns:
        The output tensor, `int(channels * reduction)` channels, half the height and width.
    """
    from keras import layers

    name = name or unique_name("transition")
    x = _bn_relu_conv(x, int(x.shape[-1] * reduction), 1, name)
    return layers.AveragePooling2D(2, strides=2, name=f"{name}_pool")(x)


def densenet(depth=121, input_shape=(224, 224, 3), num_classes=1000, growth_rate=32):
    """DenseNet-121, 169 or 201 (DenseNet-BC with compression 0.5).

    A 7x7/2 convolution with 64 filters, BN-ReLU, 3x3/2 max pooling, four dense blocks
    separated by transition layers, BN-ReLU, global average pooling and a softmax
    layer. DenseNet-121 has 8,062,504 parameters in Keras's count (7,978,856
    trainable; the rest are batch normalisation's moving statistics), as
    `keras.applications.DenseNet121(weights=None)`.

    Args:
        depth: 121, 169 or 201.
        input_shape: `(height, width, channels)`.
        num_classes: the number of classes.
        growth_rate: the feature maps each dense layer adds.

    Returns:
        A `keras.Model` named `"densenet<depth>"`.

    Raises:
        ValueError: for another depth.
    """
    import keras
    from keras import layers

    if depth not in DENSENET_BLOCKS:
        raise ValueError(
            f"depth must be one of {sorted(DENSENET_BLOCKS)}. Received: depth={depth!r}"
        )
    inputs = keras.Input(input_shape, name="input")
    x = layers.ZeroPadding2D(3, name="conv1_pad")(inputs)
    x = layers.Conv2D(64, 7, strides=2, use_bias=False, name="conv1")(x)
    x = layers.BatchNormalization(epsilon=EPSILON, name="conv1_bn")(x)
    x = layers.ReLU(name="conv1_relu")(x)
    x = layers.ZeroPadding2D(1, name="pool1_pad")(x)
    x = layers.MaxPooling2D(3, strides=2, name="pool1")(x)
    blocks = DENSENET_BLOCKS[depth]
    for number, num_layers in enumerate(blocks, start=1):
        x = dense_block(x, num_layers, growth_rate, name=f"block{number}")
        if number < len(blocks):
            x = transition(x, name=f"transition{number}")
    x = layers.BatchNormalization(epsilon=EPSILON, name="bn")(x)
    x = layers.ReLU(name="relu")(x)
    x = layers.GlobalAveragePooling2D(name="avg_pool")(x)
    outputs = layers.Dense(num_classes, activation="softmax", name="predictions")(x)
    return keras.Model(inputs, outputs, name=f"densenet{depth}")


def _bn_relu_conv(x, filters, kernel_size, name):
    from keras import layers

    x = layers.BatchNormalization(epsilon=EPSILON, name=f"{name}_bn")(x)
    x = layers.ReLU(name=f"{name}_relu")(x)
    return layers.Conv2D(filters, kernel_size, padding="same", use_bias=False, name=f"{name}_conv")(
        x
    )
