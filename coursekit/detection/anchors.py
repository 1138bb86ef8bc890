"""Anchors: reference boxes on a feature-map grid, the offsets that turn them into
objects, and the assignment of anchors to ground-truth boxes.

An anchor (a *default box* in SSD) is not something the network convolves: it is a
fixed box at a known place and size. For each anchor the detector's heads predict
a class and four numbers that move and resize the anchor onto an object.
"""

import numpy as np

from coursekit.arithmetic import as_pair
from coursekit.detection.boxes import as_boxes, iou

# What `match_anchors` writes for an anchor that matches no ground-truth box.
BACKGROUND = -1
IGNORED = -2


def generate_anchors(feature_size, image_size, scales, aspect_ratios):
    """Anchors centred on every cell of a feature map, in image pixel coordinates.

    Cell `(row, col)` of a `feature_height x feature_width` map looks at the image
    region of one stride, `stride = image_size / feature_size` per axis, and its
    anchors are centred on that region's centre, `((col + 0.5) * stride_x,
    (row + 0.5) * stride_y)`: the offset is half a cell. An anchor of scale `s` and
    aspect ratio `r` has width `s * sqrt(r)` and height `s / sqrt(r)`, so its area is
    `s**2` whatever the ratio, and **`r` is width / height** (`r = 2` is twice as
    wide as it is tall). Anchors are not clipped to the image.

    Args:
        feature_size: the feature map's size, an int or `(height, width)`.
        image_size: the image's size in pixels, an int or `(height, width)`.
        scales: the anchors' sizes in pixels (square roots of their areas).
        aspect_ratios: their width / height ratios.

    Returns:
        A float64 array `(feature_height * feature_width * len(scales) *
        len(aspect_ratios), 4)` of "xyxy" boxes: cells in row-major order, and for
        each cell every scale, each with every ratio (ratios vary fastest).
        This is the order in which a convolutional head with `len(scales) *
        len(aspect_ratios)` outputs per position, reshaped to one row per anchor,
        lists its predictions.

    Raises:
        ValueError: for sizes that are not positive ints, or scales or ratios that
            are empty or not positive.

    Example (a 2x2 map over a 32x32 image: strides of 16 pixels):

    >>> generate_anchors(2, 32, scales=[16], aspect_ratios=[1.0])
    array([[ 0.,  0., 16., 16.],
           [16.,  0., 32., 16.],
           [ 0., 16., 16., 32.],
           [16., 16., 32., 32.]])
    >>> generate_anchors(1, 32, scales=[8], aspect_ratios=[4.0])  # 16 wide, 4 tall
    array([[ 8., 14., 24., 18.]])
    """
    feature_height, feature_width = as_pair(feature_size, "feature_size")
    image_height, image_width = as_pair(image_size, "image_size")
    scales = _positive_values(scales, "scales")
    ratios = _positive_values(aspect_ratios, "aspect_ratios")
    widths = (scales[:, None] * np.sqrt(ratios)[None, :]).ravel()
    heights = (scales[:, None] / np.sqrt(ratios)[None, :]).ravel()
    centre_y = (np.arange(feature_height) + 0.5) * image_height / feature_height
    centre_x = (np.arange(feature_width) + 0.5) * image_width / feature_width
    cy, cx = np.meshgrid(centre_y, centre_x, indexing="ij")
    centres = np.stack([cx.ravel(), cy.ravel()], axis=-1)[:, None, :]
    half_sizes = np.stack([widths, heights], axis=-1)[None, :, :] / 2
    return np.concatenate([centres - half_sizes, centres + half_sizes], axis=-1).reshape(-1, 4)


def encode_boxes(boxes, anchors):
    """The offsets `(t_x, t_y, t_w, t_h)` that move each anchor onto its box.

    The parametrisation of R-CNN, Fast and Faster R-CNN and SSD. With centres
    `(x, y)`, widths `w` and heights `h` of the box, and `(x_a, y_a, w_a, h_a)` of
    the anchor:

        t_x = (x - x_a) / w_a,   t_y = (y - y_a) / h_a,
        t_w = log(w / w_a),      t_h = log(h / h_a).

    Shifts are measured in anchor sizes, so they mean the same for small and large
    anchors, and sizes as log-ratios, so that halving and doubling are symmetric
    (-0.69 and +0.69) and any real `t_w` decodes to a positive width. This equals
    `keras.utils.bounding_boxes.encode_box_to_deltas` with `encoding_format=
    "center_xywh"` and no variance.

    Args:
        boxes: array `(N, 4)` of "xyxy" boxes with positive width and height.
        anchors: array `(N, 4)` of "xyxy" anchors, one per box.

    Returns:
        A float64 array `(N, 4)` of `(t_x, t_y, t_w, t_h)`.

    Raises:
        ValueError: for malformed boxes, a box or anchor of zero width or height,
            or different numbers of boxes and anchors.

    Example:

    >>> encode_boxes([[12, 10, 22, 30]], [[0, 0, 20, 20]])
    array([[ 0.35      ,  0.5       , -0.69314718,  0.        ]])
    """
    boxes, anchors = _paired(boxes, anchors, "boxes")
    centres, sizes = _centres_and_sizes(boxes, "boxes")
    anchor_centres, anchor_sizes = _centres_and_sizes(anchors, "anchors")
    return np.concatenate(
        [(centres - anchor_centres) / anchor_sizes, np.log(sizes / anchor_sizes)], axis=-1
    )


