# %% [markdown]
# # CNN architectures: from LeNet to DenseNet, and transfer learning
#
# *The networks that won ImageNet, built layer by layer in Keras and counted: where
# their parameters and their memory go, what each new idea bought, and how to reuse a
# trained network for a new task.*
#
# **After this notebook you can**
# - build LeNet-5, AlexNet, VGG, GoogLeNet, ResNet and DenseNet with
#   `coursekit.models`, and count their parameters and activations layer by layer;
# - explain why VGG stacks 3x3 convolutions, and compute what a stack saves;
# - compute what the 1x1 reductions of an Inception module save;
# - write a residual block (basic, bottleneck, projection shortcut, pre-activation)
#   and show the degradation problem that residual learning fixes;
# - describe DenseNet's concatenations and growth rate;
# - transfer a trained network to a new task, as a frozen feature extractor or by
#   fine-tuning, and compare both with training from scratch.
#
# **Time:** about 3 hours. **Accelerator:** none; the `full` profile trains the
# experiments longer and is faster on a GPU.
#
# [![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)](https://colab.research.google.com/github/cnn-course/cnn-course/blob/main/notebooks/06_cnn_architectures.ipynb) [![Binder](https://mybinder.org/badge_logo.svg)](https://mybinder.org/v2/gh/cnn-course/cnn-course/main?urlpath=lab/tree/notebooks/06_cnn_architectures.ipynb)

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

from coursekit import arithmetic, check, data, models, plotting
from coursekit.models import build_without_weights

# %% [markdown]
# Big networks are only *counted* here, never trained: `build_without_weights` builds a
# model whose weights have shapes but no values, so VGG16's 138 million parameters cost
# a few megabytes instead of 553 MB. The networks we train are small, on the embedded
# handwritten digits (32x32, grey).


# %%
def count(build, *args, **kwargs):
    """The parameters of a model built without allocating its weights."""
    return build_without_weights(build, *args, **kwargs).count_params()


def trainable_count(model):
    return sum(math.prod(weight.shape) for weight in model.trainable_weights)


digits = data.load("digits", profile)
print(digits)


