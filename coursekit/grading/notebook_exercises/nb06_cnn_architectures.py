"""Exercises of notebook 06, CNN architectures: a VGG block, the parameters of an Inception
module and a residual block, with the hints for classic mistakes.

The blocks are Keras functions returning a Keras tensor; `coursekit.models.probe` calls
them on a Keras input and describes what they built as plain data (output shape,
parameter counts, outputs with fixed weights), which `compare_probes` compares. Keras
is imported only when a case runs, so the registry stays light.
"""

from coursekit import arithmetic
from coursekit.grading.registry import Case, Hint, coding, written
from coursekit.models import compare_probes, probe, residual_block, vgg_block

# --- 06.1 vgg_block ------------------------------------------------------------


def _vgg_block_cases():
    return [
        Case("VGG16's first block: 2 convolutions of 64 filters on RGB", ((8, 8, 3), 64, 2)),
        Case("a single convolution", ((6, 6, 2), 4, 1)),
        Case("three convolutions, as in VGG16's blocks 3 to 5", ((8, 8, 4), 8, 3)),
        Case("odd height and width: pooling drops the last row and column", ((7, 5, 3), 6, 2)),
        Case("fewer filters than input channels", ((4, 4, 16), 4, 2)),
        Case("four convolutions, as in VGG19", ((4, 6, 2), 3, 4)),
    ]


def _vgg_block_fuzz(rng):
    def case():
        shape = (int(rng.integers(2, 10)), int(rng.integers(2, 10)), int(rng.integers(1, 6)))
        return Case("random", (shape, int(rng.integers(1, 7)), int(rng.integers(1, 5))))

    return [case() for _ in range(6)]


def _pools_after_every_conv(x, filters, convs):
    for _ in range(convs):
        x = vgg_block(x, filters, 1)
    return x


def _valid_padding(x, filters, convs):
    from keras import layers

    for _ in range(convs):
        x = layers.Conv2D(filters, 3, activation="relu")(x)
    return layers.MaxPooling2D(2)(x)


def _no_relu(x, filters, convs):
    from keras import layers

    for _ in range(convs):
        x = layers.Conv2D(filters, 3, padding="same")(x)
    return layers.MaxPooling2D(2)(x)


def _average_pooling(x, filters, convs):
    from keras import layers

    for _ in range(convs):
        x = layers.Conv2D(filters, 3, padding="same", activation="relu")(x)
    return layers.AveragePooling2D(2)(x)


VGG_BLOCK = coding(
    "06.1",
    "A VGG block",
    3,
    reference=vgg_block,
    cases=_vgg_block_cases,
    hints=(
        Hint(
            "Pool once, after the last convolution: the convolutions keep the height and "
            "width, the block halves them at its end.",
            _pools_after_every_conv,
        ),
        Hint(
            "Use padding='same', so that each 3x3 convolution keeps the height and width.",
            _valid_padding,
        ),
        Hint("Every convolution is followed by a ReLU.", _no_relu),
        Hint(
            "A VGG block ends with 2x2 max pooling (stride 2), not average pooling.",
            _average_pooling,
        ),
    ),
    compare=compare_probes,
    fuzz=_vgg_block_fuzz,
    probe=probe,
)


# --- 06.2 written answer ------------------------------------------------------------------

STACKS_OF_3X3 = written("06.2", "Why VGG uses only 3x3 filters", 2)


# --- 06.3 inception_params -----------------------------------------------------


def _inception_params_cases():
    return [
        Case("GoogLeNet's module 3a, on 192 channels", (192, 64, 96, 128, 16, 32, 32)),
        Case("module 3b, on 256 channels", (256, 128, 128, 192, 32, 96, 64)),
        Case("module 4e, on 528 channels", (528, 256, 160, 320, 32, 128, 128)),
        Case("module 5b, on 832 channels", (832, 384, 192, 384, 48, 128, 128)),
        Case("every number different, to tell the branches apart", (3, 1, 2, 4, 5, 7, 11)),
        Case("'reductions' wider than the input: they add parameters", (8, 4, 16, 4, 16, 4, 2)),
        Case("a single input channel", (1, 2, 3, 5, 7, 11, 13)),
    ]


def _inception_params_fuzz(rng):
    return [Case("random", tuple(int(n) for n in rng.integers(1, 300, size=7))) for _ in range(8)]


def _conv(kernel_size, in_channels, filters, bias=True):
    return (kernel_size * kernel_size * in_channels + bias) * filters


