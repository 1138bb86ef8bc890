"""Max pooling that remembers where each maximum was, and max-unpooling that puts values back.

An encoder-decoder network (SegNet) saves, for every max-pooling window, the position
of the input cell that won, and its decoder later writes values back to exactly those
positions, filling the rest with zeros. The positions follow TensorFlow's
`tf.nn.max_pool_with_argmax` (with `include_batch_in_index=False`): a maximum at
`[n, row, col, c]` of an input of shape `(batch, height, width, channels)` has the
flat index `(row * width + col) * channels + c`, counted within its own image.
"""

import numpy as np

from coursekit._arguments import as_pair
from coursekit.scratch.windows import extract_windows, padding_amounts


def max_pool2d_with_argmax(x, pool_size, strides=None, padding="valid"):
    """Max pooling that also returns the flat index of every window's maximum.

    The pooled values are those of `max_pool2d` (and `keras.layers.MaxPooling2D`).
    An index is `(row * width + col) * channels + c`, the position of the winning
    cell in the unpadded image `n` flattened in NHWC order, as in
    `tf.nn.max_pool_with_argmax`. A padded cell never wins. When a window holds
    several equal maxima, the first in row-major order (top row first, then left to
    right) is chosen, as `max_pool2d_backward` does.

    Args:
        x: input of shape `(batch, height, width, channels)`.
        pool_size: an int or an `(h, w)` pair.
        strides: an int, an `(h, w)` pair, or `None` for `pool_size`.
        padding: `"valid"` or `"same"`.

    Returns:
        A tuple `(pooled, indices)`: the pooled values, of shape
        `(batch, out_height, out_width, channels)`, and `int64` indices of the same shape.

    Raises:
        ValueError: for an input that is not 4-D, another padding, or a window larger
            than a valid input.

    Example (2x2 windows on a 4x4 image with one channel):

    >>> x = np.array([[1, 5, 0, 2], [3, 4, 6, 1], [0, 0, 1, 1], [9, 0, 1, 2]], float)
    >>> pooled, indices = max_pool2d_with_argmax(x.reshape(1, 4, 4, 1), 2)
    >>> pooled[0, :, :, 0], indices[0, :, :, 0]
    (array([[5., 6.],
           [9., 2.]]), array([[ 1,  6],
           [12, 15]]))
    """
    x = _as_float_images(x)
    if not isinstance(padding, str) or padding.lower() not in ("valid", "same"):
        raise ValueError(
            f"Pooling padding must be 'valid' or 'same'. Received: padding={padding!r}."
        )
    pool = as_pair(pool_size, "pool_size")
    strides = pool if strides is None else as_pair(strides, "strides")
    _, height, width, channels = x.shape
    pads_h = padding_amounts(height, pool[0], strides[0], padding)
    pads_w = padding_amounts(width, pool[1], strides[1], padding)
    padded = np.pad(x, ((0, 0), pads_h, pads_w, (0, 0)), constant_values=-np.inf)
    windows = extract_windows(padded, pool, strides)
    flat = windows.reshape(*windows.shape[:4], pool[0] * pool[1])
    winners = flat.argmax(axis=-1)  # the first maximum in row-major order
    pooled = np.take_along_axis(flat, winners[..., None], axis=-1)[..., 0]
    out_h, out_w = windows.shape[1:3]
    rows = np.arange(out_h)[:, None, None] * strides[0] + winners // pool[1] - pads_h[0]
    cols = np.arange(out_w)[None, :, None] * strides[1] + winners % pool[1] - pads_w[0]
    indices = (rows * width + cols) * channels + np.arange(channels)
    return pooled, indices.astype(np.int64)


def max_unpool2d(x, indices, output_shape):
    """Writes each value of `x` to the flat position its index names; zeros elsewhere.

    `output[n].flat[indices[n, i, j, c]] += x[n, i, j, c]`, with the indices that
    `max_pool2d_with_argmax` returns (`(row * width + col) * channels + c` within
    image `n`). Unpooling is the transpose of max pooling's selection: it routes
    values exactly as the gradient of max pooling does (`max_pool2d_backward`).

    Overlapping windows: when several pooling windows chose the same cell (possible
    only when `strides < pool_size`), that cell receives the **sum** of their values,
    as the max-pool gradient does. Unpooling the pooled values themselves then
    doubles (or triples) such a cell; with windows that do not overlap, as SegNet's
    2x2 windows with stride 2, every cell receives at most one value.

    Args:
        x: values of shape `(batch, out_height, out_width, channels)`, e.g. the
            pooled features or a decoder's features of the same shape.
        indices: integer array of the same shape, each in `[0, height * width * channels)`.
        output_shape: `(batch, height, width, channels)` of the unpooled result: the
            shape of the input that was pooled.

    Returns:
        An array of shape `output_shape` and `x`'s (float) dtype.

    Raises:
        ValueError: if the shapes do not fit together or an index is out of range.

    Example (unpooling the values pooled in `max_pool2d_with_argmax`'s example):

    >>> pooled = np.array([[5.0, 6.0], [9.0, 2.0]]).reshape(1, 2, 2, 1)
    >>> indices = np.array([[1, 6], [12, 15]]).reshape(1, 2, 2, 1)
    >>> max_unpool2d(pooled, indices, (1, 4, 4, 1))[0, :, :, 0]
    array([[0., 5., 0., 0.],
           [0., 0., 6., 0.],
           [0., 0., 0., 0.],
           [9., 0., 0., 2.]])
    """
    x, indices = _as_float_images(x), np.asarray(indices)
    output_shape = _check_unpool_shapes(x, indices, output_shape)
    batch = x.shape[0]
    unpooled = np.zeros((batch, int(np.prod(output_shape[1:]))), dtype=x.dtype)
    images = np.broadcast_to(np.arange(batch)[:, None], (batch, indices[0].size))
    np.add.at(unpooled, (images, indices.reshape(batch, -1)), x.reshape(batch, -1))
    return unpooled.reshape(output_shape)


def _as_float_images(x):
    x = np.asarray(x)
    if x.ndim != 4:
        raise ValueError(
            f"Expected a 4-D NHWC array (batch, height, width, channels). Received: shape={x.shape}."
        )
    return x if np.issubdtype(x.dtype, np.floating) else x.astype(np.float64)


def _check_unpool_shapes(x, indices, output_shape):
    output_shape = tuple(int(size) for size in output_shape)
    if len(output_shape) != 4 or output_shape[0] != x.shape[0] or min(output_shape) < 1:
        raise ValueError(
            "output_shape must be (batch, height, width, channels) with the batch of x. "
            f"Received: output_shape={output_shape}, x.shape={x.shape}."
        )
    if indices.shape != x.shape or not np.issubdtype(indices.dtype, np.integer):
        raise ValueError(
            "indices must be integers of the same shape as x. "
            f"Received: indices.shape={indices.shape} ({indices.dtype}), x.shape={x.shape}."
        )
    cells = int(np.prod(output_shape[1:]))
    if indices.size and (indices.min() < 0 or indices.max() >= cells):
        raise ValueError(
            f"Every index must be in [0, {cells}) for output_shape={output_shape}. "
            f"Received: indices from {indices.min()} to {indices.max()}."
        )
    return output_shape
