"""GoogLeNet and its Inception module (Szegedy et al., 2015).

Keras is imported when a builder runs, not when this module is imported.
"""

from coursekit.models.classic import local_response_normalization
from coursekit.models.naming import unique_name

# The nine Inception modules of GoogLeNet (the paper's table 1): #1x1, #3x3 reduce,
# #3x3, #5x5 reduce, #5x5 and pool proj, with a 3x3/2 max pooling after 3b and 4e.
GOOGLENET_MODULES = {
    "3a": (64, 96, 128, 16, 32, 32),
    "3b": (128, 128, 192, 32, 96, 64),
    "4a": (192, 96, 208, 16, 48, 64),
    "4b": (160, 112, 224, 24, 64, 64),
    "4c": (128, 128, 256, 24, 64, 64),
    "4d": (112, 144, 288, 32, 64, 64),
    "4e": (256, 160, 320, 32, 128, 128),
    "5a": (256, 160, 320, 32, 128, 128),
    "5b": (384, 192, 384, 48, 128, 128),
}


def inception_module(
    x,
    filters_1x1,
    filters_3x3_reduce,
    filters_3x3,
    filters_5x5_reduce,
    filters_5x5,
    filters_pool_proj,
    *,
    name=None,
):
    """An Inception module with 1x1 reductions, its four branches concatenated by depth.

    The branches, each convolution with ReLU and 'same' padding:
    1. a 1x1 convolution with `filters_1x1` filters;
    2. a 1x1 reduction to `filters_3x3_reduce` maps, then a 3x3 convolution;
    3. a 1x1 reduction to `filters_5x5_reduce` maps, then a 5x5 convolution;
    4. 3x3 max pooling with stride 1, then a 1x1 projection to `filters_pool_proj` maps.

    Args:
        x: the module's input, `(batch, height, width, channels)`.
        filters_1x1, filters_3x3_reduce, filters_3x3, filters_5x5_reduce, filters_5x5,
            filters_pool_proj: the filters of each convolution, as in the paper's table.
        name: the prefix of the layers' names; a unique one by default.

    Returns:
        The output tensor, with `filters_1x1 + filters_3x3 + filters_5x5 +
        filters_pool_proj` channels and the input's height and width.

    Example:

    >>> import keras
    >>> outputs = inception_module(keras.Input((28, 28, 192)), 64, 96, 128, 16, 32, 32)
    >>> tuple(outputs.shape)
    (None, 28, 28, 256)
    """
    from keras import layers

    name = name or unique_name("inception")

    def conv(filters, kernel_size, suffix):
        return layers.Conv2D(
            filters, kernel_size, padding="same", activation="relu", name=f"{name}_{suffix}"
        )

    branch_1x1 = conv(filters_1x1, 1, "1x1")(x)
    branch_3x3 = conv(filters_3x3_reduce, 1, "3x3_reduce")(x)
    branch_3x3 = conv(filters_3x3, 3, "3x3")(branch_3x3)
    branch_5x5 = conv(filters_5x5_reduce, 1, "5x5_reduce")(x)
    branch_5x5 = conv(filters_5x5, 5, "5x5")(branch_5x5)
    branch_pool = layers.MaxPooling2D(3, strides=1, padding="same", name=f"{name}_pool")(x)
    branch_pool = conv(filters_pool_proj, 1, "pool_proj")(branch_pool)
    return layers.Concatenate(name=f"{name}_concat")(
        [branch_1x1, branch_3x3, branch_5x5, branch_pool]
    )


def googlenet(input_shape=(224, 224, 3), num_classes=1000, dropout=0.4):
    """GoogLeNet as in the paper's table 1, without its two auxiliary classifiers.

    A 7x7/2 convolution, max pooling and normalisation, a 1x1 and a 3x3 convolution,
    normalisation and pooling, then Inception modules 3a-3b, pooling, 4a-4e, pooling,
    5a-5b, global average pooling, dropout and a softmax layer: 22 layers with weights
    and 6,998,552 parameters. (The auxiliary classifiers, used only in training, add
    two small heads after 4a and 4d.)

    Args:
        input_shape: `(height, width, channels)`.
        num_classes: the number of classes.
        dropout: the dropout rate before the classifier (0.4 in the paper).

    Returns:
        A `keras.Model` named `"googlenet"`.
    """
    import keras
    from keras import layers

    conv = {"padding": "same", "activation": "relu"}
    pool = {"pool_size": 3, "strides": 2, "padding": "same"}
    inputs = keras.Input(input_shape, name="input")
    x = layers.Conv2D(64, 7, strides=2, **conv, name="conv1")(inputs)
    x = layers.MaxPooling2D(**pool, name="pool1")(x)
    x = layers.Lambda(local_response_normalization, name="norm1")(x)
    x = layers.Conv2D(64, 1, **conv, name="conv2_reduce")(x)
    x = layers.Conv2D(192, 3, **conv, name="conv2")(x)
    x = layers.Lambda(local_response_normalization, name="norm2")(x)
    x = layers.MaxPooling2D(**pool, name="pool2")(x)
    for module, filters in GOOGLENET_MODULES.items():
        x = inception_module(x, *filters, name=f"inception_{module}")
        if module in ("3b", "4e"):
            x = layers.MaxPooling2D(**pool, name=f"pool_{module}")(x)
    x = layers.GlobalAveragePooling2D(name="avg_pool")(x)
    x = layers.Dropout(dropout, name="dropout")(x)
    outputs = layers.Dense(num_classes, activation="softmax", name="predictions")(x)
    return keras.Model(inputs, outputs, name="googlenet")
