"""Residual networks (He et al., 2016): residual blocks, ResNet-18/34/50/101/152, and the
small CIFAR-style networks of the paper's section 4.2, with or without shortcuts.

Convolutions followed by batch normalisation have no bias (the normalisation's shift
makes it redundant), as in the paper and in torchvision. Keras is imported when a
builder runs, not when this module is imported (the exercise registry names
`residual_block` as a reference).
"""

from coursekit.models.naming import unique_name

BOTTLENECK_EXPANSION = 4
# Batch normalisation's moving averages keep 90% of their value per step (Keras's default,
# 99%, needs thousands of steps to forget their start: too many for a short training).
BATCHNORM_MOMENTUM = 0.9
# Residual blocks per stage, and whether they are bottleneck blocks (the paper's table 1).
RESNET_STAGES = {
    18: ((2, 2, 2, 2), False),
    34: ((3, 4, 6, 3), False),
    50: ((3, 4, 6, 3), True),
    101: ((3, 4, 23, 3), True),
    152: ((3, 8, 36, 3), True),
}


def residual_block(x, filters, strides=1, bottleneck=False, preactivation=False, *, name=None):
    """A residual block: output = F(x) + shortcut(x), with batch normalisation.

    The residual branch F is, for a basic block, two 3x3 convolutions with `filters`
    filters; for a bottleneck block, a 1x1 convolution to `filters` maps, a 3x3
    convolution and a 1x1 convolution to `4 * filters` maps (wide, narrow, narrow,
    wide). Its 3x3 convolution has stride `strides` (the main path downsamples with it).
    Convolutions use 'same' padding and no bias; batch normalisation keeps Keras's
    default epsilon (its momentum, 0.9 here, only matters in training).

    - Original order (`preactivation=False`): each convolution is followed by batch
      normalisation, then ReLU, except the last, whose ReLU comes after the addition:
      conv-BN-ReLU-conv-BN, add, ReLU.
    - Pre-activation order (He et al., "Identity mappings in deep residual networks"):
      each convolution is preceded by BN-ReLU, and nothing follows the addition:
      BN-ReLU-conv-BN-ReLU-conv, add.

    The shortcut is the identity when the shape does not change. When `strides` is not
    1 or the number of channels changes, it is a projection: a 1x1 convolution with
    stride `strides` followed by batch normalisation (original order), or a 1x1
    convolution with stride `strides` on the pre-activated input, BN-ReLU(x)
    (pre-activation order).

    Args:
        x: the block's input, `(batch, height, width, channels)`.
        filters: the filters of the 3x3 convolution(s).
        strides: 1, or 2 to halve the height and width.
        bottleneck: use the 1x1-3x3-1x1 bottleneck branch.
        preactivation: use the pre-activation order.
        name: the prefix of the layers' names; a unique one by default.

    Returns:
        The output tensor, `(batch, ceil(height / strides), ceil(width / strides),
        filters)`, or `4 * filters` channels for a bottleneck block.

    Example:

    >>> import keras
    >>> outputs = residual_block(keras.Input((8, 8, 16)), 32, strides=2)
    >>> tuple(outputs.shape)
    (None, 4, 4, 32)
    """
    from keras import layers

    name = name or unique_name("residual_block")
    branch = _branch(filters, strides, bottleneck)
    out_channels = branch[-1][0]
    projection = strides != 1 or x.shape[-1] != out_channels
    if preactivation:
        activated = _bn_relu(x, name, 1)
        shortcut = x
        if projection:
            shortcut = _conv(out_channels, 1, strides, f"{name}_projection")(activated)
        y = activated
        for index, (channels, kernel_size, stride) in enumerate(branch, start=1):
            if index > 1:
                y = _bn_relu(y, name, index)
            y = _conv(channels, kernel_size, stride, f"{name}_conv{index}")(y)
        return layers.Add(name=f"{name}_add")([y, shortcut])
    shortcut = x
    if projection:
        shortcut = _conv(out_channels, 1, strides, f"{name}_projection")(x)
        shortcut = layers.BatchNormalization(
            momentum=BATCHNORM_MOMENTUM, name=f"{name}_projection_bn"
        )(shortcut)
    y = x
    for index, (channels, kernel_size, stride) in enumerate(branch, start=1):
        y = _conv(channels, kernel_size, stride, f"{name}_conv{index}")(y)
        y = layers.BatchNormalization(momentum=BATCHNORM_MOMENTUM, name=f"{name}_bn{index}")(y)
        if index < len(branch):
            y = layers.ReLU(name=f"{name}_relu{index}")(y)
    y = layers.Add(name=f"{name}_add")([y, shortcut])
    return layers.ReLU(name=f"{name}_out")(y)


