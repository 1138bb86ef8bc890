"""Exercises of notebook 07, object detection: IoU, non-maximum suppression, box
encoding and average precision, with the hints for classic mistakes, and two written
answers on the R-CNN family and YOLO.
"""

import numpy as np

from coursekit.detection import average_precision, encode_boxes, iou, non_max_suppression
from coursekit.grading.fuzz import pick
from coursekit.grading.registry import Case, Hint, coding, written


def _boxes(rng, count, high=20.0, integer=False, degenerate=0.0):
    """`count` valid "xyxy" boxes; some of zero width or height with `degenerate`."""
    if integer:
        corners = rng.integers(0, int(high) + 1, size=(count, 2, 2)).astype(np.float64)
    else:
        corners = rng.uniform(0.0, high, size=(count, 2, 2)).round(2)
    corners.sort(axis=1)
    boxes = corners.transpose(0, 2, 1).reshape(count, 4)[:, [0, 2, 1, 3]]
    flat = rng.random(count) < degenerate
    boxes[flat, 2] = boxes[flat, 0]
    return boxes


# --- 07.1 iou ---------------------------------------------------------------------


def _iou_cases():
    rng = np.random.default_rng(701)
    box = np.array([[0.0, 0.0, 4.0, 4.0]])
    others = np.array(
        [
            [2.0, 0.0, 6.0, 4.0],  # half overlapping
            [0.0, 0.0, 4.0, 4.0],  # the same box
            [1.0, 1.0, 3.0, 3.0],  # inside
            [4.0, 0.0, 8.0, 4.0],  # touching
        ]
    )
    apart = np.array([[5.0, 0.0, 9.0, 4.0], [6.0, 6.0, 9.0, 9.0], [-3.0, 5.0, -1.0, 7.0]])
    degenerate = np.array([[1.0, 1.0, 1.0, 1.0], [0.0, 0.0, 0.0, 5.0], [0.0, 0.0, 2.0, 2.0]])
    return [
        Case("one box against overlapping, equal, inner and touching boxes", (box, others)),
        Case("boxes apart along x only, along both axes, and up-left", (box, apart)),
        Case("4 x 3 pairs of random boxes (the result is 4 x 3)", (_boxes(rng, 4), _boxes(rng, 3))),
        Case("boxes of zero area, against each other", (degenerate, degenerate)),
        Case("no boxes on one side", (np.zeros((0, 4)), others)),
        Case(
            "boxes smaller than one pixel (unions below 1)",
            (box / 8, np.array([[0.25, 0.0, 0.75, 0.5], [0.1, 0.1, 0.3, 0.2]])),
        ),
        Case(
            "8 x 6 boxes on an integer grid: many touch or coincide",
            (_boxes(rng, 8, 6, integer=True), _boxes(rng, 6, 6, integer=True)),
        ),
    ]


def _iou_fuzz(rng):
    cases = []
    for index in range(30):
        integer = rng.random() < 0.5
        high = pick(rng, [3.0, 10.0, 100.0])
        degenerate = pick(rng, [0.0, 0.0, 0.3])
        sizes = rng.integers(0, 7, size=2)
        boxes_a = _boxes(rng, int(sizes[0]), high, integer, degenerate)
        boxes_b = _boxes(rng, int(sizes[1]), high, integer, degenerate)
        if index % 5 == 0:
            boxes_b = np.concatenate([boxes_b, boxes_a])  # identical boxes too
        cases.append(
            Case(f"fuzz {index}: {len(boxes_a)} x {len(boxes_b)} boxes", (boxes_a, boxes_b))
        )
    return cases


def _intersection_sides(boxes_a, boxes_b):
    top_left = np.maximum(boxes_a[:, None, :2], boxes_b[None, :, :2])
    bottom_right = np.minimum(boxes_a[:, None, 2:], boxes_b[None, :, 2:])
    return bottom_right - top_left


def _areas(boxes):
    return (boxes[:, 2] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 1])


def _iou_without_clamp(boxes_a, boxes_b):
    sides = _intersection_sides(boxes_a, boxes_b)
    intersection = sides[..., 0] * sides[..., 1]
    union = _areas(boxes_a)[:, None] + _areas(boxes_b)[None, :] - intersection
    return np.divide(intersection, union, out=np.zeros_like(union), where=union != 0)


