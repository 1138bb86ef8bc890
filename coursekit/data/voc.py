"""PASCAL VOC 2007 for detection: the pinned archives, their parser and fixed splits.

VOC annotates each object with a class among 20, a box and a "difficult" flag. Its
boxes count pixels from 1 and include both ends (`xmin = 1, xmax = 10` is the first
ten pixels); here they become continuous coordinates, `(xmin - 1, ymin - 1, xmax,
ymax)`, then are scaled with the image to `image_size x image_size`.
"""

import dataclasses
import io
import tarfile
import xml.etree.ElementTree as ElementTree
import zipfile

import numpy as np

from coursekit.data.detection import DetectionDataset, DetectionSplit
from coursekit.data.download import RemoteFile, atomic_write, cache_dir, fetch
from coursekit.data.embedded import SPLIT_SEED

VALIDATION_FRACTION = 0.1
VOC_CLASSES = (
    "aeroplane",
    "bicycle",
    "bird",
    "boat",
    "bottle",
    "bus",
    "car",
    "cat",
    "chair",
    "cow",
    "diningtable",
    "dog",
    "horse",
    "motorbike",
    "person",
    "pottedplant",
    "sheep",
    "sofa",
    "train",
    "tvmonitor",
)
# Sizes and SHA-256 as pinned by TensorFlow Datasets (url_checksums/voc.txt); the MD5s
# that torchvision pins (VOCDetection) are c52e279531787c972589f7e41ab4ae64 (trainval)
# and b6e924de25625d8de591ea690078ad9f (test). The official server is often down: to
# use a mirror, download the same files by hand into `cache_dir()`.
VOC2007_TRAINVAL = RemoteFile(
    name="voc2007-trainval",
    url="http://host.robots.ox.ac.uk/pascal/VOC/voc2007/VOCtrainval_06-Nov-2007.tar",
    size=460_032_000,
    sha256="7d8cd951101b0957ddfd7a530bdc8a94f06121cfc1e511bb5937e973020c7508",
)
VOC2007_TEST = RemoteFile(
    name="voc2007-test",
    url="http://host.robots.ox.ac.uk/pascal/VOC/voc2007/VOCtest_06-Nov-2007.tar",
    size=451_020_800,
    sha256="6836888e2e01dca84577a849d339fa4f73e1e4f135d312430c4856b5609b4892",
)
_ROOT = "VOCdevkit/VOC2007"


def load_voc(image_size=128, *, download=True, max_train_samples=None):
    """Loads PASCAL VOC 2007 for detection: 9,963 photographs, 20 classes.

    The two archives (460 MB and 451 MB) are downloaded once into the cache and
    verified against their pinned sizes and SHA-256. Each photograph is resized to
    `image_size x image_size` (stretched, as SSD does), its boxes with it; the
    decoded arrays are cached per size (`voc2007-<size>.npz`), so only the first
    call decodes JPEGs.

    Args:
        image_size: the side of the returned images.
        download: whether to fetch the archives when they are not cached.
        max_train_samples: keep only the first images of the (shuffled) training split.

    Returns:
        A `DetectionDataset`: the official `trainval` set split, with a fixed seed,
        into training (about 4,510 images) and validation (about 501), and the
        official `test` set (4,952 images).

    Raises:
        DataUnavailableError: if an archive is not cached and cannot be downloaded.
    """
    decoded = cache_dir() / f"voc2007-{image_size}.npz"
    splits = _read_decoded(decoded)
    if splits is None:
        splits = (
            read_voc(fetch(VOC2007_TRAINVAL, download=download), "trainval", image_size),
            read_voc(fetch(VOC2007_TEST, download=download), "test", image_size),
        )
        with atomic_write(decoded) as file:
            np.savez(file, **_packed("trainval", splits[0]), **_packed("test", splits[1]))
    trainval, test = splits
    order = np.random.default_rng(SPLIT_SEED).permutation(len(trainval))
    num_val = round(VALIDATION_FRACTION * len(trainval))
    train = trainval.subset(order[num_val:][:max_train_samples])
    val = trainval.subset(order[:num_val])
    return DetectionDataset(*(_as_float(split) for split in (train, val, test)), VOC_CLASSES)


