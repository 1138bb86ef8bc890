"""Answers to notebook 07: right ones in a different style from the references, and
classic wrong ones that the checks must reject."""

import numpy as np

# --- 07.1 iou -------------------------------------------------------------------------


def iou(boxes_a, boxes_b):
    """Loops over pairs, like a first version on paper."""
    result = np.zeros((len(boxes_a), len(boxes_b)))
    for i, (ax0, ay0, ax1, ay1) in enumerate(boxes_a):
        for j, (bx0, by0, bx1, by1) in enumerate(boxes_b):
            width = max(0.0, min(ax1, bx1) - max(ax0, bx0))
            height = max(0.0, min(ay1, by1) - max(ay0, by0))
            overlap = width * height
            union = (ax1 - ax0) * (ay1 - ay0) + (bx1 - bx0) * (by1 - by0) - overlap
            result[i, j] = overlap / union if union > 0 else 0.0
    return result


def iou_broadcast(boxes_a, boxes_b):
    a, b = boxes_a[:, None, :], boxes_b[None, :, :]
    width = np.clip(np.minimum(a[..., 2], b[..., 2]) - np.maximum(a[..., 0], b[..., 0]), 0, None)
    height = np.clip(np.minimum(a[..., 3], b[..., 3]) - np.maximum(a[..., 1], b[..., 1]), 0, None)
    overlap = width * height
    area_a = (a[..., 2] - a[..., 0]) * (a[..., 3] - a[..., 1])
    area_b = (b[..., 2] - b[..., 0]) * (b[..., 3] - b[..., 1])
    union = area_a + area_b - overlap
    return np.where(union > 0, overlap / np.where(union > 0, union, 1.0), 0.0)


def iou_no_clamp(boxes_a, boxes_b):
    result = np.zeros((len(boxes_a), len(boxes_b)))
    for i, box in enumerate(boxes_a):
        for j, other in enumerate(boxes_b):
            width = min(box[2], other[2]) - max(box[0], other[0])
            height = min(box[3], other[3]) - max(box[1], other[1])
            overlap = width * height
            union = (box[2] - box[0]) * (box[3] - box[1]) + (other[2] - other[0]) * (
                other[3] - other[1]
            )
            union -= overlap
            result[i, j] = overlap / union if union else 0.0
    return result


def iou_sum_of_areas(boxes_a, boxes_b):
    a, b = boxes_a[:, None, :], boxes_b[None, :, :]
    width = np.maximum(0, np.minimum(a[..., 2], b[..., 2]) - np.maximum(a[..., 0], b[..., 0]))
    height = np.maximum(0, np.minimum(a[..., 3], b[..., 3]) - np.maximum(a[..., 1], b[..., 1]))
    areas = (a[..., 2] - a[..., 0]) * (a[..., 3] - a[..., 1]) + (b[..., 2] - b[..., 0]) * (
        b[..., 3] - b[..., 1]
    )
    return np.divide(width * height, areas, out=np.zeros_like(areas), where=areas > 0)


def iou_pixel_convention(boxes_a, boxes_b):
    """The VOC development kit's "+1": counts pixels, not lengths."""
    a, b = boxes_a[:, None, :], boxes_b[None, :, :]
    width = np.maximum(0, np.minimum(a[..., 2], b[..., 2]) - np.maximum(a[..., 0], b[..., 0]) + 1)
    height = np.maximum(0, np.minimum(a[..., 3], b[..., 3]) - np.maximum(a[..., 1], b[..., 1]) + 1)
    overlap = width * height
    area_a = (a[..., 2] - a[..., 0] + 1) * (a[..., 3] - a[..., 1] + 1)
    area_b = (b[..., 2] - b[..., 0] + 1) * (b[..., 3] - b[..., 1] + 1)
    return overlap / (area_a + area_b - overlap)


