# %% [markdown]
# # Convolutional neural networks, hands on
#
# *The course map, how to run the notebooks, and a check that your environment works.*
#
# Each notebook teaches one part of convolutional neural networks with prose, formulas,
# figures and code, and asks you to implement the key pieces yourself. Check cells test
# your code the moment you run them and say what passed, what failed and why.
#
# **Time:** 10 minutes. **Accelerator:** none.
#
# [![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)](https://colab.research.google.com/github/cnn-course/cnn-course/blob/main/notebooks/00_index.ipynb) [![Binder](https://mybinder.org/badge_logo.svg)](https://mybinder.org/v2/gh/cnn-course/cnn-course/main?urlpath=lab/tree/notebooks/00_index.ipynb)

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

# %% [markdown]
# ## Course map
#
# Work through the notebooks in order; each builds on the previous ones. Notebook 09 is
# an optional appendix.
#
# | # | notebook | what you learn |
# |---|---|---|
# | 00 | [Index](00_index.ipynb) | this page: how to run the course, environment check |
# | 01 | [Convolution arithmetic](01_convolution_arithmetic.ipynb) | cross-correlation vs convolution; padding, stride, dilation and output sizes; a conv layer in NumPy; neurons, connections and parameters (AlexNet conv1); 1x1 convolutions; receptive fields; translation equivariance; filters on photographs |
# | 02 | [Pooling and downsampling](02_pooling_and_downsampling.ipynb) | why CNNs downsample; strided convolution and its output sizes; max and average pooling (overlapping windows, "same" padding) in NumPy; global pooling; how much one- and two-pixel shifts change conv and pooled outputs of a photograph |
# | 03 | [Backpropagation in CNNs](03_backprop_in_cnns.ipynb) | ReLU and dying units; max-pool gradient routing and average-pool spreading; a convolutional layer's input gradient as the padded upstream gradient cross-correlated with the kernel rotated by 180°, and its weight gradient as a sum over positions; convolution as a sparse matrix and as im2col; gradient checking; loops vs im2col vs Keras speed |
# | 04 | [Regularisation](04_regularisation.ipynb) | bias and variance; L1/L2 penalties and sparse vs small weights; inverted dropout; early stopping as Keras does it; batch normalisation in training and at inference, layer normalisation; data augmentation; four regularisers against an unregularised baseline on a small CNN, with the train/validation gap over several seeds |
# | 05 | [Training a CNN](05_training_a_cnn.ipynb) | an ImageNet-style pipeline: softmax and cross-entropy, mean image and per-channel mean, initialisation, SGD/momentum/RMSprop/Adam on an ill-conditioned valley and on Rosenbrock's function, learning rates and the range test, schedules, batch size, median-frequency class weights, top-1/top-5 error, confusion matrix, ten-crop test-time augmentation, ImageNet results and humans |
# | 06 | [CNN architectures](06_cnn_architectures.ipynb) | LeNet-5, AlexNet (grouped convolutions, 224 vs 227), VGG (stacks of 3x3, the layer-by-layer memory and parameter table), GoogLeNet (Inception modules, 1x1 reductions), ResNet (residual and bottleneck blocks, projections, pre-activation, the degradation problem measured), DenseNet, transfer learning (frozen features vs fine-tuning vs from scratch) |
# | 07 | [Object detection](07_object_detection.ipynb) | box formats and IoU; non-maximum suppression; the R-CNN family (R-CNN, SPP-net, Fast and Faster R-CNN, Mask R-CNN) with RoI pooling and RoIAlign; anchors, box encoding and matching; YOLO and SSD; AP and mAP in the VOC, VOC2007 and COCO forms; a single-shot detector trained on generated shapes in the notebook |
# | 08 | [Semantic segmentation](08_semantic_segmentation.ipynb) | a class per pixel; fully connected layers as convolutions (FCN) and skip fusion; nearest, bilinear, max-unpooling and transposed-convolution upsampling in NumPy (zero insertion, the input gradient of a convolution, checkerboards, bilinear initialisation); SegNet and U-Net; dilated convolutions; per-pixel loss and class weights; pixel accuracy vs mean IoU; an FCN and a U-Net trained and compared |
# | 09 | [Scaling up](09_scaling_up.ipynb) *(optional appendix)* | beyond the lectures: `coursekit.training` on several devices and machines (`tf.distribute` strategies, the global batch), mixed precision, XLA, measured throughput |
#
# The graded exercises of the available notebooks, straight from the course's registry:

# %%
from collections import Counter

from coursekit.grading import exercises

points = Counter()
for exercise in exercises():
    kind = "code, autograded" if exercise.kind == "code" else "written, graded by hand"
    print(f"Exercise {exercise.number:<5} {exercise.points} pt  {exercise.title}  ({kind})")
    points[exercise.notebook] += exercise.points
for notebook, total in points.items():
    print(f"{notebook}: {total} points")

