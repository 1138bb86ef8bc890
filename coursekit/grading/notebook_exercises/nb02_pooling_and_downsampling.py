"""Exercises of notebook 02, pooling and downsampling: output sizes, max and average
pooling, with the hints for classic mistakes.
"""

import numpy as np

from coursekit import arithmetic
from coursekit.grading import fuzz, same_padding_mistakes
from coursekit.grading.registry import Case, Hint, coding, written
from coursekit.scratch import avg_pool2d, max_pool2d
from coursekit.scratch.windows import padding_amounts

# --- 02.1 pool_output_size -----------------------------------------------------


def _pool_output_size_cases():
    return [
        Case("AlexNet pool1: 55 inputs, 3x3 windows, stride 2", (55, 3), {"strides": 2}),
        Case("224 inputs, 2x2 windows, default strides", (224, 2)),
        Case("7 inputs, 2x2 windows, default strides: the last input is dropped", (7, 2)),
        Case("13 inputs, 3x3 windows, stride 2, 'valid'", (13, 3), {"strides": 2}),
        Case("6 inputs, 4x4 windows, stride 1", (6, 4), {"strides": 1}),
        Case("8 inputs, 2x2 windows, 'same'", (8, 2), {"padding": "same"}),
        Case("7 inputs, 3x3 windows, stride 2, 'same'", (7, 3), {"strides": 2, "padding": "same"}),
        Case(
            "10 inputs, 2x2 windows, stride 3, 'same'", (10, 2), {"strides": 3, "padding": "same"}
        ),
    ]


def _pool_output_size_fuzz(rng):
    def make(rng):
        strides = fuzz.pick(rng, [None, int(rng.integers(1, 7))])
        kwargs = {"strides": strides, "padding": fuzz.pick(rng, ["valid", "same"])}
        return (int(rng.integers(1, 41)), int(rng.integers(1, 7))), kwargs

    return fuzz.draw(rng, 300, make, arithmetic.pool_output_size)


def _strides_default_to_one(input_size, pool_size, strides=None, padding="valid"):
    return arithmetic.pool_output_size(input_size, pool_size, strides or 1, padding)


def _pool_true_division(input_size, pool_size, strides=None, padding="valid"):
    strides = strides or pool_size
    if padding == "same":
        return input_size / strides
    return (input_size - pool_size) / strides + 1


def _same_keeps_the_size(input_size, pool_size, strides=None, padding="valid"):
    if padding == "same":
        return input_size
    return arithmetic.pool_output_size(input_size, pool_size, strides, padding)


POOL_OUTPUT_SIZE = coding(
    "02.1",
    "Output size of a pooling layer",
    2,
    reference=arithmetic.pool_output_size,
    cases=_pool_output_size_cases,
    fuzz=_pool_output_size_fuzz,
    hints=(
        Hint(
            "As in Keras, strides=None means strides = pool_size: windows side by side.",
            _strides_default_to_one,
        ),
        Hint(
            "Windows that do not fit are dropped: round down with `//` ('valid'), and "
            "round up for 'same', ceil(input_size / strides), returning an int.",
            _pool_true_division,
        ),
        Hint(
            "'same' pads only so that no input is dropped: with stride S the output has "
            "ceil(input_size / S) positions, not input_size.",
            _same_keeps_the_size,
        ),
    ),
)


# --- 02.2 max_pool2d -----------------------------------------------------------


def _pooling_cases():
    rng = np.random.default_rng(2002)

    def normal(*shape):
        return rng.normal(size=shape).round(3)

    def negative(*shape):
        return -np.abs(normal(*shape)) - 0.5

    lecture = np.array(
        [[1, 1, 2, 4], [5, 6, 7, 8], [3, 2, 1, 0], [1, 2, 3, 4]], dtype=np.float64
    ).reshape(1, 4, 4, 1)
    return [
        Case("one 4x4 image, 2x2 windows, default strides", (lecture, 2)),
        Case(
            "2 images, 3 channels, overlapping 3x3 windows with stride 2",
            (normal(2, 7, 7, 3), 3),
            {"strides": 2},
        ),
        Case(
            "ties: small integers, overlapping 2x2 windows with stride 1",
            (rng.integers(-2, 3, size=(2, 5, 5, 2)).astype(np.float64), 2),
            {"strides": 1},
        ),
        Case(
            "'same' padding on a 5x5 image of negative values",
            (-np.abs(normal(2, 5, 5, 2)) - 0.5, 2),
            {"padding": "same"},
        ),
        Case(
            "'same' padding, 3x3 windows, stride 2, even size",
            (-np.abs(normal(1, 6, 6, 3)) - 0.5, 3),
            {"strides": 2, "padding": "same"},
        ),
        Case(
            "a 2x3 window with strides (1, 2)",
            (normal(2, 6, 7, 2), (2, 3)),
            {"strides": (1, 2)},
        ),
        Case(
            "stride 3 with 2x2 windows: some inputs are skipped",
            (normal(1, 8, 8, 2), 2),
            {"strides": 3},
        ),
        Case(
            "2x3 windows with default strides (2, 3) on a 5x11 image",
            (normal(2, 5, 11, 2), (2, 3)),
        ),
        Case(
            "'same' padding, 3x4 windows, strides (2, 3) on a 5x6 image: 5 rows give "
            "ceil(5 / 2) = 3 outputs, and each axis has its own padding",
            (negative(2, 5, 6, 2), (3, 4)),
            {"strides": (2, 3), "padding": "same"},
        ),
        Case(
            "'same' padding, 5x4 windows, strides (1, 3) on a 5x6 image: four cells of "
            "padding along the height, two before and two after",
            (negative(1, 5, 6, 3), (5, 4)),
            {"strides": (1, 3), "padding": "same"},
        ),
        Case(
            "'same' padding, 2x1 windows, stride 3 on a 9x8 image: the window is smaller "
            "than the stride, so nothing is padded",
            (normal(1, 9, 8, 2), (2, 1)),
            {"strides": 3, "padding": "same"},
        ),
    ]


