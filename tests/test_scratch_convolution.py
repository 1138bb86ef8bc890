"""coursekit.scratch.conv2d and its loop definition against keras.layers.Conv2D and each other."""

import itertools

import keras
import numpy as np
import pytest

from coursekit import arithmetic
from coursekit.scratch import conv2d, conv2d_loops


def keras_conv2d(x, kernel, bias, strides, padding, dilation_rate):
    layer = keras.layers.Conv2D(
        kernel.shape[-1],
        kernel.shape[:2],
        strides=strides,
        padding=padding,
        dilation_rate=dilation_rate,
        use_bias=bias is not None,
        dtype="float64",
    )
    layer.build(x.shape)
    layer.set_weights([kernel] if bias is None else [kernel, bias])
    return keras.ops.convert_to_numpy(layer(x))


KERAS_CASES = [
    case
    for case in itertools.product(
        ((2, 7, 7, 3), (3, 8, 6, 2)), ((3, 3), (2, 2), (1, 3)), (1, 2, 3), ("valid", "same"), (1, 2)
    )
    if not (case[2] > 1 and case[4] > 1)  # Keras refuses strides and dilation together
]


@pytest.mark.parametrize("implementation", [conv2d, conv2d_loops])
@pytest.mark.parametrize(("x_shape", "kernel_hw", "strides", "padding", "dilation"), KERAS_CASES)
def test_conv2d_matches_keras(x_shape, kernel_hw, strides, padding, dilation, implementation):
    rng = np.random.default_rng(0)
    x = rng.normal(size=x_shape)
    kernel = rng.normal(size=(*kernel_hw, x_shape[-1], 4))
    bias = rng.normal(size=4)
    expected = keras_conv2d(x, kernel, bias, strides, padding, dilation)
    got = implementation(x, kernel, bias, strides=strides, padding=padding, dilation_rate=dilation)
    assert got.shape == expected.shape
    np.testing.assert_allclose(got, expected, rtol=1e-12, atol=1e-12)


def test_same_padding_at_stride_2_puts_the_extra_zero_at_the_end():
    # On an even input, TensorFlow pads 0 rows on top and 1 at the bottom.
    x = np.arange(36.0).reshape(1, 6, 6, 1)
    kernel = np.zeros((3, 3, 1, 1))
    kernel[0, 0] = 1.0  # picks the window's top-left pixel
    out = conv2d(x, kernel, strides=2, padding="same")[0, :, :, 0]
    np.testing.assert_array_equal(out, x[0, ::2, ::2, 0])
    np.testing.assert_allclose(out, keras_conv2d(x, kernel, None, 2, "same", 1)[0, :, :, 0])


PADDINGS = ("valid", "same", "full", 1, 2, (2, 0), (0, "same"), ["full", 1])


@pytest.mark.parametrize(
    ("strides", "padding", "dilation"),
    list(itertools.product((1, 2, 3, (2, 1)), PADDINGS, (1, 2, (1, 3)))),
)
def test_conv2d_matches_its_loop_definition_beyond_what_keras_allows(strides, padding, dilation):
    rng = np.random.default_rng(1)
    x = rng.normal(size=(2, 9, 8, 2))
    kernel = rng.normal(size=(3, 2, 2, 3))
    bias = rng.normal(size=3)
    expected = conv2d_loops(x, kernel, bias, strides, padding, dilation)
    got = conv2d(x, kernel, bias, strides=strides, padding=padding, dilation_rate=dilation)
    assert got.shape == expected.shape
    np.testing.assert_allclose(got, expected, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("implementation", [conv2d, conv2d_loops])
@pytest.mark.parametrize(("pad_h", "pad_w"), [(0, 0), (1, 0), (0, 2), (2, 1), (3, 3)])
def test_a_padding_pair_adds_that_many_zeros_on_each_side_of_each_axis(
    pad_h, pad_w, implementation
):
    rng = np.random.default_rng(2)
    x, kernel = rng.normal(size=(2, 6, 5, 2)), rng.normal(size=(3, 3, 2, 4))
    padded = np.pad(x, ((0, 0), (pad_h, pad_h), (pad_w, pad_w), (0, 0)))
    np.testing.assert_allclose(
        implementation(x, kernel, padding=(pad_h, pad_w)), conv2d(padded, kernel), atol=1e-12
    )


@pytest.mark.parametrize("padding", [(1, 2), (0, "same"), ("full", "valid"), [2, 0], 1, "same"])
def test_conv2d_and_conv_layer_stats_agree_on_the_output_shape(padding):
    stats = arithmetic.conv_layer_stats((9, 7, 3), 5, (3, 2), strides=(2, 1), padding=padding)
    output = conv2d(np.zeros((1, 9, 7, 3)), np.zeros((3, 2, 3, 5)), strides=(2, 1), padding=padding)
    assert output.shape[1:] == stats["output_shape"]


@pytest.mark.parametrize("padding", [(1, 2, 3), (1,), -1, (1, -1), "half", True, 1.5])
def test_conv2d_and_conv_layer_stats_refuse_the_same_paddings(padding):
    with pytest.raises(ValueError, match="Received: padding="):
        arithmetic.conv_layer_stats((9, 7, 3), 5, 3, padding=padding)
    for implementation in (conv2d, conv2d_loops):
        with pytest.raises(ValueError, match="Received: padding="):
            implementation(np.zeros((1, 9, 7, 3)), np.zeros((3, 3, 3, 5)), padding=padding)


def test_true_convolution_is_correlation_with_the_flipped_kernel():
    from scipy.signal import convolve2d, correlate2d

    rng = np.random.default_rng(2)
    image, kernel = rng.normal(size=(6, 7)), rng.normal(size=(3, 3))
    as_nhwc = image[None, :, :, None]
    correlation = conv2d(as_nhwc, kernel[:, :, None, None])[0, :, :, 0]
    convolution = conv2d(as_nhwc, kernel[::-1, ::-1, None, None])[0, :, :, 0]
    np.testing.assert_allclose(correlation, correlate2d(image, kernel, mode="valid"))
    np.testing.assert_allclose(convolution, convolve2d(image, kernel, mode="valid"))


def test_float32_inputs_stay_float32_and_match_keras():
    rng = np.random.default_rng(3)
    x = rng.normal(size=(1, 5, 5, 3)).astype("float32")
    kernel = rng.normal(size=(3, 3, 3, 2)).astype("float32")
    layer = keras.layers.Conv2D(2, 3, use_bias=False)
    layer.build(x.shape)
    layer.set_weights([kernel])
    got = conv2d(x, kernel)
    assert got.dtype == np.float32
    np.testing.assert_allclose(got, keras.ops.convert_to_numpy(layer(x)), rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize(
    ("x_shape", "kernel_shape", "bias_shape"),
    [
        ((5, 5, 3), (3, 3, 3, 2), None),
        ((1, 5, 5, 3), (3, 3, 2, 2), None),
        ((1, 5, 5, 3), (3, 3, 3, 2), (3,)),
    ],
)
def test_conv2d_rejects_mismatched_shapes(x_shape, kernel_shape, bias_shape):
    bias = None if bias_shape is None else np.zeros(bias_shape)
    for implementation in (conv2d, conv2d_loops):
        with pytest.raises(ValueError, match="Received"):
            implementation(np.zeros(x_shape), np.zeros(kernel_shape), bias)