# %% [markdown]
# ## How to run the course
#
# **On your computer.** With Python 3.10 or newer, from the course folder:
#
# ```bash
# python -m pip install -e ".[lab]" && jupyter lab notebooks/00_index.ipynb
# ```
#
# This installs coursekit with TensorFlow and JupyterLab and opens this notebook.
# Everything in the `fast` and `default` profiles then works offline.
#
# **On Binder.** Click the Binder badge at the top of a notebook. Binder builds the
# course from the `binder/` folder (CPU-only TensorFlow) and opens the notebook in
# JupyterLab. Sessions are temporary and limited to about 2 GB of memory, so coursekit
# picks the `fast` profile there; download your work before you leave.
#
# **On Colab.** Click the Colab badge. The first code cell of every notebook installs
# coursekit when it runs on Colab and leaves Colab's own TensorFlow, Keras, NumPy and
# ipywidgets untouched. For the GPU notebooks choose *Runtime > Change runtime type > GPU*.
# Save a copy to your Drive to keep your answers.
#
# ## Profiles
#
# Every notebook reads its data and training sizes from a **profile**, so the same
# notebook runs in seconds on Binder and to real accuracy on a GPU. `coursekit.setup()`
# picks one: the `COURSEKIT_PROFILE` environment variable if set, else `fast` on Binder,
# `full` when there is a GPU and `default` otherwise.

# %%
from coursekit.profiles import PROFILES

print(f"{'profile':<9}{'train samples':>14}{'epochs':>8}{'image':>7}{'batch':>7}  meant for")
for item in PROFILES.values():
    samples = "all" if item.max_train_samples is None else f"{item.max_train_samples:,}"
    print(
        f"{item.name:<9}{samples:>14}{item.epochs:>8}{item.image_size:>7}{item.batch_size:>7}"
        f"  {item.description}"
    )
print(f"\nThis session uses the {profile.name!r} profile.")

# %% [markdown]
# To force one, set the variable before starting Jupyter
# (`COURSEKIT_PROFILE=default jupyter lab`), or call `coursekit.setup(profile="default")`
# in the notebook.
#
# ## How exercises and checks work
#
# An exercise asks for a function. In your copy its body is
# `raise NotImplementedError("Exercise N.K")`: replace that line with your code, run the
# cell, then run the check cell below it. A check never stops *Run All*; it prints a
# report. Here is what an untouched exercise and a wrong answer look like:

# %%
from coursekit import check


def receptive_field(layers):
    raise NotImplementedError("Exercise 1.5")


check("01.5", receptive_field)


# %%
def receptive_field(layers):
    return 1 + sum(kernel_size - 1 for kernel_size, *_ in layers)  # forgets the strides


check("01.5", receptive_field)

# %% [markdown]
# Written exercises have an answer cell that says `YOUR ANSWER HERE`; replace it with your
# answer. They are graded by hand.
#
# ## Environment check
#
# The next cells confirm that Keras computes, that coursekit's NumPy layers agree with it,
# that plots render and that widgets respond. If one of them fails, re-run the install
# command above (locally) or restart the runtime (Colab).

# %%
import platform

import ipywidgets
import keras
import matplotlib
import numpy as np

from coursekit import scratch
from coursekit.environment import gpu_names

for name, version in [
    ("Python", platform.python_version()),
    ("Keras", f"{keras.__version__} ({keras.backend.backend()} backend)"),
    ("NumPy", np.__version__),
    ("matplotlib", matplotlib.__version__),
    ("ipywidgets", ipywidgets.__version__),
    ("coursekit", coursekit.__version__),
    ("GPUs", ", ".join(gpu_names()) or "none (CPU only)"),
]:
    print(f"{name:>11}: {version}")

# %%
rng = np.random.default_rng(0)
x = rng.normal(size=(1, 6, 6, 2)).astype("float32")
kernel = rng.normal(size=(3, 3, 2, 4)).astype("float32")
layer = keras.layers.Conv2D(4, 3, use_bias=False)
layer.build(x.shape)
layer.set_weights([kernel])
difference = np.max(np.abs(keras.ops.convert_to_numpy(layer(x)) - scratch.conv2d(x, kernel)))
print(f"Keras Conv2D vs coursekit.scratch.conv2d: largest difference {difference:.1e}")
assert difference < 1e-4

# %%
import matplotlib.pyplot as plt

from coursekit import plotting

figure, axis = plt.subplots(figsize=(4, 2.5))
axis.plot(np.linspace(0, 1, 50), np.linspace(0, 1, 50) ** 2)
plotting.add_caption(figure, "If you can read this caption under a parabola, plots work.")
plt.show()

# %%
slider = ipywidgets.IntSlider(value=3, min=1, max=7, description="kernel")
label = ipywidgets.Label()


def show_parameters(change=None):
    label.value = (
        f"a {slider.value}x{slider.value}x3 filter has {slider.value**2 * 3 + 1} parameters"
    )


slider.observe(show_parameters, names="value")
show_parameters()
ipywidgets.HBox([slider, label])

# %% [markdown]
# Move the slider: the sentence should update. All set: continue with
# [notebook 01](01_convolution_arithmetic.ipynb).
