"""`make_shapes`: generated detection and segmentation data, the same on every machine."""

import numpy as np
import pytest

from coursekit.data import make_shapes
from coursekit.data.shapes import MAX_OVERLAP_IOU, SHAPE_NAMES


@pytest.fixture(scope="module")
def shapes():
    return make_shapes(200, image_size=48, max_objects=4, seed=3)


def test_same_seed_same_data_other_seed_other_data(shapes):
    again = make_shapes(200, image_size=48, max_objects=4, seed=3)
    other = make_shapes(200, image_size=48, max_objects=4, seed=4)
    assert np.array_equal(shapes.images, again.images)
    assert all(np.array_equal(a, b) for a, b in zip(shapes.boxes, again.boxes, strict=True))
    assert not np.array_equal(shapes.images, other.images)


def test_arrays_have_the_documented_shapes_types_and_ranges(shapes):
    images, boxes, labels, masks = shapes
    assert images.shape == (200, 48, 48, 3) and images.dtype == np.float32
    assert images.min() >= 0.0 and images.max() <= 1.0
    assert masks.shape == (200, 48, 48) and masks.dtype == np.uint8
    counts = [len(image_labels) for image_labels in labels]
    assert min(counts) >= 1 and max(counts) == 4
    for image_boxes, image_labels in zip(boxes, labels, strict=True):
        assert image_boxes.dtype == np.float32 and image_boxes.shape == (len(image_labels), 4)
        assert image_labels.dtype == np.int64
        assert np.all((image_labels >= 0) & (image_labels < len(SHAPE_NAMES)))
        assert np.all(image_boxes[:, :2] >= 0) and np.all(image_boxes[:, 2:] <= 48)
        assert np.all(image_boxes[:, 2:] > image_boxes[:, :2])
    assert set(np.unique(np.concatenate(labels))) == {0, 1, 2}


def test_each_box_holds_its_shape_and_the_mask_labels_it(shapes):
    _, boxes, labels, masks = shapes
    for mask, image_boxes, image_labels in zip(masks, boxes, labels, strict=True):
        covered = np.zeros(mask.shape, bool)
        for index, (box, label) in enumerate(
            zip(image_boxes.astype(int), image_labels, strict=True)
        ):
            x_min, y_min, x_max, y_max = box
            inside = mask[y_min:y_max, x_min:x_max] == label + 1
            # Later shapes may hide part of this one, but never most of it.
            assert inside.sum() > 0.25 * (x_max - x_min) * (y_max - y_min)
            covered[y_min:y_max, x_min:x_max] = True
            if not any(_intersect(box, later) for later in image_boxes[index + 1 :]):
                rows, cols = np.nonzero(inside)  # a whole shape spans its box
                assert rows.max() == y_max - y_min - 1 and rows.min() <= 1
                assert cols.min() == 0 and cols.max() == x_max - x_min - 1
        assert not np.any(mask[~covered])  # no labelled pixel outside every box


def _intersect(a, b):
    return min(a[2], b[2]) > max(a[0], b[0]) and min(a[3], b[3]) > max(a[1], b[1])


def test_shapes_overlap_little_and_stand_out_from_the_background(shapes):
    images, boxes, _, masks = shapes
    for image_boxes in boxes:
        for i in range(len(image_boxes)):
            for j in range(i):
                a, b = image_boxes[i], image_boxes[j]
                width = max(0, min(a[2], b[2]) - max(a[0], b[0]))
                height = max(0, min(a[3], b[3]) - max(a[1], b[1]))
                union = np.prod(a[2:] - a[:2]) + np.prod(b[2:] - b[:2]) - width * height
                assert width * height / union <= MAX_OVERLAP_IOU + 1e-6
    foreground = images[masks > 0].mean(axis=0)
    background = images[masks == 0].mean(axis=0)
    assert np.abs(foreground - background).sum() > 0.3


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ({"num_images": -1}, "Received: num_images=-1"),
        ({"num_images": 2, "image_size": 8}, "Received: image_size=8"),
        ({"num_images": 2, "max_objects": 0}, "Received: max_objects=0"),
    ],
)
def test_bad_arguments_are_refused_with_what_was_received(arguments, message):
    with pytest.raises(ValueError, match=message):
        make_shapes(**arguments)