def iou_nan_for_empty_boxes(boxes_a, boxes_b):
    a, b = boxes_a[:, None, :], boxes_b[None, :, :]
    width = np.maximum(0, np.minimum(a[..., 2], b[..., 2]) - np.maximum(a[..., 0], b[..., 0]))
    height = np.maximum(0, np.minimum(a[..., 3], b[..., 3]) - np.maximum(a[..., 1], b[..., 1]))
    overlap = width * height
    area_a = (a[..., 2] - a[..., 0]) * (a[..., 3] - a[..., 1])
    area_b = (b[..., 2] - b[..., 0]) * (b[..., 3] - b[..., 1])
    return overlap / (area_a + area_b - overlap)


def iou_transposed(boxes_a, boxes_b):
    return iou_broadcast(boxes_b, boxes_a)


# --- 07.2 non_max_suppression -----------------------------------------------------------


def non_max_suppression(boxes, scores, iou_threshold=0.5, max_outputs=None, score_threshold=None):
    """Sorts (score, index) pairs by hand; checks each candidate against the kept boxes."""
    candidates = sorted(range(len(scores)), key=lambda i: (-scores[i], i))
    if score_threshold is not None:
        candidates = [i for i in candidates if scores[i] > score_threshold]
    kept = []
    for i in candidates:
        if max_outputs is not None and len(kept) == max_outputs:
            break
        if all(iou(boxes[[i]], boxes[[k]])[0, 0] <= iou_threshold for k in kept):
            kept.append(i)
    return np.array(kept, dtype=int)


def nms_masks(boxes, scores, iou_threshold=0.5, max_outputs=None, score_threshold=None):
    order = np.argsort(-np.asarray(scores), kind="mergesort")
    alive = np.ones(len(scores), bool)
    if score_threshold is not None:
        alive &= scores > score_threshold
    overlaps = iou_broadcast(boxes, boxes)
    kept = []
    for i in order:
        if not alive[i]:
            continue
        if max_outputs is not None and len(kept) >= max_outputs:
            break
        kept.append(i)
        alive &= overlaps[i] <= iou_threshold
    return np.array(kept, dtype=np.int64)


def nms_in_given_order(boxes, scores, iou_threshold=0.5, max_outputs=None, score_threshold=None):
    kept = []
    for i in range(len(boxes)):
        if score_threshold is not None and scores[i] <= score_threshold:
            continue
        if max_outputs is not None and len(kept) == max_outputs:
            break
        if all(iou(boxes[[i]], boxes[[k]])[0, 0] <= iou_threshold for k in kept):
            kept.append(i)
    return np.array(kept, dtype=int)


def nms_greater_or_equal(boxes, scores, iou_threshold=0.5, max_outputs=None, score_threshold=None):
    order = list(np.argsort(-scores, kind="stable"))
    if score_threshold is not None:
        order = [i for i in order if scores[i] > score_threshold]
    kept = []
    while order and (max_outputs is None or len(kept) < max_outputs):
        best = order.pop(0)
        kept.append(best)
        order = [i for i in order if iou(boxes[[best]], boxes[[i]])[0, 0] < iou_threshold]
    return np.array(kept, dtype=int)


def nms_reversed_argsort(boxes, scores, iou_threshold=0.5, max_outputs=None, score_threshold=None):
    order = np.argsort(scores)[::-1]
    if score_threshold is not None:
        order = order[scores[order] > score_threshold]
    kept = []
    while len(order) and (max_outputs is None or len(kept) < max_outputs):
        kept.append(order[0])
        overlaps = iou_broadcast(boxes[order[:1]], boxes[order[1:]])[0]
        order = order[1:][overlaps <= iou_threshold]
    return np.array(kept, dtype=int)


def nms_suppressed_still_suppress(
    boxes, scores, iou_threshold=0.5, max_outputs=None, score_threshold=None
):
    """Drops every box that overlaps any higher-scoring box, kept or not."""
    order = np.argsort(-scores, kind="stable")
    if score_threshold is not None:
        order = order[scores[order] > score_threshold]
    kept = []
    for position, i in enumerate(order):
        higher = order[:position]
        if len(higher) and iou_broadcast(boxes[[i]], boxes[higher]).max() > iou_threshold:
            continue
        kept.append(i)
    return np.array(kept[:max_outputs], dtype=int)


