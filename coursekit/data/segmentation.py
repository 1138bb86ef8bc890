"""Segmentation datasets by name and run profile: generated shapes, or Oxford-IIIT Pet.

`load_segmentation(name, profile)` returns a `Dataset` whose `y_*` are masks
`(N, height, width)` of class indices, 0 being the background, and follows the same
profile rules as `coursekit.data.load`: `fast` never touches the network, `default`
reads a downloaded dataset only from the cache, `full` downloads it.
"""

import dataclasses

from coursekit.data.download import DataUnavailableError
from coursekit.data.embedded import Dataset
from coursekit.data.shapes import SHAPE_NAMES, make_shapes
from coursekit.profiles import Profile, get_profile

SEGMENTATION_NAMES = ("shapes", "pets")
SHAPES_CLASSES = ("background", *SHAPE_NAMES)
PETS_IMAGE_SIZE = 128
SHAPES_SEED = 0


@dataclasses.dataclass(frozen=True)
class ShapesSizes:
    """How many generated images of which size a profile uses, per split."""

    train: int
    val: int
    test: int
    image_size: int


SHAPES_SIZES = {
    "fast": ShapesSizes(train=600, val=100, test=100, image_size=32),
    "default": ShapesSizes(train=1000, val=200, test=200, image_size=64),
    "full": ShapesSizes(train=8000, val=1000, test=1000, image_size=64),
}
_FALLBACK = "coursekit.data.load_segmentation('shapes', profile)"


def load_segmentation(name, profile=None, *, download=None):
    """Loads a segmentation dataset by name, sized for a run profile.

    - `"shapes"`: images of squares, circles and triangles from `make_shapes`, always
      available, with classes `SHAPES_CLASSES` and the sizes in `SHAPES_SIZES`.
    - `"pets"`: Oxford-IIIT Pet (`load_pets`) at `PETS_IMAGE_SIZE` pixels, with classes
      background, pet and border. `fast` uses the shapes instead (no download);
      `default` uses Pet when it is already in the cache and otherwise the shapes,
      with a one-line note; `full` downloads it, and raises when it cannot.

    Args:
        name: `"shapes"` or `"pets"`.
        profile: a `Profile`, a profile name, or `None` for the active profile.
        download: whether Pet may be fetched when it is not cached; by default only
            `full` fetches. Ignored by `fast`.

    Returns:
        A `Dataset` of `float32` images in `[0, 1]` and `uint8` masks.

    Raises:
        ValueError: for an unknown name or profile.
        DataUnavailableError: in `full` (or with `download=True`) when Pet can be
            neither read from the cache nor downloaded.

    Example:

    >>> dataset = load_segmentation("shapes", "fast")
    >>> dataset.x_train.shape, dataset.y_train.shape, dataset.class_names[0]
    ((600, 32, 32, 3), (600, 32, 32), 'background')
    """
    profile = profile if isinstance(profile, Profile) else get_profile(profile)
    if name not in SEGMENTATION_NAMES:
        expected = ", ".join(repr(known) for known in SEGMENTATION_NAMES)
        raise ValueError(f"Unknown dataset. Received: name={name!r}; expected one of {expected}.")
    if name == "shapes":
        return shapes_dataset(SHAPES_SIZES[profile.name])
    if profile.name == "fast":
        print("Note: the fast profile uses the generated 'shapes' instead of 'pets' (no download).")
        return shapes_dataset(SHAPES_SIZES["fast"])
    return _load_pets(profile, download)


def shapes_dataset(sizes, seed=SHAPES_SEED):
    """Generates `make_shapes` images and masks, split into training, validation and test.

    Args:
        sizes: a `ShapesSizes`.
        seed: the seed of `make_shapes`; the same seed gives the same dataset.

    Returns:
        A `Dataset` with classes `SHAPES_CLASSES` (0 is the background).

    Example:

    >>> shapes_dataset(ShapesSizes(train=4, val=2, test=2, image_size=16))
    Dataset(train/val/test=4/2/2, image_shape=(16, 16, 3), num_classes=4)
    """
    total = sizes.train + sizes.val + sizes.test
    images, _, _, masks = make_shapes(total, image_size=sizes.image_size, seed=seed)
    ends = (sizes.train, sizes.train + sizes.val)
    return Dataset(
        images[: ends[0]],
        masks[: ends[0]],
        images[ends[0] : ends[1]],
        masks[ends[0] : ends[1]],
        images[ends[1] :],
        masks[ends[1] :],
        class_names=SHAPES_CLASSES,
    )


def _load_pets(profile, download):
    from coursekit.data.pets import load_pets

    if download is None:
        download = profile.name == "full"
    try:
        return load_pets(
            PETS_IMAGE_SIZE, download=download, max_train_samples=profile.max_train_samples
        )
    except DataUnavailableError as error:
        if download:
            raise DataUnavailableError(error.reason, fallback=_FALLBACK) from error
        print(f"Note: {error.reason} Using the generated 'shapes' instead.")
        return shapes_dataset(SHAPES_SIZES[profile.name])
