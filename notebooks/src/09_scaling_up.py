# %% [markdown]
# # Scaling up (optional appendix)
#
# *Training the course's networks on several devices and machines, with mixed precision
# and XLA, and measuring what each buys.*
#
# This appendix goes beyond the lectures: nothing in notebooks 01–08 depends on it. Read
# it when a network takes too long on one device.
#
# **After this notebook you can**
# - say what the three profiles change, and run any notebook at another scale;
# - train with `coursekit.training.fit` under a `tf.distribute` strategy, and say how the
#   global batch grows with the number of replicas;
# - explain mixed precision (float16 arithmetic, float32 weights, loss scaling) and XLA
#   compilation, and when each pays off;
# - measure training throughput in images per second, and read the numbers honestly.
#
# **Time:** about 30 minutes. **Accelerator:** optional. On a CPU the notebook splits the
# processor into two logical devices to show the mechanics; with GPUs it measures real
# speed-ups (set `COURSEKIT_PROFILE=full`).
#
# [![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)](https://colab.research.google.com/github/cnn-course/cnn-course/blob/main/notebooks/09_scaling_up.ipynb) [![Binder](https://mybinder.org/badge_logo.svg)](https://mybinder.org/v2/gh/cnn-course/cnn-course/main?urlpath=lab/tree/notebooks/09_scaling_up.ipynb)

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
# `tf.distribute` strategies need the TensorFlow backend. A strategy mirrors the model
# on several devices; a machine with fewer than two GPUs has only one, so we split its
# processor into two **logical** CPU devices. This must happen before TensorFlow starts
# its devices, so it is the first thing the notebook does with TensorFlow. The two share
# the same cores: they show how a strategy works, not a speed-up.

# %%
import keras
import tensorflow as tf

assert keras.backend.backend() == "tensorflow", "tf.distribute needs the TensorFlow backend"
tf.get_logger().setLevel("WARNING")  # strategies report every step of their setup at INFO
gpus = tf.config.list_physical_devices("GPU")
if len(gpus) < 2:
    try:
        cpu = tf.config.list_physical_devices("CPU")[0]
        tf.config.set_logical_device_configuration(
            cpu, [tf.config.LogicalDeviceConfiguration()] * 2
        )
    except RuntimeError:  # TensorFlow has already set up its devices in this kernel
        print("Restart the kernel and run from the top to get two logical CPUs.")
print("GPUs:", len(gpus), "| logical CPUs:", len(tf.config.list_logical_devices("CPU")))

# %%
import math
import time

import matplotlib.pyplot as plt
import numpy as np

from coursekit import data, plotting, training
from coursekit.environment import gpu_names

# %% [markdown]
# ## 1. One notebook, three scales
#
# Every notebook reads its sizes from the profile, so the same code runs in seconds on
# Binder and to real accuracy on a GPU; only the profile changes
# (`COURSEKIT_PROFILE=full`, or `coursekit.setup(profile="full")`):
#
# | profile | data (notebooks 05 and 09) | meant for |
# |---|---|---|
# | `fast` | embedded digits, 1,000 training images | tests and Binder, seconds |
# | `default` | CIFAR-10 when downloaded (else digits), 10,000 training images | a laptop CPU, minutes |
# | `full` | all of CIFAR-10, downloaded once | a GPU |
#
# This notebook trains notebook 05's kind of network: three stages of a 3x3 convolution
# and 2x2 max pooling, a hidden dense layer and a softmax, on images centred on the
# training mean.

# %%
dataset = data.load("cifar10", profile)
mean = data.mean_image(dataset.x_train)
x_train, y_train = dataset.x_train - mean, dataset.y_train
WIDTH = {"fast": 8, "default": 32, "full": 64}[profile.name]
print(dataset, "| width", WIDTH, "| batch per replica", profile.batch_size)


