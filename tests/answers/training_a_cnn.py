"""Answers to notebook 05: right ones in a different style from the
references, and classic wrong ones that the checks must reject."""

import collections

import numpy as np
from scipy import special

# --- 05.1 softmax ---------------------------------------------------------------


def softmax_via_logsumexp(logits, axis=-1):
    logits = np.asarray(logits, dtype=float)
    return np.exp(logits - special.logsumexp(logits, axis=axis, keepdims=True))


def softmax_row_by_row(logits, axis=-1):
    moved = np.moveaxis(np.asarray(logits, dtype=float), axis, -1)
    flat = moved.reshape(-1, moved.shape[-1])
    rows = []
    for row in flat:
        exponentials = np.exp(row - row.max())
        rows.append(exponentials / exponentials.sum())
    return np.moveaxis(np.array(rows).reshape(moved.shape), -1, axis)


def softmax_without_max_subtraction(logits, axis=-1):
    exponentials = np.exp(logits)
    return exponentials / np.sum(exponentials, axis=axis, keepdims=True)


def softmax_global_max(logits, axis=-1):
    exponentials = np.exp(logits - np.max(logits))
    return exponentials / np.sum(exponentials, axis=axis, keepdims=True)


def softmax_always_last_axis(logits, axis=-1):
    return softmax_row_by_row(logits)


def softmax_subtracts_the_row_minimum(logits, axis=-1):
    # Shifts each row to start at 0; exp() of the largest score can still overflow.
    exponentials = np.exp(logits - np.min(logits, axis=axis, keepdims=True))
    return exponentials / np.sum(exponentials, axis=axis, keepdims=True)


def softmax_over_axis_1_by_default(logits, axis=1):
    # The classes are usually along axis 1, so that became the default.
    exponentials = np.exp(logits - np.max(logits, axis=axis, keepdims=True))
    return exponentials / np.sum(exponentials, axis=axis, keepdims=True)


def softmax_divides_by_the_sum_of_scores(logits, axis=-1):
    shifted = logits - np.max(logits, axis=axis, keepdims=True)
    return np.exp(shifted) / np.sum(shifted, axis=axis, keepdims=True)


# --- 05.2 cross_entropy -----------------------------------------------------------


def cross_entropy_one_hot(probabilities, labels):
    one_hot = np.eye(probabilities.shape[1])[labels]
    clipped = np.clip(probabilities, 1e-7, 1 - 1e-7)
    return float(-np.sum(one_hot * np.log(clipped)) / len(labels))


def cross_entropy_summed(probabilities, labels):
    return cross_entropy_one_hot(probabilities, labels) * len(labels)


def cross_entropy_unclipped(probabilities, labels):
    return float(-np.mean(np.log(probabilities[np.arange(len(labels)), labels])))


def cross_entropy_over_all_classes(probabilities, labels):
    return float(-np.mean(np.sum(np.log(np.clip(probabilities, 1e-7, 1 - 1e-7)), axis=1)))


def cross_entropy_picks_a_matrix(probabilities, labels):
    return float(-np.mean(np.log(np.clip(probabilities[:, labels], 1e-7, 1 - 1e-7))))


def cross_entropy_adds_epsilon(probabilities, labels):
    return float(-np.mean(np.log(probabilities[np.arange(len(labels)), labels] + 1e-7)))


def cross_entropy_log10(probabilities, labels):
    picked = np.clip(probabilities[np.arange(len(labels)), labels], 1e-7, 1 - 1e-7)
    return float(-np.mean(np.log10(picked)))


# --- 05.4 median_frequency_weights ------------------------------------------------


def median_frequency_weights_from_counts(labels, num_classes):
    counts = collections.Counter(labels.tolist())
    median_count = float(np.median(list(counts.values())))
    return np.array([median_count / counts[c] if counts[c] else 0.0 for c in range(num_classes)])


def median_frequency_weights_mean(labels, num_classes):
    counts = np.bincount(labels, minlength=num_classes)
    present = counts > 0
    weights = np.zeros(num_classes)
    weights[present] = counts[present].mean() / counts[present]
    return weights


def median_frequency_weights_no_median(labels, num_classes):
    counts = np.bincount(labels, minlength=num_classes)
    weights = np.zeros(num_classes)
    weights[counts > 0] = len(labels) / counts[counts > 0]
    return weights


def median_frequency_weights_absent_in_median(labels, num_classes):
    frequencies = np.bincount(labels, minlength=num_classes) / len(labels)
    weights = np.zeros(num_classes)
    weights[frequencies > 0] = np.median(frequencies) / frequencies[frequencies > 0]
    return weights


def median_frequency_weights_without_minlength(labels, num_classes):
    frequencies = np.bincount(labels) / len(labels)
    return np.median(frequencies) / frequencies


def median_frequency_weights_normalised(labels, num_classes):
    weights = median_frequency_weights_from_counts(labels, num_classes)
    return weights / weights.sum()


# --- 05.5 top_k_error -------------------------------------------------------------


def top_k_error_by_kth_score(scores, labels, k):
    kth_highest = np.sort(scores, axis=1)[:, -k]
    true_scores = np.take_along_axis(scores, labels[:, None], axis=1)[:, 0]
    return float(np.mean(true_scores < kth_highest))


