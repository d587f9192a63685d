"""Interactive browsers for notebooks (ipywidgets): a dataset class by class, and a model's
mistakes with Grad-CAM.

Each browser is a small object with a `figure(...)` method (a plain matplotlib Figure, so
it is testable without a notebook) and a `widget` (the controls plus an output area);
evaluating the object in a notebook cell shows the widget.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

import numpy as np

from tinylib import plots
from tinylib.data import DatasetInfo, load_images, read_layout

if TYPE_CHECKING:
    from tinylib.analysis import Predictions


class _BuiltOnFirstUse:
    """`.widget` builds the browser's ipywidgets (`_build`) on first access, then reuses them."""

    _widget = None

    @property
    def widget(self):
        if self._widget is None:
            self._widget = self._build()
        return self._widget


class ClassBrowser(_BuiltOnFirstUse):
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

    def _build(self):
        """Dropdown of classes, page slider and the image grid (built on first use)."""
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


class MistakeBrowser(_BuiltOnFirstUse):
    """Page through a model's mistakes: all of them, those of one true class, or one confused
    pair (true → predicted), most confident first, optionally with Grad-CAM laid over them.

    result: `analysis.Predictions` (with images). model: the model that made them (needed for
    Grad-CAM only); layer: its Grad-CAM layer (default `analysis.default_cam_layer`).
    A selection is ("all",), ("class", true class) or ("pair", true class, predicted class).
    """

    def __init__(self, result: Predictions, model=None, layer: str | None = None, per_page: int = 8):
        if result.images is None:
            raise ValueError("MistakeBrowser shows images: pass a Predictions made with images (analysis.predictions)")
        self.result, self.model, self.layer, self.per_page = result, model, layer, per_page
        self.shown: tuple | None = None  # (selection, page, cam) of the last drawing
        self._widget = None

    def mistakes(self, selection: tuple = ("all",)) -> np.ndarray:
        """Indices of the mistakes in `selection`, most confidently wrong first."""
        from tinylib import analysis

        order = analysis.confidently_wrong(self.result, count=len(self.result.labels))
        labels, predicted = self.result.labels[order], self.result.predicted[order]
        if selection[0] == "class":
            return order[labels == selection[1]]
        if selection[0] == "pair":
            return order[(labels == selection[1]) & (predicted == selection[2])]
        if selection[0] != "all":
            raise ValueError(f"a selection is ('all',), ('class', c) or ('pair', true, predicted); got {selection!r}")
        return order

    def options(self, pairs: int = 15) -> list[tuple[str, tuple]]:
        """(label, selection) choices: all mistakes, the `pairs` most confused pairs, then each class."""
        from tinylib import analysis

        names, counts = (
            self.result.class_names,
            np.bincount(self.result.labels[~self.result.correct], minlength=self.result.num_classes),
        )
        choices = [(f"all mistakes ({counts.sum()})", ("all",))]
        choices += [
            (f"{pair.true_name} → {pair.predicted_name} ({pair.count})", ("pair", pair.true, pair.predicted))
            for pair in analysis.confused_pairs(self.result, top=pairs)
        ]
        return choices + [(f"true: {names[c]} ({counts[c]})", ("class", c)) for c in np.flatnonzero(counts)]

    def pages(self, selection: tuple = ("all",)) -> int:
        return max(1, -(-len(self.mistakes(selection)) // self.per_page))

    def figure(self, selection: tuple = ("all",), page: int = 0, cam: str | None = None):
        """One page of mistakes as a gallery; cam="predicted" (or "true") lays over each image the
        Grad-CAM map of the predicted (or the true) class: what made the model say it."""
        from tinylib import analysis

        indices = self.mistakes(selection)[page * self.per_page : (page + 1) * self.per_page]
        heatmaps = None
        if cam is not None and len(indices):
            if self.model is None:
                raise ValueError("Grad-CAM needs the model: MistakeBrowser(result, model=model)")
            classes = self.result.predicted[indices] if cam == "predicted" else self.result.labels[indices]
            heatmaps = analysis.grad_cam(self.model, self.result.images[indices], self.layer, classes)
        figure = plots.hard_example_gallery(self.result, indices, columns=4, heatmaps=heatmaps)
        total = len(self.mistakes(selection))
        first = min(page * self.per_page + 1, total)
        what = f", Grad-CAM of the {cam} class" if cam else ""
        figure.suptitle(f"mistakes {first}-{first + len(indices) - 1 if total else 0} of {total}{what}", fontsize=9)
        self.shown = (selection, page, cam)
        return figure

    def _build(self):
        """Dropdown (all / pair / class), page slider, Grad-CAM toggle and the gallery."""
        import ipywidgets as widgets
        from IPython.display import display

        self.choice = widgets.Dropdown(options=self.options(), description="mistakes", layout={"width": "420px"})
        self.page = widgets.IntSlider(value=0, min=0, max=self.pages() - 1, description="page")
        cams = [("off", None), ("predicted class", "predicted"), ("true class", "true")]
        self.cam = widgets.ToggleButtons(options=cams if self.model is not None else cams[:1], description="Grad-CAM")
        output = widgets.Output()

        def redraw(_change=None):
            self.page.max = self.pages(self.choice.value) - 1
            with output:
                output.clear_output(wait=True)
                display(self.figure(self.choice.value, min(self.page.value, self.page.max), self.cam.value))

        for control in (self.choice, self.page, self.cam):
            control.observe(redraw, names="value")
        redraw()
        return widgets.VBox([widgets.HBox([self.choice, self.page]), self.cam, output])

    def _ipython_display_(self):
        from IPython.display import display

        display(self.widget)
