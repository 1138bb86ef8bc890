# %% [markdown]
# # Pooling and downsampling
#
# *How and why CNNs shrink their feature maps: strided convolution, max and average
# pooling, global pooling.*
#
# **After this notebook you can**
# - explain why CNNs downsample, and what strided convolution, max pooling and average
#   pooling each keep, lose and cost;
# - compute the output size of a strided convolution or a pooling layer, including the
#   ceil forms and overlapping windows (AlexNet's 55 -> 27);
# - write max and average pooling in NumPy that match `keras.layers.MaxPooling2D` and
#   `AveragePooling2D` exactly, `"same"` padding included;
# - replace flatten + dense with global pooling and count the parameters it saves;
# - measure on a photograph how much a shift of one or two pixels changes convolution,
#   max-pooling and average-pooling outputs.
#
# **Time:** about 1.5 hours. **Accelerator:** none; everything runs on a CPU in seconds.
#
# [![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)](https://colab.research.google.com/github/cnn-course/cnn-course/blob/main/notebooks/02_pooling_and_downsampling.ipynb) [![Binder](https://mybinder.org/badge_logo.svg)](https://mybinder.org/v2/gh/cnn-course/cnn-course/main?urlpath=lab/tree/notebooks/02_pooling_and_downsampling.ipynb)

# %%
# Colab only: install coursekit. Colab's TensorFlow, Keras, NumPy and ipywidgets are kept.
import subprocess
import sys

install_from = "coursekit @ git+https://github.com/cnn-course/cnn-course@main"
if "google.colab" in sys.modules:
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", install_from], check=True)

# %%
import coursekit

profile = coursekit.setup(seed=0)

# %%
import math

import keras
import matplotlib.pyplot as plt
import numpy as np
import skimage.data

from coursekit import arithmetic, check, plotting, scratch
from coursekit.scratch.windows import extract_windows, padding_amounts, scatter_windows

rng = np.random.default_rng(0)

# %% [markdown]
# **Your functions and the course's.** Each exercise asks for a function that the course
# also provides, in `coursekit.arithmetic` or `coursekit.scratch`. The cells after an
# exercise use the course's version, not yours, so *Run All* works while an exercise is
# still blank, and a slip in your answer does not spread to later cells.
#
# ## 1. Why downsample?
#
# A convolutional layer does the same work at every output position, so its cost grows
# with the area of its feature maps. A 3x3 convolution from 64 to 64 channels needs
# $3 \cdot 3 \cdot 64 = 576$ multiply-adds per output value; at 224x224 with 64 output
# channels that is $224^2 \times 64 \times 576 \approx 1.85$ billion multiply-adds for a
# single layer. Halving the height and width divides the work of every later layer by
# four.

# %%
for size in (224, 112, 56, 28):
    macs = size * size * 64 * (3 * 3 * 64)
    print(f"3x3 conv, 64 -> 64 channels at {size:>3}x{size:<3}: {macs / 1e9:6.3f} G multiply-adds")

assert 224 * 224 * 64 * 576 == 1_849_688_064

# %% [markdown]
# Downsampling has two further effects:
#
# - **Larger receptive fields.** After a stride-2 layer, every later 3x3 kernel covers
#   twice as many input pixels in each direction (notebook 01, section 8), so deep units
#   see large parts of the image without large kernels.
# - **Tolerance to small shifts.** If an object moves by a pixel, a summary of each
#   small window (its maximum, say) often does not change. Section 5 measures how true
#   that is on a photograph.
#
# There are three common ways to downsample: a **strided convolution**, **max pooling**
# and **average pooling**. The next sections take them in turn.
#
# ## 2. Strided convolution
#
# A convolution with stride $S$ computes only every $S$-th window in each direction.
# From notebook 01, with input size $W$, kernel $F$ and padding $P$ per side:
#
# $$\text{output} = \left\lfloor \frac{W - F + 2P}{S} \right\rfloor + 1 .$$
#
# The two named paddings give the ceil forms, which are worth memorising:
#
# $$\text{no padding ("valid"):}\quad \left\lceil \frac{W - F + 1}{S} \right\rceil,
#   \qquad \text{"same":}\quad \left\lceil \frac{W}{S} \right\rceil .$$
#
# The first is the floor formula rewritten: $\lfloor (W - F)/S \rfloor + 1 =
# \lceil (W - F + 1)/S \rceil$ for any positive integers. The second is the definition of
# `"same"`: pad just enough that no input is dropped, so a stride of 2 halves the size,
# rounding up. Both agree with Keras:

