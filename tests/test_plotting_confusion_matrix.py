"""plotting.plot_confusion_matrix: counts or row fractions, drawn with matplotlib alone."""

import matplotlib.pyplot as plt
import numpy as np
import pytest

from coursekit import plotting


def test_counts_put_true_classes_in_rows_and_predictions_in_columns():
    labels = np.array([0, 0, 0, 1, 2, 2])
    predictions = np.array([0, 1, 2, 1, 2, 0])
    matrix = plotting.plot_confusion_matrix(labels, predictions, ["a", "b", "c"], normalize=False)
    np.testing.assert_array_equal(matrix, [[1, 1, 1], [0, 1, 0], [1, 0, 1]])
    axis = plt.gcf().axes[0]
    assert [label.get_text() for label in axis.get_xticklabels()] == ["a", "b", "c"]
    assert axis.get_xlabel() == "predicted class" and axis.get_ylabel() == "true class"
    assert sorted(text.get_text() for text in axis.texts) == sorted("111010101")
    plt.close("all")


def test_normalised_rows_are_recalls_and_an_absent_class_stays_zero():
    labels = np.array([0, 0, 0, 0, 1])
    predictions = np.array([0, 0, 0, 1, 1])
    figure, axis = plt.subplots()
    matrix = plotting.plot_confusion_matrix(
        labels, predictions, ["x", "y", "z"], ax=axis, caption="Two classes and an empty one."
    )
    np.testing.assert_allclose(matrix, [[0.75, 0.25, 0], [0, 1, 0], [0, 0, 0]])
    assert "Two classes" in figure.texts[-1].get_text()
    assert ".75" in [text.get_text() for text in axis.texts]
    plt.close(figure)


def test_a_class_index_beyond_the_names_is_an_error():
    with pytest.raises(ValueError, match="Received: labels from 0 to 3"):
        plotting.plot_confusion_matrix(np.array([0, 3]), np.array([0, 1]), ["a", "b"])