def decode_boxes(deltas, anchors):
    """The boxes that offsets `(t_x, t_y, t_w, t_h)` describe: the inverse of `encode_boxes`.

    `x = x_a + t_x * w_a`, `y = y_a + t_y * h_a`, `w = w_a * exp(t_w)`,
    `h = h_a * exp(t_h)`, returned as corners.

    Args:
        deltas: array `(N, 4)` of offsets.
        anchors: array `(N, 4)` of "xyxy" anchors with positive width and height.

    Returns:
        A float64 array `(N, 4)` of "xyxy" boxes.

    Raises:
        ValueError: for deltas that are not `(N, 4)` finite numbers, malformed or
            degenerate anchors, or different numbers of deltas and anchors.

    Example:

    >>> decode_boxes([[0.35, 0.5, np.log(0.5), 0.0]], [[0, 0, 20, 20]])
    array([[12., 10., 22., 30.]])
    """
    deltas = np.asarray(deltas, dtype=np.float64)
    if deltas.ndim != 2 or deltas.shape[1] != 4 or not np.isfinite(deltas).all():
        raise ValueError(
            f"`deltas` must be finite numbers of shape (N, 4). Received: shape={deltas.shape}."
        )
    anchors = as_boxes(anchors, "anchors")
    if len(deltas) != len(anchors):
        raise ValueError(
            f"Expected one anchor per row of deltas. Received: {len(deltas)} deltas and {len(anchors)} anchors."
        )
    anchor_centres, anchor_sizes = _centres_and_sizes(anchors, "anchors")
    centres = anchor_centres + deltas[:, :2] * anchor_sizes
    sizes = anchor_sizes * np.exp(deltas[:, 2:])
    return np.concatenate([centres - sizes / 2, centres + sizes / 2], axis=-1)


def match_anchors(anchors, ground_truth, positive_iou=0.5, negative_iou=0.4):
    """Assigns each anchor to a ground-truth box, to the background, or to neither.

    The rule of SSD and Faster R-CNN's region proposal network:

    1. an anchor whose best IoU with any ground-truth box is at least
       `positive_iou` is assigned to that box (the lowest index on equal IoUs);
    2. an anchor whose best IoU is below `negative_iou` is background;
    3. an anchor in between is ignored: it is trained neither as an object nor as
       background, since it overlaps an object too much for either;
    4. then every ground-truth box claims its best anchor (the lowest index on equal
       IoUs), whatever that anchor's IoU, so that no object is left without an
       anchor. Boxes claim in order of decreasing best IoU; a box whose best anchor
       was already claimed keeps the anchors of rule 1 only. A box that overlaps
       no anchor claims none.

    Args:
        anchors: array `(A, 4)` of "xyxy" anchors.
        ground_truth: array `(G, 4)` of "xyxy" boxes; `G` may be 0.
        positive_iou: the IoU from which an anchor is an object.
        negative_iou: the IoU below which an anchor is background
            (`negative_iou <= positive_iou`).

    Returns:
        An int64 array `(A,)`: the index of the assigned box, `BACKGROUND` (-1) or
        `IGNORED` (-2).

    Raises:
        ValueError: for malformed boxes, or thresholds outside `[0, 1]` or in the
            wrong order.

    Example:

    >>> anchors = [[0, 0, 10, 10], [5, 0, 15, 10], [20, 0, 30, 10], [40, 0, 50, 10]]
    >>> match_anchors(anchors, [[1, 0, 11, 10], [33, 0, 43, 10]])
    array([ 0, -2, -1,  1])
    """
    anchors = as_boxes(anchors, "anchors")
    ground_truth = as_boxes(ground_truth, "ground_truth")
    if not 0.0 <= negative_iou <= positive_iou <= 1.0:
        raise ValueError(
            "Expected 0 <= negative_iou <= positive_iou <= 1. Received: "
            f"negative_iou={negative_iou}, positive_iou={positive_iou}."
        )
    if len(ground_truth) == 0 or len(anchors) == 0:
        return np.full(len(anchors), BACKGROUND, dtype=np.int64)
    overlaps = iou(anchors, ground_truth)
    best_iou = overlaps.max(axis=1)
    matches = np.where(best_iou < negative_iou, BACKGROUND, IGNORED).astype(np.int64)
    positive = best_iou >= positive_iou
    matches[positive] = overlaps.argmax(axis=1)[positive]
    claimed = np.zeros(len(anchors), dtype=bool)
    best_anchor, best_of_box = overlaps.argmax(axis=0), overlaps.max(axis=0)
    for box in np.argsort(-best_of_box, kind="stable"):
        anchor = best_anchor[box]
        if best_of_box[box] > 0 and not claimed[anchor]:
            matches[anchor], claimed[anchor] = box, True
    return matches


def _paired(boxes, anchors, name):
    boxes, anchors = as_boxes(boxes, name), as_boxes(anchors, "anchors")
    if len(boxes) != len(anchors):
        raise ValueError(
            f"Expected one anchor per box. Received: {len(boxes)} {name} and {len(anchors)} anchors."
        )
    return boxes, anchors


def _centres_and_sizes(boxes, name):
    sizes = boxes[:, 2:] - boxes[:, :2]
    if (sizes <= 0).any():
        raise ValueError(
            f"`{name}` must have positive widths and heights (their logarithms are taken). "
            f"Received: {boxes[(sizes <= 0).any(axis=1)][:3].tolist()}."
        )
    return boxes[:, :2] + sizes / 2, sizes


def _positive_values(values, name):
    values = np.asarray(values, dtype=np.float64).ravel()
    if values.size == 0 or not (np.isfinite(values) & (values > 0)).all():
        raise ValueError(f"`{name}` must be positive numbers. Received: {name}={values.tolist()}.")
    return values