def top_k_error_argsort_breaks_ties(scores, labels, k):
    top = np.argsort(-scores, axis=1, kind="stable")[:, :k]
    return float(np.mean([label not in row for label, row in zip(labels, top, strict=True)]))


def top_k_error_last_k_of_an_ascending_argsort(scores, labels, k):
    top = np.argsort(scores, axis=1)[:, -k:]
    return float(np.mean([label not in row for label, row in zip(labels, top, strict=True)]))


def top_k_error_off_by_one(scores, labels, k):
    true_scores = scores[np.arange(len(labels)), labels]
    higher = (scores > true_scores[:, None]).sum(axis=1)
    return float(np.mean(higher > k))


# --- 05.6 ten_crop ---------------------------------------------------------------


def ten_crop_with_loops(image, crop_size):
    crop_h, crop_w = (crop_size, crop_size) if isinstance(crop_size, int) else crop_size
    height, width = image.shape[:2]
    tops = [0, 0, height - crop_h, height - crop_h, (height - crop_h) // 2]
    lefts = [0, width - crop_w, 0, width - crop_w, (width - crop_w) // 2]
    crops = [image[t : t + crop_h, s : s + crop_w].copy() for t, s in zip(tops, lefts, strict=True)]
    crops += [np.fliplr(crop) for crop in crops]
    return np.array(crops)


def ten_crop_corners_clockwise(image, crop_size):
    # Takes the corners clockwise: top-left, top-right, bottom-right, bottom-left.
    crop_h, crop_w = (crop_size, crop_size) if isinstance(crop_size, int) else crop_size
    height, width = image.shape[:2]
    bottom, right = height - crop_h, width - crop_w
    starts = [(0, 0), (0, right), (bottom, right), (bottom, 0), (bottom // 2, right // 2)]
    crops = [image[top : top + crop_h, left : left + crop_w] for top, left in starts]
    return np.stack(crops + [crop[:, ::-1] for crop in crops])


def ten_crop_size_as_width_height(image, crop_size):
    # Reads a (height, width) crop size as (width, height).
    crop_w, crop_h = (crop_size, crop_size) if isinstance(crop_size, int) else crop_size
    return ten_crop_with_loops(image, (crop_h, crop_w))


def ten_crop_as_list(image, crop_size):
    return list(ten_crop_with_loops(image, crop_size))


RIGHT = {
    "05.1": [softmax_via_logsumexp, softmax_row_by_row],
    "05.2": [cross_entropy_one_hot],
    "05.4": [median_frequency_weights_from_counts],
    "05.5": [top_k_error_by_kth_score],
    "05.6": [ten_crop_with_loops],
}

WRONG = {
    "05.1": [
        softmax_without_max_subtraction,
        softmax_global_max,
        softmax_always_last_axis,
        softmax_divides_by_the_sum_of_scores,
        softmax_subtracts_the_row_minimum,
        softmax_over_axis_1_by_default,
    ],
    "05.2": [
        cross_entropy_summed,
        cross_entropy_unclipped,
        cross_entropy_over_all_classes,
        cross_entropy_picks_a_matrix,
        cross_entropy_adds_epsilon,
        cross_entropy_log10,
    ],
    "05.4": [
        median_frequency_weights_mean,
        median_frequency_weights_no_median,
        median_frequency_weights_absent_in_median,
        median_frequency_weights_without_minlength,
        median_frequency_weights_normalised,
    ],
    "05.5": [
        top_k_error_argsort_breaks_ties,
        top_k_error_last_k_of_an_ascending_argsort,
        top_k_error_off_by_one,
    ],
    "05.6": [
        ten_crop_corners_clockwise,
        ten_crop_size_as_width_height,
        ten_crop_as_list,
    ],
}

# Wrong answers whose check must name the mistake: (exercise, answer, words of the hint).
HINTS = [
    ("05.1", softmax_without_max_subtraction, "Subtract the largest score"),
    ("05.1", softmax_global_max, "not of the whole array"),
    ("05.1", softmax_always_last_axis, "`axis` argument"),
    ("05.1", softmax_subtracts_the_row_minimum, "not the minimum"),
    ("05.2", cross_entropy_summed, "Average the per-example losses"),
    ("05.2", cross_entropy_unclipped, "Clip the probabilities"),
    ("05.2", cross_entropy_over_all_classes, "Only the true class"),
    ("05.2", cross_entropy_picks_a_matrix, "one entry per row"),
    ("05.2", cross_entropy_adds_epsilon, "rather than adding 1e-7"),
    ("05.4", median_frequency_weights_mean, "not the mean"),
    ("05.4", median_frequency_weights_no_median, "median class gets weight 1"),
    ("05.4", median_frequency_weights_absent_in_median, "stays out of the median"),
    ("05.5", top_k_error_argsort_breaks_ties, "strictly higher"),
    ("05.5", top_k_error_last_k_of_an_ascending_argsort, "strictly higher"),
    ("05.5", top_k_error_off_by_one, "Off by one"),
]
