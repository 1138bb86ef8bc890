"""`coursekit.models`: the parameter counts notebook 06 teaches, checked against the papers'
arithmetic and against `keras.applications`, and the blocks' structure and outputs.

Large models are built with `build_without_weights` (shapes, no values), and each
`keras.applications` model once per test session.
"""

import math
import os
import subprocess
import sys

import keras
import numpy as np
import pytest

from coursekit import arithmetic, models


def trainable(model):
    return sum(math.prod(weight.shape) for weight in model.trainable_weights)


def conv_biases(model):
    return sum(
        layer.bias.shape[0]
        for layer in model.layers
        if isinstance(layer, keras.layers.Conv2D) and layer.use_bias
    )


@pytest.fixture(scope="session")
def keras_vgg16():
    return models.build_without_weights(keras.applications.VGG16, weights=None)


@pytest.fixture(scope="session")
def keras_resnet50():
    return models.build_without_weights(keras.applications.ResNet50, weights=None)


@pytest.fixture(scope="session")
def keras_densenet121():
    return models.build_without_weights(keras.applications.DenseNet121, weights=None)


# --- parameter counts ------------------------------------------------------------


@pytest.mark.parametrize(
    ("build", "args", "count"),
    [
        (models.lenet5, (), 61_706),
        (models.alexnet, (), 60_965_224),
        (models.alexnet, ((227, 227, 3), 1000, 1), 62_378_344),
        (models.googlenet, (), 6_998_552),
        (models.vgg, ("A",), 132_863_336),
        (models.vgg, ("A-LRN",), 132_863_336),
        (models.vgg, ("B",), 133_047_848),
        (models.vgg, ("C",), 133_638_952),
        (models.vgg16, (), 138_357_544),
        (models.vgg, ("E",), 143_667_240),
    ],
    ids=lambda value: getattr(value, "__name__", None) or str(value),
)
def test_parameter_counts_of_the_papers(build, args, count):
    assert models.build_without_weights(build, *args).count_params() == count


def test_lenet5_counts_layer_by_layer():
    rows = arithmetic.model_table(models.lenet5()).rows
    assert [row.parameters for row in rows] == [0, 156, 0, 2_416, 0, 0, 48_120, 10_164, 850]


def test_alexnet_conv1_and_its_groups():
    model = models.build_without_weights(models.alexnet)
    assert tuple(model.get_layer("conv1").output.shape[1:]) == (55, 55, 96)
    assert model.get_layer("conv1").count_params() == (11 * 11 * 3 + 1) * 96 == 34_944
    assert model.get_layer("conv2").count_params() == 5 * 5 * 48 * 256 + 256
    assert tuple(model.get_layer("pool5").output.shape[1:]) == (6, 6, 256)


@pytest.mark.parametrize(("depth", "count"), [(18, 11_689_512), (34, 21_797_672), (50, 25_557_032)])
def test_resnet_trainable_parameters_are_torchvision_s(depth, count):
    assert trainable(models.build_without_weights(models.resnet, depth)) == count


def test_keras_resnet50_differs_by_conv_biases_and_batchnorm_statistics(keras_resnet50):
    ours = models.build_without_weights(models.resnet, 50)
    moving_statistics = ours.count_params() - trainable(ours)
    assert conv_biases(ours) == 0
    assert moving_statistics == keras_resnet50.count_params() - trainable(keras_resnet50) == 53_120
    assert keras_resnet50.count_params() == 25_636_712
    assert trainable(ours) + conv_biases(keras_resnet50) + moving_statistics == 25_636_712


def test_densenet121_equals_keras_applications(keras_densenet121):
    ours = models.build_without_weights(models.densenet, 121)
    assert ours.count_params() == keras_densenet121.count_params() == 8_062_504
    assert trainable(ours) == trainable(keras_densenet121) == 7_978_856
    assert tuple(ours.output.shape) == tuple(keras_densenet121.output.shape)


def test_vgg16_equals_keras_applications_layer_by_layer(keras_vgg16):
    ours = arithmetic.model_table(models.build_without_weights(models.vgg16))
    theirs = arithmetic.model_table(keras_vgg16)
    # Ours has two dropout layers more (no parameters, activations of 4,096 each).
    rows = [row for row in ours.rows if row.kind != "Dropout"]
    assert [(row.output_shape, row.parameters) for row in rows] == [
        (row.output_shape, row.parameters) for row in theirs.rows
    ]
    assert ours.total_params == theirs.total_params == 138_357_544
    assert theirs.total_activations == 15_237_608
    assert theirs.total_activations - theirs.rows[0].activations == 15_087_080
    fc6 = next(row for row in theirs.rows if row.name == "fc1")
    assert round(100 * fc6.parameters / theirs.total_params) == 74


