# %% [markdown]
# # Backpropagation in CNNs
#
# *How gradients flow backwards through ReLU, pooling and convolutional layers, and how
# to check them.*
#
# **After this notebook you can**
# - write the backward pass of ReLU, max pooling, average pooling and convolution in
#   NumPy, and match TensorFlow's gradients to round-off;
# - explain why the gradient of a convolutional layer with respect to its input is the
#   upstream gradient, padded with $k - 1$ zeros, cross-correlated with the kernel rotated
#   by 180°, and why the kernel's gradient sums over every position;
# - write a convolution as a sparse matrix with tied weights, and as `im2col`;
# - check any gradient with centred differences and the relative error, and know when
#   the check itself misleads;
# - compare naive loops, `im2col` and Keras for speed.
#
# **Time:** about 2 hours. **Accelerator:** none; everything runs on a CPU in seconds.
#
# [![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)](https://colab.research.google.com/github/cnn-course/cnn-course/blob/main/notebooks/03_backprop_in_cnns.ipynb) [![Binder](https://mybinder.org/badge_logo.svg)](https://mybinder.org/v2/gh/cnn-course/cnn-course/main?urlpath=lab/tree/notebooks/03_backprop_in_cnns.ipynb)

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
import tensorflow as tf
from scipy import signal

from coursekit import check, plotting, scratch
from coursekit.scratch.windows import extract_windows, padding_amounts, scatter_windows

rng = np.random.default_rng(0)

# %% [markdown]
# **Your functions and the course's.** Each exercise asks for a function that
# `coursekit.scratch` also provides. The cells after an exercise use the course's
# version, not yours, so *Run All* works while an exercise is still blank, and a slip in
# your answer does not spread to later cells.
#
# ## 1. What a backward pass computes
#
# Training needs the gradient of a scalar loss $L$ with respect to every weight.
# Backpropagation gets it layer by layer, from the loss down to the input. A layer
# $y = f(x; w)$ receives the **upstream gradient** $G = \partial L / \partial y$, an array
# shaped like its output, and returns
#
# - $\partial L / \partial x$, shaped like its input, which it passes on to the layer
#   below, and
# - $\partial L / \partial w$ for its own weights, which the optimiser uses.
#
# By the chain rule, $\partial L / \partial x_k = \sum_m G_m \, \partial y_m / \partial
# x_k$: every output that $x_k$ influenced contributes, weighted by how much it
# influenced it. A layer never needs to know what comes after it; $G$ says everything.
#
# A convenient consequence: for any fixed array $G$, the gradient of
# $L = \sum_m y_m G_m$ with respect to $y$ is exactly $G$. So "the backward pass for
# upstream gradient $G$" is the gradient of $\sum y \cdot G$, which is what
# `tf.GradientTape` computes when given `output_gradients=G`. Every result in this
# notebook is checked against it on the same inputs.


# %%
def tf_gradients(function, arrays, grad_output):
    """TensorFlow's gradients of sum(function(*arrays) * grad_output), one per array."""
    tensors = [tf.constant(array) for array in arrays]
    with tf.GradientTape() as tape:
        tape.watch(tensors)
        output = function(*tensors)
    grads = tape.gradient(output, tensors, output_gradients=tf.constant(grad_output))
    return [grad.numpy() for grad in grads]


def largest_difference(computed, expected):
    return max(float(np.max(np.abs(a - b))) for a, b in zip(computed, expected, strict=True))


# %% [markdown]
# ## 2. ReLU
#
# $\text{ReLU}(x) = \max(0, x)$ has derivative 1 for $x > 0$ and 0 for $x < 0$ (at
# $x = 0$ it has none; TensorFlow uses 0). So its backward pass is a gate: the upstream
# gradient passes unchanged where the input was positive and is blocked elsewhere,
#
# $$\frac{\partial L}{\partial x} = G \odot [x > 0].$$
#
# **Why it helps.** The sigmoid's derivative is at most 0.25 and the tanh's falls towards
# 0 as soon as $|x|$ exceeds 2 or 3: they **saturate**. A gradient that crosses ten
# saturating layers is multiplied by ten such small factors and all but vanishes. ReLU's
# derivative is exactly 1 wherever the unit is active, so gradients cross active units
# undiminished. It is also cheap, a comparison; in the AlexNet paper, a small CNN with
# ReLUs reached 25% training error on CIFAR-10 six times faster than with tanh.

# %%
z = np.linspace(-5, 5, 401)
sigmoid = 1 / (1 + np.exp(-z))
curves = {
    "sigmoid": (sigmoid, sigmoid * (1 - sigmoid)),
    "tanh": (np.tanh(z), 1 - np.tanh(z) ** 2),
    "ReLU": (scratch.relu(z), (z > 0).astype(float)),
}
figure, (left, right) = plt.subplots(1, 2, figsize=(8.4, 3.2))
for name, (value, slope) in curves.items():
    left.plot(z, value, label=name)
    right.plot(z, slope, label=name)
left.set(title="activation", xlabel="x", ylim=(-1.2, 2.5))
right.set(title="derivative", xlabel="x")
left.legend()
plotting.add_caption(
    figure,
    "Sigmoid and tanh flatten out on both sides, so their derivatives vanish; ReLU's "
    "derivative is 1 for every positive input.",
)
plt.show()

print(f"sigmoid: at best 0.25 per layer, over 10 layers {0.25**10:.1e}")
print(
    f"tanh at x = 3: {1 - np.tanh(3) ** 2:.4f} per layer, over 10 layers "
    f"{(1 - np.tanh(3) ** 2) ** 10:.1e}"
)
print("ReLU, active unit: 1 per layer, over 10 layers 1")

# %% [markdown]
# **Dying ReLU.** The gate has a downside. A unit whose pre-activation is negative for
# *every* input (say, after a large update pushed its bias far below zero) outputs 0
# and passes no gradient, for its weights and bias included, so gradient descent cannot
# move it back through its own parameters: the unit is dead. It stays dead as long as
# its inputs keep the pre-activation negative; only a change in the layers below it can,
# occasionally, bring some inputs back into its active range. Here is a 3x3
# convolutional unit on a batch of random inputs, with a healthy bias and with a bias of
# -10:

# %%
batch = rng.normal(size=(32, 12, 12, 3))
weights = rng.normal(scale=0.3, size=(3, 3, 3, 1))
for bias in (0.0, -10.0):
    pre_activation = scratch.conv2d(batch, weights, np.array([bias]))
    upstream = np.ones_like(pre_activation)
    _, grad_weights, grad_bias = scratch.conv2d_backward(
        scratch.relu_backward(upstream, pre_activation), batch, weights
    )
    active = np.mean(pre_activation > 0)
    print(
        f"bias {bias:5.1f}: active at {active:6.1%} of positions, "
        f"|grad weights| = {np.abs(grad_weights).sum():8.2f}, grad bias = {grad_bias[0]:.1f}"
    )
