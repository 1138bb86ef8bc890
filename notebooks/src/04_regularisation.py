# %% [markdown]
# # Regularisation
#
# *How to tell underfitting from overfitting, and the tools that fight overfitting:
# weight penalties, dropout, early stopping, normalisation layers and data augmentation.*
#
# **After this notebook you can**
# - read bias and variance off training and validation errors, and choose what to change;
# - write the L1 and L2 penalised losses, their gradients and SGD updates, and explain why
#   L1 makes weights sparse and L2 makes them small;
# - implement inverted dropout, explain it as an ensemble, and say why it is switched off
#   at test time;
# - predict where early stopping stops and which weights it restores, exactly as
#   `keras.callbacks.EarlyStopping` does;
# - implement batch normalisation in training and at inference, and layer normalisation,
#   matching the Keras layers;
# - augment photographs with Keras preprocessing layers and spot augmentations that hurt;
# - compare regularisers on a small CNN by the gap between training and validation loss
#   and error, over several seeds.
#
# **Time:** about 2.5 hours. **Accelerator:** none; in the `fast` profile everything runs
# on a CPU in under a minute, in `default` in a few minutes.
#
# [![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)](https://colab.research.google.com/github/cnn-course/cnn-course/blob/main/notebooks/04_regularisation.ipynb) [![Binder](https://mybinder.org/badge_logo.svg)](https://mybinder.org/v2/gh/cnn-course/cnn-course/main?urlpath=lab/tree/notebooks/04_regularisation.ipynb)

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
import itertools
import time

import keras
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns
import skimage.color

from coursekit import check, plotting, scratch
from coursekit.data import load_digits, make_tf_dataset, sample_images

# %% [markdown]
# **Your functions and the course's.** Each exercise asks for a function that
# `coursekit.scratch` also provides. The cells after an exercise use the course's
# version, not yours, so *Run All* works while an exercise is still blank, and a slip in
# your answer does not spread to later cells.
#
# ## 1. Generalisation: underfitting and overfitting
#
# A model is trained on a **training set** but judged on data it has never seen. We
# hold out a **validation set** to choose models and settings, and keep a **test set**
# untouched for the final verdict. Three things can happen:
#
# - the model is too simple to capture the pattern: it does badly on the training set
#   and equally badly on new data (**underfitting**);
# - it captures the pattern and does about as well on new data as on the training data
#   (a **good fit**);
# - it learns the training set too well, noise included, and does much worse on new
#   data (**overfitting**).
#
# Polynomials of increasing degree fitted to 15 noisy samples of a sine show all three.

# %%
rng = np.random.default_rng(0)


def noisy_sine(size):
    x = rng.uniform(0, 1, size)
    return x, np.sin(2 * np.pi * x) + rng.normal(0, 0.25, size)


x_fit, y_fit = noisy_sine(15)
x_new, y_new = noisy_sine(200)


def fitted_polynomial(degree):
    return np.polynomial.Polynomial.fit(x_fit, y_fit, degree)


def rms_error(polynomial, x, y):
    return float(np.sqrt(np.mean((polynomial(x) - y) ** 2)))


grid = np.linspace(0, 1, 300)
figure, axes = plt.subplots(2, 2, figsize=(8.4, 5.6))
axes = axes.ravel()
for axis, (degree, label) in zip(
    axes, [(1, "underfitting"), (3, "good fit"), (12, "overfitting")], strict=False
):
    polynomial = fitted_polynomial(degree)
    axis.plot(x_new, y_new, ".", color="0.75", label="new data")
    axis.plot(x_fit, y_fit, "o", color="C0", label="training data")
    axis.plot(grid, polynomial(grid), color="C3", label=f"degree {degree}")
    axis.set(title=f"degree {degree}: {label}", ylim=(-2, 2))
axes[0].legend(fontsize=8, loc="lower left")
degrees = np.arange(0, 13)
errors = np.array(
    [
        [
            rms_error(fitted_polynomial(d), x_fit, y_fit),
            rms_error(fitted_polynomial(d), x_new, y_new),
        ]
        for d in degrees
    ]
)
axes[3].semilogy(degrees, errors[:, 0], "o-", label="training error")
axes[3].semilogy(degrees, errors[:, 1], "s-", label="validation error")
axes[3].set(xlabel="degree", ylabel="root-mean-square error", title="error against model size")
axes[3].legend(fontsize=8)
figure.tight_layout()
plotting.add_caption(
    figure,
    "A straight line misses the pattern (underfitting); degree 3 follows it; degree 12 "
    "passes close to every training point and swings wildly between them (overfitting). "
    "The training error keeps falling with the degree, the validation error does not.",
)
plt.show()

# %% [markdown]
# ## 2. Bias and variance
#
# Two numbers read off the training and validation errors tell you what is wrong,
# informally:
#
# - **bias**: the error on the training set, how far the model is from fitting even the
#   data it learns from;
# - **variance**: how much worse it does on the validation set than on the training set,
#   $\text{validation error} - \text{training error}$.
#
# Both are compared with the error you can hope for; for a task people do almost
# perfectly, such as recognising cats in photos, that is close to 0%. The lectures' three
# cat classifiers:
#
# | classifier | training error | validation error | bias | variance |
# |---|---|---|---|---|
# | A | 1% | 11% | 1% | 10% |
# | B | 15% | 16% | 15% | 1% |
# | C | 15% | 30% | 15% | 15% |
#
# What to do about each:
#
# - **high variance** (overfitting): more training data is the simplest and most reliable
#   fix; otherwise regularise more (the rest of this notebook), or use a model that suits
#   the problem better;
# - **high bias** (underfitting): a bigger model (more layers or units), less
#   regularisation, or a better architecture; more data does not help a model that cannot
#   even fit what it has;
# - both at once: a model can do both, and the fixes combine. A bigger model lowers bias
#   but may raise variance, which is rarely a problem as long as it is regularised.

# %%
lecture_cases = {"A": (0.01, 0.11), "B": (0.15, 0.16), "C": (0.15, 0.30)}
for name, (train_error, val_error) in lecture_cases.items():
    bias, variance = train_error, val_error - train_error
    print(f"classifier {name}: bias {bias:.0%}, variance {variance:.0%}")

# %% [markdown]
# ### Exercise 4.1
#
# For each of the classifiers A, B and C above, say whether it underfits, overfits or
# both, and name two changes you would try first, with a sentence on why. Then say which
# one you would rather start from if you could collect ten times more data.

# %% [markdown]
# ### BEGIN SOLUTION
# *A* (1% / 11%): low bias, high variance: it overfits. Collect more training data, or
# regularise more (L2, dropout, data augmentation, early stopping); both make it harder
# to memorise the training set. *B* (15% / 16%): high bias, low variance: it underfits.
# Use a bigger model (more layers, units or filters) or train longer, and reduce the
# regularisation; more data would not help, since it cannot fit the data it has. *C*
# (15% / 30%): high bias and high variance: it underfits and overfits at once. Fix the
# bias first with a bigger or better-suited architecture, then bring the variance down
# with more data and regularisation. With ten times more data, A gains most: more data
# attacks variance directly, and A's only problem is variance.
# ### END SOLUTION

