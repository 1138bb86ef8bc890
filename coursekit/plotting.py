"""Figures for the notebooks: image grids, annotated arrays, convolution geometry, masks.

Every function draws with matplotlib and returns the figure; `caption=` puts a
one-sentence caption under it, as every figure in the course has one.
"""

import math
import re
import textwrap

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.patches import Rectangle

from coursekit import arithmetic
from coursekit.scratch.windows import padding_amounts

GRID_MARGIN = 0.04
# Inches a figure may span before JupyterLab shrinks it (and its text) to fit the
# notebook column: at 100 pixels per inch, the column is 848 pixels wide in a
# 1280-pixel-wide window with the file browser open (measured by tests/test_browser.py).
NOTEBOOK_WIDTH = 8.4
TITLE_SIZE = 10
MIN_IMAGE_SIZE = 1.5


def add_caption(figure, text):
    """Writes a caption sentence centred under everything already drawn in a figure.

    Example:

    >>> figure, axis = plt.subplots()
    >>> _ = axis.plot([0, 1], [0, 1])
    >>> add_caption(figure, "A straight line.").texts[-1].get_text()
    'A straight line.'
    """
    bottom_inches = figure.get_tightbbox(figure.canvas.get_renderer()).y0
    y = min(0.0, bottom_inches / figure.get_figheight()) - 0.02
    figure.text(0.5, y, text, ha="center", va="top", wrap=True, fontsize=10, style="italic")
    return figure