# %%
print(f"{'W':>4}{'F':>3}{'S':>3}{'valid':>7}{'ceil form':>11}{'same':>6}{'ceil form':>11}")
for W, F, S in [(32, 3, 2), (31, 3, 2), (227, 11, 4), (10, 3, 3), (7, 2, 2), (224, 7, 2)]:
    valid = arithmetic.conv_output_size(W, F, S, "valid")
    same = arithmetic.conv_output_size(W, F, S, "same")
    assert valid == math.ceil((W - F + 1) / S) and same == math.ceil(W / S)
    for padding, expected in (("valid", valid), ("same", same)):
        layer = keras.layers.Conv2D(1, F, strides=S, padding=padding)
        assert layer.compute_output_shape((1, W, W, 3))[1] == expected
    print(
        f"{W:>4}{F:>3}{S:>3}{valid:>7}{math.ceil((W - F + 1) / S):>11}{same:>6}"
        f"{math.ceil(W / S):>11}"
    )

# %% [markdown]
# **What it skips.** A strided convolution reads only the windows it computes. When the
# kernel is at least as large as the stride, every pixel is still read by some window,
# but border pixels by fewer than the rest; when the kernel is *smaller* than the
# stride, some pixels are never read at all, and a thin feature that falls on them is
# invisible to the layer. Counting how many windows read each pixel shows this. (The
# count is `scatter_windows` applied to windows full of ones: it sends each window's
# values back to the pixels it was read from, the opposite of `extract_windows`.)


# %%
def coverage(size, kernel_size, strides):
    """How many windows of a strided convolution read each pixel of a size x size input."""
    shape = extract_windows(np.zeros((1, size, size, 1)), kernel_size, strides).shape
    return scatter_windows(np.ones(shape), (1, size, size, 1), kernel_size, strides)[0, :, :, 0]


settings = [(3, 1), (3, 2), (2, 2), (1, 2)]
figure, axes = plt.subplots(1, len(settings), figsize=(8.4, 2.6))
for axis, (kernel_size, strides) in zip(axes, settings, strict=True):
    counts = coverage(8, kernel_size, strides)
    plotting.plot_array(counts, axis, f"kernel {kernel_size}, stride {strides}", fmt="{:.0f}")
plotting.add_caption(
    figure,
    "How many windows read each pixel of an 8x8 input: with a 1x1 kernel and stride 2, "
    "three pixels in four are never read.",
)
plt.show()

assert (coverage(8, 1, 2) == 0).mean() == 0.75 and (coverage(8, 3, 2)[:7, :7] > 0).all()

# %% [markdown]
# (With kernel 3 and stride 2 on 8 pixels, the last row and column are not read either:
# $(8 - 3)/2 + 1 = 3.5$, the windows do not tile, and the frameworks drop what is left.)
#
# **What it costs.** A stride of $S$ computes $1/S^2$ of the windows, so a stride-2
# convolution costs a quarter of a stride-1 one and downsamples in the same step. That is
# its whole appeal: downsampling for free. The price is what it skips, and that a
# one-pixel shift of the input changes which pixels line up with the windows (section 5).
#
# ## 3. Max pooling and average pooling
#
# A pooling layer slides a window over each feature map, like a convolution, but
# replaces the weighted sum by a fixed summary:
#
# - **max pooling** keeps the largest value in the window;
# - **average pooling** keeps the mean of the window.
#
# The window size (`pool_size`) and the step (`strides`) play the same roles as in a
# convolution. The most common setting is a 2x2 window with stride 2: windows side by
# side, each output summarising four inputs, so three values in four are discarded and
# height and width halve. Keras's `strides=None` means exactly this: the stride equals
# the window size.

# %%
feature_map = np.array(
    [
        [1, 3, 2, 1],
        [4, 6, 5, 0],
        [3, 1, 1, 2],
        [8, 2, 0, 7],
    ],
    dtype=float,
)
as_batch = feature_map[None, :, :, None]
max_pooled = scratch.max_pool2d(as_batch, 2)[0, :, :, 0]
avg_pooled = scratch.avg_pool2d(as_batch, 2)[0, :, :, 0]

