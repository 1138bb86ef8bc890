"""Datasets that ship with the course's dependencies, so they work offline, anywhere.

Images are `float32` arrays in `[0, 1]`, NHWC; labels are `int64` class indices.
Every split is fixed: the same examples land in the same split on every machine.
"""

import dataclasses

import numpy as np

SPLIT_SEED = 0
VALIDATION_FRACTION = 0.15
TEST_FRACTION = 0.15
SAMPLE_IMAGE_NAMES = ("astronaut", "coffee", "chelsea", "rocket", "camera", "coins")


@dataclasses.dataclass(frozen=True)
class Dataset:
    """A labelled image dataset split into training, validation and test sets.

    Args:
        x_train, y_train: training images `(N, H, W, C)` and labels `(N,)`.
        x_val, y_val: validation images and labels.
        x_test, y_test: test images and labels.
        class_names: the name of each class index.
    """

    x_train: np.ndarray
    y_train: np.ndarray
    x_val: np.ndarray
    y_val: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    class_names: tuple

    @property
    def num_classes(self):
        return len(self.class_names)

    @property
    def image_shape(self):
        return self.x_train.shape[1:]

    def __repr__(self):
        sizes = f"{len(self.x_train)}/{len(self.x_val)}/{len(self.x_test)}"
        return (
            f"Dataset(train/val/test={sizes}, image_shape={self.image_shape}, "
            f"num_classes={self.num_classes})"
        )


def split_dataset(images, labels, class_names, seed=SPLIT_SEED):
    """Splits examples into a `Dataset`, stratified by class, in a fixed order.

    Each class contributes the same fractions to validation (15%) and test (15%);
    the rest is the training set. Within each split examples are shuffled.

    Args:
        images: array `(N, H, W, C)`.
        labels: integer array `(N,)`.
        class_names: the name of each class index.
        seed: seed of the split; the default makes it the same everywhere.

    Returns:
        A `Dataset`.

    Example:

    >>> images = np.zeros((40, 2, 2, 1), "float32")
    >>> labels = np.repeat([0, 1], 20)
    >>> split_dataset(images, labels, ("a", "b"))
    Dataset(train/val/test=28/6/6, image_shape=(2, 2, 1), num_classes=2)
    """
    rng = np.random.default_rng(seed)
    train, val, test = stratified_split(labels, (VALIDATION_FRACTION, TEST_FRACTION), rng)
    labels = labels.astype("int64")
    return Dataset(
        *(array[order] for order in (train, val, test) for array in (images, labels)),
        class_names=tuple(class_names),
    )


def stratified_split(labels, fractions, rng):
    """Splits example indices by class: the rest first, then one part per fraction.

    Each class gives `round(count * fraction)` of its examples to each part, drawn at
    random by `rng`; every part comes back in random order.

    Args:
        labels: integer array `(N,)`.
        fractions: the share of each class that goes to each part.
        rng: a `numpy.random.Generator`.

    Returns:
        A list of `len(fractions) + 1` index arrays: the rest, then the parts.

    Example:

    >>> rest, part = stratified_split(np.repeat([0, 1], 10), (0.2,), np.random.default_rng(0))
    >>> len(rest), np.bincount(np.repeat([0, 1], 10)[part]).tolist()
    (16, [2, 2])
    """
    parts = [[] for _ in range(len(fractions) + 1)]
    for label in np.unique(labels):
        indices = rng.permutation(np.flatnonzero(labels == label))
        ends = np.cumsum([round(len(indices) * fraction) for fraction in fractions])
        *chunks, rest = np.split(indices, ends)
        for part, chunk in zip(parts, [rest, *chunks], strict=True):
            part.append(chunk)
    return [rng.permutation(np.concatenate(part)) for part in parts]


def resize_images(images, image_size):
    """Resizes `(N, H, W, C)` images to `image_size` with anti-aliasing.

    Args:
        images: array `(N, H, W, C)` with values in `[0, 1]`.
        image_size: an int (square output) or a `(height, width)` pair.

    Returns:
        A `float32` array `(N, height, width, C)`.

    Example:

    >>> resize_images(np.ones((2, 8, 8, 1)), 16).shape
    (2, 16, 16, 1)
    """
    from skimage.transform import resize

    height, width = _image_size(image_size)
    if images.shape[1:3] == (height, width):
        return images.astype("float32")
    output_shape = (len(images), height, width, images.shape[-1])
    return resize(images, output_shape, anti_aliasing=True, preserve_range=True).astype("float32")


def load_digits(image_size=8):
    """Loads scikit-learn's 1,797 handwritten digits (8x8 pixels, 10 classes).

    Args:
        image_size: side length (int) or `(height, width)` of the returned images;
            the originals are 8x8 and are resized with anti-aliasing.

    Returns:
        A `Dataset` of `float32` images in `[0, 1]`, shape `(N, size, size, 1)`,
        split 1,259 / 269 / 269 (stratified, fixed).

    Example:

    >>> digits = load_digits(image_size=16)
    >>> digits.x_train.shape, digits.num_classes
    ((1259, 16, 16, 1), 10)
    """
    from sklearn.datasets import load_digits as sklearn_digits

    digits = sklearn_digits()
    images = (digits.images / 16.0)[..., np.newaxis]
    images = resize_images(images, image_size)
    return split_dataset(images, digits.target, [str(digit) for digit in range(10)])


def load_faces(image_size=25):
    """Loads scikit-image's LFW subset: 100 faces and 100 non-faces, 25x25 grey.

    Args:
        image_size: side length (int) or `(height, width)` of the returned images.

    Returns:
        A `Dataset` of `float32` images in `[0, 1]`, shape `(N, size, size, 1)`,
        labels 1 for a face and 0 for a non-face, split 140 / 30 / 30.

    Example:

    >>> faces = load_faces()
    >>> faces.x_train.shape, faces.class_names
    ((140, 25, 25, 1), ('non-face', 'face'))
    """
    import skimage.data

    images = skimage.data.lfw_subset()[..., np.newaxis]  # the first 100 are faces
    labels = np.repeat([1, 0], len(images) // 2)
    return split_dataset(resize_images(images, image_size), labels, ("non-face", "face"))


def sample_images(image_size=None):
    """Loads colour photographs that ship with scikit-image.

    Args:
        image_size: when given, every photograph is resized to this side length
            (int) or `(height, width)`; by default each keeps its own size.

    Returns:
        A dict, name -> `float32` array `(H, W, 3)` in `[0, 1]`; grey photographs
        are repeated over the three channels.

    Example:

    >>> photos = sample_images(image_size=64)
    >>> sorted(photos)[:3], photos["chelsea"].shape
    (['astronaut', 'camera', 'chelsea'], (64, 64, 3))
    """
    import skimage.data

    photos = {}
    for name in SAMPLE_IMAGE_NAMES:
        image = getattr(skimage.data, name)().astype("float32") / 255.0
        if image.ndim == 2:
            image = np.repeat(image[..., np.newaxis], 3, axis=-1)
        if image_size is not None:
            image = resize_images(image[np.newaxis], image_size)[0]
        photos[name] = image
    return photos


def _image_size(image_size):
    if isinstance(image_size, int) and not isinstance(image_size, bool) and image_size > 0:
        return image_size, image_size
    if (
        isinstance(image_size, tuple)
        and len(image_size) == 2
        and all(isinstance(side, int) and side > 0 for side in image_size)
    ):
        return image_size
    raise ValueError(
        "`image_size` must be a positive int or a (height, width) pair of positive ints. "
        f"Received: image_size={image_size!r}"
    )
