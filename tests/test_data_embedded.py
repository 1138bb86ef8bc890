"""Embedded datasets: documented shapes, dtypes and ranges; fixed, disjoint, stratified splits."""

import numpy as np
import pytest

from coursekit import data


@pytest.fixture(scope="module", params=["digits", "faces"])
def dataset(request):
    return {"digits": data.load_digits, "faces": data.load_faces}[request.param]()


def test_images_are_float32_in_unit_range_and_labels_int64(dataset):
    for images, labels in [
        (dataset.x_train, dataset.y_train),
        (dataset.x_val, dataset.y_val),
        (dataset.x_test, dataset.y_test),
    ]:
        assert images.dtype == np.float32 and images.ndim == 4 and images.shape[-1] == 1
        assert images.min() >= 0.0 and images.max() <= 1.0
        assert labels.dtype == np.int64 and len(labels) == len(images)
        assert set(np.unique(labels)) == set(range(dataset.num_classes))


def test_splits_are_disjoint_and_cover_every_example(dataset):
    rows = [images.reshape(len(images), -1) for images in (dataset.x_train, dataset.x_val)]
    train, val = ({row.tobytes() for row in part} for part in rows)
    test = {row.tobytes() for row in dataset.x_test.reshape(len(dataset.x_test), -1)}
    assert not (train & val) and not (train & test) and not (val & test)


def test_splits_are_stratified(dataset):
    train_share = np.bincount(dataset.y_train) / len(dataset.y_train)
    test_share = np.bincount(dataset.y_test) / len(dataset.y_test)
    np.testing.assert_allclose(train_share, test_share, atol=0.02)


def test_the_split_is_the_same_on_every_call():
    first, second = data.load_digits(), data.load_digits()
    np.testing.assert_array_equal(first.y_train, second.y_train)
    np.testing.assert_array_equal(first.x_test, second.x_test)


def test_digits_sizes_and_resizing():
    digits = data.load_digits(image_size=(12, 20))
    assert len(digits.x_train) + len(digits.x_val) + len(digits.x_test) == 1797
    assert digits.image_shape == (12, 20, 1)


def test_faces_are_labelled_one():
    faces = data.load_faces()
    assert faces.class_names == ("non-face", "face")
    assert np.bincount(faces.y_train).tolist() == [70, 70]


def test_sample_images_are_rgb_in_unit_range():
    photos = data.sample_images()
    assert set(photos) >= {"astronaut", "camera", "chelsea"}
    for image in photos.values():
        assert image.dtype == np.float32 and image.ndim == 3 and image.shape[-1] == 3
        assert image.min() >= 0.0 and image.max() <= 1.0


@pytest.mark.parametrize("image_size", [0, -3, 2.5, (8,), (8, 0), "32", True])
def test_bad_image_size_says_what_was_received(image_size):
    with pytest.raises(ValueError, match="Received: image_size="):
        data.load_digits(image_size=image_size)
