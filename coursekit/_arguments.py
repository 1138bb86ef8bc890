"""Argument checks for `coursekit.arithmetic` and `coursekit.scratch` (private).

The maths in those modules starts from checked arguments: each function here
returns one argument in the form the maths needs (a Python int, a pair, a float
array) or raises `ValueError` saying what it received and what is allowed, as
Keras does (`Received: strides=0`). Every function takes the value first and its
name second.

Example:

>>> as_pair(3, "kernel_size"), padding_per_axis((1, "same"))
((3, 3), (1, 'same'))
>>> positive_int(0, "strides")
Traceback (most recent call last):
ValueError: `strides` must be a positive int. Received: strides=0.
"""

import numbers

import numpy as np


def is_int(value):
    """Whether `value` is a Python or NumPy integer (a bool is not)."""
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def positive_int(value, name):
    """Returns `value` as a Python int `>= 1`."""
    if not is_int(value) or value < 1:
        raise ValueError(f"`{name}` must be a positive int. Received: {name}={value!r}.")
    return int(value)


def non_negative_int(value, name):
    """Returns `value` as a Python int `>= 0`."""
    if not is_int(value) or value < 0:
        raise ValueError(f"`{name}` must be an int >= 0. Received: {name}={value!r}.")
    return int(value)


def non_negative(**numbers_by_name):
    """Checks that each number given by keyword is `>= 0`."""
    for name, value in numbers_by_name.items():
        if value < 0:
            raise ValueError(f"`{name}` must not be negative. Received: {name}={value}.")


def positive_number(value, name):
    """Returns `value` after checking that it is a number `> 0`."""
    if not value > 0:
        raise ValueError(f"`{name}` must be a positive number. Received: {name}={value!r}.")
    return value


def fraction(value, name):
    """Returns `value` after checking that it lies in `[0, 1)`."""
    if not 0 <= value < 1:
        raise ValueError(f"`{name}` must be in [0, 1). Received: {name}={value}.")
    return value


def as_pair(value, name):
    """Returns `(value, value)` for an int, or the pair itself, as positive Python ints.

    Example:

    >>> as_pair(3, "kernel_size")
    (3, 3)
    """
    pair = (value, value) if isinstance(value, numbers.Integral) else tuple(value)
    if len(pair) != 2:
        raise ValueError(f"`{name}` must be an int or a pair of ints. Received: {name}={value!r}.")
    return tuple(positive_int(item, name) for item in pair)


def padding_per_axis(padding):
    """Returns `(padding_h, padding_w)`: one padding (a string or an int) for each axis.

    A string or an int applies to both axes; a pair (tuple or list) gives one per
    axis. Each axis's value is checked where its zeros are counted
    (`arithmetic.padding_per_side`, or `conv_output_size` for `"same"`).
    """
    if isinstance(padding, str) or is_int(padding):
        return padding, padding
    if isinstance(padding, (tuple, list)) and len(padding) == 2:
        return tuple(padding)
    raise ValueError(
        "padding must be 'valid', 'same', 'full', a non-negative int, or a pair "
        f"(pad_h, pad_w) of these. Received: padding={padding!r}."
    )


def pooling_padding(padding):
    """Returns `padding` after checking that it is `"valid"` or `"same"` (any case)."""
    if not isinstance(padding, str) or padding.lower() not in ("valid", "same"):
        raise ValueError(
            f"Pooling padding must be 'valid' or 'same'. Received: padding={padding!r}."
        )
    return padding


def float_array(values):
    """Returns `values` as a float array: floats keep their precision, as in Keras
    layers, and anything else becomes float64. Nothing is copied that needs no change."""
    array = np.asarray(values)
    return array if array.dtype.kind == "f" else array.astype(np.float64)


def float64_array(values, copy=False):
    """Returns `values` as a float64 array; a new one with `copy=True`, for functions
    that modify it or hand it back."""
    return np.array(values, dtype=np.float64) if copy else np.asarray(values, dtype=np.float64)


def image_shape(input_shape):
    """Returns `input_shape` as a tuple `(height, width, channels)`."""
    shape = tuple(input_shape)
    if len(shape) != 3:
        raise ValueError(
            f"input_shape must be (height, width, channels). Received: input_shape={input_shape!r}."
        )
    return shape


def nhwc(x):
    """Returns `x` as an array after checking that it is 4-D: `(batch, height, width, channels)`."""
    x = np.asarray(x)
    if x.ndim != 4:
        raise ValueError(
            "Expected a 4-D NHWC array (batch, height, width, channels). "
            f"Received: shape={x.shape}."
        )
    return x


