# %% [markdown]
# # Convolution arithmetic
#
# *What a convolutional layer computes, how large its output is, and how many neurons,
# connections and parameters it has.*
#
# **After this notebook you can**
# - compute a cross-correlation by hand and tell it apart from a true convolution;
# - predict the output size of a convolution for any padding, stride and dilation, and
#   recognise windows that do not tile;
# - write a convolutional layer in NumPy that matches `keras.layers.Conv2D` exactly;
# - count the weights per neuron, neurons, connections and parameters of a layer, and
#   explain local connectivity and parameter sharing;
# - use 1x1 convolutions as bottlenecks and compute the receptive field of a stack of layers;
# - show translation equivariance with numbers, and apply classic filters to photographs.
#
# **Time:** about 2 hours. **Accelerator:** none; everything runs on a CPU in seconds.
#
# [![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)](https://colab.research.google.com/github/cnn-course/cnn-course/blob/main/notebooks/01_convolution_arithmetic.ipynb) [![Binder](https://mybinder.org/badge_logo.svg)](https://mybinder.org/v2/gh/cnn-course/cnn-course/main?urlpath=lab/tree/notebooks/01_convolution_arithmetic.ipynb)

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
import keras
import matplotlib.pyplot as plt
import numpy as np
import skimage.data
from scipy import signal

from coursekit import arithmetic, check, plotting, scratch
from coursekit.scratch.windows import padding_amounts

# %% [markdown]
# **Your functions and the course's.** Each exercise asks for a function that the course
# also provides, in `coursekit.arithmetic` or `coursekit.scratch`. The cells after an
# exercise use the course's version, not yours, so *Run All* works while an exercise is
# still blank, and a slip in your answer does not spread to later cells.

# %% [markdown]
# ## 1. Why not a dense layer?
#
# A dense (fully connected) layer gives every neuron one weight per input value. For
# images that explodes quickly:
#
# - a 32x32 colour image has $32 \times 32 \times 3 = 3{,}072$ values, so each neuron of
#   the first layer needs 3,072 weights; manageable;
# - a 200x200 colour image has 120,000 values: 120,000 weights *per neuron*;
# - a 224x224 colour image has 150,528 values, and a first layer of only 1,024 neurons
#   needs $150{,}528 \times 1{,}024 = 154{,}140{,}672$ weights.
#
# A dense layer also ignores where pixels are: it would have to learn to detect an edge
# separately at every position. Convolutional layers fix both problems with two
# assumptions about images, which the rest of this notebook makes precise:
# **local connectivity** (a neuron looks at a small window) and **parameter sharing**
# (every window is processed with the same weights).

# %%
for height, width in [(32, 32), (200, 200), (224, 224)]:
    inputs = height * width * 3
    print(
        f"{height}x{width}x3 image: {inputs:>9,} weights per dense neuron, "
        f"{inputs * 1024:>13,} weights for 1,024 neurons"
    )

assert 224 * 224 * 3 * 1024 == 154_140_672

# %% [markdown]
# ## 2. Cross-correlation and convolution
#
# In signal processing, the **convolution** of an image $I$ with a kernel $K$ is
#
# $$(I * K)(i, j) = \sum_m \sum_n I(i - m, j - n)\, K(m, n),$$
#
# which slides a *flipped* copy of the kernel over the image. What deep learning libraries
# call convolution is in fact the **cross-correlation**, with no flip:
#
# $$(I \star K)(i, j) = \sum_m \sum_n I(i + m, j + n)\, K(m, n).$$
#
# For a learned kernel the difference does not matter: whatever kernel cross-correlation
# learns, convolution would learn its flipped copy. But it matters when you compare with
# a textbook filter or implement a layer yourself, so let's compute one output by hand.

# %%
image = np.array(
    [
        [3, 1, 0, 2, 1],
        [1, 4, 2, 0, 0],
        [0, 2, 5, 1, 3],
        [2, 0, 1, 3, 1],
        [1, 2, 0, 1, 4],
    ],
    dtype=float,
)
kernel = np.array(
    [
        [1, 0, -1],
        [2, 0, -2],
        [1, 0, -1],
    ],
    dtype=float,
)

window = image[0:3, 1:4]  # the window under output position (0, 1)
products = window * kernel
terms = " + ".join(
    f"{a:g}*({b:g})" if b < 0 else f"{a:g}*{b:g}"
    for a, b in zip(window.ravel(), kernel.ravel(), strict=True)
)
print(f"output[0, 1] = {terms} = {products.sum():g}")

# %% [markdown]
# Slide the window over every position where it fits (3 x 3 of them for a 5x5 image and a
# 3x3 kernel) and you get the whole output. `scratch.conv2d` does exactly that; it works
# on batches of multi-channel images (`(batch, height, width, channels)`) with kernels of
# shape `(kernel_h, kernel_w, in_channels, filters)`, the layout Keras uses, so a single
# grey image and a single kernel need two extra axes each:


