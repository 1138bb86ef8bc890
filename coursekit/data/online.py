"""Online datasets, CIFAR-10 and Imagenette: pinned archives, parsers and fixed splits.

Both come back as a `Dataset` of `float32` images in `[0, 1]` (NHWC, RGB) and `int64`
labels. The official training set is split, stratified and with a fixed seed, into
training (90%) and validation (10%); the official test (CIFAR-10) or validation
(Imagenette) set is the test split. Every split is in a fixed random order.
"""

import io
import pickle
import tarfile
import zipfile

import numpy as np

from coursekit.data.download import RemoteFile, atomic_write, cache_dir, fetch
from coursekit.data.embedded import SPLIT_SEED, Dataset, _image_size, stratified_split

VALIDATION_FRACTION = 0.1

# SHA-256 as pinned by Keras (keras.datasets.cifar10); the page
# https://www.cs.toronto.edu/~kriz/cifar.html publishes its MD5,
# c58f30108f718f92721af3b95e74349a.
CIFAR10 = RemoteFile(
    name="cifar10",
    url="https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz",
    size=170_498_071,
    sha256="6d958be074577803d12ecdefd02955f39262c83c16fe9348329d7fe0b5c001ce",
)
# Size and SHA-256 as pinned by TensorFlow Datasets (imagenette/checksums.tsv) for the
# archive fast.ai re-published in 2021; the 160 px variant: shorter side 160 pixels.
IMAGENETTE = RemoteFile(
    name="imagenette",
    url="https://s3.amazonaws.com/fast-ai-imageclas/imagenette2-160.tgz",
    size=99_003_388,
    sha256="64d0c4859f35a461889e0147755a999a48b49bf38a7e0f9bd27003f10db02fe5",
)
IMAGENETTE_CLASSES = {
    "n01440764": "tench",
    "n02102040": "English springer",
    "n02979186": "cassette player",
    "n03000684": "chain saw",
    "n03028079": "church",
    "n03394916": "French horn",
    "n03417042": "garbage truck",
    "n03425413": "gas pump",
    "n03445777": "golf ball",
    "n03888257": "parachute",
}


def load_cifar10(*, download=True, max_train_samples=None):
    """Loads CIFAR-10: 60,000 colour images, 32x32, in 10 classes.

    The archive (170 MB, the "python version") is downloaded once into the cache and
    verified against its pinned size and SHA-256 (the MD5 that its authors publish is
    c58f30108f718f92721af3b95e74349a). Its batches are pickled dictionaries; they are
    only unpickled after the archive passed verification.

    Args:
        download: whether to fetch the archive when it is not cached.
        max_train_samples: keep only the first examples of the (shuffled) training
            split, saving the memory of converting the rest; `None` keeps all.

    Returns:
        A `Dataset`, split 45,000 / 5,000 / 10,000 (training / validation / the
        official test set), images `(N, 32, 32, 3)`.

    Raises:
        DataUnavailableError: if the archive is not cached and cannot be downloaded.
    """
    arrays = read_cifar10(fetch(CIFAR10, download=download))
    return fixed_splits(*arrays, max_train_samples=max_train_samples)


def load_imagenette(image_size=160, *, download=True, max_train_samples=None):
    """Loads Imagenette: 13,394 photographs of 10 easy ImageNet classes.

    The archive (99 MB, `imagenette2-160.tgz`) is downloaded once into the cache and
    verified against its pinned size and SHA-256. Each photograph is centre-cropped
    to the aspect ratio of `image_size` and resized; the decoded arrays are cached
    per size (`imagenette2-160-<H>x<W>.npz`), so only the first call decodes JPEGs.

    Args:
        image_size: side length (int) or `(height, width)` of the returned images.
        download: whether to fetch the archive when it is not cached.
        max_train_samples: keep only the first examples of the (shuffled) training
            split; `None` keeps all.

    Returns:
        A `Dataset` with readable class names (`"tench"`, ..., `"parachute"`), split
        about 8,520 / 950 / 3,925 (training / validation / the official validation
        set used as test).

    Raises:
        DataUnavailableError: if the archive is not cached and cannot be downloaded.
    """
    height, width = _image_size(image_size)
    decoded = cache_dir() / f"imagenette2-160-{height}x{width}.npz"
    arrays = _read_decoded(decoded)
    if arrays is None:
        arrays = read_imagenette(fetch(IMAGENETTE, download=download), (height, width))
        with atomic_write(decoded) as file:
            np.savez(file, *arrays)
    class_names = tuple(IMAGENETTE_CLASSES.values())
    return fixed_splits(*arrays, class_names, max_train_samples=max_train_samples)