def nms_score_threshold_inclusive(
    boxes, scores, iou_threshold=0.5, max_outputs=None, score_threshold=None
):
    order = np.argsort(-scores, kind="stable")
    if score_threshold is not None:
        order = order[scores[order] >= score_threshold]
    kept = []
    while len(order) and (max_outputs is None or len(kept) < max_outputs):
        kept.append(order[0])
        overlaps = iou_broadcast(boxes[order[:1]], boxes[order[1:]])[0]
        order = order[1:][overlaps <= iou_threshold]
    return np.array(kept, dtype=int)


def nms_ignores_max_outputs(
    boxes, scores, iou_threshold=0.5, max_outputs=None, score_threshold=None
):
    order = np.argsort(-scores, kind="stable")
    if score_threshold is not None:
        order = order[scores[order] > score_threshold]
    kept = []
    while len(order):
        kept.append(order[0])
        overlaps = iou_broadcast(boxes[order[:1]], boxes[order[1:]])[0]
        order = order[1:][overlaps <= iou_threshold]
    return np.array(kept, dtype=int)


# --- 07.4 encode_boxes ---------------------------------------------------------------------


def encode_boxes(boxes, anchors):
    out = np.empty((len(boxes), 4))
    for row, (box, anchor) in enumerate(zip(boxes, anchors, strict=True)):
        width, height = box[2] - box[0], box[3] - box[1]
        anchor_width, anchor_height = anchor[2] - anchor[0], anchor[3] - anchor[1]
        out[row, 0] = ((box[0] + box[2]) / 2 - (anchor[0] + anchor[2]) / 2) / anchor_width
        out[row, 1] = ((box[1] + box[3]) / 2 - (anchor[1] + anchor[3]) / 2) / anchor_height
        out[row, 2] = np.log(width / anchor_width)
        out[row, 3] = np.log(height / anchor_height)
    return out


def encode_boxes_ratios(boxes, anchors):
    size, anchor_size = boxes[:, 2:] - boxes[:, :2], anchors[:, 2:] - anchors[:, :2]
    centre = (boxes[:, :2] + boxes[:, 2:]) / 2
    anchor_centre = (anchors[:, :2] + anchors[:, 2:]) / 2
    return np.hstack([(centre - anchor_centre) / anchor_size, size / anchor_size])


def encode_boxes_corners(boxes, anchors):
    size, anchor_size = boxes[:, 2:] - boxes[:, :2], anchors[:, 2:] - anchors[:, :2]
    return np.hstack([(boxes[:, :2] - anchors[:, :2]) / anchor_size, np.log(size / anchor_size)])


def encode_boxes_divides_by_box(boxes, anchors):
    size, anchor_size = boxes[:, 2:] - boxes[:, :2], anchors[:, 2:] - anchors[:, :2]
    shift = (boxes[:, :2] + boxes[:, 2:]) / 2 - (anchors[:, :2] + anchors[:, 2:]) / 2
    return np.hstack([shift / size, np.log(size / anchor_size)])


def encode_boxes_inverted_log(boxes, anchors):
    size, anchor_size = boxes[:, 2:] - boxes[:, :2], anchors[:, 2:] - anchors[:, :2]
    shift = (boxes[:, :2] + boxes[:, 2:]) / 2 - (anchors[:, :2] + anchors[:, 2:]) / 2
    return np.hstack([shift / anchor_size, np.log(anchor_size / size)])


def encode_boxes_swapped(boxes, anchors):
    widths, heights = anchors[:, 2] - anchors[:, 0], anchors[:, 3] - anchors[:, 1]
    shift = (boxes[:, :2] + boxes[:, 2:]) / 2 - (anchors[:, :2] + anchors[:, 2:]) / 2
    size = boxes[:, 2:] - boxes[:, :2]
    return np.column_stack(
        [
            shift[:, 0] / heights,
            shift[:, 1] / widths,
            np.log(size[:, 0] / widths),
            np.log(size[:, 1] / heights),
        ]
    )


