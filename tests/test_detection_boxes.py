"""coursekit.detection boxes: formats and IoU against Keras's bounding-box utilities,
non-maximum suppression against tf.image.non_max_suppression."""

import itertools

import numpy as np
import pytest
import tensorflow as tf
from keras.utils import bounding_boxes

from coursekit.detection import BOX_FORMATS, box_area, convert_boxes, iou, non_max_suppression


def random_boxes(rng, count, low=0, high=20, integer=False):
    """`count` valid "xyxy" boxes; integer corners make every IoU a ratio of small ints."""
    if integer:
        corners = rng.integers(low, high + 1, size=(count, 2, 2)).astype(np.float64)
    else:
        corners = rng.uniform(low, high, size=(count, 2, 2))
    corners.sort(axis=1)
    return corners.transpose(0, 2, 1).reshape(count, 4)[:, [0, 2, 1, 3]]


@pytest.mark.parametrize(("source", "target"), list(itertools.permutations(BOX_FORMATS, 2)))
def test_convert_boxes_matches_keras_convert_format(source, target):
    boxes = convert_boxes(random_boxes(np.random.default_rng(0), 50), "xyxy", source)
    expected = bounding_boxes.convert_format(boxes, source, target, dtype="float64")
    np.testing.assert_allclose(convert_boxes(boxes, source, target), expected, rtol=0, atol=1e-12)


@pytest.mark.parametrize("source", BOX_FORMATS)
def test_convert_boxes_round_trips_and_keeps_batch_axes(source):
    boxes = random_boxes(np.random.default_rng(1), 12).reshape(3, 4, 4)
    there = convert_boxes(boxes, "xyxy", source)
    assert there.shape == (3, 4, 4)
    np.testing.assert_allclose(convert_boxes(there, source, "xyxy"), boxes, atol=1e-12)


def test_convert_boxes_names_the_wrong_format():
    with pytest.raises(ValueError, match=r"target='yxyx'"):
        convert_boxes([[0, 0, 1, 1]], "xyxy", "yxyx")


@pytest.mark.parametrize(("count_a", "count_b", "seed"), [(2, 3, 0), (7, 5, 1), (30, 40, 2)])
def test_iou_matches_keras_compute_iou(count_a, count_b, seed):
    rng = np.random.default_rng(seed)
    boxes_a, boxes_b = random_boxes(rng, count_a), random_boxes(rng, count_b)
    got = iou(boxes_a, boxes_b)
    # Keras computes in float32 and adds 1e-7 to the union.
    expected = np.asarray(bounding_boxes.compute_iou(boxes_a, boxes_b, "xyxy"))
    assert got.shape == (count_a, count_b) and got.dtype == np.float64
    np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-6)
    assert (got == 0).any() and (got > 0).any()  # both disjoint and overlapping pairs


def test_iou_of_hand_worked_pairs():
    box = [0, 0, 4, 4]
    others = [
        [2, 0, 6, 4],  # half overlaps: 8 / 24
        [0, 0, 4, 4],  # the same box
        [1, 1, 3, 3],  # inside: 4 / 16
        [4, 0, 8, 4],  # touching edges
        [5, 0, 9, 4],  # apart along x only: an unclamped width is negative
        [6, 6, 9, 9],  # apart along both axes: two negative sides multiply to a positive
    ]
    np.testing.assert_allclose(iou([box], others)[0], [1 / 3, 1, 1 / 4, 0, 0, 0], atol=1e-15)


def test_iou_of_degenerate_boxes_is_zero_and_symmetric():
    boxes = [[0, 0, 0, 5], [1, 1, 1, 1], [0, 0, 2, 2]]
    overlaps = iou(boxes, boxes)
    np.testing.assert_array_equal(overlaps, [[0, 0, 0], [0, 0, 0], [0, 0, 1]])
    rng = np.random.default_rng(3)
    a, b = random_boxes(rng, 6), random_boxes(rng, 9)
    np.testing.assert_array_equal(iou(a, b), iou(b, a).T)
    np.testing.assert_array_equal(box_area(boxes), [0, 0, 4])


