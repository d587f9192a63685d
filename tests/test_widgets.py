"""The class browser: right images per class and page, controls that follow the data."""

from __future__ import annotations

import pytest

from tinylib.data import read_layout
from tinylib.widgets import ClassBrowser

pytestmark = pytest.mark.versions


def test_figure_shows_one_page_of_one_class(synthetic_root):
    info = read_layout(synthetic_root)
    browser = ClassBrowser(info, per_page=5, columns=5)
    figure = browser.figure(2, page=1)
    axes_with_images = [axis for axis in figure.axes if axis.images]
    expected = [p.stem for p, label in zip(info.train_files, info.train_labels) if label == 2][5:10]
    assert [axis.get_title() for axis in axes_with_images] == expected
    assert figure.get_suptitle().startswith(f"{info.wnids[2]}  {info.words[2]}  (12 train images)")
    assert browser.shown == (2, 1) and browser.pages(2) == 3  # 12 images, 5 per page


def test_boxes_are_drawn_on_val_images(synthetic_root):
    browser = ClassBrowser(synthetic_root, split="val", per_page=8)
    figure = browser.figure(0)
    drawn = [axis for axis in figure.axes if axis.images]
    assert len(drawn) == 5 and all(len(axis.patches) == 1 for axis in drawn)


def test_widget_controls_follow_the_selection(synthetic_root):
    browser = ClassBrowser(synthetic_root, per_page=5)
    widget = browser.widget
    assert widget.children[0].children[0].options[1][1] == 1
    assert "(" in browser.choice.options[0][0] and ", 12)" in browser.choice.options[0][0]
    browser.choice.value = 3
    assert browser.shown == (3, 0) and browser.page.max == 2
    browser.page.value = 2
    assert browser.shown == (3, 2)


def test_test_split_is_refused(synthetic_root):
    with pytest.raises(ValueError, match="split must be 'train' or 'val', got 'test'"):
        ClassBrowser(synthetic_root, split="test")