figure, axes = plt.subplots(1, 3, figsize=(8.4, 3), gridspec_kw={"width_ratios": [4, 2, 2]})
plotting.plot_array(feature_map, axes[0], "feature map", highlight=(0, 2, 2, 2))
plotting.plot_array(max_pooled, axes[1], "max pool 2x2", highlight=(0, 1, 1, 1))
plotting.plot_array(avg_pooled, axes[2], "average pool 2x2", highlight=(0, 1, 1, 1))
plotting.add_caption(
    figure,
    "Each 2x2 window of the feature map (red) becomes one value: its maximum, 5, or its mean, 2.",
)
plt.show()
assert max_pooled[0, 1] == 5 and avg_pooled[0, 1] == 2

# %% [markdown]
# ### Output size and overlapping windows
#
# A pooling window moves exactly like a convolution kernel, so the output size formula
# is the same: for a $J \times K$ map, window $F$ and stride $S$ (no padding),
#
# $$\left(1 + \left\lfloor\frac{J - F}{S}\right\rfloor\right) \times
#   \left(1 + \left\lfloor\frac{K - F}{S}\right\rfloor\right).$$
#
# The windows **overlap** when the stride is smaller than the window. AlexNet pools the
# 55x55x96 output of its first layer with 3x3 windows and stride 2:
# $1 + (55 - 3)/2 = 27$, a 27x27x96 output in which neighbouring windows share a row or
# a column. Its authors reported slightly lower error with these overlapping windows
# than with the usual 2x2, stride-2 ones.
#
# A shortcut often quoted for pooling, $\text{output} = \text{input} / S$, is exact only
# when the window equals the stride and the stride divides the input. For AlexNet's
# pooling it gives $55 / 2 = 27.5$, which is not a size at all; the formula gives 27.

# %%
print(
    "AlexNet pool1:", arithmetic.pool_output_size(55, 3, strides=2), "(input / stride:", 55 / 2, ")"
)
alexnet_pool = keras.layers.MaxPooling2D(3, strides=2)
print("Keras:", alexnet_pool.compute_output_shape((None, 55, 55, 96)))
assert alexnet_pool.compute_output_shape((None, 55, 55, 96)) == (None, 27, 27, 96)

plotting.draw_convolution(7, 3, strides=2, row=0, col=1)
plt.show()

# %% [markdown]
# The drawing (shared with convolutions, so its caption says "kernel") shows a 3x3
# window with stride 2 on a 7x7 map: the window of output (0, 1) shares its first column
# with the window of output (0, 0).

# %% [markdown]
# ### Exercise 2.1
#
# Write `pool_output_size(input_size, pool_size, strides=None, padding="valid")`
# returning the number of outputs along one axis, as an `int`. As in Keras,
# `strides=None` means `strides = pool_size`; `padding` is `"valid"` (windows that do
# not fit are dropped) or `"same"` (the output has $\lceil W/S \rceil$ positions).


# %%
def pool_output_size(input_size, pool_size, strides=None, padding="valid"):
    ### BEGIN SOLUTION
    if strides is None:
        strides = pool_size
    if padding == "same":
        return math.ceil(input_size / strides)
    return (input_size - pool_size) // strides + 1
    ### END SOLUTION


# %%
check("02.1", pool_output_size)

# %% [markdown]
# ### No parameters, one depth slice at a time
#
# A pooling layer has **nothing to learn**: the maximum and the mean are fixed functions.
# It adds no parameters to a model, however large its input. And it works on **each
# depth slice independently**: channel $c$ of the output summarises channel $c$ of the
# input only, so the number of channels does not change. (A convolution, by contrast,
# mixes all input channels in every output channel.)

# %%
volume = rng.normal(size=(2, 8, 8, 16))
for layer in (keras.layers.MaxPooling2D(2), keras.layers.AveragePooling2D(3, strides=2)):
    layer.build(volume.shape)
    output = keras.ops.convert_to_numpy(layer(volume))
    print(
        f"{type(layer).__name__:>18}: {volume.shape} -> {output.shape}, "
        f"{layer.count_params()} parameters"
    )
    assert layer.count_params() == 0 and output.shape[-1] == volume.shape[-1]