assert (
    active == 0 and not grad_weights.any() and grad_bias[0] == 0
)  # the loop's last unit, bias -10

# %% [markdown]
# With the bias at -10 the unit is never active on this batch and its gradients are
# exactly zero.
# Leaky ReLU, $\max(0.01x, x)$, keeps a small slope for negative inputs so that such a
# unit still receives a gradient; careful initialisation and moderate learning rates
# make dead units rare in the first place.

# %% [markdown]
# ### Exercise 3.1
#
# Write `relu_backward(grad_output, x)` returning $\partial L / \partial x$ for
# `relu(x)`, given the upstream gradient `grad_output` (a float NumPy array of the same
# shape as `x`, any number of dimensions). Use derivative 0 at `x == 0`, as TensorFlow
# does. Return a new float array shaped like `x`, and leave both inputs unchanged.


# %%
def relu_backward(grad_output, x):
    ### BEGIN SOLUTION
    return np.where(x > 0, grad_output, 0.0)
    ### END SOLUTION


# %%
check("03.1", relu_backward)

# %%
x = rng.integers(-2, 3, size=(2, 5, 5, 3)).astype(float)  # many exact zeros
upstream = rng.normal(size=x.shape)
(expected,) = tf_gradients(tf.nn.relu, [x], upstream)
print(
    "ReLU backward vs TensorFlow, largest difference:",
    largest_difference([scratch.relu_backward(upstream, x)], [expected]),
)
assert np.array_equal(scratch.relu_backward(upstream, x), expected)

# %% [markdown]
# ## 3. Backward through pooling
#
# **Max pooling.** An output is the maximum of its window, so it depends on one input
# only, the one that won: $\partial y / \partial x_k$ is 1 for the winner and 0 for the
# others. The backward pass **routes** each output's gradient to its window's winner and
# sends nothing to the other cells. Two details matter:
#
# - **Overlapping windows accumulate.** A cell that wins several windows (easy with 3x3
#   windows and stride 2) receives the *sum* of their gradients, as the chain rule says:
#   add with `+=`, never overwrite.
# - **Ties.** When a window holds several equal maxima, the derivative is not defined;
#   frameworks pick one. TensorFlow gives the whole gradient to the first maximum in
#   row-major order (top row first, left to right), which is what `np.argmax` finds.
#   (ReLU outputs often contain many equal zeros, so ties are common.)

# %%
feature_map = np.array(
    [
        [1, 0, 2, 0, 1],
        [0, 3, 0, 1, 0],
        [2, 0, 9, 0, 4],
        [0, 1, 0, 2, 0],
        [5, 0, 3, 0, 1],
    ],
    dtype=float,
)[None, :, :, None]
upstream = np.array([[1.0, 2.0], [3.0, 4.0]])[None, :, :, None]
pooled = scratch.max_pool2d(feature_map, 3, strides=2)
routed = scratch.max_pool2d_backward(upstream, feature_map, 3, strides=2)

figure, axes = plt.subplots(1, 4, figsize=(8.4, 2.4), gridspec_kw={"width_ratios": [5, 2, 2, 5]})
plotting.plot_array(feature_map[0, :, :, 0], axes[0], "input", highlight=(0, 2, 3, 3))
plotting.plot_array(pooled[0, :, :, 0], axes[1], "max pooled")
plotting.plot_array(upstream[0, :, :, 0], axes[2], "upstream G")
plotting.plot_array(routed[0, :, :, 0], axes[3], "gradient of the input")
plotting.add_caption(
    figure,
    "The centre 9 wins all four overlapping 3x3, stride-2 windows (one is outlined), so it "
    "receives 1 + 2 + 3 + 4 = 10; every other cell receives nothing.",
)
plt.show()
assert routed[0, 2, 2, 0] == 10 and np.count_nonzero(routed) == 1

# %% [markdown]
# ### Exercise 3.2
#
# Write `max_pool2d_backward(grad_output, x, pool_size, strides=None, padding="valid")`
# returning $\partial L / \partial x$ for `max_pool2d(x, pool_size, strides, padding)`
# (same arguments as in notebook 02; `grad_output` has the pooled shape). Route each
# output's gradient to the first maximum of its window in row-major order, accumulate
# where windows overlap, and send nothing to padded cells. Loops are fine. Return a new
# float array shaped like `x`.


# %%
def max_pool2d_backward(grad_output, x, pool_size, strides=None, padding="valid"):
    ### BEGIN SOLUTION
    pool_h, pool_w = (pool_size, pool_size) if isinstance(pool_size, int) else pool_size
    if strides is None:
        strides = (pool_h, pool_w)
    stride_h, stride_w = (strides, strides) if isinstance(strides, int) else strides
    pad_h = padding_amounts(x.shape[1], pool_h, stride_h, padding)
    pad_w = padding_amounts(x.shape[2], pool_w, stride_w, padding)
    padded = np.pad(x, ((0, 0), pad_h, pad_w, (0, 0)), constant_values=-np.inf)
    grad_padded = np.zeros(padded.shape)
    batch, out_h, out_w, channels = grad_output.shape
    for n in range(batch):
        for c in range(channels):
            for i in range(out_h):
                for j in range(out_w):
                    top, left = i * stride_h, j * stride_w
                    window = padded[n, top : top + pool_h, left : left + pool_w, c]
                    row, col = divmod(int(np.argmax(window)), pool_w)
                    grad_padded[n, top + row, left + col, c] += grad_output[n, i, j, c]
    return grad_padded[:, pad_h[0] : pad_h[0] + x.shape[1], pad_w[0] : pad_w[0] + x.shape[2]]
    ### END SOLUTION


# %%
check("03.2", max_pool2d_backward)

# %% [markdown]
# `scratch.max_pool2d_backward` does the same without loops over pixels: it finds every
# window's winner at once with `argmax`, then adds the routed gradients back onto the
# input with `scatter_windows`, one vectorised addition per window offset. On a batch of
# small integers (plenty of ties), overlapping windows and `"same"` padding it matches
# TensorFlow, up to the order in which overlapping contributions are added:

# %%
x = rng.integers(-2, 2, size=(2, 7, 6, 3)).astype(float)
for pool_size, strides, padding in [
    (2, None, "valid"),
    (3, 2, "valid"),
    (3, 2, "same"),
    (2, 1, "same"),
]:
    layer = keras.layers.MaxPooling2D(pool_size, strides, padding, dtype="float64")
    upstream = rng.normal(size=layer.compute_output_shape(x.shape))
    (expected,) = tf_gradients(layer, [x], upstream)
    reference = scratch.max_pool2d_backward(upstream, x, pool_size, strides, padding)
    print(
        f"pool {pool_size}, strides {strides!s:>4}, {padding!r:7}: largest difference "
        f"{largest_difference([reference], [expected]):.1e}"
    )
    assert np.allclose(reference, expected, rtol=1e-12, atol=1e-14)

