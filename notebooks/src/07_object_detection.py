# %% [markdown]
# # Object detection
#
# *Finding every object in an image, with its class and its box: boxes and IoU,
# non-maximum suppression, the R-CNN family, anchors, YOLO and SSD, average precision,
# and a single-shot detector trained end to end.*
#
# **After this notebook you can**
# - tell classification, classification with localisation and detection apart, and
#   convert boxes between the corner and centre-size formats;
# - compute the intersection over union (IoU) of two sets of boxes and thin out
#   duplicate detections with non-maximum suppression, exactly as TensorFlow does;
# - tell the story of R-CNN, SPP-net, Fast R-CNN, Faster R-CNN and Mask R-CNN with the
#   numbers that drove it, and compute RoI pooling and RoIAlign by hand;
# - place anchors on a feature-map grid, encode a box as offsets from an anchor, and
#   assign anchors to objects;
# - explain what YOLO and SSD predict, and what they give up for speed;
# - compute average precision in its three definitions (VOC all-point, VOC 2007
#   11-point, COCO 101-point) and the mAP of a detector;
# - train a small single-shot detector in the notebook and read its failures.
#
# **Time:** about 3 hours. **Accelerator:** none for the `fast` and `default` profiles;
# a GPU for the `full` profile, which trains on PASCAL VOC.
#
# [![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)](https://colab.research.google.com/github/cnn-course/cnn-course/blob/main/notebooks/07_object_detection.ipynb) [![Binder](https://mybinder.org/badge_logo.svg)](https://mybinder.org/v2/gh/cnn-course/cnn-course/main?urlpath=lab/tree/notebooks/07_object_detection.ipynb)

# %%
# Colab only: install coursekit. Colab's TensorFlow, Keras, NumPy and ipywidgets are kept.
import subprocess
import sys

install_from = "coursekit @ git+https://github.com/cnn-course/cnn-course@main"
if "google.colab" in sys.modules:
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", install_from], check=True)

# %%
import coursekit

profile = coursekit.setup(seed=0)

# %%
import keras
import matplotlib.pyplot as plt
import numpy as np
import seaborn as sns
from keras.utils import bounding_boxes
from matplotlib.patches import Rectangle

from coursekit import check, data, detection, plotting, training
from coursekit.models import detection as detector

sns.set_theme(style="whitegrid", context="notebook")
rng = np.random.default_rng(0)

# %% [markdown]
# ## 1. From classification to detection
#
# The tasks of the previous notebooks and this one form a ladder:
#
# 1. **Classification**: one label for the whole image ("a circle").
# 2. **Classification with localisation**: one label and one box around *the* object.
#    A network can do it with two heads on the same features: a softmax over the
#    classes and four numbers for the box, trained with a classification loss plus a
#    regression loss.
# 3. **Detection**: every object, however many there are, each with a class and a
#    box. The number of outputs is not known in advance, objects of different classes
#    and sizes appear anywhere, and the same object must not be reported twice.
#
# Detection needs both parts of each answer: a box around a square is useless if it
# says "circle", and "there is a circle" is not a detection without saying where. So
# a detection counts as correct only if its class is right **and** its box overlaps the
# object's box enough (section 2); the score of a detector (section 7) weighs both.
#
# Our running example is a generated dataset: coloured squares, circles and triangles on
# smooth backgrounds, with their boxes (`coursekit.data.make_shapes`). It needs no
# download and trains in seconds, yet has everything detection is about: several
# objects per image, three classes, sizes from 11 to 26 pixels, overlaps.

# %%
shapes = data.make_shapes(6, seed=7)
class_names = data.SHAPE_NAMES
figure, axes = plt.subplots(1, 3, figsize=(9, 3.4))
example = int(np.argmax([len(boxes) for boxes in shapes.boxes]))  # the busiest image
for axis, title in zip(
    axes, ["classification", "classification + localisation", "detection"], strict=True
):
    axis.imshow(shapes.images[example])
    axis.axis("off")
    axis.set_title(title, fontsize=10)
first_label = shapes.labels[example][0]
axes[0].set_title(f"classification: '{class_names[first_label]}'", fontsize=10)
plotting.draw_boxes(
    axes[1], shapes.boxes[example][:1], shapes.labels[example][:1], class_names=class_names
)
plotting.draw_boxes(axes[2], shapes.boxes[example], shapes.labels[example], class_names=class_names)
figure.tight_layout()
plotting.add_caption(
    figure, "One image, three tasks: a label; a label and a box; every object's label and box."
)
plt.show()
print(f"{len(shapes.boxes[example])} objects, boxes (x_min, y_min, x_max, y_max):")
print(shapes.boxes[example])

# %% [markdown]
# ### Box formats
#
# A box is four numbers, written in one of three common ways:
#
# | format | numbers | used by |
# |---|---|---|
# | `"xyxy"` | $(x_{min}, y_{min}, x_{max}, y_{max})$, the corners | PASCAL VOC, torchvision, this course |
# | `"xywh"` | $(x_{min}, y_{min}, w, h)$ | COCO's annotation files |
# | `"center_xywh"` | $(x_c, y_c, w, h)$ | YOLO, and the box *encodings* of section 5 |
#
# Coordinates are continuous: pixel (row, col) covers $[col, col+1) \times [row,
# row+1)$, so a box around pixels 3 to 7 is $(3, \ldots, 8, \ldots)$ and its width is
# $x_{max} - x_{min} = 5$, with no "+1". (PASCAL VOC's annotation files count pixels from 1
# and include both ends; `coursekit.data` converts them, and the VOC evaluation code adds
# 1 to every width. Mixing conventions shifts boxes by a pixel, which matters for small
# objects.) `detection.convert_boxes` converts between the formats and agrees with
# `keras.utils.bounding_boxes.convert_format`:

# %%
boxes = shapes.boxes[example]
for target in ("xywh", "center_xywh"):
    ours = detection.convert_boxes(boxes, "xyxy", target)
    theirs = bounding_boxes.convert_format(boxes, "xyxy", target, dtype="float64")
    print(f"{target:12s}", ours[0], "largest difference from Keras:", np.abs(ours - theirs).max())

# %% [markdown]
# ## 2. Intersection over union
#
# How well does a predicted box $B$ match an object's box $A$? The standard measure is
# the **intersection over union**,
#
# $$\mathrm{IoU}(A, B) = \frac{|A \cap B|}{|A \cup B|} = \frac{|A \cap B|}{|A| + |B| - |A \cap B|},$$
#
# 1 for identical boxes and 0 for boxes that do not overlap. For axis-aligned boxes
# the intersection is itself a box, from the larger of the two minima to the smaller of
# the two maxima along each axis:
#
# $$w_\cap = \max\big(0, \min(x^A_{max}, x^B_{max}) - \max(x^A_{min}, x^B_{min})\big),$$
#
# and the same for the height. The $\max(0, \cdot)$ matters: for boxes that are apart,
# the difference is negative, and two negative sides would multiply to a positive
# "area". IoU is scale-invariant: a 2-pixel error costs a 10-pixel box far more than a
# 100-pixel box, which is what we want when objects come in all sizes. PASCAL VOC
# counts a detection as correct from IoU 0.5; COCO also reports 0.75 and averages over
# thresholds from 0.5 to 0.95.