def plain_block(x, filters, strides=1, *, name=None):
    """A residual block's basic branch without its shortcut: conv-BN-ReLU-conv-BN-ReLU.

    The "plain" networks of He et al. stack these; with the shortcut added back they
    are the basic residual blocks of `residual_block`.

    Args:
        x: the block's input, `(batch, height, width, channels)`.
        filters: the filters of both 3x3 convolutions.
        strides: the stride of the first convolution.
        name: the prefix of the layers' names; a unique one by default.

    Returns:
        The output tensor.
    """
    from keras import layers

    name = name or unique_name("plain_block")
    for index, (channels, kernel_size, stride) in enumerate(_branch(filters, strides), start=1):
        x = _conv(channels, kernel_size, stride, f"{name}_conv{index}")(x)
        x = layers.BatchNormalization(momentum=BATCHNORM_MOMENTUM, name=f"{name}_bn{index}")(x)
        x = layers.ReLU(name=f"{name}_relu{index}")(x)
    return x


def resnet(depth, input_shape=(224, 224, 3), num_classes=1000, preactivation=False):
    """ResNet-18, 34, 50, 101 or 152 for ImageNet-sized images.

    A 7x7/2 convolution with 64 filters, batch normalisation and ReLU, 3x3/2 max
    pooling, four stages of residual blocks with 64, 128, 256 and 512 filters (the
    first block of stages 2-4 halves the height and width and doubles the filters,
    with a projection shortcut), global average pooling and a softmax layer. ResNet-50
    and deeper use bottleneck blocks, whose outputs have four times the filters.

    With the original block order the trainable parameters are torchvision's counts:
    11,689,512 (18), 21,797,672 (34) and 25,557,032 (50). Batch normalisation's moving
    mean and variance are non-trainable weights in Keras, counted apart.

    Args:
        depth: 18, 34, 50, 101 or 152.
        input_shape: `(height, width, channels)`.
        num_classes: the number of classes.
        preactivation: build pre-activation blocks (ResNet v2); the stem then has no
            batch normalisation, and BN-ReLU comes after the last block.

    Returns:
        A `keras.Model` named `"resnet<depth>"` (`"resnet<depth>_v2"` with pre-activation).

    Raises:
        ValueError: for another depth.
    """
    import keras
    from keras import layers

    if depth not in RESNET_STAGES:
        raise ValueError(f"depth must be one of {sorted(RESNET_STAGES)}. Received: depth={depth!r}")
    blocks, bottleneck = RESNET_STAGES[depth]
    inputs = keras.Input(input_shape, name="input")
    x = _conv(64, 7, 2, "conv1")(inputs)
    if not preactivation:
        x = layers.BatchNormalization(momentum=BATCHNORM_MOMENTUM, name="conv1_bn")(x)
        x = layers.ReLU(name="conv1_relu")(x)
    x = layers.MaxPooling2D(3, strides=2, padding="same", name="pool1")(x)
    for stage, (count, filters) in enumerate(zip(blocks, (64, 128, 256, 512), strict=True)):
        for index in range(count):
            strides = 2 if stage > 0 and index == 0 else 1
            x = residual_block(
                x,
                filters,
                strides,
                bottleneck,
                preactivation,
                name=f"stage{stage + 2}_block{index + 1}",
            )
    if preactivation:
        x = _bn_relu(x, "post", 1)
    outputs = _classifier(x, num_classes)
    suffix = "_v2" if preactivation else ""
    return keras.Model(inputs, outputs, name=f"resnet{depth}{suffix}")


