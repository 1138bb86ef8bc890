"""PASCAL VOC 2007 parsing, caching and splits, and load_detection's profile rules,
offline, on a tiny archive in the real format."""

import dataclasses
import hashlib
import io
import tarfile

import numpy as np
import pytest
from PIL import Image

from coursekit.data import DataUnavailableError, load_detection, voc
from coursekit.data.download import verification_problem

ANNOTATION = """<annotation>
	<folder>VOC2007</folder>
	<filename>{name}.jpg</filename>
	<source><database>The VOC2007 Database</database></source>
	<size><width>{width}</width><height>{height}</height><depth>3</depth></size>
	<segmented>0</segmented>
{objects}</annotation>
"""
OBJECT = """	<object>
		<name>{label}</name>
		<pose>Unspecified</pose>
		<truncated>0</truncated>
		<difficult>{difficult}</difficult>
		<bndbox><xmin>{x_min}</xmin><ymin>{y_min}</ymin><xmax>{x_max}</xmax><ymax>{y_max}</ymax></bndbox>
	</object>
"""
# (name, width, height, objects as (label, difficult, xmin, ymin, xmax, ymax) in VOC's
# 1-based inclusive pixels). Both sets: image 000005 is in trainval, 000001 in test.
IMAGES = {
    "trainval": [
        ("000005", 100, 50, [("chair", 0, 1, 1, 50, 25), ("dog", 1, 51, 26, 100, 50)]),
        ("000007", 60, 80, [("person", 0, 11, 21, 40, 60)]),
        ("000009", 80, 80, [("tvmonitor", 0, 1, 1, 80, 80)]),
        ("000012", 40, 40, [("car", 0, 5, 5, 20, 20), ("car", 0, 21, 21, 40, 40)]),
        *((f"{index:06d}", 30, 30, [("cat", 0, 2, 2, 29, 29)]) for index in range(20, 26)),
    ],
    "test": [("000001", 50, 100, [("aeroplane", 0, 1, 51, 50, 100)])],
}


def add_file(archive, name, payload):
    member = tarfile.TarInfo(name)
    member.size = len(payload)
    archive.addfile(member, io.BytesIO(payload))