def show_images(
    images, titles=None, caption=None, cmap="gray", ncols=None, size=2.6, symmetric=False
):
    """Shows images side by side.

    Args:
        images: a sequence of 2-D (grey) or `(H, W, 3)` (colour) arrays.
        titles: one title per image, or `None`.
        caption: a sentence under the figure.
        cmap: colour map for 2-D images.
        ncols: images per row (default: all in one row, at most 6).
        size: inches per image. A figure never gets wider than a notebook column
            (`NOTEBOOK_WIDTH`): the images shrink, down to 1.5 inches, and then
            fewer fit in a row. Titles wrap to the image's width.
        symmetric: centre the colour map on zero (for filter responses that have
            both signs); uses a red-blue map when `cmap` is left at `"gray"`.

    Returns:
        The matplotlib figure.

    Example:

    >>> figure = show_images([np.eye(4), np.ones((4, 4, 3))], titles=["grey", "colour"],
    ...                      caption="Two tiny images.")
    >>> [axis.get_title() for axis in figure.axes]
    ['grey', 'colour']
    """
    images = list(images)
    ncols = ncols or min(len(images), 6)
    # Too wide for a notebook column: smaller images, down to 1.5 inches, then more rows.
    size = max(min(size, NOTEBOOK_WIDTH / ncols), min(size, MIN_IMAGE_SIZE))
    ncols = min(ncols, max(1, int(NOTEBOOK_WIDTH // size)))
    nrows = math.ceil(len(images) / ncols)
    figure, axes = plt.subplots(nrows, ncols, figsize=(size * ncols, size * nrows), squeeze=False)
    for index, axis in enumerate(axes.flat):
        axis.axis("off")
        if index >= len(images):
            continue
        image = np.asarray(images[index])
        options = {"cmap": cmap} if image.ndim == 2 else {}
        if symmetric and image.ndim == 2:
            # A high percentile, not the maximum, so that a few extreme values do not
            # wash out the rest of the map.
            limit = float(np.percentile(np.abs(image), 99.5)) or 1.0
            options = {"cmap": "RdBu_r" if cmap == "gray" else cmap, "vmin": -limit, "vmax": limit}
        axis.imshow(image, **options)
        if titles is not None:
            axis.set_title(_wrap(titles[index], size, TITLE_SIZE), fontsize=TITLE_SIZE)
    figure.tight_layout()
    if caption:
        add_caption(figure, caption)
    return figure


def metric_label(name):
    """Turns a Keras metric key into words for a title or a legend.

    Example:

    >>> [metric_label(name) for name in ["val_loss", "top5_accuracy", "learning_rate"]]
    ['validation loss', 'top-5 accuracy', 'learning rate']
    >>> metric_label("sparse_categorical_accuracy")
    'accuracy'
    """
    prefix, name = ("validation ", name[4:]) if name.startswith("val_") else ("", name)
    name = re.sub(r"^(sparse_)?(categorical_)?", "", name) if name.endswith("accuracy") else name
    name = re.sub(r"^top_?(\d+)_", r"top-\1 ", name)
    return prefix + name.replace("_", " ")


def _wrap(title, width_inches, fontsize):
    """Wraps a title at spaces to about the width of its panel."""
    characters = max(8, int(width_inches * 72 / (0.6 * fontsize)))
    return (
        "\n".join(textwrap.wrap(str(title), characters)) if len(str(title)) > characters else title
    )


def plot_array(values, ax=None, title=None, highlight=None, fmt="{:g}", cmap="Blues"):
    """Draws a small 2-D array as a grid with its numbers written in the cells.

    Args:
        values: a 2-D array.
        ax: the axes to draw on (a new figure when `None`).
        title: a title above the grid.
        highlight: `(row, col, height, width)` of a block to outline in red.
        fmt: format string for the numbers.
        cmap: colour map of the cell shading.

    Returns:
        The axes.

    Example:

    >>> axis = plot_array(np.arange(6).reshape(2, 3), title="values", highlight=(0, 1, 2, 2))
    >>> [text.get_text() for text in axis.texts]
    ['0', '1', '2', '3', '4', '5']
    """
    values = np.asarray(values)
    if ax is None:
        _, ax = plt.subplots(figsize=(0.5 * values.shape[1] + 0.6, 0.5 * values.shape[0] + 0.6))
    ax.imshow(values, cmap=cmap, alpha=0.5)
    for (row, col), value in np.ndenumerate(values):
        ax.text(col, row, fmt.format(value), ha="center", va="center", fontsize=9)
    ax.set_xticks(np.arange(-0.5, values.shape[1]), minor=True)
    ax.set_yticks(np.arange(-0.5, values.shape[0]), minor=True)
    ax.grid(which="minor", color="grey", linewidth=0.5)
    ax.tick_params(which="both", length=0, labelbottom=False, labelleft=False)
    if highlight is not None:
        row, col, height, width = highlight
        ax.add_patch(
            Rectangle(
                (col - 0.5, row - 0.5), width, height, fill=False, edgecolor="red", linewidth=2.5
            )
        )
    if title:
        ax.set_title(title, fontsize=10)
    return ax


def draw_convolution(
    input_size=7, kernel_size=3, strides=1, padding=0, dilation_rate=1, row=0, col=0, figure=None
):
    """Draws where a kernel lands on a square input, and the output it produces.

    Left: the input (white) with its padding (grey); the red cells are the kernel
    taps read for output position `(row, col)`. Right: the output grid with that
    position marked. The caption spells out the sizes. Every argument has a numeric
    default, so the function works directly with `ipywidgets.interact`.

    Args:
        input_size, kernel_size, strides, padding, dilation_rate: as in
            `coursekit.arithmetic.conv_output_size` (padding may be a string).
        row, col: the output position to show (clipped to the output).
        figure: an empty figure to draw on, e.g. a `coursekit.rendering.detached_figure`
            that a widget redraws; by default a new pyplot figure.

    Returns:
        The matplotlib figure.

    Example:

    >>> figure = draw_convolution(6, 3, strides=2, padding="same", row=1, col=2)
    >>> figure.texts[-1].get_text()
    "A 3x3 kernel (span 3) with stride 2, padding 'same' and dilation 1 gives 3 outputs per side."
    """
    output_size = arithmetic.conv_output_size(
        input_size, kernel_size, strides, padding, dilation_rate
    )
    before, after = padding_amounts(input_size, kernel_size, strides, padding, dilation_rate)
    padded = input_size + before + after
    row, col = min(row, output_size - 1), min(col, output_size - 1)
    figure = figure or plt.figure(figsize=(7.5, 3.8))
    left, right = figure.subplots(
        1, 2, gridspec_kw={"width_ratios": [max(padded, 1), max(output_size, 1)]}
    )
    for i in range(padded):
        for j in range(padded):
            inside = before <= i < before + input_size and before <= j < before + input_size
            left.add_patch(
                Rectangle(
                    (j, i),
                    1,
                    1,
                    facecolor="white" if inside else "#d0d0d0",
                    edgecolor="grey",
                    linewidth=0.6,
                )
            )
    for u in range(kernel_size):
        for v in range(kernel_size):
            i, j = row * strides + u * dilation_rate, col * strides + v * dilation_rate
            left.add_patch(Rectangle((j, i), 1, 1, facecolor="#e53935", alpha=0.75))
    for i in range(output_size):
        for j in range(output_size):
            marked = (i, j) == (row, col)
            right.add_patch(
                Rectangle(
                    (j, i),
                    1,
                    1,
                    facecolor="#e53935" if marked else "#bbdefb",
                    edgecolor="grey",
                    linewidth=0.6,
                )
            )
    for axis, size, title in (
        (left, padded, f"input {input_size}x{input_size} + padding"),
        (right, output_size, f"output {output_size}x{output_size}"),
    ):
        # A margin of a few hundredths of a cell, so that the outer grid lines are not
        # clipped at the edge of the axes (the right and bottom borders vanished).
        axis.set_xlim(-GRID_MARGIN, size + GRID_MARGIN)
        axis.set_ylim(size + GRID_MARGIN, -GRID_MARGIN)
        axis.set_aspect("equal")
        axis.axis("off")
        axis.set_title(title, fontsize=10)
    figure.tight_layout()
    add_caption(
        figure,
        _size_sentence(input_size, kernel_size, strides, padding, dilation_rate, output_size),
    )
    return figure


def _size_sentence(input_size, kernel_size, strides, padding, dilation_rate, output_size):
    span = arithmetic.effective_kernel_size(kernel_size, dilation_rate)
    return (
        f"A {kernel_size}x{kernel_size} kernel (span {span}) with stride {strides}, "
        f"padding {padding!r} and dilation {dilation_rate} gives {output_size} outputs per side."
    )


def plot_confusion_matrix(labels, predictions, class_names, ax=None, normalize=True, caption=None):
    """Draws a confusion matrix: rows are true classes, columns predicted classes.

    Drawn with matplotlib alone (no seaborn needed): each cell is shaded by its
    value and labelled with it.

    Args:
        labels: integer array `(N,)` of true classes.
        predictions: integer array `(N,)` of predicted classes.
        class_names: the name of each class.
        ax: the axes to draw on (a new figure when `None`).
        normalize: show each row as fractions of that class (its recall on the
            diagonal) instead of counts.
        caption: a sentence under the figure.

    Returns:
        The confusion matrix `(num_classes, num_classes)` as drawn (counts, or row
        fractions with `normalize`).

    Raises:
        ValueError: if a label or prediction is not an index into `class_names`.

    Example:

    >>> matrix = plot_confusion_matrix(np.array([0, 0, 1, 1]), np.array([0, 1, 1, 1]),
    ...                                ["cat", "dog"], normalize=False)
    >>> matrix
    array([[1, 1],
           [0, 2]])
    """
    num_classes = len(class_names)
    labels, predictions = np.asarray(labels), np.asarray(predictions)
    for name, values in (("labels", labels), ("predictions", predictions)):
        if values.size and (values.min() < 0 or values.max() >= num_classes):
            raise ValueError(
                f"`{name}` must be class indices in [0, {num_classes}) for {num_classes} class "
                f"names. Received: {name} from {values.min()} to {values.max()}"
            )
    matrix = np.zeros((num_classes, num_classes), dtype=np.int64)
    np.add.at(matrix, (labels, predictions), 1)
    if normalize:
        matrix = matrix / np.maximum(matrix.sum(axis=1, keepdims=True), 1)
    if ax is None:
        side = min(1.4 + 0.6 * num_classes, NOTEBOOK_WIDTH - 1.4)
        _, ax = plt.subplots(figsize=(side + 1.2, side))
    image = ax.imshow(matrix, cmap="Blues", vmin=0)
    ax.figure.colorbar(image, ax=ax, fraction=0.046, pad=0.04)
    threshold = matrix.max() / 2 if matrix.size else 0
    cell_inches = ax.get_position().width * ax.figure.get_figwidth() / max(num_classes, 1)
    cell_font = min(10, max(6, cell_inches * 72 / 2.6))  # ".83" fills most of a cell
    for (row, col), value in np.ndenumerate(matrix):
        text = f"{value:.2f}".lstrip("0") if normalize else str(value)
        if value == 0:
            text = "0"
        color = "white" if value > threshold else "black"
        ax.text(col, row, text, ha="center", va="center", fontsize=cell_font, color=color)
    long_names = max(len(str(name)) for name in class_names) > 3
    ax.set_xticks(
        range(num_classes),
        class_names,
        rotation=45 if long_names else 0,
        ha="right" if long_names else "center",
        rotation_mode="anchor",
    )
    ax.set_yticks(range(num_classes), class_names)
    ax.set_xlabel("predicted class")
    ax.set_ylabel("true class")
    ax.figure.tight_layout()
    if caption:
        add_caption(ax.figure, caption)
    return matrix


BOX_COLOURS = ("tab:orange", "tab:cyan", "tab:pink", "tab:olive", "tab:purple", "tab:red")


def draw_boxes(ax, boxes, labels=None, scores=None, class_names=None, color=None, linestyle="-"):
    """Draws "xyxy" boxes on image axes, each with its class name and score if given.

    Boxes are in continuous pixel coordinates (pixel `(row, col)` covers
    `[col, col + 1) x [row, row + 1)`), while `imshow` centres pixel `col` on `x = col`,
    so the rectangles are drawn half a pixel up and to the left.

    Args:
        ax: matplotlib axes showing an image.
        boxes: array `(N, 4)` of `(x_min, y_min, x_max, y_max)`.
        labels: class indices `(N,)`, or `None`.
        scores: scores `(N,)` shown after the name, or `None`.
        class_names: the name of each class index; without it the index is shown.
        color: one colour for every box; by default each class has its own.
        linestyle: e.g. `"--"` for ground truth under solid predictions.

    Returns:
        The list of rectangles drawn.

    Example:

    >>> figure, ax = plt.subplots()
    >>> _ = ax.imshow(np.zeros((8, 8)))
    >>> patches = draw_boxes(ax, [[1, 1, 4, 5]], labels=[0], scores=[0.9], class_names=["cat"])
    >>> [float(value) for value in patches[0].get_xy()], ax.texts[-1].get_text()
    ([0.5, 0.5], 'cat 0.90')
    """
    boxes = np.asarray(boxes, dtype=float).reshape(-1, 4)
    drawn = []
    for index, (x_min, y_min, x_max, y_max) in enumerate(boxes):
        label = None if labels is None else int(labels[index])
        colour = color or BOX_COLOURS[(label or 0) % len(BOX_COLOURS)]
        rectangle = Rectangle(
            (x_min - 0.5, y_min - 0.5),
            x_max - x_min,
            y_max - y_min,
            fill=False,
            edgecolor=colour,
            linewidth=1.5,
            linestyle=linestyle,
        )
        ax.add_patch(rectangle)
        drawn.append(rectangle)
        words = [] if label is None else [class_names[label] if class_names else str(label)]
        if scores is not None:
            words.append(f"{scores[index]:.2f}")
        if words:
            ax.text(
                x_min - 0.5,
                y_min - 1.0,
                " ".join(words),
                color="white",
                fontsize=7,
                bbox={"facecolor": colour, "alpha": 0.8, "pad": 1, "edgecolor": "none"},
            )
    return drawn


def overlay_mask(image, mask, num_classes, alpha=0.5):
    """Colours an image's pixels by class, for showing a segmentation on top of it.

    Class 0 (the background) is left as it is; class `c > 0` is blended with colour
    `c - 1` of matplotlib's `tab10` cycle (blue for class 1, orange for 2, green for 3),
    so a class has the same colour in every figure.

    Args:
        image: `(height, width, 3)` colours in `[0, 1]`, or `(height, width)` grey values.
        mask: integer class indices `(height, width)`.
        num_classes: the number of classes (at most 10 colours are distinct).
        alpha: how much of the class colour replaces the image's.

    Returns:
        A float array `(height, width, 3)` to pass to `show_images` or `imshow`.

    Example:

    >>> blended = overlay_mask(np.zeros((2, 2, 3)), np.array([[0, 1], [1, 0]]), 2, alpha=1.0)
    >>> blended[0, 0].tolist(), blended[0, 1].round(3).tolist()
    ([0.0, 0.0, 0.0], [0.122, 0.467, 0.706])
    """
    image = np.asarray(image, dtype=float)
    if image.ndim == 2:
        image = np.repeat(image[..., None], 3, axis=-1)
    colours = np.array([plt.get_cmap("tab10")(c % 10)[:3] for c in range(max(num_classes - 1, 1))])
    mask = np.asarray(mask)
    blended = image.copy()
    foreground = mask > 0
    tinted = colours[mask[foreground] - 1]
    blended[foreground] = (1 - alpha) * image[foreground] + alpha * tinted
    return blended
