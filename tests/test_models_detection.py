"""The single-shot detector: its outputs line up with its anchors, its loss matches a
NumPy statement of SSD's loss, and targets decode back to the ground truth."""

import keras
import numpy as np
import pytest

from coursekit.detection import mean_average_precision
from coursekit.models.detection import (
    DetectionLoss,
    build_single_shot_detector,
    decode_detections,
    detector_anchors,
    encode_targets,
)

SCALES = [[12, 17], [23, 30]]


def test_outputs_line_up_with_the_anchors_and_every_layer_is_named():
    model = build_single_shot_detector(64, 3, SCALES, aspect_ratios=(0.5, 1.0, 2.0), width=4)
    anchors = detector_anchors(64, SCALES, aspect_ratios=(0.5, 1.0, 2.0))
    assert model.output_shape == (None, len(anchors), 3 + 1 + 4)
    assert len(anchors) == 16 * 16 * 6 + 8 * 8 * 6
    assert all(
        not layer.name.startswith(("conv2d", "batch_normalization", "re_lu"))
        for layer in model.layers
    )
    with pytest.raises(ValueError, match="multiple of every level's stride"):
        detector_anchors(60, SCALES)


def numpy_detection_loss(y_true, y_pred, num_classes, ratio=3, box_weight=1.0):
    """SSD's loss, written out image by image."""
    total_positive = max(int((y_true[..., 0] > 0).sum()), 1)
    losses = []
    for truth, prediction in zip(y_true, y_pred, strict=True):
        classes = truth[:, 0].astype(int)
        logits = prediction[:, : num_classes + 1].astype(np.float64)
        log_norm = np.log(np.exp(logits - logits.max(1, keepdims=True)).sum(1)) + logits.max(1)
        cross_entropy = log_norm - logits[np.arange(len(classes)), np.maximum(classes, 0)]
        positive, negative = classes > 0, np.flatnonzero(classes == 0)
        hardest = negative[np.argsort(-cross_entropy[negative])][: ratio * max(positive.sum(), 1)]
        error = np.abs(prediction[:, num_classes + 1 :] - truth[:, 1:])
        smooth_l1 = np.where(error < 1, 0.5 * error**2, error - 0.5)
        image = cross_entropy[positive].sum() + cross_entropy[hardest].sum()
        image += box_weight * smooth_l1[positive].sum()
        losses.append(image * len(y_true) / total_positive)
    return np.mean(losses)


@pytest.mark.parametrize(("ratio", "box_weight"), [(3, 1.0), (1, 2.5)])
def test_loss_matches_a_numpy_statement_of_ssd_s_loss(ratio, box_weight):
    rng = np.random.default_rng(ratio)
    num_images, num_anchors, num_classes = 4, 50, 3
    classes = rng.choice([-1, 0, 0, 0, 0, 1, 2, 3], size=(num_images, num_anchors))
    classes[2] = np.where(classes[2] > 0, 0, classes[2])  # an image without objects
    y_true = np.concatenate([classes[..., None], rng.normal(size=(num_images, num_anchors, 4))], -1)
    y_pred = rng.normal(size=(num_images, num_anchors, num_classes + 5)) * 2
    loss = DetectionLoss(num_classes, negatives_per_positive=ratio, box_weight=box_weight)
    got = float(loss(y_true.astype("float32"), y_pred.astype("float32")))
    expected = numpy_detection_loss(y_true, y_pred, num_classes, ratio, box_weight)
    assert got == pytest.approx(expected, rel=1e-5)
    assert DetectionLoss.from_config(loss.get_config()).get_config() == loss.get_config()


def test_targets_decode_back_to_the_ground_truth():
    from coursekit.data import make_shapes

    _, boxes, labels, _ = make_shapes(20, seed=4)
    anchors = detector_anchors(64, SCALES)
    targets = encode_targets(boxes, labels, anchors)
    assert targets.shape == (20, len(anchors), 5) and targets.dtype == np.float32
    assert all(set(np.unique(target[:, 0])) <= {-1, 0, 1, 2, 3} for target in targets)
    # A perfect model: a confident logit for each target class, the targets' offsets.
    detections = []
    for target in targets:
        logits = np.full((len(anchors), 4), -10.0)
        logits[np.arange(len(anchors)), np.maximum(target[:, 0], 0).astype(int)] = 10.0
        outputs = np.concatenate([logits, target[:, 1:]], axis=1)
        detections.append(decode_detections(outputs, anchors, 64, iou_threshold=0.45))
    truth = list(zip(boxes, labels, strict=True))
    assert mean_average_precision(detections, truth, 0.9) == pytest.approx(1.0)
    found, scores, classes = detections[0]
    assert found.shape == (len(boxes[0]), 4) and scores.dtype == np.float64
    np.testing.assert_array_equal(np.sort(classes), np.sort(labels[0]))


def test_a_few_training_steps_lower_the_loss():
    from coursekit.data import make_shapes

    keras.utils.set_random_seed(0)
    images, boxes, labels, _ = make_shapes(64, seed=5)
    anchors = detector_anchors(64, SCALES)
    targets = encode_targets(boxes, labels, anchors)
    model = build_single_shot_detector(64, 3, SCALES, width=4)
    model.compile(keras.optimizers.Adam(0.01), DetectionLoss(3))
    history = model.fit(images, targets, batch_size=16, epochs=3, verbose=0)
    losses = history.history["loss"]
    assert losses[-1] < 0.8 * losses[0], losses
