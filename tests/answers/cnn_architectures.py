"""Answers to notebook 06: right ones written independently of the references, and
classic wrong ones that the checks must reject."""

import keras
from keras import layers

# --- 06.1 vgg_block ------------------------------------------------------------


def vgg_block(x, filters, convs):
    h = x
    for _ in range(convs):
        h = layers.Conv2D(filters, kernel_size=(3, 3), padding="same")(h)
        h = layers.Activation("relu")(h)
    return layers.MaxPool2D(pool_size=(2, 2), strides=(2, 2))(h)


def vgg_block_pools_inside_the_loop(x, filters, convs):
    for _ in range(convs):
        x = layers.Conv2D(filters, 3, padding="same", activation="relu")(x)
        x = layers.MaxPooling2D(2)(x)
    return x


def vgg_block_valid_padding(x, filters, convs):
    for _ in range(convs):
        x = layers.Conv2D(filters, 3, activation="relu")(x)
    return layers.MaxPooling2D(2)(x)


def vgg_block_without_activation(x, filters, convs):
    for _ in range(convs):
        x = layers.Conv2D(filters, 3, padding="same")(x)
    return layers.MaxPooling2D(2, strides=2)(x)


def vgg_block_overlapping_pooling(x, filters, convs):
    for _ in range(convs):
        x = layers.Conv2D(filters, 3, padding="same", activation="relu")(x)
    return layers.MaxPooling2D(3, strides=2, padding="same")(x)


def vgg_block_relu_only_at_the_end(x, filters, convs):
    for _ in range(convs):
        x = layers.Conv2D(filters, 3, padding="same")(x)
    x = layers.MaxPooling2D(2)(x)
    return layers.ReLU()(x)


# --- 06.3 inception_params -----------------------------------------------------


def inception_params(
    in_channels,
    filters_1x1,
    filters_3x3_reduce,
    filters_3x3,
    filters_5x5_reduce,
    filters_5x5,
    filters_pool_proj,
):
    layers_with = [
        (1, in_channels, filters_1x1),
        (1, in_channels, filters_3x3_reduce),
        (3, filters_3x3_reduce, filters_3x3),
        (1, in_channels, filters_5x5_reduce),
        (5, filters_5x5_reduce, filters_5x5),
        (1, in_channels, filters_pool_proj),
    ]
    layers_without = [
        (1, in_channels, filters_1x1),
        (3, in_channels, filters_3x3),
        (5, in_channels, filters_5x5),
    ]

    def total(convolutions):
        return sum(k * k * c_in * c_out + c_out for k, c_in, c_out in convolutions)

    return {"with_reduction": total(layers_with), "without_reduction": total(layers_without)}


def inception_params_without_biases(c, f1, r3, f3, r5, f5, fp):
    with_reduction = c * f1 + c * r3 + 9 * r3 * f3 + c * r5 + 25 * r5 * f5 + c * fp
    without_reduction = c * f1 + 9 * c * f3 + 25 * c * f5
    return {"with_reduction": with_reduction, "without_reduction": without_reduction}


def inception_params_reductions_ignored(c, f1, r3, f3, r5, f5, fp):
    branch_1x1 = (c + 1) * f1
    branch_3x3 = (c + 1) * r3 + (9 * c + 1) * f3
    branch_5x5 = (c + 1) * r5 + (25 * c + 1) * f5
    branch_pool = (c + 1) * fp
    naive = branch_1x1 + (9 * c + 1) * f3 + (25 * c + 1) * f5
    return {
        "with_reduction": branch_1x1 + branch_3x3 + branch_5x5 + branch_pool,
        "without_reduction": naive,
    }


def inception_params_naive_pool_projected(c, f1, r3, f3, r5, f5, fp):
    def conv(k, c_in, c_out):
        return (k * k * c_in + 1) * c_out

    reduced = conv(1, c, f1) + conv(1, c, r3) + conv(3, r3, f3)
    reduced += conv(1, c, r5) + conv(5, r5, f5) + conv(1, c, fp)
    naive = conv(1, c, f1) + conv(3, c, f3) + conv(5, c, f5) + conv(1, c, fp)
    return {"with_reduction": reduced, "without_reduction": naive}


