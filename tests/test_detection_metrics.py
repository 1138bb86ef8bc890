"""coursekit.detection average precision: the three definitions on a worked example,
against the VOC development kit's loops (written out here) and against pycocotools."""

import contextlib
import io

import numpy as np
import pytest
from pycocotools.coco import COCO
from pycocotools.cocoeval import COCOeval

from coursekit.detection import (
    average_precision,
    convert_boxes,
    match_detections,
    mean_average_precision,
    precision_recall,
)
from tests.test_detection_boxes import random_boxes


def test_the_three_definitions_on_the_worked_example():
    # Four detections, three objects: hit, hit, miss, hit.
    scores, hits = [0.9, 0.8, 0.7, 0.6], [True, True, False, True]
    assert average_precision(scores, hits, 3, "voc") == pytest.approx(11 / 12, abs=1e-15)
    assert average_precision(scores, hits, 3, "voc07") == pytest.approx(10 / 11, abs=1e-15)
    assert average_precision(scores, hits, 3, "coco") == pytest.approx(92.5 / 101, abs=1e-15)


def voc_devkit_ap(precision, recall):
    """VOCap from the VOC 2010+ development kit: sentinels, the envelope, the area."""
    mrec = [0.0, *recall, 1.0]
    mpre = [0.0, *precision, 0.0]
    for i in range(len(mpre) - 2, -1, -1):
        mpre[i] = max(mpre[i], mpre[i + 1])
    return sum(
        (mrec[i + 1] - mrec[i]) * mpre[i + 1]
        for i in range(len(mrec) - 1)
        if mrec[i + 1] != mrec[i]
    )


def voc07_devkit_ap(precision, recall, points=11):
    """The VOC 2007 development kit's loop: the best precision at recall >= t, averaged."""
    total = 0.0
    for k in range(points):
        t = k / (points - 1)
        reached = [p for p, r in zip(precision, recall, strict=True) if r >= t]
        total += max(reached) if reached else 0.0
    return total / points


@pytest.mark.parametrize("seed", range(20))
def test_average_precision_matches_the_devkit_loops(seed):
    rng = np.random.default_rng(seed)
    count = int(rng.integers(1, 40))
    hits = rng.random(count) < rng.uniform(0.2, 0.9)
    num_ground_truth = int(hits.sum()) + int(rng.integers(0, 5)) or 1
    scores = rng.permutation(count).astype(float)  # distinct
    order = np.argsort(-scores)
    hits_in_order = hits[order]
    true_positives = np.cumsum(hits_in_order)
    precision = true_positives / np.arange(1, count + 1)
    recall = true_positives / num_ground_truth
    for method, expected in [
        ("voc", voc_devkit_ap(precision, recall)),
        ("voc07", voc07_devkit_ap(precision, recall, 11)),
        ("coco", voc07_devkit_ap(precision, recall, 101)),
    ]:
        got = average_precision(scores, hits, num_ground_truth, method)
        assert isinstance(got, float)
        assert got == pytest.approx(expected, abs=1e-12), method


def test_the_envelope_and_the_points_change_the_answer():
    # Recall jumps to 1 after a false positive; precision then rises again.
    scores, hits = [5, 4, 3, 2], [True, False, False, True]
    precision, recall = precision_recall(scores, hits, 2)
    np.testing.assert_allclose(precision, [1, 0.5, 1 / 3, 0.5])
    np.testing.assert_allclose(recall, [0.5, 0.5, 0.5, 1])
    # All-point: 0.5 * 1 + 0.5 * 0.5 (the envelope lifts the false positives' dip).
    assert average_precision(scores, hits, 2, "voc") == pytest.approx(0.75)
    # 11-point: t = 0..0.5 read 1 (6 points), t = 0.6..1 read 0.5 (5 points).
    assert average_precision(scores, hits, 2, "voc07") == pytest.approx(8.5 / 11)
    # 101-point: 51 points read 1, 50 read 0.5.
    assert average_precision(scores, hits, 2, "coco") == pytest.approx(76 / 101)


