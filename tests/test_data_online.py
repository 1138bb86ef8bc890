"""CIFAR-10 and Imagenette parsing and splits, offline, on small archives in the real formats."""

import dataclasses
import hashlib
import io
import pickle
import tarfile

import numpy as np
import pytest
from PIL import Image

from coursekit.data import DataUnavailableError, online
from coursekit.data.download import RemoteFile

CIFAR_NAMES = [
    "airplane",
    "automobile",
    "bird",
    "cat",
    "deer",
    "dog",
    "frog",
    "horse",
    "ship",
    "truck",
]
WNIDS = list(online.IMAGENETTE_CLASSES)


def add_file(archive, name, payload):
    member = tarfile.TarInfo(name)
    member.size = len(payload)
    archive.addfile(member, io.BytesIO(payload))


def serve(monkeypatch, attribute, path):
    """Points the pinned `online.<attribute>` at a local archive, with its real checksum."""
    payload = path.read_bytes()
    remote = dataclasses.replace(
        getattr(online, attribute),
        url=path.as_uri(),
        size=len(payload),
        sha256=hashlib.sha256(payload).hexdigest(),
    )
    monkeypatch.setattr(online, attribute, remote)


@pytest.fixture
def cache(tmp_path, monkeypatch):
    monkeypatch.setenv("COURSEKIT_DATA", str(tmp_path / "cache"))
    return tmp_path / "cache"


@pytest.fixture
def cifar_archive(tmp_path):
    """Five training batches of 20 and a test batch of 15, pickled as in the real archive."""
    rng = np.random.default_rng(1)
    batches = {}
    path = tmp_path / "cifar-10-python.tar.gz"
    with tarfile.open(path, "w:gz") as archive:
        for name, size in [*((f"data_batch_{i}", 20) for i in range(1, 6)), ("test_batch", 15)]:
            batch = {
                b"data": rng.integers(0, 256, (size, 3072), dtype="uint8"),
                b"labels": rng.integers(0, 10, size).tolist(),
                b"batch_label": name.encode(),
            }
            batches[name] = batch
            add_file(archive, f"cifar-10-batches-py/{name}", pickle.dumps(batch))
        meta = {b"label_names": [name.encode() for name in CIFAR_NAMES], b"num_vis": 3072}
        add_file(archive, "cifar-10-batches-py/batches.meta", pickle.dumps(meta))
    return path, batches


def class_colour(label):
    return np.array([25 * label, 230 - 20 * label, 60 + 15 * label])


@pytest.fixture
def imagenette_archive(tmp_path):
    """Solid-colour JPEGs, one colour per class, landscape and portrait, in the real tree."""
    path = tmp_path / "imagenette2-160.tgz"
    with tarfile.open(path, "w:gz") as archive:
        add_file(archive, "imagenette2-160/noisy_imagenette.csv", b"path,noisy_labels_0\n")
        for split, per_class in [("train", 10), ("val", 2)]:
            for label, wnid in enumerate(WNIDS):
                for index in range(per_class):
                    size = (60, 40) if index % 2 else (40, 60)
                    image = Image.new("RGB", size, tuple(int(v) for v in class_colour(label)))
                    jpeg = io.BytesIO()
                    image.save(jpeg, format="JPEG", quality=95)
                    name = f"imagenette2-160/{split}/{wnid}/{wnid}_{index}.JPEG"
                    add_file(archive, name, jpeg.getvalue())
    return path


