"""Per-class precision, recall and F1, the confusable order, and the whole-matrix picture."""

import io
import math

import numpy as np
import pytest

from tinylib import plots
from tinylib.analysis import confusable_order, confusion_matrix, per_class_report

NAMES = ("ant", "bee", "cat", "dog", "eel")
# rows true, columns predicted: cat is never predicted, eel has no images and is never predicted
MATRIX = np.array(
    [
        [3, 1, 0, 0, 0],
        [1, 2, 0, 0, 0],
        [1, 1, 0, 0, 0],
        [0, 0, 0, 1, 0],
        [0, 0, 0, 0, 0],
    ]
)


def as_predictions(matrix: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """One-hot probabilities and labels whose confusion matrix is `matrix`."""
    pairs = [(true, predicted) for (true, predicted), count in np.ndenumerate(matrix) for _ in range(count)]
    labels = np.array([true for true, _ in pairs])
    return np.eye(len(matrix))[[predicted for _, predicted in pairs]], labels


def test_confusion_matrix_is_counted_with_numpy():
    probabilities, labels = as_predictions(MATRIX)
    assert np.array_equal(confusion_matrix(probabilities, labels), MATRIX)
    assert confusion_matrix(probabilities, labels).dtype == np.int64
    with pytest.raises(ValueError, match="labels must be in 0..4"):
        confusion_matrix(probabilities, labels + 2)


def test_precision_recall_f1_and_support_follow_the_textbook_definitions():
    probabilities, labels = as_predictions(MATRIX)
    report = per_class_report(probabilities, labels, NAMES)
    assert [s.name for s in report] == list(NAMES) and [s.index for s in report] == [0, 1, 2, 3, 4]
    assert [s.support for s in report] == [4, 3, 2, 1, 0]
    assert [s.predicted for s in report] == [5, 4, 0, 1, 0]
    ant, bee, cat, dog, eel = report
    assert ant.precision == pytest.approx(3 / 5) and ant.recall == pytest.approx(3 / 4)
    assert ant.f1 == pytest.approx(2 * 0.6 * 0.75 / (0.6 + 0.75))
    assert bee.precision == pytest.approx(2 / 4) and bee.recall == pytest.approx(2 / 3)
    assert bee.f1 == pytest.approx(2 * 0.5 * (2 / 3) / (0.5 + 2 / 3))
    assert (cat.precision, cat.recall, cat.f1) == (0.0, 0.0, 0.0)  # never predicted: precision 0 (documented)
    assert (dog.precision, dog.recall, dog.f1) == (1.0, 1.0, 1.0)
    assert eel.precision == 0.0 and math.isnan(eel.recall) and math.isnan(eel.f1)  # no images, never predicted


def test_the_confusable_order_puts_two_mutually_confused_classes_side_by_side():
    rng = np.random.default_rng(0)
    matrix = rng.integers(0, 2, (12, 12)) + np.diag(np.full(12, 40))
    matrix[2, 9], matrix[9, 2] = 15, 12  # 2 and 9 are taken for each other
    matrix[4, 7], matrix[7, 11], matrix[11, 4] = 9, 8, 10  # a group of three
    order = list(confusable_order(matrix))
    assert sorted(order) == list(range(12))
    assert abs(order.index(2) - order.index(9)) == 1
    group = [order.index(c) for c in (4, 7, 11)]
    assert max(group) - min(group) == 2  # contiguous
    assert list(confusable_order(np.diag([5, 5, 5]))) == [0, 1, 2]  # nothing confused: index order


def test_the_whole_matrix_picture_stays_light_at_200_classes():
    rng = np.random.default_rng(1)
    labels = np.repeat(np.arange(200), 10)
    probabilities = rng.random((2000, 200)) + 3 * np.eye(200)[labels] * (rng.random(2000)[:, None] < 0.5)
    figure = plots.confusion_matrix_picture(probabilities, labels)
    width, height = figure.get_size_inches()
    axis = figure.axes[0]
    assert width <= 12 and height <= 10
    assert len(axis.images) == 1 and axis.images[0].get_array().shape == (200, 200)
    assert len(axis.texts) == 0 and len(axis.get_yticks()) < 20  # no numbers in cells, no 200 names
    assert axis.images[0].norm.__class__.__name__ == "LogNorm"
    figure.savefig(io.BytesIO(), format="png", dpi=90)


def test_the_whole_matrix_picture_names_and_counts_few_classes():
    probabilities, labels = as_predictions(MATRIX)
    figure = plots.confusion_matrix_picture(probabilities, labels, NAMES)
    axis = figure.axes[0]
    shown = [label.get_text() for label in axis.get_yticklabels()]
    assert sorted(shown) == sorted(NAMES)
    assert sorted(text.get_text() for text in axis.texts) == sorted(str(c) for c in MATRIX.flat if c)
    index = plots.confusion_matrix_picture(probabilities, labels, NAMES, order="index")
    assert [label.get_text() for label in index.axes[0].get_yticklabels()] == list(NAMES)
    with pytest.raises(ValueError, match="order must be"):
        plots.confusion_matrix_picture(probabilities, labels, order="alphabetical")