def inception_params_kernel_side(c, f1, r3, f3, r5, f5, fp):
    def conv(k, c_in, c_out):
        return (k * c_in + 1) * c_out

    reduced = conv(1, c, f1) + conv(1, c, r3) + conv(3, r3, f3)
    reduced += conv(1, c, r5) + conv(5, r5, f5) + conv(1, c, fp)
    return {
        "with_reduction": reduced,
        "without_reduction": conv(1, c, f1) + conv(3, c, f3) + conv(5, c, f5),
    }


def inception_params_naive_without_1x1(c, f1, r3, f3, r5, f5, fp):
    def conv(k, c_in, c_out):
        return (k * k * c_in + 1) * c_out

    reduced = conv(1, c, f1) + conv(1, c, r3) + conv(3, r3, f3)
    reduced += conv(1, c, r5) + conv(5, r5, f5) + conv(1, c, fp)
    return {"with_reduction": reduced, "without_reduction": conv(3, c, f3) + conv(5, c, f5)}


# --- 06.4 residual_block -------------------------------------------------------


def residual_block(x, filters, strides=1, bottleneck=False, preactivation=False):
    out_channels = 4 * filters if bottleneck else filters
    if bottleneck:
        convs = [(1, filters, 1), (3, filters, strides), (1, out_channels, 1)]
    else:
        convs = [(3, filters, strides), (3, filters, 1)]
    needs_projection = strides > 1 or x.shape[-1] != out_channels

    def conv(kernel, channels, stride):
        return layers.Conv2D(channels, kernel, strides=stride, padding="same", use_bias=False)

    if preactivation:
        pre = layers.Activation("relu")(layers.BatchNormalization()(x))
        shortcut = conv(1, out_channels, strides)(pre) if needs_projection else x
        h = pre
        for i, (kernel, channels, stride) in enumerate(convs):
            if i > 0:
                h = layers.BatchNormalization()(h)
                h = layers.Activation("relu")(h)
            h = conv(kernel, channels, stride)(h)
        return keras.ops.add(shortcut, h)

    if needs_projection:
        shortcut = layers.BatchNormalization()(conv(1, out_channels, strides)(x))
    else:
        shortcut = x
    h = x
    for i, (kernel, channels, stride) in enumerate(convs):
        h = conv(kernel, channels, stride)(h)
        h = layers.BatchNormalization()(h)
        if i < len(convs) - 1:
            h = layers.Activation("relu")(h)
    return layers.Activation("relu")(h + shortcut)


def _branch(filters, strides, bottleneck):
    if bottleneck:
        return [(1, filters, 1), (3, filters, strides), (1, 4 * filters, 1)]
    return [(3, filters, strides), (3, filters, 1)]


def residual_block_without_final_relu(x, filters, strides=1, bottleneck=False, preactivation=False):
    convs = _branch(filters, strides, bottleneck)
    out_channels = convs[-1][1]
    shortcut = x
    if strides != 1 or x.shape[-1] != out_channels:
        shortcut = layers.Conv2D(out_channels, 1, strides=strides, use_bias=False)(x)
        shortcut = layers.BatchNormalization()(shortcut)
    h = x
    for i, (kernel, channels, stride) in enumerate(convs):
        h = layers.Conv2D(channels, kernel, strides=stride, padding="same", use_bias=False)(h)
        h = layers.BatchNormalization()(h)
        if i < len(convs) - 1:
            h = layers.ReLU()(h)
    return layers.Add()([h, shortcut])


def residual_block_projection_without_stride(
    x, filters, strides=1, bottleneck=False, preactivation=False
):
    convs = _branch(filters, strides, bottleneck)
    out_channels = convs[-1][1]
    shortcut = x
    if x.shape[-1] != out_channels or strides != 1:
        shortcut = layers.Conv2D(out_channels, 1, use_bias=False)(x)
        shortcut = layers.BatchNormalization()(shortcut)
    h = x
    for i, (kernel, channels, stride) in enumerate(convs):
        h = layers.Conv2D(channels, kernel, strides=stride, padding="same", use_bias=False)(h)
        h = layers.BatchNormalization()(h)
        if i < len(convs) - 1:
            h = layers.ReLU()(h)
    return layers.ReLU()(layers.Add()([h, shortcut]))