def cifar_resnet(depth=20, input_shape=(32, 32, 3), num_classes=10, width=16, shortcuts=True):
    """The small networks of He et al.'s CIFAR-10 experiments: depth = 6n + 2.

    A 3x3 convolution with `width` filters, batch normalisation and ReLU, then three
    stages of n basic blocks with `width`, `2 * width` and `4 * width` filters (the
    first block of stages 2 and 3 has stride 2), global average pooling and a softmax
    layer. With `shortcuts=False` every block is a `plain_block`: the "plain" network
    of the same depth, the same layers and the same parameters except the projections.
    (The paper's CIFAR networks pad the identity with zeros where the shape changes;
    here a projection shortcut does it, as in its ImageNet networks.)

    Args:
        depth: 6n + 2 layers with weights: 8, 14, 20, 32, 44, 56, 110, ...
        input_shape: `(height, width, channels)`.
        num_classes: the number of classes.
        width: the filters of the first stage.
        shortcuts: residual blocks (`True`) or plain blocks (`False`).

    Returns:
        A `keras.Model` named `"resnet<depth>"` or `"plain<depth>"`.

    Raises:
        ValueError: if `depth` is not 6n + 2 for some n >= 1.

    Example:

    >>> model = cifar_resnet(20)
    >>> model.name, len([layer for layer in model.layers if "conv" in layer.name])
    ('resnet20', 21)
    """
    import keras
    from keras import layers

    if not isinstance(depth, int) or depth < 8 or (depth - 2) % 6:
        raise ValueError(f"depth must be 6n + 2 with n >= 1 (20, 32, 56, ...). Received: {depth!r}")
    blocks = (depth - 2) // 6
    kind = "resnet" if shortcuts else "plain"
    inputs = keras.Input(input_shape, name="input")
    x = _conv(width, 3, 1, "conv1")(inputs)
    x = layers.BatchNormalization(momentum=BATCHNORM_MOMENTUM, name="conv1_bn")(x)
    x = layers.ReLU(name="conv1_relu")(x)
    for stage in range(3):
        for index in range(blocks):
            strides = 2 if stage > 0 and index == 0 else 1
            name = f"stage{stage + 1}_block{index + 1}"
            if shortcuts:
                x = residual_block(x, width * 2**stage, strides, name=name)
            else:
                x = plain_block(x, width * 2**stage, strides, name=name)
    outputs = _classifier(x, num_classes)
    return keras.Model(inputs, outputs, name=f"{kind}{depth}")


def _branch(filters, strides, bottleneck=False):
    """The residual branch's convolutions as (filters, kernel size, strides)."""
    if bottleneck:
        return (
            (filters, 1, 1),
            (filters, 3, strides),
            (filters * BOTTLENECK_EXPANSION, 1, 1),
        )
    return ((filters, 3, strides), (filters, 3, 1))


def _conv(filters, kernel_size, strides, name):
    from keras import layers

    return layers.Conv2D(
        filters,
        kernel_size,
        strides=strides,
        padding="same",
        use_bias=False,
        kernel_initializer="he_normal",
        name=name,
    )


def _bn_relu(x, name, index):
    from keras import layers

    x = layers.BatchNormalization(momentum=BATCHNORM_MOMENTUM, name=f"{name}_bn{index}")(x)
    return layers.ReLU(name=f"{name}_relu{index}")(x)


def _classifier(x, num_classes):
    from keras import layers

    x = layers.GlobalAveragePooling2D(name="avg_pool")(x)
    return layers.Dense(num_classes, activation="softmax", name="predictions")(x)