# %% [markdown]
# ## 3. L1 and L2 penalties
#
# Regularisation adds information that steers training away from solutions that fit the
# noise. The most direct form adds a penalty on the weights to the loss:
#
# $$L_{\text{L1}} = \text{Error}(y, \hat y) + \lambda \sum_i |w_i|, \qquad
#   L_{\text{L2}} = \text{Error}(y, \hat y) + \lambda \sum_i w_i^2 .$$
#
# The names come from the L1 norm and the (squared) L2 norm; on a linear model they give
# *lasso* and *ridge* regression. The factor $\lambda$ sets how much the penalty counts
# against the error. Write $H = \partial\,\text{Error} / \partial w$ for the gradient of
# the error; since $\frac{d|w|}{dw} = \operatorname{sign}(w)$ and
# $\frac{d w^2}{dw} = 2w$, one gradient descent step with learning rate $\eta$ is
#
# $$w \leftarrow w - \eta\,\big(H + \lambda \operatorname{sign}(w)\big) \quad\text{(L1)},
#   \qquad w \leftarrow w - \eta\,\big(H + 2\lambda w\big) \quad\text{(L2)} .$$
#
# For the linear model $\hat y = wx + b$ with squared error, $H = 2x(wx + b - y)$. Read
# the two updates as "the usual step, then a pull towards zero":
#
# - L1 pulls every non-zero weight by the **same amount** $\eta\lambda$, however small the
#   weight is. A weight that the data does not need keeps being pulled until it sits at
#   zero: L1 makes weights **sparse**.
# - L2 pulls each weight by an amount **proportional to the weight**, $2\eta\lambda w$: a
#   weight decays geometrically and large weights shrink most, but it never quite
#   reaches zero. L2 makes weights **small** (it is also called *weight decay*).
#
# At $w = 0$, $|w|$ has no derivative; TensorFlow uses $\operatorname{sign}(0) = 0$, as
# `np.sign` does.

# %% [markdown]
# ### Exercise 4.2
#
# Write `regularized_update(w, grad, learning_rate, l1=0.0, l2=0.0)` returning the weights
# after one gradient descent step on the loss penalised as
# `keras.regularizers.L1L2(l1, l2)` does: `l1 * sum(|w|) + l2 * sum(w**2)` added to the
# loss. `w` and `grad` are float NumPy arrays of the same shape (any number of
# dimensions); `grad` is the gradient of the loss *without* the penalty. Return the new
# weights as a new float array shaped like `w`; do not modify `w`.


# %%
def regularized_update(w, grad, learning_rate, l1=0.0, l2=0.0):
    ### BEGIN SOLUTION
    penalty_gradient = l1 * np.sign(w) + 2 * l2 * w
    return w - learning_rate * (grad + penalty_gradient)
    ### END SOLUTION


# %%
check("04.2", regularized_update)

# %% [markdown]
# **L1 against L2 on real data.** Softmax regression (one dense layer) on the 8x8
# scikit-learn digits has 640 weights, one per pixel and class. We train it three times
# with full-batch gradient descent, stepping with the course's `scratch.regularized_update`:
# without a penalty, with L1 and with L2, and compare the weights.

# %%
digits = load_digits()
pixels_train = digits.x_train.reshape(len(digits.x_train), -1)
pixels_val = digits.x_val.reshape(len(digits.x_val), -1)
one_hot_train = np.eye(digits.num_classes)[digits.y_train]


def train_softmax_regression(l1=0.0, l2=0.0, steps=400, learning_rate=0.5):
    """Full-batch gradient descent on the mean cross-entropy, penalising the kernel only."""
    kernel = np.random.default_rng(0).normal(0, 0.01, size=(64, digits.num_classes))
    bias = np.zeros(digits.num_classes)
    for _ in range(steps):
        logits = pixels_train @ kernel + bias
        probabilities = np.exp(logits - logits.max(axis=1, keepdims=True))
        probabilities /= probabilities.sum(axis=1, keepdims=True)
        error = (probabilities - one_hot_train) / len(pixels_train)
        kernel = scratch.regularized_update(
            kernel, pixels_train.T @ error, learning_rate, l1=l1, l2=l2
        )
        bias = bias - learning_rate * error.sum(axis=0)
    accuracy = np.mean(np.argmax(pixels_val @ kernel + bias, axis=1) == digits.y_val)
    return kernel, accuracy


penalties = {"no penalty": {}, "L1, λ = 0.003": {"l1": 0.003}, "L2, λ = 0.01": {"l2": 0.01}}
kernels = {}
for name, penalty in penalties.items():
    kernels[name], accuracy = train_softmax_regression(**penalty)
    kernel = kernels[name]
    print(
        f"{name:14} validation accuracy {accuracy:.1%}, |w| < 0.001: "
        f"{np.mean(np.abs(kernel) < 1e-3):5.1%}, largest |w| {np.abs(kernel).max():.2f}"
    )

# %%
figure, axes = plt.subplots(1, 3, figsize=(8.4, 2.8), sharey=True)
bins = np.linspace(-2, 2, 81)
for axis, (name, kernel) in zip(axes, kernels.items(), strict=True):
    axis.hist(kernel.ravel(), bins=bins, color="C0")
    axis.set(title=name, xlabel="weight", yscale="log")
axes[0].set_ylabel("number of weights")
figure.tight_layout()
plotting.add_caption(
    figure,
    "Weight histograms (log scale) after training with each penalty. L1 piles a large "
    "share of the weights into the bin at zero and leaves some large ones; L2 moves fewer "
    "weights to zero but shrinks the largest ones.",
)
plt.show()

figure, axes = plt.subplots(1, 3, figsize=(8.4, 3))
limit = max(np.abs(kernel[:, 3]).max() for kernel in kernels.values())
for axis, (name, kernel) in zip(axes, kernels.items(), strict=True):
    shown = axis.imshow(kernel[:, 3].reshape(8, 8), cmap="RdBu_r", vmin=-limit, vmax=limit)
    axis.set(title=f"class 3, {name}", xticks=[], yticks=[])
figure.colorbar(shown, ax=axes, shrink=0.8)
plotting.add_caption(
    figure,
    "The weights of class 3 as 8x8 images on one colour scale (red positive, blue "
    "negative): L1 keeps a few decisive pixels and zeroes the rest, L2 keeps them all but "
    "weaker.",
)
plt.show()