def test_read_cifar10_keeps_rows_channel_first_and_labels(cifar_archive):
    path, batches = cifar_archive
    x_train, y_train, x_test, y_test, names = online.read_cifar10(path)
    assert x_train.shape == (100, 32, 32, 3) and x_test.shape == (15, 32, 32, 3)
    assert x_train.dtype == np.uint8 and y_train.dtype == np.int64
    row = batches["data_batch_2"][b"data"][3]
    red, green, blue = row[:1024], row[1024:2048], row[2048:]
    image = x_train[20 + 3]
    np.testing.assert_array_equal(image[..., 0].ravel(), red)
    np.testing.assert_array_equal(image[..., 1].ravel(), green)
    np.testing.assert_array_equal(image[..., 2].ravel(), blue)
    assert image[0, 1, 0] == red[1] and image[1, 0, 0] == red[32]  # row-major
    np.testing.assert_array_equal(y_test, batches["test_batch"][b"labels"])
    assert names == tuple(CIFAR_NAMES)


def test_load_cifar10_fixed_disjoint_splits_from_the_cache(cache, monkeypatch, cifar_archive):
    path = cifar_archive[0]
    serve(monkeypatch, "CIFAR10", path)
    dataset = online.load_cifar10()
    assert (cache / "cifar-10-python.tar.gz").exists()
    assert len(dataset.y_train) + len(dataset.y_val) == 100 and len(dataset.y_test) == 15
    assert dataset.class_names == tuple(CIFAR_NAMES) and dataset.image_shape == (32, 32, 3)
    assert dataset.x_train.dtype == np.float32 and dataset.x_train.max() <= 1.0

    x_train, y_train, x_test, _, _ = online.read_cifar10(path)
    originals = {image.tobytes(): label for image, label in zip(x_train, y_train, strict=True)}
    seen = []
    for images, labels in [(dataset.x_train, dataset.y_train), (dataset.x_val, dataset.y_val)]:
        for image, label in zip(images, labels, strict=True):
            key = np.round(image * 255).astype("uint8").tobytes()
            assert originals[key] == label
            seen.append(key)
    assert sorted(seen) == sorted(originals)  # each training image exactly once
    test_keys = {np.round(image * 255).astype("uint8").tobytes() for image in dataset.x_test}
    assert test_keys == {image.tobytes() for image in x_test}

    path.unlink()  # the second call must not need the source
    again = online.load_cifar10(download=False)
    np.testing.assert_array_equal(again.x_val, dataset.x_val)
    np.testing.assert_array_equal(again.y_train, dataset.y_train)


def test_validation_split_is_stratified():
    labels = np.repeat(np.arange(10), 50)
    images = np.arange(500).reshape(500, 1, 1, 1)
    dataset = online.fixed_splits(
        images, labels, images, labels, CIFAR_NAMES, max_train_samples=None
    )
    assert np.bincount(dataset.y_val).tolist() == [5] * 10
    assert np.bincount(dataset.y_train).tolist() == [45] * 10
    assert not np.all(np.diff(dataset.y_train) >= 0)  # shuffled, not grouped by class


def test_max_train_samples_keeps_the_first_shuffled_examples(cache, monkeypatch, cifar_archive):
    serve(monkeypatch, "CIFAR10", cifar_archive[0])
    full, capped = online.load_cifar10(), online.load_cifar10(max_train_samples=7)
    np.testing.assert_array_equal(capped.x_train, full.x_train[:7])
    np.testing.assert_array_equal(capped.x_val, full.x_val)


def test_cifar10_not_cached_and_not_downloadable(cache):
    with pytest.raises(DataUnavailableError, match=r"'cifar10' is not in the cache.*170 MB"):
        online.load_cifar10(download=False)


def test_read_imagenette_labels_colours_and_sizes(imagenette_archive):
    x_train, y_train, x_test, y_test = online.read_imagenette(imagenette_archive, (12, 16))
    assert x_train.shape == (100, 12, 16, 3) and x_test.shape == (20, 12, 16, 3)
    assert np.bincount(y_train).tolist() == [10] * 10 and np.bincount(y_test).tolist() == [2] * 10
    for images, labels in [(x_train, y_train), (x_test, y_test)]:
        for image, label in zip(images, labels, strict=True):
            np.testing.assert_allclose(image.mean(axis=(0, 1)), class_colour(label), atol=4)


