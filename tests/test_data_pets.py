"""Oxford-IIIT Pet parsing, offline, on tiny archives in the real format, and the profile
rules of load_segmentation."""

import dataclasses
import hashlib
import io
import re
import tarfile

import numpy as np
import pytest
from PIL import Image

from coursekit.data import DataUnavailableError, pets, segmentation

# name -> (breed class id, species, photograph size (width, height))
TRAINVAL = {
    "Abyssinian_1": (1, 1, (60, 40)),
    "Abyssinian_2": (1, 1, (40, 40)),
    "Abyssinian_3": (1, 1, (50, 30)),
    "beagle_1": (5, 2, (30, 45)),
    "beagle_2": (5, 2, (40, 40)),
    "beagle_3": (5, 2, (44, 36)),
}
TEST = {"Abyssinian_9": (1, 1, (40, 40)), "beagle_9": (5, 2, (40, 50))}


def encode(image, kind):
    buffer = io.BytesIO()
    image.save(buffer, format=kind)
    return buffer.getvalue()


def trimap(size):
    """Left third background (2), middle third pet (1), right third border (3)."""
    width, height = size
    values = np.full((height, width), 2, np.uint8)
    values[:, width // 3 : 2 * width // 3] = 1
    values[:, 2 * width // 3 :] = 3
    return Image.fromarray(values, mode="L")


def photo(size, colour):
    return Image.new("RGB", size, colour)


def add(archive, name, payload):
    member = tarfile.TarInfo(name)
    member.size = len(payload)
    archive.addfile(member, io.BytesIO(payload))


def split_list(entries):
    return "".join(f"{name} {cls} {species} 1\n" for name, (cls, species, _) in entries.items())


@pytest.fixture
def archives(tmp_path):
    """`images.tar.gz` (gzip) and `annotations.tar.gz` (a plain tar, as the real one is)."""
    images_path, annotations_path = tmp_path / "images.tar.gz", tmp_path / "annotations.tar.gz"
    everything = {**TRAINVAL, **TEST}
    with tarfile.open(images_path, "w:gz") as archive:
        for index, (name, (_, _, size)) in enumerate(everything.items()):
            colour = (index * 20, 100, 200)
            # One photograph is a PNG named .jpg, and one is grey, as in the real archive.
            kind = "PNG" if name == "beagle_2" else "JPEG"
            image = photo(size, colour).convert("L" if name == "Abyssinian_2" else "RGB")
            add(archive, f"images/{name}.jpg", encode(image, kind))
        add(archive, "images/Abyssinian_100.mat", b"MATLAB 5.0 MAT-file")
    with tarfile.open(annotations_path, "w") as archive:
        header = "#Image CLASS-ID SPECIES BREED ID\n#ID: 1:37 Class ids\n"
        add(archive, "annotations/list.txt", (header + split_list(everything)).encode())
        add(archive, "annotations/trainval.txt", split_list(TRAINVAL).encode())
        add(archive, "annotations/test.txt", split_list(TEST).encode())
        add(archive, "annotations/README", b"OXFORD-IIIT PET Dataset")
        for name, (_, _, size) in everything.items():
            add(archive, f"annotations/trimaps/{name}.png", encode(trimap(size), "PNG"))
            add(archive, f"annotations/trimaps/._{name}.png", b"\x00\x05\x16\x07 Mac OS X")
            add(archive, f"annotations/xmls/{name}.xml", b"<annotation></annotation>")
    return images_path, annotations_path


def test_read_pets_returns_images_masks_and_breeds_in_list_order(archives):
    x_trainval, y_trainval, breeds, x_test, y_test, test_breeds = pets.read_pets(*archives, (8, 8))
    assert x_trainval.shape == (6, 8, 8, 3) and x_trainval.dtype == np.uint8
    assert y_trainval.shape == (6, 8, 8) and y_trainval.dtype == np.uint8
    assert x_test.shape == (2, 8, 8, 3) and y_test.shape == (2, 8, 8)
    np.testing.assert_array_equal(breeds, [0, 0, 0, 4, 4, 4])
    np.testing.assert_array_equal(test_breeds, [0, 4])
    # A one-colour photograph stays one colour; the grey one becomes RGB.
    # (JPEG is lossy: each value within a few levels.)
    np.testing.assert_allclose(x_trainval[0], np.broadcast_to([0, 100, 200], (8, 8, 3)), atol=3)
    assert (x_trainval[1] == x_trainval[1, :, :, :1]).all()


def test_masks_are_resized_with_nearest_neighbour_and_renumbered(archives):
    _, masks, *_ = pets.read_pets(*archives, (8, 8))
    assert set(np.unique(masks)) == {0, 1, 2}  # no value between two classes
    # A square photograph: the thirds of the trimap are the columns 0-2, 3-5, 6-7.
    square = masks[1]
    np.testing.assert_array_equal(square[:, :2], 0)  # trimap 2: background
    np.testing.assert_array_equal(square[:, 3:5], 1)  # trimap 1: pet
    np.testing.assert_array_equal(square[:, 6:], 2)  # trimap 3: border
    assert (square == square[:1]).all()  # every row the same


def test_load_pets_splits_caches_and_needs_the_archives_only_once(archives, tmp_path, monkeypatch):
    cache = tmp_path / "cache"
    monkeypatch.setenv("COURSEKIT_DATA", str(cache))
    serve(monkeypatch, archives)
    dataset = pets.load_pets(8)
    assert dataset.class_names == ("background", "pet", "border")
    assert len(dataset.x_train) + len(dataset.x_val) == 6 and len(dataset.x_test) == 2
    assert dataset.x_train.dtype == np.float32 and dataset.x_train.max() <= 1.0
    assert dataset.y_train.shape[1:] == (8, 8)
    assert (cache / "oxford-iiit-pet-8x8.npz").exists()
    for path in (*archives, cache / "images.tar.gz", cache / "annotations.tar.gz"):
        path.unlink()
    again = pets.load_pets(8, download=False)
    np.testing.assert_array_equal(again.y_test, dataset.y_test)


def test_a_listed_image_without_its_file_is_an_error(archives, tmp_path):
    images, annotations = archives
    with tarfile.open(annotations, "a") as archive:
        add(archive, "annotations/test.txt", b"Bombay_1 8 1 1\n")
    with pytest.raises(ValueError, match="missing"):
        pets.read_pets(images, annotations, (8, 8))


def test_a_trimap_value_other_than_1_2_3_is_an_error(archives):
    images, annotations = archives
    with tarfile.open(annotations, "a") as archive:
        bad = Image.fromarray(np.full((40, 40), 7, np.uint8), mode="L")
        add(archive, "annotations/trimaps/Abyssinian_9.png", encode(bad, "PNG"))
    with pytest.raises(ValueError, match=r"values \[7\]"):
        pets.read_pets(images, annotations, (8, 8))


def test_the_pinned_archives_name_a_size_and_a_sha256():
    for remote in (pets.PETS_IMAGES, pets.PETS_ANNOTATIONS):
        assert remote.url.startswith("https://") and remote.size > 10_000_000
        assert re.fullmatch("[0-9a-f]{64}", remote.sha256)


def serve(monkeypatch, archives):
    """Points the pinned archives at the local ones, with their real checksums."""
    for attribute, path in zip(("PETS_IMAGES", "PETS_ANNOTATIONS"), archives, strict=True):
        payload = path.read_bytes()
        remote = dataclasses.replace(
            getattr(pets, attribute),
            url=path.as_uri(),
            size=len(payload),
            sha256=hashlib.sha256(payload).hexdigest(),
        )
        monkeypatch.setattr(pets, attribute, remote)


@pytest.fixture
def offline(tmp_path, monkeypatch):
    """An empty cache, and a network that cannot be reached."""
    monkeypatch.setenv("COURSEKIT_DATA", str(tmp_path / "empty-cache"))
    real_fetch = pets.fetch

    def unreachable(url, timeout):
        raise OSError("network is unreachable")

    def fetch_offline(remote, download=True):
        return real_fetch(remote, download=download, opener=unreachable, progress=False)

    monkeypatch.setattr(pets, "fetch", fetch_offline)


def test_fast_uses_the_shapes_and_never_the_network(offline, capsys):
    dataset = segmentation.load_segmentation("pets", "fast")
    assert dataset.class_names == segmentation.SHAPES_CLASSES
    assert "uses the generated 'shapes'" in capsys.readouterr().out


def test_default_falls_back_to_the_shapes_when_pet_is_not_cached(offline, capsys):
    dataset = segmentation.load_segmentation("pets", "default")
    assert dataset.class_names == segmentation.SHAPES_CLASSES
    assert "not in the cache" in capsys.readouterr().out


def test_full_offline_raises_naming_the_offline_fallback(offline):
    with pytest.raises(DataUnavailableError, match=r"load_segmentation\('shapes', profile\)"):
        segmentation.load_segmentation("pets", "full")


def test_shapes_follow_the_profile_sizes():
    dataset = segmentation.load_segmentation("shapes", "fast")
    sizes = segmentation.SHAPES_SIZES["fast"]
    assert dataset.x_train.shape == (sizes.train, sizes.image_size, sizes.image_size, 3)
    assert (len(dataset.x_val), len(dataset.x_test)) == (sizes.val, sizes.test)
    assert dataset.y_train.dtype == np.uint8 and dataset.y_train.max() <= 3


def test_unknown_names_are_refused():
    with pytest.raises(ValueError, match="'shapes', 'pets'"):
        segmentation.load_segmentation("voc", "fast")