# %% [markdown]
# **Average pooling** depends on every real cell of its window equally: each receives
# $1/\text{cells}$ of the window's gradient, and overlapping windows add up again. The
# gradient is spread instead of routed:

# %%
spread = scratch.avg_pool2d_backward(np.full((1, 2, 2, 1), 9.0), feature_map, 3, strides=2)
figure, axis = plt.subplots(figsize=(3.6, 3.4))
plotting.plot_array(spread[0, :, :, 0], axis, "gradient of the input")
plotting.add_caption(
    figure,
    "Average pooling (3x3, stride 2) with an upstream gradient of 9 everywhere: each cell "
    "gets 1 per window it belongs to.",
)
plt.show()

x = rng.normal(size=(2, 7, 6, 3))
layer = keras.layers.AveragePooling2D(3, strides=2, padding="same", dtype="float64")
upstream = rng.normal(size=layer.compute_output_shape(x.shape))
(expected,) = tf_gradients(layer, [x], upstream)
reference = scratch.avg_pool2d_backward(upstream, x, 3, strides=2, padding="same")
print(
    "average pooling backward vs TensorFlow:", f"{largest_difference([reference], [expected]):.1e}"
)
assert np.allclose(reference, expected, rtol=1e-12, atol=1e-14)

# %% [markdown]
# ## 4. Backward through a convolution
#
# **One convention.** In this notebook, as in Keras and every other framework, a
# convolutional layer computes a **cross-correlation** (no flip). When we mean the
# flipped operation of signal processing, we say **true convolution**.
#
# ### In one dimension
#
# Take a convolutional layer in 1-D: $x$ cross-correlated with a kernel
# $w_0, \dots, w_{k-1}$, no padding, stride 1:
# $y_i = b + \sum_u w_u \, x_{i+u}$. Each weight and each input appear in several
# outputs, and the chain rule sums over all of them:
#
# - **bias**: $b$ is added to every output, so $\dfrac{\partial L}{\partial b} =
#   \sum_i G_i$;
# - **weights**: $w_u$ multiplies $x_{i+u}$ in output $i$, for every $i$, so
#   $\dfrac{\partial L}{\partial w_u} = \sum_i G_i \, x_{i+u}$, a cross-correlation of
#   the input with the upstream gradient: the weight's gradient **sums** the
#   contributions of every position where the weight was used (parameter sharing in
#   reverse). Some lecture notes say the shared weights' gradients are *averaged*; the
#   chain rule sums them, and TensorFlow does too (checked below);
# - **inputs**: $x_p$ appears in output $i = p - u$ with weight $w_u$, so
#   $\dfrac{\partial L}{\partial x_p} = \sum_u G_{p-u} \, w_u$, where $G$ is zero outside
#   its range.
#
# In the last sum the index of $G$ goes down as $u$ goes up, so a window sliding along
# $G$ meets the weights in reverse order, and near the ends it hangs over the edge of $G$.
# Stated with the layers' operation, once and exactly:
#
# > **The input gradient of a convolutional layer (stride 1, no padding) is the upstream
# > gradient $G$, padded with $k - 1$ zeros on each side, cross-correlated with the kernel
# > rotated by 180°** ($w_{k-1}, \dots, w_0$ in 1-D; both axes reversed in 2-D).
#
# The same numbers, in signal-processing words: a *true full convolution* of $G$ with the
# unrotated kernel. (Saying "a full convolution with the flipped kernel" mixes the two
# senses and flips twice.)

# %% [markdown]
# ### In two dimensions: the rotated kernel
#
# In 2-D, flipping means reversing both axes: a 3x3 kernel
# $a, b, \dots, i$ becomes $i, h, \dots, a$, a 180-degree rotation. Why: input pixel
# $x_p$ was read by nine outputs. The first of them in scan order (the window starting
# up and to the left of $x_p$) read it with the bottom-right weight $i$, the last (the
# window starting at $x_p$) with the top-left weight $a$. The gradient of $x_p$ collects
# those nine outputs' gradients, which sit in a 3x3 block of $G$ around it, so the
# backward filter that slides over $G$ meets $i$ first and $a$ last.


# %%
def letter_grid(axis, letters, title):
    """Draws a square grid of letters (extra code for the picture)."""
    size = len(letters)
    axis.imshow(np.zeros((size, size)), cmap="Blues", vmin=0, vmax=1)
    for (row, col), letter in np.ndenumerate(np.array(letters)):
        axis.text(col, row, letter, ha="center", va="center", fontsize=14)
    axis.set_xticks(np.arange(-0.5, size), minor=True)
    axis.set_yticks(np.arange(-0.5, size), minor=True)
    axis.grid(which="minor", color="grey")
    axis.tick_params(which="both", length=0, labelbottom=False, labelleft=False)
    axis.set_title(title, fontsize=10)


letters = np.array(list("abcdefghi")).reshape(3, 3)
figure, axes = plt.subplots(1, 2, figsize=(5.5, 2.8))
letter_grid(axes[0], letters, "kernel in the forward pass")
letter_grid(axes[1], letters[::-1, ::-1], "kernel in the backward pass")
plotting.add_caption(figure, "Backpropagating to the input uses the kernel rotated by 180 degrees.")
plt.show()

# %% [markdown]
# ### The lectures' example, in numbers
#
# A 3x3 input, a 2x2 kernel, no padding and stride 1 give a 2x2 output. With an upstream
# gradient $G$, the kernel's gradient is the input cross-correlated with $G$ (a sum over
# the four output positions), and the input's gradient is $G$ padded with one zero
# ($k - 1 = 1$) on each side and cross-correlated with the rotated kernel:

# %%
x_small = np.array([[1.0, 2.0, 0.0], [0.0, 1.0, 3.0], [2.0, 1.0, 1.0]])
w_small = np.array([[1.0, 2.0], [-1.0, 3.0]])
G_small = np.array([[1.0, 2.0], [0.0, -1.0]])
y_small = signal.correlate2d(x_small, w_small, mode="valid")
grad_w_small = signal.correlate2d(x_small, G_small, mode="valid")
rotated = w_small[::-1, ::-1]
grad_x_small = signal.correlate2d(np.pad(G_small, 1), rotated, mode="valid")
autodiff_x, autodiff_w = tf_gradients(
    lambda x, w: tf.nn.conv2d(x, w, 1, "VALID"),
    [x_small[None, :, :, None], w_small[:, :, None, None]],
    G_small[None, :, :, None],
)
print("output y:\n", y_small, "\ndL/dw = x cross-correlated with G:\n", grad_w_small)
print("dL/dx = pad(G, 1) cross-correlated with the rotated kernel:\n", grad_x_small)
assert np.allclose(grad_x_small, autodiff_x[0, :, :, 0])
assert np.allclose(grad_w_small, autodiff_w[:, :, 0, 0])
assert np.allclose(grad_x_small, signal.convolve2d(G_small, w_small, mode="full"))
average = grad_w_small / G_small.size  # what "averaging over the positions" would give
print(
    "TensorFlow's dL/dw is the sum over positions, not the average:", autodiff_w[:, :, 0, 0].ravel()
)
assert not np.allclose(average, autodiff_w[:, :, 0, 0])