def halve(images):
    """2x2 average pooling: the 16x16 digits the trained experiments use (8x8 originals)."""
    n, height, width, channels = images.shape
    return images.reshape(n, height // 2, 2, width // 2, 2, channels).mean(axis=(2, 4))


x_train, x_test = halve(digits.x_train), halve(digits.x_test)
SMALL_SHAPE = x_train.shape[1:]

# %% [markdown]
# ## 1. LeNet-5
#
# LeNet-5 (LeCun et al., 1998, after the 1989 network that read ZIP codes) fixed the
# pattern every network in this notebook follows: **convolution and pooling** to turn
# pixels into features, then **fully connected layers** to classify them. It was not
# the first convolutional network: Fukushima's Neocognitron (1980) already stacked
# local feature detectors with shared weights and pooling-like layers, but trained them
# without backpropagation. `models.lenet5` is the modern form: ReLU, max pooling and a
# softmax.

# %%
lenet = models.lenet5(input_shape=digits.image_shape, num_classes=digits.num_classes)
table = arithmetic.model_table(lenet)
table

# %% [markdown]
# 61,706 parameters, 48,120 of them in the first dense layer (c5). The 1998 original
# had about 60,000 trainable parameters: its subsampling layers had a trainable weight
# and bias per map, C3 connected each of its 16 maps to a subset of S2's 6 maps only,
# and the output layer compared F6 with fixed codes (radial basis units).
# It still learns the digits in seconds:

# %%
assert table.total_params == 61_706
lenet.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
lenet.fit(digits.x_train, digits.y_train, epochs=2 * profile.epochs, batch_size=32, verbose=0)
lenet_accuracy = lenet.evaluate(digits.x_test, digits.y_test, verbose=0)[1]
print(f"LeNet-5 test accuracy after {2 * profile.epochs} epochs: {lenet_accuracy:.1%}")

# %% [markdown]
# ## 2. AlexNet
#
# AlexNet (Krizhevsky, Sutskever & Hinton, 2012) won ILSVRC-2012 and started the deep
# learning era in vision. It is LeNet's pattern, scaled up: **5 convolutional and 3
# fully connected layers**, about 61 million parameters, with
#
# - **ReLU** instead of tanh (six times fewer epochs to a given training error on
#   CIFAR-10 in the paper);
# - **local response normalisation** (LRN) after conv1 and conv2 (no longer used);
# - **overlapping pooling**: 3x3 windows with stride 2 (notebook 02);
# - **dropout 0.5** in the first two fully connected layers;
# - heavy **augmentation**: random 224x224 crops of 256x256 images with mirror images,
#   and PCA colour jitter (adding multiples of the principal components of the RGB
#   values);
# - **SGD** with momentum 0.9, weight decay 5e-4, batch 128, learning rate 0.01 divided
#   by 10 when the validation error stopped improving; about 90 epochs over the 1.2
#   million training images, 5 to 6 days on two GTX 580 GPUs (3 GB each).
#
# The network was **split over the two GPUs**: conv2, conv4 and conv5 only see the
# maps on their own GPU, which is a grouped convolution with 2 groups. One network
# reached 18.2% top-5 error on the ILSVRC-2012 validation set, an ensemble of 7
# networks 15.4% (16.4% on the test set, the winning entry); on ILSVRC-2010,
# 37.5% top-1 and 17.0% top-5 error.
#
# **Corrections to the lecture notes.** The training set has 1.2 million images, not
# "over 8 million"; at test time the network averaged **10** patches (four corners
# and the centre, and their mirror images), not 5. And the paper's 224x224 input does
# not fit its first layer:

# %%
for size in (224, 227):
    print(f"input {size}: (size - 11) / 4 + 1 = {(size - 11) / 4 + 1}")
alexnet = build_without_weights(models.alexnet)
conv1 = alexnet.get_layer("conv1")
print("conv1 output:", tuple(conv1.output.shape[1:]), "parameters:", f"{conv1.count_params():,}")
assert conv1.count_params() == (11 * 11 * 3 + 1) * 96 == 34_944

# %% [markdown]
# 54.25 is not a whole number of positions: with 224 the last window would hang over
# the edge, so implementations use 227 (or pad). Counted on the model, the two-GPU
# network and the single-stream one that most re-implementations train:

# %%
grouped, single = alexnet.count_params(), count(models.alexnet, groups=1)
print(f"AlexNet, two groups: {grouped:,} parameters; one stream: {single:,}")
assert (grouped, single) == (60_965_224, 62_378_344)
fc_share = sum(alexnet.get_layer(name).count_params() for name in ("fc6", "fc7", "fc8")) / grouped
print(f"fully connected layers: {fc_share:.0%} of the parameters")

# %% [markdown]
# ## 3. VGG: only 3x3 convolutions
#
# VGG (Simonyan & Zisserman, 2014, second in ILSVRC-2014 with 7.3% top-5 error)
# asked one question: what does depth buy when everything else stays fixed? Every
# convolution is 3x3 with stride 1 and 'same' padding, every pooling 2x2 with stride
# 2, and the networks grow from 11 to 19 layers with weights (configurations A to E).
#
# Why only 3x3? Three stacked 3x3 convolutions see a 7x7 window of the input, like one
# 7x7 convolution (notebook 01's receptive fields), but from $C$ to $C$ channels they
# have $3 \cdot 9C^2 = 27C^2$ weights against $49C^2$, and three ReLUs instead of one:
# a more non-linear function with fewer parameters. Counted on real layers:

# %%
C = 64
stack = keras.Sequential(
    [keras.Input((56, 56, C))]
    + [keras.layers.Conv2D(C, 3, padding="same", use_bias=False) for _ in range(3)]
)
single_7x7 = keras.Sequential(
    [keras.Input((56, 56, C)), keras.layers.Conv2D(C, 7, padding="same", use_bias=False)]
)
print(
    f"three 3x3: {stack.count_params():,} = 27 C^2; one 7x7: {single_7x7.count_params():,} = 49 C^2"
)
print("receptive field of the stack:", arithmetic.receptive_field([(3, 1)] * 3))
assert stack.count_params() == 27 * C**2 and single_7x7.count_params() == 49 * C**2

# %% [markdown]
# ### Exercise 6.1
#
# Write `vgg_block(x, filters, convs)`: `convs` convolutions with `filters` 3x3
# filters, 'same' padding and ReLU, then 2x2 max pooling with stride 2. `x` is a Keras
# tensor; return the block's output tensor. Use `keras.layers` (the check builds your
# block on several inputs, sets its weights to fixed values and compares what it
# computes with the reference).


# %%
def vgg_block(x, filters, convs):
    ### BEGIN SOLUTION
    for _ in range(convs):
        x = keras.layers.Conv2D(filters, 3, padding="same", activation="relu")(x)
    return keras.layers.MaxPooling2D(2, strides=2)(x)
    ### END SOLUTION


# %%
check("06.1", vgg_block)

# %% [markdown]
# VGG16 is configuration D: blocks of 2, 2, 3, 3 and 3 convolutions with 64 to 512
# filters, then three dense layers. The table counts, for one 224x224 image, the
# values each layer outputs (the **activations** a forward pass keeps for the backward
# pass) and each layer's parameters; it is computed from `keras.applications.VGG16`
# built without weights, and `models.vgg16` has the same layers.

# %%
vgg16 = build_without_weights(keras.applications.VGG16, weights=None)
vgg_table = arithmetic.model_table(vgg16)
vgg_table

# %%
total_params, total_values = vgg_table.total_params, vgg_table.total_activations
without_input = total_values - vgg_table.rows[0].activations
fc6 = next(row for row in vgg_table.rows if row.name == "fc1")
print(f"parameters: {total_params:,} ({count(models.vgg16):,} for models.vgg16)")
print(f"values per image: {total_values:,} with the input, {without_input:,} without")
print(
    f"forward pass: {4 * total_values / 1e6:.0f} MB per image in float32; "
    f"about {8 * total_values / 1e6:.0f} MB with the gradients of the backward pass"
)
print(f"FC6 holds {fc6.parameters:,} parameters: {fc6.parameters / total_params:.0%}")
print(f"weights alone, float32: {4 * total_params / 1e6:.0f} MB")
assert total_params == count(models.vgg16) == 138_357_544
assert (total_values, without_input) == (15_237_608, 15_087_080)

# %% [markdown]
# Read the table from top to bottom: **memory falls while parameters rise**. The first
# two convolutions output 3.2 million values each (224 x 224 x 64) with under 40,000
# weights; FC6 has 74% of all parameters and outputs 4,096 values. The `Flatten` row
# holds no new values (it only reinterprets the shape), so the table counts it as 0.
#
# **Correction to the lecture notes.** Their table ends with "TOTAL memory: 24M * 4
# bytes ~= 93MB / image (only forward! ~*2 for bwd)". Their own rows add up to 15.2
# million values, as above: about **61 MB** per image for the forward pass and about
# **122 MB** with the backward pass, not 93 and 186. Training also holds the 553 MB of
# weights, their gradients and the optimiser's state, and multiplies the activations
# by the batch size.
#
# The five configurations of the paper, counted:

# %%
for configuration in ("A", "A-LRN", "B", "C", "D", "E"):
    params = count(models.vgg, configuration)
    print(f"VGG-{configuration:5s} {params / 1e6:6.1f} M parameters")

# %% [markdown]
# 133, 133, 134, 138 and 144 million, as in the paper: adding eight layers costs only
# 11 million parameters, because the dense layers dominate.

# %% [markdown]
# ### Exercise 6.2
#
# Why does VGG use only stacks of 3x3 convolutions instead of larger filters? Give the
# receptive field of a stack of three, the parameters of the stack and of the single
# large filter it replaces (for $C$ channels in and out, no biases), and one more
# advantage beyond the count. (A few sentences.)

# %% [markdown]
# ### BEGIN SOLUTION
# Three stacked 3x3 convolutions with stride 1 have a 7x7 receptive field: each adds
# 2 pixels to the window. From C to C channels they have 3 x 9C^2 = 27C^2 weights,
# against 49C^2 for one 7x7 layer (45% fewer); two 3x3 layers replace a 5x5 with
# 18C^2 instead of 25C^2. Each 3x3 layer is followed by a ReLU, so the stack is a
# composition of three non-linear maps, more expressive than one linear filter and a
# ReLU; it is also deeper, and the small filters regularise (the 7x7 filter is in
# effect factored into three 3x3 ones). The price is more activation memory: each
# layer of the stack stores its output.
# ### END SOLUTION

# %% [markdown]
# ## 4. GoogLeNet and the Inception module
#
# GoogLeNet (Szegedy et al., 2014) won ILSVRC-2014 with **6.67%** top-5 error, with
# **22 layers** and, by the paper's account, **12 times fewer parameters than
# AlexNet** (counted below). Its building
# block, the **Inception module**, runs four branches in parallel on the same input
# and concatenates their outputs along the channels: a 1x1, a 3x3 and a 5x5
# convolution, and 3x3 max pooling. Run naively, the 3x3 and 5x5 convolutions on
# hundreds of channels are expensive, and the pooling branch keeps all input channels,
# so the depth grows with every module. GoogLeNet puts **1x1 convolutions** in front:
# "reductions" before the 3x3 and 5x5 convolutions, and a projection after the
# pooling.
#
# Module 3a of the paper sees 28x28x192 maps: 64 1x1 filters; 96 reductions then 128
# 3x3; 16 reductions then 32 5x5; pooling then 32 1x1 projections. Its output has
# 64 + 128 + 32 + 32 = 256 channels.

# %%
inputs = keras.Input((28, 28, 192))
module_3a = keras.Model(inputs, models.inception_module(inputs, 64, 96, 128, 16, 32, 32))
print("output:", tuple(module_3a.output.shape[1:]), "parameters:", f"{module_3a.count_params():,}")

# %% [markdown]
# ### Exercise 6.3
#
# Write `inception_params(in_channels, filters_1x1, filters_3x3_reduce, filters_3x3,
# filters_5x5_reduce, filters_5x5, filters_pool_proj)`, returning a dict
# `{"with_reduction": ..., "without_reduction": ...}` of parameter counts, biases
# included. "With" is GoogLeNet's module as above. "Without" is the naive module: the
# same 1x1 convolution, the 3x3 and 5x5 convolutions straight on the input, and the
# pooling branch alone. A k x k convolution from C to F maps has $(k^2 C + 1)F$
# parameters.


# %%
def inception_params(
    in_channels,
    filters_1x1,
    filters_3x3_reduce,
    filters_3x3,
    filters_5x5_reduce,
    filters_5x5,
    filters_pool_proj,
):
    ### BEGIN SOLUTION
    def conv(kernel_size, channels, filters):
        return (kernel_size * kernel_size * channels + 1) * filters

    ones = conv(1, in_channels, filters_1x1)
    with_reduction = (
        ones
        + conv(1, in_channels, filters_3x3_reduce)
        + conv(3, filters_3x3_reduce, filters_3x3)
        + conv(1, in_channels, filters_5x5_reduce)
        + conv(5, filters_5x5_reduce, filters_5x5)
        + conv(1, in_channels, filters_pool_proj)
    )
    without_reduction = ones + conv(3, in_channels, filters_3x3) + conv(5, in_channels, filters_5x5)
    return {"with_reduction": with_reduction, "without_reduction": without_reduction}
    ### END SOLUTION


# %%
check("06.3", inception_params)

# %% [markdown]
# Each weight is used once per output position, so on 28x28 maps the multiply-adds
# are the weights (without biases) times 28 x 28:

# %%
counts = arithmetic.inception_params(192, 64, 96, 128, 16, 32, 32)
assert counts["with_reduction"] == module_3a.count_params() == 163_696
biases = {"with_reduction": 64 + 96 + 128 + 16 + 32 + 32, "without_reduction": 64 + 128 + 32}
for kind in counts:
    multiply_adds = (counts[kind] - biases[kind]) * 28 * 28
    print(f"{kind:17s} {counts[kind]:>9,} parameters {multiply_adds / 1e6:6.0f} M multiply-adds")
print(f"the reductions save {1 - counts['with_reduction'] / counts['without_reduction']:.0%}")

# %% [markdown]
# The naive module would also output 64 + 128 + 32 + 192 = 416 channels (pooling keeps
# all 192), so every later module would grow; with the projection the output is 256.
#
# The whole network stacks nine modules between pooling layers, ends with global
# average pooling instead of large dense layers, and during training adds two
# **auxiliary classifiers** after modules 4a and 4d, whose losses (weighted 0.3) push
# gradient into the middle of the network; they are dropped at test time.

# %%
googlenet_params = count(models.googlenet)
print(
    f"GoogLeNet: {googlenet_params:,} parameters; AlexNet / GoogLeNet = {grouped / googlenet_params:.1f}"
)
assert googlenet_params == 6_998_552

# %% [markdown]
# The count gives 8.7 times fewer parameters than AlexNet, not 12: twelve times fewer
# would be about 5 million, and this network, built from the paper's table 1 without
# its auxiliary classifiers, has 7.0 million (its final dense layer alone, 1,024 to
# 1,000 units, has 1,025,000).
#
# torchvision's GoogLeNet reports 6,624,904. It differs from the paper in two ways:
# its "5x5" branches use 3x3 kernels (380,928 weights fewer) and every convolution is
# followed by batch normalisation without a bias (one parameter more per channel:
# 7,280); 6,998,552 − 380,928 + 7,280 = 6,624,904. The test suite checks this sum.
#
# ## 5. ResNet: residual learning
#
# **The degradation problem.** Stacking more layers on a plain network eventually makes
# it worse: He et al. (2016) trained plain networks of 20 and 56 layers on CIFAR-10,
# and the 56-layer one had the higher error **on the training set** too. Overfitting
# would lower the training error; this is an optimisation problem. Yet a deeper network
# can always do as well as a shallower one, in principle: copy the shallow network and
# make the extra layers identities. The solvers just do not find that solution.
#
# **Residual learning.** Instead of asking a few layers to fit the desired mapping
# $H(x)$, let them fit the **residual** $F(x) = H(x) - x$ and add the input back through
# a **shortcut**: the block outputs $F(x) + x$. An identity is then easy (drive $F$ to
# zero), and the gradient flows through the additions unchanged. The identity shortcut
# adds **no parameters**.
#
# The **basic block**: conv 3x3 - BN - ReLU - conv 3x3 - BN, add the shortcut, ReLU.
# When the shape changes (stride 2, more channels), the identity no longer fits: the
# main path halves the height and width with the stride of its 3x3 convolution, and the
# shortcut becomes a **projection**, a 1x1 convolution with stride 2 followed by batch
# normalisation. For ResNet-50 and deeper, the **bottleneck** block goes **wide ->
# narrow -> wide**: 1x1 from 256 to 64 channels, 3x3 on 64, 1x1 back to 256.
# Convolutions followed by batch normalisation need no bias.
#
# **Corrections to the lecture notes.** In "3x3 conv, 128, /2", "/2" means stride 2:
# the height and width are halved while the channels double (64 -> 128); nothing
# divides the number of maps. And the bottleneck goes large -> small -> large
# (256 -> 64 -> 64 -> 256), not "smaller -> larger -> smaller".
#
# **Pre-activation.** In "Identity mappings in deep residual networks" (He et al.,
# 2016) the same authors move BN and ReLU *before* each convolution
# (BN-ReLU-conv-BN-ReLU-conv) and put nothing after the addition, so the shortcut
# path from any block to any later one is a pure identity. Other shortcuts they tried
# (scaling it by a constant, gating it, a 1x1 convolution, dropout on it) all trained
# worse: anything on the shortcut multiplies the signal and its gradient across blocks.
# In that pre-activation order, a projection shortcut reads BN-ReLU(x).

# %% [markdown]
# ### Exercise 6.4
#
# Write `residual_block(x, filters, strides=1, bottleneck=False, preactivation=False)`
# with `keras.layers`:
#
# - residual branch: two 3x3 convolutions with `filters` filters, or for a bottleneck
#   a 1x1 (`filters`), a 3x3 (`filters`) and a 1x1 (`4 * filters`); the (first) 3x3
#   convolution has stride `strides`; 'same' padding, `use_bias=False`;
# - original order: conv-BN-ReLU after each convolution except the last, which gets
#   conv-BN; then add the shortcut and apply ReLU;
# - pre-activation order: BN-ReLU before each convolution; the block ends with the
#   addition;
# - shortcut: the identity, or, when `strides != 1` or the number of channels changes,
#   a 1x1 convolution with stride `strides` (no bias), followed by BN in the original
#   order, applied to BN-ReLU(x) in the pre-activation order.


# %%
def residual_block(x, filters, strides=1, bottleneck=False, preactivation=False):
    ### BEGIN SOLUTION
    from keras import layers

    def conv(channels, kernel_size, stride=1):
        return layers.Conv2D(channels, kernel_size, strides=stride, padding="same", use_bias=False)

    def bn_relu(y):
        return layers.ReLU()(layers.BatchNormalization()(y))

    if bottleneck:
        branch = [(filters, 1, 1), (filters, 3, strides), (4 * filters, 1, 1)]
    else:
        branch = [(filters, 3, strides), (filters, 3, 1)]
    out_channels = branch[-1][0]
    project = strides != 1 or x.shape[-1] != out_channels
    if preactivation:
        y = bn_relu(x)
        shortcut = conv(out_channels, 1, strides)(y) if project else x
        for index, (channels, kernel_size, stride) in enumerate(branch):
            if index:
                y = bn_relu(y)
            y = conv(channels, kernel_size, stride)(y)
        return layers.Add()([y, shortcut])
    shortcut = x
    if project:
        shortcut = layers.BatchNormalization()(conv(out_channels, 1, strides)(x))
    y = x
    for index, (channels, kernel_size, stride) in enumerate(branch):
        y = layers.BatchNormalization()(conv(channels, kernel_size, stride)(y))
        if index < len(branch) - 1:
            y = layers.ReLU()(y)
    return layers.ReLU()(layers.Add()([y, shortcut]))
    ### END SOLUTION


# %%
check("06.4", residual_block)

# %% [markdown]
# Two properties, on the library's block. An identity block adds no parameters beyond
# its branch; and when the branch is silenced (the last batch normalisation's $\gamma$
# and $\beta$ set to 0, so $F(x) = 0$), the block passes a non-negative input through
# unchanged: $\mathrm{ReLU}(0 + x) = x$.

# %%
inputs = keras.Input((8, 8, 16))
block = keras.Model(inputs, models.residual_block(inputs, 16, name="demo"))
branch_params = 2 * (3 * 3 * 16 * 16) + 2 * (4 * 16)  # two convolutions, two BN (4 per channel)
print(f"identity block: {block.count_params():,} parameters = branch only ({branch_params:,})")
last_bn = block.get_layer("demo_bn2")
last_bn.gamma.assign(np.zeros(16))
last_bn.beta.assign(np.zeros(16))
x = np.random.default_rng(0).uniform(0, 1, (2, 8, 8, 16)).astype("float32")
difference = np.abs(keras.ops.convert_to_numpy(block(x, training=False)) - x).max()
print("largest |block(x) - x| with the branch silenced:", difference)
assert block.count_params() == branch_params and difference < 1e-6

# %% [markdown]
# ResNet stacks these blocks in four stages of 64, 128, 256 and 512 filters after a
# 7x7/2 convolution and 3x3/2 pooling, and ends with global average pooling and one
# dense layer. Trainable parameters, with bias-free convolutions as in the paper (and
# torchvision):

# %%
resnets = {depth: build_without_weights(models.resnet, depth) for depth in (18, 34, 50)}
for depth, model in resnets.items():
    print(
        f"ResNet-{depth}: {trainable_count(model):>10,} trainable, {model.count_params():>10,} in all"
    )
assert [trainable_count(model) for model in resnets.values()] == [
    11_689_512,
    21_797_672,
    25_557_032,
]
keras_resnet50 = build_without_weights(keras.applications.ResNet50, weights=None)
conv_biases = sum(
    layer.filters
    for layer in keras_resnet50.layers
    if isinstance(layer, keras.layers.Conv2D) and layer.use_bias
)
moving = resnets[50].count_params() - trainable_count(resnets[50])
print(
    f"keras.applications.ResNet50: {keras_resnet50.count_params():,} = "
    f"{trainable_count(resnets[50]):,} + {conv_biases:,} convolution biases "
    f"+ {moving:,} moving means and variances"
)
assert keras_resnet50.count_params() == trainable_count(resnets[50]) + conv_biases + moving

# %% [markdown]
# Keras's ResNet50 gives its convolutions biases (redundant before batch normalisation)
# and its `count_params` includes batch normalisation's moving mean and variance,
# which are statistics, not trained weights. The 2015 ensemble of residual networks won
# ILSVRC with **3.57%** top-5 error, trained with scale augmentation (the shorter side
# resized to a random $L \in [256, 480]$ before cropping 224x224).
#
# ### The degradation problem, measured
#
# The paper's CIFAR-10 networks have $6n + 2$ layers: a 3x3 convolution, three stages
# of $n$ basic blocks (16, 32, 64 filters; here narrower in the `fast` profile), and a
# dense layer. `models.cifar_resnet(depth, shortcuts=False)` builds the *plain*
# network of the same depth: the same layers without the additions. We train both on
# the digits with the same seed, optimiser and data, and compare their **training**
# loss and accuracy, the quantities the degradation problem is about.

# %%
DEPTH, WIDTH, EPOCHS = {"fast": (20, 8, 4), "default": (56, 16, 10), "full": (56, 16, 30)}[
    profile.name
]


def train_cifar_network(shortcuts):
    keras.utils.set_random_seed(0)
    model = models.cifar_resnet(
        DEPTH, SMALL_SHAPE, digits.num_classes, width=WIDTH, shortcuts=shortcuts
    )
    model.compile(
        keras.optimizers.SGD(0.05, momentum=0.9),
        "sparse_categorical_crossentropy",
        metrics=["accuracy"],
        jit_compile=False,
    )
    history = model.fit(x_train, digits.y_train, epochs=EPOCHS, batch_size=32, verbose=0)
    return history.history


curves = {"plain": train_cifar_network(False), "residual": train_cifar_network(True)}
figure, axes = plt.subplots(1, 2, figsize=(8, 3))
for name, history in curves.items():
    epochs = np.arange(1, EPOCHS + 1)
    axes[0].plot(epochs, history["loss"], marker="o", label=f"{name}-{DEPTH}")
    axes[1].plot(epochs, 1 - np.array(history["accuracy"]), marker="o", label=f"{name}-{DEPTH}")
axes[0].set(xlabel="epoch", ylabel="training loss")
axes[1].set(xlabel="epoch", ylabel="training error")
axes[1].legend()
plotting.add_caption(
    figure, f"Training curves of a plain and a residual network of {DEPTH} layers."
)
plt.show()
for name, history in curves.items():
    print(
        f"{name}-{DEPTH}: final training loss {history['loss'][-1]:.3f}, "
        f"training error {1 - history['accuracy'][-1]:.1%}"
    )

# %% [markdown]
# The residual network reaches the lower training loss and error with the same layers,
# data, seed and optimiser. Measured in the `fast` profile (20 layers of width 8, 4
# epochs on the 16x16 digits): plain 10.1% training error (loss 0.318), residual 3.5%
# (loss 0.106); the seeds make a rerun print the same. In the `default` profile (56
# layers of width 16, 10 epochs) the gap is the paper's degradation at full strength:
# the plain network is stuck at 67.5% training error (loss 1.670) while the residual
# one reaches 2.1% (loss 0.072), measured on a 2-core CPU in about 4 minutes.

# %% [markdown]
# ### Exercise 6.5
#
# A plain 56-layer network has a higher *training* error than a plain 20-layer one.
# Why is this not overfitting, why is it surprising, and how do residual blocks help?
# (A few sentences.)

# %% [markdown]
# ### BEGIN SOLUTION
# Overfitting means a low training error and a high test error; here the deeper network
# is worse on the training set itself, so it fits the data it was trained on less well:
# an optimisation problem, not a generalisation one. It is surprising because the
# 56-layer network contains a solution at least as good as the 20-layer network's (copy
# those layers and make the other 36 identity mappings), so a better optimiser would
# never do worse. Plain stacks of layers with ReLUs and batch normalisation find it
# hard to represent an identity, and their gradients pass through every layer. A
# residual block computes F(x) + x: an identity is F = 0, easy to reach from small
# weights, the extra blocks start close to identities, and the additions carry the
# signal and the gradient directly across blocks, so the deeper network trains at least
# as well as the shallow one.
# ### END SOLUTION

# %% [markdown]
# ## 6. DenseNet
#
# DenseNet (Huang et al., 2017) pushes the shortcut idea further: inside a **dense
# block** every layer receives the **concatenation** of all earlier feature maps of the
# block, and adds $k$ new maps of its own, the **growth rate** ($k = 32$ for
# DenseNet-121). A layer is BN-ReLU-conv 1x1 ($4k$ maps)-BN-ReLU-conv 3x3 ($k$ maps).
# Between blocks, a **transition layer** (BN, 1x1 convolution halving the channels,
# 2x2 average pooling) shrinks the maps. Features are reused instead of re-learned,
# so the layers can be narrow.

# %%
inputs = keras.Input((8, 8, 64))
outputs = models.dense_block(inputs, num_layers=6, growth_rate=32)
print("a dense block of 6 layers, k = 32:", tuple(inputs.shape[1:]), "->", tuple(outputs.shape[1:]))
densenet = build_without_weights(models.densenet, 121)
print(
    f"DenseNet-121: {densenet.count_params():,} parameters, {trainable_count(densenet):,} trainable"
)
assert (densenet.count_params(), trainable_count(densenet)) == (8_062_504, 7_978_856)

# %% [markdown]
# 64 + 6 x 32 = 256 channels after the block. DenseNet-121 has 8,062,504 parameters in
# Keras's count (the same as `keras.applications.DenseNet121`, checked by the test
# suite), of which 7,978,856 are trained: fewer than a third of ResNet-50's, for a
# similar ImageNet error.
#
# ## 7. Transfer learning
#
# Training a large network needs a lot of labelled data. **Transfer learning** reuses a
# network trained on a **source** task and domain (say ImageNet classification) for a
# **target** task and domain with few labels. The early layers learn edges, colours
# and textures that most image tasks share; the later ones are more specific. Two ways
# to transfer:
#
# - **feature extractor**: freeze the trained layers, cut off the classifier, and
#   train only a new head on their outputs;
# - **fine-tuning**: then unfreeze the top layers too and keep training them with a
#   small learning rate, so the features adapt without forgetting what they learned.
#
# The target task is the digits 5-9, with only a few labelled images per class. The
# source network is trained in this notebook, on the digits 0-4 (all their training
# images). In the `default` and `full` profiles, the same comparison then runs with
# an ImageNet network if it can be downloaded: `models.imagenet_backbone`, which is
# `keras.applications.MobileNetV2` with ImageNet weights (about 9 MB, cached by Keras
# in `~/.keras/models`), on the digits enlarged to 32x32 RGB. Offline, the notebook
# says so and uses the backbone trained here; the `fast` profile always does.

# %%
PER_CLASS = {"fast": 5, "default": 10, "full": 10}[profile.name]
source = digits.y_train < 5
x_source, y_source = x_train[source], digits.y_train[source]
rng = np.random.default_rng(0)
target_indices = np.concatenate(
    [
        rng.choice(np.flatnonzero(digits.y_train == label), PER_CLASS, replace=False)
        for label in range(5, 10)
    ]
)
x_target, y_target = x_train[target_indices], digits.y_train[target_indices] - 5
target_test = digits.y_test >= 5
x_target_test, y_target_test = x_test[target_test], digits.y_test[target_test] - 5
print(
    f"source: {len(x_source)} images of 0-4; target: {len(x_target)} labelled images of 5-9, "
    f"{len(x_target_test)} test images"
)


def make_backbone():
    """Three conv-BN-ReLU-pool stages and global average pooling: 64 features per image.

    Batch normalisation's moving averages use momentum 0.9 (Keras's default, 0.99,
    needs far more steps than this short training makes to forget their start).
    """
    inputs = keras.Input(SMALL_SHAPE)
    x = inputs
    for index, filters in enumerate((16, 32, 64), start=1):
        x = keras.layers.Conv2D(filters, 3, padding="same", use_bias=False, name=f"conv{index}")(x)
        x = keras.layers.BatchNormalization(momentum=0.9, name=f"bn{index}")(x)
        x = keras.layers.ReLU(name=f"relu{index}")(x)
        x = keras.layers.MaxPooling2D(name=f"pool{index}")(x)
    outputs = keras.layers.GlobalAveragePooling2D(name="features")(x)
    return keras.Model(inputs, outputs, name="backbone")


def with_head(backbone, classes, training=None):
    """The backbone and a new softmax head; `training=False` keeps BN in inference mode."""
    inputs = keras.Input(backbone.input_shape[1:])
    features = backbone(inputs, training=training)
    outputs = keras.layers.Dense(classes, activation="softmax", name="head")(features)
    return keras.Model(inputs, outputs)


def compile_model(model, learning_rate):
    model.compile(
        keras.optimizers.Adam(learning_rate),
        "sparse_categorical_crossentropy",
        metrics=["accuracy"],
        jit_compile=False,
    )


keras.utils.set_random_seed(0)
backbone = make_backbone()
pretraining = with_head(backbone, 5)
compile_model(pretraining, 3e-3)
pretraining.fit(x_source, y_source, epochs=3 * profile.epochs, batch_size=32, verbose=0)
source_test = digits.y_test < 5
source_accuracy = pretraining.evaluate(x_test[source_test], digits.y_test[source_test], verbose=0)[
    1
]
print(f"source task (digits 0-4) test accuracy: {source_accuracy:.1%}")

# %% [markdown]
# Three ways to learn the target task, each for the same number of epochs on the same
# few images, scored on the target's test images after every epoch:
#
# 1. **from scratch**: a new backbone with random weights, everything trained;
# 2. **frozen features**: the pretrained backbone with `trainable = False`, only the
#    new head trained;
# 3. **fine-tuned**: start from (2), then unfreeze the last stage and train it with a
#    learning rate 10 times smaller. Batch normalisation stays in **inference mode**
#    (`training=False` when calling the backbone): its statistics were estimated on
#    the source data, and updating them from a handful of target images would wreck
#    the features. Changing `trainable` only takes effect after compiling again.

# %%
TARGET_EPOCHS = {"fast": 10, "default": 20, "full": 30}[profile.name]
HALF = TARGET_EPOCHS // 2


def fit_target(model, images, epochs):
    """Trains on the target's images; the accuracy on its test images after each epoch."""
    x_fit, x_eval = images
    history = model.fit(
        x_fit,
        y_target,
        epochs=epochs,
        batch_size=16,
        validation_data=(x_eval, y_target_test),
        verbose=0,
    )
    return history.history["val_accuracy"]


def compare_transfer(backbone, make_scratch, top_layers, images):
    """The three target learning curves, for a pretrained `backbone`.

    A `make_scratch()` backbone trained from scratch; `backbone` frozen under a new
    head; and the same, then with its layers named in `top_layers` fine-tuned.
    `images` are the target's training and test images, as the backbone takes them.
    """
    pretrained_weights = backbone.get_weights()
    keras.utils.set_random_seed(1)
    scratch = with_head(make_scratch(), 5)
    compile_model(scratch, 1e-2)
    curves = {"from scratch": fit_target(scratch, images, TARGET_EPOCHS)}

    keras.utils.set_random_seed(1)
    backbone.trainable = False
    frozen = with_head(backbone, 5, training=False)
    compile_model(frozen, 1e-2)
    curves["frozen features"] = fit_target(frozen, images, TARGET_EPOCHS)

    keras.utils.set_random_seed(1)
    backbone.set_weights(pretrained_weights)
    fine_tuned = with_head(backbone, 5, training=False)
    compile_model(fine_tuned, 1e-2)
    first_half = fit_target(fine_tuned, images, HALF)
    backbone.trainable = True
    for layer in backbone.layers:
        layer.trainable = layer.name in top_layers
    compile_model(fine_tuned, 1e-3)  # recompile: the new `trainable` flags take effect
    curves["fine-tuned"] = first_half + fit_target(fine_tuned, images, TARGET_EPOCHS - HALF)
    return curves


def imagenet_or_none(profile, input_shape=(32, 32, 3)):
    """MobileNetV2 with ImageNet weights; `None` in the `fast` profile or offline."""
    if profile.name == "fast":
        return None
    try:
        return models.imagenet_backbone(input_shape)
    except data.DataUnavailableError as error:
        print(f"offline: {error.reason} The in-notebook backbone is used instead.")
        return None


def make_mobilenet(input_shape=(32, 32, 3)):
    """MobileNetV2 with random weights, and BN momentum 0.9 as in `make_backbone`."""
    model = keras.applications.MobileNetV2(
        input_shape=input_shape, include_top=False, weights=None, pooling="avg"
    )
    for layer in model.layers:
        if isinstance(layer, keras.layers.BatchNormalization):
            layer.momentum = 0.9
    return model


def as_imagenet_images(images):
    """16x16 grey digits as 32x32 RGB scaled to [-1, 1], MobileNetV2's input."""
    larger = images.repeat(2, axis=1).repeat(2, axis=2).repeat(3, axis=3)
    return keras.applications.mobilenet_v2.preprocess_input(255 * larger)


imagenet = imagenet_or_none(profile)
if imagenet is None:
    source_name = "a backbone pretrained on the digits 0-4"
    target_images = (x_target, x_target_test)
    transfer_curves = compare_transfer(backbone, make_backbone, ("conv3",), target_images)
else:
    source_name = "MobileNetV2 pretrained on ImageNet"
    target_images = (as_imagenet_images(x_target), as_imagenet_images(x_target_test))
    transfer_curves = compare_transfer(imagenet, make_mobilenet, ("Conv_1",), target_images)

figure, axis = plt.subplots(figsize=(6, 3))
for name, curve in transfer_curves.items():
    axis.plot(np.arange(1, TARGET_EPOCHS + 1), curve, marker="o", label=name)
axis.axvline(HALF + 0.5, color="grey", linestyle=":")
axis.set(xlabel="epoch", ylabel="target test accuracy")
axis.legend()
plotting.add_caption(
    figure,
    f"Learning the digits 5-9 from {PER_CLASS} images per class with {source_name}; "
    "fine-tuning starts at the dotted line.",
)
plt.show()
for name, curve in transfer_curves.items():
    print(f"{name:16s} final target test accuracy {curve[-1]:.1%} (best {max(curve):.1%})")

# %% [markdown]
# With 5 labelled images per class (`fast` profile, 10 epochs), the features learned on
# other digits transfer: the network trained from scratch ends at 51.5% test accuracy on
# the digits 5-9, the frozen backbone with a new head at 64.9%, and fine-tuning its last
# convolution on top at 79.1% (the seeds make reruns print the same). Frozen features
# learn only 325 weights (64 x 5 + 5), which is all a handful of images can support;
# fine-tuning adapts the most specific layer with a small learning rate once the head
# is trained.
#
# Transfer is not free, though. In the `default` profile (10 images per class, 20
# epochs) this small network **from scratch** wins: 94.0%, against 74.6% for frozen
# features and 89.6% fine-tuned. Fifty labelled images are already enough for this
# easy task, and features made to tell 0-4 apart miss some of what separates 5-9 (a
# frozen backbone cannot learn it; fine-tuning one layer recovers most of it). The
# more labels the target has, and the further it is from the source, the more of the
# network should be trained. (These are the figures of the backbone trained here, which
# runs offline; with ImageNet weights the curves differ, and the plot's caption says
# which source network it shows.)

# %% [markdown]
# ### Exercise 6.6
#
# You have a network trained on ImageNet and a new labelled dataset. When would you
# only train a new head on frozen features, and when would you fine-tune, and how much
# of the network? Consider the size of the new dataset and how similar it is to the
# source. Say why batch normalisation is kept in inference mode while fine-tuning.
# (A few sentences.)

# %% [markdown]
# ### BEGIN SOLUTION
# With little data, freeze the pretrained layers and train only a new head: fine-tuning
# millions of weights on a few hundred images overfits quickly. With more data,
# fine-tune as well, after the head has been trained (a random head would send large
# gradients into the pretrained layers), with a learning rate about 10 times smaller,
# and stop when the validation loss rises. How much to unfreeze depends on the
# similarity: early layers compute generic edges and textures, later ones
# source-specific parts, so for a similar domain (photographs of objects) fine-tune only
# the top layers, and for a different domain (medical images, spectrograms) with enough
# data, fine-tune more of the network, or train from scratch when data is plentiful and
# very different. Batch normalisation stays in inference mode because its moving mean
# and variance describe the source data that the following layers were trained on;
# re-estimating them from small target batches is noisy and shifts every activation,
# destroying the features that fine-tuning is meant to adjust gently.
# ### END SOLUTION

# %% [markdown]
# ## 8. The ILSVRC results, by architecture
#
# Notebook 05 discussed the ILSVRC results and the comparison with humans. Here are
# the same winners, labelled with the architectures of this notebook (VGG, second in
# 2014 with 7.3%, is added):

# %%
entries = [
    (2010, "NEC-UIUC\n(features + SVM)", 28.2),
    (2011, "XRCE\n(Fisher vectors)", 25.8),
    (2012, "AlexNet", 16.4),
    (2013, "ZFNet", 11.7),
    (2014, "GoogLeNet", 6.67),
    (2015, "ResNet", 3.57),
    (2016, "Trimps-\nSoushen", 2.99),
    (2017, "SENet", 2.25),
]
figure, axis = plt.subplots(figsize=(8, 3.4))
years = [year for year, _, _ in entries]
errors = [error for _, _, error in entries]
axis.bar(years, errors, color=["#9e9e9e"] * 2 + ["#1e88e5"] * 6)
axis.scatter([2014.3], [7.3], color="#43a047", zorder=3, label="VGG (2nd, 2014): 7.3%")
for year, name, error in entries:
    axis.text(year, error + 0.6, f"{name}\n{error:g}%", ha="center", fontsize=7)
axis.axhline(5.1, color="#e53935", linestyle="--", label="trained human, 5.1%")
axis.set(xlabel="ILSVRC year", ylabel="top-5 error (%)", xticks=years, ylim=(0, 36))
axis.legend(fontsize=8)
plotting.add_caption(figure, "ILSVRC winners' top-5 error and their architectures.")
plt.show()

# %% [markdown]
# ## Summary
#
# - LeNet-5 (1998) set the pattern conv-pool-conv-pool-dense; AlexNet (2012) scaled it
#   with ReLU, dropout, augmentation and GPUs: 60,965,224 parameters (two groups, 227
#   input), 34,944 in conv1.
# - VGG uses only 3x3 convolutions: three of them see 7x7 with 27C² weights instead
#   of 49C². VGG16 has 138,357,544 parameters, 74% in FC6; one image needs 15.2
#   million activations (61 MB forward), mostly in the first layers.
# - GoogLeNet's Inception module runs 1x1, 3x3, 5x5 and pooling branches in parallel;
#   1x1 reductions cut module 3a from 387,296 to 163,696 parameters.
# - ResNet learns residuals F(x) = H(x) − x with identity shortcuts (no parameters),
#   projection shortcuts where the shape changes, bottlenecks wide-narrow-wide; it
#   fixes the degradation of deep plain networks.
# - DenseNet concatenates every earlier map in a block, growing by k per layer.
# - Transfer learning: frozen features for few labels, fine-tuning the top with a small
#   learning rate and batch normalisation in inference mode when there is more data.
#
# **Next:** notebook 07 uses these networks as the backbones of object detectors.
