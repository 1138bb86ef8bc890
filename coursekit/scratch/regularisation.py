"""Regularisation in NumPy: penalised SGD steps, inverted dropout, early stopping."""

import numpy as np

from coursekit._arguments import (
    float64_array,
    fraction,
    non_empty,
    non_negative,
    non_negative_int,
    same_shape,
)


def regularized_update(w, grad, learning_rate, l1=0.0, l2=0.0):
    """Takes one SGD step on a loss penalised as `keras.regularizers.L1L2` does.

    Keras adds `l1 * sum(|w|) + l2 * sum(w**2)` to the loss, so the penalty's
    gradient is `l1 * sign(w) + 2 * l2 * w` (with `sign(0) = 0`, as TensorFlow's
    gradient of `abs`) and the step is

    `w_new = w - learning_rate * (grad + l1 * sign(w) + 2 * l2 * w)`.

    Args:
        w: the weights, an array of any shape.
        grad: the gradient of the unpenalised loss with respect to `w`.
        learning_rate: the step size, a positive number.
        l1: the L1 factor (`lambda` of `lambda * sum(|w|)`).
        l2: the L2 factor (`lambda` of `lambda * sum(w**2)`).

    Returns:
        The updated weights, a new float array of the shape of `w`.

    Raises:
        ValueError: if the shapes differ or a factor is negative.

    Example (the L1 step is the same size for every non-zero weight, L2's is
    proportional to the weight):

    >>> w = np.array([-2.0, 0.0, 0.5])
    >>> regularized_update(w, np.zeros(3), learning_rate=0.1, l1=1.0)
    array([-1.9,  0. ,  0.4])
    >>> regularized_update(w, np.zeros(3), learning_rate=0.1, l2=1.0)
    array([-1.6,  0. ,  0.4])
    """
    w, grad = same_shape(float64_array(w), float64_array(grad), ("w", "grad"))
    non_negative(learning_rate=learning_rate, l1=l1, l2=l2)
    penalty_gradient = l1 * np.sign(w) + 2.0 * l2 * w
    return w - learning_rate * (grad + penalty_gradient)


def dropout(x, rate, training, seed=None):
    """Applies inverted dropout, as `keras.layers.Dropout` does.

    In training, every value is dropped (set to zero) independently with
    probability `rate`, and the values kept are divided by `1 - rate`, so that
    the expected output equals the input. At inference the input passes unchanged.

    Args:
        x: the input array, any shape; each value gets its own random draw.
        rate: the probability of dropping a value, `0 <= rate < 1`.
        training: whether the network is training (drop) or predicting (identity).
        seed: seed of the random mask; `None` draws a fresh one on every call.

    Returns:
        A new float array of the shape of `x`.

    Raises:
        ValueError: if `rate` is outside `[0, 1)`.

    Example:

    >>> x = np.ones((2, 5))
    >>> dropout(x, rate=0.5, training=True, seed=1)
    array([[2., 2., 0., 2., 0.],
           [0., 2., 0., 2., 0.]])
    >>> dropout(x, rate=0.5, training=False)
    array([[1., 1., 1., 1., 1.],
           [1., 1., 1., 1., 1.]])
    """
    rate = fraction(rate, "rate")
    x = float64_array(x, copy=True)  # a copy: the input is never returned itself
    if not training or rate == 0:
        return x
    keep = np.random.default_rng(seed).random(x.shape) >= rate
    return np.where(keep, x / (1.0 - rate), 0.0)


def early_stopping_epoch(val_losses, patience):
    """Says where `keras.callbacks.EarlyStopping` stops and which epoch it restores.

    The callback is `EarlyStopping(monitor="val_loss", patience=patience,
    restore_best_weights=True)` with its defaults `min_delta=0` and `baseline=None`.
    The first epoch sets the best loss; a later epoch improves on it only if its
    loss is strictly lower (a tie is no improvement). Training stops at the end of
    the epoch that makes it `patience` epochs since the last improvement (at the
    first epoch without improvement when `patience=0`). When training ends, whether
    it stopped early or ran out of epochs, the weights of the best epoch are restored.
    Like Keras, losses are compared in float32, so losses equal in float32 tie.

    Args:
        val_losses: the validation loss at the end of each epoch, in order.
        patience: epochs without improvement that are tolerated, an int >= 0.

    Returns:
        A tuple `(stop_epoch, best_epoch)` of 0-based epoch indices: the last
        epoch that runs, and the epoch whose weights the model ends with.

    Raises:
        ValueError: if there are no losses or `patience` is negative.

    Example:

    >>> early_stopping_epoch([0.9, 0.7, 0.8, 0.7, 0.75, 0.6], patience=2)
    (3, 1)
    >>> early_stopping_epoch([0.9, 0.7, 0.8, 0.7, 0.75, 0.6], patience=4)
    (5, 5)
    """
    patience = non_negative_int(patience, "patience")
    losses = non_empty(np.asarray(val_losses, dtype=np.float32).ravel(), "val_losses")
    best_epoch, wait = 0, 0
    for epoch in range(1, losses.size):
        wait += 1
        if losses[epoch] < losses[best_epoch]:
            best_epoch, wait = epoch, 0
        elif wait >= patience:
            return epoch, best_epoch
    return int(losses.size - 1), best_epoch
