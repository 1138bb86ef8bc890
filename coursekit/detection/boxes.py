"""Boxes: formats, areas, intersection over union and non-maximum suppression.

A box is four floats in continuous pixel coordinates, `(x_min, y_min, x_max, y_max)`
("xyxy"): pixel `(row, col)` covers `[col, col + 1) x [row, row + 1)`, so a box's width
is `x_max - x_min`, with no "+1". Arrays of boxes have shape `(num_boxes, 4)`.
"""

import numpy as np

BOX_FORMATS = ("xyxy", "xywh", "center_xywh")


def convert_boxes(boxes, source, target):
    """Converts boxes between the corner, corner-size and centre-size formats.

    The formats, named as in `keras.utils.bounding_boxes.convert_format`:

    - `"xyxy"`: `(x_min, y_min, x_max, y_max)`, the corners;
    - `"xywh"`: `(x_min, y_min, width, height)`, the top-left corner and the size;
    - `"center_xywh"`: `(x_center, y_center, width, height)`.

    Args:
        boxes: array of shape `(..., 4)`.
        source: the format of `boxes`.
        target: the format to return.

    Returns:
        A float64 array of the same shape.

    Raises:
        ValueError: for an unknown format or a last axis that is not 4 long.

    Example:

    >>> convert_boxes([[10, 20, 30, 60]], "xyxy", "center_xywh")
    array([[20., 40., 20., 40.]])
    >>> convert_boxes([[20, 40, 20, 40]], "center_xywh", "xywh")
    array([[10., 20., 20., 40.]])
    """
    for name, value in (("source", source), ("target", target)):
        if value not in BOX_FORMATS:
            raise ValueError(
                f"Unknown box format. Received: {name}={value!r}; expected one of {BOX_FORMATS}."
            )
    boxes = np.asarray(boxes, dtype=np.float64)
    if boxes.ndim == 0 or boxes.shape[-1] != 4:
        raise ValueError(f"Boxes need a last axis of 4 numbers. Received: shape={boxes.shape}.")
    return _from_corners(_to_corners(boxes, source), target)


def _to_corners(boxes, source):
    first, size = boxes[..., :2], boxes[..., 2:]
    if source == "xyxy":
        return boxes.copy()
    if source == "center_xywh":
        first = first - size / 2
    return np.concatenate([first, first + size], axis=-1)


def _from_corners(corners, target):
    top_left, bottom_right = corners[..., :2], corners[..., 2:]
    if target == "xyxy":
        return corners
    size = bottom_right - top_left
    first = top_left + size / 2 if target == "center_xywh" else top_left
    return np.concatenate([first, size], axis=-1)


def box_area(boxes):
    """Returns the area of each "xyxy" box, `(x_max - x_min) * (y_max - y_min)`.

    Example:

    >>> box_area([[0, 0, 2, 3], [1, 1, 1, 5]])
    array([6., 0.])
    """
    boxes = as_boxes(boxes)
    return (boxes[:, 2] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 1])


def iou(boxes_a, boxes_b):
    """Intersection over union of every box in `boxes_a` with every box in `boxes_b`.

    IoU = area(A ∩ B) / area(A ∪ B), between 0 (disjoint) and 1 (the same box).
    The intersection's width and height are clamped at 0, so boxes that are apart
    along either axis have IoU 0. Two boxes whose union has zero area (both
    degenerate) have IoU 0. This equals `keras.utils.bounding_boxes.compute_iou`
    with `bounding_box_format="xyxy"`, which adds 1e-7 to the union.

    Args:
        boxes_a: array `(N, 4)` of "xyxy" boxes.
        boxes_b: array `(M, 4)` of "xyxy" boxes.

    Returns:
        A float64 array `(N, M)`.

    Raises:
        ValueError: for arrays that are not `(num_boxes, 4)`, values that are not
            finite, or a box with `x_max < x_min` or `y_max < y_min`.

    Example:

    >>> iou([[0, 0, 2, 2]], [[1, 0, 3, 2], [0, 0, 2, 2], [5, 5, 6, 6]])
    array([[0.33333333, 1.        , 0.        ]])
    """
    boxes_a, boxes_b = as_boxes(boxes_a, "boxes_a"), as_boxes(boxes_b, "boxes_b")
    top_left = np.maximum(boxes_a[:, None, :2], boxes_b[None, :, :2])
    bottom_right = np.minimum(boxes_a[:, None, 2:], boxes_b[None, :, 2:])
    sides = np.clip(bottom_right - top_left, 0.0, None)
    intersection = sides[..., 0] * sides[..., 1]
    union = box_area(boxes_a)[:, None] + box_area(boxes_b)[None, :] - intersection
    return np.divide(intersection, union, out=np.zeros_like(intersection), where=union > 0)


