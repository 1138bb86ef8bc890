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
#   or too low, find one with a range test, and schedule it; relate batch size to
#   gradient noise and memory;
# - counter class imbalance with median-frequency weights;
# - report top-1 and top-5 error, read a confusion matrix, inspect the most confident
#   mistakes, and average predictions over ten crops;
# - put the ImageNet results, and the comparison with humans, in perspective.
#
# **Time:** about 2.5 hours. **Accelerator:** none for the `fast` and `default` profiles;
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
# **Your functions and the course's.** Each exercise asks for a function that
# `coursekit.scratch` also provides. The cells after an exercise use the course's
# version, not yours, so *Run All* works while an exercise is still blank, and a slip in
# your answer does not spread to later cells.
#
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
# The average runs over the **examples** of the batch. (Some lecture notes write
# $-\frac{1}{N}\sum_i y_i \log \hat y_i$ with $N$ the number of *classes*; for one
# example the sum over classes leaves the single term $-\log p_y$, with no division, and
# the $1/N$ belongs to the average over examples.)
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
print(f"coursekit.scratch {scratch.cross_entropy(probabilities, labels):.5f}")
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
# loss. A loss several times $\ln 10$ points to a bug or a broken initialisation. The
# check must see the inputs training will see: centred on the training split's mean
# image (section 3 explains why).

# %%
centred_val = centre_crop(dataset.x_val - data.mean_image(dataset.x_train))
for initializer in ["glorot_uniform", "he_normal"]:
    untrained = build_cnn(kernel_initializer=initializer)
    initial_loss = scratch.cross_entropy(untrained.predict(centred_val, verbose=0), dataset.y_val)
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
# Dividing by the standard deviation as well, so that every pixel has mean 0 and
# standard deviation 1, is **standardisation**; it is optional for images, whose pixels
# share one scale already. Some lecture notes call it whitening, but **whitening** also
# removes the correlations between pixels (with PCA), so that their covariance becomes
# the identity matrix; it is rarely used for CNNs. Standardised pixels stay correlated:

# %%
images = dataset.x_train
standardised = (images - images.mean(axis=0)) / (images.std(axis=0) + 1e-7)
row, col = images.shape[1] // 2, images.shape[2] // 2
neighbours = np.corrcoef(standardised[:, row, col, 0], standardised[:, row, col + 1, 0])[0, 1]
print(
    f"standardised: pixel ({row}, {col}) has mean {standardised[:, row, col, 0].mean():.2f} "
    f"and std {standardised[:, row, col, 0].std():.2f}, and its correlation with the pixel "
    f"to its right is still {neighbours:.2f} (whitening would make it 0)"
)

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
# they take. With learning rate $\eta$ (and Keras's defaults $\rho = 0.9$ for RMSprop,
# $\beta_1 = 0.9$, $\beta_2 = 0.999$ for Adam, $\epsilon = 10^{-7}$):
#
# | optimiser | update |
# |---|---|
# | SGD | $w \leftarrow w - \eta g$ |
# | SGD + momentum $\mu$ | $v \leftarrow \mu v - \eta g$, $\; w \leftarrow w + v$ |
# | RMSprop | $s \leftarrow \rho s + (1 - \rho) g^2$, $\; w \leftarrow w - \eta g / \sqrt{s + \epsilon}$ |
# | Adam | $m \leftarrow \beta_1 m + (1 - \beta_1) g$, $\; s \leftarrow \beta_2 s + (1 - \beta_2) g^2$, $\; w \leftarrow w - \eta \frac{\sqrt{1 - \beta_2^t}}{1 - \beta_1^t} \frac{m}{\sqrt{s} + \epsilon}$ |
#
# Momentum averages successive gradients, so it speeds up along consistent directions
# and damps oscillations. RMSprop and Adam divide by a running average of the squared
# gradient, which gives every weight its own step size: weights with small gradients
# move as fast as those with large ones. Adam's factor $\sqrt{1 - \beta_2^t}/(1 -
# \beta_1^t)$, where $t$ counts the steps, corrects both averages for starting at zero.
#
# These differences are clearest on a function of two weights, where we can draw every
# step. Here are the four updates in NumPy, written exactly as the table says:


# %%
def sgd(rate, momentum=0.0):
    """Plain SGD (momentum 0) or SGD with momentum; `rate` is a number or one per step."""

    def update(w, g, state, step):
        eta = rate[step - 1] if np.ndim(rate) else rate
        state["v"] = momentum * state.get("v", 0.0) - eta * g
        return w + state["v"]

    return update


def rmsprop(rate, rho=0.9, epsilon=1e-7):
    """RMSprop: each weight's step divided by its running root-mean-square gradient."""

    def update(w, g, state, step):
        state["s"] = rho * state.get("s", 0.0) + (1 - rho) * g**2
        return w - rate * g / np.sqrt(state["s"] + epsilon)

    return update


def adam(rate, beta_1=0.9, beta_2=0.999, epsilon=1e-7):
    """Adam: momentum and RMSprop together, corrected for their start at zero."""

    def update(w, g, state, step):
        state["m"] = beta_1 * state.get("m", 0.0) + (1 - beta_1) * g
        state["s"] = beta_2 * state.get("s", 0.0) + (1 - beta_2) * g**2
        corrected = rate * np.sqrt(1 - beta_2**step) / (1 - beta_1**step)
        return w - corrected * state["m"] / (np.sqrt(state["s"]) + epsilon)

    return update


def descend(update, gradient, start, steps):
    """The points an optimiser visits from `start`, one row per step (the start first)."""
    w, state, points = np.array(start, dtype=float), {}, [np.array(start, dtype=float)]
    for step in range(1, steps + 1):
        w = update(w, gradient(w), state, step)
        points.append(w)
    return np.array(points)


# %% [markdown]
# They are Keras's optimisers: twenty steps of each, from the same point and with the
# same gradients, end in the same place, up to float32 rounding (Keras keeps the learning
# rate and the step count in float32).

# %%
curvatures = np.array([1.0, 50.0])  # a valley 50 times steeper across than along


def valley(w):
    return 0.5 * np.sum(curvatures * w**2, axis=-1)


def valley_gradient(w):
    return curvatures * w


def keras_descent(optimizer, gradient, start, steps):
    weights = keras.Variable(np.array(start), dtype="float64")
    for _ in range(steps):
        optimizer.apply([gradient(keras.ops.convert_to_numpy(weights))], [weights])
    return keras.ops.convert_to_numpy(weights)


pairs = {
    "SGD": (sgd(0.03), keras.optimizers.SGD(0.03)),
    "momentum": (sgd(0.01, 0.9), keras.optimizers.SGD(0.01, momentum=0.9)),
    "RMSprop": (rmsprop(0.1), keras.optimizers.RMSprop(0.1)),
    "Adam": (adam(0.2), keras.optimizers.Adam(0.2)),
}
for name, (numpy_update, keras_optimizer) in pairs.items():
    difference = np.abs(
        descend(numpy_update, valley_gradient, (-4.5, 1.0), 20)[-1]
        - keras_descent(keras_optimizer, valley_gradient, (-4.5, 1.0), 20)
    ).max()
    print(f"{name:>8}: largest difference from Keras after 20 steps {difference:.1e}")
    assert difference < 1e-4

# %% [markdown]
# ### Two test functions
#
# The **valley** $f(w) = \frac12 (w_1^2 + 50 w_2^2)$ is *ill-conditioned*: it curves 50
# times more steeply across ($w_2$) than along ($w_1$), like the loss surfaces of real
# networks, where some directions are far steeper than others. The **Rosenbrock
# function** $f(x, y) = (1 - x)^2 + 100 (y - x^2)^2$ has a narrow, curved, almost flat
# valley that leads to its minimum at $(1, 1)$: easy to find, slow to follow. Each
# optimiser runs at a learning rate that suits it (they differ, so comparing them at one
# rate would be unfair to all but one):


# %%
def rosenbrock(w):
    return (1 - w[..., 0]) ** 2 + 100 * (w[..., 1] - w[..., 0] ** 2) ** 2