# %% [markdown]
# ### Exercise 7.1
#
# Write `iou(boxes_a, boxes_b)` for two float arrays of "xyxy" boxes, of shapes `(N, 4)`
# and `(M, 4)`, returning the float array `(N, M)` of the IoU of every pair. Clamp the
# intersection's width and height at 0. Two boxes whose union has zero area (both of
# zero width or height) have IoU 0, not NaN. `N` or `M` may be 0. Broadcasting does it
# without loops: `boxes_a[:, None, :2]` against `boxes_b[None, :, :2]` pairs every box of
# `a` with every box of `b`.


# %%
def iou(boxes_a, boxes_b):
    ### BEGIN SOLUTION
    top_left = np.maximum(boxes_a[:, None, :2], boxes_b[None, :, :2])
    bottom_right = np.minimum(boxes_a[:, None, 2:], boxes_b[None, :, 2:])
    sides = np.maximum(bottom_right - top_left, 0.0)
    intersection = sides[..., 0] * sides[..., 1]
    area_a = (boxes_a[:, 2] - boxes_a[:, 0]) * (boxes_a[:, 3] - boxes_a[:, 1])
    area_b = (boxes_b[:, 2] - boxes_b[:, 0]) * (boxes_b[:, 3] - boxes_b[:, 1])
    union = area_a[:, None] + area_b[None, :] - intersection
    return np.divide(intersection, union, out=np.zeros_like(intersection), where=union > 0)
    ### END SOLUTION


# %%
check("07.1", iou)

# %% [markdown]
# From here on the notebook uses `detection.iou`, coursekit's version, which agrees with
# Keras's `compute_iou` (Keras adds $10^{-7}$ to the union and computes in float32):

# %%
box = np.array([[10.0, 10.0, 30.0, 30.0]])
others = np.array(
    [[20.0, 10.0, 40.0, 30.0], [14.0, 14.0, 34.0, 34.0], [12, 12, 28, 28], [40, 40, 50, 50]]
)
overlaps = detection.iou(box, others)
print("IoU:", overlaps.round(3))
print("Keras:", np.asarray(bounding_boxes.compute_iou(box, others, "xyxy")).round(3))

figure, axes = plt.subplots(1, 4, figsize=(10, 2.8))
for axis, other, value in zip(axes, others, overlaps[0], strict=True):
    axis.add_patch(Rectangle(box[0, :2], 20, 20, fill=False, edgecolor="tab:blue", linewidth=2))
    axis.add_patch(
        Rectangle(
            other[:2], *(other[2:] - other[:2]), fill=False, edgecolor="tab:orange", linewidth=2
        )
    )
    axis.set_xlim(5, 52)
    axis.set_ylim(52, 5)
    axis.set_aspect("equal")
    axis.set_xticks([])
    axis.set_yticks([])
    axis.set_title(f"IoU = {value:.3f}", fontsize=10)
figure.tight_layout()
plotting.add_caption(
    figure,
    "Half a box's width off gives IoU 1/3; shifting a 20-pixel box by 4 pixels each way already drops it to 0.47.",
)
plt.show()

# %% [markdown]
# ## 3. Non-maximum suppression
#
# A detector scores many candidate boxes, and several candidates land on the same
# object with slightly different boxes. **Non-maximum suppression** (NMS) keeps the best
# of each cluster, greedily:
#
# 1. sort the candidates by decreasing score;
# 2. keep the best remaining one;
# 3. remove every remaining candidate whose IoU with it is **greater than** a
#    threshold (0.5 is usual; 0.45 for SSD);
# 4. repeat from 2 until no candidate is left (or enough are kept).
#
# The details decide ties and borders, and we follow `tf.image.non_max_suppression`:
# an IoU *equal* to the threshold does not suppress; equal scores keep the lower index
# first (a stable sort); an optional `score_threshold` drops candidates whose score is
# not *greater* than it; `max_outputs` stops the search. Only boxes that are kept
# suppress others: a box removed in step 3 cannot remove anything itself. Detectors run
# NMS separately for each class, so that a square next to a circle survives.

# %% [markdown]
# ### Exercise 7.2
#
# Write `non_max_suppression(boxes, scores, iou_threshold=0.5, max_outputs=None,
# score_threshold=None)` for a float array of "xyxy" boxes `(N, 4)` and their scores
# `(N,)`. Return the indices of the kept boxes, in the order they are kept (decreasing
# score), as an int NumPy array (`np.array(kept, dtype=np.int64)`; empty when nothing is
# kept). `max_outputs=None` means no limit and `score_threshold=None` considers every
# box. Sort with `np.argsort(-scores, kind="stable")`; compute IoUs with
# `detection.iou` (or your own from Exercise 7.1).


# %%
def non_max_suppression(boxes, scores, iou_threshold=0.5, max_outputs=None, score_threshold=None):
    ### BEGIN SOLUTION
    order = np.argsort(-scores, kind="stable")
    if score_threshold is not None:
        order = order[scores[order] > score_threshold]
    kept = []
    while order.size > 0 and (max_outputs is None or len(kept) < max_outputs):
        best, order = order[0], order[1:]
        kept.append(best)
        order = order[detection.iou(boxes[[best]], boxes[order])[0] <= iou_threshold]
    return np.array(kept, dtype=np.int64)
    ### END SOLUTION


# %%
check("07.2", non_max_suppression)

# %% [markdown]
# `detection.non_max_suppression` gives the same indices as TensorFlow's own NMS (which
# takes boxes as $(y_{min}, x_{min}, y_{max}, x_{max})$; IoU does not care about the axis
# order) on random boxes with many tied scores and IoUs exactly at the threshold:

# %%
if keras.backend.backend() == "tensorflow":
    import tensorflow as tf

    agree = 0
    for _ in range(200):
        count = int(rng.integers(1, 30))
        corners = np.sort(rng.integers(0, 12, size=(count, 2, 2)), axis=1).astype(float)
        candidates = np.stack(
            [corners[:, 0, 0], corners[:, 0, 1], corners[:, 1, 0], corners[:, 1, 1]], axis=1
        )
        candidate_scores = rng.integers(0, 8, size=count) / 8
        ours = detection.non_max_suppression(candidates, candidate_scores, 0.5)
        theirs = tf.image.non_max_suppression(
            candidates[:, [1, 0, 3, 2]].astype("float32"),
            candidate_scores.astype("float32"),
            count,
            0.5,
        ).numpy()
        agree += np.array_equal(ours, theirs)
    print(f"same indices as tf.image.non_max_suppression in {agree} of 200 random trials")

# %% [markdown]
# Here is NMS at work on candidates scattered around the objects of one image, as a
# detector would produce them: jittered copies of each box with random scores.

# %%
image, truth_boxes, truth_labels = (
    shapes.images[example],
    shapes.boxes[example],
    shapes.labels[example],
)
copies = np.repeat(truth_boxes, 8, axis=0)
candidates = copies + rng.normal(0, 1.5, size=copies.shape)
candidate_scores = rng.uniform(0.3, 1.0, size=len(candidates))
candidate_labels = np.repeat(truth_labels, 8)
kept = detection.non_max_suppression(candidates, candidate_scores, iou_threshold=0.5)
figure, axes = plt.subplots(1, 2, figsize=(7, 3.6))
for axis, chosen, title in zip(
    axes,
    [np.arange(len(candidates)), kept],
    [f"{len(candidates)} candidates", f"after NMS: {len(kept)}"],
    strict=True,
):
    axis.imshow(image)
    axis.axis("off")
    axis.set_title(title, fontsize=10)
    for label in np.unique(candidate_labels):
        mine = chosen[candidate_labels[chosen] == label]
        plotting.draw_boxes(axis, candidates[mine], color=plotting.BOX_COLOURS[label])
