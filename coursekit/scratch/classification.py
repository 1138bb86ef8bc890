"""The output end of a classifier in NumPy: softmax, cross-entropy, class weights, top-k error.

Each function matches its Keras counterpart: `softmax` matches `keras.ops.softmax`,
`cross_entropy` matches `keras.losses.SparseCategoricalCrossentropy()` (probabilities
in, mean over the batch) on rows that are probability distributions, and
`top_k_error` is one minus `keras.metrics.SparseTopKCategoricalAccuracy`, with the
same rules for ties and for scores that are not finite.
"""

import numpy as np

from coursekit._arguments import (
    batch_of_rows,
    class_indices,
    float_array,
    non_empty,
    positive_int,
)

# Keras clips probabilities to [EPSILON, 1 - EPSILON] before taking logarithms
# (`keras.config.epsilon()`), so a zero probability costs -log(1e-7) = 16.1, not infinity.
EPSILON = 1e-7


def softmax(logits, axis=-1):
    """Turns scores into probabilities along one axis, without overflow.

    `softmax(z)_i = exp(z_i) / sum_j exp(z_j)`. Subtracting the largest score along
    the axis first leaves the result unchanged (the factor `exp(-max)` cancels) and
    keeps every exponent at or below zero, so scores like 1000 do not overflow.

    Args:
        logits: an array of scores; integers are converted to float64.
        axis: the axis that holds the classes.

    Returns:
        A float array of the same shape whose entries along `axis` are in `[0, 1]`
        and sum to 1.

    Example:

    >>> softmax(np.array([[1.0, 2.0, 3.0], [1000.0, 1000.0, 1000.0]])).round(4)
    array([[0.09  , 0.2447, 0.6652],
           [0.3333, 0.3333, 0.3333]])
    """
    logits = float_array(logits)
    shifted = logits - np.max(logits, axis=axis, keepdims=True)
    exponentials = np.exp(shifted)
    return exponentials / np.sum(exponentials, axis=axis, keepdims=True)


def cross_entropy(probabilities, labels):
    """Returns the mean cross-entropy of predicted probabilities and integer labels.

    For one example with true class `y` the loss is `-log(p_y)`: the other classes'
    terms of `-sum_c t_c log(p_c)` vanish because the one-hot target `t` is zero
    there. Probabilities are clipped to `[1e-7, 1 - 1e-7]` first, as Keras does, so a
    zero probability for the true class gives a large finite loss.

    Precondition: each row is a probability distribution (non-negative, summing to
    1), as `softmax` returns. The rows are used as they are: Keras first divides each
    row by its sum, so for rows that do not sum to 1 the two differ (this function
    gives `-log(p_y)`, Keras `-log(p_y / sum_c p_c)`). For distributions they agree
    up to the effect of the clip on the row sum (at most `num_classes * 1e-7`).

    Args:
        probabilities: array `(batch, num_classes)`, each row a distribution
            (e.g. the output of `softmax`).
        labels: integer array `(batch,)` of class indices.

    Returns:
        The loss averaged over the batch, a Python float.

    Raises:
        ValueError: if the shapes do not fit or a label is not a class index.

    Example:

    >>> probabilities = np.array([[0.7, 0.2, 0.1], [0.1, 0.1, 0.8]])
    >>> round(cross_entropy(probabilities, np.array([0, 2])), 4)  # (-ln 0.7 - ln 0.8) / 2
    0.2899
    """
    probabilities = batch_of_rows(probabilities, "probabilities")
    labels = class_indices(labels, probabilities.shape[1], len(probabilities))
    true_class = probabilities[np.arange(len(labels)), labels]
    return float(np.mean(-np.log(np.clip(true_class, EPSILON, 1.0 - EPSILON))))


def median_frequency_weights(labels, num_classes):
    """Returns the class weights `alpha_c = median_freq / freq(c)` for a training set.

    `freq(c)` is the fraction of examples of class `c`; `median_freq` is the median
    of the frequencies of the classes that occur. The median class gets weight 1,
    rarer classes more, common classes less, so every class contributes about
    equally to a weighted loss. A class that does not occur gets weight 0 (it never
    appears in the loss) and is left out of the median.

    Args:
        labels: integer array of the training labels.
        num_classes: the number of classes.

    Returns:
        A float64 array `(num_classes,)`. Pass it to Keras as
        `class_weight=dict(enumerate(weights))`.

    Raises:
        ValueError: if there are no labels or a label is not in `[0, num_classes)`.

    Example:

    >>> median_frequency_weights(np.array([0, 0, 0, 0, 1, 1, 2, 2]), 4)
    array([0.5, 1. , 1. , 0. ])
    """
    num_classes = positive_int(num_classes, "num_classes")
    labels = non_empty(class_indices(labels, num_classes), "labels")
    frequencies = np.bincount(labels, minlength=num_classes) / len(labels)
    present = frequencies > 0
    weights = np.zeros(num_classes)
    weights[present] = np.median(frequencies[present]) / frequencies[present]
    return weights


def top_k_error(scores, labels, k):
    """Returns the fraction of examples whose true class is not among the top `k` scores.

    Ties count in the prediction's favour, as in `tf.math.in_top_k` and
    `keras.metrics.SparseTopKCategoricalAccuracy`: the true class is in the top `k`
    when fewer than `k` classes score strictly higher than it. A true class whose
    score is not finite (NaN or infinite) cannot be ranked and counts as an error,
    as `tf.math.in_top_k` documents: a model that outputs NaN has not predicted the
    class. The other classes' scores compare as numbers: `inf` is higher than any
    finite score, NaN is never higher.

    Args:
        scores: array `(batch, num_classes)` of scores or probabilities.
        labels: integer array `(batch,)` of true classes.
        k: how many guesses count, `1 <= k`; top-1 error is the usual error rate.

    Returns:
        A Python float in `[0, 1]`.

    Raises:
        ValueError: if `k` is not a positive int or the shapes do not fit.

    Example:

    >>> scores = np.array([[0.1, 0.6, 0.3], [0.5, 0.2, 0.3], [0.2, 0.3, 0.5]])
    >>> labels = np.array([2, 0, 0])
    >>> top_k_error(scores, labels, k=1), top_k_error(scores, labels, k=2)
    (0.6666666666666666, 0.3333333333333333)
    >>> top_k_error(np.array([[np.nan, 0.5]]), np.array([0]), k=2)  # NaN: an error
    1.0
    """
    k = positive_int(k, "k")
    scores = batch_of_rows(scores, "scores")
    labels = class_indices(labels, scores.shape[1], len(scores))
    true_scores = scores[np.arange(len(labels)), labels]
    higher = np.sum(scores > true_scores[:, np.newaxis], axis=1)
    return float(np.mean((higher >= k) | ~np.isfinite(true_scores)))