# %% [markdown]
# With plain (sub)gradient steps, L1 makes the unneeded weights hover within about
# $\eta\lambda$ of zero rather than land on it exactly; solvers built for L1 (proximal
# methods) set them to exactly zero. Pixels that are blank in every image, like the
# borders, get no gradient from the data at all: without a penalty they keep their random
# initial value, while both penalties shrink them away.
#
# **In Keras** a layer takes the penalty as `kernel_regularizer`. The layer stores the
# penalty of its current weights in `layer.losses`, and `fit` adds the sum of all of them
# to the data loss it minimises. The choice is per layer: you can regularise only some
# layers, and biases are not regularised unless you also pass `bias_regularizer` (they
# are few, and a large bias does not make a model more flexible).

# %%
dense = keras.layers.Dense(
    10,
    activation="softmax",
    kernel_regularizer=keras.regularizers.L2(0.01),
    bias_initializer="ones",
)
model = keras.Sequential([keras.Input((64,)), dense])
model.compile(loss="sparse_categorical_crossentropy")
kernel, bias = dense.get_weights()
penalty = 0.01 * np.sum(kernel**2)
print(f"layer.losses: {float(dense.losses[0]):.6f}   0.01 * sum(w**2): {penalty:.6f}")
print(f"the bias is not penalised, although sum(b**2) = {np.sum(bias**2):.0f}")
probabilities = model.predict(pixels_val, verbose=0)
data_loss = np.mean(keras.losses.sparse_categorical_crossentropy(digits.y_val, probabilities))
reported = model.evaluate(pixels_val, digits.y_val, verbose=0)
print(f"evaluate's loss: {reported:.6f}   data loss + penalty: {data_loss + penalty:.6f}")
assert np.isclose(reported, data_loss + penalty, rtol=1e-4)

# %% [markdown]
# ## 4. Dropout
#
# **Dropout** switches off a random selection of neurons during training: in every
# forward pass, each unit's output is set to zero with probability $p$, the dropout
# *rate* (0.5 is a common choice for dense layers, less for convolutional ones). Every
# example in a mini-batch gets its own random **mask**, and a new one at every step.
#
# - A neuron cannot rely on particular other neurons being there, so features cannot
#   *co-adapt*; the network has to learn redundant, individually useful features.
# - Each mask selects a thinned sub-network, and they all share the same weights. A layer
#   of $n$ units has $2^n$ masks; for 4,096 units that is $2^{4096} \approx 10^{1233}$,
#   far more than the roughly $10^{80}$ atoms in the universe. Dropout trains this
#   gigantic **ensemble** of networks at the cost of training one.
#
# **Test time.** A prediction should not be random: we want the average over all masks,
# which the network approximates by using every unit with its *expected* output.
# Consider one neuron $a = w_1 x + w_2 y$ whose two inputs are dropped with
# $p = 0.5$. The four masks are equally likely, so
#
# $$E[a] = \tfrac14 (w_1 x + w_2 y) + \tfrac14 (w_1 x + 0) + \tfrac14 (0 + w_2 y)
#   + \tfrac14 (0 + 0) = \tfrac12 (w_1 x + w_2 y).$$
#
# In training the neuron sees on average half of what it sees with all inputs on. Two
# equivalent fixes:
#
# - **scale at test time** (the original dropout): use all units at test time but multiply
#   their outputs by the keep probability $1 - p$;
# - **inverted dropout** (what Keras does): divide the kept outputs by $1 - p$ *during
#   training*, so their expectation is the undropped value, and use the network unchanged
#   at test time.

# %%
w1, w2, x_in, y_in = 0.8, -0.3, 2.0, 1.5
masks = list(itertools.product([0, 1], repeat=2))
outputs = [w1 * keep_x * x_in + w2 * keep_y * y_in for keep_x, keep_y in masks]
for mask, output in zip(masks, outputs, strict=True):
    print(f"mask {mask}: a = {output:+.2f}")
print(
    f"E[a] = {np.mean(outputs):+.3f} = 0.5 * (w1 x + w2 y) = {0.5 * (w1 * x_in + w2 * y_in):+.3f}"
)
inverted = [output / 0.5 for output in outputs]
print(
    f"inverted dropout: E[a] = {np.mean(inverted):+.3f} = w1 x + w2 y = {w1 * x_in + w2 * y_in:+.3f}"
)

# With p = 0.2 the masks are no longer equally likely: a mask keeps each input with 0.8.
rate = 0.2
mask_probabilities = [np.prod([1 - rate if keep else rate for keep in mask]) for mask in masks]
expected = float(np.dot(mask_probabilities, outputs))
print(
    f"p = 0.2: E[a] = {expected:+.3f} = 0.8 * (w1 x + w2 y), "
    f"not 0.2 * (w1 x + w2 y) = {rate * (w1 * x_in + w2 * y_in):+.3f}"
)
assert np.isclose(expected, (1 - rate) * (w1 * x_in + w2 * y_in))

# %% [markdown]
# Some lecture notes say to multiply by "the dropout probability" at test time. That
# is only right for $p = 0.5$, where dropping and keeping are equally likely; in general
# the factor is the **keep** probability $1 - p$, as the last line shows for $p = 0.2$.

# %% [markdown]
# ### Exercise 4.3
#
# Write `dropout(x, rate, training, seed=None)`, where `rate` lies in $[0, 1)$. With
# `training=True`, drop every value of `x` (a float NumPy array of any shape)
# independently with probability `rate` and divide the values kept by `1 - rate`; with
# `training=False`, return `x` unchanged. Either way,
# return a new float array shaped like `x`. Draw the mask with
# `np.random.default_rng(seed)`. Your function cannot draw the same masks as the
# reference, so the check compares statistics: the fraction of zeros, the values kept and
# the mean.


# %%
def dropout(x, rate, training, seed=None):
    ### BEGIN SOLUTION
    if not training:
        return x.copy()
    keep = np.random.default_rng(seed).random(x.shape) >= rate
    return np.where(keep, x / (1 - rate), 0.0)
    ### END SOLUTION


# %%
check("04.3", dropout)

# %% [markdown]
# `keras.layers.Dropout` draws its own masks, so it is compared with the course's
# `scratch.dropout` by statistics too. On 100,000 values and over many draws, both drop a
# fraction `rate`, multiply what they keep by $1/(1 - p)$, preserve the mean, and pass the
# input through untouched at inference.

# %%
x = np.random.default_rng(1).uniform(0.5, 1.5, size=(100, 1000))
for rate in (0.2, 0.5):
    keras_layer = keras.layers.Dropout(rate, seed=3)
    for name, output in [
        ("scratch.dropout", scratch.dropout(x, rate, training=True, seed=3)),
        ("keras Dropout", keras.ops.convert_to_numpy(keras_layer(x, training=True))),
    ]:
        kept = output != 0
        print(
            f"rate {rate}, {name:15}: dropped {1 - kept.mean():.3f}, kept values x "
            f"{np.median(output[kept] / x[kept]):.4f} (1/(1-rate) = {1 / (1 - rate):.4f}), "
            f"mean {output.mean():.4f} (input {x.mean():.4f})"
        )
        assert abs(kept.mean() - (1 - rate)) < 0.01
        assert np.allclose(output[kept], x[kept] / (1 - rate), rtol=1e-5)
    inference = keras.ops.convert_to_numpy(keras_layer(x, training=False))
    assert np.allclose(inference, x) and np.array_equal(scratch.dropout(x, rate, False), x)