plotting.draw_boxes(axes[1], truth_boxes, color="white", linestyle=":")
figure.tight_layout()
plotting.add_caption(
    figure, "NMS keeps the best-scoring candidate of each cluster (ground truth dotted)."
)
plt.show()
print("kept scores:", candidate_scores[kept].round(2), "| labels:", candidate_labels[kept])

# %% [markdown]
# ## 4. The R-CNN family
#
# The first detectors built on CNNs turned detection into classification of image
# regions; each generation removed the slowest part of the one before.
#
# **R-CNN** (Girshick et al., CVPR 2014) works in three stages. *Selective Search*, a
# bottom-up grouping of superpixels that uses no learning, proposes about 2,000 regions
# per image. Each region is warped to the CNN's fixed input size (227x227 for AlexNet,
# with some context around it), and the CNN computes a feature vector for it. Then
# class-specific linear SVMs score each region, and class-specific linear regressions
# refine its box. It raised the PASCAL VOC 2007 mAP from about 34% to 58.5% (66% with
# VGG16), but nothing is shared: 2,000 regions mean 2,000 forward passes, about 50
# seconds per image, and training has three separate stages (fine-tune the CNN, train
# the SVMs, train the regressors) with features cached on disk.
#
# **SPP-net** (He et al., *ECCV 2014*; the lecture notes date it 2015) runs the
# convolutional layers once per image. Each proposal is projected onto the last
# convolutional feature map (divide its coordinates by the network's stride), and
# *spatial pyramid pooling* max-pools the projected window into a fixed grid of bins
# (for example 4x4 + 2x2 + 1x1), so that regions of any size give vectors of one
# length for the fully connected layers. Testing became tens of times faster, but
# training stayed multi-stage, and fine-tuning could not update the layers below the
# pyramid pooling.
#
# **Fast R-CNN** (Girshick, ICCV 2015) keeps the shared convolutions and replaces the
# pyramid by a single level, **RoI pooling** (below), through which gradients flow, so
# the whole network is trained in one stage. Two sibling heads follow the fully
# connected layers: a softmax over $K$ object classes plus background, and per-class
# box offsets. For a region whose true class is $u$ (0 for background) and true box
# offsets $v$, the **multi-task loss** is
#
# $$L(p, u, t^u, v) = L_{cls}(p, u) + \lambda\,[u \ge 1]\,L_{loc}(t^u, v),$$
#
# where $L_{cls} = -\log p_u$ is the cross-entropy, $L_{loc}$ a smooth L1 loss on the four
# offsets predicted for class $u$, and $[u \ge 1]$ the *Iverson bracket*: 1 when the
# region is an object, 0 when it is background, because a background region has no box
# to regress to ($\lambda = 1$ in the paper). The network itself takes about 0.3 s per
# image, but Selective Search still takes about 2 s on a CPU: the test time is about 2 s
# per image, and the proposals are now the bottleneck.
#
# **Faster R-CNN** (Ren et al., NeurIPS 2015) computes the proposals with the network
# too: a **region proposal network** (RPN) slides a small 3x3 convolution over the
# shared feature map and, at every position, predicts for each of $k$ **anchors** an
# objectness score and four box offsets. Anchors are reference boxes of fixed sizes
# and shapes centred on the position: $k = 9$ from 3 scales (128², 256² and 512²
# pixels) times 3 aspect ratios (1:1, 1:2, 2:1). The network does not convolve anything
# *with* the anchors (the lecture notes put it that way); it predicts, for each anchor,
# whether an object is there and how to move and resize the anchor onto it (section 5).
# The best ~300 proposals then go through Fast R-CNN's RoI pooling and heads, on the
# same features: about 0.2 s per image, 5 images per second on a GPU.
#
# | | R-CNN | Fast R-CNN | Faster R-CNN |
# |---|---|---|---|
# | proposals | Selective Search, ~2k | Selective Search, ~2k | RPN, ~300 |
# | convolutions per image | once per region | once | once (shared with the RPN) |
# | test time per image | ~50 s | ~2 s | ~0.2 s |
# | speed-up | 1x | 25x | 250x |
#
# **Mask R-CNN** (He et al., ICCV 2017) adds a third head, in parallel with the class
# and box heads: a small fully convolutional network that predicts a 28x28 mask per
# class inside each region (instance segmentation). For pixel-accurate masks the
# rounding in RoI pooling is no longer acceptable, and it is replaced by **RoIAlign**.

# %% [markdown]
# ### RoI pooling and RoIAlign
#
# Both turn a region of any size on a feature map into a fixed `out x out` grid (7x7 in
# Fast R-CNN), so that fully connected layers can follow. Given a feature map at stride
# 16 (one cell per 16x16 pixels) and a region in image pixels:
#
# - **RoI pooling** scales the region by 1/16 and *rounds* its corners to cells; then it
#   cuts the cells into `out x out` bins whose edges are rounded again (floor for the
#   start, ceil for the end) and takes the maximum in each bin.
# - **RoIAlign** scales without rounding, cuts the region into equal bins, samples a few
#   regularly spaced points in each bin (2x2 by default) by bilinear interpolation of
#   the four nearest cells, and averages them.
#
# `detection.roi_pool` and `detection.roi_align` follow torchvision's definitions,
# including its border rules (see their docstrings). On a small map whose value names
# each cell, $10 \cdot row + col$, RoI pooling's maximum is each bin's bottom-right cell,
# so the output shows which cells each bin covered:

# %%
grid = (10 * np.arange(8)[:, None] + np.arange(8)[None, :]).astype(float).reshape(1, 8, 8, 1)
region = [[0, 1, 2, 7, 6]]  # (batch index, x_min, y_min, x_max, y_max) in cells
print("cells 1..7 across and 2..6 down, pooled to 2x2:")
print(detection.roi_pool(grid, region, 2)[0, :, :, 0])

# %% [markdown]
# The region spans 7 columns and 5 rows (RoI pooling includes both end cells). 5 rows
# in 2 bins of 2.5 give rows 2..4 and 4..6: the bins overlap in row 4, and they are of
# unequal real extent. Now the quantisation error, measured. Take a feature map at
# stride 16 whose value is the $x$ coordinate of each cell's centre in image pixels, a
# linear ramp, and a region from $x = 37$ to $x = 150$ pixels. Exact pooling would report
# the centre of each bin in image pixels:

# %%
stride, out = 16, 4
ramp = np.tile((np.arange(12) + 0.5) * stride, (12, 1)).reshape(1, 12, 12, 1)
region = [[0, 37.0, 21.0, 150.0, 117.0]]
edges = np.linspace(37.0, 150.0, out + 1)
exact = (edges[:-1] + edges[1:]) / 2
aligned = detection.roi_align(ramp, region, out, spatial_scale=1 / stride)[0, 0, :, 0]
pooled = detection.roi_pool(ramp, region, out, spatial_scale=1 / stride)[0, 0, :, 0]
print("bin centres (pixels):   ", exact.round(2))
print("RoIAlign (mean in bin): ", aligned.round(2))
print("RoI pooling (max in bin):", pooled.round(2))
print(
    f"largest error: RoIAlign {np.abs(aligned - exact).max():.2f} px, "
    f"RoI pooling {np.abs(pooled - exact).max():.2f} px"
)