def _iou_union_is_the_sum_of_areas(boxes_a, boxes_b):
    sides = np.clip(_intersection_sides(boxes_a, boxes_b), 0, None)
    intersection = sides[..., 0] * sides[..., 1]
    total = _areas(boxes_a)[:, None] + _areas(boxes_b)[None, :]
    return np.divide(intersection, total, out=np.zeros_like(total), where=total != 0)


def _iou_plus_one(boxes_a, boxes_b):
    shift = np.array([0.0, 0.0, 1.0, 1.0])
    return iou(boxes_a + shift, boxes_b + shift)


def _iou_divides_zero_by_zero(boxes_a, boxes_b):
    sides = np.clip(_intersection_sides(boxes_a, boxes_b), 0, None)
    intersection = sides[..., 0] * sides[..., 1]
    union = _areas(boxes_a)[:, None] + _areas(boxes_b)[None, :] - intersection
    with np.errstate(divide="ignore", invalid="ignore"):
        return intersection / union


IOU = coding(
    "07.1",
    "Intersection over union",
    2,
    reference=iou,
    cases=_iou_cases,
    hints=(
        Hint(
            "Clamp the intersection's width and height at 0 (np.maximum(0, ...)): for boxes "
            "apart, max of the minima minus min of the maxima is negative, and two negative "
            "sides multiply to a positive area.",
            _iou_without_clamp,
        ),
        Hint(
            "The union counts the overlap once: area(A) + area(B) - area(A ∩ B).",
            _iou_union_is_the_sum_of_areas,
        ),
        Hint(
            "Boxes are continuous coordinates: the width is x_max - x_min, with no +1.",
            _iou_plus_one,
        ),
        Hint(
            "Two boxes of zero area have a union of 0: their IoU is 0, not 0 / 0 (NaN). "
            "np.divide(..., where=union > 0, out=np.zeros(...)) does it.",
            _iou_divides_zero_by_zero,
        ),
    ),
    fuzz=_iou_fuzz,
)


# --- 07.2 non_max_suppression -------------------------------------------------------


def _nms_cases():
    rng = np.random.default_rng(702)
    cluster = np.array(
        [[0.0, 0, 10, 10], [1, 1, 11, 11], [20, 20, 30, 30], [2, 0, 12, 10], [21, 19, 31, 29]]
    )
    cluster_scores = np.array([0.9, 0.8, 0.7, 0.75, 0.95])
    chain = np.array([[0.0, 0, 10, 10], [4, 0, 14, 10], [8, 0, 18, 10]])  # IoUs 0.43, 0.11
    pair = np.array([[0.0, 0, 3, 1], [1, 0, 4, 1]])  # IoU exactly 0.5
    random_boxes = _boxes(rng, 25, 30, integer=True) + np.array([0, 0, 3, 3])
    random_scores = rng.integers(0, 20, size=25) / 20
    return [
        Case("two clusters of overlapping boxes", (cluster, cluster_scores)),
        Case(
            "boxes listed from the lowest score up",
            (cluster[[2, 1, 0]], np.array([0.7, 0.8, 0.9])),
        ),
        Case("an IoU equal to the threshold does not suppress", (pair, np.array([0.9, 0.8]))),
        Case(
            "equal scores: the lower index is kept",
            (np.array([[0.0, 0, 10, 10], [0, 0, 10, 10], [30, 0, 40, 10]]), np.full(3, 0.5)),
        ),
        Case(
            "a chain: the middle box is suppressed, so it cannot suppress the last",
            (chain, np.array([0.9, 0.8, 0.7])),
            {"iou_threshold": 0.3},
        ),
        Case("at most 2 boxes", (cluster, cluster_scores), {"max_outputs": 2}),
        Case(
            "iou_threshold 1: nothing is suppressed, not even an identical box",
            (np.concatenate([cluster, cluster[:2]]), np.r_[cluster_scores, 0.6, 0.5]),
            {"iou_threshold": 1.0, "max_outputs": 5},
        ),
        Case("at most 0 boxes", (cluster, cluster_scores), {"max_outputs": 0}),
        Case(
            "scores must exceed score_threshold: 0.5 is out at 0.5",
            (
                np.array([[0.0, 0, 10, 10], [20, 0, 30, 10], [40, 0, 50, 10]]),
                np.array([0.9, 0.5, 0.4]),
            ),
            {"score_threshold": 0.5},
        ),
        Case(
            "score_threshold 0.7 on the two clusters",
            (cluster, cluster_scores),
            {"score_threshold": 0.7},
        ),
        Case(
            "iou_threshold 0: touching boxes (IoU 0) are both kept",
            (np.array([[0.0, 0, 2, 2], [2, 0, 4, 2], [1, 0, 3, 2]]), np.array([0.9, 0.8, 0.7])),
            {"iou_threshold": 0.0},
        ),
        Case("25 random boxes, ties among scores", (random_boxes, random_scores)),
        Case(
            "25 random boxes, all options",
            (random_boxes, random_scores),
            {"iou_threshold": 0.3, "max_outputs": 5, "score_threshold": 0.2},
        ),
        Case("no boxes", (np.zeros((0, 4)), np.zeros(0))),
    ]


