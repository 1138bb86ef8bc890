"""Interactive explorers built from core ipywidgets only (they work on ipywidgets 7 and 8).

A drawing that a slider redraws is never a pyplot figure in an `Output` widget: two
callbacks running at once (JupyterLab >= 4.4 with ipykernel 7 does that) would blank or
tear it. Each frame is drawn into a figure pyplot does not track, under a lock, and
handed over as one PNG to an `Image` widget (see `coursekit.rendering`).
"""

import html

from coursekit import arithmetic, rendering
from coursekit.plotting import draw_convolution
from coursekit.scratch.windows import padding_amounts

PADDING_CHOICES = [
    ("valid", "valid"),
    ("1", 1),
    ("2", 2),
    ("3", 3),
    ("same", "same"),
    ("full", "full"),
]


def explain_output_size(input_size, kernel_size, strides=1, padding=0, dilation_rate=1):
    """Spells out the output-size formula with the numbers filled in.

    Example:

    >>> print(explain_output_size(10, 3, strides=2))
    floor((W + 2P - F) / S) + 1 = floor((10 + 2*0 - 3) / 2) + 1 = 4
    (W + 2P - F) = 7 is not a multiple of S = 2: the last 1 row(s) of the padded input are never covered.
    """
    output_size = arithmetic.conv_output_size(
        input_size, kernel_size, strides, padding, dilation_rate
    )
    before, after = padding_amounts(input_size, kernel_size, strides, padding, dilation_rate)
    span = arithmetic.effective_kernel_size(kernel_size, dilation_rate)
    if isinstance(padding, str) and padding.lower() == "same":
        return (
            f"'same': ceil(W / S) = ceil({input_size} / {strides}) = {output_size}; "
            f"TensorFlow pads {before} before and {after} after."
        )
    lines = [
        f"floor((W + 2P - F) / S) + 1 = floor(({input_size} + 2*{before} - {span}) / {strides}) "
        f"+ 1 = {output_size}"
    ]
    covered = input_size + 2 * before - span
    if covered % strides:
        lines.append(
            f"(W + 2P - F) = {covered} is not a multiple of S = {strides}: the last "
            f"{covered % strides} row(s) of the padded input are never covered."
        )
    if dilation_rate > 1:
        lines.append(f"F = (k - 1) * d + 1 = ({kernel_size} - 1) * {dilation_rate} + 1 = {span}.")
    return "\n".join(lines)


def conv_explorer(input_size=7, kernel_size=3, strides=1, padding="valid", dilation_rate=1):
    """Sliders for a convolution's geometry, with the output size and a live drawing.

    Move the sliders to change the input size, kernel size, stride, padding and
    dilation; `output #` walks the kernel over the output positions.

    Returns:
        The widget (display it, or leave it as the last line of a cell).

    Example, as the last line of a notebook cell:

        conv_explorer(input_size=8, strides=2)
    """
    import ipywidgets as widgets

    controls = {
        "input_size": widgets.IntSlider(value=input_size, min=3, max=12, description="input W"),
        "kernel_size": widgets.IntSlider(value=kernel_size, min=1, max=7, description="kernel k"),
        "strides": widgets.IntSlider(value=strides, min=1, max=4, description="stride S"),
        "padding": widgets.Dropdown(
            options=PADDING_CHOICES, value=padding, description="padding P"
        ),
        "dilation_rate": widgets.IntSlider(
            value=dilation_rate, min=1, max=3, description="dilation d"
        ),
        "position": widgets.IntSlider(value=0, min=0, max=143, description="output #"),
    }
    view = LiveDrawing(_draw_geometry, controls)
    names = list(controls)
    return widgets.VBox(
        [
            widgets.HBox(
                [
                    widgets.VBox([controls[n] for n in names[:3]]),
                    widgets.VBox([controls[n] for n in names[3:]]),
                ]
            ),
            view.text,
            view.image,
        ]
    )


def interact_figure(draw, figsize=(7.5, 3.8), **ranges):
    """Like `ipywidgets.interact`, for a function that draws on the figure it is given.

    Use it instead of `interact` for drawings: `interact` draws through pyplot, whose
    figures two overlapping callbacks blank or tear (see `coursekit.rendering`).

    Args:
        draw: a function that takes the controls' values as keyword arguments and a
            `figure=` to draw on, such as `coursekit.plotting.draw_convolution`.
        figsize: the figure's size in inches.
        **ranges: one control per argument, written as for `interact`: `(3, 12)` a
            slider of ints, a list of choices a dropdown, and so on.

    Returns:
        The widget: the controls above the drawing.

    Example, as the last line of a notebook cell:

        interact_figure(plotting.draw_convolution, input_size=(3, 12), strides=(1, 4))
    """
    import ipywidgets as widgets

    controls = {}
    for name, abbreviation in ranges.items():
        control = widgets.interactive.widget_from_abbrev(abbreviation)
        control.description = name
        controls[name] = control
    view = LiveDrawing(lambda figure, **values: draw(figure=figure, **values), controls, figsize)
    return widgets.VBox([*controls.values(), view.text, view.image])


class LiveDrawing:
    """A text and a figure that redraw whenever one of the controls changes.

    Each redraw reads the values of all controls, calls `draw(figure, **values)` on a
    fresh figure that pyplot does not track, and shows the text it returns and the
    figure as one PNG. Redraws are serialised by `rendering.DRAWING_LOCK`, and each
    reads the controls' values inside it, so the last one to finish shows the
    controls' latest values even when two callbacks run at once on two threads.

    Args:
        draw: `draw(figure, **values)` draws on `figure` and may return a text to
            show above it; it may raise `ValueError` for values that make no drawing,
            whose message is then shown instead of the figure.
        controls: a dict of ipywidgets value widgets, keyed by `draw`'s argument names.
        figsize: the figure's size in inches.

    Attributes:
        text: an `ipywidgets.HTML` with the text.
        image: an `ipywidgets.Image` with the figure.
        frames: how many frames have been drawn.
    """

    def __init__(self, draw, controls, figsize=(7.5, 3.8)):
        import ipywidgets as widgets

        self.draw = draw
        self.controls = controls
        self.figsize = figsize
        self.text = widgets.HTML()
        self.image = widgets.Image(format="png")
        self.frames = 0
        for control in controls.values():
            control.observe(self.redraw, names="value")
        self.redraw()

    def redraw(self, change=None):
        """Draws a frame from the controls' current values and shows it."""
        with rendering.DRAWING_LOCK:
            values = {name: control.value for name, control in self.controls.items()}
            figure = rendering.detached_figure(self.figsize)
            try:
                text = self.draw(figure, **values)
            except ValueError as error:
                self._show(str(error), None)
                return
            self._show(text, rendering.figure_png(figure))

    def _show(self, text, png):
        self.frames += 1
        self.text.value = f"<pre>{html.escape(text)}</pre>" if isinstance(text, str) else ""
        if png is None:
            self.image.layout.display = "none"
        else:
            self.image.value = png
            self.image.layout.display = None


def _draw_geometry(figure, input_size, kernel_size, strides, padding, dilation_rate, position):
    """Draws the kernel at output number `position` and returns the formula with its numbers."""
    output_size = arithmetic.conv_output_size(
        input_size, kernel_size, strides, padding, dilation_rate
    )
    row, col = divmod(min(position, output_size**2 - 1), output_size)
    draw_convolution(
        input_size, kernel_size, strides, padding, dilation_rate, row, col, figure=figure
    )
    return explain_output_size(input_size, kernel_size, strides, padding, dilation_rate)