print("at inference both return the input unchanged")

# %% [markdown]
# The ensemble view is easy to see on a photograph: one dropout mask is a noisy image,
# and averaging the outputs of many masks gives back the original, as the test-time
# network approximates.

# %%
photos = sample_images()
photo = photos["camera"][::2, ::2, 0]


def mean_over_masks(image, count):
    return sum(scratch.dropout(image, 0.5, True, seed=seed) for seed in range(count)) / count


averages = [1, 10, 200]
figure = plotting.show_images(
    [photo] + [mean_over_masks(photo, count) for count in averages],
    titles=["input"] + [f"mean of {count} mask{'s' * (count > 1)}" for count in averages],
    caption="Inverted dropout with rate 0.5 on a photograph: one mask zeroes half the pixels "
    "and doubles the rest; the average over more and more masks approaches the input.",
    size=3.0,
)
plt.show()

# %% [markdown]
# In practice dropout goes after the dense layers of a network (AlexNet and VGG use 0.5
# there); rates can differ from layer to layer, usually more dropout in later layers.
# Although some lecture notes show it after dense layers only, it works after
# convolutional layers too, with lower rates: neighbouring pixels of a
# feature map are strongly correlated, so dropping one loses little, and rates around
# 0.1-0.2 are usual there (Park and Kwak, 2016, report a VGG-style network going from
# 83.2% to 87.8% accuracy with rate 0.1 after its convolutional layers). Dropout makes
# training noisier and slower to converge, and, like every regulariser, too much of it
# leads to underfitting.

# %% [markdown]
# ### Exercise 4.4
#
# Explain why the network does not drop units when it makes predictions, what a
# prediction would look like if it did, and what would go wrong if units were simply all
# switched on at test time with neither test-time scaling nor inverted dropout.

# %% [markdown]
# ### BEGIN SOLUTION
# A prediction should be deterministic and as good as possible. With dropout on, the same
# image would get a different output every time, each from one randomly thinned
# sub-network, which is noisier and on average worse than the full network. What we want
# is the average prediction of the whole ensemble of sub-networks; averaging over all
# $2^n$ masks is impossible, and using every unit with its expected activation is a cheap
# approximation of it (exact for a linear layer). That only works if the activations have
# the scale the next layer was trained with: in training each unit was on with
# probability $1 - p$, so with all units on and no correction every pre-activation would
# be about $1/(1 - p)$ times larger than in training (twice as large for $p = 0.5$),
# shifting every layer above into a regime it never saw. Hence test-time scaling by
# $1 - p$, or inverted dropout's division by $1 - p$ during training.
# ### END SOLUTION

# %% [markdown]
# ## 5. Early stopping
#
# A network trained for long enough starts to overfit: the training loss keeps falling
# while the validation loss, after reaching a minimum, rises again. **Early stopping**
# watches the validation loss and stops training when it stops improving, then goes back
# to the weights of the best epoch. It also acts like a penalty on the weights: weights
# start near zero, and stopping early keeps them close to where they started.
#
# `keras.callbacks.EarlyStopping(monitor="val_loss", patience=p, restore_best_weights=True)`
# does this at the end of every epoch:
#
# - the first epoch's loss is the best so far; a later epoch **improves** only if its loss
#   is strictly lower than the best (by more than `min_delta`, 0 by default), and then
#   becomes the best;
# - otherwise it counts one more epoch without improvement; when the count reaches
#   `patience`, training stops at the end of that epoch (with `patience=0`, at the end of
#   the first epoch without improvement);
# - when training ends, stopped early or out of epochs, the model gets the weights saved
#   at the end of the best epoch.

# %% [markdown]
# ### Exercise 4.5
#
# Write `early_stopping_epoch(val_losses, patience)`. `val_losses` (a list or a 1-D NumPy
# array) holds the validation loss at the end of each epoch, and `patience` is an int
# >= 0; return a tuple `(stop_epoch, best_epoch)` of two ints, 0-based epoch indices:
# the last epoch that runs, and the epoch whose weights the model has when
# training ends, exactly as `EarlyStopping(monitor="val_loss", patience=patience,
# restore_best_weights=True)` behaves. If it never stops, the last epoch is the one at the
# end of the list.


# %%
def early_stopping_epoch(val_losses, patience):
    ### BEGIN SOLUTION
    best_epoch, epochs_without_improvement = 0, 0
    for epoch in range(1, len(val_losses)):
        if val_losses[epoch] < val_losses[best_epoch]:
            best_epoch, epochs_without_improvement = epoch, 0
            continue
        epochs_without_improvement += 1
        if epochs_without_improvement >= patience:
            return epoch, best_epoch
    return len(val_losses) - 1, best_epoch
    ### END SOLUTION


# %%
check("04.5", early_stopping_epoch)

# %% [markdown]
# **A real validation curve.** A dense network with 256 hidden units trained on only 150
# digits overfits within a few dozen epochs (one full-batch step per epoch). We train it
# for at most 30 epochs with Keras's callback and a generous patience of 10, so that it
# runs well past the minimum. `scratch.early_stopping_epoch` must then agree with Keras
# on where it stopped and which epoch it restored. From the same curve it also says where
# a patience of 3 would have stopped: never later than a patience of 10, so the curve is
# long enough.

# %%
few = 150
small_train = (pixels_train[:few], digits.y_train[:few])
keras.utils.set_random_seed(0)
network = keras.Sequential(
    [
        keras.Input((64,)),
        keras.layers.Dense(256, activation="relu"),
        keras.layers.Dense(digits.num_classes, activation="softmax"),
    ]
)
network.compile(optimizer=keras.optimizers.Adam(0.01), loss="sparse_categorical_crossentropy")
stopping = keras.callbacks.EarlyStopping(monitor="val_loss", patience=10, restore_best_weights=True)
curves = network.fit(
    *small_train,
    validation_data=(pixels_val, digits.y_val),
    epochs=30,
    batch_size=few,
    shuffle=False,
    callbacks=[stopping],
    verbose=0,
).history
ran, best = len(curves["val_loss"]) - 1, stopping.best_epoch
print(f"Keras, patience 10: ran epochs 0 to {ran} and restored epoch {best}")
assert scratch.early_stopping_epoch(curves["val_loss"], patience=10) == (ran, best)
restored_loss = network.evaluate(pixels_val, digits.y_val, verbose=0)
print(
    f"validation loss with the restored weights {restored_loss:.4f}, "
    f"lowest seen {min(curves['val_loss']):.4f}"
)
assert np.isclose(restored_loss, min(curves["val_loss"]), rtol=1e-4)

