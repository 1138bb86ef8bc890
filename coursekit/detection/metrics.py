"""Average precision and mean average precision, as PASCAL VOC and COCO compute them.

A detector's output for one class is a list of detections with scores. Sorted by
decreasing score, each is a true positive (it found an object not found before) or
a false positive. After the first `k` detections, precision is the fraction of them
that are true and recall the fraction of the objects found. Average precision (AP)
summarises the whole precision-recall curve in one number; the three definitions in
use differ in how they read the curve:

- `"voc"` (PASCAL VOC 2010 and later, "all-point"): the area under the precision
  envelope, the curve made monotone by replacing each precision with the best
  precision at any higher recall;
- `"voc07"` (PASCAL VOC 2007, "11-point"): the mean of the envelope at the recalls
  0, 0.1, ..., 1;
- `"coco"` (COCO, "101-point"): the mean of the envelope at the recalls 0, 0.01,
  ..., 1.

Where no detection reaches a recall, the envelope there is 0.
"""

import numpy as np

from coursekit.detection.boxes import as_boxes, iou

AP_METHODS = ("voc", "voc07", "coco")
_INTERPOLATION_POINTS = {"voc07": 11, "coco": 101}


def precision_recall(scores, is_true_positive, num_ground_truth):
    """Precision and recall after each detection, in order of decreasing score.

    Detections with equal scores keep the order they are given in (a stable sort,
    as the VOC development kit and pycocotools do), so with ties the curve, and AP,
    can depend on that order.

    Args:
        scores: array `(D,)` of detection scores.
        is_true_positive: array `(D,)` of bools.
        num_ground_truth: the number of objects, at least 1 and at least the number
            of true positives.

    Returns:
        `(precision, recall)`, two float64 arrays `(D,)`.

    Raises:
        ValueError: for arrays of different lengths, `num_ground_truth == 0` (recall
            is undefined without objects) or fewer objects than true positives.

    Example:

    >>> precision, recall = precision_recall([0.9, 0.8, 0.7], [True, False, True], 2)
    >>> precision.round(3), recall
    (array([1.   , 0.5  , 0.667]), array([0.5, 0.5, 1. ]))
    """
    scores = np.asarray(scores, dtype=np.float64).ravel()
    hits = np.asarray(is_true_positive, dtype=bool).ravel()
    _check_counts(scores, hits, num_ground_truth)
    hits = hits[np.argsort(-scores, kind="stable")]
    true_positives = np.cumsum(hits)
    return true_positives / np.arange(1, len(hits) + 1), true_positives / num_ground_truth


def average_precision(scores, is_true_positive, num_ground_truth, method="voc"):
    """Average precision of one class's detections.

    - `"voc"`: all-point AP, `sum_k (r_k - r_{k-1}) * p_interp(r_k)` over the
      detections in score order (`r_0 = 0`), where `p_interp(r) = max over r' >= r
      of p(r')` is the precision envelope;
    - `"voc07"`: `mean over t in {0, 0.1, ..., 1} of p_interp(t)`;
    - `"coco"`: `mean over t in {0, 0.01, ..., 1} of p_interp(t)`;

    with `p_interp(t) = 0` beyond the highest recall reached. The recall
    thresholds are exactly `k / 10` and `k / 100`. (pycocotools builds its
    thresholds with `np.linspace`, which puts a few of them one rounding step above
    `k / 100`, e.g. 0.35000000000000003; only a recall of exactly such a `k / 100`
    can then come out differently.)

    Ties between scores keep the given order (see `precision_recall`).
    Without detections AP is 0.

    Args:
        scores: array `(D,)` of detection scores.
        is_true_positive: array `(D,)` of bools.
        num_ground_truth: the number of objects of the class, at least 1: AP is
            undefined without objects, and `num_ground_truth == 0` raises.
        method: `"voc"`, `"voc07"` or `"coco"`.

    Returns:
        A float in `[0, 1]`.

    Raises:
        ValueError: for an unknown method, arrays of different lengths,
            `num_ground_truth == 0` or fewer objects than true positives.

    Example (the same four detections, three objects):

    >>> hits = [True, True, False, True]
    >>> [round(average_precision([4, 3, 2, 1], hits, 3, m) * d, 6) for m, d in
    ...     [("voc", 12), ("voc07", 11), ("coco", 101)]]
    [11.0, 10.0, 92.5]
    """
    if method not in AP_METHODS:
        raise ValueError(
            f"Unknown AP method. Received: method={method!r}; expected one of {AP_METHODS}."
        )
    precision, recall = precision_recall(scores, is_true_positive, num_ground_truth)
    envelope = np.maximum.accumulate(precision[::-1])[::-1]
    if method == "voc":
        return float(np.sum(np.diff(recall, prepend=0.0) * envelope))
    num_points = _INTERPOLATION_POINTS[method]
    thresholds = np.arange(num_points) / (num_points - 1)
    first_reaching = np.searchsorted(recall, thresholds, side="left")
    padded = np.append(envelope, 0.0)
    return float(np.mean(padded[first_reaching]))