figure, axes = plt.subplots(1, 3, figsize=(8.4, 2.8), gridspec_kw={"width_ratios": [4, 2, 3]})
plotting.plot_array(np.pad(G_small, 1), axes[0], "G padded with 1 zero", highlight=(0, 0, 2, 2))
plotting.plot_array(rotated, axes[1], "kernel rotated 180°")
plotting.plot_array(grad_x_small, axes[2], "dL/dx", highlight=(0, 0, 1, 1))
plotting.add_caption(
    figure,
    "The outlined window of the padded upstream gradient, multiplied element by element "
    "with the rotated kernel and summed, gives the outlined input gradient. The corner "
    "pixel was read by one output only, so only G's top-left value reaches it, through "
    "the weight 1.",
)
plt.show()

# %% [markdown]
# A larger check with one channel, stride 1 and no padding. The gradient of the 7x7
# input is computed three ways: the 5x5 upstream gradient padded with 2 zeros and
# cross-correlated with the rotated 3x3 kernel, a true full convolution with the kernel
# (`signal.convolve2d(..., mode="full")`), and autodiff.

# %%
image = rng.normal(size=(7, 7))
kernel = rng.normal(size=(3, 3))
upstream = rng.normal(size=(5, 5))
full_convolution = signal.convolve2d(upstream, kernel, mode="full")
flipped_correlation = signal.correlate2d(np.pad(upstream, 2), kernel[::-1, ::-1], mode="valid")
(autodiff,) = tf_gradients(
    lambda x: tf.nn.conv2d(x, kernel[:, :, None, None], 1, "VALID"),
    [image[None, :, :, None]],
    upstream[None, :, :, None],
)
assert np.allclose(full_convolution, flipped_correlation)
assert np.allclose(flipped_correlation, autodiff[0, :, :, 0])
print("padded G correlated with the rotated kernel = true full convolution = autodiff")

# %% [markdown]
# ### Many channels: regrouping the filters
#
# A layer with 3 input channels (RGB) and 20 filters has a kernel of shape
# `(3, 3, 3, 20)`: 60 spatial 3x3 slices, one per (input channel, filter) pair. Input
# channel $c$ influenced all 20 outputs, through slices $(c, 0), \dots, (c, 19)$. So the
# backward pass is again a convolutional layer, from 20 channels back to 3: its filter
# for channel $c$ stacks the 20 slices $(c, f)$, each flipped. In the HWIO layout that is
# `kernel[::-1, ::-1].transpose(0, 1, 3, 2)`, of shape `(3, 3, 20, 3)`: flip both
# spatial axes and swap the two channel axes.
#
# The weight gradient is a convolution too. Summing over the batch,
# $\partial L / \partial K_{u,v,c,f} = \sum_{n,i,j} x_{n,i+u,j+v,c} \, G_{n,i,j,f}$: a
# cross-correlation of each input channel with each upstream gradient channel. Treat the
# batch axis as the channel axis and `scratch.conv2d` computes all 60 at once.

# %%
x = rng.normal(size=(4, 10, 9, 3))
kernel = rng.normal(size=(3, 3, 3, 20))
bias = rng.normal(size=20)
upstream = rng.normal(size=(4, 8, 7, 20))

backward_kernel = kernel[::-1, ::-1].transpose(0, 1, 3, 2)
grad_x = scratch.conv2d(upstream, backward_kernel, padding="full")
grad_kernel = scratch.conv2d(x.transpose(3, 1, 2, 0), upstream.transpose(1, 2, 0, 3))
grad_kernel = grad_kernel.transpose(1, 2, 0, 3)  # (channels, 3, 3, filters) -> HWIO
grad_bias = upstream.sum(axis=(0, 1, 2))

expected = tf_gradients(
    lambda x, k, b: tf.nn.conv2d(x, k, 1, "VALID") + b, [x, kernel, bias], upstream
)
print(
    "backward kernel",
    backward_kernel.shape,
    "| largest difference from TensorFlow:",
    f"{largest_difference([grad_x, grad_kernel, grad_bias], expected):.1e}",
)
assert largest_difference([grad_x, grad_kernel, grad_bias], expected) < 1e-10

# %% [markdown]
# ### Strides, padding and dilation
#
# - **Stride $s$.** Output $(i, j)$ read the window at $(is, js)$. Going backwards, put
#   $s - 1$ zeros between the upstream gradient's values (so each value sits where its
#   window started), then pad and cross-correlate with the rotated kernel as before.
# - **Padding.** The forward pass read a padded input; the backward pass produces the
#   gradient of the padded input, and the padding's rows and columns are simply cut off.
#   (Any rows the strided windows never reached get zero gradient.)
# - **Dilation $d$.** The rotated kernel keeps its taps $d$ apart: use the same
#   `dilation_rate` in the backward cross-correlation (and pad by the dilated span
#   minus 1).


# %%
def input_gradient_by_convolution(upstream, x_shape, kernel, strides, padding, dilation_rate):
    """grad_x: the spread-out upstream gradient, padded ("full"), correlated with the rotated kernel."""
    batch, out_h, out_w, filters = upstream.shape
    spread = np.zeros((batch, (out_h - 1) * strides + 1, (out_w - 1) * strides + 1, filters))
    spread[:, ::strides, ::strides] = upstream
    backward_kernel = kernel[::-1, ::-1].transpose(0, 1, 3, 2)
    back = scratch.conv2d(spread, backward_kernel, padding="full", dilation_rate=dilation_rate)
    pad_h = padding_amounts(x_shape[1], kernel.shape[0], strides, padding, dilation_rate)
    pad_w = padding_amounts(x_shape[2], kernel.shape[1], strides, padding, dilation_rate)
    padded = np.zeros((batch, x_shape[1] + sum(pad_h), x_shape[2] + sum(pad_w), kernel.shape[2]))
    padded[:, : back.shape[1], : back.shape[2]] = back  # rows never reached stay zero
    return padded[:, pad_h[0] : pad_h[0] + x_shape[1], pad_w[0] : pad_w[0] + x_shape[2]]