def test_iou_accepts_empty_sets():
    assert iou(np.zeros((0, 4)), [[0, 0, 1, 1]]).shape == (0, 1)
    assert iou([[0, 0, 1, 1]], []).shape == (1, 0)


@pytest.mark.parametrize(
    ("boxes", "message"),
    [
        ([[0, 0, 1]], r"shape \(num_boxes, 4\)"),
        ([[2, 0, 1, 1]], "x_max >= x_min"),
        ([[0, 0, np.nan, 1]], "finite"),
    ],
)
def test_iou_rejects_malformed_boxes(boxes, message):
    with pytest.raises(ValueError, match=message):
        iou(boxes, [[0, 0, 1, 1]])


def tf_nms(boxes, scores, iou_threshold, max_outputs, score_threshold):
    yxyx = np.asarray(boxes, np.float32)[:, [1, 0, 3, 2]]
    return tf.image.non_max_suppression(
        yxyx,
        np.asarray(scores, np.float32),
        max_output_size=len(boxes) if max_outputs is None else max_outputs,
        iou_threshold=iou_threshold,
        score_threshold=float("-inf") if score_threshold is None else score_threshold,
    ).numpy()


NMS_SETTINGS = list(
    itertools.product((0.0, 0.25, 0.5, 0.75, 1.0), (None, 0, 1, 3), (None, 0.25, 0.5))
)


@pytest.mark.parametrize(("iou_threshold", "max_outputs", "score_threshold"), NMS_SETTINGS)
def test_non_max_suppression_matches_tensorflow(iou_threshold, max_outputs, score_threshold):
    rng = np.random.default_rng(int(iou_threshold * 100) + 7 * (max_outputs or 0))
    for count in (1, 2, 5, 12, 30):
        # Integer corners: IoUs are ratios of small ints, so exact ties with the
        # threshold occur and float32 (TensorFlow) and float64 agree on them.
        # Scores in sixteenths: exact in float32, with many ties.
        boxes = random_boxes(rng, count, high=12, integer=True)
        scores = rng.integers(0, 16, size=count) / 16
        got = non_max_suppression(boxes, scores, iou_threshold, max_outputs, score_threshold)
        expected = tf_nms(boxes, scores, iou_threshold, max_outputs, score_threshold)
        assert got.dtype == np.int64
        np.testing.assert_array_equal(got, expected, err_msg=f"{boxes}, {scores}")


def test_non_max_suppression_rules_tensorflow_documents():
    # IoU of the two boxes is exactly 0.5: suppression needs IoU > threshold.
    pair = [[0, 0, 3, 1], [1, 0, 4, 1]]
    assert non_max_suppression(pair, [0.9, 0.8], 0.5).tolist() == [0, 1]
    assert non_max_suppression(pair, [0.9, 0.8], 0.49).tolist() == [0]
    # Equal scores: the lower index is kept.
    assert non_max_suppression([[0, 0, 1, 1]] * 3, [0.5] * 3).tolist() == [0]
    assert non_max_suppression([[0, 0, 1, 1], [2, 2, 3, 3]], [0.5, 0.5]).tolist() == [0, 1]
    # Scores must exceed the score threshold.
    assert non_max_suppression(pair, [0.5, 0.4], 0.0, score_threshold=0.4).tolist() == [0]
    assert non_max_suppression(np.zeros((0, 4)), []).tolist() == []


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"iou_threshold": 1.5}, r"iou_threshold=1.5"),
        ({"max_outputs": -1}, r"max_outputs=-1"),
        ({"scores": [0.5]}, r"shape \(2,\)"),
    ],
)
def test_non_max_suppression_rejects_bad_arguments(kwargs, message):
    arguments = {"boxes": [[0, 0, 1, 1], [0, 0, 2, 2]], "scores": [0.5, 0.4], **kwargs}
    with pytest.raises(ValueError, match=message):
        non_max_suppression(**arguments)