def _nms_fuzz(rng):
    cases = []
    for index in range(40):
        count = int(rng.integers(0, 16))
        boxes = _boxes(rng, count, pick(rng, [6.0, 15.0]), integer=rng.random() < 0.7)
        scores = rng.integers(0, pick(rng, [3, 8, 100]), size=count) / 8
        kwargs = {}
        if rng.random() < 0.7:
            kwargs["iou_threshold"] = pick(rng, [0.0, 0.2, 0.25, 0.5, 0.6, 1.0])
        if rng.random() < 0.4:
            kwargs["max_outputs"] = int(rng.integers(0, 5))
        if rng.random() < 0.4:
            kwargs["score_threshold"] = pick(rng, [0.0, 0.25, 0.5])
        cases.append(Case(f"fuzz {index}: {count} boxes, {kwargs}", (boxes, scores), kwargs))
    return cases


def _greedy(boxes, order, iou_threshold, max_outputs, suppressed_suppress=False, at_equal=False):
    kept, removed = [], np.zeros(len(boxes), bool)
    for index in order:
        if max_outputs is not None and len(kept) >= max_outputs:
            break
        if not removed[index]:
            kept.append(index)
        if removed[index] and not suppressed_suppress:
            continue
        overlaps = iou(boxes[[index]], boxes)[0]
        removed |= overlaps >= iou_threshold if at_equal else overlaps > iou_threshold
        removed[kept] = False
    return np.array(kept, dtype=np.int64)


def _candidates(scores, score_threshold, order):
    if score_threshold is None:
        return order
    return order[scores[order] > score_threshold]


def _nms_unsorted(boxes, scores, iou_threshold=0.5, max_outputs=None, score_threshold=None):
    order = _candidates(scores, score_threshold, np.arange(len(scores)))
    return _greedy(boxes, order, iou_threshold, max_outputs)


def _nms_at_equal(boxes, scores, iou_threshold=0.5, max_outputs=None, score_threshold=None):
    order = _candidates(scores, score_threshold, np.argsort(-scores, kind="stable"))
    return _greedy(boxes, order, iou_threshold, max_outputs, at_equal=True)


def _nms_ties_reversed(boxes, scores, iou_threshold=0.5, max_outputs=None, score_threshold=None):
    order = _candidates(scores, score_threshold, np.argsort(scores, kind="stable")[::-1])
    return _greedy(boxes, order, iou_threshold, max_outputs)


def _nms_suppressed_suppress(
    boxes, scores, iou_threshold=0.5, max_outputs=None, score_threshold=None
):
    order = _candidates(scores, score_threshold, np.argsort(-scores, kind="stable"))
    return _greedy(boxes, order, iou_threshold, max_outputs, suppressed_suppress=True)


def _nms_score_at_threshold(
    boxes, scores, iou_threshold=0.5, max_outputs=None, score_threshold=None
):
    threshold = None if score_threshold is None else np.nextafter(score_threshold, -np.inf)
    return non_max_suppression(boxes, scores, iou_threshold, max_outputs, threshold)