# %%
def correlate(image, kernel, **kwargs):
    """Cross-correlates one grey image with one 2-D kernel using scratch.conv2d."""
    return scratch.conv2d(image[None, :, :, None], kernel[:, :, None, None], **kwargs)[0, :, :, 0]


output = correlate(image, kernel)
assert output[0, 1] == products.sum()

figure, axes = plt.subplots(1, 3, figsize=(8.4, 2.8), gridspec_kw={"width_ratios": [5, 3, 3]})
plotting.plot_array(image, axes[0], "image", highlight=(0, 1, 3, 3))
plotting.plot_array(kernel, axes[1], "kernel", cmap="RdBu")
plotting.plot_array(output, axes[2], "cross-correlation", highlight=(0, 1, 1, 1))
plotting.add_caption(
    figure,
    "The red window of the image, multiplied element by element "
    "with the kernel and summed, gives the red output value.",
)
plt.show()

# %% [markdown]
# A true convolution is a cross-correlation with the kernel flipped upside down and left
# to right. SciPy implements both, which gives an independent check:

# %%
convolution = correlate(image, kernel[::-1, ::-1])
assert np.allclose(output, signal.correlate2d(image, kernel, mode="valid"))
assert np.allclose(convolution, signal.convolve2d(image, kernel, mode="valid"))
print("cross-correlation:\n", output)
print("convolution (flipped kernel):\n", convolution)

# %% [markdown]
# A neat way to *see* the flip: feed a single bright pixel (an impulse). Convolution
# reproduces the kernel around it, while cross-correlation reproduces the kernel
# flipped.

# %%
impulse = np.zeros((5, 5))
impulse[2, 2] = 1.0
asymmetric = np.arange(1.0, 10.0).reshape(3, 3)

figure, axes = plt.subplots(1, 3, figsize=(8, 2.8))
plotting.plot_array(asymmetric, axes[0], "kernel")
plotting.plot_array(correlate(impulse, asymmetric, padding="same"), axes[1], "cross-correlation")
plotting.plot_array(
    correlate(impulse, asymmetric[::-1, ::-1], padding="same"), axes[2], "convolution"
)
plotting.add_caption(
    figure,
    "An impulse cross-correlated with a kernel gives the kernel "
    "rotated by 180 degrees; convolved, it gives the kernel itself.",
)
plt.show()

# %% [markdown]
# ## 3. Output size: padding, stride and dilation
#
# Four settings decide how many outputs a convolution has along one axis. We take them
# one at a time, each with one number and one picture.
#
# ### 3.1 Valid: no padding
#
# A $k \times k$ kernel fits in $W - k + 1$ positions along an axis of $W$ inputs. Every
# layer therefore shrinks the image, and border pixels are read by fewer windows than
# central ones.

# %%
print("5 inputs, kernel 3, no padding:", arithmetic.conv_output_size(5, 3), "outputs per side")
plotting.draw_convolution(input_size=5, kernel_size=3, row=1, col=2)
plt.show()

# %% [markdown]
# ### 3.2 Padding
#
# Adding $P$ zeros on each side gives $W - k + 2P + 1$ outputs. Three choices have names:
#
# | padding | zeros per side | output size (stride 1) |
# |---|---|---|
# | `"valid"` | 0 | $W - k + 1$ |
# | `"same"` | $(k - 1)/2$ for odd $k$ | $W$ |
# | `"full"` | $k - 1$ | $W + k - 1$ |
#
# `"same"` keeps the size; `"full"` pads so much that every window touching at least one
# input pixel is computed, and the output *grows*. Some lecture notes call padding that
# keeps the size a "full convolution": that is `"same"`, not `"full"`.

# %%
for padding in ("valid", "same", "full"):
    print(
        f"5 inputs, kernel 3, padding {padding!r:7}:", arithmetic.conv_output_size(5, 3, 1, padding)
    )
assert arithmetic.conv_output_size(5, 3, 1, "full") == 5 + 3 - 1
plotting.draw_convolution(input_size=5, kernel_size=3, padding="full", row=0, col=0)
plt.show()

# %% [markdown]
# ### 3.3 Stride, and windows that do not tile
#
# Moving the window $S$ positions at a time keeps one position in $S$. The lectures'
# formula for an input of width $W$, receptive field $F$, stride $S$ and padding $P$ is
#
# $$\text{output} = \frac{W - F + 2P}{S} + 1 .$$
#
# When $W - F + 2P$ is not a multiple of $S$ this is not an integer: the windows **do not
# tile** the input, and the last rows and columns are never read. Frameworks round down,
# $\lfloor (W - F + 2P)/S \rfloor + 1$. A 10-pixel input with a 3x3 kernel and stride 2
# gives $(10 - 3)/2 + 1 = 4.5$, so 4 outputs; in the drawing, the last output's window
# (red) stops one column short of the input's edge.

# %%
print("(10 - 3)/2 + 1 =", (10 - 3) / 2 + 1, "-> outputs:", arithmetic.conv_output_size(10, 3, 2))
plotting.draw_convolution(input_size=10, kernel_size=3, strides=2, row=3, col=3)
plt.show()