def test_ties_keep_the_given_order_and_edge_cases():
    assert average_precision([0.5, 0.5], [False, True], 1) == pytest.approx(0.5)
    assert average_precision([0.5, 0.5], [True, False], 1) == pytest.approx(1.0)
    for method in ("voc", "voc07", "coco"):
        assert average_precision([], [], 4, method) == 0.0
    with pytest.raises(ValueError, match="num_ground_truth=0"):
        average_precision([0.5], [False], 0)
    with pytest.raises(ValueError, match="More true positives"):
        average_precision([0.5, 0.4], [True, True], 1)
    with pytest.raises(ValueError, match="method='voc2012'"):
        average_precision([0.5], [True], 1, "voc2012")


def test_matching_counts_a_second_detection_as_false_and_takes_the_best_free_box():
    truth = [([[0, 0, 10, 10], [8, 0, 18, 10]], [0, 0])]
    detections = [
        (
            [[0, 0, 10, 10], [1, 0, 11, 10], [6, 0, 16, 10], [50, 50, 60, 60]],
            [0.9, 0.8, 0.7, 0.95],
            [0, 0, 0, 0],
        )
    ]
    scores, hits, count = match_detections(detections, truth)[0]
    # In score order: 0.95 (nothing), 0.9 (box 0), 0.8 (its best box 0 is taken; box 1
    # overlaps it by 0.18 only: false), 0.7 (box 0 taken, box 1 at IoU 0.67: true).
    np.testing.assert_array_equal(scores, [0.95, 0.9, 0.8, 0.7])
    np.testing.assert_array_equal(hits, [False, True, False, True])
    assert count == 2


def test_classes_without_ground_truth_are_left_out_and_missing_ones_score_zero():
    truth = [([[0, 0, 10, 10]], [0]), ([[0, 0, 10, 10]], [2])]
    detections = [([[0, 0, 10, 10]], [0.9], [0]), ([[20, 20, 30, 30]], [0.9], [1])]
    # Class 0: AP 1; class 1: no objects, left out; class 2: objects, no detections: 0.
    assert mean_average_precision(detections, truth) == pytest.approx(0.5)
    with pytest.raises(ValueError, match="No class has a ground-truth box"):
        mean_average_precision([([[0, 0, 1, 1]], [0.5], [0])], [(np.zeros((0, 4)), [])])
    with pytest.raises(ValueError, match="1 images of detections and 2"):
        mean_average_precision(detections[:1], truth)


def generated_scene(seed, num_images=12, num_classes=3):
    """Ground truth and noisy detections: jittered hits, duplicates and clutter."""
    rng = np.random.default_rng(seed)
    truth, detections = [], []
    for _ in range(num_images):
        count = int(rng.integers(0, 6))
        boxes = random_boxes(rng, count, high=90) + np.array([0, 0, 8, 8])
        labels = rng.integers(0, num_classes, size=count)
        truth.append((boxes, labels))
        found = boxes[rng.random(count) < 0.8]
        jitter = rng.normal(0, 3, size=(len(found), 4))
        duplicates = found[: int(rng.integers(0, len(found) + 1))] + rng.normal(0, 2, (1, 4))
        clutter = random_boxes(rng, int(rng.integers(0, 4)), high=90) + np.array([0, 0, 5, 5])
        det_boxes = np.concatenate([found + jitter, duplicates, clutter])
        det_boxes[:, 2:] = np.maximum(det_boxes[:, 2:], det_boxes[:, :2] + 1)
        det_labels = np.concatenate(
            [
                labels[: len(found)],
                labels[: len(duplicates)],
                rng.integers(0, num_classes, len(clutter)),
            ]
        )
        # A wrong class now and then.
        det_labels = np.where(
            rng.random(len(det_labels)) < 0.1, (det_labels + 1) % num_classes, det_labels
        )
        detections.append((det_boxes, rng.random(len(det_boxes)), det_labels))
    return detections, truth