# %%
figure, axis = plt.subplots(figsize=(7, 3.5))
epochs = np.arange(len(curves["loss"]))
axis.plot(epochs, curves["loss"], label="training loss")
axis.plot(epochs, curves["val_loss"], label="validation loss")
for patience, colour in [(3, "C2"), (10, "C3")]:
    stop, best = scratch.early_stopping_epoch(curves["val_loss"], patience)
    axis.axvline(stop, color=colour, linestyle="--", label=f"patience {patience}: stops at {stop}")
    print(f"patience {patience}: stops after epoch {stop}, restores epoch {best}")
lowest = int(np.argmin(curves["val_loss"]))
axis.plot(lowest, curves["val_loss"][lowest], "k*", markersize=12, label=f"lowest, epoch {lowest}")
axis.set(xlabel="epoch", ylabel="cross-entropy", yscale="log")
axis.legend(fontsize=8)
figure.tight_layout()
plotting.add_caption(
    figure,
    "The training loss keeps falling, the validation loss turns upwards after its minimum "
    "(star). Early stopping ends training a few epochs later, depending on the patience, "
    "and restores the weights of the best epoch.",
)
plt.show()

# %% [markdown]
# Patience trades time for safety: validation curves are noisy, and a small patience may
# stop at a local bump long before the real minimum, while a large one wastes epochs.
# Restoring the best weights makes a generous patience cheap in quality, if not in time.

# %% [markdown]
# ## 6. Batch normalisation
#
# Deep networks train best when every layer sees inputs of a stable, standardised scale.
# **Batch normalisation** (Ioffe and Szegedy, 2015) makes it so inside the network: for
# each feature $k$ (each unit of a dense layer), during training it
#
# 1. computes the mean $\mu_k$ and variance $\sigma_k^2$ of that feature over the
#    mini-batch;
# 2. normalises, $\hat x_k = (x_k - \mu_k) / \sqrt{\sigma_k^2 + \epsilon}$;
# 3. scales and shifts with two learned parameters per feature, $y_k = \gamma_k \hat x_k
#    + \beta_k$, so the network can undo the normalisation where it does not help:
#    $\gamma_k = \sqrt{\sigma_k^2 + \epsilon}$ and $\beta_k = \mu_k$ give back the input.
#
# It is usually placed after a dense or convolutional layer and before the nonlinearity.
# It improves gradient flow, allows higher learning rates and weakens the dependence on
# initialisation. Because the statistics come from a random mini-batch, every example's
# output depends slightly on its batch companions; that noise regularises a little, which
# is why batch norm sometimes lets you drop dropout.
#
# **At inference** there may be no batch at all, and a prediction must not depend on
# which other images happen to share it. So the layer keeps **moving averages** of the
# batch statistics during training and normalises with them at test time. Keras's
# conventions for `keras.layers.BatchNormalization`:
#
# - `moving = moving * momentum + batch_statistic * (1 - momentum)`, with
#   `momentum=0.99`: *momentum* is the share of the old average that is kept;
# - the variance is the biased one (divided by the number of values, `np.var`), both to
#   normalise and in the moving average;
# - `epsilon=1e-3`; the moving mean starts at 0, the moving variance at 1.

# %% [markdown]
# ### Exercise 4.6
#
# Write `batch_norm(x, gamma, beta, moving_mean, moving_variance, training, momentum=0.99,
# epsilon=1e-3)` for inputs whose features are on the last axis: `(batch, features)` or
# `(batch, height, width, channels)`; `gamma`, `beta`, `moving_mean` and
# `moving_variance` are float arrays of shape `(features,)`. Take the statistics of each
# feature over all other axes, with Keras's conventions above (biased variance, `momentum`
# the share of the old average kept). Return the tuple `(y, new_moving_mean,
# new_moving_variance)` of new float arrays, `y` shaped like `x` and the averages of shape
# `(features,)`: in training, normalise with the batch statistics and update the moving
# averages; at inference, normalise with the moving averages and return them unchanged.


# %%
def batch_norm(x, gamma, beta, moving_mean, moving_variance, training, momentum=0.99, epsilon=1e-3):
    ### BEGIN SOLUTION
    if training:
        axes = tuple(range(x.ndim - 1))  # every axis but the features
        mean, variance = x.mean(axis=axes), x.var(axis=axes)
        new_moving_mean = moving_mean * momentum + mean * (1 - momentum)
        new_moving_variance = moving_variance * momentum + variance * (1 - momentum)
    else:
        mean, variance = moving_mean, moving_variance
        new_moving_mean, new_moving_variance = moving_mean.copy(), moving_variance.copy()
    y = gamma * (x - mean) / np.sqrt(variance + epsilon) + beta
    return y, new_moving_mean, new_moving_variance
    ### END SOLUTION


# %%
check("04.6", batch_norm)

# %% [markdown]
# Keras is the ground truth: a `BatchNormalization` layer with our parameters, called in
# both modes, gives the same outputs and the same new moving averages as the course's
# `scratch.batch_norm`, on dense features and on feature maps.

# %%
rng = np.random.default_rng(6)
for shape in [(16, 5), (4, 6, 6, 3)]:
    features = shape[-1]
    x = rng.normal(2.0, 3.0, size=shape)
    parameters = [
        rng.uniform(0.5, 2, features),  # gamma
        rng.normal(size=features),  # beta
        rng.normal(size=features),  # moving mean
        rng.uniform(0.5, 2, features),  # moving variance
    ]
    for training in (True, False):
        layer = keras.layers.BatchNormalization(momentum=0.9, dtype="float64")
        layer.build(shape)
        layer.set_weights(parameters)
        keras_y = keras.ops.convert_to_numpy(layer(x, training=training))
        y, moving_mean, moving_variance = scratch.batch_norm(
            x, *parameters, training=training, momentum=0.9
        )
        assert np.allclose(y, keras_y)
        assert np.allclose(moving_mean, layer.moving_mean.numpy())
        assert np.allclose(moving_variance, layer.moving_variance.numpy())
        print(f"{shape!s:14} training={training!s:5}: output and moving averages match Keras")

# %% [markdown]
# **Training and test behave differently.** In training, the same example comes out
# differently depending on the batch it is in; at inference it does not. And $\gamma$ and
# $\beta$ can turn the layer back into the identity:

# %%
example = rng.normal(size=(1, 4))
companions = [rng.normal(0, 1, size=(7, 4)), rng.normal(5, 3, size=(7, 4))]
ones, zeros = np.ones(4), np.zeros(4)
for mode in (True, False):
    results = [
        scratch.batch_norm(np.vstack([example, others]), ones, zeros, zeros, ones, mode)[0][0]
        for others in companions
    ]
    print(
        f"training={mode!s:5}: in batch 1 {np.round(results[0], 3)}, in batch 2 {np.round(results[1], 3)}"
    )