# %% [markdown]
# With `"same"` padding and a stride, the output has $\lceil W/S \rceil$ positions and
# the padding needed is $\max((\text{output} - 1) S + F - W,\ 0)$ in total. When that is
# odd, TensorFlow (and so Keras) puts the extra zero **after** the input, on the bottom
# and right: `padding_amounts` returns `(before, after)`. Notebook 02 derives this
# ceiling form, and the one for `"valid"`, from the floor formula.

# %%
print("'same' at stride 2 on 6 inputs pads (before, after) =", padding_amounts(6, 3, 2, "same"))

# %% [markdown]
# ### 3.4 Dilation
#
# A dilated kernel skips $d - 1$ inputs between its taps, so an $n \times n$ kernel spans
# $n + (n - 1)(d - 1)$ inputs and sees further without more weights. With input size $m$,
# padding $p$ and stride $s$:
#
# $$\text{output} = \left\lfloor \frac{m + 2p - n - (n - 1)(d - 1)}{s} \right\rfloor + 1 .$$

# %%
print("9 inputs, kernel 3, dilation 2: span", 3 + 2 * (2 - 1), "->", end=" ")
print(arithmetic.conv_output_size(9, 3, dilation_rate=2), "outputs per side")
plotting.draw_convolution(input_size=9, kernel_size=3, dilation_rate=2, row=1, col=1)
plt.show()

# %% [markdown]
# `tests/test_arithmetic.py` in the course repository checks these formulas against the
# shapes Keras computes for `Conv2D` on hundreds of combinations.

# %% [markdown]
# ### Exercise 1.1
#
# Write `conv_output_size(input_size, kernel_size, strides=1, padding=0, dilation_rate=1)`
# returning the number of outputs along one axis, as an `int`. `padding` is either a
# number of zeros added on each side, or one of `"valid"`, `"same"` and `"full"`.
# Windows that do not tile are dropped, as in the frameworks.


