"""Figures and the convolution explorer render for every kind of padding."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pytest

from coursekit import plotting, widgets


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


def test_draw_convolution_works_with_ipywidgets_interact():
    from ipywidgets import interactive

    explorer = interactive(
        plotting.draw_convolution,
        input_size=(3, 12),
        kernel_size=(1, 7),
        strides=(1, 4),
        padding=(0, 3),
        dilation_rate=(1, 3),
        row=(0, 11),
        col=(0, 11),
    )
    sliders = explorer.children[:-1]
    assert [slider.description for slider in sliders] == [
        "input_size",
        "kernel_size",
        "strides",
        "padding",
        "dilation_rate",
        "row",
        "col",
    ]
    sliders[2].value = 2  # re-renders with the new stride
    plt.close("all")


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


def test_conv_explorer_reacts_to_every_control(capsys):
    explorer = widgets.conv_explorer()
    rows, _ = explorer.children
    controls = [control for column in rows.children for control in column.children]
    assert [control.description for control in controls] == [
        "input W",
        "kernel k",
        "stride S",
        "padding P",
        "dilation d",
        "output #",
    ]
    for control, value in zip(controls, [9, 5, 2, "same", 2, 3], strict=True):
        control.value = value  # each change re-renders without raising
    controls[1].value = 7
    controls[3].value = "valid"
    controls[0].value = 3  # a kernel larger than the input: explained, not raised
    printed = capsys.readouterr().out  # outside a kernel the Output widget lets prints through
    assert "ceil(W / S)" in printed and "larger than the padded input" in printed
    plt.close("all")