def rosenbrock_gradient(w):
    x, y = w
    return np.array([-2 * (1 - x) - 400 * x * (y - x**2), 200 * (y - x**2)])


problems = {
    "valley": (valley, valley_gradient, (-4.5, 1.0), 60),
    "Rosenbrock": (rosenbrock, rosenbrock_gradient, (-1.5, 2.0), 1000),
}
optimisers = {
    "valley": {
        "SGD, η = 0.035": sgd(0.035),
        "momentum 0.9, η = 0.01": sgd(0.01, 0.9),
        "RMSprop, η = 0.1": rmsprop(0.1),
        "Adam, η = 0.2": adam(0.2),
    },
    "Rosenbrock": {
        "SGD, η = 0.001": sgd(0.001),
        "momentum 0.9, η = 0.0003": sgd(0.0003, 0.9),
        "RMSprop, η = 0.01": rmsprop(0.01),
        "Adam, η = 0.1": adam(0.1),
    },
}
paths = {
    problem: {
        name: descend(update, gradient, start, steps)
        for name, update in optimisers[problem].items()
    }
    for problem, (_, gradient, start, steps) in problems.items()
}
for problem, (function, *_, steps) in problems.items():
    print(f"{problem}, loss after {steps} steps:")
    for name, points in paths[problem].items():
        print(f"  {name:<26} {function(points[-1]):.2e}")

figure, axes = plt.subplots(2, 2, figsize=(plotting.NOTEBOOK_WIDTH, 6.4))
grids = {"valley": ((-5, 1.5), (-1.5, 1.5)), "Rosenbrock": ((-2, 2), (-1, 3))}
for column, (problem, (function, _, start, _)) in enumerate(problems.items()):
    (x_low, x_high), (y_low, y_high) = grids[problem]
    grid_x, grid_y = np.meshgrid(np.linspace(x_low, x_high, 200), np.linspace(y_low, y_high, 200))
    surface = function(np.stack([grid_x, grid_y], axis=-1))
    axes[0, column].contour(grid_x, grid_y, surface, levels=np.logspace(-2, 3.5, 14), colors="0.8")
    for name, points in paths[problem].items():
        (line,) = axes[0, column].plot(points[:, 0], points[:, 1], "-", linewidth=1, label=name)
        axes[0, column].plot(*points[-1], "o", color=line.get_color(), markersize=7)  # the end
        axes[1, column].semilogy(function(points), label=name)
    axes[0, column].plot(*(0, 0) if problem == "valley" else (1, 1), "k*", markersize=12)
    axes[0, column].set(title=f"{problem}: paths from {start}", xlim=(x_low, x_high))
    axes[1, column].set(xlabel="step", ylabel="loss", title=f"{problem}: loss")
    axes[0, column].legend(fontsize=7)
figure.tight_layout()
plotting.add_caption(
    figure,
    "In the valley, SGD bounces across the steep direction and crawls along the flat one; "
    "momentum builds up speed along it; RMSprop and Adam scale each weight's step, so the "
    "flat direction moves as fast as the steep one (Adam, which also has momentum, swings "
    "round the minimum, the star). In Rosenbrock's curved valley SGD ends (dot) far from "
    "the minimum after 1,000 steps, while momentum and the adaptive methods get much closer.",
)
plt.show()
assert all(
    rosenbrock(points[-1]) < rosenbrock(paths["Rosenbrock"]["SGD, η = 0.001"][-1])
    for name, points in paths["Rosenbrock"].items()
    if not name.startswith("SGD")
)

# %% [markdown]
# **The learning rate** is the most important setting. Too low, and the loss falls so
# slowly that training never gets anywhere; too high, and the steps overshoot and the
# loss blows up. On the valley this is exact: plain SGD multiplies the distance along a
# direction of curvature $\lambda$ by $1 - \eta \lambda$ per step, so it converges only
# if $\eta < 2 / \lambda_{\max} = 2/50 = 0.04$. Just below that limit it bounces across
# the valley; just above it, it diverges:

