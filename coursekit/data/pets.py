"""The Oxford-IIIT Pet dataset for segmentation: photographs of cats and dogs with trimaps.

Two archives from the dataset's authors (Parkhi, Vedaldi, Zisserman and Jawahar,
https://www.robots.ox.ac.uk/~vgg/data/pets/): `images.tar.gz` holds
`images/<Breed>_<n>.jpg`; `annotations.tar.gz` holds the split lists
`annotations/trainval.txt` and `annotations/test.txt` (one line per image:
`name class_id species breed_id`) and one trimap per image,
`annotations/trimaps/<name>.png`, whose pixels are 1 (pet), 2 (background) or
3 (border, not classified). Either archive may be gzip-compressed or a plain tar
despite its name; both are read.

Masks use the course's convention, 0 for background: `PETS_CLASSES` =
("background", "pet", "border").
"""

import io
import tarfile

import numpy as np

from coursekit.data.download import RemoteFile, atomic_write, cache_dir, fetch
from coursekit.data.embedded import _image_size
from coursekit.data.online import fixed_splits

PETS_CLASSES = ("background", "pet", "border")
# Trimap value -> class index in PETS_CLASSES.
TRIMAP_CLASSES = {1: 1, 2: 0, 3: 2}

# Sizes and SHA-256 as pinned by TensorFlow Datasets
# (tensorflow_datasets/datasets/oxford_iiit_pet/checksums.tsv), for the authors' archives.
PETS_IMAGES = RemoteFile(
    name="oxford_iiit_pet images",
    url="https://thor.robots.ox.ac.uk/~vgg/data/pets/images.tar.gz",
    size=791_918_971,
    sha256="67195c5e1c01f1ab5f9b6a5d22b8c27a580d896ece458917e61d459337fa318d",
)
PETS_ANNOTATIONS = RemoteFile(
    name="oxford_iiit_pet annotations",
    url="https://thor.robots.ox.ac.uk/~vgg/data/pets/annotations.tar.gz",
    size=19_173_078,
    sha256="52425fb6de5c424942b7626b428656fcbd798db970a937df61750c0f1d358e91",
)


def load_pets(image_size=128, *, download=True, max_train_samples=None):
    """Loads Oxford-IIIT Pet for segmentation: 7,349 photographs with pet/background masks.

    Both archives (792 MB and 19 MB) are downloaded once into the cache and verified
    against their pinned sizes and SHA-256. Each photograph and its trimap are
    centre-cropped to the aspect ratio of `image_size` and resized, the photograph
    bilinearly and the mask with nearest neighbour (interpolating class indices would
    invent classes along every edge). The decoded arrays are cached per size
    (`oxford-iiit-pet-<H>x<W>.npz`), so only the first call decodes.

    Args:
        image_size: side length (int) or `(height, width)` of the images and masks.
        download: whether to fetch the archives when they are not cached.
        max_train_samples: keep only the first examples of the (shuffled) training
            split; `None` keeps all.

    Returns:
        A `Dataset` whose `y_*` are `uint8` masks `(N, height, width)` with classes
        `PETS_CLASSES`, split about 3,312 / 368 / 3,669 (training / validation, from
        the official `trainval` list, stratified by breed / the official `test` list).

    Raises:
        DataUnavailableError: if an archive is not cached and cannot be downloaded.
    """
    height, width = _image_size(image_size)
    decoded = cache_dir() / f"oxford-iiit-pet-{height}x{width}.npz"
    arrays = _read_decoded(decoded)
    if arrays is None:
        arrays = read_pets(
            fetch(PETS_IMAGES, download=download),
            fetch(PETS_ANNOTATIONS, download=download),
            (height, width),
        )
        with atomic_write(decoded) as file:
            np.savez(file, *arrays)
    x_trainval, y_trainval, breeds, x_test, y_test, _ = arrays
    return fixed_splits(
        x_trainval,
        y_trainval,
        x_test,
        y_test,
        PETS_CLASSES,
        max_train_samples=max_train_samples,
        strata=breeds,
    )