def test_googlenet_minus_torchvision_s_differences():
    # torchvision's GoogLeNet has 3x3 kernels in its "5x5" branch and batch
    # normalisation (two parameters per channel) instead of biases (one).
    model = models.build_without_weights(models.googlenet)
    fives = [layer for layer in model.layers if layer.name.endswith("_5x5")]
    fewer_weights = sum(math.prod(layer.kernel.shape[2:]) * (25 - 9) for layer in fives)
    convs = [layer for layer in model.layers if isinstance(layer, keras.layers.Conv2D)]
    batchnorm_extra = sum(layer.filters for layer in convs)
    assert (fewer_weights, batchnorm_extra) == (380_928, 7_280)
    assert model.count_params() - fewer_weights + batchnorm_extra == 6_624_904


def test_inception_3a_from_the_model_and_from_the_formula():
    inputs = keras.Input((28, 28, 192))
    outputs = models.inception_module(inputs, 64, 96, 128, 16, 32, 32, name="3a")
    module = keras.Model(inputs, outputs)
    assert tuple(outputs.shape[1:]) == (28, 28, 256)
    counts = arithmetic.inception_params(192, 64, 96, 128, 16, 32, 32)
    assert module.count_params() == counts["with_reduction"] == 163_696
    assert counts["without_reduction"] == 387_296


def test_cifar_resnet20_with_and_without_shortcuts():
    residual, plain = models.cifar_resnet(20), models.cifar_resnet(20, shortcuts=False)
    convs = [layer for layer in residual.layers if isinstance(layer, keras.layers.Conv2D)]
    assert len(convs) == 19 + 2  # 6n + 1 convolutions and 2 projection shortcuts
    # The projections, 16 -> 32 and 32 -> 64 channels, with their batch normalisation:
    projections = (16 * 32 + 4 * 32) + (32 * 64 + 4 * 64)
    assert residual.count_params() - plain.count_params() == projections == 2_944
    assert plain.count_params() == 271_098


@pytest.mark.parametrize("depth", [0, 19, 21, "20"])
def test_cifar_resnet_depth_must_be_6n_plus_2(depth):
    with pytest.raises(ValueError, match=r"6n \+ 2"):
        models.cifar_resnet(depth)


@pytest.mark.parametrize(
    ("build", "argument"),
    [(models.resnet, 20), (models.densenet, 100), (models.vgg, "F"), (models.alexnet, 3)],
)
def test_unknown_configurations_are_refused(build, argument):
    with pytest.raises(ValueError, match="Received"):
        if build is models.alexnet:
            build(groups=argument)
        else:
            build(argument)


# --- structure ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("build", "args"),
    [
        (models.lenet5, ()),
        (models.alexnet, ()),
        (models.vgg16, ()),
        (models.googlenet, ()),
        (models.resnet, (18, (224, 224, 3), 1000, True)),
        (models.cifar_resnet, (8,)),
        (models.cifar_resnet, (8, (32, 32, 3), 10, 16, False)),
    ],
    ids=lambda value: getattr(value, "__name__", None) or str(value),
)
def test_every_layer_is_named(build, args):
    # A layer Keras names itself gets a new name each time (conv2d, conv2d_1, ...).
    with keras.StatelessScope(initialize_variables=False):
        first, second = ([layer.name for layer in build(*args).layers] for _ in range(2))
    keras.utils.clear_session()
    assert first == second


def test_blocks_built_twice_get_distinct_names():
    inputs = keras.Input((8, 8, 4))
    x = models.residual_block(inputs, 4)
    x = models.residual_block(x, 4)
    x = models.vgg_block(x, 4, 1)
    x = models.vgg_block(x, 4, 1)
    x = models.inception_module(x, 1, 1, 1, 1, 1, 1)
    x = models.dense_block(x, 1, 2)
    names = [layer.name for layer in keras.Model(inputs, x).layers]
    assert len(names) == len(set(names))


@pytest.mark.parametrize(
    ("arguments", "shape", "paths"),
    [
        (
            ((8, 8, 16), 16),
            (8, 8, 16),
            {
                "Add → relu",
                "Conv2D 3x3 → BatchNormalization → relu → Conv2D 3x3 → BatchNormalization "
                "→ Add → relu",
            },
        ),
        (
            ((8, 8, 16), 8, 2, True),
            (4, 4, 32),
            {
                "Conv2D 1x1 stride 2 → BatchNormalization → Add → relu",
                "Conv2D 1x1 → BatchNormalization → relu → Conv2D 3x3 stride 2 → "
                "BatchNormalization → relu → Conv2D 1x1 → BatchNormalization → Add → relu",
            },
        ),
        (
            ((8, 8, 16), 32, 2, False, True),
            (4, 4, 32),
            {
                "BatchNormalization → relu → Conv2D 1x1 stride 2 → Add",
                "BatchNormalization → relu → Conv2D 3x3 stride 2 → BatchNormalization → "
                "relu → Conv2D 3x3 → Add",
            },
        ),
    ],
    ids=["basic identity", "bottleneck projection", "pre-activation projection"],
)
def test_residual_blocks_layer_order(arguments, shape, paths):
    found = models.probe(models.residual_block, *arguments)
    assert found["output_shape"] == shape
    assert {" → ".join(path) for path in found["paths"]} == paths