# %% [markdown]
# RoIAlign reproduces a linear ramp exactly: the mean of the ramp over the sample points
# of a bin is the ramp at the bin's centre. RoI pooling snaps the region to cells 2..9
# (32 to 160 pixels instead of 37 to 150) and reports the largest value of each bin,
# so its answers are off by many pixels. For classifying a region that hardly matters;
# for predicting a mask at pixel accuracy it does, and Mask R-CNN reports that RoIAlign
# improved mask accuracy by 10% to 50% relative. (The max in RoI pooling would report a
# bin's far edge even without rounding; the rounding is what RoIAlign removes, and it
# also averages.)
#
# RoIAlign's bilinear sampling is what `tf.image.crop_and_resize` does on a grid of
# points; the tests of `coursekit.detection` check `roi_align` against it.

# %%
figure, axis = plt.subplots(figsize=(5.2, 4.4))
axis.imshow(ramp[0, :, :, 0], cmap="Greys", extent=(0, 12 * stride, 12 * stride, 0), alpha=0.35)
x0, y0, x1, y1 = region[0][1:]
axis.add_patch(
    Rectangle(
        (x0, y0), x1 - x0, y1 - y0, fill=False, edgecolor="tab:blue", linewidth=2, label="region"
    )
)
snapped = np.array([2, 1, 10, 8]) * stride  # rounded corners, both end cells included
axis.add_patch(
    Rectangle(
        snapped[:2],
        *(snapped[2:] - snapped[:2]),
        fill=False,
        edgecolor="tab:red",
        linewidth=2,
        linestyle="--",
        label="RoI pooling's cells",
    )
)
samples_x = x0 + (np.arange(2 * out) + 0.5) * (x1 - x0) / (2 * out)
samples_y = y0 + (np.arange(2 * out) + 0.5) * (y1 - y0) / (2 * out)
sx, sy = np.meshgrid(samples_x, samples_y)
axis.plot(sx.ravel(), sy.ravel(), ".", color="tab:blue", markersize=4, label="RoIAlign's samples")
axis.set_xticks(np.arange(0, 12 * stride + 1, 2 * stride))
axis.set_yticks(np.arange(0, 12 * stride + 1, 2 * stride))
axis.legend(loc="lower right", fontsize=8)
figure.tight_layout()
plotting.add_caption(
    figure,
    "A region on a stride-16 map: RoI pooling rounds it to whole cells, RoIAlign samples it where it is.",
)
plt.show()

# %% [markdown]
# ### Exercise 7.3
#
# Explain why Fast R-CNN is so much faster than R-CNN at test time, and what still
# limits its speed (and its training). Use the numbers of this section. (A few
# sentences.)

# %% [markdown]
# ### BEGIN SOLUTION
# R-CNN runs the whole CNN once per region: about 2,000 warped crops per image, each
# a full forward pass, with heavily overlapping crops computing the same features again
# and again, which is why it needs about 50 s per image. Fast R-CNN runs the
# convolutional layers once on the whole image and reads every region's features from
# the shared feature map with RoI pooling; only the small fully connected heads run per
# region. That brings the network to about 0.3 s per image. What remains is the region
# proposal step: Selective Search runs separately, on the CPU, and takes about 2 s per
# image, so the total is about 2 s and the proposals dominate (the 25x speed-up of the
# table, not the hundreds the network alone would allow). The proposals are also not
# learned, so they cannot improve with training and the detector is not trained end to
# end through them. Faster R-CNN removes this bottleneck by predicting the proposals
# with a network that shares the convolutional features.
# ### END SOLUTION

# %% [markdown]
# ## 5. Anchors, box encoding and matching
#
# Faster R-CNN's RPN, SSD and most detectors since predict boxes relative to
# **anchors**: fixed reference boxes laid out over a feature map. A feature map of
# `H x W` cells at stride $s$ (one cell per $s \times s$ pixels) gets, at every cell, $k$
# anchors centred on the cell, $((col + 0.5)\,s, (row + 0.5)\,s)$, with one anchor per
# combination of a *scale* (the square root of its area) and an *aspect ratio* (here
# width / height). A convolutional head with $k \cdot (C + 1 + 4)$ output channels then
# predicts, at every cell and for each of its $k$ anchors, class scores and four
# offsets. Our detector's first level has a 16x16 grid on 64x64 images (stride 4) with
# two scales and one aspect ratio:

# %%
level_anchors = detection.generate_anchors(16, 64, scales=[12, 17], aspect_ratios=[1.0])
wide_and_tall = detection.generate_anchors(4, 64, scales=[20], aspect_ratios=[0.5, 1.0, 2.0])
print(f"{len(level_anchors)} anchors on a 16x16 grid; the first cell's:\n{level_anchors[:2]}")
figure, axes = plt.subplots(1, 2, figsize=(7.5, 3.8))
axes[0].imshow(image)
for anchor in level_anchors[: 2 * 16 : 2]:  # the first row of cells, smaller scale
    axes[0].plot(
        (anchor[0] + anchor[2]) / 2 - 0.5, (anchor[1] + anchor[3]) / 2 - 0.5, "w.", markersize=4
    )
plotting.draw_boxes(axes[0], level_anchors[[2 * (16 * 8 + 8), 2 * (16 * 8 + 8) + 1]], color="white")
axes[0].set_title("16x16 grid, scales 12 and 17", fontsize=10)
axes[1].imshow(image)
for anchor, colour in zip(wide_and_tall[3 * 5 : 3 * 5 + 3], plotting.BOX_COLOURS, strict=False):
    plotting.draw_boxes(axes[1], anchor[None], color=colour)
axes[1].set_title("4x4 grid, ratios 1:2, 1:1, 2:1", fontsize=10)
for axis in axes:
    axis.axis("off")
figure.tight_layout()
plotting.add_caption(
    figure, "Anchors at one cell of each grid; the dots mark the first row's anchor centres."
)
plt.show()

# %% [markdown]
# ### Encoding a box as offsets from an anchor
#
# Instead of four pixel coordinates, the network predicts how to move an anchor onto the
# object. With centres $(x, y)$, widths $w$ and heights $h$ of the box and $(x_a, y_a, w_a,
# h_a)$ of the anchor, R-CNN's parametrisation, used by Fast and Faster R-CNN and SSD, is
#
# $$t_x = \frac{x - x_a}{w_a}, \quad t_y = \frac{y - y_a}{h_a}, \quad t_w = \log\frac{w}{w_a}, \quad t_h = \log\frac{h}{h_a}.$$
#
# Shifts are measured in anchor widths, so they mean the same for small and large
# anchors; sizes are log-ratios, so halving and doubling are symmetric ($\mp 0.69$), a
# box of the anchor's size has $t_w = 0$, and any real $t_w$ decodes to a positive width
# $w = w_a e^{t_w}$. Decoding inverts the formulas.

# %% [markdown]
# ### Exercise 7.4
#
# Write `encode_boxes(boxes, anchors)` for two float arrays of "xyxy" boxes of the same
# shape `(N, 4)` (box `i` is encoded against anchor `i`; all widths and heights are
# positive). Return the float array `(N, 4)` of $(t_x, t_y, t_w, t_h)$.