# --- 07.6 average_precision -----------------------------------------------------------------


def average_precision(scores, is_true_positive, num_ground_truth, method="voc"):
    """Walks down the ranked list once, then reads the curve as each method asks."""
    order = sorted(range(len(scores)), key=lambda i: -scores[i])  # sorted() is stable
    precisions, recalls, found = [], [], 0
    for rank, i in enumerate(order, start=1):
        found += bool(is_true_positive[i])
        precisions.append(found / rank)
        recalls.append(found / num_ground_truth)
    for k in range(len(precisions) - 2, -1, -1):
        precisions[k] = max(precisions[k], precisions[k + 1])
    if method == "voc":
        area, previous = 0.0, 0.0
        for precision, recall in zip(precisions, recalls, strict=True):
            area += (recall - previous) * precision
            previous = recall
        return area
    steps = 10 if method == "voc07" else 100
    total = 0.0
    for k in range(steps + 1):
        reached = [p for p, r in zip(precisions, recalls, strict=True) if r >= k / steps]
        total += max(reached, default=0.0)
    return total / (steps + 1)


def ap_vectorised(scores, is_true_positive, num_ground_truth, method="voc"):
    hits = np.asarray(is_true_positive, bool)[np.argsort(-np.asarray(scores), kind="stable")]
    tp = np.cumsum(hits)
    precision = tp / np.maximum(np.arange(1, len(hits) + 1), 1)
    recall = tp / num_ground_truth
    envelope = np.maximum.accumulate(precision[::-1])[::-1]
    if method == "voc":
        return float((np.diff(np.concatenate([[0.0], recall])) * envelope).sum())
    n = 11 if method == "voc07" else 101
    thresholds = np.arange(n) / (n - 1)
    index = np.searchsorted(recall, thresholds)
    return float(np.where(index < len(envelope), np.append(envelope, 0)[index], 0).mean())


def ap_without_envelope(scores, is_true_positive, num_ground_truth, method="voc"):
    order = np.argsort(-scores, kind="stable")
    hits = np.asarray(is_true_positive)[order]
    tp = np.cumsum(hits)
    precision = tp / np.arange(1, len(hits) + 1)
    recall = tp / num_ground_truth
    if method == "voc":
        return float(np.sum(np.diff(recall, prepend=0) * precision))
    n = 11 if method == "voc07" else 101
    values = []
    for t in np.arange(n) / (n - 1):
        above = np.flatnonzero(recall >= t)
        values.append(precision[above[0]] if len(above) else 0.0)
    return float(np.mean(values))


def ap_always_eleven_points(scores, is_true_positive, num_ground_truth, method="voc"):
    order = np.argsort(-scores, kind="stable")
    tp = np.cumsum(np.asarray(is_true_positive)[order])
    precision = tp / np.arange(1, len(tp) + 1)
    recall = tp / num_ground_truth
    n = 101 if method == "coco" else 11
    total = 0.0
    for t in np.arange(n) / (n - 1):
        total += precision[recall >= t].max() if (recall >= t).any() else 0.0
    return total / n


def ap_forgets_to_sort(scores, is_true_positive, num_ground_truth, method="voc"):
    tp = np.cumsum(is_true_positive)
    precision = tp / np.arange(1, len(tp) + 1)
    recall = tp / num_ground_truth
    precision = np.maximum.accumulate(precision[::-1])[::-1]
    if method == "voc":
        return float(np.sum(np.diff(recall, prepend=0) * precision))
    n = 11 if method == "voc07" else 101
    return float(
        np.mean(
            [
                precision[recall >= t].max() if (recall >= t).any() else 0.0
                for t in np.arange(n) / (n - 1)
            ]
        )
    )


