"""A small single-shot detector in the style of SSD, with its training targets and loss.

The network maps an image to, for every anchor, `num_classes + 1` class scores
(background first) and four box offsets `(t_x, t_y, t_w, t_h)` in the encoding of
`coursekit.detection.encode_boxes`. Its anchors sit on several feature maps, one per
*level*: level `k` has a stride of `4 * 2**k` pixels, so the first level, with the
finest grid, gets the smallest anchors. Everything outside the Keras model
(targets, decoding, non-maximum suppression) is NumPy and uses `coursekit.detection`.
Only `keras.layers` and `keras.ops` are used: the model runs on every Keras backend.
"""

import keras
import numpy as np
from keras import ops

from coursekit.detection import (
    BACKGROUND,
    decode_boxes,
    encode_boxes,
    generate_anchors,
    match_anchors,
    non_max_suppression,
)

FIRST_STRIDE = 4


def detector_anchors(image_size, scales, aspect_ratios=(1.0,)):
    """The anchors of `build_single_shot_detector`, in the order of its outputs.

    Args:
        image_size: the side of the square input images, in pixels.
        scales: one sequence of anchor sizes (pixels) per level; level `k` has a
            stride of `4 * 2**k` pixels.
        aspect_ratios: width / height ratios, the same on every level.

    Returns:
        A float64 array `(num_anchors, 4)` of "xyxy" anchors, level by level.

    Example:

    >>> detector_anchors(64, [[12, 17], [24]]).shape  # 16x16x2 + 8x8x1
    (576, 4)
    """
    levels = []
    for level, level_scales in enumerate(scales):
        stride = FIRST_STRIDE * 2**level
        if image_size % stride:
            raise ValueError(
                f"image_size must be a multiple of every level's stride ({stride} for level "
                f"{level}). Received: image_size={image_size}."
            )
        levels.append(
            generate_anchors(image_size // stride, image_size, level_scales, aspect_ratios)
        )
    return np.concatenate(levels)


def build_single_shot_detector(
    image_size, num_classes, scales, aspect_ratios=(1.0,), width=16, name="single_shot_detector"
):
    """A single-shot detector: a small convolutional backbone and a head per level.

    Two 3x3 convolution + max-pooling stages bring the image to a quarter of its
    size (stride 4); two 3x3 convolutions there make the first level's features;
    each further level halves the resolution again with max pooling and a 3x3
    convolution. Every convolution is followed by batch normalisation and ReLU. On
    each level, two 3x3 convolutions predict, at every position and for each of
    its anchors, the class logits and the four offsets: the same weights at every
    position, which is what lets one network look at every place at once.

    Args:
        image_size: the side of the square RGB input images; a multiple of
            `4 * 2**(len(scales) - 1)`.
        num_classes: object classes (the background is added as class 0).
        scales: one sequence of anchor sizes per level, as in `detector_anchors`.
        aspect_ratios: width / height ratios of the anchors.
        width: filters of the first convolution; later ones have 2, 4 and 8 times
            as many.
        name: the model's name.

    Returns:
        An uncompiled `keras.Model` from `(batch, image_size, image_size, 3)` images
        to `(batch, num_anchors, num_classes + 5)`: per anchor the logits of the
        background and each class, then `(t_x, t_y, t_w, t_h)`.

    Example:

    >>> model = build_single_shot_detector(64, 3, [[12, 17], [24]])
    >>> model.output_shape
    (None, 576, 8)
    """
    detector_anchors(image_size, scales, aspect_ratios)  # validates the geometry
    per_position = [len(level) * len(aspect_ratios) for level in scales]
    images = keras.Input((image_size, image_size, 3), name="images")
    x = _conv_block(images, width, "stem_conv1")
    x = keras.layers.MaxPooling2D(name="stem_pool1")(x)
    x = _conv_block(x, 2 * width, "stem_conv2")
    x = keras.layers.MaxPooling2D(name="stem_pool2")(x)
    x = _conv_block(x, 4 * width, "level0_conv1")
    x = _conv_block(x, 4 * width, "level0_conv2")
    outputs = []
    for level, anchors_here in enumerate(per_position):
        if level:
            x = keras.layers.MaxPooling2D(name=f"level{level}_pool")(x)
            x = _conv_block(x, 8 * width, f"level{level}_conv")
        outputs.append(_head(x, anchors_here, num_classes, f"level{level}"))
    joined = (
        outputs[0]
        if len(outputs) == 1
        else keras.layers.Concatenate(axis=1, name="anchors")(outputs)
    )
    return keras.Model(images, joined, name=name)


def _conv_block(x, filters, name):
    x = keras.layers.Conv2D(filters, 3, padding="same", use_bias=False, name=name)(x)
    x = keras.layers.BatchNormalization(momentum=0.9, name=f"{name}_bn")(x)
    return keras.layers.ReLU(name=f"{name}_relu")(x)


def _head(x, anchors_per_position, num_classes, name):
    logits = keras.layers.Conv2D(
        anchors_per_position * (num_classes + 1), 3, padding="same", name=f"{name}_classes"
    )(x)
    offsets = keras.layers.Conv2D(
        anchors_per_position * 4, 3, padding="same", name=f"{name}_boxes"
    )(x)
    logits = keras.layers.Reshape((-1, num_classes + 1), name=f"{name}_classes_per_anchor")(logits)
    offsets = keras.layers.Reshape((-1, 4), name=f"{name}_boxes_per_anchor")(offsets)
    # float32 even under mixed precision: a numerically safe softmax and loss.
    return keras.layers.Concatenate(axis=-1, dtype="float32", name=f"{name}_outputs")(
        [logits, offsets]
    )


@keras.saving.register_keras_serializable(package="coursekit")
class DetectionLoss(keras.losses.Loss):
    """SSD's loss: cross-entropy on the classes with hard negative mining, plus smooth L1
    on the offsets of the anchors assigned to objects, divided by their number.

    Targets are `(batch, num_anchors, 5)`, as `encode_targets` makes them: the class
    (0 for background, `label + 1` for an object, -1 for an ignored anchor), then the
    four offsets. Most anchors are background; counting them all would drown the few
    objects, so each image keeps only the `negatives_per_positive` times as many
    background anchors as it has objects' anchors (at least `negatives_per_positive`),
    those with the highest loss: the hard negatives.

    Args:
        num_classes: object classes (without the background).
        negatives_per_positive: background anchors kept per object anchor.
        box_weight: the weight of the offsets' loss against the classes'.
    """

    def __init__(
        self, num_classes, negatives_per_positive=3, box_weight=1.0, name="detection_loss", **kwargs
    ):
        super().__init__(name=name, **kwargs)
        self.num_classes = num_classes
        self.negatives_per_positive = negatives_per_positive
        self.box_weight = box_weight

    def call(self, y_true, y_pred):
        classes = ops.cast(y_true[..., 0], "int32")
        positive, negative = classes > 0, classes == 0
        logits = y_pred[..., : self.num_classes + 1]
        cross_entropy = ops.sparse_categorical_crossentropy(
            ops.maximum(classes, 0), logits, from_logits=True
        )
        num_positive = ops.sum(ops.cast(positive, "int32"), axis=1)
        num_negative = self.negatives_per_positive * ops.maximum(num_positive, 1)
        # Rank the background anchors by their loss, highest first.
        candidates = ops.where(negative, ops.stop_gradient(cross_entropy), -1.0)
        rank = ops.argsort(ops.argsort(-candidates, axis=1), axis=1)
        hard = negative & (rank < num_negative[:, None])
        class_loss = ops.sum(ops.where(positive | hard, cross_entropy, 0.0), axis=1)
        error = ops.abs(y_pred[..., self.num_classes + 1 :] - y_true[..., 1:])
        smooth_l1 = ops.where(error < 1.0, 0.5 * error**2, error - 0.5)
        box_loss = ops.sum(ops.where(positive[..., None], smooth_l1, 0.0), axis=(1, 2))
        # Divided by all object anchors of the batch; Keras then averages over images.
        batch = ops.cast(ops.shape(y_true)[0], y_pred.dtype)
        total_positive = ops.maximum(ops.cast(ops.sum(num_positive), y_pred.dtype), 1.0)
        return (class_loss + self.box_weight * box_loss) * batch / total_positive

    def get_config(self):
        return {
            **super().get_config(),
            "num_classes": self.num_classes,
            "negatives_per_positive": self.negatives_per_positive,
            "box_weight": self.box_weight,
        }


def encode_targets(boxes, labels, anchors, positive_iou=0.5, negative_iou=0.4):
    """The training targets of a batch of images: a class and offsets per anchor.

    Args:
        boxes: a list with one `(G, 4)` array of "xyxy" boxes per image.
        labels: a list with one `(G,)` array of class indices per image.
        anchors: the model's anchors, `(num_anchors, 4)`.
        positive_iou, negative_iou: as in `coursekit.detection.match_anchors`.

    Returns:
        A float32 array `(num_images, num_anchors, 5)`: the class (0 for background,
        `label + 1` for an object, -1 for an ignored anchor), then `(t_x, t_y, t_w,
        t_h)` from `encode_boxes` for object anchors (0 elsewhere).

    Example:

    >>> anchors = np.array([[0, 0, 10, 10], [20, 0, 30, 10]], dtype=float)
    >>> targets = encode_targets([np.array([[0, 0, 10, 20]])], [np.array([2])], anchors)
    >>> targets[0].astype(float).round(4).tolist()  # anchor 0: class 2 + 1, offsets; anchor 1: background
    [[3.0, 0.0, 0.5, 0.0, 0.6931], [0.0, 0.0, 0.0, 0.0, 0.0]]
    """
    targets = np.zeros((len(boxes), len(anchors), 5), np.float32)
    for index, (image_boxes, image_labels) in enumerate(zip(boxes, labels, strict=True)):
        matches = match_anchors(anchors, image_boxes, positive_iou, negative_iou)
        matched = matches >= 0
        targets[index, :, 0] = np.where(
            matched, np.asarray(image_labels)[np.maximum(matches, 0)] + 1, 0
        )
        targets[index, matches < BACKGROUND, 0] = -1
        if matched.any():
            targets[index, matched, 1:] = encode_boxes(
                np.asarray(image_boxes)[matches[matched]], anchors[matched]
            )
    return targets


def decode_detections(
    outputs, anchors, image_size, score_threshold=0.05, iou_threshold=0.45, max_detections=20
):
    """Turns the detector's outputs for one image into scored, labelled boxes.

    For each class: the softmax probability of the class is each anchor's score;
    anchors scoring above `score_threshold` are decoded with `decode_boxes`,
    clipped to the image, and thinned by `non_max_suppression` at `iou_threshold`.
    The `max_detections` best of all classes are returned.

    Args:
        outputs: array `(num_anchors, num_classes + 5)`, the model's output for one image.
        anchors: the model's anchors, `(num_anchors, 4)`.
        image_size: the side of the image, for clipping.
        score_threshold, iou_threshold: as in `non_max_suppression`.
        max_detections: the most boxes returned.

    Returns:
        `(boxes, scores, labels)`: float64 `(D, 4)`, float64 `(D,)` and int64 `(D,)`
        arrays in decreasing score order, labels counting from 0 as in the data.
    """
    outputs = np.asarray(outputs, dtype=np.float64)
    logits, offsets = outputs[:, :-4], outputs[:, -4:]
    probabilities = np.exp(logits - logits.max(axis=1, keepdims=True))
    probabilities /= probabilities.sum(axis=1, keepdims=True)
    boxes = np.clip(decode_boxes(offsets, anchors), 0.0, image_size)
    found = []
    for label in range(1, probabilities.shape[1]):
        scores = probabilities[:, label]
        kept = non_max_suppression(boxes, scores, iou_threshold, max_detections, score_threshold)
        found.extend(
            (score, label - 1, box) for score, box in zip(scores[kept], boxes[kept], strict=True)
        )
    found.sort(key=lambda item: -item[0])
    found = found[:max_detections]
    return (
        np.array([box for *_, box in found], dtype=np.float64).reshape(-1, 4),
        np.array([score for score, *_ in found], dtype=np.float64),
        np.array([label for _, label, _ in found], dtype=np.int64),
    )


def predict_detections(model, images, anchors, batch_size=256, **options):
    """Runs the detector on images and decodes each image's detections.

    Args:
        model: a model from `build_single_shot_detector`.
        images: array `(N, size, size, 3)`.
        anchors: its anchors.
        batch_size: images per forward pass.
        **options: passed on to `decode_detections`.

    Returns:
        A list with one `(boxes, scores, labels)` triple per image, as
        `coursekit.detection.mean_average_precision` takes them.
    """
    outputs = model.predict(images, batch_size=batch_size, verbose=0)
    return [decode_detections(output, anchors, images.shape[1], **options) for output in outputs]