def _inception_without_biases(c, f1, r3, f3, r5, f5, fp):
    return {
        "with_reduction": _conv(1, c, f1, False)
        + _conv(1, c, r3, False)
        + _conv(3, r3, f3, False)
        + _conv(1, c, r5, False)
        + _conv(5, r5, f5, False)
        + _conv(1, c, fp, False),
        "without_reduction": _conv(1, c, f1, False)
        + _conv(3, c, f3, False)
        + _conv(5, c, f5, False),
    }


def _reductions_ignored(c, f1, r3, f3, r5, f5, fp):
    counts = arithmetic.inception_params(c, f1, r3, f3, r5, f5, fp)
    counts["with_reduction"] += (
        _conv(3, c, f3) - _conv(3, r3, f3) + _conv(5, c, f5) - _conv(5, r5, f5)
    )
    return counts


def _naive_pool_projected(c, f1, r3, f3, r5, f5, fp):
    counts = arithmetic.inception_params(c, f1, r3, f3, r5, f5, fp)
    counts["without_reduction"] += _conv(1, c, fp)
    return counts


def _kernel_side_not_area(c, f1, r3, f3, r5, f5, fp):
    def conv(kernel_size, in_channels, filters):
        return (kernel_size * in_channels + 1) * filters

    return {
        "with_reduction": conv(1, c, f1)
        + conv(1, c, r3)
        + conv(3, r3, f3)
        + conv(1, c, r5)
        + conv(5, r5, f5)
        + conv(1, c, fp),
        "without_reduction": conv(1, c, f1) + conv(3, c, f3) + conv(5, c, f5),
    }


INCEPTION_PARAMS = coding(
    "06.3",
    "Parameters of an Inception module",
    2,
    reference=arithmetic.inception_params,
    cases=_inception_params_cases,
    hints=(
        Hint(
            "Count the biases: a k x k convolution from C to F maps has (k*k*C + 1) * F "
            "parameters.",
            _inception_without_biases,
        ),
        Hint(
            "With reductions, the 3x3 and 5x5 convolutions see the reduced maps "
            "(filters_3x3_reduce and filters_5x5_reduce of them), not the input's channels.",
            _reductions_ignored,
        ),
        Hint(
            "The naive module's pooling branch has no projection, and pooling has no parameters.",
            _naive_pool_projected,
        ),
        Hint(
            "A k x k kernel has k*k weights per input channel: 9 for 3x3, 25 for 5x5.",
            _kernel_side_not_area,
        ),
    ),
    fuzz=_inception_params_fuzz,
)


# --- 06.4 residual_block -------------------------------------------------------


def _residual_block_cases():
    bottleneck, preactivation = {"bottleneck": True}, {"preactivation": True}
    return [
        Case("basic block, same shape: the identity shortcut", ((6, 6, 8), 8)),
        Case(
            "basic block, stride 2 on an odd size, twice the filters: a projection",
            ((7, 7, 4), 8, 2),
        ),
        Case("stride 1 but more filters: a projection that keeps the size", ((5, 5, 4), 6)),
        Case(
            "bottleneck on 16 channels = 4 * filters: the identity shortcut",
            ((5, 5, 16), 4),
            bottleneck,
        ),
        Case("bottleneck with stride 2: a projection", ((6, 6, 16), 4, 2), bottleneck),
        Case("pre-activation, identity shortcut", ((6, 6, 8), 8), preactivation),
        Case(
            "pre-activation bottleneck, stride 2 and a projection",
            ((6, 6, 8), 4, 2),
            {**bottleneck, **preactivation},
        ),
    ]


def _residual_block_fuzz(rng):
    def case():
        filters = int(rng.integers(1, 7))
        bottleneck = bool(rng.integers(2))
        same_channels = filters * (4 if bottleneck else 1)
        channels = same_channels if rng.integers(2) else int(rng.integers(1, 9))
        shape = (int(rng.integers(2, 8)), int(rng.integers(2, 8)), channels)
        kwargs = {"bottleneck": bottleneck, "preactivation": bool(rng.integers(2))}
        return Case("random", (shape, filters, int(rng.integers(1, 3))), kwargs)

    return [case() for _ in range(6)]