# %%
def encode_boxes(boxes, anchors):
    ### BEGIN SOLUTION
    widths, heights = boxes[:, 2] - boxes[:, 0], boxes[:, 3] - boxes[:, 1]
    anchor_widths, anchor_heights = anchors[:, 2] - anchors[:, 0], anchors[:, 3] - anchors[:, 1]
    t_x = (boxes[:, 0] + widths / 2 - anchors[:, 0] - anchor_widths / 2) / anchor_widths
    t_y = (boxes[:, 1] + heights / 2 - anchors[:, 1] - anchor_heights / 2) / anchor_heights
    t_w, t_h = np.log(widths / anchor_widths), np.log(heights / anchor_heights)
    return np.stack([t_x, t_y, t_w, t_h], axis=1)
    ### END SOLUTION


# %%
check("07.4", encode_boxes)

# %% [markdown]
# `detection.encode_boxes` equals Keras's `encode_box_to_deltas` in the "center_xywh"
# encoding, and `decode_boxes` inverts it:

# %%
anchors_here = np.array([[0.0, 0.0, 20.0, 20.0], [30.0, 10.0, 70.0, 30.0]])
objects_here = np.array([[12.0, 10.0, 22.0, 30.0], [25.0, 5.0, 85.0, 25.0]])
deltas = detection.encode_boxes(objects_here, anchors_here)
keras_deltas = bounding_boxes.encode_box_to_deltas(
    anchors_here,
    objects_here,
    anchor_format="xyxy",
    box_format="xyxy",
    encoding_format="center_xywh",
)
print("offsets (t_x, t_y, t_w, t_h):\n", deltas.round(4))
print("largest difference from Keras (float32):", np.abs(deltas - np.asarray(keras_deltas)).max())
print("decoded back:\n", detection.decode_boxes(deltas, anchors_here))

# %% [markdown]
# ### Which anchors should find which object?
#
# To train the heads, every anchor needs a target: an object (its class, and the offsets
# to its box) or the background. `detection.match_anchors` applies the rule of SSD and
# the RPN: an anchor whose best IoU with an object is at least 0.5 is assigned to that
# object; one whose best IoU is below 0.4 is background; one in between is ignored
# (it overlaps an object too much to be called background, too little to be trained on
# its box). Finally every object claims its best anchor, whatever its IoU, so that no
# object is left without one. How well do anchors cover the objects? The distribution
# of each object's best IoU with any anchor tells, for our detector's anchors (two
# levels, 640 anchors, section 8) and for a single coarse level, an 8x8 grid of
# 20-pixel anchors:

# %%
SHAPES_ANCHORS = {"scales": [[12, 17], [23, 30]], "aspect_ratios": (1.0,)}
anchor_sets = {
    "two levels (640)": detector.detector_anchors(64, **SHAPES_ANCHORS),
    "one 8x8 level (64)": detection.generate_anchors(8, 64, [20], [1.0]),
}
sample = data.make_shapes(300, seed=11)
coverage = {"best IoU": [], "anchors": []}
for name, anchor_set in anchor_sets.items():
    for boxes in sample.boxes:
        coverage["best IoU"].extend(detection.iou(anchor_set, boxes).max(axis=0))
        coverage["anchors"].extend([name] * len(boxes))
figure, axis = plt.subplots(figsize=(6, 3))
sns.histplot(data=coverage, x="best IoU", hue="anchors", bins=30, element="step", ax=axis)
axis.axvline(0.5, color="tab:red", linestyle="--")
axis.set_ylabel("objects")
figure.tight_layout()
plotting.add_caption(figure, "Each object's best IoU with any anchor, for two sets of anchors.")
plt.show()
all_anchors = anchor_sets["two levels (640)"]
best = np.array(coverage["best IoU"])
labels_of_sets = np.array(coverage["anchors"])
for name in anchor_sets:
    print(
        f"{name}: best IoU below 0.5 for {np.mean(best[labels_of_sets == name] < 0.5):.1%} of the objects"
    )
positives = [
    int((detection.match_anchors(all_anchors, boxes) >= 0).sum()) for boxes in sample.boxes
]
print(
    f"two levels: {np.mean(positives):.1f} anchors per image assigned to objects, of {len(all_anchors)}"
)

# %% [markdown]
# With anchors of the objects' sizes on a fine enough grid, every object has an anchor
# at IoU 0.5 or more. With one coarse level most objects would have none, and would be
# trained only through the single anchor they claim. Either way, of the 640 anchors
# only about a dozen per image are objects: detection is a very unbalanced
# classification problem, which section 8's loss has to handle.

# %% [markdown]
# ## 6. One-stage detectors: YOLO and SSD
#
# The R-CNN family works in two stages: propose regions, then classify each. One-stage
# detectors predict classes and boxes in a single pass of one convolutional network,
# directly from the feature maps, which makes them fast.
#
# **YOLO** (Redmon et al., CVPR 2016, "You Only Look Once") divides the image into an
# $S \times S$ grid. The cell that contains an object's *centre* is responsible for
# it. Each cell predicts $B$ boxes, each as $(x, y, w, h)$ and a *confidence*,
# $\Pr(\text{object}) \cdot \mathrm{IoU}(\text{pred}, \text{truth})$, and **one**
# distribution over the $C$ classes, $\Pr(\text{class}_i \mid \text{object})$, shared by
# its $B$ boxes. For PASCAL VOC, $S = 7$, $B = 2$, $C = 20$: the network's last layer
# outputs a $7 \times 7 \times (B \cdot 5 + C) = 7 \times 7 \times 30$ tensor. At test time a
# box's score for class $i$ is its confidence times the class probability, followed by
# NMS. YOLO ran at 45 images per second (63.4% mAP on VOC 2007), far beyond Faster
# R-CNN's 5. Its limits follow from the grid: a cell predicts at most $B = 2$ objects and
# only one class, so groups of small objects (a flock of birds) lose members; boxes are
# regressed from coarse features of a 7x7 grid, so localisation is its main source of
# error, especially for small objects; and it learns box shapes from the data only, so
# objects of unusual aspect ratios are hard.

# %%
figure, axis = plt.subplots(figsize=(3.6, 3.6))
axis.imshow(image)
cells = 4
for line in np.arange(1, cells) * 64 / cells - 0.5:
    axis.axhline(line, color="white", linewidth=0.8)
    axis.axvline(line, color="white", linewidth=0.8)
