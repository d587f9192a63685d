"""Pictures of an analysis: galleries, confused pairs, per-class bars, Grad-CAM overlays, reliability."""

from pathlib import Path

import numpy as np
import pytest
from matplotlib.colors import to_rgba
from matplotlib.figure import Figure

from tinylib import plots
from tinylib.analysis import Predictions, reliability_table

pytestmark = pytest.mark.versions

RNG = np.random.default_rng(3)
IMAGES = RNG.integers(0, 256, (6, 64, 64, 3), dtype=np.uint8)
NAMES = ("cat", "dog", "fox")
# predicted: 0 (right), 2 (wrong), 1 (wrong), 1 (right), 0 (wrong), 2 (right)
PROBABILITIES = np.array(
    [[0.7, 0.2, 0.1], [0.1, 0.3, 0.6], [0.05, 0.9, 0.05], [0.2, 0.5, 0.3], [0.8, 0.1, 0.1], [0.1, 0.1, 0.8]],
    np.float32,
)
LABELS = np.array([0, 1, 0, 1, 2, 2])
BOXES = np.array([[1, 2, 30, 40], [-1, -1, -1, -1], [0, 0, 63, 63], [5, 5, 20, 20], [3, 3, 10, 10], [0, 0, 9, 9]])
FILES = tuple(Path(f"/data/val/images/val_{i}.JPEG") for i in range(6))
RESULT = Predictions(PROBABILITIES, LABELS, NAMES, IMAGES, FILES, BOXES)


def test_hard_example_gallery_titles_colours_and_boxes():
    figure = plots.hard_example_gallery(RESULT, [2, 0, 1], columns=2)
    assert isinstance(figure, Figure)
    shown = [axis for axis in figure.axes if axis.images]
    assert len(figure.axes) == 4 and len(shown) == 3
    assert [axis.get_title() for axis in shown] == [
        "val_2\ntrue: cat\npred: dog 90%",
        "val_0\ntrue: cat\npred: cat 70%",
        "val_1\ntrue: dog\npred: fox 60%",
    ]
    assert [axis.title.get_color() for axis in shown] == ["tab:red", "tab:green", "tab:red"]
    assert [len(axis.patches) for axis in shown] == [1, 1, 0]  # image 1 has no box
    box = shown[0].patches[0]
    assert (box.get_x(), box.get_y(), box.get_width(), box.get_height()) == (-0.5, -0.5, 64, 64)
    with_cam = plots.hard_example_gallery(RESULT, [2, 0], heatmaps=np.ones((2, 64, 64)))
    assert all(len(axis.images) == 2 for axis in with_cam.axes if axis.images)


def test_confusion_heatmap_shows_the_classes_of_the_top_pairs_with_counts():
    figure = plots.confusion_heatmap(RESULT, top=2)
    axis = figure.axes[0]
    # three pairs of one image each, half of their class: the tie goes by class index (cat -> dog, dog -> fox)
    assert [label.get_text() for label in axis.get_yticklabels()] == ["cat", "dog", "fox"]
    matrix = axis.images[0].get_array()
    np.testing.assert_allclose(matrix, [[0.5, 0.5, 0.0], [0.0, 0.5, 0.5], [0.5, 0.0, 0.5]])
    assert sorted(text.get_text() for text in axis.texts) == ["1"] * 6
    assert axis.get_title() == "classes of the 2 most confused pairs"


def test_confusion_heatmap_of_arrays_and_without_mistakes():
    figure = plots.confusion_heatmap(PROBABILITIES, LABELS, ["a", "b", "c"], top=1)
    assert [label.get_text() for label in figure.axes[0].get_xticklabels()] == ["a", "b"]
    perfect = plots.confusion_heatmap(np.eye(3), np.arange(3), NAMES)
    assert perfect.axes[0].get_title() == "classes of the 0 most confused pairs"


def test_per_class_accuracy_chart_few_classes_in_one_panel():
    figure = plots.per_class_accuracy_chart(RESULT)
    (axis,) = [axis for axis in figure.axes]
    assert [label.get_text() for label in axis.get_yticklabels()] == ["cat", "dog", "fox"]  # all 1/2: class order
    np.testing.assert_allclose([bar.get_width() for bar in axis.patches], [0.5, 0.5, 0.5])


def test_per_class_accuracy_chart_best_and_worst():
    labels = np.repeat(np.arange(40), 4)
    predicted = labels.copy()
    for c in range(40):  # class c gets (c % 5) of its 4 images wrong (at most 4)
        predicted[4 * c : 4 * c + min(c % 5, 4)] = (c + 1) % 40
    figure = plots.per_class_accuracy_chart(np.eye(40)[predicted], labels, [f"class {c}" for c in range(40)], count=5)
    best, worst = figure.axes
    assert best.get_title() == "best 5 classes" and worst.get_title() == "worst 5 classes"
    assert [bar.get_width() for bar in best.patches] == [1.0] * 5
    assert [bar.get_width() for bar in worst.patches] == [0.0] * 5
    assert worst.get_yticklabels()[0].get_text() == "class 39"  # the worst last in class order shown first


def test_grad_cam_overlays_layers_boxes_and_titles():
    heatmaps = RNG.random((3, 64, 64)).astype(np.float32)
    figure = plots.grad_cam_overlays(IMAGES[:3], heatmaps, BOXES[:3], ["a", "b", "c"], columns=2)
    shown = [axis for axis in figure.axes if axis.images]
    assert len(shown) == 3 and all(len(axis.images) == 2 for axis in shown)
    np.testing.assert_allclose(shown[1].images[1].get_array(), heatmaps[1])
    assert [len(axis.patches) for axis in shown] == [1, 0, 1]
    assert shown[0].patches[0].get_edgecolor() == to_rgba("white")
    assert [axis.get_title() for axis in shown] == ["a", "b", "c"]


def test_grad_cam_overlays_carry_one_colour_bar_from_0_to_1():
    heatmaps = RNG.random((4, 64, 64)).astype(np.float32)
    figure = plots.grad_cam_overlays(IMAGES[:4], heatmaps, BOXES[:4], ["a", "b", "c", "d"], columns=2)
    bars = [axis for axis in figure.axes if not axis.images]  # the grid's axes hold images; the bar's does not
    assert len(bars) == 1 and bars[0].get_ylim() == (0.0, 1.0)
    assert "Grad-CAM" in bars[0].get_ylabel()
    no_heat = plots.hard_example_gallery(RESULT, [0, 1], columns=2)
    assert all(axis.images for axis in no_heat.axes)  # pictures without a heat-map get no bar


def test_reliability_diagram_bars_are_the_table():
    figure = plots.reliability_diagram(RESULT, bins=5)
    top, bottom = figure.axes
    table = reliability_table(RESULT, bins=5)
    np.testing.assert_allclose([bar.get_height() for bar in top.patches], np.nan_to_num(table.accuracy))
    assert [bar.get_height() for bar in bottom.patches] == table.counts.tolist()
    assert top.get_title() == f"reliability (ECE {table.ece:.3f})"
    assert sum(table.counts) == 6


@pytest.mark.parametrize("name", ["hard_example_gallery", "confusion_heatmap", "per_class_accuracy_chart"])
def test_figures_save_as_png(tmp_path, name):
    figure = getattr(plots, name)(RESULT, [0, 1]) if name == "hard_example_gallery" else getattr(plots, name)(RESULT)
    figure.savefig(tmp_path / "figure.png")
    assert (tmp_path / "figure.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