def read_voc(path, image_set, image_size):
    """Reads one image set of a VOC 2007 archive (`VOCdevkit/VOC2007/...`).

    Args:
        path: the `.tar` archive.
        image_set: `"trainval"` or `"test"`, a list in `ImageSets/Main/`.
        image_size: the side of the returned images.

    Returns:
        A `DetectionSplit` in the list's order: `uint8` images, boxes scaled to the
        resized image, labels indexing `VOC_CLASSES`, and the difficult flags.

    Raises:
        ValueError: for an object whose class is not one of VOC's 20.
        KeyError: when the archive lacks the list, an annotation or an image.
    """
    images, boxes, labels, difficult = [], [], [], []
    with tarfile.open(path) as archive:

        def read(name):
            return archive.extractfile(f"{_ROOT}/{name}").read()

        names = read(f"ImageSets/Main/{image_set}.txt").decode().split()
        for name in names:
            objects, size = _parse_annotation(read(f"Annotations/{name}.xml"))
            images.append(_decoded_image(read(f"JPEGImages/{name}.jpg"), image_size))
            scale = np.array([image_size / size[0], image_size / size[1]] * 2)
            corners = np.array([box for box, *_ in objects], np.float64).reshape(-1, 4)
            boxes.append((corners * scale).astype(np.float32))
            labels.append(np.array([label for _, label, _ in objects], np.int64))
            difficult.append(np.array([flag for *_, flag in objects], bool))
    return DetectionSplit(np.stack(images), boxes, labels, difficult, class_names=VOC_CLASSES)


def _parse_annotation(xml):
    """Objects `(box, label, difficult)` in continuous coordinates, and `(width, height)`."""
    root = ElementTree.fromstring(xml)
    size = root.find("size")
    width, height = (float(size.find(key).text) for key in ("width", "height"))
    objects = []
    for item in root.iter("object"):
        name = item.find("name").text.strip()
        if name not in VOC_CLASSES:
            raise ValueError(
                f"Unknown VOC class. Received: {name!r}; expected one of {VOC_CLASSES}."
            )
        corners = item.find("bndbox")
        x_min, y_min, x_max, y_max = (
            float(corners.find(key).text) for key in ("xmin", "ymin", "xmax", "ymax")
        )
        flag = item.find("difficult")
        objects.append(
            (
                (x_min - 1, y_min - 1, x_max, y_max),
                VOC_CLASSES.index(name),
                flag is not None and flag.text.strip() == "1",
            )
        )
    return objects, (width, height)


def _decoded_image(jpeg, image_size):
    from PIL import Image

    with Image.open(io.BytesIO(jpeg)) as image:
        image.draft("RGB", (image_size, image_size))  # JPEG: decode at a reduced scale
        resized = image.convert("RGB").resize((image_size, image_size), Image.Resampling.BILINEAR)
    return np.asarray(resized, dtype=np.uint8)


def _as_float(split):
    return dataclasses.replace(split, images=split.images.astype(np.float32) / 255.0)


def _packed(prefix, split):
    counts = np.array([len(labels) for labels in split.labels], np.int64)
    return {
        f"{prefix}_images": split.images,
        f"{prefix}_counts": counts,
        f"{prefix}_boxes": np.concatenate([*split.boxes, np.zeros((0, 4), np.float32)]),
        f"{prefix}_labels": np.concatenate([*split.labels, np.zeros(0, np.int64)]),
        f"{prefix}_difficult": np.concatenate([*split.difficult, np.zeros(0, bool)]),
    }


def _unpacked(arrays, prefix):
    ends = np.cumsum(arrays[f"{prefix}_counts"])[:-1]
    parts = [np.split(arrays[f"{prefix}_{key}"], ends) for key in ("boxes", "labels", "difficult")]
    return DetectionSplit(arrays[f"{prefix}_images"], *parts, class_names=VOC_CLASSES)


def _read_decoded(path):
    if not path.exists():
        return None
    try:
        with np.load(path) as arrays:
            return _unpacked(arrays, "trainval"), _unpacked(arrays, "test")
    except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile):
        print(f"The cached {path} is unreadable; decoding the archives again.")
        return None