x = rng.normal(size=(2, 9, 8, 3))
kernel = rng.normal(size=(3, 3, 3, 4))
for strides, padding, dilation_rate in [
    (2, "valid", 1),
    (2, "same", 1),
    (3, "same", 1),
    (1, "same", 2),
]:
    layer = keras.layers.Conv2D(
        4,
        3,
        strides=strides,
        padding=padding,
        dilation_rate=dilation_rate,
        use_bias=False,
        dtype="float64",
    )
    layer.build(x.shape)
    layer.set_weights([kernel])
    upstream = rng.normal(size=layer.compute_output_shape(x.shape))
    (expected,) = tf_gradients(layer, [x], upstream)
    by_convolution = input_gradient_by_convolution(
        upstream, x.shape, kernel, strides, padding, dilation_rate
    )
    print(
        f"strides {strides}, {padding!r:7}, dilation {dilation_rate}: largest difference "
        f"{largest_difference([by_convolution], [expected]):.1e}"
    )
    assert np.allclose(by_convolution, expected, atol=1e-12)

# %% [markdown]
# ### Exercise 3.3
#
# Write `conv2d_backward(grad_output, x, kernel, strides=1, padding="valid",
# dilation_rate=1)` for `y = conv2d(x, kernel, bias, strides, padding, dilation_rate)`,
# returning the tuple `(grad_x, grad_kernel, grad_bias)` of float NumPy arrays shaped like
# `x`, `kernel` and the bias, `(filters,)`. `x` is NHWC, `kernel` HWIO, `grad_output` has
# the output's shape; `strides` and `dilation_rate` are ints; `padding` is `"valid"` or
# `"same"`.
#
# A direct way: loop over the kernel taps $(u, v)$. Tap $(u, v)$ of every window reads
# the slice `x_pad[:, u*d : u*d + s*(Ho-1) + 1 : s, v*d : v*d + s*(Wo-1) + 1 : s, :]`
# (shape `(N, Ho, Wo, C)`), so its weights' gradient is that slice contracted with
# `grad_output` over `(n, i, j)`, and the same slice of `grad_x_pad` receives
# `grad_output @ kernel[u, v].T`, added (`+=`), since neighbouring taps overlap. Cut the
# padding off at the end.


# %%
def conv2d_backward(grad_output, x, kernel, strides=1, padding="valid", dilation_rate=1):
    ### BEGIN SOLUTION
    kernel_h, kernel_w = kernel.shape[:2]
    pad_h = padding_amounts(x.shape[1], kernel_h, strides, padding, dilation_rate)
    pad_w = padding_amounts(x.shape[2], kernel_w, strides, padding, dilation_rate)
    padded = np.pad(x, ((0, 0), pad_h, pad_w, (0, 0)))
    grad_padded = np.zeros(padded.shape)
    grad_kernel = np.zeros(kernel.shape)
    out_h, out_w = grad_output.shape[1:3]
    for u in range(kernel_h):
        for v in range(kernel_w):
            rows = slice(u * dilation_rate, u * dilation_rate + (out_h - 1) * strides + 1, strides)
            cols = slice(v * dilation_rate, v * dilation_rate + (out_w - 1) * strides + 1, strides)
            grad_kernel[u, v] = np.einsum("nijc,nijf->cf", padded[:, rows, cols], grad_output)
            grad_padded[:, rows, cols] += grad_output @ kernel[u, v].T
    grad_x = grad_padded[:, pad_h[0] : pad_h[0] + x.shape[1], pad_w[0] : pad_w[0] + x.shape[2]]
    grad_bias = grad_output.sum(axis=(0, 1, 2))
    return grad_x, grad_kernel, grad_bias
    ### END SOLUTION


# %%
check("03.3", conv2d_backward)

# %% [markdown]
# `scratch.conv2d_backward` matches TensorFlow on every combination of stride, padding
# and dilation (TensorFlow's CPU gradient refuses a dilation above 1, so the check spells
# the dilated kernel out with zeros between its taps; the weights' gradient is then read
# at the taps):

# %%
x = rng.normal(size=(2, 8, 7, 3))
kernel = rng.normal(size=(3, 2, 3, 4))
bias = rng.normal(size=4)
worst = 0.0
for strides in (1, 2, 3):
    for padding in ("valid", "same"):
        for dilation_rate in (1, 2):
            spread_kernel = np.zeros(
                ((3 - 1) * dilation_rate + 1, (2 - 1) * dilation_rate + 1, 3, 4)
            )
            spread_kernel[::dilation_rate, ::dilation_rate] = kernel
            output = scratch.conv2d(x, kernel, bias, strides, padding, dilation_rate)
            upstream = rng.normal(size=output.shape)
            grad_x, grad_spread, grad_bias = tf_gradients(
                lambda x, k, b, s=strides, p=padding: tf.nn.conv2d(x, k, s, p.upper()) + b,
                [x, spread_kernel, bias],
                upstream,
            )
            expected = [grad_x, grad_spread[::dilation_rate, ::dilation_rate], grad_bias]
            reference = scratch.conv2d_backward(
                upstream, x, kernel, strides, padding, dilation_rate
            )
            worst = max(worst, largest_difference(reference, expected))
print(f"12 settings, largest difference from TensorFlow: {worst:.1e}")
assert worst < 1e-12

# %% [markdown]
# ## 5. Convolution as a matrix
#
# A convolution is a linear function of its input, so it is a matrix product $y = Wx$.
# In 1-D, with 6 inputs and the kernel $(w_0, w_1, w_2) = (1, 2, 3)$, the 4 outputs come
# from a 4x6 matrix that is zero outside a band (**local connectivity**) and constant
# along each diagonal (**parameter sharing**: the tied weights).

# %%
kernel_1d = np.array([1.0, 2.0, 3.0])
W = np.zeros((4, 6))
for row in range(4):
    W[row, row : row + 3] = kernel_1d
signal_1d = rng.normal(size=6)
assert np.allclose(W @ signal_1d, np.correlate(signal_1d, kernel_1d, mode="valid"))

figure, axes = plt.subplots(1, 2, figsize=(8, 3.6), gridspec_kw={"width_ratios": [6, 4]})
plotting.plot_array(W, axes[0], "W (forward)")
plotting.plot_array(W.T, axes[1], "W transposed (backward)")
plotting.add_caption(
    figure,
    "Read along a row, W holds the kernel 1, 2, 3; the rows of its transpose hold the "
    "flipped kernel 3, 2, 1, cut off at the ends, as when the zero-padded G is "
    "cross-correlated with it.",
)
plt.show()