batch = rng.normal(3.0, 2.0, size=(32, 4))
gamma, beta = np.sqrt(batch.var(axis=0) + 1e-3), batch.mean(axis=0)
identity, _, _ = scratch.batch_norm(batch, gamma, beta, zeros, ones, training=True)
print("gamma = sqrt(var + eps), beta = mean give back the input:", np.allclose(identity, batch))

# %% [markdown]
# **How fast the moving averages learn.** The gap between the moving mean and the true
# mean shrinks by a factor `momentum` per step (apart from each batch's noise): with
# 0.99 it is down to $e^{-1}$ of its initial size after 100 steps ($0.99^{100} \approx
# 0.37$) and to 1% only after 459. A network trained for only a few hundred steps can
# do well in training mode and badly at inference because its moving averages are not
# there yet. A smaller momentum converges faster but follows each
# batch's noise more; the experiment of section 9 trains for only 60 steps, so it uses
# `momentum=0.9`.

# %%
stream = np.random.default_rng(7)
steps = 500
figure, axis = plt.subplots(figsize=(7, 3.2))
for momentum in (0.99, 0.9):
    moving_mean, moving_variance, history_of_mean = np.zeros(1), np.ones(1), []
    for _ in range(steps):
        batch = stream.normal(3.0, 2.0, size=(32, 1))
        _, moving_mean, moving_variance = scratch.batch_norm(
            batch, np.ones(1), np.zeros(1), moving_mean, moving_variance, True, momentum
        )
        history_of_mean.append(moving_mean[0])
    axis.plot(history_of_mean, label=f"momentum {momentum}")
axis.axhline(3.0, color="k", linestyle=":", label="true mean")
axis.set(xlabel="training step", ylabel="moving mean")
axis.legend(fontsize=8)
figure.tight_layout()
plotting.add_caption(
    figure,
    "Moving mean of a feature whose batches have mean 3, starting from Keras's initial 0: "
    "with momentum 0.99 it needs hundreds of steps, with 0.9 tens, at the price of more noise.",
)
plt.show()

# %% [markdown]
# **Spatial batch norm.** In a convolutional layer a feature is a channel, and the same
# filter produced it at every position. Batch norm for feature maps therefore takes one
# mean and one variance per channel over the batch *and* all positions, `(N, H, W)`, and
# learns one $\gamma$ and one $\beta$ per channel. Keras's `BatchNormalization` does this
# for NHWC inputs by default (`axis=-1`):

# %%
maps = rng.normal(size=(8, 10, 10, 16))
layer = keras.layers.BatchNormalization()
layer.build(maps.shape)
print("parameters of BatchNormalization on 10x10x16 maps:", [tuple(w.shape) for w in layer.weights])
_, moving_mean, _ = scratch.batch_norm(
    maps, np.ones(16), np.zeros(16), np.zeros(16), np.ones(16), True
)
print(
    "statistics per channel, over",
    maps.shape[0] * maps.shape[1] * maps.shape[2],
    "values each:",
    moving_mean.shape,
)

# %% [markdown]
# **The price: the mini-batch must be in memory at once.** Without batch norm a
# network could, in principle, process the examples of a batch one at a time and add up
# their gradients. With it, every example needs the statistics of all the others, so each
# normalised layer's activations for the whole batch must be held in memory together, for
# the forward and the backward pass. Memory then limits the batch size, and small batches
# give noisy statistics. One feature map of 224x224 pixels and 64 channels in float32
# already takes:

# %%
per_example = 224 * 224 * 64 * 4  # bytes
for batch_size in (1, 32, 128, 256):
    print(
        f"batch {batch_size:3}: {batch_size * per_example / 2**20:8,.1f} MiB for one layer's activations"
    )

# %% [markdown]
# ## 7. Layer normalisation
#
# **Layer normalisation** turns the axes around: it normalises each example over its
# *own* features, so the statistics have one value per example instead of one per
# feature. It needs no batch, behaves the same in training and at test time (no moving
# averages), and works for any batch size, including sequences of different lengths in
# recurrent networks and transformers. (Some lecture notes swap the words: for a batch
# of $N$ examples with $D$ features, batch norm computes $D$ means, each over the $N$
# examples, and layer norm $N$ means, each over the $D$ features.) `keras.layers.LayerNormalization` normalises over
# the last axis by default, with learned $\gamma$ and $\beta$ per feature and
# `epsilon=1e-3`; for feature maps, `axis=[1, 2, 3]` would normalise each whole example.

# %%
activations = np.arange(1.0, 21.0).reshape(4, 5)
figure, axes = plt.subplots(1, 2, figsize=(8, 3))
plotting.plot_array(
    activations, axes[0], "batch norm: one feature over the batch", highlight=(0, 2, 4, 1)
)
plotting.plot_array(
    activations, axes[1], "layer norm: one example's features", highlight=(1, 0, 1, 5)
)
for axis in axes:
    axis.set_xlabel("features")
    axis.set_ylabel("examples")
plotting.add_caption(
    figure,
    "The values that share one mean and variance (red): batch norm pools a feature over "
    "the examples of the batch, layer norm pools the features of one example.",
)
plt.show()

# %% [markdown]
# ### Exercise 4.7
#
# Write `layer_norm(x, gamma, beta, epsilon=1e-3)` that normalises `x` over its last axis
# with the biased variance, then scales by `gamma` and shifts by `beta` (float arrays of
# shape `(features,)`, the size of the last axis), as `keras.layers.LayerNormalization()`
# does. `x` has any number of dimensions, features last; return a new float array shaped
# like `x`.


# %%
def layer_norm(x, gamma, beta, epsilon=1e-3):
    ### BEGIN SOLUTION
    mean = x.mean(axis=-1, keepdims=True)
    variance = x.var(axis=-1, keepdims=True)
    return gamma * (x - mean) / np.sqrt(variance + epsilon) + beta
    ### END SOLUTION


# %%
check("04.7", layer_norm)

# %%
for shape in [(6, 8), (2, 5, 5, 3)]:
    x = rng.normal(1.0, 2.0, size=shape)
    gamma, beta = rng.uniform(0.5, 2, shape[-1]), rng.normal(size=shape[-1])
    layer = keras.layers.LayerNormalization(dtype="float64")
    layer.build(shape)
    layer.set_weights([gamma, beta])
    in_training = keras.ops.convert_to_numpy(layer(x, training=True))
    assert np.allclose(in_training, keras.ops.convert_to_numpy(layer(x, training=False)))
    assert np.allclose(scratch.layer_norm(x, gamma, beta), in_training)
    print(f"{shape!s:14}: scratch.layer_norm matches LayerNormalization, the same in both modes")