def build_cnn():
    """A small classifier, built and compiled (call it inside a strategy's scope)."""
    conv = {"padding": "same", "activation": "relu"}
    model = keras.Sequential(
        [
            keras.Input(dataset.image_shape),
            keras.layers.Conv2D(WIDTH, 3, **conv),
            keras.layers.MaxPooling2D(),
            keras.layers.Conv2D(2 * WIDTH, 3, **conv),
            keras.layers.MaxPooling2D(),
            keras.layers.Conv2D(4 * WIDTH, 3, **conv),
            keras.layers.MaxPooling2D(),
            keras.layers.Flatten(),
            keras.layers.Dense(8 * WIDTH, activation="relu"),
            # float32 even under mixed precision: a numerically safe softmax and loss.
            keras.layers.Dense(dataset.num_classes, activation="softmax", dtype="float32"),
        ]
    )
    model.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


# %% [markdown]
# ## 2. Several devices: data parallelism
#
# A `tf.distribute` strategy copies the model to every device (each copy is a
# **replica**), splits each batch between them, lets each compute the gradient of its
# share, and averages those gradients before every update, so all copies stay equal.
# `MirroredStrategy` does this for the GPUs of one machine.
#
# The model's variables must be created inside `strategy.scope()`: give
# `training.fit` the function that builds the model and it does that for you. The
# profile's batch size is **per replica**: when you pass arrays, `fit` multiplies it by
# `strategy.num_replicas_in_sync`, so the global batch, and with it the number of images
# per update, grows with the number of devices. (A `tf.data.Dataset` arrives batched
# already; then batch it yourself with the global size.)
#
# We train for two epochs and time them with a small callback, for section 4: the first
# epoch also builds the training step, so only the second one measures speed.


# %%
class EpochTimer(keras.callbacks.Callback):
    """Records the wall-clock seconds of every epoch."""

    def on_train_begin(self, logs=None):
        self.seconds = []

    def on_epoch_begin(self, epoch, logs=None):
        self.started = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
        self.seconds.append(time.perf_counter() - self.started)


def timed_fit(label, **fit_options):
    """Trains a fresh model for two epochs, reported on one status line.

    Returns the history and the training images per second of the second epoch.
    """
    timer = EpochTimer()
    keras.utils.set_random_seed(0)
    history = training.fit(
        build_cnn,
        (x_train, y_train),
        profile=profile,
        epochs=2,
        progress="none",
        callbacks=[timer, training.RunStatus(label)],
        **fit_options,
    )
    return history, len(x_train) / timer.seconds[1]


logical_cpus = len(tf.config.list_logical_devices("CPU"))
devices = None if len(gpus) >= 2 else ["/cpu:0", "/cpu:1"][:logical_cpus]
strategy = tf.distribute.MirroredStrategy(devices)
replicas = strategy.num_replicas_in_sync
history, mirrored_speed = timed_fit(
    f"{replicas} replicas", strategy=strategy, mixed_precision=False, jit_compile=False
)
global_batch = profile.batch_size * replicas
steps = history.params["steps"]
print(
    f"{replicas} replicas x {profile.batch_size} images = global batch {global_batch}; "
    f"{len(x_train):,} images -> {steps} updates per epoch"
)
assert steps == math.ceil(len(x_train) / global_batch)
assert history.model.distribute_strategy is strategy

# %% [markdown]
# With a larger global batch an epoch makes fewer updates, each from a less noisy
# gradient (notebook 05, section 5). The usual remedy for the fewer updates is the
# **linear scaling rule** (Goyal et al., 2017): multiply the learning rate by the number
# of replicas, with a few epochs of warm-up from the single-device rate.
#
# **Several machines.** `MultiWorkerMirroredStrategy` does the same across machines.
# Every machine runs the same script; the `TF_CONFIG` environment variable tells each
# process the cluster's layout and its own place in it:
#
# ```python
# # On machine 0 (and the same with "index": 1 on machine 1):
# # TF_CONFIG='{"cluster": {"worker": ["host0:12345", "host1:12345"]},
# #             "task": {"type": "worker", "index": 0}}'
# strategy = tf.distribute.MultiWorkerMirroredStrategy()
# history = training.fit(build_cnn, (x_train, y_train), profile=profile, strategy=strategy)
# ```
#
# **Other backends.** With JAX, Keras's own distribution API plays the same role:
# `keras.distribution.set_distribution(keras.distribution.DataParallel())` before
# building the model shards every batch across all devices.