def read_cifar10(path):
    """Reads CIFAR-10's python archive: `cifar-10-batches-py/data_batch_1..5`, `test_batch`.

    Args:
        path: the `.tar.gz` archive.

    Returns:
        `(x_train, y_train, x_test, y_test, class_names)`: `uint8` images NHWC, `int64`
        labels and the names from `batches.meta`.
    """
    with tarfile.open(path, "r:gz") as archive:

        def unpickle(name):
            with archive.extractfile(f"cifar-10-batches-py/{name}") as file:
                return pickle.load(file, encoding="bytes")

        def images_and_labels(names):
            batches = [unpickle(name) for name in names]
            rows = np.concatenate([batch[b"data"] for batch in batches]).astype("uint8")
            images = rows.reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1)
            labels = np.concatenate([batch[b"labels"] for batch in batches]).astype("int64")
            return np.ascontiguousarray(images), labels

        x_train, y_train = images_and_labels([f"data_batch_{index}" for index in range(1, 6)])
        x_test, y_test = images_and_labels(["test_batch"])
        names = tuple(name.decode() for name in unpickle("batches.meta")[b"label_names"])
    return x_train, y_train, x_test, y_test, names


def read_imagenette(path, image_size):
    """Reads Imagenette's archive: `<root>/train/<wnid>/*.JPEG` and `<root>/val/<wnid>/*.JPEG`.

    Args:
        path: the `.tgz` archive.
        image_size: `(height, width)` of the returned images.

    Returns:
        `(x_train, y_train, x_test, y_test)`: `uint8` RGB images NHWC and `int64`
        labels indexing `IMAGENETTE_CLASSES` (in WordNet-id order), the official
        `val` folder being the test set. Images are in archive order.

    Raises:
        ValueError: on a class folder that is not one of Imagenette's ten, or when
            either split holds no image.
    """
    from PIL import Image, ImageOps

    height, width = image_size
    wnids = list(IMAGENETTE_CLASSES)
    splits = {"train": ([], []), "val": ([], [])}
    with tarfile.open(path, "r:gz") as archive:
        for member in archive:
            parts = member.name.split("/")
            if not member.isfile() or len(parts) < 3 or parts[-3] not in splits:
                continue
            if not parts[-1].lower().endswith((".jpeg", ".jpg")):
                continue
            if parts[-2] not in IMAGENETTE_CLASSES:
                raise ValueError(
                    f"Unexpected class folder in {path}. Received: {parts[-2]!r}; "
                    f"expected one of {', '.join(wnids)}."
                )
            with Image.open(io.BytesIO(archive.extractfile(member).read())) as image:
                image.draft("RGB", (width, height))  # JPEG: decode at a reduced scale
                image = ImageOps.fit(
                    image.convert("RGB"), (width, height), Image.Resampling.BILINEAR
                )
            images, labels = splits[parts[-3]]
            images.append(np.asarray(image, dtype="uint8"))
            labels.append(wnids.index(parts[-2]))
    empty = [name for name, (images, _) in splits.items() if not images]
    if empty:
        raise ValueError(f"No images in the {' and '.join(empty)} folder(s) of {path}.")
    (x_train, y_train), (x_test, y_test) = (
        (np.stack(images), np.asarray(labels, "int64")) for images, labels in splits.values()
    )
    return x_train, y_train, x_test, y_test


def _read_decoded(path):
    if not path.exists():
        return None
    try:
        with np.load(path) as arrays:
            return tuple(arrays[f"arr_{index}"] for index in range(4))
    except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile):
        print(f"The cached {path} is unreadable; decoding the archive again.")
        return None


def fixed_splits(x_train, y_train, x_test, y_test, class_names, *, max_train_samples, strata=None):
    """Training, validation and test splits in float32 [0, 1], the same on every machine.

    The validation images come out of the training split, stratified by `strata`
    (by default the labels); `max_train_samples` caps the training split.
    """
    rng = np.random.default_rng(SPLIT_SEED)
    strata = y_train if strata is None else strata
    train, val = stratified_split(strata, (VALIDATION_FRACTION,), rng)
    test = rng.permutation(len(y_test))
    train = train[:max_train_samples]

    def to_float(images, indices):
        return images[indices].astype("float32") / 255.0

    return Dataset(
        to_float(x_train, train),
        y_train[train],
        to_float(x_train, val),
        y_train[val],
        to_float(x_test, test),
        y_test[test],
        class_names=tuple(class_names),
    )