def read_pets(images_path, annotations_path, image_size):
    """Reads the two Oxford-IIIT Pet archives into arrays.

    Args:
        images_path: `images.tar.gz`, with `images/<name>.jpg`.
        annotations_path: `annotations.tar.gz`, with `annotations/trainval.txt`,
            `annotations/test.txt` and `annotations/trimaps/<name>.png`.
        image_size: `(height, width)` of the returned images and masks.

    Returns:
        `(x_trainval, y_trainval, breeds_trainval, x_test, y_test, breeds_test)`:
        `uint8` RGB images NHWC, `uint8` masks `(N, height, width)` with classes
        `PETS_CLASSES`, and the `int64` breed index (0 to 36) of each image, in the
        order of the split lists.

    Raises:
        ValueError: when a listed image or trimap is missing, a trimap holds a value
            other than 1, 2 or 3, or its size differs from the photograph's.
    """
    with tarfile.open(annotations_path, "r:*") as archive:
        splits = {name: _split_list(archive, name) for name in ("trainval", "test")}
        wanted = {image for listed in splits.values() for image, _ in listed}
        trimaps = dict(_members(archive, "trimaps", ".png", wanted))
    decoded = {}
    with tarfile.open(images_path, "r:*") as archive:
        for name, photo in _members(archive, "images", ".jpg", wanted):
            if name not in trimaps:
                raise ValueError(f"The annotations archive has no trimap for {name!r}.")
            decoded[name] = _decode(photo, trimaps[name], name, image_size)
    missing = sorted(wanted - decoded.keys())
    if missing:
        raise ValueError(
            f"{len(missing)} listed images are missing from {images_path}, e.g. {missing[0]!r}."
        )
    arrays = []
    for listed in splits.values():
        arrays += [
            np.stack([decoded[name][0] for name, _ in listed]),
            np.stack([decoded[name][1] for name, _ in listed]),
            np.array([breed for _, breed in listed], dtype=np.int64),
        ]
    return tuple(arrays)


def _split_list(archive, split):
    """`[(name, breed index)]` from `annotations/<split>.txt`, skipping comments."""
    # A tar archive may hold a file twice; the later copy is the one extracting leaves.
    found = [m for m in archive.getmembers() if m.name.endswith(f"annotations/{split}.txt")]
    if not found:
        raise ValueError(f"The annotations archive has no annotations/{split}.txt.")
    member = found[-1]
    listed = []
    for line in archive.extractfile(member).read().decode().splitlines():
        if line.strip() and not line.startswith("#"):
            name, class_id, *_ = line.split()
            listed.append((name, int(class_id) - 1))
    return listed


def _members(archive, folder, suffix, wanted):
    """Yields `(name, bytes)` of each `<folder>/<name><suffix>` with a wanted name.

    Archives made on a Mac also hold `._<name>` resource files; their names are not
    wanted, so they are skipped.
    """
    for member in archive:
        parts = member.name.split("/")
        if not member.isfile() or len(parts) < 2 or parts[-2] != folder:
            continue
        if parts[-1].endswith(suffix) and parts[-1].removesuffix(suffix) in wanted:
            yield parts[-1].removesuffix(suffix), archive.extractfile(member).read()


def _decode(photo, trimap, name, image_size):
    from PIL import Image, ImageOps

    height, width = image_size
    with Image.open(io.BytesIO(photo)) as image, Image.open(io.BytesIO(trimap)) as mask:
        if image.size != mask.size:
            raise ValueError(f"The trimap of {name!r} is {mask.size}, its photograph {image.size}.")
        image = ImageOps.fit(image.convert("RGB"), (width, height), Image.Resampling.BILINEAR)
        # Nearest neighbour keeps every value a class; the same crop as the photograph's.
        mask = ImageOps.fit(mask, (width, height), Image.Resampling.NEAREST)
        values = np.asarray(mask)
    unknown = np.setdiff1d(values, list(TRIMAP_CLASSES))
    if unknown.size:
        raise ValueError(
            f"The trimap of {name!r} holds values {unknown.tolist()}; expected only "
            "1 (pet), 2 (background) and 3 (border)."
        )
    lookup = np.zeros(256, dtype=np.uint8)
    lookup[list(TRIMAP_CLASSES)] = list(TRIMAP_CLASSES.values())
    classes = lookup[values]
    return np.asarray(image, dtype=np.uint8), classes


def _read_decoded(path):
    if not path.exists():
        return None
    try:
        with np.load(path) as arrays:
            return tuple(arrays[f"arr_{index}"] for index in range(6))
    except (OSError, ValueError, KeyError, EOFError):
        print(f"The cached {path} is unreadable; decoding the archives again.")
        return None
