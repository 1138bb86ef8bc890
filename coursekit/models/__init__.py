"""Keras models of the course, built with `keras.layers` and `keras.ops` only, so they run
on every Keras backend. Importing this package imports Keras."""

from coursekit.models.detection import (
    DetectionLoss,
    build_single_shot_detector,
    decode_detections,
    detector_anchors,
    encode_targets,
    predict_detections,
)
from coursekit.models.segmentation import BilinearUpsampling, fcn, segnet, unet

__all__ = [
    "BilinearUpsampling",
    "DetectionLoss",
    "build_single_shot_detector",
    "decode_detections",
    "detector_anchors",
    "encode_targets",
    "fcn",
    "predict_detections",
    "segnet",
    "unet",
]