def check_conv_operands(x, kernel):
    """Returns `x` and `kernel` as arrays after checking that they fit together (NHWC, HWIO).

    Example (3 input channels, but a kernel for 2):

    >>> check_conv_operands(np.zeros((1, 5, 5, 3)), np.zeros((3, 3, 2, 8)))  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ValueError: Expected x of shape ... Received: x.shape=(1, 5, 5, 3), kernel.shape=(3, 3, 2, 8).
    """
    x, kernel = np.asarray(x), np.asarray(kernel)
    if kernel.ndim != 4 or x.ndim != 4 or kernel.shape[2] != x.shape[3]:
        raise ValueError(
            "Expected x of shape (batch, height, width, channels) and kernel of shape "
            "(kernel_h, kernel_w, channels, filters) with matching channels. "
            f"Received: x.shape={x.shape}, kernel.shape={kernel.shape}."
        )
    return x, kernel


def array_of_shape(values, expected, name):
    """Returns `values` as an array after checking that its shape is `expected`."""
    array = np.asarray(values)
    if array.shape != tuple(expected):
        raise ValueError(
            f"Expected {name} of shape {tuple(expected)}. Received: {name}.shape={array.shape}."
        )
    return array


def same_shape(first, second, names):
    """Returns both as arrays after checking that their shapes are equal; `names` names them."""
    first, second = np.asarray(first), np.asarray(second)
    if first.shape != second.shape:
        raise ValueError(
            f"`{names[0]}` and `{names[1]}` must have the same shape. "
            f"Received: {names[0]}.shape={first.shape}, {names[1]}.shape={second.shape}."
        )
    return first, second


def batch_of_rows(values, name):
    """Returns `values` as a 2-D float array `(batch, num_classes)`."""
    array = float_array(values)
    if array.ndim != 2:
        raise ValueError(
            f"Expected {name} of shape (batch, num_classes). Received: {name}.shape={array.shape}."
        )
    return array


def batch_of_features(x):
    """Returns `x` as a float64 array `(batch, ..., features)`, at least 2-D."""
    x = float64_array(x)
    if x.ndim < 2:
        raise ValueError(
            f"Expected x of shape (batch, ..., features). Received: x.shape={x.shape}."
        )
    return x


def feature_vector(value, x, name):
    """Returns a float64 copy of a per-feature parameter after checking that its shape
    is `(features,)`, the size of the last axis of `x`."""
    value = float64_array(value, copy=True)
    if x.ndim < 1 or value.shape != x.shape[-1:]:
        raise ValueError(
            f"Expected `{name}` of shape (features,) = {x.shape[-1:]}. "
            f"Received: x.shape={x.shape}, {name}.shape={value.shape}."
        )
    return value


def image_or_batch(image):
    """Returns `image` as an array `(height, width, channels)` or `(N, height, width, channels)`."""
    image = np.asarray(image)
    if image.ndim not in (3, 4):
        raise ValueError(
            "Expected an image (height, width, channels) or a batch of them. "
            f"Received: shape={image.shape}."
        )
    return image


def crop_within(crop_size, image_size):
    """Returns `crop_size` as a `(height, width)` pair after checking that it fits
    in an image of `image_size`, `(height, width)`."""
    crop_h, crop_w = as_pair(crop_size, "crop_size")
    height, width = image_size
    if crop_h > height or crop_w > width:
        raise ValueError(
            f"The crop must fit in the image. Received: crop_size={crop_size!r} "
            f"for an image of {height}x{width}."
        )
    return crop_h, crop_w


def non_empty(values, name):
    """Returns `values` after checking that it holds at least one value."""
    if len(values) == 0:
        raise ValueError(f"`{name}` must hold at least one value. Received: an empty array.")
    return values


def class_indices(labels, num_classes, batch=None):
    """Returns `labels` as a 1-D integer array of indices in `[0, num_classes)`, one per
    example when `batch` is given."""
    labels = np.asarray(labels)
    if labels.ndim != 1 or labels.dtype.kind not in "iu":
        raise ValueError(
            "Expected labels as a 1-D array of integer class indices. "
            f"Received: labels with shape {labels.shape} and dtype {labels.dtype}."
        )
    if batch is not None and len(labels) != batch:
        raise ValueError(f"Expected {batch} labels, one per example. Received: {len(labels)}.")
    if len(labels) and (labels.min() < 0 or labels.max() >= num_classes):
        raise ValueError(
            f"Labels must be class indices in [0, {num_classes}). "
            f"Received: labels from {labels.min()} to {labels.max()}."
        )
    return labels


def scalar(value, name):
    """Returns `value` after checking that it is one number (0-D), e.g. a loss."""
    if np.ndim(value) != 0:
        raise ValueError(
            f"`{name}` must return one number (a loss). "
            f"Received: a value of shape {np.shape(value)}."
        )
    return value
