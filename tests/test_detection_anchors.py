"""coursekit.detection anchors: the grid, encoding against Keras's encode_box_to_deltas
and decode_deltas_to_boxes, and the matching rule on worked examples."""

import numpy as np
import pytest
from keras.utils import bounding_boxes

from coursekit.detection import (
    BACKGROUND,
    IGNORED,
    convert_boxes,
    decode_boxes,
    encode_boxes,
    generate_anchors,
    iou,
    match_anchors,
)
from tests.test_detection_boxes import random_boxes


@pytest.mark.parametrize(
    ("feature_size", "image_size", "scales", "ratios"),
    [(4, 64, [16], [1.0]), ((3, 5), (48, 80), [8, 20], [0.5, 1.0, 2.0]), (1, 30, [10, 30], [3.0])],
)
def test_anchor_grid_centres_sizes_and_order(feature_size, image_size, scales, ratios):
    anchors = generate_anchors(feature_size, image_size, scales, ratios)
    rows, cols = (feature_size, feature_size) if np.isscalar(feature_size) else feature_size
    height, width = (image_size, image_size) if np.isscalar(image_size) else image_size
    per_cell = len(scales) * len(ratios)
    assert anchors.shape == (rows * cols * per_cell, 4)
    centres = convert_boxes(anchors, "xyxy", "center_xywh").reshape(rows, cols, per_cell, 4)
    # Centres: half a stride into each cell, the same for every anchor of a cell.
    np.testing.assert_allclose(centres[:, 0, 0, 1], (np.arange(rows) + 0.5) * height / rows)
    np.testing.assert_allclose(centres[0, :, 0, 0], (np.arange(cols) + 0.5) * width / cols)
    # Sizes: scale s and ratio r give width / height = r and area s**2, ratios fastest.
    sizes = centres[0, 0, :, 2:]
    expected_ratios = np.tile(ratios, len(scales))
    expected_areas = np.repeat(np.square(scales), len(ratios))
    np.testing.assert_allclose(sizes[:, 0] / sizes[:, 1], expected_ratios)
    np.testing.assert_allclose(sizes[:, 0] * sizes[:, 1], expected_areas)
    np.testing.assert_allclose(centres[..., 2:], np.broadcast_to(sizes, centres[..., 2:].shape))


def test_generate_anchors_rejects_bad_sizes():
    with pytest.raises(ValueError, match="scales"):
        generate_anchors(2, 32, [], [1.0])
    with pytest.raises(ValueError, match="aspect_ratios"):
        generate_anchors(2, 32, [8], [0.0])
    with pytest.raises(ValueError, match="feature_size"):
        generate_anchors(0, 32, [8], [1.0])