def pooling_fuzz(reference, count=150):
    """A fuzz generator for `reference(x, pool_size, strides=None, padding="valid")`:
    odd, even and non-square inputs, int and pair windows and strides (strides above
    the window too), both paddings, and values with ties, one sign or a large scale."""

    def make(rng):
        x = fuzz.values(rng, (int(rng.integers(1, 3)), *rng.integers(1, 10, size=2), 2))
        strides = fuzz.pick(rng, [None, fuzz.int_or_pair(rng, 1, 4)])
        kwargs = {"strides": strides, "padding": fuzz.pick(rng, ["valid", "same"])}
        return (x, fuzz.int_or_pair(rng, 1, 4)), kwargs

    return lambda rng: fuzz.draw(rng, count, make, reference)


def _pad_with_zeros(pool):
    """Pads 'same' windows with zeros, as a convolution would; average pooling then
    divides by the whole window's area, padding included."""

    def wrong(x, pool_size, strides=None, padding="valid"):
        if padding != "same":
            return pool(x, pool_size, strides, padding)
        (pool_h, pool_w) = arithmetic.as_pair(pool_size, "pool_size")
        (stride_h, stride_w) = arithmetic.as_pair(strides or pool_size, "strides")
        pad_h = padding_amounts(x.shape[1], pool_h, stride_h, "same")
        pad_w = padding_amounts(x.shape[2], pool_w, stride_w, "same")
        return pool(np.pad(x, ((0, 0), pad_h, pad_w, (0, 0))), pool_size, strides, "valid")

    return wrong


def _default_stride_one(pool):
    def wrong(x, pool_size, strides=None, padding="valid"):
        return pool(x, pool_size, 1 if strides is None else strides, padding)

    return wrong


def _ignores_strides(pool):
    def wrong(x, pool_size, strides=None, padding="valid"):
        return pool(x, pool_size, None, padding)

    return wrong


def _across_channels(pool):
    def wrong(x, pool_size, strides=None, padding="valid"):
        pooled = pool(x, pool_size, strides, padding)
        summary = np.max if pool is max_pool2d else np.mean
        return np.repeat(summary(pooled, axis=3, keepdims=True), x.shape[3], axis=3)

    return wrong


_POOLING_HINTS = {
    "default_stride": (
        "As in Keras, strides=None means strides = pool_size: windows side by side.",
        _default_stride_one,
    ),
    "strides": ("Move the window by `strides` cells between outputs.", _ignores_strides),
    "channels": (
        "Pool each channel separately: the output has as many channels as the input.",
        _across_channels,
    ),
}


def _hints(pool):
    return tuple(Hint(message, make(pool)) for message, make in _POOLING_HINTS.values())


MAX_POOL2D = coding(
    "02.2",
    "Max pooling from scratch",
    3,
    reference=max_pool2d,
    cases=_pooling_cases,
    fuzz=pooling_fuzz(max_pool2d),
    hints=(
        Hint(
            "With 'same' padding, pad with -inf (or skip the padded cells): a padded "
            "zero must never be the maximum of a window of negative values.",
            _pad_with_zeros(max_pool2d),
        ),
        *_hints(max_pool2d),
        *same_padding_mistakes.hints("max_pool2d"),
    ),
)


# --- 02.3 avg_pool2d -----------------------------------------------------------

AVG_POOL2D = coding(
    "02.3",
    "Average pooling from scratch",
    3,
    reference=avg_pool2d,
    cases=_pooling_cases,
    fuzz=pooling_fuzz(avg_pool2d),
    hints=(
        Hint(
            "With 'same' padding, Keras averages over the real cells of each window only: "
            "divide by how many input cells the window covers, not by the window's area.",
            _pad_with_zeros(avg_pool2d),
        ),
        *_hints(avg_pool2d),
        *same_padding_mistakes.hints("avg_pool2d"),
    ),
)


# --- 02.4 written answer ------------------------------------------------------------------

CHOOSING_DOWNSAMPLING = written("02.4", "Choosing how to downsample", 2)


EXERCISES = (POOL_OUTPUT_SIZE, MAX_POOL2D, AVG_POOL2D, CHOOSING_DOWNSAMPLING)
