"""Fixed upsampling in NumPy: nearest neighbour and bilinear, as `keras.layers.UpSampling2D`.

Both enlarge each spatial axis by an integer factor and learn nothing. Nearest
neighbour copies every input pixel into a `size x size` block. Bilinear interpolation
places the centre of output pixel `o` at input coordinate `(o + 0.5) / size - 0.5`
("half-pixel centres": pixel `i` covers `[i, i + 1)` and its value sits at `i + 0.5`,
in the input and in the output alike), and mixes the two nearest input pixels along
each axis in proportion to how close they are; coordinates before the first or after
the last pixel centre take the edge pixel's value.
"""

import numbers

import numpy as np

from coursekit._arguments import as_pair, nhwc, positive_int


def upsample_nearest(x, size):
    """Repeats every pixel `size` times along each axis, as `UpSampling2D(size)` does.

    Args:
        x: input of shape `(batch, height, width, channels)`.
        size: an int or an `(h, w)` pair of upsampling factors.

    Returns:
        An array of shape `(batch, height * size_h, width * size_w, channels)`.

    Raises:
        ValueError: for an input that is not 4-D or a factor that is not a positive int.

    Example:

    >>> x = np.array([[1.0, 2.0], [3.0, 4.0]]).reshape(1, 2, 2, 1)
    >>> upsample_nearest(x, 2)[0, :, :, 0]
    array([[1., 1., 2., 2.],
           [1., 1., 2., 2.],
           [3., 3., 4., 4.],
           [3., 3., 4., 4.]])
    """
    x, (size_h, size_w) = _check(x, size)
    return np.repeat(np.repeat(x, size_h, axis=1), size_w, axis=2)


def upsample_bilinear(x, size):
    """Bilinear upsampling with half-pixel centres, as `UpSampling2D(size, interpolation="bilinear")`.

    Along each axis, output pixel `o` reads input coordinate
    `t = clip((o + 0.5) / size - 0.5, 0, n - 1)` and returns
    `(1 - (t - floor(t))) * x[floor(t)] + (t - floor(t)) * x[floor(t) + 1]`; the two
    axes are interpolated one after the other. With a factor of 2 every output pixel
    is 3/4 of its nearest input pixel and 1/4 of the next nearest (in 2-D: weights
    9/16, 3/16, 3/16, 1/16), except along the border, which copies the edge pixels.
    (Interpolation "with aligned corners", which maps the first and last pixel centres
    onto each other, `t = o * (n - 1) / (n * size - 1)`, is a different function.)

    Args:
        x: input of shape `(batch, height, width, channels)`.
        size: an int or an `(h, w)` pair of upsampling factors.

    Returns:
        A float array of shape `(batch, height * size_h, width * size_w, channels)`.

    Raises:
        ValueError: for an input that is not 4-D or a factor that is not a positive int.

    Example:

    >>> x = np.array([0.0, 4.0, 8.0]).reshape(1, 1, 3, 1)
    >>> upsample_bilinear(x, 2)[0, 0, :, 0]
    array([0., 1., 3., 5., 7., 8.])
    """
    x, (size_h, size_w) = _check(x, size)
    if not np.issubdtype(x.dtype, np.floating):
        x = x.astype(np.float64)
    rows = _interpolation_matrix(x.shape[1], size_h).astype(x.dtype)
    cols = _interpolation_matrix(x.shape[2], size_w).astype(x.dtype)
    return np.einsum("oh,nhwc,pw->nopc", rows, x, cols, optimize=True)


def bilinear_upsampling_kernel(size, channels):
    """A `Conv2DTranspose` kernel that upsamples each channel bilinearly by `size`.

    The kernel has `2 * size - size % 2` taps per axis with weights
    `1 - |u - centre| / size` (the "tent" of bilinear interpolation), and maps each
    channel onto itself only. A transposed convolution with this kernel, stride
    `size` and `padding="same"` equals `upsample_bilinear(x, size)` everywhere except
    in the `size // 2` rows and columns along each border, where bilinear
    interpolation copies the edge pixel and the transposed convolution, missing the
    neighbour beyond the edge, fades towards zero. Fully
    convolutional networks start their learned upsampling layers from it.

    Args:
        size: the upsampling factor, a positive int.
        channels: the number of channels, a positive int.

    Returns:
        An array of shape `(k, k, channels, channels)`, Keras's `Conv2DTranspose`
        layout, with `k = 2 * size - size % 2`.

    Example:

    >>> bilinear_upsampling_kernel(2, channels=1)[:, :, 0, 0]
    array([[0.0625, 0.1875, 0.1875, 0.0625],
           [0.1875, 0.5625, 0.5625, 0.1875],
           [0.1875, 0.5625, 0.5625, 0.1875],
           [0.0625, 0.1875, 0.1875, 0.0625]])
    """
    size = positive_int(size, "size")
    channels = positive_int(channels, "channels")
    taps = 2 * size - size % 2
    centre = (taps - 1) / 2
    tent = 1 - np.abs(np.arange(taps) - centre) / size
    kernel = np.zeros((taps, taps, channels, channels))
    kernel[:, :, np.arange(channels), np.arange(channels)] = np.outer(tent, tent)[:, :, None]
    return kernel


def _interpolation_matrix(length, size):
    """The `(length * size, length)` matrix that interpolates one axis."""
    coordinates = np.clip((np.arange(length * size) + 0.5) / size - 0.5, 0, length - 1)
    below = np.floor(coordinates).astype(int)
    above = np.minimum(below + 1, length - 1)
    fraction = coordinates - below
    matrix = np.zeros((length * size, length))
    rows = np.arange(length * size)
    np.add.at(matrix, (rows, below), 1 - fraction)
    np.add.at(matrix, (rows, above), fraction)
    return matrix


def _check(x, size):
    x = nhwc(x)
    if not isinstance(size, (numbers.Integral, tuple, list)):
        raise ValueError(f"size must be an int or a pair of ints. Received: size={size!r}.")
    return x, as_pair(size, "size")