def match_detections(detections, ground_truth, iou_threshold=0.5):
    """Marks every detection as a true or a false positive, class by class.

    The matching rule (COCO's): in each image, the detections of a class are taken
    in order of decreasing score (equal scores in the given order); each one is
    matched to the **not yet matched** ground-truth box of its class with which it
    has the highest IoU, if that IoU is at least `iou_threshold` (the lowest index
    on equal IoUs), and is then a true positive; otherwise it is a false positive.
    A second detection of an object is therefore a false positive.
    (The VOC development kit differs in one corner: it looks for the best box among
    all boxes of the class, and a detection whose best box is already taken is a
    false positive even when another box would qualify.)

    Args:
        detections: a list with one `(boxes, scores, labels)` triple per image:
            arrays `(D, 4)` "xyxy", `(D,)` and `(D,)` ints.
        ground_truth: a list with one `(boxes, labels)` pair per image, in the same
            order: arrays `(G, 4)` and `(G,)`.
        iou_threshold: the smallest IoU at which a detection finds an object.

    Returns:
        A dict `{label: (scores, is_true_positive, num_ground_truth)}` over every
        label that occurs in the detections or the ground truth; the detections
        are listed image by image, each image's in decreasing score order.

    Raises:
        ValueError: for lists of different lengths or malformed arrays.

    Example:

    >>> detections = [([[0, 0, 10, 10], [1, 0, 11, 10]], [0.9, 0.8], [0, 0])]
    >>> ground_truth = [([[0, 0, 10, 10]], [0])]
    >>> match_detections(detections, ground_truth)
    {0: (array([0.9, 0.8]), array([ True, False]), 1)}
    """
    if len(detections) != len(ground_truth):
        raise ValueError(
            "Expected one ground-truth pair per image of detections. Received: "
            f"{len(detections)} images of detections and {len(ground_truth)} of ground truth."
        )
    found = {}
    for image_detections, image_truth in zip(detections, ground_truth, strict=True):
        boxes, scores, labels = _detection_arrays(*image_detections)
        true_boxes, true_labels = _truth_arrays(*image_truth)
        for label in np.union1d(labels, true_labels).tolist():
            mine = np.flatnonzero(labels == label)
            mine = mine[np.argsort(-scores[mine], kind="stable")]
            truth = true_boxes[true_labels == label]
            hits = _greedy_match(iou(boxes[mine], truth), iou_threshold)
            entry = found.setdefault(label, ([], [], 0))
            entry[0].append(scores[mine])
            entry[1].append(hits)
            found[label] = (entry[0], entry[1], entry[2] + len(truth))
    return {
        label: (np.concatenate(scores), np.concatenate(hits), count)
        for label, (scores, hits, count) in sorted(found.items())
    }