# Changing channel 5 of the input changes channel 5 of the output, and nothing else.
changed = volume.copy()
changed[..., 5] += rng.normal(size=(2, 8, 8))
difference = np.abs(scratch.max_pool2d(changed, 2) - scratch.max_pool2d(volume, 2))
print("output channels that changed:", np.flatnonzero(difference.max(axis=(0, 1, 2))))
assert list(np.flatnonzero(difference.max(axis=(0, 1, 2)))) == [5]

# %% [markdown]
# ### "Same" padding for pooling
#
# With `padding="same"`, the windows are placed as for a convolution: the output has
# $\lceil W/S \rceil$ positions, and the missing cells (any odd one at the end, bottom
# and right) are padding. But a padded cell must not take part in the summary:
#
# - **max pooling** pads with $-\infty$, so a padded cell never wins, even when every
#   real value in the window is negative;
# - **average pooling** divides each window's sum by the number of **real** cells it
#   covers, not by the window's area, so border outputs are not pulled towards zero.
#
# On a 3x3 map with 2x2 windows, the last row and column of windows cover only two
# cells, and the corner window only one:

# %%
small = np.arange(1.0, 10.0).reshape(1, 3, 3, 1)
print("input:\n", small[0, :, :, 0])
print("padding (before, after) on each axis:", padding_amounts(3, 2, 2, "same"))
averaged = scratch.avg_pool2d(small, 2, padding="same")
maximum_of_negated = scratch.max_pool2d(-small, 2, padding="same")
print("average pool, 'same':\n", averaged[0, :, :, 0])
print("max pool of the negated input, 'same':\n", maximum_of_negated[0, :, :, 0])

same_average = keras.layers.AveragePooling2D(2, padding="same", dtype="float64")
same_max = keras.layers.MaxPooling2D(2, padding="same", dtype="float64")
assert np.array_equal(averaged, keras.ops.convert_to_numpy(same_average(small)))
assert np.array_equal(maximum_of_negated, keras.ops.convert_to_numpy(same_max(-small)))
assert np.array_equal(averaged[0, :, :, 0], [[3.0, 4.5], [7.5, 9.0]])

# %% [markdown]
# The top-right window covers the real cells 3 and 6 and two padded cells: Keras
# averages the real ones, 4.5, where dividing by the window's area would give 2.25. On
# the negated map, zero padding would turn the three border outputs into 0; with
# $-\infty$ padding they are -3, -7 and -9, as in Keras.

# %% [markdown]
# ### Exercise 2.2
#
# Write `max_pool2d(x, pool_size, strides=None, padding="valid")` that returns the same
# array as `keras.layers.MaxPooling2D`: `x` has shape `(batch, height, width, channels)`;
# `pool_size` and `strides` are an int or an `(h, w)` pair, and `strides=None` means
# `strides = pool_size`; `padding` is `"valid"` or `"same"` (pad with `-np.inf`).
# `padding_amounts(size, pool_size, strides, padding)`, imported above, gives the cells
# to add `(before, after)` along one axis. Loops are fine. Return a new float NumPy array
# of shape `(batch, out_height, out_width, channels)`.


# %%
def max_pool2d(x, pool_size, strides=None, padding="valid"):
    ### BEGIN SOLUTION
    pool_h, pool_w = (pool_size, pool_size) if isinstance(pool_size, int) else pool_size
    if strides is None:
        strides = (pool_h, pool_w)
    stride_h, stride_w = (strides, strides) if isinstance(strides, int) else strides
    pad_h = padding_amounts(x.shape[1], pool_h, stride_h, padding)
    pad_w = padding_amounts(x.shape[2], pool_w, stride_w, padding)
    padded = np.pad(x, ((0, 0), pad_h, pad_w, (0, 0)), constant_values=-np.inf)
    out_h = (padded.shape[1] - pool_h) // stride_h + 1
    out_w = (padded.shape[2] - pool_w) // stride_w + 1
    output = np.empty((x.shape[0], out_h, out_w, x.shape[3]))
    for i in range(out_h):
        for j in range(out_w):
            rows = slice(i * stride_h, i * stride_h + pool_h)
            cols = slice(j * stride_w, j * stride_w + pool_w)
            output[:, i, j, :] = padded[:, rows, cols, :].max(axis=(1, 2))
    return output
    ### END SOLUTION


# %%
check("02.2", max_pool2d)

