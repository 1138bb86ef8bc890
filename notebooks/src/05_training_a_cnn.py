# %% [markdown]
# # Training a CNN
#
# *How an ImageNet-style image classifier is trained and evaluated: the loss, the
# preprocessing, the starting weights, the optimiser, unbalanced classes and honest test
# numbers.*
#
# **After this notebook you can**
# - describe the pipeline of an image classifier: convolutional layers with downsampling,
#   fully connected layers, softmax and cross-entropy; training, validation and test
#   splits; batches and epochs;
# - write a numerically stable softmax and the cross-entropy loss that match Keras;
# - subtract a mean image or a per-channel mean computed on the training split only;
# - diagnose an initialisation from activation statistics, and choose Glorot or He;
# - compare SGD, momentum, RMSprop and Adam, recognise a learning rate that is too high
#   or too low, and schedule it; relate batch size to gradient noise and memory;
# - counter class imbalance with median-frequency weights;
# - report top-1 and top-5 error, read a confusion matrix, inspect the most confident
#   mistakes, and average predictions over ten crops;
# - put the ImageNet results, and the comparison with humans, in perspective.
#
# **Time:** about 3 hours. **Accelerator:** none for the `fast` and `default` profiles;
# a GPU for the `full` profile, which trains on a real dataset to real accuracy.
#
# [![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)](https://colab.research.google.com/github/cnn-course/cnn-course/blob/main/notebooks/05_training_a_cnn.ipynb) [![Binder](https://mybinder.org/badge_logo.svg)](https://mybinder.org/v2/gh/cnn-course/cnn-course/main?urlpath=lab/tree/notebooks/05_training_a_cnn.ipynb)

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
from matplotlib.ticker import MaxNLocator

from coursekit import check, data, plotting, scratch, training
from coursekit.environment import gpu_names
from coursekit.scratch.crops import CROP_NAMES

# %% [markdown]
# ## 1. The pipeline of an image classifier
#
# The classic image classifier, AlexNet and its successors, has three parts:
#
# 1. **Convolutional layers with downsampling** (pooling or strided convolutions) turn
#    pixels into features: edges first, then textures, parts and objects. Each stage
#    halves the resolution and increases the number of feature maps. This part is a
#    learned *feature embedding*.
# 2. **Fully connected layers** classify those features: a linear classifier, or a
#    small multilayer perceptron, on top of the embedding.
# 3. A **softmax** turns the last layer's scores into class probabilities, and the
#    **cross-entropy** loss compares them with the true class.
#
# Training needs three disjoint splits of the data. The **training** split updates the
# weights; the **validation** split tells us when to stop and which settings work best;
# the **test** split is used once, at the end, for an honest estimate of the error on
# new images. The training split is cut into **batches**: each batch gives one gradient
# and one update of the weights, and one pass over all batches is an **epoch**.
#
# The profile decides the data: the embedded handwritten digits in the `fast` profile,
# CIFAR-10 (60,000 colour photographs of 10 classes) in `default` when it is already
# downloaded (the digits otherwise), and CIFAR-10 downloaded on demand in `full`. Set `DATASET = "imagenette"`
# to train on a 10-class subset of ImageNet instead, in the `full` profile on a GPU.

# %%
DATASET = "cifar10"
dataset = data.load(DATASET, profile)
class_names = dataset.class_names
num_classes = dataset.num_classes
print(dataset)


def picture(image):
    """An image as matplotlib shows it: grey images lose their channel axis."""
    return image[..., 0] if image.shape[-1] == 1 else image


plotting.show_images(
    [picture(image) for image in dataset.x_train[:8]],
    titles=[class_names[label] for label in dataset.y_train[:8]],
    caption="The first training images with their labels.",
    size=1.6,
    ncols=8,
)
plt.show()

# %% [markdown]
# How many updates does training make? With $N$ training images and batches of $B$,
# an epoch has $\lceil N / B \rceil$ updates (the last batch may be smaller):

# %%
steps_per_epoch = math.ceil(len(dataset.x_train) / profile.batch_size)
print(
    f"{len(dataset.x_train):,} training / {len(dataset.x_val):,} validation / "
    f"{len(dataset.x_test):,} test images; batches of {profile.batch_size}: "
    f"{steps_per_epoch} updates per epoch, {steps_per_epoch * profile.epochs} in "
    f"{profile.epochs} epochs"
)

# %% [markdown]
# Our network follows the pattern at a small scale: three stages of a 3x3 convolution
# with ReLU and 2x2 max pooling, then one hidden fully connected layer and a softmax
# output. It reads crops 4 pixels smaller than the images (28x28 crops of 32x32
# digits or CIFAR-10 images): training uses random crops (a cheap augmentation),
# testing uses the centre crop or, in section 7, all ten standard crops. The width
# (filters in the first stage) follows the profile.

# %%
IMAGE_SIZE = dataset.image_shape[0]
CROP = IMAGE_SIZE - 4
CHANNELS = dataset.image_shape[-1]
WIDTH = {"fast": 8, "default": 32, "full": 64}[profile.name]


def build_cnn(optimizer="adam", kernel_initializer="he_normal", width=WIDTH):
    """The course's small ImageNet-style classifier, compiled for integer labels."""
    conv = {"padding": "same", "activation": "relu", "kernel_initializer": kernel_initializer}
    model = keras.Sequential(
        [
            keras.Input((CROP, CROP, CHANNELS)),
            keras.layers.Conv2D(width, 3, **conv),
            keras.layers.MaxPooling2D(),
            keras.layers.Conv2D(2 * width, 3, **conv),
            keras.layers.MaxPooling2D(),
            keras.layers.Conv2D(4 * width, 3, **conv),
            keras.layers.MaxPooling2D(),
            keras.layers.Flatten(),
            keras.layers.Dense(8 * width, activation="relu", kernel_initializer=kernel_initializer),
            # float32 even under mixed precision: a numerically safe softmax and loss.
            keras.layers.Dense(num_classes, activation="softmax", dtype="float32"),
        ],
        name="small_cnn",
    )
    top5 = keras.metrics.SparseTopKCategoricalAccuracy(k=5, name="top5_accuracy")
    model.compile(optimizer, "sparse_categorical_crossentropy", metrics=["accuracy", top5])
    return model


