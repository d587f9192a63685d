"""Interactive browsers for notebooks (ipywidgets): look through a dataset class by class.

Each browser is a small object with a `figure(...)` method (a plain matplotlib Figure, so
it is testable without a notebook) and a `widget` (the controls plus an output area);
evaluating the object in a notebook cell shows the widget.
"""

from __future__ import annotations

import os

import numpy as np

from tinylib import plots
from tinylib.data import DatasetInfo, load_images, read_layout


class ClassBrowser:
    """Pick a class, page through its images with their bounding boxes.

    source: a DatasetInfo or a dataset root. split: "train" or "val" (test is unlabeled).
    per_page: images per page; columns: images per row of the grid.
    """

    def __init__(
        self, source: DatasetInfo | str | os.PathLike, split: str = "train", per_page: int = 16, columns: int = 8
    ):
        if split not in ("train", "val"):
            raise ValueError(f"ClassBrowser shows labelled images: split must be 'train' or 'val', got {split!r}")
        self.info = source if isinstance(source, DatasetInfo) else read_layout(source)
        self.split, self.per_page, self.columns = split, per_page, columns
        self.files, self.labels = self.info.files(split), self.info.labels(split)
        self.boxes = self.info.train_boxes if split == "train" else self.info.val_boxes
        self.counts = np.bincount(self.labels, minlength=self.info.num_classes)
        self.shown: tuple[int, int] | None = None  # (class index, page) of the last drawing
        self._widget = None

    def pages(self, class_index: int) -> int:
        """Number of pages of a class (at least 1)."""
        return max(1, -(-int(self.counts[class_index]) // self.per_page))

    def figure(self, class_index: int, page: int = 0):
        """The grid of one page of a class: images titled with their file names, boxes in yellow."""
        indices = np.flatnonzero(self.labels == class_index)[page * self.per_page : (page + 1) * self.per_page]
        images = load_images([self.files[i] for i in indices])
        titles = [self.files[i].stem for i in indices]
        figure = plots.image_grid(images, titles, self.boxes[indices], columns=self.columns, size=1.5)
        wnid, words = self.info.wnids[class_index], self.info.words[class_index]
        figure.suptitle(f"{wnid}  {words}  ({self.counts[class_index]} {self.split} images)", fontsize=9)
        self.shown = (class_index, page)
        return figure

    @property
    def widget(self):
        """Dropdown of classes, page slider and the image grid (built on first use)."""
        if self._widget is None:
            self._widget = self._build()
        return self._widget

    def _build(self):
        import ipywidgets as widgets
        from IPython.display import display

        options = [
            (f"{name} ({wnid}, {count})", index)
            for index, (name, wnid, count) in enumerate(zip(self.info.names, self.info.wnids, self.counts))
        ]
        self.choice = widgets.Dropdown(options=options, value=0, description="class")
        self.page = widgets.IntSlider(value=0, min=0, max=self.pages(0) - 1, description="page")
        output = widgets.Output()

        def redraw(_change=None):
            self.page.max = self.pages(self.choice.value) - 1
            with output:
                output.clear_output(wait=True)
                display(self.figure(self.choice.value, min(self.page.value, self.page.max)))

        self.choice.observe(redraw, names="value")
        self.page.observe(redraw, names="value")
        redraw()
        return widgets.VBox([widgets.HBox([self.choice, self.page]), output])

    def _ipython_display_(self):
        from IPython.display import display

        display(self.widget)


def class_browser(
    source: DatasetInfo | str | os.PathLike, split: str = "train", per_page: int = 16, columns: int = 8
) -> ClassBrowser:
    """A `ClassBrowser`; evaluate it in a notebook cell to get the interactive widget."""
    return ClassBrowser(source, split, per_page, columns)
