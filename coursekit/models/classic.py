"""The first deep CNNs: LeNet-5, AlexNet and the VGG networks.

Every builder returns a Keras functional model whose layers are named as in the
papers (`conv1`, `pool1`, `fc6`, ...), built from `keras.layers` and `keras.ops` only,
so it runs on every Keras backend. Keras is imported when a builder runs, not when
this module is imported (the exercise registry names `vgg_block` as a reference).
"""

from coursekit.models.naming import unique_name

# VGG's configurations (Simonyan & Zisserman, table 1): the kernel sizes of each of the
# five blocks; blocks have 64, 128, 256, 512 and 512 filters. "A-LRN" adds local
# response normalisation after the first layer, "C" ends blocks 3 to 5 with a 1x1 layer.
VGG_CONFIGURATIONS = {
    "A": ((3,), (3,), (3, 3), (3, 3), (3, 3)),
    "A-LRN": ((3,), (3,), (3, 3), (3, 3), (3, 3)),
    "B": ((3, 3), (3, 3), (3, 3), (3, 3), (3, 3)),
    "C": ((3, 3), (3, 3), (3, 3, 1), (3, 3, 1), (3, 3, 1)),
    "D": ((3, 3), (3, 3), (3, 3, 3), (3, 3, 3), (3, 3, 3)),
    "E": ((3, 3), (3, 3), (3, 3, 3, 3), (3, 3, 3, 3), (3, 3, 3, 3)),
}
VGG_FILTERS = (64, 128, 256, 512, 512)


def lenet5(input_shape=(32, 32, 1), num_classes=10, activation="relu"):
    """LeNet-5 in its modern form: conv-pool-conv-pool, then three dense layers.

    Two 5x5 convolutions with 6 and 16 filters, each followed by 2x2 max pooling,
    then dense layers of 120 and 84 units and a softmax over the classes (LeCun et
    al., 1998, with ReLU, max pooling and a softmax in place of the original squashing
    function, trainable subsampling and radial-basis output units). The third
    convolution of the paper (C5, 120 maps of 1x1 on a 32x32 input) is the dense
    layer of 120 units here.

    Args:
        input_shape: `(height, width, channels)` of the images.
        num_classes: the number of classes.
        activation: the hidden layers' activation (`"tanh"` is closer to 1998).

    Returns:
        A `keras.Model` named `"lenet5"`.

    Example:

    >>> lenet5().count_params()
    61706
    """
    import keras
    from keras import layers

    inputs = keras.Input(input_shape, name="input")
    x = layers.Conv2D(6, 5, activation=activation, name="c1")(inputs)
    x = layers.MaxPooling2D(2, name="s2")(x)
    x = layers.Conv2D(16, 5, activation=activation, name="c3")(x)
    x = layers.MaxPooling2D(2, name="s4")(x)
    x = layers.Flatten(name="flatten")(x)
    x = layers.Dense(120, activation=activation, name="c5")(x)
    x = layers.Dense(84, activation=activation, name="f6")(x)
    outputs = layers.Dense(num_classes, activation="softmax", name="output")(x)
    return keras.Model(inputs, outputs, name="lenet5")


def local_response_normalization(x, depth_radius=2, bias=2.0, alpha=1e-4, beta=0.75):
    """AlexNet's local response normalisation across channels, with `keras.ops`.

    Each value is divided by `(bias + alpha * s) ** beta`, where `s` sums the squares
    of the values at the same position in the `2 * depth_radius + 1` neighbouring
    channels (fewer at the first and last channels). The defaults are the paper's
    (n = 5, k = 2, alpha = 1e-4, beta = 0.75); `tf.nn.local_response_normalization`
    computes the same.

    Args:
        x: a tensor `(batch, height, width, channels)`.
        depth_radius, bias, alpha, beta: as above.

    Returns:
        A tensor of the same shape.
    """
    from keras import ops

    squares = ops.square(x)
    channels = x.shape[-1]
    padded = ops.pad(squares, [[0, 0], [0, 0], [0, 0], [depth_radius, depth_radius]])
    window_sum = sum(
        padded[..., offset : offset + channels] for offset in range(2 * depth_radius + 1)
    )
    return x / ops.power(bias + alpha * window_sum, beta)