# %% [markdown]
# ## 8. Data augmentation
#
# More data is the surest cure for overfitting, and for images we can make more: each
# time an image is used for training, we transform it in a way that does not change what
# it shows. Without augmentation even AlexNet overfits ImageNet. The common choices:
#
# - random crops (AlexNet: 224x224 patches of 256x256 images; ResNet also rescales first);
# - horizontal flips;
# - small changes of colour, brightness and contrast, as different cameras or times of
#   day would give;
# - less often, small rotations (say $\pm 15°$), scalings and occluders; they cost more.
#
# Keras has preprocessing layers for these, which can sit at the start of a model. The
# random flips, rotations and colour changes are active only in training: called with
# `training=False`, as inside `predict` and `evaluate`, they leave images alone.
# `RandomCrop` is different, and it is not a centre crop at inference: its
# documentation says it then takes the largest window with the target's aspect ratio
# and *resizes* it to the target size, which scales the whole image down instead of
# cutting out its centre, and some Keras 3 releases return the image uncropped instead
# (the cell below prints what the installed one does). For a centre crop at test time,
# use `keras.layers.CenterCrop`, which crops the same window in training and at
# inference.

# %%
cat = photos["chelsea"]
augment = keras.Sequential(
    [
        keras.layers.RandomCrop(240, 360, seed=1),
        keras.layers.RandomFlip("horizontal", seed=2),
        keras.layers.RandomRotation(15 / 360, seed=3),
        keras.layers.RandomContrast(0.3, value_range=(0, 1), seed=4),
        keras.layers.RandomBrightness(0.2, value_range=(0, 1), seed=5),
    ]
)
variants = keras.ops.convert_to_numpy(augment(np.stack([cat] * 7), training=True))
plotting.show_images(
    [cat, *np.clip(variants, 0, 1)],
    titles=["original"] + [f"augmented {i + 1}" for i in range(7)],
    ncols=4,
    size=3.0,
    caption="One photograph and seven training images made from it: random crops, "
    "horizontal flips, rotations of up to 15 degrees and small contrast and brightness changes.",
)
plt.show()

flip_and_colour = keras.Sequential(augment.layers[1:])
assert np.allclose(
    keras.ops.convert_to_numpy(flip_and_colour(cat[np.newaxis], training=False))[0], cat
)
centre = keras.ops.convert_to_numpy(keras.layers.CenterCrop(240, 360)(cat[np.newaxis]))[0]
top, left = (cat.shape[0] - 240) // 2, (cat.shape[1] - 360) // 2
assert np.allclose(centre, cat[top : top + 240, left : left + 360])
at_inference = keras.ops.convert_to_numpy(augment.layers[0](cat[np.newaxis], training=False))
print(f"photo {cat.shape}: CenterCrop gives the centre {centre.shape}")
is_centre = at_inference.shape[1:] == centre.shape and np.allclose(at_inference[0], centre)
print(
    f"RandomCrop(240, 360) with training=False returns shape {at_inference.shape[1:]} here; "
    f"the centre crop: {is_centre}"
)
assert not is_centre

# %% [markdown]
# **Not every transformation is harmless.** An augmentation must keep the label true and
# produce images that could occur. Vertical flips give upside-down scenes that never
# appear in photographs of cats; large colour changes give blue cats, and destroy colour
# cues that matter. For digits even a horizontal flip is wrong, and a half-turn turns a 6
# into a 9: the right set of augmentations depends on the task.

# %%
hsv = skimage.color.rgb2hsv(cat)
hsv[..., 0] = (hsv[..., 0] + 0.5) % 1.0
blue_cat = skimage.color.hsv2rgb(hsv)
big_digits = load_digits(image_size=32)
six = big_digits.x_train[np.flatnonzero(big_digits.y_train == 6)[0], :, :, 0]
three = big_digits.x_train[np.flatnonzero(big_digits.y_train == 3)[0], :, :, 0]
plotting.show_images(
    [cat[::-1], blue_cat, six, np.rot90(six, 2), three[:, ::-1]],
    titles=["vertical flip", "hue shifted by 180°", "a 6", "the 6 rotated 180°", "a 3 flipped"],
    size=2.8,
    caption="Augmentations that hurt: an upside-down cat and a blue cat are images the "
    "model will never meet; a rotated 6 is a 9 and a mirrored 3 is no digit at all.",
)
plt.show()

# %% [markdown]
# ## 9. Putting it together: regularisers on a small CNN
#
# Now one small CNN (two convolutional layers with max pooling, then a dense layer) is
# trained five ways: without regularisation, the **baseline**, and with each of four
# regularisers: L2 penalties, dropout, batch normalisation and data augmentation (small
# shifts, rotations and zooms; no flips, for the reason above). To see variance we need a
# network that can memorise its training set, so the regime is chosen for it: only 100
# training digits of 16x16 pixels, a cheap network, and many epochs (each one a single
# full-batch step). Every way is trained from several seeds, which change the initial
# weights and the random masks and augmentations, because one run can be lucky.

# %%
IMAGE_SIZE, TRAIN_EXAMPLES, EPOCHS = 16, 100, 60
SEEDS = {"fast": 2, "default": 3, "full": 3}[profile.name]
digits_small = load_digits(image_size=IMAGE_SIZE)
x_train = digits_small.x_train[:TRAIN_EXAMPLES]
y_train = digits_small.y_train[:TRAIN_EXAMPLES]
x_val, y_val = digits_small.x_val, digits_small.y_val
print(
    f"{len(x_train)} training images of {IMAGE_SIZE}x{IMAGE_SIZE} "
    f"({np.bincount(y_train).min()} to {np.bincount(y_train).max()} per class), "
    f"{len(x_val)} for validation; {EPOCHS} epochs, {SEEDS} seeds"
)


def small_cnn(regulariser):
    """A small CNN; `regulariser` is "none", "L2", "dropout", "batch norm" or "augmentation"."""
    penalty = keras.regularizers.L2(3e-3) if regulariser == "L2" else None
    layers = [keras.Input((IMAGE_SIZE, IMAGE_SIZE, 1))]
    if regulariser == "augmentation":  # the background of a digit is 0: fill with 0
        layers += [
            keras.layers.RandomTranslation(0.1, 0.1, fill_mode="constant"),
            keras.layers.RandomRotation(0.04, fill_mode="constant"),
            keras.layers.RandomZoom(0.1, fill_mode="constant"),
        ]
    for filters in (8, 16):
        batch_norm_here = regulariser == "batch norm"
        layers.append(
            keras.layers.Conv2D(
                filters, 3, padding="same", use_bias=not batch_norm_here, kernel_regularizer=penalty
            )
        )
        if batch_norm_here:
            layers.append(keras.layers.BatchNormalization(momentum=0.9))
        layers += [keras.layers.ReLU(), keras.layers.MaxPooling2D()]
    layers.append(keras.layers.Flatten())
    if regulariser == "dropout":
        layers.append(keras.layers.Dropout(0.5))
    layers.append(keras.layers.Dense(64, activation="relu", kernel_regularizer=penalty))
    if regulariser == "dropout":
        layers.append(keras.layers.Dropout(0.5))
    layers.append(keras.layers.Dense(10, activation="softmax", kernel_regularizer=penalty))
    network = keras.Sequential(layers)
    network.compile(optimizer=keras.optimizers.Adam(0.01), loss="sparse_categorical_crossentropy")
    return network