# %% [markdown]
# ### Exercise 2.3
#
# Write `avg_pool2d(x, pool_size, strides=None, padding="valid")` that returns the same
# array as `keras.layers.AveragePooling2D`, with the same arguments and the same kind of
# result as in Exercise 2.2 (a new float array of shape `(batch, out_height, out_width,
# channels)`).
# With `"same"` padding, divide each window's sum by the number of real cells it covers.
# (Hint: pool an array of ones padded with zeros to count them.)


# %%
def avg_pool2d(x, pool_size, strides=None, padding="valid"):
    ### BEGIN SOLUTION
    pool_h, pool_w = (pool_size, pool_size) if isinstance(pool_size, int) else pool_size
    if strides is None:
        strides = (pool_h, pool_w)
    stride_h, stride_w = (strides, strides) if isinstance(strides, int) else strides
    pad_h = padding_amounts(x.shape[1], pool_h, stride_h, padding)
    pad_w = padding_amounts(x.shape[2], pool_w, stride_w, padding)
    padded = np.pad(x, ((0, 0), pad_h, pad_w, (0, 0)))
    real = np.pad(np.ones(x.shape[1:3]), (pad_h, pad_w))
    out_h = (padded.shape[1] - pool_h) // stride_h + 1
    out_w = (padded.shape[2] - pool_w) // stride_w + 1
    output = np.empty((x.shape[0], out_h, out_w, x.shape[3]))
    for i in range(out_h):
        for j in range(out_w):
            rows = slice(i * stride_h, i * stride_h + pool_h)
            cols = slice(j * stride_w, j * stride_w + pool_w)
            output[:, i, j, :] = padded[:, rows, cols, :].sum(axis=(1, 2)) / real[rows, cols].sum()
    return output
    ### END SOLUTION


# %%
check("02.3", avg_pool2d)

# %% [markdown]
# `coursekit.scratch` has vectorised versions of both, built on the window view
# `extract_windows` from notebook 01 (no Python loop over positions). They agree with the
# Keras layers exactly, on batches of multi-channel maps, with odd and even sizes,
# overlapping windows, rectangular windows and both paddings:

# %%
x = rng.normal(size=(3, 9, 8, 4))
configurations = [
    (2, None, "valid"),
    (3, 2, "valid"),
    (3, 2, "same"),
    (2, 1, "same"),
    ((2, 3), (1, 2), "valid"),
    (4, 3, "same"),
]
for pool_size, strides, padding in configurations:
    for ours, layer_class in [
        (scratch.max_pool2d, keras.layers.MaxPooling2D),
        (scratch.avg_pool2d, keras.layers.AveragePooling2D),
    ]:
        layer = layer_class(pool_size, strides=strides, padding=padding, dtype="float64")
        expected = keras.ops.convert_to_numpy(layer(x))
        got = ours(x, pool_size, strides=strides, padding=padding)
        assert got.shape == expected.shape and np.allclose(got, expected, rtol=0, atol=1e-12)
    print(
        f"pool {pool_size!s:>6}, strides {strides!s:>6}, {padding!r:7}: output {got.shape} "
        "matches Keras"
    )

# %% [markdown]
# ## 4. Global pooling
#
# **Global** pooling uses one window as large as the whole feature map: each channel
# becomes a single number, its maximum (`GlobalMaxPooling2D`) or its mean
# (`GlobalAveragePooling2D`). A `(batch, 7, 7, 512)` volume becomes `(batch, 512)`.
# Where an object is in the map no longer matters at all: only whether (max) or how much
# (average) each feature is present.

# %%
features = rng.normal(size=(2, 7, 7, 512))
global_average = keras.layers.GlobalAveragePooling2D(dtype="float64")(features)
global_max = keras.layers.GlobalMaxPooling2D(dtype="float64")(features)
assert np.allclose(global_average, scratch.avg_pool2d(features, 7)[:, 0, 0, :])
assert np.allclose(global_max, scratch.max_pool2d(features, 7)[:, 0, 0, :])
print(features.shape, "-> global pooling ->", global_average.shape)

# %% [markdown]
# Its main use is at the top of a network, in place of flattening the last feature
# maps into a dense layer. VGG16 flattens its last 7x7x512 volume into a dense layer of
# 4,096 units: $7 \cdot 7 \cdot 512 \cdot 4{,}096 = 102{,}760{,}448$ weights, the largest
# layer of the network. After global average pooling the same dense layer needs only
# $512 \cdot 4{,}096$, 49 times fewer. GoogLeNet and ResNet end this way, which also
# lets the same weights accept larger images.