def residual_block_with_conv_biases(x, filters, strides=1, bottleneck=False, preactivation=False):
    convs = _branch(filters, strides, bottleneck)
    out_channels = convs[-1][1]
    shortcut = x
    if strides != 1 or x.shape[-1] != out_channels:
        shortcut = layers.Conv2D(out_channels, 1, strides=strides)(x)
        shortcut = layers.BatchNormalization()(shortcut)
    h = x
    for i, (kernel, channels, stride) in enumerate(convs):
        h = layers.Conv2D(channels, kernel, strides=stride, padding="same")(h)
        h = layers.BatchNormalization()(h)
        if i < len(convs) - 1:
            h = layers.ReLU()(h)
    return layers.ReLU()(layers.Add()([h, shortcut]))


def residual_block_stride_on_the_second_conv(
    x, filters, strides=1, bottleneck=False, preactivation=False
):
    if bottleneck:
        convs = [(1, filters, 1), (3, filters, 1), (1, 4 * filters, strides)]
    else:
        convs = [(3, filters, 1), (3, filters, strides)]
    out_channels = convs[-1][1]
    shortcut = x
    if strides != 1 or x.shape[-1] != out_channels:
        shortcut = layers.Conv2D(out_channels, 1, strides=strides, use_bias=False)(x)
        shortcut = layers.BatchNormalization()(shortcut)
    h = x
    for i, (kernel, channels, stride) in enumerate(convs):
        h = layers.Conv2D(channels, kernel, strides=stride, padding="same", use_bias=False)(h)
        h = layers.BatchNormalization()(h)
        if i < len(convs) - 1:
            h = layers.ReLU()(h)
    return layers.ReLU()(layers.Add()([h, shortcut]))


def residual_block_ignores_preactivation(
    x, filters, strides=1, bottleneck=False, preactivation=False
):
    convs = _branch(filters, strides, bottleneck)
    out_channels = convs[-1][1]
    shortcut = x
    if strides != 1 or x.shape[-1] != out_channels:
        shortcut = layers.Conv2D(out_channels, 1, strides=strides, use_bias=False)(x)
        shortcut = layers.BatchNormalization()(shortcut)
    h = x
    for i, (kernel, channels, stride) in enumerate(convs):
        h = layers.Conv2D(channels, kernel, strides=stride, padding="same", use_bias=False)(h)
        h = layers.BatchNormalization()(h)
        if i < len(convs) - 1:
            h = layers.ReLU()(h)
    return layers.ReLU()(layers.Add()([h, shortcut]))


RIGHT = {
    "06.1": [vgg_block],
    "06.3": [inception_params],
    "06.4": [residual_block],
}

WRONG = {
    "06.1": [
        vgg_block_pools_inside_the_loop,
        vgg_block_valid_padding,
        vgg_block_without_activation,
        vgg_block_overlapping_pooling,
        vgg_block_relu_only_at_the_end,
    ],
    "06.3": [
        inception_params_without_biases,
        inception_params_reductions_ignored,
        inception_params_naive_pool_projected,
        inception_params_kernel_side,
        inception_params_naive_without_1x1,
    ],
    "06.4": [
        residual_block_without_final_relu,
        residual_block_projection_without_stride,
        residual_block_with_conv_biases,
        residual_block_stride_on_the_second_conv,
        residual_block_ignores_preactivation,
    ],
}

HINTS = [
    ("06.1", vgg_block_pools_inside_the_loop, "Pool once"),
    ("06.1", vgg_block_valid_padding, "padding='same'"),
    ("06.1", vgg_block_without_activation, "followed by a ReLU"),
    ("06.3", inception_params_without_biases, "Count the biases"),
    ("06.3", inception_params_reductions_ignored, "reduced maps"),
    ("06.3", inception_params_naive_pool_projected, "no projection"),
    ("06.3", inception_params_kernel_side, "k*k weights"),
    ("06.4", residual_block_without_final_relu, "ReLU comes after the addition"),
    ("06.4", residual_block_with_conv_biases, "needs no bias"),
    ("06.4", residual_block_stride_on_the_second_conv, "first 3x3"),
    ("06.4", residual_block_ignores_preactivation, "BN-ReLU-conv"),
]