def test_an_identity_residual_block_adds_no_parameters_to_its_branch():
    with_shortcut = models.probe(models.residual_block, (6, 6, 8), 8)
    without = models.probe(models.plain_block, (6, 6, 8), 8)
    assert with_shortcut["trainable_params"] == without["trainable_params"]
    assert not np.allclose(with_shortcut["output"], without["output"])


@pytest.mark.parametrize("preactivation", [False, True])
def test_a_residual_block_with_a_silent_branch_is_the_identity(preactivation):
    # With gamma = beta = 0 in every batch normalisation the residual branch adds 0:
    # the original block outputs relu(x), the pre-activation block x itself.
    found = models.probe(models.residual_block, (5, 5, 4), 4, preactivation=preactivation)
    x = models.inspection._fixed_values("input", (models.inspection.PROBE_BATCH, 5, 5, 4))
    expected = x if preactivation else np.maximum(x, 0)
    np.testing.assert_allclose(found["output_batchnorm_zeroed"], expected, rtol=1e-6)


def test_dense_block_and_transition_shapes():
    inputs = keras.Input((8, 8, 64))
    x = models.dense_block(inputs, 6, 32)
    assert tuple(x.shape[1:]) == (8, 8, 64 + 6 * 32)
    assert tuple(models.transition(x).shape[1:]) == (4, 4, 128)


# --- forward passes ----------------------------------------------------------------


def test_local_response_normalization_is_the_paper_s_formula_and_tensorflow_s():
    x = np.random.default_rng(0).normal(size=(2, 3, 3, 7)) * 20
    ours = keras.ops.convert_to_numpy(models.local_response_normalization(x))
    padded = np.pad(x**2, [(0, 0), (0, 0), (0, 0), (2, 2)])
    sums = sum(padded[..., offset : offset + 7] for offset in range(5))
    np.testing.assert_allclose(ours, x / (2 + 1e-4 * sums) ** 0.75, rtol=1e-13)
    tf = pytest.importorskip("tensorflow")
    theirs = tf.nn.local_response_normalization(x, depth_radius=2, bias=2.0, alpha=1e-4, beta=0.75)
    np.testing.assert_allclose(ours, theirs.numpy(), rtol=1e-6)  # TF computes in float32


def test_small_networks_run_and_train_one_step():
    rng = np.random.default_rng(0)
    for model in (models.lenet5(), models.cifar_resnet(8, (16, 16, 1), 3, width=4)):
        x = rng.normal(size=(4, *model.input_shape[1:])).astype("float32")
        probabilities = keras.ops.convert_to_numpy(model(x))
        np.testing.assert_allclose(probabilities.sum(axis=1), 1.0, rtol=1e-5)
        model.compile("sgd", "sparse_categorical_crossentropy")
        loss = model.train_on_batch(x, np.arange(4) % 3)
        assert np.isfinite(loss)


def test_models_build_and_run_on_jax():
    pytest.importorskip("jax")
    code = (
        "import numpy as np\n"
        "from coursekit import models\n"
        "for model in [models.lenet5(), models.cifar_resnet(8, (16, 16, 1), 10, width=4)]:\n"
        "    x = np.zeros((2, *model.input_shape[1:]), 'float32')\n"
        "    print(model.name, model.count_params(), tuple(model(x).shape))\n"
        "for build in [models.alexnet, models.googlenet, models.vgg16]:\n"
        "    print(models.build_without_weights(build).count_params())\n"
        "print(models.probe(models.residual_block, (6, 6, 8), 4, 2, True)['trainable_params'])\n"
    )
    environment = {**os.environ, "KERAS_BACKEND": "jax"}
    found = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=environment, check=True
    )
    expected = models.probe(models.residual_block, (6, 6, 8), 4, 2, True)["trainable_params"]
    assert found.stdout.split("\n")[:6] == [
        "lenet5 61706 (2, 10)",
        f"resnet8 {models.cifar_resnet(8, (16, 16, 1), 10, width=4).count_params()} (2, 10)",
        "60965224",
        "6998552",
        "138357544",
        str(expected),
    ]