def _block(
    x,
    filters,
    strides=1,
    bottleneck=False,
    preactivation=False,
    *,
    final_relu=None,
    use_bias=False,
    projection_bn=True,
    always_project=False,
    stride_on_last_3x3=False,
    preactivated_projection=True,
):
    """A residual block with one of the classic mistakes switched on."""
    from keras import layers

    def conv(channels, kernel_size, stride=1):
        return layers.Conv2D(
            channels, kernel_size, strides=stride, padding="same", use_bias=use_bias
        )

    if bottleneck:
        branch = [(filters, 1, 1), (filters, 3, strides), (4 * filters, 1, 1)]
    elif stride_on_last_3x3:
        branch = [(filters, 3, 1), (filters, 3, strides)]
    else:
        branch = [(filters, 3, strides), (filters, 3, 1)]
    if stride_on_last_3x3 and bottleneck:
        branch = [(filters, 1, strides), (filters, 3, 1), (4 * filters, 1, 1)]
    out_channels = branch[-1][0]
    project = always_project or strides != 1 or x.shape[-1] != out_channels
    if final_relu is None:
        final_relu = not preactivation
    if preactivation:
        activated = layers.ReLU()(layers.BatchNormalization()(x))
        source = activated if preactivated_projection else x
        shortcut = conv(out_channels, 1, strides)(source) if project else x
        y = activated
        for index, (channels, kernel_size, stride) in enumerate(branch):
            if index:
                y = layers.ReLU()(layers.BatchNormalization()(y))
            y = conv(channels, kernel_size, stride)(y)
    else:
        shortcut = x
        if project:
            shortcut = conv(out_channels, 1, strides)(x)
            if projection_bn:
                shortcut = layers.BatchNormalization()(shortcut)
        y = x
        for index, (channels, kernel_size, stride) in enumerate(branch):
            y = layers.BatchNormalization()(conv(channels, kernel_size, stride)(y))
            if index < len(branch) - 1:
                y = layers.ReLU()(y)
    y = layers.Add()([y, shortcut])
    return layers.ReLU()(y) if final_relu else y


def _mistake(**mistake):
    def wrong(x, filters, strides=1, bottleneck=False, preactivation=False):
        return _block(x, filters, strides, bottleneck, preactivation, **mistake)

    wrong.__name__ = "_" + "_".join(mistake)
    return wrong


def _ignores_preactivation(x, filters, strides=1, bottleneck=False, preactivation=False):
    return residual_block(x, filters, strides, bottleneck)


RESIDUAL_BLOCK = coding(
    "06.4",
    "A residual block",
    4,
    reference=residual_block,
    cases=_residual_block_cases,
    hints=(
        Hint(
            "In the original order the ReLU comes after the addition: relu(F(x) + shortcut).",
            _mistake(final_relu=False),
        ),
        Hint(
            "In the pre-activation order nothing follows the addition: the output is "
            "F(x) + shortcut, with BN-ReLU before each convolution.",
            _mistake(final_relu=True),
        ),
        Hint(
            "With preactivation=True, every convolution comes after batch normalisation "
            "and ReLU (BN-ReLU-conv), and the block ends with the addition.",
            _ignores_preactivation,
        ),
        Hint(
            "A convolution followed by batch normalisation needs no bias (use_bias=False): "
            "the normalisation subtracts the mean and adds its own shift, beta.",
            _mistake(use_bias=True),
        ),
        Hint(
            "The projection shortcut is a 1x1 convolution followed by batch normalisation.",
            _mistake(projection_bn=False),
        ),
        Hint(
            "Project only when the shape changes (stride 2 or a different number of "
            "channels); otherwise the shortcut is the identity and adds no parameters.",
            _mistake(always_project=True),
        ),
        Hint(
            "The main path downsamples with its first 3x3 convolution (the only 3x3 in a "
            "bottleneck): give that one stride `strides`.",
            _mistake(stride_on_last_3x3=True),
        ),
        Hint(
            "In the pre-activation order the projection is applied to BN-ReLU(x), the "
            "pre-activated input, not to x.",
            _mistake(preactivated_projection=False),
        ),
    ),
    compare=compare_probes,
    fuzz=_residual_block_fuzz,
    probe=probe,
)


# --- 06.5 and 06.6 written answers --------------------------------------------------------

DEEPER_PLAIN_NETWORKS = written("06.5", "Why a deeper plain network can train worse", 2)
FREEZE_OR_FINE_TUNE = written("06.6", "Freeze or fine-tune?", 2)


EXERCISES = (
    VGG_BLOCK,
    STACKS_OF_3X3,
    INCEPTION_PARAMS,
    RESIDUAL_BLOCK,
    DEEPER_PLAIN_NETWORKS,
    FREEZE_OR_FINE_TUNE,
)