def centre_crop(images, size=CROP):
    """The centre `size` x `size` crop of every image (the extra pixel goes bottom/right)."""
    top, left = (images.shape[1] - size) // 2, (images.shape[2] - size) // 2
    return images[:, top : top + size, left : left + size]


build_cnn().summary()

# %% [markdown]
# ## 2. Softmax and cross-entropy
#
# The last layer produces one score $z_c$ per class (a *logit*). The **softmax**
# turns the scores into probabilities,
#
# $$p_c = \sigma(z)_c = \frac{e^{z_c}}{\sum_{j} e^{z_j}},$$
#
# all in $(0, 1)$ and summing to 1; the largest score gets the largest probability.
# Adding the same constant to every score changes nothing, since $e^{z_c - m} /
# \sum_j e^{z_j - m} = e^{z_c} / \sum_j e^{z_j}$. That freedom matters on a computer:
# $e^{z}$ overflows float64 above $z \approx 709$ (float32 above 88), and
# $\infty / \infty$ is NaN. Subtracting the largest score, $m = \max_j z_j$, keeps every
# exponent at or below 0, so the largest term is exactly $e^0 = 1$:

# %%
scores = np.array([1000.0, 1001.0, 999.0])
with np.errstate(over="ignore", invalid="ignore"):
    print("naive:  ", np.exp(scores) / np.exp(scores).sum())
shifted = np.exp(scores - scores.max())
print("shifted:", shifted / shifted.sum())

# %% [markdown]
# ### Exercise 5.1
#
# Write `softmax(logits, axis=-1)` for an array of scores with the classes along
# `axis`. Subtract the maximum along that axis (keep the dimension with
# `keepdims=True` so it broadcasts), exponentiate and normalise. It must give finite
# probabilities for scores like 1000, for every row on its own scale.


# %%
def softmax(logits, axis=-1):
    ### BEGIN SOLUTION
    logits = np.asarray(logits, dtype=float)
    exponentials = np.exp(logits - np.max(logits, axis=axis, keepdims=True))
    return exponentials / np.sum(exponentials, axis=axis, keepdims=True)
    ### END SOLUTION


# %%
check("05.1", softmax)

# %% [markdown]
# Keras agrees with the course's reference, `scratch.softmax` (Keras subtracts the
# maximum too):

# %%
rng = np.random.default_rng(0)
logits = rng.normal(size=(4, num_classes)) * 20
keras_probabilities = keras.ops.convert_to_numpy(keras.ops.softmax(logits))
difference = np.abs(scratch.softmax(logits) - keras_probabilities).max()
print("largest difference from keras.ops.softmax:", difference)
assert difference < 1e-6

# %% [markdown]
# The **cross-entropy** measures how far the predicted distribution $p$ is from the
# true one $t$: $H(t, p) = -\sum_c t_c \log p_c$. The target is one-hot (1 for the
# true class $y$, 0 elsewhere), so only one term survives, $-\log p_y$: the loss is
# small when the model gives the true class a high probability, and grows without
# bound as that probability goes to 0. Over a batch of $N$ examples we average:
#
# $$E = -\frac{1}{N} \sum_{i=1}^{N} \log p_{i, y_i}.$$
#
# Averaging, rather than summing, keeps the loss (and the size of the gradient) the
# same whatever the batch size, so the learning rate does not have to change with it.
# Keras clips probabilities to $[10^{-7}, 1 - 10^{-7}]$ before the logarithm, so a
# probability of exactly 0 costs $-\log 10^{-7} \approx 16.1$ rather than infinity.

# %% [markdown]
# ### Exercise 5.2
#
# Write `cross_entropy(probabilities, labels)` for `probabilities` of shape
# `(batch, num_classes)` and integer `labels` of shape `(batch,)`. Return the mean loss
# over the batch as a float, clipping the probabilities to `[1e-7, 1 - 1e-7]` as Keras
# does.


# %%
def cross_entropy(probabilities, labels):
    ### BEGIN SOLUTION
    true_class = probabilities[np.arange(len(labels)), labels]
    return float(np.mean(-np.log(np.clip(true_class, 1e-7, 1 - 1e-7))))
    ### END SOLUTION


# %%
check("05.2", cross_entropy)

# %% [markdown]
# Again Keras is the ground truth, with the loss computed from probabilities (what a
# model ending in a softmax hands it) or straight from the logits:

# %%
batch_logits = rng.normal(size=(8, num_classes)) * 2
labels = rng.integers(0, num_classes, size=8)
probabilities = scratch.softmax(batch_logits)
from_probabilities = keras.losses.SparseCategoricalCrossentropy()(labels, probabilities)
from_logits = keras.losses.SparseCategoricalCrossentropy(from_logits=True)(labels, batch_logits)
print(f"ours {scratch.cross_entropy(probabilities, labels):.5f}")
print(
    f"Keras from probabilities {float(from_probabilities):.5f}, from logits {float(from_logits):.5f}"
)
assert np.isclose(scratch.cross_entropy(probabilities, labels), float(from_logits), rtol=1e-4)

# %% [markdown]
# The two Keras losses differ only when a probability falls below the clip. From the
# logits, the log-probability is computed directly as $z_y - \log\sum_j e^{z_j}$ (with
# the maximum subtracted inside the log-sum-exp), which is exact even when $p_y$
# underflows; from probabilities, the clip caps the loss at 16.1. That is why a model
# can output logits and use `from_logits=True`:

# %%
confident_and_wrong = np.array([[0.0, 50.0]])  # true class 0 has probability e^-50
exact = float(
    keras.losses.SparseCategoricalCrossentropy(from_logits=True)(np.array([0]), confident_and_wrong)
)
clipped = scratch.cross_entropy(scratch.softmax(confident_and_wrong), np.array([0]))
print(f"from logits: {exact:.2f}; from clipped probabilities: {clipped:.2f}")

# %% [markdown]
# A useful sanity check before training: an untrained network gives roughly equal
# probabilities to all classes, so its loss should be close to
# $-\log(1/10) = \ln 10 \approx 2.30$. With Keras's default initialisation (Glorot,
# section 4) the scores start almost equal and the loss is almost exactly that; our
# network's He initialisation starts with larger random scores, and a somewhat higher
# loss. A loss several times $\ln 10$ points to a bug or a broken initialisation.