NON_MAX_SUPPRESSION = coding(
    "07.2",
    "Non-maximum suppression",
    3,
    reference=non_max_suppression,
    cases=_nms_cases,
    hints=(
        Hint(
            "Visit the boxes in order of decreasing score (np.argsort(-scores, "
            "kind='stable')), not in the order they are given.",
            _nms_unsorted,
        ),
        Hint(
            "A box is suppressed only when its IoU with a kept box is greater than "
            "iou_threshold: an IoU equal to the threshold keeps it (use >, not >=).",
            _nms_at_equal,
        ),
        Hint(
            "With equal scores the lower index comes first: sort -scores with a stable "
            "sort; reversing np.argsort(scores) puts the higher index first.",
            _nms_ties_reversed,
        ),
        Hint(
            "Only the boxes you keep suppress others: a box that was suppressed itself "
            "must not remove boxes further down the list.",
            _nms_suppressed_suppress,
        ),
        Hint(
            "Scores must be greater than score_threshold: a score equal to it is left out.",
            _nms_score_at_threshold,
        ),
    ),
    fuzz=_nms_fuzz,
)


# --- 07.3 written answer --------------------------------------------------------------

FAST_RCNN = written("07.3", "Why Fast R-CNN is faster than R-CNN, and what still limits it", 2)


# --- 07.4 encode_boxes --------------------------------------------------------------


def _encode_cases():
    rng = np.random.default_rng(704)
    wide = np.array([[0.0, 10.0, 40.0, 20.0], [50.0, 50.0, 60.0, 90.0]])  # 40 x 10, 10 x 40
    tall_boxes = np.array([[5.0, 0.0, 25.0, 35.0], [45.0, 60.0, 70.0, 75.0]])
    anchors = _boxes(rng, 8, 60) + np.array([0, 0, 4, 4])
    boxes = _boxes(rng, 8, 60) + np.array([0, 0, 4, 4])
    return [
        Case(
            "a box of half the anchor's width",
            (np.array([[12.0, 10.0, 22.0, 30.0]]), np.array([[0.0, 0.0, 20.0, 20.0]])),
        ),
        Case("boxes equal to their anchors", (wide.copy(), wide.copy())),
        Case("tall boxes on wide anchors and the reverse", (tall_boxes, wide)),
        Case(
            "boxes twice and half their anchor's size, away from the origin",
            (
                np.array([[90.0, 90.0, 130.0, 110.0], [105.0, 102.0, 115.0, 108.0]]),
                np.array([[100.0, 95.0, 120.0, 105.0], [100.0, 95.0, 120.0, 115.0]]),
            ),
        ),
        Case("8 random boxes and anchors", (boxes, anchors)),
    ]


def _encode_fuzz(rng):
    cases = []
    for index in range(25):
        count = int(rng.integers(1, 8))
        high = pick(rng, [5.0, 50.0, 500.0])
        boxes = _boxes(rng, count, high) + np.array([0, 0, 0.5, 0.5])
        anchors = _boxes(rng, count, high) + np.array([0, 0, 0.5, 0.5])
        if index % 4 == 0:
            anchors = boxes + rng.normal(0, 0.1, size=(count, 4)).round(3) * [1, 1, 0, 0]
        cases.append(Case(f"fuzz {index}: {count} boxes up to {high}", (boxes, anchors)))
    return cases


def _centres_sizes(boxes):
    sizes = boxes[:, 2:] - boxes[:, :2]
    return boxes[:, :2] + sizes / 2, sizes


def _encode_with_ratios(boxes, anchors):
    centres, sizes = _centres_sizes(boxes)
    anchor_centres, anchor_sizes = _centres_sizes(anchors)
    return np.concatenate([(centres - anchor_centres) / anchor_sizes, sizes / anchor_sizes], axis=1)


def _encode_corner_offsets(boxes, anchors):
    _, anchor_sizes = _centres_sizes(anchors)
    deltas = encode_boxes(boxes, anchors)
    deltas[:, :2] = (boxes[:, :2] - anchors[:, :2]) / anchor_sizes
    return deltas


def _encode_by_box_size(boxes, anchors):
    centres, sizes = _centres_sizes(boxes)
    anchor_centres, anchor_sizes = _centres_sizes(anchors)
    return np.concatenate(
        [(centres - anchor_centres) / sizes, np.log(sizes / anchor_sizes)], axis=1
    )


def _encode_swapped_axes(boxes, anchors):
    deltas = encode_boxes(boxes, anchors)
    _, anchor_sizes = _centres_sizes(anchors)
    deltas[:, :2] *= anchor_sizes / anchor_sizes[:, ::-1]
    return deltas


