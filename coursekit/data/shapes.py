"""Generated images of coloured shapes with their boxes, labels and masks.

A detection and segmentation dataset that needs no download and trains in seconds:
each image holds one to `max_objects` squares, circles and triangles in random
colours, sizes and places, over a smooth, noisy background. The same seed gives the
same images on every machine.

Coordinates are continuous pixel coordinates: pixel `(row, col)` covers
`[col, col + 1) x [row, row + 1)`, so a box `(x_min, y_min, x_max, y_max)` around
pixels `col_0..col_1` and `row_0..row_1` is `(col_0, row_0, col_1 + 1, row_1 + 1)`;
no "+1" appears in box widths.
"""

import dataclasses

import numpy as np

SHAPE_NAMES = ("square", "circle", "triangle")
# Objects overlap each other's box by at most this IoU, so most of each stays visible.
MAX_OVERLAP_IOU = 0.15
# Sides (squares), diameters (circles) and bases (triangles) as fractions of the image.
SIZE_RANGE = (0.18, 0.42)
_PLACEMENT_TRIES = 50


class ShapesDataset(tuple):
    """What `make_shapes` returns; it unpacks as `images, boxes, labels, masks`.

    Attributes:
        images: `float32` array `(num_images, image_size, image_size, 3)` in `[0, 1]`.
        boxes: a list with one `float32` array `(num_objects, 4)` per image, each row
            `(x_min, y_min, x_max, y_max)` around the whole shape.
        labels: a list with one `int64` array `(num_objects,)` per image: indices into
            `SHAPE_NAMES`.
        masks: `uint8` array `(num_images, image_size, image_size)`: 0 for background,
            `label + 1` where a shape is visible (a later shape covers an earlier one).
    """

    def __new__(cls, images, boxes, labels, masks):
        return super().__new__(cls, (images, boxes, labels, masks))

    images = property(lambda self: self[0])
    boxes = property(lambda self: self[1])
    labels = property(lambda self: self[2])
    masks = property(lambda self: self[3])
    class_names = SHAPE_NAMES

    def __repr__(self):
        objects = sum(len(labels) for labels in self.labels)
        return (
            f"ShapesDataset(images={self.images.shape}, objects={objects}, "
            f"class_names={self.class_names})"
        )


@dataclasses.dataclass(frozen=True)
class _Shape:
    label: int
    top: int
    left: int
    size: int
    colour: np.ndarray

    @property
    def box(self):
        return (self.left, self.top, self.left + self.size, self.top + self.size)

    def pixels(self):
        """Which pixels of its `size x size` box the shape covers (by pixel centre)."""
        rows, cols = np.ogrid[: self.size, : self.size]
        y, x = rows + 0.5, cols + 0.5
        if SHAPE_NAMES[self.label] == "circle":
            radius = self.size / 2
            return (x - radius) ** 2 + (y - radius) ** 2 <= radius**2
        if SHAPE_NAMES[self.label] == "triangle":
            # Apex at the top centre, base along the bottom edge.
            return np.abs(x - self.size / 2) <= y / 2
        return np.ones((self.size, self.size), bool)


def make_shapes(num_images, image_size=64, max_objects=3, seed=0):
    """Generates images of squares, circles and triangles with boxes, labels and masks.

    Args:
        num_images: how many images.
        image_size: their height and width in pixels (at least 16).
        max_objects: each image holds between 1 and this many shapes.
        seed: the same seed gives the same dataset.

    Returns:
        A `ShapesDataset`, which unpacks as `images, boxes, labels, masks`.

    Raises:
        ValueError: for a negative `num_images`, an `image_size` below 16 or a
            `max_objects` below 1.

    Example:

    >>> images, boxes, labels, masks = make_shapes(4, image_size=32, seed=1)
    >>> images.shape, images.dtype.name, masks.shape
    ((4, 32, 32, 3), 'float32', (4, 32, 32))
    >>> len(boxes), boxes[0].shape[1], set(np.unique(masks)) <= {0, 1, 2, 3}
    (4, 4, True)
    """
    _check(num_images, image_size, max_objects)
    rng = np.random.default_rng(seed)
    images = np.empty((num_images, image_size, image_size, 3), np.float32)
    masks = np.zeros((num_images, image_size, image_size), np.uint8)
    boxes, labels = [], []
    for index in range(num_images):
        background = _background(rng, image_size)
        shapes = _place_shapes(rng, image_size, int(rng.integers(1, max_objects + 1)), background)
        image = background
        for shape in shapes:
            rows = slice(shape.top, shape.top + shape.size)
            cols = slice(shape.left, shape.left + shape.size)
            covered = shape.pixels()
            image[rows, cols][covered] = shape.colour
            masks[index, rows, cols][covered] = shape.label + 1
        noise = rng.normal(0.0, 0.03, size=image.shape)
        images[index] = np.clip(image + noise, 0.0, 1.0)
        boxes.append(np.array([shape.box for shape in shapes], np.float32).reshape(-1, 4))
        labels.append(np.array([shape.label for shape in shapes], np.int64))
    return ShapesDataset(images, boxes, labels, masks)


def _background(rng, image_size):
    """A smooth gradient between two dull colours."""
    start, end = rng.uniform(0.1, 0.45, size=(2, 3))
    direction = rng.uniform(0, 2 * np.pi)
    rows, cols = np.mgrid[:image_size, :image_size] / max(image_size - 1, 1)
    along = (np.cos(direction) * cols + np.sin(direction) * rows + 1.5) / 3
    return start + along[..., np.newaxis] * (end - start)


def _place_shapes(rng, image_size, count, background):
    """Up to `count` shapes that overlap each other's boxes by at most `MAX_OVERLAP_IOU`."""
    placed = []
    for _ in range(_PLACEMENT_TRIES):
        if len(placed) == count:
            break
        size = int(rng.uniform(*SIZE_RANGE) * image_size)
        top, left = rng.integers(0, image_size - size + 1, size=2)
        shape = _Shape(
            label=int(rng.integers(len(SHAPE_NAMES))),
            top=int(top),
            left=int(left),
            size=size,
            colour=_bright_colour(rng, background.mean(axis=(0, 1))),
        )
        if all(_box_iou(shape.box, other.box) <= MAX_OVERLAP_IOU for other in placed):
            placed.append(shape)
    return placed


def _bright_colour(rng, background):
    """A saturated colour far from the background's mean colour."""
    while True:
        colour = rng.uniform(0.0, 1.0, size=3)
        colour[rng.integers(3)] = rng.uniform(0.8, 1.0)
        if np.abs(colour - background).sum() > 0.6:
            return colour


def _box_iou(a, b):
    width = max(0, min(a[2], b[2]) - max(a[0], b[0]))
    height = max(0, min(a[3], b[3]) - max(a[1], b[1]))
    intersection = width * height
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - intersection
    return intersection / union


def _check(num_images, image_size, max_objects):
    if not isinstance(num_images, (int, np.integer)) or num_images < 0:
        raise ValueError(f"num_images must be an int >= 0. Received: num_images={num_images!r}")
    if not isinstance(image_size, (int, np.integer)) or image_size < 16:
        raise ValueError(f"image_size must be an int >= 16. Received: image_size={image_size!r}")
    if not isinstance(max_objects, (int, np.integer)) or max_objects < 1:
        raise ValueError(f"max_objects must be an int >= 1. Received: max_objects={max_objects!r}")
