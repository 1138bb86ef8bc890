"""Interactive explorers built from core ipywidgets only (they work on ipywidgets 7 and 8)."""

import matplotlib.pyplot as plt

from coursekit import arithmetic
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

    def render(input_size, kernel_size, strides, padding, dilation_rate, position):
        try:
            output_size = arithmetic.conv_output_size(
                input_size, kernel_size, strides, padding, dilation_rate
            )
        except ValueError as error:
            print(error)
            return
        row, col = divmod(min(position, output_size**2 - 1), output_size)
        print(explain_output_size(input_size, kernel_size, strides, padding, dilation_rate))
        draw_convolution(input_size, kernel_size, strides, padding, dilation_rate, row, col)
        plt.show()

    output = widgets.interactive_output(render, controls)
    names = list(controls)
    return widgets.VBox(
        [
            widgets.HBox(
                [
                    widgets.VBox([controls[n] for n in names[:3]]),
                    widgets.VBox([controls[n] for n in names[3:]]),
                ]
            ),
            output,
        ]
    )