# %%
def dense_parameters(pooling, units=4096):
    """Parameters of Dense(units) on top of a 7x7x512 volume after `pooling`.

    Computed from the shapes Keras reports, without building the dense layer: its
    102.8 million float32 weights would take 411 MB (392 MiB) for nothing.
    """
    (_, inputs) = pooling.compute_output_shape((None, 7, 7, 512))
    return inputs * units + units


flatten_params = dense_parameters(keras.layers.Flatten())
pooled_params = dense_parameters(keras.layers.GlobalAveragePooling2D())
print(f"flatten -> Dense(4096):                {flatten_params:>12,} parameters")
print(f"global average pool -> Dense(4096):    {pooled_params:>12,} parameters")
assert flatten_params == 102_760_448 + 4096 and pooled_params == 512 * 4096 + 4096

# The formula is Keras's own count, checked on the small layer.
small_model = keras.Sequential(
    [keras.Input((7, 7, 512)), keras.layers.GlobalAveragePooling2D(), keras.layers.Dense(4096)]
)
assert small_model.count_params() == pooled_params

# %% [markdown]
# ## 5. Shifting a photograph by one or two pixels
#
# Does pooling really make a network tolerant to small shifts? Let's measure it. We take
# the camera-man photograph, compute three edge maps with a small convolutional layer
# (horizontal and vertical Sobel filters and a Laplacian, each followed by ReLU), and
# downsample them by two in three ways: a stride-2 convolution, 2x2 max pooling and 2x2
# average pooling, plus larger and global pooling windows for comparison. Then we shift
# the photograph one and two pixels to the right (a real translation: we crop a window
# that moves over the photograph, so no zeros enter) and measure how much each output
# changes, relative to its size:
#
# $$\text{change} = \frac{\lVert f(\text{shifted}) - f(\text{original}) \rVert}
#   {\lVert f(\text{original}) \rVert}.$$
#
# A change of 0 means the output ignores the shift (it is **invariant**); a change near
# or above 1 means it is as different as an unrelated output of the same size. We also
# count the outputs that do not change at all, among those with a strong response (above
# a tenth of the map's maximum).

# %%
photo = skimage.data.camera().astype("float64") / 255.0
sobel = np.array([[1, 0, -1], [2, 0, -2], [1, 0, -1]], dtype=float)
laplacian = np.array([[0, 1, 0], [1, -4, 1], [0, 1, 0]], dtype=float)
bank = np.stack([sobel, sobel.T, laplacian], axis=-1)[:, :, None, :]  # (3, 3, 1, 3)
margin = 4


def moved_right(pixels):
    """The photograph seen through a window that slides `pixels` to the left."""
    return photo[None, :, margin - pixels : photo.shape[1] - pixels, None]


def downsamplers(image):
    edges = scratch.relu(scratch.conv2d(image, bank))
    return {
        "convolution, stride 1": edges,
        "convolution, stride 2": scratch.relu(scratch.conv2d(image, bank, strides=2)),
        "max pool 2x2": scratch.max_pool2d(edges, 2),
        "average pool 2x2": scratch.avg_pool2d(edges, 2),
        "max pool 3x3, stride 2": scratch.max_pool2d(edges, 3, strides=2),
        "max pool 4x4": scratch.max_pool2d(edges, 4),
        "average pool 4x4": scratch.avg_pool2d(edges, 4),
        "global max pool": edges.max(axis=(1, 2)),
        "global average pool": edges.mean(axis=(1, 2)),
    }


original = downsamplers(moved_right(0))
shifted_once, shifted_twice = downsamplers(moved_right(1)), downsamplers(moved_right(2))
changes = {
    name: [
        np.linalg.norm(shifted[name] - output) / np.linalg.norm(output)
        for shifted in (shifted_once, shifted_twice)
    ]
    for name, output in original.items()
}

unchanged = {}
for name, output in original.items():
    strong = output > 0.1 * output.max()  # where there is a response worth keeping
    unchanged[name] = np.mean(np.isclose(shifted_once[name], output)[strong])

print(f"{'output':<24}{'shape':>16}{'change, 1 px':>14}{'change, 2 px':>14}{'unchanged, 1 px':>17}")
for name, (one, two) in changes.items():
    print(
        f"{name:<24}{original[name].shape[1:]!s:>16}{one:>14.2f}{two:>14.2f}"
        f"{unchanged[name]:>17.0%}"
    )

