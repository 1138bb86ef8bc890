"""Detection datasets: images with boxes and labels, and `load_detection(name, profile)`,
which follows the run profile's data rules."""

import dataclasses

import numpy as np

from coursekit.profiles import Profile, get_profile

DETECTION_NAMES = ("shapes", "voc")
FALLBACK_NAME = "shapes"
# Generated training images per profile; validation and test sets are fixed.
SHAPES_TRAIN_IMAGES = {"fast": 800, "default": 2000, "full": 5000}
SHAPES_VAL_IMAGES, SHAPES_TEST_IMAGES = 200, 300
SHAPES_SEEDS = {"train": 1, "val": 2, "test": 3}


@dataclasses.dataclass(frozen=True)
class DetectionSplit:
    """Images with their objects.

    Attributes:
        images: array `(N, size, size, 3)`: `float32` in `[0, 1]` (`uint8` while a
            loader builds it).
        boxes: a list with one `float32` array `(G, 4)` of "xyxy" boxes per image.
        labels: a list with one `int64` array `(G,)` of class indices per image.
        difficult: a list with one `bool` array `(G,)` per image (VOC's flag for
            objects that are hard to recognise; all False for generated shapes).
        class_names: the name of each class index.
    """

    images: np.ndarray
    boxes: list
    labels: list
    difficult: list
    class_names: tuple = ()

    def __len__(self):
        return len(self.images)

    def subset(self, indices):
        """The images at `indices`, with their objects, in that order."""
        indices = np.asarray(indices, dtype=np.int64)
        return DetectionSplit(
            self.images[indices],
            *(
                [column[index] for index in indices]
                for column in (self.boxes, self.labels, self.difficult)
            ),
            class_names=self.class_names,
        )

    def ground_truth(self):
        """`(boxes, labels)` per image, as `coursekit.detection.mean_average_precision` takes it."""
        return list(zip(self.boxes, self.labels, strict=True))


@dataclasses.dataclass(frozen=True)
class DetectionDataset:
    """Fixed training, validation and test splits of a detection dataset."""

    train: DetectionSplit
    val: DetectionSplit
    test: DetectionSplit
    class_names: tuple

    @property
    def num_classes(self):
        return len(self.class_names)

    def __repr__(self):
        sizes = " / ".join(f"{len(split):,}" for split in (self.train, self.val, self.test))
        return (
            f"DetectionDataset({sizes} images of {self.train.images.shape[1:]}, "
            f"classes={self.class_names})"
        )


def load_detection(name, profile=None, *, download=None, image_size=None):
    """Loads a detection dataset by name, following the run profile.

    - `"shapes"` (generated squares, circles and triangles, `coursekit.data.make_shapes`)
      is always available: `SHAPES_TRAIN_IMAGES[profile]` training images, 200
      validation and 300 test images, each from its own seed.
    - `"voc"` (PASCAL VOC 2007) follows the rules of `coursekit.data.load`: `fast`
      never touches the network and uses the shapes instead, with a one-line note;
      `default` uses VOC when it is cached and otherwise the shapes, with a note;
      `full` downloads it, and offline raises `DataUnavailableError`, whose message
      names the shapes as the fallback.

    Args:
        name: `"shapes"` or `"voc"`.
        profile: a `Profile`, a profile name, or `None` for the active profile.
        download: whether VOC may be fetched; by default only in `full`.
        image_size: the image side; by default 64 for the shapes, 128 for VOC.

    Returns:
        A `DetectionDataset` of `float32` images in `[0, 1]`.

    Raises:
        ValueError: for an unknown name or profile.
        DataUnavailableError: in `full` (or with `download=True`) when VOC can be
            neither read from the cache nor downloaded.

    Example:

    >>> dataset = load_detection("voc", "fast")
    Note: the fast profile uses the generated 'shapes' instead of 'voc' (no download).
    >>> dataset.class_names, len(dataset.train), dataset.train.images.shape[1:]
    (('square', 'circle', 'triangle'), 800, (64, 64, 3))
    """
    profile = profile if isinstance(profile, Profile) else get_profile(profile)
    if name not in DETECTION_NAMES:
        raise ValueError(
            f"Unknown detection dataset. Received: name={name!r}; expected one of {DETECTION_NAMES}."
        )
    if name == "shapes":
        return _load_shapes(profile, image_size or 64)
    if profile.name == "fast":
        print(
            f"Note: the fast profile uses the generated {FALLBACK_NAME!r} instead of 'voc' (no download)."
        )
        return _load_shapes(profile, 64)
    return _load_voc(profile, download, image_size or 128)


def _load_shapes(profile, image_size):
    from coursekit.data.shapes import SHAPE_NAMES, make_shapes

    sizes = {
        "train": SHAPES_TRAIN_IMAGES[profile.name],
        "val": SHAPES_VAL_IMAGES,
        "test": SHAPES_TEST_IMAGES,
    }
    splits = {}
    for split, count in sizes.items():
        images, boxes, labels, _ = make_shapes(count, image_size, seed=SHAPES_SEEDS[split])
        difficult = [np.zeros(len(item), bool) for item in labels]
        splits[split] = DetectionSplit(images, boxes, labels, difficult, class_names=SHAPE_NAMES)
    return DetectionDataset(**splits, class_names=SHAPE_NAMES)


def _load_voc(profile, download, image_size):
    from coursekit.data import voc
    from coursekit.data.download import DataUnavailableError

    if download is None:
        download = profile.name == "full"
    try:
        dataset = voc.load_voc(
            image_size, download=download, max_train_samples=profile.max_train_samples
        )
    except DataUnavailableError as error:
        if download:
            raise DataUnavailableError(error.reason, fallback=_FALLBACK) from error
        print(f"Note: {error.reason} Using the generated {FALLBACK_NAME!r} instead.")
        return _load_shapes(profile, 64)
    return dataset


_FALLBACK = "coursekit.data.load_detection('shapes', profile)"
