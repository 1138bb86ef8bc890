"""Figures and the convolution explorer render for every kind of padding."""

import matplotlib

matplotlib.use("Agg")

import threading

import matplotlib.pyplot as plt
import numpy as np
import pytest

from coursekit import plotting, rendering, widgets


@pytest.mark.parametrize("padding", ["valid", "same", "full", 0, 2])
def test_draw_convolution_marks_every_kernel_tap(padding):
    figure = plotting.draw_convolution(
        8, 3, strides=2, padding=padding, dilation_rate=1, row=9, col=9
    )
    left, _ = figure.axes
    red = [
        patch
        for patch in left.patches
        if patch.get_facecolor()[0] > 0.8 and patch.get_facecolor()[1] < 0.3
    ]
    assert len(red) == 9
    assert figure.texts and "outputs per side" in figure.texts[0].get_text()
    plt.close(figure)


def test_interact_figure_redraws_a_plotting_function_off_pyplot():
    explorer = widgets.interact_figure(
        plotting.draw_convolution,
        input_size=(3, 12),
        kernel_size=(1, 7),
        strides=(1, 4),
        padding=["valid", "same", "full"],
        dilation_rate=(1, 3),
        row=(0, 11),
        col=(0, 11),
    )
    *sliders, text, image = explorer.children
    assert [slider.description for slider in sliders] == [
        "input_size",
        "kernel_size",
        "strides",
        "padding",
        "dilation_rate",
        "row",
        "col",
    ]
    before = image.value
    sliders[2].value = 3  # re-renders with the new stride
    assert image.value[:4] == b"\x89PNG" and image.value != before and text.value == ""
    figure = rendering.detached_figure((7.5, 3.8))
    values = {slider.description: slider.value for slider in sliders}
    plotting.draw_convolution(**values, figure=figure)
    assert image.value == rendering.figure_png(figure)
    assert plt.get_fignums() == []


def test_show_images_handles_grey_colour_and_signed_maps():
    figure = plotting.show_images(
        [np.zeros((4, 4)), np.ones((4, 4, 3)), np.linspace(-1, 1, 16).reshape(4, 4)],
        titles=["grey", "colour", "signed"],
        caption="A caption.",
        symmetric=True,
    )
    assert [axis.get_title() for axis in figure.axes[:3]] == ["grey", "colour", "signed"]
    assert figure.texts[-1].get_text() == "A caption."
    plt.close(figure)


def test_caption_sits_below_the_axis_labels():
    figure, axis = plt.subplots()
    axis.set_xlabel("layers")
    plotting.add_caption(figure, "Caption.")
    renderer = figure.canvas.get_renderer()
    caption_top = figure.texts[-1].get_window_extent(renderer).y1
    assert caption_top <= axis.xaxis.label.get_window_extent(renderer).y0
    plt.close(figure)


def test_explain_output_size_spells_out_the_formula():
    assert "= 4" in widgets.explain_output_size(10, 3, strides=2)
    assert "never covered" in widgets.explain_output_size(10, 3, strides=2)
    assert "pads 0 before and 1 after" in widgets.explain_output_size(6, 3, 2, "same")
    assert "F = (k - 1) * d + 1" in widgets.explain_output_size(9, 3, 1, 0, 2)


def explorer_parts(explorer):
    rows, text, image = explorer.children
    controls = [control for column in rows.children for control in column.children]
    return controls, text, image


def expected_frame(input_size, kernel_size, strides, padding, dilation_rate, position):
    """The PNG a fresh explorer shows for these values."""
    figure = rendering.detached_figure((7.5, 3.8))
    widgets._draw_geometry(
        figure, input_size, kernel_size, strides, padding, dilation_rate, position
    )
    return rendering.figure_png(figure)


def test_conv_explorer_reacts_to_every_control():
    explorer = widgets.conv_explorer()
    controls, text, image = explorer_parts(explorer)
    assert [control.description for control in controls] == [
        "input W",
        "kernel k",
        "stride S",
        "padding P",
        "dilation d",
        "output #",
    ]
    assert image.value[:4] == b"\x89PNG" and "= 5" in text.value  # 7 - 3 + 1
    for control, value in zip(controls, [9, 5, 2, "same", 2, 3], strict=True):
        before = image.value
        control.value = value  # each change redraws the figure
        assert image.value != before, control.description
    assert "ceil(W / S)" in text.value
    assert image.value == expected_frame(9, 5, 2, "same", 2, 3)
    controls[1].value = 7
    controls[3].value = "valid"
    controls[0].value = 3  # a kernel larger than the input: explained, not raised
    assert "larger than the padded input" in text.value
    assert image.layout.display == "none"
    controls[4].value = 1
    controls[0].value = 12
    assert image.layout.display is None and "= 3" in text.value


def test_conv_explorer_draws_off_pyplot():
    figure, axis = plt.subplots()
    explorer = widgets.conv_explorer()
    controls, _, _ = explorer_parts(explorer)
    controls[2].value = 2
    assert plt.get_fignums() == [figure.number] and plt.gcf() is figure
    assert not axis.patches and len(figure.axes) == 1  # nothing drawn into pyplot's figure
    plt.close(figure)


def test_conv_explorer_ends_on_the_latest_values_when_callbacks_overlap():
    # ipykernel 7 under JupyterLab >= 4.4 can run slider callbacks on two threads at once.
    explorer = widgets.conv_explorer()
    controls, _, image = explorer_parts(explorer)
    view_redraws = []
    start = threading.Barrier(4)

    def move(values):
        start.wait()
        for value in values:
            controls[0].value = value
            view_redraws.append(value)

    threads = [threading.Thread(target=move, args=(range(first, 13, 4),)) for first in (3, 4, 5, 6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    final = controls[0].value
    assert image.value == expected_frame(final, 3, 1, "valid", 1, 0)


def test_draw_boxes_outlines_pixels_and_names_classes():
    figure, ax = plt.subplots()
    ax.imshow(np.zeros((10, 10)))
    boxes = np.array([[0.0, 0.0, 10.0, 10.0], [2.0, 3.0, 5.0, 9.0]])
    drawn = plotting.draw_boxes(ax, boxes, labels=[1, 0], scores=[0.5, 0.25], class_names="ab")
    # A box over the whole 10x10 image covers imshow's extent exactly.
    assert tuple(drawn[0].get_xy()) == (-0.5, -0.5)
    assert (drawn[0].get_width(), drawn[0].get_height()) == (10.0, 10.0)
    assert drawn[0].get_edgecolor() != drawn[1].get_edgecolor()  # one colour per class
    assert [text.get_text() for text in ax.texts] == ["b 0.50", "a 0.25"]
    plain = plotting.draw_boxes(ax, boxes, color="white", linestyle=":")
    assert len(ax.texts) == 2 and all(patch.get_linestyle() == ":" for patch in plain)
    plt.close(figure)