def ap_recall_over_detections(scores, is_true_positive, num_ground_truth, method="voc"):
    order = np.argsort(-scores, kind="stable")
    tp = np.cumsum(np.asarray(is_true_positive)[order])
    precision = tp / np.arange(1, len(tp) + 1)
    recall = tp / max(len(tp), 1)
    precision = np.maximum.accumulate(precision[::-1])[::-1]
    if method == "voc":
        return float(np.sum(np.diff(recall, prepend=0) * precision))
    n = 11 if method == "voc07" else 101
    return float(
        np.mean(
            [
                precision[recall >= t].max() if (recall >= t).any() else 0.0
                for t in np.arange(n) / (n - 1)
            ]
        )
    )


def ap_linspace(scores, is_true_positive, num_ground_truth, method="voc"):
    order = np.argsort(-scores, kind="stable")
    tp = np.cumsum(np.asarray(is_true_positive)[order])
    precision = np.maximum.accumulate((tp / np.arange(1, len(tp) + 1))[::-1])[::-1]
    recall = tp / num_ground_truth
    if method == "voc":
        return float(np.sum(np.diff(recall, prepend=0) * precision))
    thresholds = np.linspace(0, 1, 11 if method == "voc07" else 101)
    return float(
        np.mean([precision[recall >= t].max() if (recall >= t).any() else 0.0 for t in thresholds])
    )


def ap_reversed_ties(scores, is_true_positive, num_ground_truth, method="voc"):
    order = np.argsort(scores)[::-1]
    tp = np.cumsum(np.asarray(is_true_positive)[order])
    precision = np.maximum.accumulate((tp / np.arange(1, len(tp) + 1))[::-1])[::-1]
    recall = tp / num_ground_truth
    if method == "voc":
        return float(np.sum(np.diff(recall, prepend=0) * precision))
    n = 11 if method == "voc07" else 101
    return float(
        np.mean(
            [
                precision[recall >= t].max() if (recall >= t).any() else 0.0
                for t in np.arange(n) / (n - 1)
            ]
        )
    )


RIGHT = {
    "07.1": [iou, iou_broadcast],
    "07.2": [non_max_suppression, nms_masks],
    "07.4": [encode_boxes],
    "07.6": [average_precision, ap_vectorised],
}

WRONG = {
    "07.1": [
        iou_no_clamp,
        iou_sum_of_areas,
        iou_pixel_convention,
        iou_nan_for_empty_boxes,
        iou_transposed,
    ],
    "07.2": [
        nms_in_given_order,
        nms_greater_or_equal,
        nms_reversed_argsort,
        nms_suppressed_still_suppress,
        nms_score_threshold_inclusive,
        nms_ignores_max_outputs,
    ],
    "07.4": [
        encode_boxes_ratios,
        encode_boxes_corners,
        encode_boxes_divides_by_box,
        encode_boxes_inverted_log,
        encode_boxes_swapped,
    ],
    "07.6": [
        ap_without_envelope,
        ap_always_eleven_points,
        ap_forgets_to_sort,
        ap_recall_over_detections,
        ap_linspace,
        ap_reversed_ties,
    ],
}

HINTS = [
    ("07.1", iou_no_clamp, "Clamp the intersection"),
    ("07.1", iou_sum_of_areas, "counts the overlap once"),
    ("07.1", iou_pixel_convention, "no +1"),
    ("07.1", iou_nan_for_empty_boxes, "not 0 / 0"),
    ("07.2", nms_in_given_order, "decreasing score"),
    ("07.2", nms_greater_or_equal, "use >, not >="),
    ("07.2", nms_reversed_argsort, "stable"),
    ("07.2", nms_suppressed_still_suppress, "Only the boxes you keep"),
    ("07.2", nms_score_threshold_inclusive, "greater than score_threshold"),
    ("07.4", encode_boxes_ratios, "logarithms"),
    ("07.4", encode_boxes_corners, "not the corners"),
    ("07.4", encode_boxes_divides_by_box, "anchor's size"),
    ("07.4", encode_boxes_swapped, "x shift by the anchor's width"),
    ("07.6", ap_without_envelope, "envelope"),
    ("07.6", ap_always_eleven_points, "all-point"),
    ("07.6", ap_forgets_to_sort, "Sort the detections"),
    ("07.6", ap_linspace, "exactly k / 10"),
]