centres = (truth_boxes[:, :2] + truth_boxes[:, 2:]) / 2
for (cx, cy), label in zip(centres, truth_labels, strict=True):
    col, row = int(cx // (64 / cells)), int(cy // (64 / cells))
    axis.add_patch(
        Rectangle(
            (col * 16 - 0.5, row * 16 - 0.5), 16, 16, color=plotting.BOX_COLOURS[label], alpha=0.35
        )
    )
    axis.plot(cx - 0.5, cy - 0.5, "w*", markersize=9)
plotting.draw_boxes(axis, truth_boxes, truth_labels, class_names=class_names)
axis.axis("off")
figure.tight_layout()
plotting.add_caption(
    figure, "A 4x4 YOLO grid: the cell holding each object's centre (star) must predict it."
)
plt.show()

# %% [markdown]
# **SSD** (Liu et al., ECCV 2016, "Single Shot MultiBox Detector") keeps the single
# pass but predicts relative to **default boxes** (anchors) of several scales and aspect
# ratios, at every cell of **several feature maps** of decreasing resolution: SSD300
# uses six maps, from 38x38 to 1x1, with 4 or 6 default boxes per cell, 8,732 boxes in
# all. Fine maps, early in the network, handle small objects; coarse maps, deep in the
# network, large ones. Each default box gets class scores (with a background class) and
# four offsets from small 3x3 convolutions; training matches default boxes to objects by
# IoU as in section 5, and keeps only the hardest background boxes, three per object
# box (*hard negative mining*), since most of the 8,732 are background. SSD300 reached
# 74.3% mAP on VOC 2007 at 59 images per second. Our detector in section 8 is a small
# SSD: two feature maps (16x16 and 8x8) and two anchor scales on each.

# %% [markdown]
# ### Exercise 7.5
#
# What does YOLO trade for its speed? Name what it gains over Faster R-CNN, and two
# situations in which you would expect it to do worse, with the reason in its design.
# (A few sentences.)

# %% [markdown]
# ### BEGIN SOLUTION
# YOLO drops the proposal stage and the per-region heads: one forward pass of one
# network predicts every box and class from the whole image, so it runs at 45 images per
# second against Faster R-CNN's 5, and since it sees the whole image it makes fewer
# background mistakes. The price is localisation accuracy and recall, both consequences
# of its coarse grid. Each of the 7x7 cells predicts only two boxes and a single class
# distribution, so a group of small objects whose centres fall in one cell (birds in a
# flock, people in a crowd) can only be partly detected, and two objects of different
# classes in one cell cannot both be right. Boxes are regressed directly from coarse
# features without anchors, learning shapes from the data only, so small objects and
# objects of unusual aspect ratios are localised poorly. The trade is speed and
# simplicity for lower mAP (63.4% against Faster R-CNN's 73.2% on VOC 2007).
# ### END SOLUTION

# %% [markdown]
# ## 7. Average precision and mAP
#
# A detector outputs, for each class, a list of boxes with scores. To evaluate it, the
# detections of a class are sorted by decreasing score and **matched** to the objects:
# going down the list, a detection is a *true positive* if it overlaps a not yet matched
# object of its class with IoU at least 0.5 (the best such object), and a *false
# positive* otherwise, which includes a second detection of an already found object.
# After the first $k$ detections,
#
# $$\text{precision}_k = \frac{TP_k}{k}, \qquad \text{recall}_k = \frac{TP_k}{\text{number of objects}}.$$
#
# Lowering the score threshold moves down the list: recall rises, precision usually
# falls. **Average precision** (AP) summarises the whole precision-recall curve in one
# number, and there are three definitions in use. All three first replace each
# precision by the best precision at that recall or any higher one, the **envelope**
# $p_{interp}(r) = \max_{r' \ge r} p(r')$, which removes the curve's wiggles:
#
# - **VOC (2010 and later), all-point**: the area under the envelope,
#   $\sum_k (r_k - r_{k-1})\, p_{interp}(r_k)$;
# - **VOC 2007, 11-point**: the mean of $p_{interp}$ at the recalls $0, 0.1, \ldots, 1$;
# - **COCO, 101-point**: the mean of $p_{interp}$ at $0, 0.01, \ldots, 1$;
#
# with $p_{interp}(t) = 0$ at recalls the detections never reach. The **mAP** is the mean
# of the AP over the classes. On the same detections the three give different numbers.
# Four detections of three objects, found in the order hit, hit, miss, hit:

# %%
scores = np.array([0.9, 0.8, 0.7, 0.6])
hits = np.array([True, True, False, True])
precision, recall = detection.precision_recall(scores, hits, 3)
print("precision:", precision.round(3), "| recall:", recall.round(3))
for method, denominator in [("voc", 12), ("voc07", 11), ("coco", 101)]:
    value = detection.average_precision(scores, hits, 3, method)
    print(f"{method:6s} AP = {value:.4f} = {value * denominator:.1f} / {denominator}")

# %% [markdown]
# All-point: recall 0 to 2/3 at precision 1, then 2/3 to 1 at precision 3/4, an area of
# $2/3 + 1/4 = 11/12$. Eleven points: the seven thresholds $0, \ldots, 0.6$ read 1, the four
# from 0.7 read 3/4, $(7 + 3)/11 = 10/11$. 101 points: 67 thresholds up to 0.66 read 1,
# the 34 from 0.67 read 3/4, $(67 + 25.5)/101 = 92.5/101$. The sampled forms approximate
# the area with a step that can land on either side of a jump in the curve; that is why
# VOC moved to the all-point form in 2010, and why COCO samples ten times more finely.

# %%
thresholds = np.arange(11) / 10
envelope = np.maximum.accumulate(precision[::-1])[::-1]
sampled = [envelope[recall >= t][0] if (recall >= t).any() else 0.0 for t in thresholds]
figure, axis = plt.subplots(figsize=(5.5, 3.4))
axis.plot(recall, precision, "x--", color="tab:gray", label="precision after each detection")
axis.fill_between(
    np.r_[0, recall],
    np.r_[envelope[:1], envelope],
    step="pre",
    alpha=0.25,
    label="envelope: all-point area",
)
axis.plot(thresholds, sampled, "o", color="tab:red", label="11-point samples")
axis.set_xlabel("recall")
axis.set_ylabel("precision")
axis.set_ylim(0, 1.05)
axis.legend(loc="lower left", fontsize=8)
figure.tight_layout()
plotting.add_caption(
    figure, "The worked example: the shaded area is 11/12, the mean of the red points 10/11."
)
plt.show()

# %% [markdown]
# ### Exercise 7.6
#
# Write `average_precision(scores, is_true_positive, num_ground_truth, method="voc")` for
# a float array of scores `(D,)`, a bool array `(D,)` saying which detections are true
# positives, and the number of objects (at least 1). Sort by decreasing score with
# `np.argsort(-scores, kind="stable")` (equal scores keep their order), compute precision
# and recall after each detection, take the envelope, and return the AP as a float for
# `method` `"voc"` (all-point), `"voc07"` (11-point) or `"coco"` (101-point). Use the
# thresholds exactly $k/10$ and $k/100$, as `np.arange(11) / 10`: `np.linspace(0, 1, 11)`
# contains 0.30000000000000004, which a recall of exactly 0.3 does not reach. Without
# detections, AP is 0.


# %%
def average_precision(scores, is_true_positive, num_ground_truth, method="voc"):
    ### BEGIN SOLUTION
    order = np.argsort(-scores, kind="stable")
    true_positives = np.cumsum(is_true_positive[order])
    precision = true_positives / np.arange(1, len(order) + 1)
    recall = true_positives / num_ground_truth
    envelope = np.maximum.accumulate(precision[::-1])[::-1]
    if method == "voc":
        return float(np.sum(np.diff(recall, prepend=0.0) * envelope))
    points = 11 if method == "voc07" else 101
    values = [
        envelope[recall >= t][0] if (recall >= t).any() else 0.0
        for t in np.arange(points) / (points - 1)
    ]
    return float(np.mean(values))
    ### END SOLUTION


# %%
check("07.6", average_precision)

# %% [markdown]
# **Matching rules and the rest of the protocols.** `detection.mean_average_precision`
# matches as described above: each detection, in score order, takes the best *unmatched*
# object of its class at IoU $\ge$ 0.5, the rule of COCO's evaluation code. The VOC
# development kit differs in a corner case: it looks for the best object among *all*
# objects of the class, and a detection whose best object is already taken is a false
# positive even if another object would qualify; the two differ only where objects
# overlap each other heavily. VOC also marks some objects *difficult*: they count
# neither as found nor as missed. COCO's headline **AP** averages the 101-point AP over
# ten IoU thresholds, 0.5, 0.55, ..., 0.95, which rewards precise boxes; **AP50**
# (IoU 0.5) is close to VOC's metric. `mean_average_precision(..., method="coco")` agrees
# with the official `pycocotools` on generated detections (a test of `coursekit` checks
# it; pycocotools places a few of its thresholds a rounding step above $k/100$, which
# matters only for a recall of exactly such a value). With ties, precision and recall
# depend on the order the tied detections are listed in, in all these tools.

# %% [markdown]
# ## 8. A single-shot detector, trained end to end
#
# Now everything together: a small SSD, trained on generated shapes (or, in the `full`
# profile, on PASCAL VOC 2007), with the anchors, encoding, matching, NMS and mAP of this
# notebook.
#
# - **Data.** `data.load_detection` follows the profile: 800 training images in `fast`,
#   2,000 in `default`, and 200 validation and 300 test images, each set from its own
#   seed. In `full` it downloads PASCAL VOC 2007 (911 MB, checksum-verified, once) and
#   uses its `trainval` and `test` sets at 128x128 pixels; VOC's "difficult" objects are
#   left out of training and evaluation here (the official protocol ignores detections
#   of them), so the VOC number below is a slightly pessimistic estimate.
# - **Anchors.** Two levels: a 16x16 grid (stride 4) with scales 12 and 17 pixels, and an
#   8x8 grid (stride 8) with scales 23 and 30, one aspect ratio (every shape's box is
#   square): 640 anchors. VOC uses four levels and three aspect ratios.
# - **Network.** `detector.build_single_shot_detector`: 3x3 convolutions with batch
#   normalisation and max pooling down to stride 4 (first level) and 8 (second), and on
#   each level two 3x3 convolutions that predict, per anchor, $C + 1$ class logits
#   (background first) and four offsets.
# - **Loss.** SSD's: cross-entropy over the object anchors and the hardest background
#   anchors, three per object anchor, plus smooth L1 on the object anchors' offsets,
#   divided by the number of object anchors.
# - **Prediction.** Softmax, decode the offsets, and per class keep scores above 0.05 and
#   run NMS at IoU 0.45; the 20 best detections per image remain.

# %%
DATASET = "voc" if profile.name == "full" else "shapes"
dataset = data.load_detection(DATASET, profile)
print(dataset)
IMAGE_SIZE = dataset.train.images.shape[1]
if DATASET == "shapes":
    ANCHORS, WIDTH = SHAPES_ANCHORS, 8
else:  # 128x128 photographs: four levels, three aspect ratios
    ANCHORS = {
        "scales": [[16, 24], [32, 48], [64, 90], [120, 160]],
        "aspect_ratios": (0.5, 1.0, 2.0),
    }
    WIDTH = 32
EPOCHS = {"fast": 6, "default": 12, "full": profile.epochs}[profile.name]
LEARNING_RATE = {"fast": 0.005, "default": 0.003, "full": 0.001}[profile.name]
BATCH_SIZE = 32 if DATASET == "shapes" else profile.batch_size
anchors = detector.detector_anchors(IMAGE_SIZE, **ANCHORS)


def objects(split):
    """Each image's boxes and labels, without VOC's difficult objects."""
    kept = [~difficult for difficult in split.difficult]
    boxes = [image_boxes[keep] for image_boxes, keep in zip(split.boxes, kept, strict=True)]
    labels = [image_labels[keep] for image_labels, keep in zip(split.labels, kept, strict=True)]
    return boxes, labels


y_train = detector.encode_targets(*objects(dataset.train), anchors)
y_val = detector.encode_targets(*objects(dataset.val), anchors)
print(
    f"{len(anchors)} anchors; targets {y_train.shape}; per training image on average "
    f"{(y_train[..., 0] > 0).sum(axis=1).mean():.1f} object anchors, "
    f"{(y_train[..., 0] < 0).sum(axis=1).mean():.1f} ignored, the rest background"
)


def build_detector():
    """The single-shot detector, compiled with SSD's loss."""
    model = detector.build_single_shot_detector(
        IMAGE_SIZE, dataset.num_classes, width=WIDTH, **ANCHORS
    )
    model.compile(keras.optimizers.Adam(LEARNING_RATE), detector.DetectionLoss(dataset.num_classes))
    return model


build_detector().summary()

# %% [markdown]
# `training.fit` wraps `keras.Model.fit` and draws the loss curves as it goes. We seed
# again first, so that the detector and its numbers do not depend on which cells above
# ran, or in what order.

# %%
keras.utils.set_random_seed(0)
history = training.fit(
    build_detector,
    (dataset.train.images, y_train),
    (dataset.val.images, y_val),
    profile,
    epochs=EPOCHS,
    batch_size=BATCH_SIZE,
    patience=None,
)
model = history.model

# %% [markdown]
# ### Evaluation
#
# The test images are new to the model. We decode its outputs into detections and
# compute the mAP with this notebook's own functions, in the three forms, at IoU 0.5
# and 0.75, and COCO's AP over IoU 0.5 to 0.95:

# %%
test_boxes, test_labels = objects(dataset.test)
ground_truth = list(zip(test_boxes, test_labels, strict=True))
detections = detector.predict_detections(model, dataset.test.images, anchors)
matched = detection.match_detections(detections, ground_truth, 0.5)
ap50 = detection.mean_average_precision(detections, ground_truth, 0.5, "voc")
print(f"profile {profile.name}, {DATASET}, {len(dataset.train):,} training images, {EPOCHS} epochs")
print(f"AP50 (VOC all-point): {ap50:.3f}")
for label, (label_scores, label_hits, count) in matched.items():
    print(
        f"  {dataset.class_names[label]:12s} AP50 {detection.average_precision(label_scores, label_hits, count):.3f} ({count} objects)"
    )
for method in ("voc07", "coco"):
    print(
        f"AP50 ({method}): {detection.mean_average_precision(detections, ground_truth, 0.5, method):.3f}"
    )
print(
    f"AP75 (VOC all-point): {detection.mean_average_precision(detections, ground_truth, 0.75):.3f}"
)
coco_thresholds = np.arange(10) / 20 + 0.5
print(
    f"COCO AP, IoU 0.5:0.95: {detection.mean_average_precision(detections, ground_truth, coco_thresholds, 'coco'):.3f}"
)
if DATASET == "shapes":
    assert ap50 >= {"fast": 0.5, "default": 0.9}.get(profile.name, 0.9), ap50

# %% [markdown]
# Measured on this machine (2 CPU cores), seed 0: AP50 0.782 in `fast` (800 images, 6
# epochs; seeds 1 and 2 in the `set_random_seed` line give 0.721 and 0.663) and 0.993 in
# `default` (2,000 images, 12 epochs), with AP75 0.102 and 0.835: with more training the
# boxes become both more often right and more precise. The same seed gives the same numbers on
# every run. The printed line above is this run's.
#
# The precision-recall curves show where each class loses:

# %%
curves = {"recall": [], "precision": [], "class": []}
for label, (label_scores, label_hits, count) in matched.items():
    label_precision, label_recall = detection.precision_recall(label_scores, label_hits, count)
    curves["recall"].extend(label_recall)
    curves["precision"].extend(np.maximum.accumulate(label_precision[::-1])[::-1])
    curves["class"].extend([dataset.class_names[label]] * len(label_recall))
figure, axis = plt.subplots(figsize=(5.5, 3.6))
sns.lineplot(
    data=curves,
    x="recall",
    y="precision",
    hue="class",
    estimator=None,
    sort=False,
    drawstyle="steps-post",
    ax=axis,
)
axis.set_ylim(0, 1.05)
axis.set_xlim(0, 1.02)
figure.tight_layout()
plotting.add_caption(
    figure, "Precision envelope against recall for each class of the test set, at IoU 0.5."
)
plt.show()

# %% [markdown]
# How precise are the boxes? For every true positive, its IoU with the object it found:

# %%
found_iou = {"IoU": [], "class": []}
for (det_boxes, det_scores, det_labels), (true_boxes, true_labels) in zip(
    detections, ground_truth, strict=True
):
    confident = det_scores > 0.5
    for label in np.unique(true_labels):
        overlaps = detection.iou(
            det_boxes[confident & (det_labels == label)], true_boxes[true_labels == label]
        )
        if overlaps.size:
            found_iou["IoU"].extend(overlaps.max(axis=0)[overlaps.max(axis=0) >= 0.5])
            found_iou["class"].extend(
                [dataset.class_names[label]] * int((overlaps.max(axis=0) >= 0.5).sum())
            )
figure, axis = plt.subplots(figsize=(5.5, 3.2))
sns.boxplot(data=found_iou, x="IoU", y="class", ax=axis, color="tab:cyan")
figure.tight_layout()
plotting.add_caption(
    figure, "IoU of each object found with score above 0.5 with its best detection."
)
plt.show()
print(f"median IoU of the objects found: {np.median(found_iou['IoU']):.3f}")

# %% [markdown]
# ### Predictions, and the typical failures
#
# Detections with score above 0.5 (solid) and the ground truth (dotted), on the first
# test images:


# %%
def show_detections(indices, caption, threshold=0.5):
    figure, axes = plt.subplots(1, len(indices), figsize=(2.3 * len(indices), 2.6))
    for axis, index in zip(np.atleast_1d(axes), indices, strict=True):
        det_boxes, det_scores, det_labels = detections[index]
        keep = det_scores > threshold
        axis.imshow(dataset.test.images[index])
        plotting.draw_boxes(axis, test_boxes[index], color="white", linestyle=":")
        plotting.draw_boxes(
            axis, det_boxes[keep], det_labels[keep], det_scores[keep], dataset.class_names
        )
        axis.axis("off")
    figure.tight_layout()
    plotting.add_caption(figure, caption)
    plt.show()


show_detections(
    range(6), "Detections above 0.5 (solid, with class and score) and the ground truth (dotted)."
)

# %% [markdown]
# Which detections go wrong, and how? We sort every detection with score above 0.5 into
# one kind (in score order, image by image, as the matching does): **correct** (it finds
# an object of its class not found before, IoU $\ge$ 0.5); a **duplicate** of an object
# already found; **poorly placed** (IoU between 0.1 and 0.5 with an object of its class);
# the **wrong class** (IoU $\ge$ 0.5 with an object of another class); or **background**.
# Objects that no detection finds are **missed**.

# %%
KINDS = ("correct", "duplicate", "poorly placed", "wrong class", "background")


def kinds_of_detections(image_detections, image_truth, threshold=0.5):
    """The kind of each detection above `threshold`, and the number of objects missed."""
    det_boxes, det_scores, det_labels = image_detections
    true_boxes, true_labels = image_truth
    overlaps = detection.iou(det_boxes, true_boxes)
    found = np.zeros(len(true_boxes), bool)
    kinds = []
    for index in np.argsort(-det_scores, kind="stable"):
        if det_scores[index] <= threshold:
            continue
        same_class = np.where(true_labels == det_labels[index], overlaps[index], 0.0)
        free = np.where(found, 0.0, same_class)
        if free.max(initial=0.0) >= 0.5:
            found[free.argmax()] = True
            kinds.append("correct")
        elif same_class.max(initial=0.0) >= 0.5:
            kinds.append("duplicate")
        elif same_class.max(initial=0.0) >= 0.1:
            kinds.append("poorly placed")
        elif overlaps[index].max(initial=0.0) >= 0.5:
            kinds.append("wrong class")
        else:
            kinds.append("background")
    return kinds, int((~found).sum())


per_image = [
    kinds_of_detections(found, truth) for found, truth in zip(detections, ground_truth, strict=True)
]
all_kinds = [kind for kinds, _ in per_image for kind in kinds]
missed = sum(count for _, count in per_image)
figure, axis = plt.subplots(figsize=(6, 2.8))
sns.countplot(y=all_kinds, order=KINDS, ax=axis, color="tab:blue")
axis.set_xlabel("detections with score > 0.5")
figure.tight_layout()
plotting.add_caption(figure, "Every confident detection on the test set, by kind.")
plt.show()
print(", ".join(f"{kind} {all_kinds.count(kind)}" for kind in KINDS) + f"; objects missed {missed}")
errors = [sum(kind != "correct" for kind in kinds) + count for kinds, count in per_image]
print(f"{np.mean(np.array(errors) == 0):.1%} of the {len(errors)} test images without a mistake")
worst = np.argsort(-np.array(errors), kind="stable")[:6]
show_detections(worst, "The test images with the most mistakes (ground truth dotted).")

# %% [markdown]
# The usual suspects, in this model and in bigger ones: **small objects** (the first
# level's anchors start at 12 pixels; objects smaller than that match them poorly);
# **overlapping objects**, where one covers part of another and its box is cut; **the
# wrong class** between similar shapes (a small triangle and a small circle differ by a
# few pixels); and **duplicates** that survive NMS when two boxes on one object overlap
# by less than 0.45. More data, more epochs (the `default` profile), anchors tuned to the
# object sizes and more aspect ratios address the first three; the NMS threshold trades
# duplicates against missing one of two overlapping objects.
#
# In the `full` profile the same code trains on PASCAL VOC 2007 at 128x128 pixels. That
# is far below the 300x300 of SSD300 with a network thousands of times smaller and
# without pretrained weights, so expect an mAP well below SSD's 74.3%; the number the
# cell above prints is the measurement.

# %% [markdown]
# ## Summary
#
# - Detection outputs every object's class and box; a detection counts when both are
#   right, the box by IoU $\ge$ 0.5 (or stricter).
# - Boxes are corners or centre and size; IoU clamps the intersection at 0.
# - Greedy NMS keeps the best box of each cluster; TensorFlow suppresses at IoU > the
#   threshold and keeps the lower index on ties.
# - R-CNN classifies 2,000 warped proposals one by one (~50 s/image); SPP-net (ECCV 2014)
#   and Fast R-CNN share the convolutions and pool each region (~2 s, mostly Selective
#   Search); Faster R-CNN's RPN predicts proposals from 9 anchors per position (~0.2 s);
#   Mask R-CNN adds a mask head and replaces RoI pooling by RoIAlign.
# - Anchors are reference boxes; heads predict $(t_x, t_y, t_w, t_h)$ from them, with
#   log sizes; anchors are matched to objects by IoU (0.5 / 0.4 and each object's best).
# - YOLO predicts B boxes and one class distribution per grid cell, in one pass; SSD
#   predicts from default boxes on several feature maps.
# - AP: the area under the precision envelope (VOC), or its mean at 11 (VOC 2007) or
#   101 (COCO) recalls; mAP averages over classes, COCO's AP also over IoU thresholds.
#
# **Next:** notebook 08 labels every pixel: semantic segmentation.