def alexnet(input_shape=(227, 227, 3), num_classes=1000, groups=2):
    """AlexNet (Krizhevsky, Sutskever & Hinton, 2012): 5 convolutional and 3 dense layers.

    conv1 (96 11x11 filters, stride 4), local response normalisation and overlapping
    3x3 max pooling with stride 2; conv2 (256 5x5) with normalisation and pooling;
    conv3, conv4, conv5 (384, 384, 256 3x3) and pooling; fc6 and fc7 (4096 units,
    dropout 0.5) and fc8 with a softmax. All hidden layers use ReLU.

    The network was split over two GPUs: conv2, conv4 and conv5 see only the half of
    the previous layer's maps on their own GPU, which `groups=2` reproduces (the
    paper's 60,965,224 parameters); `groups=1` is the single-stream network that most
    re-implementations train (62,378,344). The input is 227x227, not the paper's 224:
    (224 - 11) / 4 + 1 = 54.25 does not tile, (227 - 11) / 4 + 1 = 55 does.

    Args:
        input_shape: `(height, width, channels)`.
        num_classes: the number of classes.
        groups: 2 for the two-GPU network, 1 for a single stream.

    Returns:
        A `keras.Model` named `"alexnet"`.

    Raises:
        ValueError: if `groups` is not 1 or 2.
    """
    import keras
    from keras import layers

    if groups not in (1, 2):
        raise ValueError(f"groups must be 1 or 2. Received: groups={groups!r}")
    conv = {"activation": "relu", "padding": "same"}
    inputs = keras.Input(input_shape, name="input")
    x = layers.Conv2D(96, 11, strides=4, activation="relu", name="conv1")(inputs)
    x = layers.Lambda(local_response_normalization, name="norm1")(x)
    x = layers.MaxPooling2D(3, strides=2, name="pool1")(x)
    x = layers.Conv2D(256, 5, groups=groups, **conv, name="conv2")(x)
    x = layers.Lambda(local_response_normalization, name="norm2")(x)
    x = layers.MaxPooling2D(3, strides=2, name="pool2")(x)
    x = layers.Conv2D(384, 3, **conv, name="conv3")(x)
    x = layers.Conv2D(384, 3, groups=groups, **conv, name="conv4")(x)
    x = layers.Conv2D(256, 3, groups=groups, **conv, name="conv5")(x)
    x = layers.MaxPooling2D(3, strides=2, name="pool5")(x)
    x = layers.Flatten(name="flatten")(x)
    x = layers.Dense(4096, activation="relu", name="fc6")(x)
    x = layers.Dropout(0.5, name="drop6")(x)
    x = layers.Dense(4096, activation="relu", name="fc7")(x)
    x = layers.Dropout(0.5, name="drop7")(x)
    outputs = layers.Dense(num_classes, activation="softmax", name="fc8")(x)
    return keras.Model(inputs, outputs, name="alexnet")


def vgg_block(x, filters, convs, *, kernel_sizes=None, name=None):
    """One VGG block: `convs` convolutions with ReLU, then 2x2 max pooling with stride 2.

    Every convolution has `filters` filters, 'same' padding (the height and width are
    kept) and a bias; the pooling halves the height and width (rounding down).

    Args:
        x: the block's input, a Keras tensor `(batch, height, width, channels)`.
        filters: the number of filters of each convolution.
        convs: the number of convolutions.
        kernel_sizes: one kernel size per convolution; all 3 by default.
        name: the prefix of the layers' names (`<name>_conv1`, ..., `<name>_pool`);
            a unique one by default.

    Returns:
        The block's output tensor, `(batch, height // 2, width // 2, filters)`.

    Example:

    >>> import keras
    >>> outputs = vgg_block(keras.Input((32, 32, 3)), 64, 2, name="block1")
    >>> tuple(outputs.shape)
    (None, 16, 16, 64)
    """
    from keras import layers

    name = name or unique_name("vgg_block")
    kernel_sizes = kernel_sizes or (3,) * convs
    for index, kernel_size in enumerate(kernel_sizes, start=1):
        x = layers.Conv2D(
            filters, kernel_size, padding="same", activation="relu", name=f"{name}_conv{index}"
        )(x)
    return layers.MaxPooling2D(2, strides=2, name=f"{name}_pool")(x)


def vgg(configuration="D", input_shape=(224, 224, 3), num_classes=1000):
    """A VGG network of the paper's table 1: five VGG blocks and three dense layers.

    Args:
        configuration: `"A"`, `"A-LRN"`, `"B"`, `"C"`, `"D"` (VGG16) or `"E"` (VGG19).
        input_shape: `(height, width, channels)`.
        num_classes: the number of classes.

    Returns:
        A `keras.Model` named `"vgg_<configuration>"`, with the layer names of
        `keras.applications.VGG16` (`block1_conv1`, ..., `fc1`, `fc2`, `predictions`).

    Raises:
        ValueError: for an unknown configuration.
    """
    import keras
    from keras import layers

    if configuration not in VGG_CONFIGURATIONS:
        known = ", ".join(map(repr, VGG_CONFIGURATIONS))
        raise ValueError(
            f"Unknown VGG configuration. Received: configuration={configuration!r}; "
            f"expected one of {known}."
        )
    inputs = keras.Input(input_shape, name="input")
    x = inputs
    blocks = zip(VGG_CONFIGURATIONS[configuration], VGG_FILTERS, strict=True)
    for number, (kernel_sizes, filters) in enumerate(blocks, start=1):
        if configuration == "A-LRN" and number == 2:
            x = layers.Lambda(local_response_normalization, name="lrn")(x)
        x = vgg_block(
            x, filters, len(kernel_sizes), kernel_sizes=kernel_sizes, name=f"block{number}"
        )
    x = layers.Flatten(name="flatten")(x)
    x = layers.Dense(4096, activation="relu", name="fc1")(x)
    x = layers.Dropout(0.5, name="drop1")(x)
    x = layers.Dense(4096, activation="relu", name="fc2")(x)
    x = layers.Dropout(0.5, name="drop2")(x)
    outputs = layers.Dense(num_classes, activation="softmax", name="predictions")(x)
    return keras.Model(inputs, outputs, name=f"vgg_{configuration}")


def vgg16(input_shape=(224, 224, 3), num_classes=1000):
    """VGG16, configuration D of the VGG paper: 13 convolutions and 3 dense layers.

    Its 138,357,544 parameters are those of `keras.applications.VGG16(weights=None)`;
    to count them without allocating 553 MB of float32 weights, build it with
    `coursekit.models.build_without_weights(vgg16)`.

    Returns:
        A `keras.Model` named `"vgg_D"`.
    """
    return vgg("D", input_shape, num_classes)