# %%
def conv_output_size(input_size, kernel_size, strides=1, padding=0, dilation_rate=1):
    ### BEGIN SOLUTION
    span = (kernel_size - 1) * dilation_rate + 1
    if padding == "same":
        return -(-input_size // strides)
    per_side = {"valid": 0, "full": span - 1}.get(padding, padding)
    return (input_size + 2 * per_side - span) // strides + 1
    ### END SOLUTION


# %%
check("01.1", conv_output_size)

# %% [markdown]
# ### Explore the geometry
#
# Move the sliders: the drawing shows the padded input (grey cells are zeros), the kernel
# taps read for one output position (red), and the output grid. `output #` walks through
# the output positions. Try a stride that does not tile, `"same"` padding with stride 2,
# and dilation 2. (Any drawing function of `plotting` gets sliders the same way, e.g.
# `coursekit.widgets.interact_figure(plotting.draw_convolution, input_size=(3, 12), kernel_size=(1, 7), strides=(1, 4), padding=(0, 3), dilation_rate=(1, 3), row=(0, 11), col=(0, 11))`.)

# %%
from coursekit.widgets import conv_explorer

conv_explorer(input_size=7, kernel_size=3, strides=2)

# %% [markdown]
# ## 4. A convolutional layer in NumPy
#
# A convolutional layer works on a volume. Its input has shape
# `(batch, height, width, in_channels)` and its kernel `(kernel_h, kernel_w, in_channels,
# filters)`: every filter is small in space but extends through the **full depth** of the
# input. Output channel $f$ at position $(i, j)$ is
#
# $$y_{n,i,j,f} = b_f + \sum_{u}\sum_{v}\sum_{c} x^{\text{pad}}_{n,\; iS + ud,\; jS + vd,\; c}\;
#   K_{u,v,c,f},$$
#
# with stride $S$ and dilation $d$: one 2-D cross-correlation per input channel, summed
# over the channels, plus one bias per filter. Each filter produces one **feature map**
# (activation map); stacking the `filters` maps along the last axis forms the output
# volume.

# %% [markdown]
# ### Exercise 1.2
#
# Write `conv2d(x, kernel, bias=None, strides=1, padding="valid", dilation_rate=1)` that
# returns the same array as `keras.layers.Conv2D` with these weights: NHWC input, HWIO
# kernel, `bias` either `None` or one value per filter, `strides` and `dilation_rate`
# integers, `padding` either `"valid"` or `"same"` (with TensorFlow's placement of the
# extra zero). Plain loops are fine: clarity first. Return a new float array; do not
# modify `x`. `padding_amounts(size, kernel_size, strides, padding, dilation_rate)`,
# imported above, gives the zeros to add `(before, after)` along one axis.


# %%
def conv2d(x, kernel, bias=None, strides=1, padding="valid", dilation_rate=1):
    ### BEGIN SOLUTION
    batch, height, width, _ = x.shape
    kernel_h, kernel_w, _, filters = kernel.shape
    span_h = (kernel_h - 1) * dilation_rate + 1
    span_w = (kernel_w - 1) * dilation_rate + 1
    pad_h = padding_amounts(height, kernel_h, strides, padding, dilation_rate)
    pad_w = padding_amounts(width, kernel_w, strides, padding, dilation_rate)
    padded = np.pad(x, ((0, 0), pad_h, pad_w, (0, 0)))
    out_h = (padded.shape[1] - span_h) // strides + 1
    out_w = (padded.shape[2] - span_w) // strides + 1
    output = np.zeros((batch, out_h, out_w, filters))
    for i in range(out_h):
        for j in range(out_w):
            rows = slice(i * strides, i * strides + span_h, dilation_rate)
            cols = slice(j * strides, j * strides + span_w, dilation_rate)
            patch = padded[:, rows, cols, :]  # (batch, kernel_h, kernel_w, in_channels)
            output[:, i, j, :] = np.tensordot(patch, kernel, axes=([1, 2, 3], [0, 1, 2]))
    if bias is not None:
        output += bias
    return output
    ### END SOLUTION


# %%
check("01.2", conv2d)

# %% [markdown]
# Keras is the ground truth. We build a `Conv2D` layer, give it our weights with
# `set_weights`, and compare it with the course's reference implementation,
# `scratch.conv2d`, which computes all windows at once (the *im2col* trick that notebook
# 03 explains). Note the asymmetric `"same"` padding at stride 2 on an even size:

# %%
rng = np.random.default_rng(0)
x = rng.normal(size=(2, 8, 8, 3)).astype("float32")
weights = rng.normal(size=(3, 3, 3, 4)).astype("float32")
biases = rng.normal(size=4).astype("float32")

for strides, padding, dilation_rate in [(1, "valid", 1), (2, "same", 1), (1, "same", 2)]:
    layer = keras.layers.Conv2D(4, 3, strides=strides, padding=padding, dilation_rate=dilation_rate)
    layer.build(x.shape)
    layer.set_weights([weights, biases])
    expected = keras.ops.convert_to_numpy(layer(x))
    reference = scratch.conv2d(x, weights, biases, strides, padding, dilation_rate)
    difference = np.max(np.abs(reference - expected))
    print(
        f"strides={strides}, padding={padding!r:7}, dilation={dilation_rate}: "
        f"output {reference.shape}, largest difference {difference:.1e}"
    )
    assert reference.shape == expected.shape and difference < 1e-4

# %% [markdown]
# ## 5. Filters on real photographs: many filters, many feature maps
#
# Hand-designed kernels show what a single filter can detect. A layer with four filters
# applied to a grey photograph gives four feature maps, computed in **one** call:

# %%
photo = skimage.data.camera().astype("float32") / 255.0
classic = {
    "vertical edges (Sobel x)": [[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]],
    "horizontal edges (Sobel y)": [[1, 2, 1], [0, 0, 0], [-1, -2, -1]],
    "blur (box 3x3)": np.full((3, 3), 1 / 9),
    "sharpen": [[0, -1, 0], [-1, 5, -1], [0, -1, 0]],
}
bank = np.stack([np.asarray(k, dtype="float32") for k in classic.values()], axis=-1)
feature_maps = scratch.conv2d(photo[None, :, :, None], bank[:, :, None, :], padding="same")[0]
print("kernel bank", bank[:, :, None, :].shape, "-> feature maps", feature_maps.shape)

plotting.show_images(
    # Blur and sharpen keep the 0..1 brightness scale; clip the sharpening overshoot.
    [
        photo,
        feature_maps[:, :, 0],
        feature_maps[:, :, 1],
        feature_maps[:, :, 2],
        np.clip(feature_maps[:, :, 3], 0, 1),
    ],
    titles=["photograph", *classic],
    caption="One convolutional layer with four hand-made 3x3 filters gives four feature "
    "maps: two edge detectors, a blur and a sharpening filter.",
    size=2.4,
)
plt.show()

# %% [markdown]
# Edge maps have both signs. This Sobel kernel subtracts the column on the left of the
# window from the column on the right, so, read from left to right, a dark-to-bright edge
# gives a **positive** response and a bright-to-dark edge a negative one. (The kernel with
# the signs swapped, `[[1, 0, -1], ...]`, which some books print, does the opposite under
# cross-correlation.) On a dark-to-bright step:

# %%
step = np.zeros((3, 4))
step[:, 2:] = 1.0  # dark on the left, bright on the right
step_response = correlate(step, bank[:, :, 0])
print("dark-to-bright step:\n", step, "\nSobel x response:", step_response.ravel())
assert (step_response > 0).all()

# %% [markdown]
# The Sobel response of the photograph on a diverging colour map (positive red, negative
# blue), next to its absolute value:

# %%
edges = feature_maps[:, :, 0]
plotting.show_images(
    [edges, np.abs(edges)],
    titles=["Sobel x (signed)", "|Sobel x|"],
    caption="Red marks dark-to-bright and blue bright-to-dark transitions from left to right "
    "(positive and negative responses); the absolute value shows edge strength regardless "
    "of direction.",
    symmetric=True,
    size=3.2,
)
plt.show()

# %% [markdown]
# On a colour image, a filter spans all three channels: a 3x3x3 kernel. Here one filter
# looks for vertical edges in the red channel only, and another for green-minus-red:

# %%
colour = skimage.data.astronaut()[::2, ::2].astype("float32") / 255.0
rgb_kernels = np.zeros((3, 3, 3, 2), dtype="float32")
rgb_kernels[:, :, 0, 0] = classic["vertical edges (Sobel x)"]  # red-channel edges
rgb_kernels[1, 1, :, 1] = [-1.0, 1.0, 0.0]  # green minus red at the centre tap
rgb_maps = scratch.conv2d(colour[None], rgb_kernels, padding="same")[0]
plotting.show_images(
    [colour, rgb_maps[:, :, 0], rgb_maps[:, :, 1]],
    titles=["RGB input", "filter 1: red-channel edges", "filter 2: green - red"],
    caption="Each filter of a layer on an RGB image has weights for all three channels; "
    "what it detects depends on how it combines them.",
    symmetric=True,
    size=3.0,
)
plt.show()

# %% [markdown]
# ## 6. Local connectivity and parameter sharing
#
# Think of every output value as a **neuron**. Two properties distinguish a convolutional
# layer from a dense one:
#
# - **Local connectivity.** A neuron is connected to a small spatial window of the input,
#   its *receptive field*, but always through the full depth. On a 32x32x3 input with a
#   5x5 receptive field, each neuron has $5 \times 5 \times 3 = 75$ weights; on a
#   16x16x20 input with a 3x3 field, $3 \times 3 \times 20 = 180$. Plus one bias each.
# - **Parameter sharing.** All neurons of one depth slice (one feature map) use the same
#   weights and bias. If a feature is worth detecting at one position, it is worth
#   detecting at every position.
#
# AlexNet's first layer reads a 227x227x3 image with 96 filters of 11x11x3 at stride 4.
# (The AlexNet paper states 224x224 input images, but 224 does not tile with this
# kernel and stride: $(224 - 11)/4 + 1 = 54.25$. With 227 it does, which is why the
# lectures, and most reimplementations, use 227.)

# %%
for size in (224, 227):
    print(f"AlexNet conv1 on {size}x{size}: (W - 11)/4 + 1 = {(size - 11) / 4 + 1}")
assert arithmetic.conv_output_size(227, 11, strides=4, strict=True) == 55

# %% [markdown]
# On the 227x227x3 input:
#
# | quantity | computation | value |
# |---|---|---|
# | output volume | $(227 - 11)/4 + 1 = 55$ | 55 x 55 x 96 |
# | weights per neuron (with bias) | $11 \times 11 \times 3 + 1$ | 364 |
# | neurons | $55 \times 55 \times 96$ | 290,400 |
# | connections | $290{,}400 \times 364$ | 105,705,600 |
# | parameters, with sharing | $96 \times 364$ | 34,944 |
#
# Without sharing, every neuron would own its 364 weights: 105,705,600 parameters for this
# layer alone. With sharing there are 96 filters: $96 \times 363 = 34{,}848$ weights plus
# 96 biases.

# %%
alexnet_conv1 = arithmetic.conv_layer_stats((227, 227, 3), filters=96, kernel_size=11, strides=4)
for key, value in alexnet_conv1.items():
    print(f"{key:>20}: {value:,}" if isinstance(value, int) else f"{key:>20}: {value}")

layer = keras.layers.Conv2D(96, 11, strides=4)
layer.build((None, 227, 227, 3))
assert layer.count_params() == alexnet_conv1["parameters"] == 34_944
assert alexnet_conv1["connections"] == 105_705_600

# %% [markdown]
# The lectures' second example: ten 5x5 filters with stride 1 and 2 zeros of padding on a
# 32x32x3 input. The output is 32x32x10, and the parameter count depends only on the
# filter size, the input depth and the number of filters, never on the image size,
# stride or padding: $(5 \cdot 5 \cdot 3 + 1) \times 10 = 760$.

# %%
small = arithmetic.conv_layer_stats((32, 32, 3), filters=10, kernel_size=5, padding=2)
print(small)
assert small["output_shape"] == (32, 32, 10) and small["parameters"] == 760
for size in (32, 64, 227):
    layer = keras.layers.Conv2D(10, 5, padding="same")
    layer.build((None, size, size, 3))
    assert layer.count_params() == 760

# %% [markdown]
# How big would a dense layer with the same 290,400 outputs be? And for contrast, the
# 1,024-neuron dense layer on a 224x224x3 image from section 1:

# %%
dense_inputs = 227 * 227 * 3
dense_alexnet = dense_inputs * 290_400 + 290_400
dense_1024 = 224 * 224 * 3 * 1024 + 1024
print(
    f"dense, 227x227x3 -> 290,400 units: {dense_alexnet:>17,} parameters "
    f"({dense_alexnet / alexnet_conv1['parameters']:,.0f} times AlexNet conv1)"
)
print(f"dense, 224x224x3 -> 1,024 units:   {dense_1024:>17,} parameters")
print(f"conv,  227x227x3 -> 55x55x96:      {alexnet_conv1['parameters']:>17,} parameters")

# %% [markdown]
# Both properties are visible when a 1-D convolution is written as a matrix. With 8
# inputs and a kernel $(w_1, w_2, w_3)$, the 6 outputs are $y = Wx$ where $W$ is zero
# outside a band (local connectivity) and constant along each diagonal (sharing): 3 free
# parameters instead of the 48 of a dense 6x8 matrix. Notebook 03 uses this view to
# derive the backward pass.

# %%
taps = np.array([1.0, 2.0, 3.0])
banded = np.zeros((6, 8))
for row in range(6):
    banded[row, row : row + 3] = taps
signal_1d = rng.normal(size=8)
assert np.allclose(banded @ signal_1d, np.correlate(signal_1d, taps, mode="valid"))

figure, axis = plt.subplots(figsize=(5, 3.4))
plotting.plot_array(banded, axis, "W for a kernel (1, 2, 3) on 8 inputs")
plotting.add_caption(
    figure,
    "A convolution is a matrix multiplication with a sparse, banded "
    "matrix whose diagonals share one weight each.",
)
plt.show()

# %% [markdown]
# ### Exercise 1.3
#
# Write `conv_layer_stats(input_shape, filters, kernel_size, strides=1, padding=0)` for an
# input of shape `(height, width, channels)`. `kernel_size` and `strides` are an int or a
# `(height, width)` pair; `padding` is as in Exercise 1.1. Return a `dict` with
#
# - `"output_shape"`: a tuple `(out_height, out_width, filters)`;
# - `"weights_per_neuron"`: the neuron's weights **including its bias**;
# - `"neurons"`, `"connections"` (neurons x weights per neuron) and `"parameters"`
#   (with parameter sharing), all ints.
#
# You may call `arithmetic.conv_output_size` (or your own version) for the sizes.


# %%
def conv_layer_stats(input_shape, filters, kernel_size, strides=1, padding=0):
    ### BEGIN SOLUTION
    height, width, channels = input_shape
    kernel_h, kernel_w = (kernel_size, kernel_size) if isinstance(kernel_size, int) else kernel_size
    stride_h, stride_w = (strides, strides) if isinstance(strides, int) else strides
    output_shape = (
        arithmetic.conv_output_size(height, kernel_h, stride_h, padding),
        arithmetic.conv_output_size(width, kernel_w, stride_w, padding),
        filters,
    )
    weights_per_neuron = kernel_h * kernel_w * channels + 1
    neurons = output_shape[0] * output_shape[1] * filters
    return {
        "output_shape": output_shape,
        "weights_per_neuron": weights_per_neuron,
        "neurons": neurons,
        "connections": neurons * weights_per_neuron,
        "parameters": filters * weights_per_neuron,
    }
    ### END SOLUTION


# %%
check("01.3", conv_layer_stats)

# %% [markdown]
# ### Exercise 1.4
#
# A dense layer with the same 290,400 outputs as AlexNet's first convolutional layer
# would need about $4.5 \times 10^{10}$ parameters instead of 34,944. Name the two
# properties of convolutional layers responsible for the difference, say how much each
# one saves in this layer, and explain why each is a reasonable assumption for images.
# (A few sentences.)

# %% [markdown]
# ### BEGIN SOLUTION
# *Local connectivity*: each neuron sees an 11x11x3 window (363 inputs) instead of all
# 154,587 input values, a factor of about 426 per neuron; the 290,400 neurons then have
# 105,705,600 weights (with biases) instead of about $4.5 \times 10^{10}$. *Parameter
# sharing*: the 3,025 neurons of each depth slice use one filter, so only
# $96 \times 364 = 34{,}944$ of those 105,705,600 weights are distinct, another factor of
# 3,025. Both suit images: useful features (edges, corners, textures) are local, so a
# small window is enough to detect them, and the statistics of images are the same
# everywhere, so a detector useful at one position is useful at every position (which
# also makes the layer translation equivariant).
# ### END SOLUTION

# %% [markdown]
# ## 7. 1x1 convolutions and bottlenecks
#
# A 1x1 convolution looks at one pixel but through the whole depth: every output channel
# is a linear combination of the input channels at the same position. It leaves the
# spatial size unchanged and changes the number of feature maps; it is the dense layer
# applied at every pixel, as this check shows:

# %%
volume = rng.normal(size=(1, 6, 6, 64))
mixing = rng.normal(size=(1, 1, 64, 16))
assert np.allclose(scratch.conv2d(volume, mixing), volume @ mixing[0, 0])
print(volume.shape, "-> 1x1 conv with 16 filters ->", scratch.conv2d(volume, mixing).shape)

# %% [markdown]
# Its main use is as a **bottleneck**: reduce the number of feature maps before an
# expensive 3x3 convolution and expand it again afterwards, as GoogLeNet and ResNet do.
# On a 56x56x256 volume:


# %%
def parameters(input_shape, filters, kernel_size):
    return arithmetic.conv_layer_stats(input_shape, filters, kernel_size, padding="same")[
        "parameters"
    ]


direct = parameters((56, 56, 256), 256, 3)
bottleneck = [
    ("1x1, 256 -> 64", parameters((56, 56, 256), 64, 1)),
    ("3x3,  64 -> 64", parameters((56, 56, 64), 64, 3)),
    ("1x1,  64 -> 256", parameters((56, 56, 64), 256, 1)),
]
for name, count in bottleneck:
    print(f"  {name}: {count:>8,}")
total = sum(count for _, count in bottleneck)
print(
    f"bottleneck total: {total:,} parameters; one 3x3 conv 256 -> 256: {direct:,} "
    f"({direct / total:.1f} times more)"
)
assert (direct, total) == (590_080, 70_016)

# %% [markdown]
# ## 8. Receptive fields of stacked layers
#
# A neuron in the second layer sees a window of first-layer neurons, each of which sees a
# window of the input, so deeper neurons see more of the image. Going up a stack, each
# layer with kernel span $F_l$ widens the field by $(F_l - 1)$ times the product of the
# strides *below* it:
#
# $$r_L = 1 + \sum_{l=1}^{L} (F_l - 1) \prod_{i < l} S_i .$$
#
# Three stacked 3x3 convolutions (stride 1) see a 7x7 window, like one 7x7 convolution.
# With $C$ channels in and out they need $3 \times (3 \cdot 3 \cdot C \cdot C) = 27C^2$
# weights against $49C^2$, and put three non-linearities where there was one: this is
# why VGG uses only 3x3 kernels. Strides and dilation make fields grow much faster.

# %%
print("three 3x3:", arithmetic.receptive_field([(3, 1)] * 3))
print("AlexNet conv1 + pool1:", arithmetic.receptive_field([(11, 4), (3, 2)]))
alexnet_features = [(11, 4), (3, 2), (5, 1), (3, 2), (3, 1), (3, 1), (3, 1), (3, 2)]
print("AlexNet, all conv and pooling layers:", arithmetic.receptive_field(alexnet_features))
channels = 64
print(
    f"C = {channels}: three 3x3 layers {27 * channels**2:,} weights, "
    f"one 7x7 layer {49 * channels**2:,} weights"
)

# %% [markdown]
# The formula can be checked without trusting it: send an impulse into each input
# position of a 1-D stack (all-ones kernels, no non-linearity) and record which ones
# reach the first output unit.


# %%
def influence(layers, length=48):
    """Input positions whose impulse changes output unit 0 of a stack of 1-D convolutions."""
    reached = []
    for position in range(length):
        signal_in = np.zeros((1, length, 1, 1))
        signal_in[0, position] = 1.0
        for kernel_size, strides, *dilation in layers:
            rate = dilation[0] if dilation else 1
            signal_in = scratch.conv2d(
                signal_in,
                np.ones((kernel_size, 1, 1, 1)),
                strides=(strides, 1),
                dilation_rate=(rate, 1),
            )
        reached.append(signal_in[0, 0, 0, 0] != 0)
    return np.flatnonzero(reached)


stacks = {
    "three 3x3": [(3, 1)] * 3,
    "3x3 stride 2, 3x3, 3x3": [(3, 2), (3, 1), (3, 1)],
    "3x3 with dilation 1, 2, 4": [(3, 1, 1), (3, 1, 2), (3, 1, 4)],
}
for name, layers in stacks.items():
    positions = influence(layers)
    assert positions.max() - positions.min() + 1 == arithmetic.receptive_field(layers)
    print(
        f"{name:>28}: inputs {positions.min()}..{positions.max()} "
        f"-> receptive field {arithmetic.receptive_field(layers)}"
    )

# %%
depths = np.arange(1, 11)
designs = {
    "3x3, stride 1": lambda depth: [(3, 1)] * depth,
    "3x3, stride 2 every other layer": lambda depth: [(3, 1 + i % 2) for i in range(depth)],
    "3x3, dilation 1, 2, 4, ...": lambda depth: [(3, 1, 2**i) for i in range(depth)],
}
figure, axis = plt.subplots(figsize=(6, 3.5))
for name, design in designs.items():
    axis.plot(depths, [arithmetic.receptive_field(design(d)) for d in depths], "o-", label=name)
axis.set(xlabel="layers", ylabel="receptive field (pixels)", yscale="log")
axis.legend()
plotting.add_caption(
    figure,
    "Stacked 3x3 layers grow the receptive field linearly; strides "
    "and exponentially growing dilation make it grow exponentially.",
)
plt.show()

# %% [markdown]
# ### Exercise 1.5
#
# Write `receptive_field(layers)` where `layers` lists the layers from the input up, each
# as `(kernel_size, strides)` or `(kernel_size, strides, dilation_rate)`. Return the
# receptive field (along one axis) of a unit of the last layer, as an `int`; an empty
# stack has a receptive field of 1.


# %%
def receptive_field(layers):
    ### BEGIN SOLUTION
    size, jump = 1, 1
    for layer in layers:
        kernel_size, strides = layer[0], layer[1]
        dilation_rate = layer[2] if len(layer) == 3 else 1
        size += (kernel_size - 1) * dilation_rate * jump
        jump *= strides
    return size
    ### END SOLUTION


# %%
check("01.5", receptive_field)

# %% [markdown]
# ### Exercise 1.6
#
# Compare a stack of three 3x3 convolutional layers (stride 1, ReLU after each) with a
# single 7x7 layer, both with $C$ input and $C$ output channels: their receptive fields,
# their number of weights, what they can represent, and one cost of the stack.

# %% [markdown]
# ### BEGIN SOLUTION
# Both see a 7x7 window of the input: $1 + 3 \times (3 - 1) = 7$. The stack has
# $3 \times 9C^2 = 27C^2$ weights against $49C^2$ (45% fewer), and as many fewer
# multiply-adds per output position. It applies three ReLUs instead of one, so it can
# represent more complex, non-linear functions of the same window, and it acts like a
# 7x7 filter factorised into smaller ones, a form of regularisation. The cost: three
# layers of activations to store for backpropagation (more memory) and a deeper network
# that is harder to optimise.
# ### END SOLUTION

# %% [markdown]
# ## 9. Translation equivariance
#
# A function $f$ is **equivariant** to a transformation $T$ if transforming the input
# transforms the output the same way: $f(T(x)) = T(f(x))$. Because the same weights are
# used at every position, convolution is equivariant to translations: shift the
# photograph and the feature map shifts with it. Only the borders differ, where zeros
# enter the window.


# %%
def shift(image, rows, cols):
    """Moves an image down and right, filling the gap with zeros."""
    moved = np.zeros_like(image)
    moved[rows:, cols:] = image[: image.shape[0] - rows, : image.shape[1] - cols]
    return moved


sobel_x = bank[:, :, 0]
dy, dx = 12, 20
response_of_shifted = correlate(shift(photo, dy, dx), sobel_x)
shifted_response = shift(correlate(photo, sobel_x), dy, dx)
interior = (slice(dy + 2, None), slice(dx + 2, None))
print(
    "largest difference away from the border:",
    np.max(np.abs(response_of_shifted[interior] - shifted_response[interior])),
)
assert np.allclose(response_of_shifted[interior], shifted_response[interior], atol=1e-6)

plotting.show_images(
    [correlate(photo, sobel_x), response_of_shifted, response_of_shifted - shifted_response],
    titles=["f(x)", f"f(shift(x)) by ({dy}, {dx})", "f(shift(x)) - shift(f(x))"],
    caption="Filtering a shifted photograph gives the shifted feature map: the difference is "
    "zero everywhere except along the new border.",
    symmetric=True,
    size=3.0,
)
plt.show()

# %% [markdown]
# Convolution is **not** equivariant to rotation: a vertical-edge detector applied to a
# rotated photograph does not give the rotated edge map (it finds the photo's horizontal
# edges instead). Networks learn rotated copies of their filters when they need them, or
# get rotated training images (data augmentation, notebook 04). Strides also weaken
# equivariance: with stride 2, a one-pixel shift of the input is not a shift of the
# output (notebook 02).

# %%
rotated_response = correlate(np.rot90(photo), sobel_x)
rotated_map = np.rot90(correlate(photo, sobel_x))
print("rotation, largest difference:", np.max(np.abs(rotated_response - rotated_map)))
assert not np.allclose(rotated_response, rotated_map, atol=1e-2)

# %% [markdown]
# ## Summary
#
# - Deep learning "convolution" is cross-correlation; a true convolution flips the kernel.
# - Output size: $\lfloor (W - F + 2P)/S \rfloor + 1$ with $F = (k-1)d + 1$; windows that
#   do not tile lose the rest of the input (224 does not tile AlexNet's conv1, 227 does);
#   `"same"` gives $\lceil W/S \rceil$ with any odd padding placed at the end, `"full"`
#   pads $F - 1$ and makes the output larger than the input.
# - Local connectivity and parameter sharing take AlexNet's first layer from 105,705,600
#   to 34,944 parameters; parameters depend on kernel size, input depth and filters only.
# - 1x1 convolutions mix channels; as bottlenecks they cut a 3x3 block's parameters about
#   eightfold.
# - Receptive fields grow by $(F_l - 1)\prod_{i<l} S_i$ per layer: three 3x3 layers see
#   7x7 with $27C^2$ instead of $49C^2$ weights.
# - Convolution is equivariant to translation, not to rotation.
#
# **Next:** notebook 02 downsamples with strides and pooling.