ENCODE_BOXES = coding(
    "07.4",
    "Encoding boxes as offsets from anchors",
    2,
    reference=encode_boxes,
    cases=_encode_cases,
    hints=(
        Hint(
            "Sizes are encoded as logarithms, t_w = log(w / w_a): a ratio w / w_a would "
            "give 1, not 0, for a box of the anchor's size.",
            _encode_with_ratios,
        ),
        Hint(
            "Shift the centres, not the corners: t_x = (x - x_a) / w_a with x and x_a "
            "the centres of the box and of the anchor.",
            _encode_corner_offsets,
        ),
        Hint(
            "Divide the shift by the anchor's size (w_a, h_a), not the box's: the "
            "network knows the anchor, not the box it has to find.",
            _encode_by_box_size,
        ),
        Hint(
            "Divide the x shift by the anchor's width and the y shift by its height.",
            _encode_swapped_axes,
        ),
    ),
    fuzz=_encode_fuzz,
)


# --- 07.5 written answer --------------------------------------------------------------

YOLO_TRADE_OFFS = written("07.5", "What YOLO trades for speed", 2)


# --- 07.6 average_precision ---------------------------------------------------------


def _ap_cases():
    rng = np.random.default_rng(706)
    scores = np.array([0.9, 0.8, 0.7, 0.6])
    hits = np.array([True, True, False, True])
    shuffle = np.array([2, 0, 3, 1])
    dip = (np.array([5.0, 4, 3, 2, 1]), np.array([True, False, False, True, True]), 3)
    tenths = (np.arange(8.0, 0, -1), np.array([1, 1, 0, 1, 0, 0, 0, 1], bool), 10)
    random_scores = rng.random(30).round(3)
    random_hits = rng.random(30) < 0.6
    return [
        Case("the worked example, all-point", (scores, hits, 3), {"method": "voc"}),
        Case("the worked example, 11-point", (scores, hits, 3), {"method": "voc07"}),
        Case("the worked example, 101-point", (scores, hits, 3), {"method": "coco"}),
        Case("the default method is 'voc'", (scores, hits, 3)),
        Case(
            "detections not sorted by score",
            (scores[shuffle], hits[shuffle], 3),
            {"method": "voc"},
        ),
        Case("the envelope lifts a dip in precision, all-point", dip, {"method": "voc"}),
        Case("the envelope lifts a dip in precision, 11-point", dip, {"method": "voc07"}),
        Case(
            "4 of 7 objects found: beyond the last recall precision is 0",
            (np.array([0.9, 0.7, 0.6, 0.4, 0.2]), np.array([1, 0, 1, 1, 1], bool), 7),
            {"method": "coco"},
        ),
        Case("recalls of exactly 0.2, 0.3 and 0.4, 11-point", tenths, {"method": "voc07"}),
        Case("recalls of exactly 0.2, 0.3 and 0.4, 101-point", tenths, {"method": "coco"}),
        Case("no detections", (np.zeros(0), np.zeros(0, bool), 4), {"method": "voc"}),
        Case(
            "only false positives",
            (np.array([0.9, 0.5]), np.array([False, False]), 2),
            {"method": "coco"},
        ),
        Case(
            "equal scores keep their order",
            (np.array([0.9, 0.5, 0.5, 0.3]), np.array([True, False, True, True]), 3),
            {"method": "voc"},
        ),
        Case(
            "40 detections in any order with only 4 different scores: ties keep their order",
            (rng.integers(0, 4, size=40) / 4 + 0.125, rng.random(40) < 0.5, 30),
        ),
        Case("30 detections of 23 objects, all-point", (random_scores, random_hits, 23)),
        Case(
            "30 detections of 23 objects, 11-point",
            (random_scores, random_hits, 23),
            {"method": "voc07"},
        ),
        Case(
            "30 detections of 23 objects, 101-point",
            (random_scores, random_hits, 23),
            {"method": "coco"},
        ),
    ]