# %%
rate_runs = {
    rate: descend(sgd(rate), valley_gradient, (-4.5, 1.0), 60) for rate in (0.005, 0.035, 0.041)
}
figure, axis = plt.subplots(figsize=(6, 3.4))
for rate, points in rate_runs.items():
    axis.semilogy(valley(points), label=f"η = {rate}")
    print(
        f"η = {rate}: loss after 60 steps {valley(points[-1]):.3g} (start {valley(points[0]):.3g})"
    )
axis.set(xlabel="step", ylabel="loss")
axis.legend(fontsize=8)
plotting.add_caption(
    figure,
    "SGD on the valley: too low a rate crawls, a rate just under the limit 2/50 converges, "
    "and one just over it diverges.",
)
plt.show()
assert valley(rate_runs[0.041][-1]) > valley(rate_runs[0.041][0])
assert valley(rate_runs[0.035][-1]) < valley(rate_runs[0.005][-1])

# %% [markdown]
# ### Finding a learning rate for a real network: the range test
#
# A real network has as many curvatures as weights, and nobody computes them. The
# **learning-rate range test** (Smith, 2017) measures instead: train for a hundred steps
# or so while the learning rate grows exponentially, from far too small to far too
# large, and record the loss of every batch. The loss first barely moves, then falls
# quickly, then rises again (or blows up) once the steps are too large. Good learning
# rates lie in the band where it falls. Two rules of thumb pick one: the rate where the
# loss falls fastest, or, more cautiously, a tenth of the rate where it is lowest. They
# need not agree; between them is a sensible range to try.

# %%
keras.utils.set_random_seed(3)
probe = build_cnn(keras.optimizers.SGD(momentum=0.9))
range_rates = np.geomspace(1e-4, 3.0, 80)
order = np.random.default_rng(3).permutation(len(x_train))
range_losses = []
for step, rate in enumerate(range_rates):
    batch = order[(step * profile.batch_size) % len(order) :][: profile.batch_size]
    probe.optimizer.learning_rate = rate
    loss = probe.train_on_batch(centre_crop(x_train[batch]), y_train[batch], return_dict=True)[
        "loss"
    ]
    range_losses.append(loss)
    if not np.isfinite(loss) or loss > 4 * min(range_losses):
        break  # the loss has blown up: the rest of the range is too high
range_losses = np.array(range_losses)
smoothed = np.convolve(range_losses, np.ones(5) / 5, mode="valid")  # batch losses are noisy
steepest = range_rates[2 + int(np.argmin(np.diff(smoothed)))]
lowest = range_rates[2 + int(np.argmin(smoothed))]
print(
    f"{len(range_losses)} steps; loss falls fastest near η = {steepest:.3g} and is lowest "
    f"near η = {lowest:.3g}: try η from {lowest / 10:.2g} (a tenth of that) to {steepest:.2g}"
)

figure, axis = plt.subplots(figsize=(6, 3.4))
axis.semilogx(range_rates[: len(range_losses)], range_losses, ".", color="0.6", label="batch loss")
axis.semilogx(range_rates[2 : 2 + len(smoothed)], smoothed, label="mean of 5 batches")
axis.axvline(steepest, color="C2", linestyle=":", label="steepest fall")
axis.axvline(lowest / 10, color="C3", linestyle="--", label="a tenth of the lowest")
axis.set(xlabel="learning rate (growing every step)", ylabel="training loss")
axis.legend(fontsize=8)
plotting.add_caption(
    figure,
    "The range test on our CNN (SGD with momentum 0.9): the loss hardly moves at tiny "
    "rates, falls over a band of useful rates, and rises again beyond them.",
)
plt.show()

# %% [markdown]
# **Decay.** A mini-batch gradient is the true gradient plus noise, so with a constant
# learning rate the weights never settle: they keep jumping around the minimum, the
# further the larger the rate. Lowering the rate over time keeps the fast progress of
# the start and then lets the weights settle. AlexNet divided its rate by 10 whenever the
# validation error stopped improving. Two common fixed schedules: **step decay** (divide
# by a constant at set steps: 10 for AlexNet, 3 here) and **cosine decay** (follow half
# a cosine from the initial rate down to zero). Decaying too far too early is a risk of
# its own: a tiny rate also stops the progress still needed along flat directions. Keras schedules are functions of the update step, passed to the
# optimiser in place of a number. Here they drive SGD on the valley with noisy
# gradients:

# %%
decay_steps = 300
step_decay = keras.optimizers.schedules.PiecewiseConstantDecay(
    [decay_steps // 2, 3 * decay_steps // 4], [0.03, 0.01, 0.003]
)
cosine_decay = keras.optimizers.schedules.CosineDecay(0.03, decay_steps=decay_steps)
schedules = {
    "constant 0.03": np.full(decay_steps, 0.03),
    "step decay": np.array(
        [float(keras.ops.convert_to_numpy(step_decay(step))) for step in range(decay_steps)]
    ),
    "cosine decay": np.array(
        [float(keras.ops.convert_to_numpy(cosine_decay(step))) for step in range(decay_steps)]
    ),
}


def noisy_valley_gradient(seed):
    """The valley's gradient plus noise, like the gradient of one mini-batch per step."""
    noise = np.random.default_rng(seed)
    return lambda w: valley_gradient(w) + noise.normal(0.0, 3.0, size=2)


figure, (left, right) = plt.subplots(1, 2, figsize=(plotting.NOTEBOOK_WIDTH, 3.2))
final_losses = {}
for name, rates in schedules.items():
    points = descend(sgd(rates), noisy_valley_gradient(seed=4), (-4.5, 1.0), decay_steps)
    final_losses[name] = valley(points[-50:]).mean()
    left.plot(rates, label=name)
    right.semilogy(valley(points), label=name, linewidth=1)
    print(f"{name:>13}: mean loss over the last 50 steps {final_losses[name]:.2e}")
left.set(xlabel="step", ylabel="learning rate", yscale="log", title="schedules")
right.set(xlabel="step", ylabel="loss", title="SGD on the valley, noisy gradients")
left.legend(fontsize=8)
figure.tight_layout()
plotting.add_caption(
    figure,
    "All three schedules start at 0.03 and make the same fast progress; with noisy "
    "gradients the constant rate then keeps the loss jumping, while both decays let it "
    "settle far lower.",
)
plt.show()
assert (
    max(final_losses["step decay"], final_losses["cosine decay"])
    < final_losses["constant 0.03"] / 3
)

# %% [markdown]
# ### The optimisers on our CNN
#
# On a real network the differences are smaller than on these toy functions, and they
# take minutes to show: the next cell trains the CNN from the same initial weights with
# each optimiser, at its usual learning rate, in the `default` and `full` profiles (it
# is skipped in `fast`, where three epochs on a thousand images cannot separate them).
# Each run reports on one status line, updated after every epoch.

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


if profile.name == "fast":
    print("skipped in the fast profile: run with COURSEKIT_PROFILE=default to compare")
else:
    optimiser_runs = {
        "SGD": experiment(keras.optimizers.SGD(0.01)),
        "SGD + momentum 0.9": experiment(keras.optimizers.SGD(0.01, momentum=0.9)),
        "RMSprop": experiment(keras.optimizers.RMSprop(0.001)),
        "Adam": experiment(keras.optimizers.Adam(0.001)),
    }
    plot_runs(
        optimiser_runs,
        "The same network from the same start with each optimiser: training loss (left) and "
        "validation loss (right) per epoch.",
    )
    for name, run in optimiser_runs.items():
        print(
            f"{name:>20}: final training loss {run['loss'][-1]:.3f}, validation {run['val_loss'][-1]:.3f}"
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
    mebibytes = activations_per_image * batch_size * 4 / 2**20
    print(
        f"batch {batch_size:>5}: activations {mebibytes:8.1f} MiB, weights {parameters * 4 / 2**20:.2f} MiB"
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
# median_freq the median of those fractions. Classes rarer than the median get weights
# above 1, commoner ones below 1; the weighted loss is
# $-\frac{1}{N}\sum_i \alpha_{y_i} \log p_{i, y_i}$. With an odd number of classes the
# median class gets weight exactly 1. With an even number, the median is the mean of the
# two middle frequencies, and when those differ no class gets weight 1, as in the
# 10-class example below.
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
print("a class with weight 1:", bool(np.any(np.isclose(class_weights, 1.0))))


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
        callbacks=[
            training.RunStatus("median-frequency weights" if class_weight else "no weights")
        ],
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
# ## 8. ImageNet results, and humans
#
# The ImageNet Large Scale Visual Recognition Challenge (ILSVRC) asked for the class of
# 100,000 test photographs among 1,000 classes, scored by top-5 error. The winners:
#
# | year | winner | top-5 error |
# |---|---|---|
# | 2010 | NEC-UIUC (hand-designed features, linear SVMs) | 28.2% |
# | 2011 | XRCE (Fisher vectors) | 25.8% |
# | 2012 | AlexNet (SuperVision, the first CNN winner) | 15.3% |
# | 2013 | ZFNet / Clarifai | 11.7% |
# | 2014 | GoogLeNet (VGG second with 7.3%) | 6.7% |
# | 2015 | ResNet | 3.57% |
# | 2016 | Trimps-Soushen (an ensemble) | 2.99% |
# | 2017 | SENet | 2.25% |
#
# AlexNet's winning 15.3% came from an ensemble of seven CNNs, two of them pre-trained
# on a larger ImageNet release; the 16.4% often quoted is its five-CNN entry without that
# extra data. GoogLeNet's 6.7% is its official test score.
#
# How good is a person? Andrej Karpathy trained himself on the task and labelled 1,500
# test images with a 5.1% top-5 error. On those same images GoogLeNet made 6.8%: the
# challenge's organisers concluded that a trained human annotator still beat it by
# about 1.7 points. The first published results below 5.1% came early in 2015, before
# ResNet: PReLU-nets (He et al., 4.94%) and batch-normalised Inception (Ioffe and
# Szegedy, 4.8%). That is where the headline "better than humans on ImageNet" comes
# from; ResNet's 3.57%, which won the challenge at the end of that year, widened the
# gap.

# %%
years = np.arange(2010, 2018)
top5_errors = [28.2, 25.8, 15.3, 11.7, 6.7, 3.57, 2.99, 2.25]
assert round(6.8 - 5.1, 1) == 1.7  # GoogLeNet against the human, on the same 1,500 images
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
# It rests on ILSVRC top-5 error: in early 2015 PReLU-nets (4.94%) and batch-normalised
# Inception (4.8%) went below the 5.1% of a trained human annotator measured on 1,500
# test images, and ResNet reached 3.57% at the end of 2015 (on those same 1,500 images,
# GoogLeNet's 6.8% in 2014 was still about 1.7 points worse than the human). Qualifications: the human figure comes
# from one annotator on a small sample, and his errors were mostly about unfamiliar
# fine-grained classes (dog breeds) rather than about seeing; top-5 error with
# ensembles and multi-crop testing is a generous metric for the models; and the models
# are tuned to one test set: on ImageNetV2, collected the same way, they lose about
# 11-14 points of top-1 accuracy, and they fail on small or thin objects, unusual views
# and drawings that people handle easily. So CNNs beat a human on this benchmark's
# metric, not at visual recognition in general.
# ### END SOLUTION

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
# - On an ill-conditioned valley SGD bounces across and crawls along; momentum builds
#   speed along it, RMSprop and Adam scale each weight's step. The learning rate matters
#   most (SGD diverges above $2/\lambda_{\max}$ on a quadratic); a range test finds a
#   good one for a real network; decay lets noisy steps settle; batch size trades
#   gradient noise against memory.
# - Median-frequency weights $\alpha_c = \text{median\_freq}/\text{freq}(c)$ rebalance the
#   loss.
# - Report top-1 and top-5 error, read the confusion matrix and the confident mistakes,
#   and average ten crops at test time when mirror images keep their class.
#
# **Next:** notebook 06 studies the architectures that won ImageNet. To train on several
# GPUs, with mixed precision and XLA, see the optional appendix, notebook 09.
