"""coursekit.models segmentation networks: shapes, skip wiring, bilinear initialisation,
max-unpooling, and that they use keras.ops only."""

import ast
import pathlib

import keras
import numpy as np
import pytest

from coursekit import models, scratch
from coursekit.models import segmentation
from coursekit.models.segmentation import MaxPoolingWithSwitches2D, MaxUnpooling2D


@pytest.mark.parametrize("build", [models.fcn, models.unet, models.segnet])
def test_per_pixel_probabilities_of_the_input_size(build):
    model = build((16, 24, 3), 5, depth=2, filters=4)
    probabilities = np.asarray(model(np.random.default_rng(0).random((2, 16, 24, 3))))
    assert probabilities.shape == (2, 16, 24, 5)
    np.testing.assert_allclose(probabilities.sum(axis=-1), 1.0, rtol=1e-5)


@pytest.mark.parametrize("build", [models.fcn, models.unet, models.segnet])
def test_sizes_must_be_multiples_of_two_to_the_depth(build):
    with pytest.raises(ValueError, match=r"multiples of 2\*\*depth = 8"):
        build((20, 16, 3), 2, depth=3)


def test_unet_concatenates_encoder_features_of_the_same_size():
    model = models.unet((32, 32, 3), 4, depth=3, filters=8)
    for level, size in enumerate((32, 16, 8)):
        skip = model.get_layer(f"skip{level}")
        assert skip.output.shape == (None, size, size, 2 * 8 * 2**level)


def test_fcn_skips_are_fused_by_addition_and_start_at_zero():
    model = models.fcn((32, 32, 3), 4, depth=3, filters=4, skips=2)
    assert model.name == "fcn_2s"
    assert [layer.name for layer in model.layers if isinstance(layer, keras.layers.Add)] == [
        "fuse1",
        "fuse2",
    ]
    for level in (0, 1):
        assert not np.any(model.get_layer(f"score_pool{level}").get_weights()[0])
    with pytest.raises(ValueError, match="skips must be in"):
        models.fcn((32, 32, 3), 4, depth=3, skips=3)


def test_fcn_upsampling_starts_as_bilinear():
    model = models.fcn((32, 32, 3), 3, depth=3, filters=4, skips=1)
    kernel = model.get_layer("upscore1").get_weights()[0]
    np.testing.assert_allclose(kernel, scratch.bilinear_upsampling_kernel(2, 3), rtol=1e-7)


def test_bilinear_initialiser_refuses_shapes_that_are_not_bilinear():
    with pytest.raises(ValueError, match=r"Received: shape=\(3, 3, 2, 2\)"):
        models.BilinearUpsampling()((3, 3, 2, 2))


def test_switch_pooling_and_unpooling_match_scratch():
    x = np.random.default_rng(1).normal(size=(2, 6, 4, 3)).astype("float32")
    pooled, switches = MaxPoolingWithSwitches2D()(x)
    values, indices = scratch.max_pool2d_with_argmax(x, 2)
    np.testing.assert_allclose(np.asarray(pooled), values)
    decoder = np.random.default_rng(2).normal(size=values.shape).astype("float32")
    unpooled = MaxUnpooling2D()([decoder, switches])
    np.testing.assert_allclose(
        np.asarray(unpooled), scratch.max_unpool2d(decoder, indices, x.shape)
    )


def test_models_use_keras_ops_only():
    tree = ast.parse(pathlib.Path(segmentation.__file__).read_text())
    modules = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            modules.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            modules.add(node.module)
    assert {name.split(".")[0] for name in modules} == {"keras", "coursekit"}, modules