def non_max_suppression(boxes, scores, iou_threshold=0.5, max_outputs=None, score_threshold=None):
    """Greedy non-maximum suppression, with `tf.image.non_max_suppression`'s semantics.

    Boxes are visited in order of decreasing score. A box is kept unless its IoU
    with a box already kept is **greater than** `iou_threshold` (an IoU equal to
    the threshold does not suppress). Equal scores keep the lower index first (a
    stable sort). Only boxes whose score is **greater than** `score_threshold`
    take part. The search stops after `max_outputs` boxes. Zero-area boxes have
    IoU 0 with everything, so they never suppress nor get suppressed.

    TensorFlow takes boxes as `(y_min, x_min, y_max, x_max)`; the result is the
    same for boxes given as `(x_min, y_min, x_max, y_max)`, since IoU does not
    care which axis comes first.

    Args:
        boxes: array `(N, 4)` of "xyxy" boxes.
        scores: array `(N,)` of scores.
        iou_threshold: a float in `[0, 1]`.
        max_outputs: the most boxes to return, or `None` for no limit.
        score_threshold: a float, or `None` to consider every box.

    Returns:
        An int64 array of the kept indices, in decreasing score order.

    Raises:
        ValueError: for malformed boxes, scores that are not `(N,)`, an
            `iou_threshold` outside `[0, 1]` or a negative `max_outputs`.

    Example:

    >>> boxes = [[0, 0, 10, 10], [1, 1, 11, 11], [20, 20, 30, 30], [0, 0, 10, 10]]
    >>> non_max_suppression(boxes, [0.9, 0.8, 0.7, 0.9])
    array([0, 2])
    >>> non_max_suppression(boxes, [0.9, 0.8, 0.7, 0.9], iou_threshold=1.0, max_outputs=3)
    array([0, 3, 1])
    """
    boxes = as_boxes(boxes)
    scores = _check_nms_arguments(boxes, scores, iou_threshold, max_outputs)
    order = np.argsort(-scores, kind="stable")
    if score_threshold is not None:
        order = order[scores[order] > score_threshold]
    limit = len(order) if max_outputs is None else max_outputs
    kept = []
    while order.size and len(kept) < limit:
        best, order = order[0], order[1:]
        kept.append(best)
        order = order[iou(boxes[[best]], boxes[order])[0] <= iou_threshold]
    return np.array(kept, dtype=np.int64)


def as_boxes(boxes, name="boxes"):
    """Returns `boxes` as a float64 `(num_boxes, 4)` array of valid "xyxy" boxes.

    Raises:
        ValueError: for another shape, values that are not finite, or a box whose
            maximum lies below its minimum.
    """
    boxes = np.asarray(boxes, dtype=np.float64)
    if boxes.size == 0:
        boxes = boxes.reshape(0, 4)
    if boxes.ndim != 2 or boxes.shape[1] != 4:
        raise ValueError(f"`{name}` must have shape (num_boxes, 4). Received: shape={boxes.shape}.")
    if not np.isfinite(boxes).all():
        raise ValueError(
            f"`{name}` must hold finite numbers. Received: {boxes[~np.isfinite(boxes).all(axis=1)][:3].tolist()}."
        )
    inverted = (boxes[:, 2] < boxes[:, 0]) | (boxes[:, 3] < boxes[:, 1])
    if inverted.any():
        raise ValueError(
            f"`{name}` must be (x_min, y_min, x_max, y_max) with x_max >= x_min and "
            f"y_max >= y_min. Received: {boxes[inverted][:3].tolist()}."
        )
    return boxes


def _check_nms_arguments(boxes, scores, iou_threshold, max_outputs):
    scores = np.asarray(scores, dtype=np.float64)
    if scores.shape != (len(boxes),):
        raise ValueError(
            f"`scores` must have shape ({len(boxes)},), one per box. Received: shape={scores.shape}."
        )
    if not 0.0 <= iou_threshold <= 1.0:
        raise ValueError(
            f"`iou_threshold` must be in [0, 1]. Received: iou_threshold={iou_threshold}."
        )
    if max_outputs is not None and (
        not isinstance(max_outputs, (int, np.integer)) or max_outputs < 0
    ):
        raise ValueError(
            f"`max_outputs` must be None or an int >= 0. Received: max_outputs={max_outputs!r}."
        )
    return scores