# %% [markdown]
# For $y = Wx$ the backward pass is $\partial L/\partial x = W^\top G$, the rule for
# any dense layer. The rows of $W^\top$ hold the kernel **reversed**, sliding along
# $G$ and hanging off its ends: exactly $G$ padded with $k - 1$ zeros and
# cross-correlated with the flipped kernel, derived here without any index gymnastics.
#
# The weights: a dense layer's weight gradient is $G x^\top$, one entry per matrix
# element. Here the elements on one diagonal are one shared weight, so its gradient is
# the **sum** of $G x^\top$ along that diagonal, $\sum_i G_i x_{i+u}$, as in section 4.

# %%
upstream_1d = rng.normal(size=4)
grad_input = W.T @ upstream_1d
dense_grad = np.outer(upstream_1d, signal_1d)  # what each entry of W would get
shared_grad = np.array([np.trace(dense_grad, offset=u) for u in range(3)])
assert np.allclose(grad_input, np.correlate(np.pad(upstream_1d, 2), kernel_1d[::-1], "valid"))
assert np.allclose(grad_input, np.convolve(upstream_1d, kernel_1d, mode="full"))
assert np.allclose(shared_grad, np.correlate(signal_1d, upstream_1d, mode="valid"))
print("W^T G = padded G correlated with the flipped kernel:", grad_input.round(3))
print("gradient of the three shared weights:               ", shared_grad.round(3))

# %% [markdown]
# The matrix view explains the backward pass but is no way to compute it: for a 32x32
# single-channel image and a 3x3 kernel, $W$ has $900 \times 1{,}024 = 921{,}600$ entries
# of which 8,100 (0.9%) are non-zero, and only 9 distinct. Practical code uses
# **`im2col`** instead: copy every window into one row of a matrix $X_{\text{col}}$
# (positions x window values), so that the convolution is a single dense product with
# the kernel reshaped to a matrix, $Y = X_{\text{col}} K$. Then
#
# - $\partial L/\partial K = X_{\text{col}}^\top G$, one matrix product;
# - $\partial L/\partial X_{\text{col}} = G K^\top$, then **`col2im`** adds each row
#   back onto the pixels its window came from (overlapping windows add up).
#
# In coursekit, `extract_windows` is `im2col` (as a view, without copying) and
# `scatter_windows` is `col2im`; `scratch.conv2d` and `scratch.conv2d_backward` are built
# exactly like this:

# %%
print(
    f"32x32 image, 3x3 kernel: {30 * 30 * 9:,} non-zeros in a {30 * 30} x {32 * 32} matrix "
    f"({30 * 30 * 9 / (900 * 1024):.2%})"
)

x = rng.normal(size=(2, 9, 9, 3))
kernel = rng.normal(size=(3, 3, 3, 4))
windows = extract_windows(x, 3, strides=2)  # (2, 4, 4, 3, 3, 3): im2col, as a view
X_col = windows.reshape(-1, 3 * 3 * 3)  # 32 positions x 27 window values
K = kernel.transpose(2, 0, 1, 3).reshape(27, 4)  # the same (c, u, v) order as the windows
Y = (X_col @ K).reshape(2, 4, 4, 4)
assert np.allclose(Y, scratch.conv2d(x, kernel, strides=2))

G = rng.normal(size=Y.shape)
grad_K = X_col.T @ G.reshape(-1, 4)
grad_X_col = G.reshape(-1, 4) @ K.T
grad_x = scatter_windows(grad_X_col.reshape(windows.shape), x.shape, 3, strides=2)
reference = scratch.conv2d_backward(G, x, kernel, strides=2)
assert np.allclose(grad_K.reshape(3, 3, 3, 4).transpose(1, 2, 0, 3), reference[1])
assert np.allclose(grad_x, reference[0])
print("im2col forward and backward agree with scratch.conv2d / conv2d_backward")

# %% [markdown]
# ## 6. Gradient checking
#
# A backward pass is easy to get subtly wrong, and a wrong gradient still trains, just
# worse. The standard test compares it with a **numerical gradient**, computed from the
# forward pass alone. For each element $x_k$, the centred difference
#
# $$\frac{\partial f}{\partial x_k} \approx \frac{f(x + h e_k) - f(x - h e_k)}{2h}$$
#
# has an error proportional to $h^2$, against $h$ for the one-sided
# $(f(x + h e_k) - f(x))/h$: with $h = 10^{-5}$, about $10^{-10}$ instead of $10^{-5}$.
# Compare the two gradients with the **relative error**
#
# $$\text{rel}(a, b) = \max_k \frac{|a_k - b_k|}{\max(10^{-8},\ |a_k| + |b_k|)},$$
#
# which does not depend on the scale of the gradients. In float64, a correct gradient
# usually gives $10^{-7}$ or less; $10^{-4}$ or more is usually a bug.

# %% [markdown]
# ### Exercise 3.4
#
# Write `numerical_gradient(f, x, h=1e-5)` returning the centred-difference estimate of
# the gradient of the scalar function `f` at `x`, as a float64 array shaped like `x` (of
# any number of dimensions). Move one element at a time, and leave `x` exactly as you
# found it: work on a copy, or save and restore each element.


# %%
def numerical_gradient(f, x, h=1e-5):
    ### BEGIN SOLUTION
    x = x.astype(np.float64)  # a copy
    grad = np.zeros(x.shape)
    iterator = np.nditer(x, flags=["multi_index"])
    for _ in iterator:
        index = iterator.multi_index
        original = x[index]
        x[index] = original + h
        above = f(x)
        x[index] = original - h
        below = f(x)
        x[index] = original
        grad[index] = (above - below) / (2 * h)
    return grad
    ### END SOLUTION


# %%
check("03.4", numerical_gradient)

# %% [markdown]
# How the error depends on $h$: on a small smooth loss (a convolution followed by tanh)
# with a known gradient, the centred difference gets down to a few $10^{-9}$ while the
# one-sided one stops near $10^{-6}$. (The relative error is a maximum over all
# elements, so the smallest gradients, whose relative error is largest, set it.) Below
# some $h$ both get *worse*: $f(x + h)$ and $f(x - h)$ agree in more and more digits, and
# the rounding error of their difference, divided by $h$, grows like $1/h$.

# %%
x = rng.normal(size=(1, 5, 5, 2))
kernel = rng.normal(size=(3, 3, 2, 2))
weights_out = rng.normal(size=(1, 3, 3, 2))


def smooth_loss(x):
    return np.sum(np.tanh(scratch.conv2d(x, kernel)) * weights_out)


pre = scratch.conv2d(x, kernel)
analytic = scratch.conv2d_backward(weights_out * (1 - np.tanh(pre) ** 2), x, kernel)[0]


def one_sided_gradient(f, x, h):
    grad = np.zeros(x.shape)
    for index in np.ndindex(x.shape):
        moved = x.copy()
        moved[index] += h
        grad[index] = (f(moved) - f(x)) / h
    return grad