# %% [markdown]
# What we measure must compare like with like. Keras's training loss is taken with the
# regulariser on (dropout masks, augmented images) and, for L2, *includes* the penalty,
# as does the loss `evaluate` reports (section 3). So after training we predict both
# sets in inference mode and compute, for each, the error and the cross-entropy of the
# data alone, with `scratch.cross_entropy`. The **gap** is validation minus training: the
# variance of section 2. Each run prints one line when it ends.


# %%
def error_and_loss(network, x, y):
    """Error rate and data cross-entropy (no penalty), in inference mode."""
    probabilities = keras.ops.convert_to_numpy(network(x, training=False))
    error = float(np.mean(probabilities.argmax(axis=1) != y))
    return error, scratch.cross_entropy(probabilities, y)


full_batches = make_tf_dataset(x_train, y_train, batch_size=len(x_train), shuffle=False)
regularisers = ["none", "L2", "dropout", "batch norm", "augmentation"]
runs = []
for regulariser in regularisers:
    for seed in range(SEEDS):
        started = time.perf_counter()
        keras.utils.set_random_seed(seed)
        network = small_cnn(regulariser)
        network.fit(full_batches, epochs=EPOCHS, shuffle=False, verbose=0)
        train_error, train_loss = error_and_loss(network, x_train, y_train)
        val_error, val_loss = error_and_loss(network, x_val, y_val)
        runs.append(
            {
                "regulariser": regulariser,
                "seed": seed,
                "train error": train_error,
                "validation error": val_error,
                "error gap": val_error - train_error,
                "train loss": train_loss,
                "validation loss": val_loss,
                "loss gap": val_loss - train_loss,
            }
        )
        print(
            f"{regulariser:>12}, seed {seed}: error {train_error:5.1%} train, {val_error:5.1%} "
            f"validation; loss {train_loss:.3f} train, {val_loss:.3f} validation "
            f"({time.perf_counter() - started:.1f} s)"
        )
runs = pd.DataFrame(runs)

# %%
figure, axes = plt.subplots(1, 2, figsize=(plotting.NOTEBOOK_WIDTH, 3.2), sharey=True)
for axis, gap in zip(axes, ["loss gap", "error gap"], strict=True):
    sns.barplot(runs, x=gap, y="regulariser", errorbar=None, color="C0", alpha=0.35, ax=axis)
    sns.stripplot(runs, x=gap, y="regulariser", hue="seed", palette="dark", size=6, ax=axis)
    axis.set(xlabel=f"{gap}: validation - training", ylabel="")
    axis.get_legend().remove()
axes[0].legend(*axes[1].get_legend_handles_labels(), title="seed", fontsize=8)
figure.tight_layout()
plotting.add_caption(
    figure,
    f"The train/validation gap of the same CNN trained five ways, {SEEDS} seeds each (dots; "
    "bars are means), in inference mode and without the L2 penalty. Left: cross-entropy; "
    "right: error rate.",
)
plt.show()

summary = runs.groupby("regulariser", sort=False).mean(numeric_only=True).drop(columns="seed")
print(summary.to_string(float_format="{:.3f}".format))
loss_gaps = runs.pivot(index="seed", columns="regulariser", values="loss gap")
for regulariser in regularisers[1:]:  # smaller than the baseline's gap, seed by seed
    assert (loss_gaps[regulariser] < loss_gaps["none"]).all(), regulariser
error_gaps = summary["error gap"]
below = [name for name in regularisers[1:] if error_gaps[name] < error_gaps["none"]]
print(
    f"mean error gap below the baseline's ({error_gaps['none']:.3f}): {', '.join(below) or 'none'}"
)

# %% [markdown]
# **What to look at.** Start with the baseline's row. It fits its 100 training images
# perfectly (no training errors, a training loss near 0) and does clearly worse on the
# validation set: a large gap, **high variance**. Then compare the gaps: every
# regulariser shrinks the cross-entropy gap, for every seed (the assert above checks
# each seed against the baseline with the same seed). Each does it in its own way: L2
# keeps the weights, and with them the predictions, from growing overconfident; dropout
# and augmentation make the training set harder to memorise. Batch norm is mainly an aid
# to optimisation, and its regularising effect is usually put down to the noise of
# batch statistics; here every batch is the whole training set, so that noise is
# absent, and the gap shrinks all the same: normalising changes how training proceeds.
#
# The error gap is a noisier measure of the same thing. With 269 validation images one
# image is 0.4 points, so error gaps move by a few points from seed to seed, and with
# two or three seeds a regulariser's mean error gap can come out level with the
# baseline's or above it (the last line printed above names those that came out below
# it in this run). The cross-entropy also counts how confident each prediction was,
# which makes it a steadier measure of the same gap. Finally, look at the validation error itself: a smaller gap helps only
# when the regulariser does not raise the training error (bias) by as much, and some
# regularisers need more epochs to pay off. Try it yourself: change the dropout rate,
# the L2 factor or the strength of the augmentation, train for more epochs, add training
# images, or combine regularisers, and watch both columns move.

# %% [markdown]
# ## Summary
#
# - Bias is the training error, variance the gap to the validation error: high variance
#   calls for more data and regularisation, high bias for a bigger model and less of it.
# - L1 adds $\lambda\sum|w|$ (step $\eta\lambda\,\mathrm{sign}(w)$): sparse weights. L2 adds
#   $\lambda\sum w^2$ (step $2\eta\lambda w$): small weights. In Keras, `kernel_regularizer`
#   per layer; biases are not penalised by default.
# - Dropout zeroes each unit with probability $p$ in training, a fresh mask per example;
#   it trains an ensemble of $2^n$ sub-networks. Inverted dropout divides by $1 - p$ in
#   training so that the network is used unchanged at test time.
# - Early stopping stops after `patience` epochs without a strictly lower validation loss
#   and restores the best epoch's weights.
# - Batch norm normalises each feature over the batch (and positions, for feature maps)
#   in training and with moving averages at inference, kept as
#   `moving * momentum + batch * (1 - momentum)`; it ties the batch size to memory.
#   Layer norm normalises each example over its features, identically in both modes.
# - Augmentation creates plausible new training images; the transformations must keep the
#   label true. `RandomCrop` is not a centre crop at inference; use `CenterCrop`.
# - A small CNN that memorises 100 digits has a large train/validation gap; L2, dropout,
#   batch norm and augmentation each shrink it, seed after seed. Measure the gap in
#   inference mode and without the penalty.
#
# **Next:** notebook 05 trains a CNN end to end.