def test_imagenette_crops_the_centre_keeping_height_and_width_apart(tmp_path):
    image = np.zeros((40, 120, 3), "uint8")
    image[:, :40, 0] = 255  # red left third, green centre, blue right third
    image[:, 40:80, 1] = 255
    image[:, 80:, 2] = 255
    path = tmp_path / "one.tgz"
    with tarfile.open(path, "w:gz") as archive:
        for split in ("train", "val"):
            png = io.BytesIO()
            Image.fromarray(image).save(png, format="JPEG", quality=100)
            add_file(archive, f"root/{split}/{WNIDS[0]}/a.JPEG", png.getvalue())
    square = online.read_imagenette(path, (20, 20))[0][0]
    assert square.mean(axis=(0, 1)).argmax() == 1  # only the green centre survives
    wide = online.read_imagenette(path, (10, 30))[0][0]
    assert wide.shape == (10, 30, 3) and wide[5, 2].argmax() == 0 and wide[5, 27].argmax() == 2


def test_load_imagenette_names_splits_and_decoded_cache(cache, monkeypatch, imagenette_archive):
    serve(monkeypatch, "IMAGENETTE", imagenette_archive)
    dataset = online.load_imagenette(image_size=8)
    assert dataset.class_names[:3] == ("tench", "English springer", "cassette player")
    assert dataset.image_shape == (8, 8, 3) and len(dataset.y_test) == 20
    assert np.bincount(dataset.y_val).tolist() == [1] * 10
    assert np.bincount(dataset.y_train).tolist() == [9] * 10
    assert (cache / "imagenette2-160-8x8.npz").exists()

    imagenette_archive.unlink()
    (cache / "imagenette2-160.tgz").unlink()  # the decoded arrays suffice now
    again = online.load_imagenette(image_size=8, download=False)
    np.testing.assert_array_equal(again.x_train, dataset.x_train)
    with pytest.raises(DataUnavailableError, match="'imagenette' is not in the cache"):
        online.load_imagenette(image_size=9, download=False)


def test_an_unreadable_decoded_cache_is_rebuilt(cache, monkeypatch, imagenette_archive, capsys):
    serve(monkeypatch, "IMAGENETTE", imagenette_archive)
    cache.mkdir()
    (cache / "imagenette2-160-8x8.npz").write_bytes(b"not a zip file")
    dataset = online.load_imagenette(image_size=8, download=True)
    assert len(dataset.y_test) == 20 and "unreadable" in capsys.readouterr().out
    assert online._read_decoded(cache / "imagenette2-160-8x8.npz") is not None


def test_an_unknown_class_folder_is_reported(tmp_path):
    path = tmp_path / "bad.tgz"
    with tarfile.open(path, "w:gz") as archive:
        add_file(archive, "imagenette2-160/train/n99999999/x.JPEG", b"")
    with pytest.raises(ValueError, match="Received: 'n99999999'"):
        online.read_imagenette(path, (8, 8))


def test_an_archive_without_test_images_is_reported(tmp_path, imagenette_archive):
    path = tmp_path / "train-only.tgz"
    with tarfile.open(imagenette_archive) as source, tarfile.open(path, "w:gz") as archive:
        for member in source:
            if "/val/" not in member.name:
                archive.addfile(member, source.extractfile(member))
    with pytest.raises(ValueError, match="No images in the val folder"):
        online.read_imagenette(path, (8, 8))


def test_pinned_checksums_are_well_formed():
    for remote in (online.CIFAR10, online.IMAGENETTE):
        assert isinstance(remote, RemoteFile) and remote.url.startswith("https://")
        assert len(remote.sha256) == 64 and set(remote.sha256) <= set("0123456789abcdef")
    assert online.CIFAR10.filename == "cifar-10-python.tar.gz"
    assert online.IMAGENETTE.filename == "imagenette2-160.tgz"