steps = np.logspace(-1, -11, 21)
centred_errors = [
    scratch.relative_error(analytic, scratch.numerical_gradient(smooth_loss, x, h)) for h in steps
]
one_sided_errors = [
    scratch.relative_error(analytic, one_sided_gradient(smooth_loss, x, h)) for h in steps
]
figure, axis = plt.subplots(figsize=(6, 3.6))
axis.loglog(steps, centred_errors, "o-", label="centred difference")
axis.loglog(steps, one_sided_errors, "s-", label="one-sided difference")
axis.set(xlabel="step h", ylabel="relative error")
axis.invert_xaxis()
axis.legend()
plotting.add_caption(
    figure,
    "As h shrinks, the truncation error falls (like h squared for centred differences) "
    "until floating-point round-off takes over.",
)
plt.show()
assert min(centred_errors) < 1e-8 and min(centred_errors) < min(one_sided_errors) / 50

# %% [markdown]
# Now every backward pass of this notebook, checked numerically on small inputs (random
# normal values, so there are no ties and no zeros):

# %%
x = rng.normal(size=(2, 6, 5, 2))
kernel = rng.normal(size=(3, 3, 2, 3))
bias = rng.normal(size=3)
conv_out = scratch.conv2d(x, kernel, bias, strides=2, padding="same")
G_conv = rng.normal(size=conv_out.shape)
grad_x, grad_kernel, grad_bias = scratch.conv2d_backward(G_conv, x, kernel, 2, "same")
G_pool = rng.normal(size=(2, 2, 2, 2))

checks = {
    "relu": (
        scratch.relu_backward(x, x),
        scratch.numerical_gradient(lambda a: np.sum(scratch.relu(a) * x), x),
    ),
    "max pool 3x3, stride 2": (
        scratch.max_pool2d_backward(G_pool, x, 3, strides=2),
        scratch.numerical_gradient(lambda a: np.sum(scratch.max_pool2d(a, 3, 2) * G_pool), x),
    ),
    "average pool 3x3, stride 2": (
        scratch.avg_pool2d_backward(G_pool, x, 3, strides=2),
        scratch.numerical_gradient(lambda a: np.sum(scratch.avg_pool2d(a, 3, 2) * G_pool), x),
    ),
    "conv, input": (
        grad_x,
        scratch.numerical_gradient(
            lambda a: np.sum(scratch.conv2d(a, kernel, bias, 2, "same") * G_conv), x
        ),
    ),
    "conv, kernel": (
        grad_kernel,
        scratch.numerical_gradient(
            lambda k: np.sum(scratch.conv2d(x, k, bias, 2, "same") * G_conv), kernel
        ),
    ),
    "conv, bias": (
        grad_bias,
        scratch.numerical_gradient(
            lambda b: np.sum(scratch.conv2d(x, kernel, b, 2, "same") * G_conv), bias
        ),
    ),
}
for name, (analytic, numerical) in checks.items():
    error = scratch.relative_error(analytic, numerical)
    print(f"{name:<28} relative error {error:.1e}")
    assert error < 1e-7

# %% [markdown]
# **When the check misleads.** ReLU and max pooling have **kinks**: points where the
# derivative jumps. If an input is closer than $h$ to a kink, $x + h$ and $x - h$ fall on
# different sides, and the numerical gradient is an average of two slopes that matches
# neither. With ReLU at $x = 10^{-6}$ and $h = 10^{-5}$:

# %%
near_kink = np.array([1e-6, 0.5, -0.5])
analytic = scratch.relu_backward(np.ones(3), near_kink)
numerical = scratch.numerical_gradient(lambda a: np.sum(scratch.relu(a)), near_kink)
print("analytic: ", analytic, "\nnumerical:", numerical.round(6))
print(f"relative error {scratch.relative_error(analytic, numerical):.2f}")

# %% [markdown]
# The analytic gradient is right (the derivative at $10^{-6}$ is 1); the numerical one
# is not. Likewise, two nearly equal values in a max-pooling window can swap places
# within $\pm h$. Check gradients on inputs away from kinks (or on few elements, and
# expect a few mismatches), and use float64.
#
# ### The whole chain against TensorFlow
#
# A small network: a 3x3 convolution with `"same"` padding, ReLU, overlapping 3x3
# max pooling with stride 2, a stride-2 convolution, then global average pooling. The
# backward pass chains the functions of this notebook from the loss down, each feeding
# the next its upstream gradient:

# %%
x = rng.normal(size=(2, 12, 12, 3))
kernel_1, bias_1 = rng.normal(size=(3, 3, 3, 8)), rng.normal(size=8)
kernel_2, bias_2 = rng.normal(size=(3, 3, 8, 4)), rng.normal(size=4)
class_weights = rng.normal(size=(2, 4))

# Forward, keeping what the backward pass needs.
pre_1 = scratch.conv2d(x, kernel_1, bias_1, padding="same")
hidden = scratch.relu(pre_1)
pooled = scratch.max_pool2d(hidden, 3, strides=2)
pre_2 = scratch.conv2d(pooled, kernel_2, bias_2, strides=2)
features = pre_2.mean(axis=(1, 2))
loss = np.sum(features * class_weights)

# Backward, from the loss down.
grad_features = class_weights
grad_pre_2 = np.broadcast_to(
    grad_features[:, None, None, :] / (pre_2.shape[1] * pre_2.shape[2]), pre_2.shape
)
grad_pooled, grad_kernel_2, grad_bias_2 = scratch.conv2d_backward(
    grad_pre_2, pooled, kernel_2, strides=2
)
grad_hidden = scratch.max_pool2d_backward(grad_pooled, hidden, 3, strides=2)
grad_pre_1 = scratch.relu_backward(grad_hidden, pre_1)
grad_x, grad_kernel_1, grad_bias_1 = scratch.conv2d_backward(
    grad_pre_1, x, kernel_1, padding="same"
)


def network(x, kernel_1, bias_1, kernel_2, bias_2):
    hidden = tf.nn.relu(tf.nn.conv2d(x, kernel_1, 1, "SAME") + bias_1)
    pooled = tf.nn.max_pool2d(hidden, 3, 2, "VALID")
    return tf.reduce_mean(tf.nn.conv2d(pooled, kernel_2, 2, "VALID") + bias_2, axis=(1, 2))


chained = [grad_x, grad_kernel_1, grad_bias_1, grad_kernel_2, grad_bias_2]
autodiff = tf_gradients(network, [x, kernel_1, bias_1, kernel_2, bias_2], class_weights)
for name, a, b in zip(
    ["x", "kernel 1", "bias 1", "kernel 2", "bias 2"], chained, autodiff, strict=True
):
    print(f"d loss / d {name:<9} relative error vs TensorFlow {scratch.relative_error(a, b):.1e}")
    assert scratch.relative_error(a, b) < 1e-10

