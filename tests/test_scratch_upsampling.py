"""upsample_nearest and upsample_bilinear against keras.layers.UpSampling2D, and the bilinear
transposed-convolution kernel."""

import itertools

import keras
import numpy as np
import pytest

from coursekit.scratch import (
    bilinear_upsampling_kernel,
    conv2d_transpose,
    upsample_bilinear,
    upsample_nearest,
)

SHAPES = ((1, 1, 1, 1), (2, 3, 4, 2), (1, 5, 2, 3))
SIZES = (1, 2, 3, (2, 3), (4, 1))
# TensorFlow resizes in float32 whatever the input's dtype (tf.image.resize returns float32
# for bilinear), so Keras's bilinear values carry float32 round-off: inputs of order 1 are
# compared at 2e-6. Nearest neighbour only copies, and matches exactly.
FLOAT32_ROUND_OFF = 2e-6


@pytest.mark.parametrize(("shape", "size"), list(itertools.product(SHAPES, SIZES)))
def test_nearest_matches_keras_exactly(shape, size):
    x = np.random.default_rng(0).normal(size=shape)
    expected = np.asarray(keras.layers.UpSampling2D(size, dtype="float64")(x))
    got = upsample_nearest(x, size)
    assert got.shape == expected.shape
    np.testing.assert_array_equal(got, expected)


@pytest.mark.parametrize(("shape", "size"), list(itertools.product(SHAPES, SIZES)))
def test_bilinear_matches_keras(shape, size):
    x = np.random.default_rng(1).normal(size=shape)
    layer = keras.layers.UpSampling2D(size, interpolation="bilinear", dtype="float64")
    expected = np.asarray(layer(x))
    got = upsample_bilinear(x, size)
    assert got.shape == expected.shape and got.dtype == np.float64
    np.testing.assert_allclose(got, expected, rtol=0, atol=FLOAT32_ROUND_OFF)


def test_bilinear_weights_are_three_quarters_and_one_quarter_in_float64():
    # Factor 2 with half-pixel centres: output 2i + 1 is 3/4 of input i and 1/4 of input i + 1.
    x = np.random.default_rng(2).normal(size=(1, 1, 5, 1))
    row = upsample_bilinear(x, (1, 2))[0, 0, :, 0]
    values = x[0, 0, :, 0]
    np.testing.assert_allclose(row[1:-1:2], 0.75 * values[:-1] + 0.25 * values[1:], rtol=1e-15)
    np.testing.assert_allclose(row[2:-1:2], 0.25 * values[:-1] + 0.75 * values[1:], rtol=1e-15)
    assert row[0] == values[0] and row[-1] == values[-1]  # the border copies the edge pixel


def test_bilinear_of_integers_returns_floats():
    got = upsample_bilinear(np.array([0, 4]).reshape(1, 1, 2, 1), 2)
    np.testing.assert_array_equal(got[0, 0, :, 0], [0.0, 1.0, 3.0, 4.0])


@pytest.mark.parametrize("size", [2, 3, 4, 5])
def test_bilinear_transposed_convolution_equals_bilinear_away_from_the_border(size):
    x = np.random.default_rng(3).normal(size=(2, 6, 7, 3))
    kernel = bilinear_upsampling_kernel(size, channels=3)
    assert kernel.shape == (2 * size - size % 2,) * 2 + (3, 3)
    learned = conv2d_transpose(x, kernel, strides=size, padding="same")
    fixed = upsample_bilinear(x, size)
    border = size // 2
    inside = (slice(None), slice(border, -border), slice(border, -border))
    np.testing.assert_allclose(learned[inside], fixed[inside], rtol=1e-12, atol=1e-12)
    # ... and only there: the outermost rows and columns differ.
    assert not np.allclose(learned[:, 0], fixed[:, 0])


@pytest.mark.parametrize("function", [upsample_nearest, upsample_bilinear])
def test_errors_say_what_was_received(function):
    with pytest.raises(ValueError, match=r"Received: shape=\(2, 2\)"):
        function(np.ones((2, 2)), 2)
    with pytest.raises(ValueError, match="size=0"):
        function(np.ones((1, 2, 2, 1)), 0)
    with pytest.raises(ValueError, match=r"size=1\.5"):
        function(np.ones((1, 2, 2, 1)), 1.5)