# %% [markdown]
# What the numbers say (they are computed above, so you can change the photograph, the
# filters or the shifts and see how they move):
#
# - The edge maps themselves change almost completely: the convolution is
#   *equivariant*, so its output moves with the photograph, and a thin edge that moved
#   by one pixel no longer overlaps its old position.
# - The stride-2 convolution is no better: it is the same map, sampled.
# - 2x2 pooling cuts the change for a one-pixel shift by about a third. Within a window,
#   the maximum often stays exactly the same when its content moves by a pixel: many
#   max-pooled outputs do not change at all, while almost every averaged output changes
#   a little. For a two-pixel shift, max pooling keeps more of its output than average
#   pooling.
# - Bigger and overlapping windows tolerate more; global pooling ignores the shift
#   almost entirely (only the pixels that enter or leave at the borders count).
#
# So pooling buys **partial** invariance to small shifts, growing with the window, not
# an exact one. Stacking several pooling layers compounds it.

# %%
assert changes["max pool 2x2"][0] < 0.8 * changes["convolution, stride 1"][0]
assert changes["max pool 2x2"][1] < changes["average pool 2x2"][1]
assert changes["max pool 4x4"][0] < changes["max pool 2x2"][0]
assert max(changes["global max pool"] + changes["global average pool"]) < 0.02
assert unchanged["max pool 4x4"] > 0.4 > 0.05 > unchanged["average pool 4x4"]

