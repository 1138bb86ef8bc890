"""Object detection in NumPy: boxes, IoU, non-maximum suppression, anchors and box
encoding, RoI pooling and RoIAlign, and average precision.

Boxes are `(x_min, y_min, x_max, y_max)` floats in continuous pixel coordinates
(pixel `(row, col)` covers `[col, col + 1) x [row, row + 1)`; no "+1" in widths).
Each function matches its reference implementation (TensorFlow's
`non_max_suppression`, Keras's bounding-box utilities, torchvision's `roi_pool` and
`roi_align`, pycocotools), as the tests check.
"""

from coursekit.detection.anchors import (
    BACKGROUND,
    IGNORED,
    decode_boxes,
    encode_boxes,
    generate_anchors,
    match_anchors,
)
from coursekit.detection.boxes import (
    BOX_FORMATS,
    box_area,
    convert_boxes,
    iou,
    non_max_suppression,
)
from coursekit.detection.metrics import (
    AP_METHODS,
    average_precision,
    match_detections,
    mean_average_precision,
    precision_recall,
)
from coursekit.detection.roi import bilinear_interpolation_weights, roi_align, roi_pool

__all__ = [
    "AP_METHODS",
    "BACKGROUND",
    "BOX_FORMATS",
    "IGNORED",
    "average_precision",
    "bilinear_interpolation_weights",
    "box_area",
    "convert_boxes",
    "decode_boxes",
    "encode_boxes",
    "generate_anchors",
    "iou",
    "match_anchors",
    "match_detections",
    "mean_average_precision",
    "non_max_suppression",
    "precision_recall",
    "roi_align",
    "roi_pool",
]
