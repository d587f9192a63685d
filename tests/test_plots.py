import numpy as np
import pytest
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle

from tinylib import plots
from tinylib.workdir import Workdir

pytestmark = pytest.mark.versions

IMAGES = np.random.default_rng(0).integers(0, 256, (5, 64, 64, 3), dtype=np.uint8)


def test_image_grid_titles_and_boxes():
    boxes = np.array([[1, 2, 30, 40], [-1, -1, -1, -1], [0, 0, 63, 63], [5, 5, 5, 9], [3, 3, 10, 10]])
    figure = plots.image_grid(IMAGES, [f"image {i}" for i in range(5)], boxes, columns=3)
    assert isinstance(figure, Figure)
    axes = figure.axes
    assert len(axes) == 6 and len(axes[5].images) == 0
    assert [axis.get_title() for axis in axes[:5]] == [f"image {i}" for i in range(5)]
    rectangles = [patch for axis in axes for patch in axis.patches if isinstance(patch, Rectangle)]
    assert len(rectangles) == 4
    first = axes[0].patches[0]
    assert (first.get_x(), first.get_y(), first.get_width(), first.get_height()) == (0.5, 1.5, 30, 39)


def test_training_curves_from_csv(tmp_path):
    path = tmp_path / "history.csv"
    path.write_text("epoch,accuracy,loss,val_accuracy,val_loss\n0,0.5,1.2,0.4,1.3\n1,0.7,0.8,0.6,0.9\n")
    assert Workdir(tmp_path).history_columns()["val_accuracy"] == [0.4, 0.6]
    figure = plots.training_curves(tmp_path)
    loss_axis, accuracy_axis = figure.axes
    assert [line.get_label() for line in loss_axis.lines] == ["train", "val"]
    np.testing.assert_allclose(accuracy_axis.lines[1].get_ydata(), [0.4, 0.6])
    figure.savefig(tmp_path / "curves.png")
    assert (tmp_path / "curves.png").stat().st_size > 1000


def test_mistakes_grid_titles():
    probabilities = np.full((5, 3), 0.1, np.float32)
    probabilities[:, 2] = 0.8
    figure = plots.mistakes_grid(IMAGES, np.array([0, 1, 2, 0, 1]), probabilities, ["cat", "dog", "fox"], [1, 3])
    titles = [axis.get_title() for axis in figure.axes if axis.get_title()]
    assert titles == ["true: dog\npred: fox (80%)", "true: cat\npred: fox (80%)"]


def test_gradient_profile_one_line_per_model_on_a_log_scale():
    figure = plots.gradient_profile({"plain": {"a": 10.0, "b": 1.0}, "residual": {"a": 2.0, "b": 1.0}})
    axis = figure.axes[0]
    assert axis.get_yscale() == "log"
    assert [line.get_label() for line in axis.lines] == ["plain", "residual"]
    np.testing.assert_allclose(axis.lines[0].get_ydata(), [10.0, 1.0])


def test_compare_runs():
    figure = plots.compare_runs({"a": {"loss": [2.0, 1.0]}, "b": {"loss": [2.0, 1.5]}})
    assert [line.get_label() for line in figure.axes[0].lines] == ["a", "b"]
    np.testing.assert_allclose(figure.axes[0].lines[1].get_ydata(), [2.0, 1.5])