# %%
figure, axes = plt.subplots(1, 3, figsize=(8.4, 3.2))
panels = [
    ("vertical edges", original["convolution, stride 1"], None, 1),
    ("edges: change after 1 px", original["convolution, stride 1"], shifted_once, 1),
    ("max pool 4x4: change after 1 px", original["max pool 4x4"], shifted_once, 4),
]
for axis, (title, before, after, scale) in zip(axes, panels, strict=True):
    name = "max pool 4x4" if scale == 4 else "convolution, stride 1"
    values = before[0, :, :, 0] if after is None else np.abs(after[name] - before)[0, :, :, 0]
    # The same part of the photograph in every panel: rows and columns 250..410 of the edges.
    region = values[250 // scale : 410 // scale, 230 // scale : 390 // scale]
    axis.imshow(region, cmap="gray", vmin=0, vmax=0.5 * before[0, :, :, 0].max())
    axis.set_title(title, fontsize=10)
    axis.axis("off")
figure.tight_layout()
plotting.add_caption(
    figure,
    "A detail of the camera-man's tripod. Black means no change: after a one-pixel shift "
    "almost every edge pixel changes, while many max-pooled values stay exactly the same.",
)
plt.show()

# %% [markdown]
# ## 6. Strided convolution, max pooling or average pooling?
#
# The three ways to halve a 56x56x64 feature map with a 3x3, 64-filter layer compare as
# follows (all three use the same 36,928 parameters; pooling adds none):

# %%
height, channels, filters = 56, 64, 64
full_conv = height * height * filters * 3 * 3 * channels
strided_conv = (height // 2) ** 2 * filters * 3 * 3 * channels
# About four operations per output: three comparisons, or three additions and a division.
pooling_ops = (height // 2) ** 2 * filters * 4

edges = original["convolution, stride 1"]
strongest = edges.max()
blurred_peak = original["average pool 4x4"].max() / strongest
windows_max = scratch.max_pool2d(edges, 4)
windows_mean = scratch.avg_pool2d(edges, 4)
busy = windows_max > 0.5 * strongest
peak_kept = float((windows_mean[busy] / windows_max[busy]).mean())

rows = [
    ("convolution, stride 2", strided_conv, "every other window", "convolution, stride 2"),
    ("conv + max pool 2x2", full_conv + pooling_ops, "strongest response", "max pool 2x2"),
    ("conv + avg pool 2x2", full_conv + pooling_ops, "mean response", "average pool 2x2"),
]
print(f"{'method':<22}{'multiply-adds':>14}{'keeps':>21}{'change, 1 px':>14}{'unchanged':>11}")
for name, cost, keeps, key in rows:
    print(
        f"{name:<22}{cost / 1e6:>12.1f} M{keeps:>21}{changes[key][0]:>14.2f}{unchanged[key]:>11.0%}"
    )
print(
    f"\nAverage pooling (4x4) of the edge maps keeps {peak_kept:.0%} of a strong window's peak "
    f"on average, and its largest output is {blurred_peak:.0%} of the strongest edge."
)
assert strided_conv * 4 == full_conv and peak_kept < 0.6

# %% [markdown]
# - **Cost.** The strided convolution is four times cheaper: pooling needs the convolution
#   at full resolution first, and the pooling itself adds very little. This is why
#   pooling is slower than striding.
# - **What is kept.** Max pooling keeps the strongest response in each window, whatever
#   its position: the feature most likely to matter survives. The strided convolution
#   only evaluates every other window and can miss a feature between them. Average
#   pooling mixes the strong response with its weak neighbours: thin edges are
#   **blurred** and weakened (the numbers above), and a strong feature next to a large
#   empty area can almost vanish.
# - **Shifts.** Both poolings tolerate small shifts better than striding, and max
#   pooling leaves a good part of its outputs exactly unchanged.
#
# Modern networks use all three. VGG uses 2x2 max pooling after each block of
# convolutions; ResNet has a single max-pooling layer near the input, downsamples with
# stride-2 convolutions after that, and ends with global average pooling.

# %%
figure, axes = plt.subplots(1, 3, figsize=(8.4, 3.2))
for axis, (title, values, scale) in zip(
    axes,
    [
        ("vertical edges", edges, 1),
        ("max pool 4x4", scratch.max_pool2d(edges, 4), 4),
        ("average pool 4x4", scratch.avg_pool2d(edges, 4), 4),
    ],
    strict=True,
):
    region = values[0, 250 // scale : 410 // scale, 230 // scale : 390 // scale, 0]
    axis.imshow(region, cmap="gray", vmin=0, vmax=0.6 * strongest)
    axis.set_title(title, fontsize=10)
    axis.axis("off")
figure.tight_layout()
plotting.add_caption(
    figure,
    "The tripod's vertical edges on one grey scale: max pooling keeps the thin legs at "
    "full strength, average pooling spreads them over their windows and fades them.",
)
plt.show()

# %% [markdown]
# ### Exercise 2.4
#
# You design a small CNN to detect thin scratches (one or two pixels wide) on photographs
# of metal parts, on a device with little compute. Between the first and second
# convolutional layers you must halve the resolution. Compare a stride-2 convolution,
# 2x2 max pooling and 2x2 average pooling for this task, using the measurements of this
# notebook (cost, what each keeps, tolerance to shifts), and choose one. (A few
# sentences.)

# %% [markdown]
# ### BEGIN SOLUTION
# A stride-2 convolution is the cheapest (a quarter of the multiply-adds, section 6), but
# it evaluates only every other window: with a small kernel, a one-pixel scratch can fall
# between windows or be seen only partially, and its output changes as much as the
# un-strided edge map when the part shifts by a pixel. Average pooling keeps the full
# convolution's cost and blurs thin features: a scratch filling one column of a 2x2 window
# loses about half its response, mixed with the background. Max pooling costs the same
# as average pooling but keeps each window's strongest response, so a thin, bright
# scratch survives at full strength, and it changes least under small shifts. I would use
# max pooling; if compute is too tight, a stride-2 convolution with a kernel at least 3
# wide (so every pixel is read) is the fallback.
# ### END SOLUTION

# %% [markdown]
# ## Summary
#
# - CNNs downsample to cut the cost of later layers, grow receptive fields and gain some
#   tolerance to small shifts.
# - Output sizes: $\lfloor (W - F + 2P)/S \rfloor + 1$, or in ceil form
#   $\lceil (W - F + 1)/S \rceil$ without padding and $\lceil W/S \rceil$ with `"same"`.
#   AlexNet's overlapping 3x3, stride-2 pooling takes 55 to 27.
# - Pooling has no parameters and works on each depth slice separately. With `"same"`
#   padding, max pooling pads with $-\infty$ and average pooling divides by the real cells.
# - Strided convolution is cheapest but skips windows; max pooling keeps the strongest
#   responses; average pooling blurs. Pooling tolerates small shifts partially, more with
#   larger windows, and global pooling almost completely.
# - Global average pooling replaces flatten + dense and saves most of a network's
#   parameters.
#
# **Next:** notebook 03 sends gradients backwards through convolution, ReLU and pooling.