# %% [markdown]
# ## 7. How fast?
#
# Three ways to run the same convolution, forward and backward, timed on a small batch.
# The slowest is the definition itself: `scratch.conv2d_loops` and
# `scratch.conv2d_backward_loops` visit every (image, output row, output column, filter)
# in turn and do one window's multiply-and-sum, the formulas of section 4 written as
# loops:

# %%
import inspect

from coursekit import timing

print(inspect.getsource(scratch.conv2d_loops))
print(inspect.getsource(scratch.conv2d_backward_loops))

# %% [markdown]
# The other two are the NumPy `im2col` versions, `scratch.conv2d` and
# `scratch.conv2d_backward`, and Keras's `Conv2D` with TensorFlow's gradient. All three
# compute the same numbers (checked first). `timing.best_time` calls a function once to
# warm it up, then returns the shortest of several timed calls. Timings depend on your
# machine and on what else it is doing; only the ratios, measured in one run, matter.

# %%
x = rng.normal(size=(8, 16, 16, 3))
kernel = rng.normal(size=(3, 3, 3, 8))
bias = rng.normal(size=8)
upstream = rng.normal(size=(8, 14, 14, 8))
layer = keras.layers.Conv2D(8, 3, dtype="float64")
layer.build(x.shape)
layer.set_weights([kernel, bias])
x_tensor, upstream_tensor = tf.constant(x), tf.constant(upstream)


def keras_backward():
    with tf.GradientTape() as tape:
        tape.watch(x_tensor)
        output = layer(x_tensor)
    return tape.gradient(output, [x_tensor, *layer.trainable_weights], upstream_tensor)


forward = {
    "loops": lambda: scratch.conv2d_loops(x, kernel, bias),
    "scratch (im2col)": lambda: scratch.conv2d(x, kernel, bias),
    "Keras Conv2D": lambda: layer(x_tensor),
}
backward = {
    "loops": lambda: scratch.conv2d_backward_loops(upstream, x, kernel),
    "scratch (im2col)": lambda: scratch.conv2d_backward(upstream, x, kernel),
    "Keras Conv2D": keras_backward,
}
definition = forward["loops"](), backward["loops"]()
for name in ["scratch (im2col)", "Keras Conv2D"]:
    assert largest_difference([forward[name]()], [definition[0]]) < 1e-9, name
    assert largest_difference(backward[name](), definition[1]) < 1e-9, name

repeats = {"loops": 1, "scratch (im2col)": 10, "Keras Conv2D": 10}
seconds = {
    name: (timing.best_time(forward[name], count), timing.best_time(backward[name], count))
    for name, count in repeats.items()
}
print(f"x {x.shape}, kernel {kernel.shape}, float64")
print(f"{'':<18}{'forward':>12}{'backward':>12}")
for name, (forward_time, backward_time) in seconds.items():
    print(f"{name:<18}{forward_time * 1e3:>10.2f}ms{backward_time * 1e3:>10.2f}ms")
loops, im2col = seconds["loops"], seconds["scratch (im2col)"]
print(
    f"im2col is {loops[0] / im2col[0]:.0f}x (forward) and {loops[1] / im2col[1]:.0f}x "
    "(backward) faster than the loops"
)

# %% [markdown]
# The loops run one small NumPy operation per output value, and the interpreter's
# overhead dominates: the `im2col` versions, a handful of large array operations, are
# typically hundreds of times faster (the ratios above). They are comparable to Keras on
# a CPU; on inputs this small, the fixed cost of each Keras call can even dominate its
# time. `benchmarks/conv_backward_speed.py` in the course repository times the same
# three on a larger shape (100 images of 31x31x3, 25 filters, stride 2) and prints the
# ratios.

# %% [markdown]
# ### Exercise 3.5
#
# Using the 1-D matrix view of section 5 (6 inputs, kernel $(w_0, w_1, w_2)$, 4
# outputs), explain in a few sentences why the gradient with respect to the input is the
# upstream gradient, padded with $k - 1 = 2$ zeros on each side, cross-correlated with
# the **flipped** kernel. Then say what changes in the matrix, and in the backward pass,
# when the stride is 2.

# %% [markdown]
# ### BEGIN SOLUTION
# The forward pass is $y = Wx$ where row $i$ of $W$ holds $w_0, w_1, w_2$ in columns
# $i, i+1, i+2$. The input gradient is $W^\top G$: row $p$ of $W^\top$ is column $p$ of
# $W$, which contains $w_2$ in row $p-2$, $w_1$ in row $p-1$ and $w_0$ in row $p$. So
# $\partial L/\partial x_p = w_2 G_{p-2} + w_1 G_{p-1} + w_0 G_p$: a window sliding
# along $G$ that meets the weights in the reverse order, i.e. a cross-correlation with
# the flipped kernel $(w_2, w_1, w_0)$. For $p = 0, 1$ and $p = 4, 5$ part of that
# window lies outside $G$ (rows of $W^\top$ with fewer than three non-zeros), so $G$ must
# be padded with $k - 1 = 2$ zeros on each side, which gives $4 + 2 + 2 - 3 + 1 = 6$
# outputs, one per input (in signal-processing words, a true full convolution of $G$
# with the unflipped kernel). With stride 2 the forward matrix keeps only every other
# row of the stride-1 matrix (rows 0 and 2), so $W^\top$ keeps every other column: in
# the backward pass, the upstream gradient's values sit 2 apart, which is the same as
# inserting one zero between them before padding and cross-correlating.
# ### END SOLUTION

# %% [markdown]
# ## Summary
#
# - A layer's backward pass turns the upstream gradient $\partial L/\partial y$ into
#   $\partial L/\partial x$ for the layer below and $\partial L/\partial w$ for its
#   weights; every contribution is summed (chain rule).
# - ReLU gates the gradient by $[x > 0]$ and does not saturate; a unit that is never
#   active gets no gradient for its own weights, and stays dead while its inputs keep it
#   negative.
# - Max pooling routes each gradient to its window's winner (first maximum on ties, as
#   in TensorFlow) and accumulates where windows overlap; average pooling spreads it.
# - Convolutional layer (a cross-correlation): bias gradient = sum of $G$; kernel
#   gradient = cross-correlation of the input with $G$, **summed** (not averaged) over
#   every position and image; input gradient = $G$ (spread by the stride), padded with
#   $k - 1$ zeros and cross-correlated with the kernel rotated by 180° (a true full
#   convolution with the kernel), filters regrouped by input channel, padding cut off.
# - As a matrix, a convolution is sparse with tied diagonals, and its backward pass is
#   $W^\top G$; in practice, `im2col` / `col2im` does the same with dense products.
# - Check gradients with centred differences and the relative error, in float64, away
#   from kinks.
#
# **Next:** notebook 04 regularises CNNs: L1/L2, dropout, early stopping, batch
# normalisation and data augmentation.
