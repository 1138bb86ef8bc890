"""Keras models of the course, built with `keras.layers` and `keras.ops` only, so they run
on every Keras backend.

The classic architectures, from LeNet-5 to DenseNet, and the blocks they are made of
(`vgg_block`, `inception_module`, `residual_block`, `dense_block`), and the
ImageNet-pretrained `imagenet_backbone`, import Keras only when a builder runs, so the
exercise registry, which names some of them as references, stays light. The detection and segmentation models import Keras with their modules:
their names are loaded on first use (`coursekit.models.unet`, or `from coursekit.models
import detection`).
"""

import importlib

from coursekit.models.classic import (
    alexnet,
    lenet5,
    local_response_normalization,
    vgg,
    vgg16,
    vgg_block,
)
from coursekit.models.dense import dense_block, densenet, transition
from coursekit.models.inception import googlenet, inception_module
from coursekit.models.inspection import build_without_weights, compare_probes, probe
from coursekit.models.pretrained import imagenet_backbone
from coursekit.models.residual import cifar_resnet, plain_block, residual_block, resnet

# Names defined by modules that import Keras, and the module of each.
_LAZY = {
    "DetectionLoss": "detection",
    "build_single_shot_detector": "detection",
    "decode_detections": "detection",
    "detector_anchors": "detection",
    "encode_targets": "detection",
    "predict_detections": "detection",
    "BilinearUpsampling": "segmentation",
    "fcn": "segmentation",
    "segnet": "segmentation",
    "unet": "segmentation",
}


def __getattr__(name):
    if name in _LAZY:
        return getattr(importlib.import_module(f"coursekit.models.{_LAZY[name]}"), name)
    raise AttributeError(f"module 'coursekit.models' has no attribute {name!r}")


__all__ = [
    "BilinearUpsampling",
    "DetectionLoss",
    "alexnet",
    "build_single_shot_detector",
    "build_without_weights",
    "cifar_resnet",
    "compare_probes",
    "decode_detections",
    "dense_block",
    "densenet",
    "detector_anchors",
    "encode_targets",
    "fcn",
    "googlenet",
    "imagenet_backbone",
    "inception_module",
    "lenet5",
    "local_response_normalization",
    "plain_block",
    "predict_detections",
    "probe",
    "residual_block",
    "resnet",
    "segnet",
    "transition",
    "unet",
    "vgg",
    "vgg16",
    "vgg_block",
]