def jpeg(width, height, seed):
    # Left half dark, right half bright: the resize keeps the boundary in the middle.
    pixels = np.zeros((height, width, 3), np.uint8)
    pixels[:, width // 2 :] = 200 + seed
    output = io.BytesIO()
    Image.fromarray(pixels).save(output, format="JPEG", quality=95)
    return output.getvalue()


def voc_archive(path, image_set):
    root = "VOCdevkit/VOC2007"
    with tarfile.open(path, "w") as archive:
        names = [name for name, *_ in IMAGES[image_set]]
        add_file(
            archive, f"{root}/ImageSets/Main/{image_set}.txt", "\n".join(names).encode() + b"\n"
        )
        add_file(archive, f"{root}/ImageSets/Main/dog_{image_set}.txt", b"000005  1\n")
        for index, (name, width, height, objects) in enumerate(IMAGES[image_set]):
            text = "".join(
                OBJECT.format(label=label, difficult=hard, x_min=x0, y_min=y0, x_max=x1, y_max=y1)
                for label, hard, x0, y0, x1, y1 in objects
            )
            xml = ANNOTATION.format(name=name, width=width, height=height, objects=text)
            add_file(archive, f"{root}/Annotations/{name}.xml", xml.encode())
            add_file(archive, f"{root}/JPEGImages/{name}.jpg", jpeg(width, height, index))
    return path


@pytest.fixture
def archives(tmp_path):
    files = {"trainval": "VOCtrainval_06-Nov-2007.tar", "test": "VOCtest_06-Nov-2007.tar"}
    return {name: voc_archive(tmp_path / files[name], name) for name in IMAGES}


@pytest.fixture
def cache(tmp_path, monkeypatch):
    monkeypatch.setenv("COURSEKIT_DATA", str(tmp_path / "cache"))
    return tmp_path / "cache"


def serve(monkeypatch, attribute, path):
    payload = path.read_bytes()
    remote = dataclasses.replace(
        getattr(voc, attribute),
        url=path.as_uri(),
        size=len(payload),
        sha256=hashlib.sha256(payload).hexdigest(),
    )
    monkeypatch.setattr(voc, attribute, remote)


def test_read_voc_converts_inclusive_pixels_to_continuous_boxes_and_scales_them(archives):
    split = voc.read_voc(archives["trainval"], "trainval", 32)
    assert split.images.shape == (10, 32, 32, 3) and split.images.dtype == np.uint8
    # 000005 is 100 x 50: xmin = 1 is the left edge (0), xmax = 50 the end of pixel 50.
    np.testing.assert_allclose(split.boxes[0], [[0, 0, 16, 16], [16, 16, 32, 32]], atol=1e-5)
    assert [voc.VOC_CLASSES[label] for label in split.labels[0]] == ["chair", "dog"]
    np.testing.assert_array_equal(split.difficult[0], [False, True])
    np.testing.assert_allclose(split.boxes[1], [[5.333333, 8, 21.333334, 24]], atol=1e-5)
    assert split.boxes[0].dtype == np.float32 and split.labels[0].dtype == np.int64
    # The bright right half stays on the right after resizing.
    assert split.images[0, :, 28:].mean() > 150 > 50 > split.images[0, :, :4].mean()


def test_read_voc_rejects_an_unknown_class(tmp_path, monkeypatch):
    monkeypatch.setitem(IMAGES, "test", [("000001", 10, 10, [("unicorn", 0, 1, 1, 5, 5)])])
    with pytest.raises(ValueError, match="'unicorn'"):
        voc.read_voc(voc_archive(tmp_path / "bad.tar", "test"), "test", 16)


def test_load_voc_downloads_verifies_caches_and_splits(cache, monkeypatch, archives):
    for attribute, image_set in (("VOC2007_TRAINVAL", "trainval"), ("VOC2007_TEST", "test")):
        serve(monkeypatch, attribute, archives[image_set])
    dataset = voc.load_voc(32)
    assert verification_problem(cache / "VOCtrainval_06-Nov-2007.tar", voc.VOC2007_TRAINVAL) is None
    assert (cache / "voc2007-32.npz").exists()
    assert (len(dataset.train), len(dataset.val), len(dataset.test)) == (9, 1, 1)
    assert dataset.train.images.dtype == np.float32 and dataset.train.images.max() <= 1.0
    assert dataset.class_names == voc.VOC_CLASSES and dataset.num_classes == 20
    # The decoded cache gives the same arrays without the archives.
    for path in archives.values():
        path.unlink()
    again = voc.load_voc(32, download=False)
    np.testing.assert_array_equal(again.train.images, dataset.train.images)
    for first, second in zip(again.train.boxes, dataset.train.boxes, strict=True):
        np.testing.assert_array_equal(first, second)
    np.testing.assert_array_equal(again.test.labels[0], [voc.VOC_CLASSES.index("aeroplane")])
    assert len(voc.load_voc(32, download=False, max_train_samples=2).train) == 2


def test_load_detection_follows_the_profile_rules(cache, monkeypatch, capsys):
    fast = load_detection("voc", "fast")
    assert "fast profile uses the generated 'shapes'" in capsys.readouterr().out
    assert fast.class_names == ("square", "circle", "triangle") and len(fast.train) == 800
    # default: VOC only from the cache, else the shapes with a note.
    default = load_detection("voc", "default")
    assert "not in the cache" in capsys.readouterr().out and len(default.train) == 2000
    # full: downloads, and a failed download stops with the shapes as the advice.
    monkeypatch.setattr(
        voc,
        "VOC2007_TRAINVAL",
        dataclasses.replace(voc.VOC2007_TRAINVAL, url="file:///nowhere.tar"),
    )
    with pytest.raises(DataUnavailableError, match=r"load_detection\('shapes', profile\)"):
        load_detection("voc", "full")
    with pytest.raises(ValueError, match="name='coco'"):
        load_detection("coco", "fast")


def test_shapes_splits_are_fixed_and_distinct():
    dataset = load_detection("shapes", "fast")
    again = load_detection("shapes", "fast")
    np.testing.assert_array_equal(dataset.test.images, again.test.images)
    assert not np.array_equal(dataset.train.images[:10], dataset.val.images[:10])
    assert (len(dataset.val), len(dataset.test)) == (200, 300)
    truth = dataset.test.ground_truth()
    assert len(truth) == 300 and truth[0][0].shape[1] == 4
    subset = dataset.test.subset([2, 0])
    np.testing.assert_array_equal(subset.boxes[1], dataset.test.boxes[0])