def pycocotools_precision(detections, truth, exact_recall_thresholds=True):
    """COCOeval's precision array `[T, R, K, A, M]` and its parameters, for "bbox".

    pycocotools makes its recall thresholds with `np.linspace(0, 1, 101)`, which
    puts some of them one rounding step above k / 100 (0.7000000000000001; see
    open-mmlab/cocoapi issue 20). `exact_recall_thresholds` rounds them to k / 100,
    the thresholds COCO defines and `average_precision` uses.
    """
    images = [{"id": index + 1} for index in range(len(truth))]
    annotations = []
    for index, (boxes, labels) in enumerate(truth):
        for box, label in zip(boxes, labels, strict=True):
            annotations.append(
                {
                    "id": len(annotations) + 1,
                    "image_id": index + 1,
                    "category_id": int(label) + 1,
                    "bbox": convert_boxes(box[None], "xyxy", "xywh")[0].tolist(),
                    "area": float((box[2] - box[0]) * (box[3] - box[1])),
                    "iscrowd": 0,
                }
            )
    categories = [{"id": k + 1} for k in range(3)]
    results = [
        {
            "image_id": index + 1,
            "category_id": int(label) + 1,
            "bbox": convert_boxes(box[None], "xyxy", "xywh")[0].tolist(),
            "score": float(score),
        }
        for index, (boxes, scores, labels) in enumerate(detections)
        for box, score, label in zip(boxes, scores, labels, strict=True)
    ]
    with contextlib.redirect_stdout(io.StringIO()):
        ground = COCO()
        ground.dataset = {"images": images, "annotations": annotations, "categories": categories}
        ground.createIndex()
        evaluation = COCOeval(ground, ground.loadRes(results), "bbox")
        if exact_recall_thresholds:
            evaluation.params.recThrs = np.round(evaluation.params.recThrs, 2)
        evaluation.evaluate()
        evaluation.accumulate()
    return evaluation.eval["precision"], evaluation.params


@pytest.mark.parametrize("seed", range(4))
def test_coco_method_matches_pycocotools(seed):
    detections, truth = generated_scene(seed)
    precision, params = pycocotools_precision(detections, truth)
    all_areas, hundred_detections = 0, params.maxDets.index(100)
    per_threshold = []
    for t, threshold in enumerate(params.iouThrs):
        table = precision[t, :, :, all_areas, hundred_detections]  # recall points x classes
        coco_aps = {k: table[:, k].mean() for k in range(table.shape[1]) if table[0, k] > -1}
        matched = match_detections(detections, truth, threshold)
        ours = {
            label: average_precision(*entry, "coco") for label, entry in matched.items() if entry[2]
        }
        assert ours.keys() == coco_aps.keys()
        for label, value in ours.items():
            assert value == pytest.approx(coco_aps[label], abs=1e-12), (threshold, label)
        per_threshold.append(np.mean(list(coco_aps.values())))
        mean = mean_average_precision(detections, truth, threshold, "coco")
        assert mean == pytest.approx(per_threshold[-1], abs=1e-12)
    # COCO's AP: the mean over the IoU thresholds 0.5, 0.55, ..., 0.95.
    averaged = mean_average_precision(detections, truth, params.iouThrs, "coco")
    assert averaged == pytest.approx(np.mean(per_threshold), abs=1e-12)
    assert 0.05 < averaged < 0.95  # neither trivial nor perfect


def test_pycocotools_own_thresholds_miss_a_recall_of_exactly_seven_tenths():
    # Seed 1 has a class with 10 objects whose detections reach recall 7 / 10 = 0.7,
    # below pycocotools' threshold 0.7000000000000001: it reads that point from
    # beyond the curve. With the thresholds rounded to k / 100 the two agree.
    detections, truth = generated_scene(1)
    scores, hits, count = match_detections(detections, truth, 0.5)[1]
    assert count == 10
    stock, params = pycocotools_precision(detections, truth, exact_recall_thresholds=False)
    assert params.recThrs[70] > 0.7
    precision, recall = precision_recall(scores, hits, count)
    assert recall.max() == 0.7
    stock_ap = stock[0, :, 1, 0, params.maxDets.index(100)].mean()
    missed_point = precision[recall >= 0.7].max() / 101
    assert average_precision(scores, hits, count, "coco") - stock_ap == pytest.approx(missed_point)