def mean_average_precision(detections, ground_truth, iou_threshold=0.5, method="voc"):
    """Mean over classes of the average precision, matching detections by `match_detections`.

    Classes without any ground-truth box in the whole set have no AP (recall is
    undefined) and are left out of the mean, as pycocotools does; their detections
    count nowhere. A class with objects but no detections has AP 0.

    With `iou_threshold=0.5` and `method="voc"` this is PASCAL VOC's mAP (AP50).
    A sequence of thresholds averages the mAPs at each: with
    `np.arange(0.5, 0.96, 0.05)` and `method="coco"` this is COCO's AP (without
    COCO's crowd regions and with no cap on detections per image).

    Args:
        detections: a list with one `(boxes, scores, labels)` triple per image.
        ground_truth: a list with one `(boxes, labels)` pair per image.
        iou_threshold: a float, or a sequence of floats whose mAPs are averaged.
        method: how AP reads the precision-recall curve: `"voc"`, `"voc07"`, `"coco"`.

    Returns:
        A float.

    Raises:
        ValueError: as `match_detections` and `average_precision`, and when no
            class has ground truth.

    Example:

    >>> detections = [([[0, 0, 10, 10], [20, 20, 30, 30]], [0.9, 0.8], [0, 1])]
    >>> ground_truth = [([[0, 0, 10, 10], [20, 20, 30, 30]], [0, 0])]
    >>> mean_average_precision(detections, ground_truth)  # class 1 has no objects
    0.5
    """
    thresholds = np.atleast_1d(np.asarray(iou_threshold, dtype=np.float64))
    per_threshold = []
    for threshold in thresholds:
        matched = match_detections(detections, ground_truth, threshold)
        aps = [
            average_precision(scores, hits, count, method)
            for scores, hits, count in matched.values()
            if count > 0
        ]
        if not aps:
            raise ValueError("No class has a ground-truth box: mAP is undefined.")
        per_threshold.append(np.mean(aps))
    return float(np.mean(per_threshold))


def _greedy_match(overlaps, iou_threshold):
    """True positives of detections (rows, by decreasing score) against boxes (columns)."""
    hits = np.zeros(overlaps.shape[0], dtype=bool)
    free = np.ones(overlaps.shape[1], dtype=bool)
    for row, candidates in enumerate(overlaps):
        candidates = np.where(free, candidates, -1.0)
        if candidates.size and candidates.max() >= iou_threshold:
            free[candidates.argmax()] = False
            hits[row] = True
    return hits


def _detection_arrays(boxes, scores, labels):
    boxes = as_boxes(boxes, "detection boxes")
    scores = np.asarray(scores, dtype=np.float64).ravel()
    labels = np.asarray(labels).ravel().astype(np.int64)
    if not len(boxes) == len(scores) == len(labels):
        raise ValueError(
            "Each image needs as many scores and labels as boxes. Received: "
            f"{len(boxes)} boxes, {len(scores)} scores, {len(labels)} labels."
        )
    return boxes, scores, labels


def _truth_arrays(boxes, labels):
    boxes = as_boxes(boxes, "ground-truth boxes")
    labels = np.asarray(labels).ravel().astype(np.int64)
    if len(boxes) != len(labels):
        raise ValueError(
            f"Each image needs one label per ground-truth box. Received: {len(boxes)} boxes, "
            f"{len(labels)} labels."
        )
    return boxes, labels


def _check_counts(scores, hits, num_ground_truth):
    if len(scores) != len(hits):
        raise ValueError(
            f"Expected one is_true_positive per score. Received: {len(scores)} scores and "
            f"{len(hits)} is_true_positive."
        )
    if num_ground_truth < 1:
        raise ValueError(
            "AP is undefined without ground truth (recall divides by it). "
            f"Received: num_ground_truth={num_ground_truth}."
        )
    if hits.sum() > num_ground_truth:
        raise ValueError(
            f"More true positives ({int(hits.sum())}) than objects. Received: "
            f"num_ground_truth={num_ground_truth}."
        )