# %% [markdown]
# ## 3. Mixed precision and XLA
#
# On a GPU, `training.fit` switches on two more accelerations, which you can override
# with `mixed_precision=` and `jit_compile=`:
#
# - **Mixed precision** computes in float16 on the GPU's tensor cores (several times
#   faster than float32) while the weights stay in float32, so that small updates are not
#   rounded away. Gradients can be smaller than float16 can hold, so the loss is
#   multiplied by a large **loss scale** before backpropagation and the gradients divided
#   by it afterwards. It must be on when the weights are created, which is why `fit`
#   accepts a *function* that builds the model.
# - **XLA** compiles each training step into fused kernels, saving memory traffic and
#   launch overhead.
#
# Both are off on a CPU, where float16 arithmetic is emulated (slower than float32) and
# compiling rarely pays back for small models; the JAX backend always compiles with XLA.

# %%
print("this machine:", training.acceleration())
tiny = np.float32(1e-8)  # a plausible gradient
print(
    f"float16 cannot hold {tiny:.0e}: it becomes {np.float16(tiny)}; "
    f"scaled by 2**15 first it survives as {np.float16(tiny * 2**15):.3g}"
)
layer = keras.layers.Dense(4, dtype="mixed_float16")
layer.build((None, 8))
print(
    f"under 'mixed_float16' a layer computes in {layer.compute_dtype}, keeps {layer.variable_dtype} weights"
)
assert np.float16(tiny) == 0 and np.float16(tiny * 2**15) > 0

# %% [markdown]
# ## 4. Measuring throughput
#
# The only honest way to know what a setting buys is to measure it. We compare the
# **training images per second** of the mirrored run above (its second epoch) with the
# same network on one device, and, on a GPU, with mixed precision and XLA switched on.

# %%
throughput = {f"{replicas} replicas, float32": mirrored_speed}
settings = {"one device, float32": {"mixed_precision": False, "jit_compile": False}}
if gpu_names():
    settings["one device, mixed precision + XLA"] = {"mixed_precision": True, "jit_compile": True}
for name, options in settings.items():
    throughput[name] = timed_fit(name, **options)[1]

figure, axis = plt.subplots(figsize=(6, 0.6 + 0.5 * len(throughput)))
axis.barh(list(throughput), list(throughput.values()), color="C0")
axis.set(xlabel="training images per second")
axis.invert_yaxis()
plotting.add_caption(
    figure,
    f"Training throughput of the same network in this run ({'GPU: ' + gpu_names()[0] if gpu_names() else 'CPU only'}).",
)
plt.show()
for name, value in throughput.items():
    print(f"{name:<36} {value:10,.0f} images/s")

# %% [markdown]
# Read the numbers with their hardware. Two logical CPUs share the same cores, so
# mirroring on them adds synchronisation and splits the same work: expect no gain, often
# a loss. On two real GPUs the same code runs each half batch on its own device, and the
# speed-up approaches 2 when the batch is large enough to keep both busy. Mixed precision
# and XLA help most on large convolutions and matrix products; on a network this small,
# the fixed cost of each step can hide much of it. Measure before you conclude.
#
# ## Summary
#
# - The profile sets the scale of every notebook; the code stays the same.
# - A `MirroredStrategy` (one machine) or `MultiWorkerMirroredStrategy` (several) trains
#   one replica per device on its share of each batch and averages the gradients. Build
#   the model inside the strategy's scope (`training.fit` does it when given a building
#   function); with arrays the global batch is the profile's batch size times the
#   replicas.
# - Mixed precision computes in float16 with float32 weights and a loss scale; XLA
#   compiles fused steps. Both pay off on GPUs.
# - Throughput is measured, not assumed: time epochs after the first, in images per
#   second, and report the hardware with the number.