def _ap_fuzz(rng):
    cases = []
    for index in range(40):
        count = int(rng.integers(0, 25))
        hits = rng.random(count) < rng.uniform(0.1, 0.95)
        num_ground_truth = max(int(hits.sum()) + int(pick(rng, [0, 0, 1, 3, 10])), 1)
        if index % 4 == 0:  # recalls of exactly k / 10, as the 11- and 101-point means meet
            num_ground_truth = 10 * (num_ground_truth // 10 + 1)
        scores = rng.integers(0, pick(rng, [4, 1000]), size=count) / 4
        method = pick(rng, ["voc", "voc07", "coco"])
        cases.append(
            Case(
                f"fuzz {index}: {count} detections, {num_ground_truth} objects, {method!r}",
                (scores, hits, num_ground_truth),
                {"method": method},
            )
        )
    return cases


def _curve(scores, is_true_positive, num_ground_truth, sort=True):
    order = np.argsort(-scores, kind="stable") if sort else np.arange(len(scores))
    hits = np.asarray(is_true_positive)[order]
    found = np.cumsum(hits)
    return found / np.arange(1, len(hits) + 1), found / num_ground_truth


def _ap_from_curve(precision, recall, method, envelope=True, beyond="zero", thresholds=None):
    if envelope and len(precision):
        precision = np.maximum.accumulate(precision[::-1])[::-1]
    if method == "voc":
        return float(np.sum(np.diff(recall, prepend=0.0) * precision))
    points = 11 if method == "voc07" else 101
    if thresholds is None:
        thresholds = np.arange(points) / (points - 1)
    values = []
    for t in thresholds:
        reached = precision[recall >= t]
        if reached.size:
            values.append(reached[0])
        else:
            values.append(precision[-1] if beyond == "last" and len(precision) else 0.0)
    return float(np.mean(values))


def _ap_no_envelope(scores, is_true_positive, num_ground_truth, method="voc"):
    precision, recall = _curve(scores, is_true_positive, num_ground_truth)
    if method == "voc":
        return _ap_from_curve(precision, recall, method, envelope=False)
    # Interpolated forms without the envelope: the precision where recall first reaches t.
    values = []
    for t in np.arange(11 if method == "voc07" else 101) / (10 if method == "voc07" else 100):
        reached = np.flatnonzero(recall >= t)
        values.append(precision[reached[0]] if reached.size else 0.0)
    return float(np.mean(values))


def _ap_eleven_points_for_voc(scores, is_true_positive, num_ground_truth, method="voc"):
    precision, recall = _curve(scores, is_true_positive, num_ground_truth)
    return _ap_from_curve(precision, recall, "voc07" if method == "voc" else method)


def _ap_unsorted(scores, is_true_positive, num_ground_truth, method="voc"):
    precision, recall = _curve(scores, is_true_positive, num_ground_truth, sort=False)
    return _ap_from_curve(precision, recall, method)


def _ap_last_precision_beyond(scores, is_true_positive, num_ground_truth, method="voc"):
    precision, recall = _curve(scores, is_true_positive, num_ground_truth)
    return _ap_from_curve(precision, recall, method, beyond="last")


def _ap_linspace_thresholds(scores, is_true_positive, num_ground_truth, method="voc"):
    precision, recall = _curve(scores, is_true_positive, num_ground_truth)
    points = 11 if method == "voc07" else 101
    return _ap_from_curve(precision, recall, method, thresholds=np.linspace(0, 1, points))


AVERAGE_PRECISION = coding(
    "07.6",
    "Average precision, three ways",
    3,
    reference=average_precision,
    cases=_ap_cases,
    hints=(
        Hint(
            "Use the precision envelope: at each recall, the best precision at that recall "
            "or any higher one (np.maximum.accumulate over the reversed precisions).",
            _ap_no_envelope,
        ),
        Hint(
            "method='voc' asks for the all-point AP, the area under the envelope "
            "(sum of recall steps times precision), not the 11-point mean.",
            _ap_eleven_points_for_voc,
        ),
        Hint(
            "Sort the detections by decreasing score before counting precision and recall.",
            _ap_unsorted,
        ),
        Hint(
            "A recall the detections never reach has precision 0 in the 11- and 101-point "
            "means, not the last precision.",
            _ap_last_precision_beyond,
        ),
        Hint(
            "Use recall thresholds that are exactly k / 10 and k / 100 (np.arange(11) / 10): "
            "np.linspace(0, 1, 11) gives 0.30000000000000004, which a recall of exactly "
            "0.3 does not reach.",
            _ap_linspace_thresholds,
        ),
    ),
    fuzz=_ap_fuzz,
)


EXERCISES = (
    IOU,
    NON_MAX_SUPPRESSION,
    FAST_RCNN,
    ENCODE_BOXES,
    YOLO_TRADE_OFFS,
    AVERAGE_PRECISION,
)