def random_pairs(seed, count=40):
    rng = np.random.default_rng(seed)
    boxes = random_boxes(rng, count, high=100) + np.array([0, 0, 1, 1])  # positive sizes
    anchors = random_boxes(rng, count, high=100) + np.array([0, 0, 1, 1])
    return boxes, anchors


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_encode_boxes_matches_keras_encode_box_to_deltas(seed):
    boxes, anchors = random_pairs(seed)
    got = encode_boxes(boxes, anchors)
    # Keras converts to float32; "center_xywh" orders the deltas (t_x, t_y, t_w, t_h).
    expected = bounding_boxes.encode_box_to_deltas(
        anchors, boxes, anchor_format="xyxy", box_format="xyxy", encoding_format="center_xywh"
    )
    np.testing.assert_allclose(got, np.asarray(expected), rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_decode_boxes_matches_keras_and_inverts_encode_boxes(seed):
    boxes, anchors = random_pairs(seed)
    deltas = encode_boxes(boxes, anchors)
    np.testing.assert_allclose(decode_boxes(deltas, anchors), boxes, rtol=0, atol=1e-10)
    expected = bounding_boxes.decode_deltas_to_boxes(  # in float32
        anchors.astype("float32"),
        deltas.astype("float32"),
        anchor_format="xyxy",
        box_format="xyxy",
        encoded_format="center_xywh",
    )
    np.testing.assert_allclose(decode_boxes(deltas, anchors), np.asarray(expected), atol=1e-3)


def test_encoding_of_a_worked_example():
    # Anchor centred at (10, 10), 20 x 20; box centred at (17, 20), 10 x 20.
    deltas = encode_boxes([[12, 10, 22, 30]], [[0, 0, 20, 20]])
    np.testing.assert_allclose(deltas, [[7 / 20, 10 / 20, np.log(0.5), 0.0]])
    # Halving and doubling the size are symmetric in log space.
    doubled = encode_boxes([[-10, -10, 30, 30]], [[0, 0, 20, 20]])
    np.testing.assert_allclose(doubled[0, 2:], -deltas[0, 2] * np.ones(2))


def test_encoding_needs_positive_sizes_and_pairs():
    with pytest.raises(ValueError, match="positive widths"):
        encode_boxes([[0, 0, 0, 1]], [[0, 0, 1, 1]])
    with pytest.raises(ValueError, match="one anchor per box"):
        encode_boxes([[0, 0, 1, 1]], [[0, 0, 1, 1]] * 2)


def test_match_anchors_worked_example():
    anchors = np.array(
        [
            [0, 0, 10, 10],  # IoU 0.82 with box 0: positive
            [5, 0, 15, 10],  # IoU 0.43 with box 0: between the thresholds, ignored
            [20, 0, 30, 10],  # touches nothing: background
            [40, 0, 50, 10],  # IoU 0.18 with box 1, but box 1's best anchor: claimed
            [60, 0, 70, 10],  # nothing
        ],
        dtype=float,
    )
    truth = np.array([[1, 0, 11, 10], [33, 0, 43, 10]], dtype=float)
    np.testing.assert_array_equal(
        match_anchors(anchors, truth), [0, IGNORED, BACKGROUND, 1, BACKGROUND]
    )
    # Thresholds move anchors between the three groups.
    np.testing.assert_array_equal(match_anchors(anchors, truth, 0.4, 0.4)[:2], [0, 0])
    np.testing.assert_array_equal(match_anchors(anchors, truth, 0.9, 0.1)[:2], [0, IGNORED])
    np.testing.assert_array_equal(match_anchors(anchors, np.zeros((0, 4))), [BACKGROUND] * 5)


def test_every_box_claims_its_best_anchor_the_best_box_first():
    # Anchor 0 overlaps box 0 by 0.43 (ignored by rule 3) and box 1 by 0.05; it is
    # the only anchor box 1 overlaps, so box 1 claims it.
    anchors = np.array([[0, 0, 10, 10], [3, 0, 13, 10]], dtype=float)
    truth = np.array([[4, 0, 14, 10], [-9, 0, 1, 10]], dtype=float)
    np.testing.assert_array_equal(match_anchors(anchors, truth), [1, 0])
    # Two boxes with the same best anchor: the box with the higher IoU gets it.
    truth = np.array([[5, 0, 15, 10], [0, 0, 10, 10]], dtype=float)
    np.testing.assert_array_equal(match_anchors(anchors[:1], truth), [1])


@pytest.mark.parametrize("seed", range(5))
def test_match_anchors_rules_hold_on_random_scenes(seed):
    rng = np.random.default_rng(seed)
    anchors = generate_anchors(8, 64, [12, 24], [0.5, 1.0, 2.0])
    truth = random_boxes(rng, int(rng.integers(1, 6)), high=64) + np.array([0, 0, 4, 4])
    matches = match_anchors(anchors, truth, 0.5, 0.4)
    overlaps = iou(anchors, truth)
    best = overlaps.max(axis=1)
    forced = {int(overlaps[:, box].argmax()) for box in range(len(truth))}
    for anchor, match in enumerate(matches):
        if anchor in forced:
            continue
        if best[anchor] >= 0.5:
            assert match == overlaps[anchor].argmax()
        else:
            assert match == (BACKGROUND if best[anchor] < 0.4 else IGNORED)
    # Every box that overlaps an anchor has at least one anchor, unless two boxes
    # share their best anchor.
    best_anchors = overlaps.argmax(axis=0)
    for box in range(len(truth)):
        shared = (best_anchors == best_anchors[box]).sum() > 1
        assert shared or box in matches