# %%
for initializer in ["glorot_uniform", "he_normal"]:
    untrained = build_cnn(kernel_initializer=initializer)
    initial_loss = scratch.cross_entropy(
        untrained.predict(centre_crop(dataset.x_val), verbose=0), dataset.y_val
    )
    print(
        f"{initializer:>14}: initial loss {initial_loss:.2f}; ln({num_classes}) = {math.log(num_classes):.2f}"
    )
    assert initial_loss < 3 * math.log(num_classes)

# %% [markdown]
# ## 3. Preprocessing: the mean image and the per-channel mean
#
# Networks train faster on inputs centred on zero. Two common ways to centre images:
#
# - subtract the **mean image**, the pixel-by-pixel average of the training images
#   (one value per pixel and channel, AlexNet's choice);
# - subtract the **per-channel mean**, one number per colour channel (VGG's choice:
#   lighter, and it does not depend on the image size).
#
# Dividing by the standard deviation is optional for images (their pixels share one
# scale already); PCA or whitening is rarely used.

# %%
mean = data.mean_image(dataset.x_train)
channel = data.channel_mean(dataset.x_train)
print("mean image", mean.shape, "| per-channel mean", np.round(channel, 3))
example = dataset.x_train[0]
plotting.show_images(
    [picture(example), picture(mean), picture(example - mean), picture(example - channel)],
    titles=["an image", "mean image", "image - mean image", "image - channel mean"],
    caption="The mean image of the training split, and one image centred both ways "
    "(red above zero, blue below).",
    symmetric=True,
    size=2.4,
)
plt.show()

# %% [markdown]
# On colour photographs the two differ more visibly: the mean image keeps where colours
# tend to be (a bright sky at the top, say), the per-channel mean only the average
# colour. Here with scikit-image's photographs:

# %%
photos = np.stack(list(data.sample_images(image_size=64).values()))
photo_mean, photo_channel = data.mean_image(photos), data.channel_mean(photos)
swatch = np.broadcast_to(photo_channel, (64, 64, 3))
plotting.show_images(
    [photos[0], photo_mean, swatch, np.clip(photos[0] - photo_mean + 0.5, 0, 1)],
    titles=["a photograph", "mean image", "per-channel mean", "photo - mean image (+0.5)"],
    caption="Six photographs give a blurred mean image and one average colour.",
    size=2.4,
)
plt.show()

# %% [markdown]
# **Statistics come from the training split only.** The mean is a parameter of the
# model, learned like the weights: compute it on the training images, then subtract
# *that same* mean from validation and test images, and from every image the model
# will see after deployment. Two mistakes are common. Computing the mean over all the
# data lets the test images leak into training. Normalising each test batch with its
# own mean is worse: a prediction then depends on which other images share the batch.
# We train the model now, then show that second mistake with it.
#
# The training pipeline subtracts the training mean, takes random crops (and, for
# photographs, random left-right flips; a mirrored digit is not the same digit), and
# shuffles every epoch. `training.fit` wraps `keras.Model.fit`: epochs and batch size
# come from the profile, a live plot shows the curves, and early stopping keeps the
# weights of the epoch with the lowest validation loss.

# %%
x_train, x_val, x_test = (x - mean for x in (dataset.x_train, dataset.x_val, dataset.x_test))
y_train, y_val, y_test = dataset.y_train, dataset.y_val, dataset.y_test
MIRROR = CHANNELS == 3  # photographs are mirror-symmetric classes; digits are not
augment = keras.Sequential(
    [keras.layers.RandomCrop(CROP, CROP)]
    + ([keras.layers.RandomFlip("horizontal")] if MIRROR else [])
)
train_batches = data.make_array_dataset(x_train, y_train, profile.batch_size, augment=augment)

keras.utils.set_random_seed(0)
history = training.fit(build_cnn, train_batches, (centre_crop(x_val), y_val), profile)
model = history.model

# %% [markdown]
# Now the mistakes. A mean over all the data differs from the training mean only a
# little here, which is what makes the leak easy to miss:

# %%
all_images = np.concatenate([dataset.x_train, dataset.x_val, dataset.x_test])
leak = np.abs(data.mean_image(all_images) - mean).max()
print(f"mean image over all splits vs training split: largest difference {leak:.4f}")

# %% [markdown]
# Batch statistics do visible damage. We classify the same test images twice, once in
# the first half of the test set and once in a batch mixed with other images, each
# batch centred on its own mean. The right way, the training mean, gives one answer per
# image whatever its company:

# %%
raw_test = centre_crop(dataset.x_test)
half = len(raw_test) // 2
first_batch = raw_test[:half]
mixed_batch = np.concatenate([raw_test[: half // 2], raw_test[half:]])  # shares half its images


shared = half // 2  # the images both batches contain


def shared_probabilities(batch, subtract):
    return model.predict(batch - subtract, verbose=0)[:shared]


own_first = shared_probabilities(first_batch, first_batch.mean(axis=0))
own_mixed = shared_probabilities(mixed_batch, mixed_batch.mean(axis=0))
training_mean = centre_crop(mean[None])[0]
right_first = shared_probabilities(first_batch, training_mean)
right_mixed = shared_probabilities(mixed_batch, training_mean)
changed = np.sum(own_first.argmax(axis=1) != own_mixed.argmax(axis=1))
print(f"centred on their batch's mean: {changed} of {shared} images change class with the batch")
print(
    f"centred on the training mean: probabilities differ by at most {np.abs(right_first - right_mixed).max():.1e}"
)
assert np.allclose(right_first, right_mixed, atol=1e-5)

# %% [markdown]
# ### Exercise 5.3
#
# Explain why the mean image (or per-channel mean) must be computed on the training
# split only, and why the same mean must then be subtracted from validation images,
# test images and images seen after deployment. What goes wrong with each alternative:
# a mean over all the data, and a mean over each test batch? (A few sentences.)

# %% [markdown]
# ### BEGIN SOLUTION
# The mean is part of the model: it is estimated from data, like the weights, so it may
# only be estimated from the training split. If the validation and test images
# contribute to it, information about them leaks into the preprocessing and the
# measured error is no longer that of unseen images (with many images the leak is
# small, but the estimate is no longer honest by construction). The network has learned
# weights for inputs centred with one particular mean; subtracting a different one
# shifts every input, and so the outputs, in a way training never saw. Centring each
# test batch on its own mean is worse: the input for an image, and therefore its
# prediction, depends on the other images in the batch, so the same image can get
# different labels, results change with the batch size, and a single image (batch of
# one) becomes all zeros. After deployment there is no test set to average over at all;
# the stored training mean is the only consistent choice.
# ### END SOLUTION

# %% [markdown]
# ## 4. Initialisation
#
# Training starts from random weights (biases start at zero). The scale of that
# randomness matters more than it seems.
#
# **Not all the same.** If every weight starts equal (zero or any constant), all units
# of a layer compute the same output and receive the same gradient, so they stay
# identical forever: a layer of 32 units behaves like one. With zeros it is even worse
# here: a ReLU unit with zero input passes no gradient, so the hidden layer never moves.
# Random weights break the symmetry. A small dense network shows it:

# %%
flat_train = x_train.reshape(len(x_train), -1)


def symmetric_start(initializer):
    model = keras.Sequential(
        [
            keras.Input(flat_train.shape[1:]),
            keras.layers.Dense(32, activation="relu", kernel_initializer=initializer),
            keras.layers.Dense(num_classes, activation="softmax", kernel_initializer=initializer),
        ]
    )
    model.compile(keras.optimizers.SGD(0.05), "sparse_categorical_crossentropy")
    model.fit(flat_train, y_train, epochs=2, batch_size=64, verbose=0)
    hidden = model.layers[0].get_weights()[0]  # one column of weights per hidden unit
    return hidden


for name, initializer in [
    ("zeros", "zeros"),
    ("constant 0.01", keras.initializers.Constant(0.01)),
    ("He normal", "he_normal"),
]:
    hidden = symmetric_start(initializer)
    distinct = len(np.unique(hidden.round(6), axis=1).T)
    print(
        f"{name:>13}: {distinct:2d} distinct hidden units of 32, largest weight {np.abs(hidden).max():.3f}"
    )

# %% [markdown]
# **Not too small, not too large.** Follow a batch through a deep stack of layers and
# watch the spread of the activations. With weights drawn from
# $\mathcal{N}(0, 0.01^2)$, each layer multiplies the spread by about
# $0.01 \sqrt{n}$ for $n$ inputs, so after a few layers the activations (and the
# gradients flowing back) vanish. With $\mathcal{N}(0, 1)$ they explode, or saturate a
# tanh at $\pm 1$ where its gradient is zero. The cure is to scale the variance by the
# number of inputs:
#
# - **Glorot (Xavier)**: $\operatorname{Var}(w) = 2 / (n_\text{in} + n_\text{out})$,
#   derived for symmetric activations like tanh; Keras's default for `Dense` and `Conv2D`
#   (as `glorot_uniform`);
# - **He**: $\operatorname{Var}(w) = 2 / n_\text{in}$, for ReLU, which zeroes half of
#   its inputs and so halves the variance at each layer.
#
# For a convolution, $n_\text{in}$ is kernel height x width x input channels. Here are
# ten layers of 256 units, with weights from Keras's initialisers:


# %%
def activation_spread(initializer, activation, depth=10, units=256):
    """Standard deviation of the activations after each layer of a deep dense stack."""
    x = np.random.default_rng(0).normal(size=(500, units))
    spreads = []
    for layer in range(depth):
        weights = keras.ops.convert_to_numpy(initializer(seed=layer)(shape=(units, units)))
        x = activation(x @ weights)
        spreads.append(float(x.std()))
    return spreads


def relu(x):
    return np.maximum(x, 0.0)


initialisers = {
    "N(0, 0.01²)": lambda seed: keras.initializers.RandomNormal(stddev=0.01, seed=seed),
    "N(0, 1)": lambda seed: keras.initializers.RandomNormal(stddev=1.0, seed=seed),
    "Glorot normal": lambda seed: keras.initializers.GlorotNormal(seed=seed),
    "He normal": lambda seed: keras.initializers.HeNormal(seed=seed),
}
figure, axes = plt.subplots(1, 2, figsize=(8.4, 3.2))
for axis, (activation_name, activation) in zip(
    axes, [("tanh", np.tanh), ("ReLU", relu)], strict=True
):
    for name, initializer in initialisers.items():
        spreads = activation_spread(initializer, activation)
        axis.plot(range(1, 11), spreads, "-o", markersize=3, label=name)
    axis.set(yscale="log", xlabel="layer", ylabel="std of activations", title=activation_name)
axes[0].legend(fontsize=8)
figure.tight_layout()
plotting.add_caption(
    figure,
    "Too small a scale makes the activations vanish layer after layer, too large saturates "
    "tanh or explodes ReLU; Glorot (tanh) and He (ReLU) keep them steady.",
)
plt.show()

# %% [markdown]
# ## 5. Optimisers, learning rates and batch sizes
#
# All optimisers follow the gradient $g$ of the loss on a batch; they differ in the step
# they take. With learning rate $\eta$:
#
# | optimiser | update |
# |---|---|
# | SGD | $w \leftarrow w - \eta g$ |
# | SGD + momentum $\mu$ | $v \leftarrow \mu v - \eta g$, $\; w \leftarrow w + v$ |
# | RMSprop | $s \leftarrow \rho s + (1 - \rho) g^2$, $\; w \leftarrow w - \eta g / (\sqrt{s} + \epsilon)$ |
# | Adam | momentum $m$ and RMSprop's $s$, both bias-corrected: $w \leftarrow w - \eta \hat m / (\sqrt{\hat s} + \epsilon)$ |
#
# Momentum averages successive gradients, so it speeds up along consistent directions
# and damps oscillations. RMSprop and Adam divide by a running average of the squared
# gradient, which gives every weight its own step size: weights with small gradients
# move as fast as those with large ones. We train the same network, from the same
# initial weights, with each:

# %%
EXPERIMENT_EPOCHS = {"fast": 3, "default": 10, "full": 10}[profile.name]
x_experiment, y_experiment = centre_crop(x_train[:10_000]), y_train[:10_000]
validation = (centre_crop(x_val), y_val)


def experiment(optimizer, **fit_options):
    """Trains a fresh network (the same initial weights every time) and returns its history."""
    keras.utils.set_random_seed(1)
    fit_options = {
        "epochs": EXPERIMENT_EPOCHS,
        "patience": None,
        "progress": "none",
        "callbacks": [training.RunStatus()],  # one status line per run
        **fit_options,
    }
    history = training.fit(
        build_cnn(optimizer), (x_experiment, y_experiment), validation, profile, **fit_options
    )
    return history.history


def plot_runs(runs, caption, metrics=("loss", "val_loss")):
    """One panel per metric, one line per run."""
    figure, axes = plt.subplots(1, len(metrics), figsize=(4.2 * len(metrics), 3.2))
    for axis, metric in zip(axes, metrics, strict=True):
        for name, run in runs.items():
            axis.plot(range(1, len(run[metric]) + 1), run[metric], "-o", markersize=3, label=name)
        axis.set(xlabel="epoch", title=plotting.metric_label(metric))
        axis.xaxis.set_major_locator(MaxNLocator(integer=True))
    axes[0].legend(fontsize=8)
    figure.tight_layout()
    plotting.add_caption(figure, caption)
    plt.show()


optimiser_runs = {
    "SGD": experiment(keras.optimizers.SGD(0.01)),
    "SGD + momentum 0.9": experiment(keras.optimizers.SGD(0.01, momentum=0.9)),
    "RMSprop": experiment(keras.optimizers.RMSprop(0.001)),
    "Adam": experiment(keras.optimizers.Adam(0.001)),
}
plot_runs(
    optimiser_runs,
    "The same network from the same start: plain SGD is the slowest, momentum, RMSprop and "
    "Adam get further in the same number of epochs.",
)

# %% [markdown]
# **The learning rate** is the most important setting. Too high, and the steps
# overshoot: the loss bounces or blows up. Too low, and the loss falls so slowly that
# training never gets anywhere in the time available. Here is SGD with momentum at
# three rates, from 0.0001 to 0.3:

# %%
rate_runs = {
    "η = 0.0001 (too low)": experiment(keras.optimizers.SGD(0.0001, momentum=0.9)),
    "η = 0.01": optimiser_runs["SGD + momentum 0.9"],
    "η = 0.3 (too high)": experiment(keras.optimizers.SGD(0.3, momentum=0.9)),
}
for name, run in rate_runs.items():
    print(f"{name:>22}: final training loss {run['loss'][-1]:.3f}")
plot_runs(
    rate_runs,
    "Too low a learning rate barely moves the loss; too high makes it climb or stall instead "
    "of falling (or turn into NaN, where a curve stops).",
)

# %% [markdown]
# **Decay.** A large learning rate makes fast progress early; a smaller one then
# settles into a minimum instead of bouncing around it. AlexNet divided its rate by 10
# whenever the validation error stopped improving. Two common fixed schedules:
# **step decay** (divide by 10 at set epochs) and **cosine decay** (follow half a
# cosine from the initial rate down to zero). Keras schedules are functions of the
# update step, passed to the optimiser in place of a number:

# %%
total_steps = EXPERIMENT_EPOCHS * math.ceil(len(x_experiment) / profile.batch_size)
step_decay = keras.optimizers.schedules.PiecewiseConstantDecay(
    [total_steps // 2, 3 * total_steps // 4], [0.01, 0.001, 0.0001]
)
cosine_decay = keras.optimizers.schedules.CosineDecay(0.01, decay_steps=total_steps)
steps = np.arange(total_steps)
figure, axis = plt.subplots(figsize=(5, 3))
for name, schedule in [("step decay", step_decay), ("cosine decay", cosine_decay)]:
    rates = [float(keras.ops.convert_to_numpy(schedule(step))) for step in steps]
    axis.plot(steps, rates, label=name)
axis.set(xlabel="update step", ylabel="learning rate", yscale="log")
axis.legend()
plotting.add_caption(figure, "Two schedules that start at 0.01 and decay over the run.")
plt.show()

schedule_runs = {
    "constant 0.01": optimiser_runs["SGD + momentum 0.9"],
    "step decay": experiment(keras.optimizers.SGD(step_decay, momentum=0.9)),
    "cosine decay": experiment(keras.optimizers.SGD(cosine_decay, momentum=0.9)),
}
plot_runs(
    schedule_runs,
    "SGD with momentum under three schedules. In a run this short, decaying the rate mostly "
    "slows progress; decay pays off in long runs (try the default profile).",
)

# %% [markdown]
# **Batch size.** Each update uses the gradient of one batch, an estimate of the
# gradient over the whole training set. Small batches give many cheap but noisy
# updates; large batches give fewer, more accurate ones. The noise shrinks like
# $1/\sqrt{B}$, as for any average. We can see it with the trained model: the loss of a
# random batch scatters around the loss of the whole set, less and less as the batch
# grows.

# %%
per_example = -np.log(
    np.clip(
        model.predict(centre_crop(x_train), verbose=0)[np.arange(len(y_train)), y_train], 1e-7, 1
    )
)
batch_sizes = [8, 32, 128, 512]
spread = [
    np.std([per_example[rng.choice(len(per_example), size)].mean() for _ in range(300)])
    for size in batch_sizes
]
figure, axis = plt.subplots(figsize=(5, 3))
axis.loglog(batch_sizes, spread, "o-", label="measured")
axis.loglog(batch_sizes, per_example.std() / np.sqrt(batch_sizes), "--", label="σ / √B")
axis.set(xlabel="batch size B", ylabel="std of the batch loss")
axis.legend()
plotting.add_caption(figure, "The batch loss (and its gradient) scatters less as the batch grows.")
plt.show()

# %% [markdown]
# In practice the batch size is limited by memory: training keeps every layer's
# activations for the backward pass, so activation memory grows linearly with the
# batch, while the weights take the same space whatever the batch. For our network
# (float32, 4 bytes per number):

# %%
activations_per_image = sum(math.prod(layer.output.shape[1:]) for layer in model.layers)
parameters = model.count_params()
print(f"{activations_per_image:,} activations per image; {parameters:,} parameters")
for batch_size in [32, 128, 512, 2048]:
    megabytes = activations_per_image * batch_size * 4 / 2**20
    print(
        f"batch {batch_size:>5}: activations {megabytes:8.1f} MB, weights {parameters * 4 / 2**20:.2f} MB"
    )

# %% [markdown]
# ## 6. Class imbalance
#
# When some classes are much rarer than others in the training set, the loss is
# dominated by the common ones, and the network learns to favour them. Remedies:
# collect balanced data; sample the classes equally in every epoch; or **weight the
# loss**, so that each class contributes about as much as the others. The
# median-frequency weights are
#
# $$\alpha_c = \frac{\text{median\_freq}}{\text{freq}(c)},$$
#
# where $\text{freq}(c)$ is the fraction of training examples in class $c$ and
# median_freq the median of those fractions. The median class gets weight 1, rare
# classes more, common classes less; the weighted loss is
# $-\frac{1}{N}\sum_i \alpha_{y_i} \log p_{i, y_i}$.
#
# We build a deliberately imbalanced training set: every class in the second half keeps
# only one example in ten.

# %%
rare_classes = np.arange(num_classes // 2, num_classes)
keep = np.ones(len(y_train), bool)
for label in rare_classes:
    members = np.flatnonzero(y_train == label)
    keep[members[len(members) // 10 :]] = False
x_imbalanced, y_imbalanced = centre_crop(x_train[keep]), y_train[keep]
print("examples per class:", np.bincount(y_imbalanced, minlength=num_classes))

# %% [markdown]
# ### Exercise 5.4
#
# Write `median_frequency_weights(labels, num_classes)` returning a float array of
# shape `(num_classes,)` with $\alpha_c$ for each class. Take the median over the
# classes that occur in `labels`; a class that does not occur gets weight 0.
# (`np.bincount(labels, minlength=num_classes)` counts the examples per class.)


# %%
def median_frequency_weights(labels, num_classes):
    ### BEGIN SOLUTION
    frequencies = np.bincount(labels, minlength=num_classes) / len(labels)
    present = frequencies > 0
    weights = np.zeros(num_classes)
    weights[present] = np.median(frequencies[present]) / frequencies[present]
    return weights
    ### END SOLUTION


# %%
check("05.4", median_frequency_weights)

# %% [markdown]
# Keras applies class weights through `class_weight`, a dict from class index to
# weight that multiplies each example's loss. We train the same network on the
# imbalanced set with and without the weights and compare the recall of each class
# (the fraction of its test images recognised) on the balanced test set:

# %%
class_weights = scratch.median_frequency_weights(y_imbalanced, num_classes)
print("weights:", np.round(class_weights, 2))


def imbalance_run(class_weight=None):
    keras.utils.set_random_seed(2)
    history = training.fit(
        build_cnn(),
        (x_imbalanced, y_imbalanced),
        validation,
        profile,
        epochs=EXPERIMENT_EPOCHS,
        patience=None,
        progress="none",
        callbacks=[training.RunStatus("class weights" if class_weight else "no class weights")],
        class_weight=class_weight,
    )
    predicted = history.model.predict(centre_crop(x_test), verbose=0).argmax(axis=1)
    return np.array([np.mean(predicted[y_test == c] == c) for c in range(num_classes)])


recall = {
    "no weights": imbalance_run(),
    "median-frequency weights": imbalance_run(dict(enumerate(class_weights))),
}
figure, axis = plt.subplots(figsize=(7, 3))
for offset, (name, values) in zip([-0.2, 0.2], recall.items(), strict=True):
    axis.bar(np.arange(num_classes) + offset, values, width=0.4, label=name)
    print(
        f"{name:>25}: rare-class recall {values[rare_classes].mean():.2f}, mean {values.mean():.2f}"
    )
axis.axvspan(rare_classes[0] - 0.5, num_classes - 0.5, color="grey", alpha=0.15)
axis.set(xticks=range(num_classes), xlabel="class", ylabel="test recall", ylim=(0, 1.05))
axis.set_xticklabels(class_names, rotation=45 if num_classes > 5 else 0)
axis.legend(fontsize=8, ncols=2, loc="lower center", bbox_to_anchor=(0.5, 1.0))  # above the bars
plotting.add_caption(
    figure, "Recall per class after training on the imbalanced set (rare classes shaded)."
)
plt.show()

# %% [markdown]
# The weights raise the recall of the rare classes, at some cost to the common ones:
# the network no longer wins by guessing the frequent classes. Averaged over classes,
# which is the fair score when every class matters equally, weighting usually wins.
# (With few epochs and small data, the numbers move from run to run.)
#
# ## 7. Evaluation
#
# ImageNet results are quoted as **top-1** and **top-5 error**: the fraction of test
# images whose true class is not the highest-scoring class, or not among the five
# highest. Top-5 forgives a model for picking a sensible neighbour (an image labelled
# "ballpoint pen" that also shows a ruler and a pencil box).

# %% [markdown]
# ### Exercise 5.5
#
# Write `top_k_error(scores, labels, k)` returning, as a float, the fraction of
# examples whose true class is **not** among the `k` highest of its row of `scores`.
# Ties count in the prediction's favour, as in Keras and `tf.math.in_top_k`: the true
# class is in the top `k` when fewer than `k` classes score strictly higher than it.


# %%
def top_k_error(scores, labels, k):
    ### BEGIN SOLUTION
    true_scores = scores[np.arange(len(labels)), labels]
    higher = np.sum(scores > true_scores[:, None], axis=1)
    return float(np.mean(higher >= k))
    ### END SOLUTION


# %%
check("05.5", top_k_error)

# %% [markdown]
# `training.evaluate` reports both errors for a model; Keras's own metrics agree:

# %%
test_crops = centre_crop(x_test)
errors = training.evaluate(model, test_crops, y_test)
_, accuracy, top5_accuracy = model.evaluate(test_crops, y_test, verbose=0)
print(f"top-1 error {errors['top1_error']:.1%}, top-5 error {errors['top5_error']:.1%}")
assert np.isclose(errors["top1_error"], 1 - accuracy, atol=1e-6)
assert np.isclose(errors["top5_error"], 1 - top5_accuracy, atol=1e-6)

# %% [markdown]
# A **confusion matrix** shows which classes are confused with which: row $i$,
# column $j$ holds the fraction of class-$i$ test images predicted as class $j$, so the
# diagonal is each class's recall.

# %%
test_probabilities = model.predict(test_crops, verbose=0)
test_predictions = test_probabilities.argmax(axis=1)
plotting.plot_confusion_matrix(
    y_test,
    test_predictions,
    class_names,
    caption="Rows: true class; columns: predicted class; each row sums to 1.",
)
plt.show()

# %% [markdown]
# The **most confident mistakes** are worth a look: they show what the network
# misunderstands, and sometimes a wrong label in the test set.

# %%
wrong = np.flatnonzero(test_predictions != y_test)
confidence = test_probabilities[wrong, test_predictions[wrong]]
worst = wrong[np.argsort(-confidence)[:8]]
plotting.show_images(
    [picture(dataset.x_test[index]) for index in worst],
    titles=[
        f"{class_names[y_test[i]]} → {class_names[test_predictions[i]]} "
        f"({test_probabilities[i, test_predictions[i]]:.0%})"
        for i in worst
    ],
    caption="The test images the network got wrong with the highest confidence: "
    "true class → predicted class (probability).",
    size=1.7,
    ncols=8,
)
plt.show()

# %% [markdown]
# **Test-time augmentation.** The network was trained on random crops; at test time we
# can show it several crops of each image and average the predicted probabilities.
# The standard set is ten crops: the four corners and the centre, and the mirror image
# of each. The course's order is the one below (crop $5 + i$ is crop $i$ mirrored):

# %%
example_crops = scratch.ten_crop(dataset.x_test[0], CROP)
plotting.show_images(
    [picture(crop) for crop in example_crops],
    titles=[name.replace(", ", "\n") for name in CROP_NAMES],
    caption=f"The ten {CROP}x{CROP} crops of a {IMAGE_SIZE}x{IMAGE_SIZE} test image.",
    size=1.6,
    ncols=5,
)
plt.show()

# %% [markdown]
# ### Exercise 5.6
#
# Write `ten_crop(image, crop_size)` for one image of shape `(height, width, channels)`
# and an int or `(height, width)` crop size. Return an array of shape
# `(10, crop_h, crop_w, channels)`: the top-left, top-right, bottom-left, bottom-right
# and centre crops, then the same five mirrored left to right. The centre crop starts
# at `((height - crop_h) // 2, (width - crop_w) // 2)`, as in `keras.layers.CenterCrop`.


# %%
def ten_crop(image, crop_size):
    ### BEGIN SOLUTION
    crop_h, crop_w = (crop_size, crop_size) if isinstance(crop_size, int) else crop_size
    height, width = image.shape[:2]
    corners = [
        (0, 0),
        (0, width - crop_w),
        (height - crop_h, 0),
        (height - crop_h, width - crop_w),
        ((height - crop_h) // 2, (width - crop_w) // 2),
    ]
    crops = [image[top : top + crop_h, left : left + crop_w] for top, left in corners]
    return np.stack(crops + [crop[:, ::-1] for crop in crops])
    ### END SOLUTION


# %%
check("05.6", ten_crop)

# %% [markdown]
# `training.predict_tta` averages the model's predictions over the crops. Mirrored
# crops help only if mirror images belong to the same class, as for photographs; the
# network trained on digits never saw a mirrored digit, so on digits the mirrored crops
# are best left out (`mirror=False`):

# %%
centre_only = errors["top1_error"]
five_crops = scratch.top_k_error(
    training.predict_tta(model, x_test, CROP, mirror=False), y_test, k=1
)
ten_crops = scratch.top_k_error(training.predict_tta(model, x_test, CROP), y_test, k=1)
print(f"top-1 error, centre crop only:   {centre_only:.1%}")
print(f"top-1 error, five crops:         {five_crops:.1%}")
print(f"top-1 error, ten crops (mirror): {ten_crops:.1%}")
print(f"mirror images are {'the same class' if MIRROR else 'not the same class'} here")

# %% [markdown]
# On a few hundred test images a difference of one or two images is noise, so compare
# the lines again in the `default` or `full` profile, on photographs. The gain, where
# there is one, is usually modest, and it costs ten forward passes per image.
#
# ## 8. ImageNet results, and humans
#
# The ImageNet Large Scale Visual Recognition Challenge (ILSVRC) asked for the class of
# 100,000 test photographs among 1,000 classes, scored by top-5 error. The winners:
#
# | year | winner | top-5 error |
# |---|---|---|
# | 2010 | NEC-UIUC (hand-designed features, linear SVMs) | 28.2% |
# | 2011 | XRCE (Fisher vectors) | 25.8% |
# | 2012 | AlexNet (first CNN winner) | 16.4% |
# | 2013 | ZFNet / Clarifai | 11.7% |
# | 2014 | GoogLeNet (VGG second with 7.3%) | 6.7% |
# | 2015 | ResNet | 3.57% |
# | 2016 | Trimps-Soushen (an ensemble) | 2.99% |
# | 2017 | SENet | 2.25% |
#
# How good is a person? Andrej Karpathy trained himself on the task and labelled 1,500
# test images with a 5.1% top-5 error. On those images GoogLeNet made 6.8%: the
# challenge's organisers concluded that a trained human annotator still beat it by
# about 1.7 points. ResNet's 3.57% in 2015 went below the human figure, which is where
# the headline "better than humans on ImageNet" comes from.

# %%
years = np.arange(2010, 2018)
top5_errors = [28.2, 25.8, 16.4, 11.7, 6.7, 3.57, 2.99, 2.25]
figure, axis = plt.subplots(figsize=(6.5, 3.2))
colours = ["#9e9e9e" if year < 2012 else "#1e88e5" for year in years]
axis.bar(years, top5_errors, color=colours)
axis.axhline(5.1, color="#e53935", linestyle="--", label="trained human, 5.1%")
for year, value in zip(years, top5_errors, strict=True):
    axis.text(year, value + 0.5, f"{value:g}", ha="center", fontsize=8)
axis.set(xlabel="ILSVRC year", ylabel="top-5 error (%)", xticks=years, ylim=(0, 32))
axis.legend()
plotting.add_caption(
    figure, "ILSVRC winners' top-5 error: hand-designed features (grey), then CNNs (blue)."
)
plt.show()

# %% [markdown]
# Read the comparison with care:
#
# - **One human, one metric.** The 5.1% comes from one (very motivated) person on
#   1,500 images. His errors were mostly fine-grained classes (which of 120 dog breeds)
#   and classes he did not know existed; the network's were small or thin objects,
#   images dominated by filters or drawings, and unusual views.
# - **Top-5 is generous.** Many images hold several objects, and a label can be
#   debatable; five guesses absorb that.
# - **The winners are ensembles** of several networks, each averaging many crops and
#   scales of every image; a single network on a single crop does a little worse.
# - **Overfitting to the benchmark.** When a new test set was collected the same way
#   years later (ImageNetV2, 2019), the same models lost about 11 to 14 points of top-1
#   accuracy, although their ranking stayed the same: a decade of choices made on one
#   test set had tuned models to it.
#
# The errors themselves are often understandable: GoogLeNet called a ruler a pencil box,
# a rubber eraser or a ballpoint pen, objects that appear with rulers, which suggests it
# learned sensible features; the odd failures, and the ImageNetV2 drop, are reminders
# that "better than humans" holds for one benchmark, not for seeing.

# %% [markdown]
# ### Exercise 5.7
#
# "Since 2015, CNNs classify images better than humans." Using the numbers above, say
# what this claim rests on and give two reasons to qualify it. (A few sentences.)

# %% [markdown]
# ### BEGIN SOLUTION
# It rests on ILSVRC top-5 error: ResNet reached 3.57% in 2015, below the 5.1% of a
# trained human annotator measured on 1,500 test images (GoogLeNet's 6.7% in 2014 was
# still about 1.7 points worse than the human). Qualifications: the human figure comes
# from one annotator on a small sample, and his errors were mostly about unfamiliar
# fine-grained classes (dog breeds) rather than about seeing; top-5 error with
# ensembles and multi-crop testing is a generous metric for the models; and the models
# are tuned to one test set: on ImageNetV2, collected the same way, they lose about
# 11-14 points of top-1 accuracy, and they fail on small or thin objects, unusual views
# and drawings that people handle easily. So CNNs beat a human on this benchmark's
# metric, not at visual recognition in general.
# ### END SOLUTION

# %% [markdown]
# ## 9. From a laptop to many GPUs
#
# The same notebook runs at three scales; only the profile changes
# (`COURSEKIT_PROFILE=full` or `coursekit.setup(profile="full")`):
#
# | profile | data | network width | meant for |
# |---|---|---|---|
# | `fast` | embedded digits, 1,000 training images | 8 | tests and Binder, seconds |
# | `default` | CIFAR-10 when downloaded (else digits), 10,000 training images | 32 | a laptop CPU, minutes |
# | `full` | all of CIFAR-10 (or Imagenette), downloaded once | 64 | a GPU |
#
# On a GPU, `training.fit` switches on **mixed precision** (float16 arithmetic on the
# tensor cores, float32 master weights and a scaled loss, so small gradients do not
# underflow) and **XLA** compilation, which fuses small operations into larger
# kernels. Both are off on a CPU, where they cost time (except that the JAX backend
# always compiles with XLA); `mixed_precision=` and `jit_compile=` override the choice. Mixed precision must be on when the weights are
# created, which is why `fit` accepts a *function* that builds the model, like
# `build_cnn` above.

# %%
print(training.acceleration())

# %% [markdown]
# **Several GPUs or machines.** A `tf.distribute` strategy copies the model to every
# device, splits each batch between them and averages the gradients: `MirroredStrategy`
# for the GPUs of one machine, `MultiWorkerMirroredStrategy` across machines (each
# process reads the cluster layout from the `TF_CONFIG` environment variable). The
# model's variables must be created inside `strategy.scope()`; give `fit` the
# building function and it does that. The profile's batch size is per device, so the
# global batch grows with the number of devices. With the TensorFlow backend:
#
# ```python
# import tensorflow as tf
#
# strategy = tf.distribute.MirroredStrategy()  # all visible GPUs
# history = training.fit(build_cnn, train_batches, validation, profile, strategy=strategy)
# ```
#
# **Your measurement.** The cell below prints what this run reached. Run the notebook in
# the `full` profile on a GPU to see the accuracy this network gets on all of CIFAR-10;
# note the number together with the hardware it ran on.

# %%
# Measured in this run (not a quoted figure): profile, data, hardware and test error.
print(
    f"profile {profile.name} | {len(dataset.x_train):,} training images of {dataset.image_shape} | "
    f"{'GPU: ' + gpu_names()[0] if gpu_names() else 'CPU'} | "
    f"{len(history.history['loss'])} epochs | test top-1 error {errors['top1_error']:.1%}, "
    f"top-5 error {errors['top5_error']:.1%}, top-1 with crops {min(five_crops, ten_crops):.1%}"
)

# %% [markdown]
# ## Summary
#
# - An image classifier: convolutions with downsampling (features), fully connected
#   layers (classifier), softmax and cross-entropy; train, validate, test once.
# - Softmax subtracts the maximum score before exponentiating; the cross-entropy is the
#   batch mean of $-\log p_y$, clipped (or computed from logits) to stay finite.
# - Centre the data with a mean image or per-channel mean from the training split, and
#   subtract that same mean everywhere.
# - Initialise randomly at the Glorot (tanh) or He (ReLU) scale; a constant start keeps
#   units identical, too small or too large a scale kills the signal.
# - Momentum, RMSprop and Adam usually beat plain SGD; the learning rate matters most,
#   and decays help at the end; batch size trades gradient noise against memory.
# - Median-frequency weights $\alpha_c = \text{median\_freq}/\text{freq}(c)$ rebalance the
#   loss.
# - Report top-1 and top-5 error, read the confusion matrix and the confident mistakes,
#   and average ten crops at test time when mirror images keep their class.
#
# **Next:** notebook 06 studies the architectures that won ImageNet.
