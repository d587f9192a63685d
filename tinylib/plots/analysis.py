"""Pictures of what a trained model gets right and wrong: galleries, confusions (top pairs and
the whole matrix), per-class accuracy, Grad-CAM overlays and calibration."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from matplotlib.figure import Figure

from tinylib.plots.training import image_grid


def hard_example_gallery(
    result, indices: Sequence[int], columns: int = 6, heatmaps: np.ndarray | None = None
) -> Figure:
    """The images of an `analysis.Predictions` at `indices` (e.g. from `hardest_examples`):
    file name, true and predicted class with its probability (green title: right, red: wrong),
    the object's box in yellow; with `heatmaps` (float (len(indices), H, W) from `grad_cam`)
    the Grad-CAM map is laid over each image."""
    indices = np.asarray(list(indices), dtype=int)
    names, predicted = result.class_names, result.predicted
    titles = [
        f"{result.file_names([i])[0]}\ntrue: {names[result.labels[i]][:24]}\n"
        f"pred: {names[predicted[i]][:20]} {result.probabilities[i, predicted[i]]:.0%}"
        for i in indices
    ]
    colors = ["tab:green" if predicted[i] == result.labels[i] else "tab:red" for i in indices]
    boxes = result.boxes[indices] if result.boxes is not None else None
    return image_grid(result.images[indices], titles, boxes, columns, 2.0, heatmaps, title_colors=colors)


def confusion_heatmap(probabilities, labels=None, class_names: Sequence[str] | None = None, top: int = 10) -> Figure:
    """The confusion matrix restricted to the classes of the `top` most confused pairs: rows
    true, columns predicted, colour = share of the row's images, numbers = image counts."""
    from tinylib.analysis import confused_pairs, confusion_matrix

    pairs = confused_pairs(probabilities, labels, class_names, top=top)
    classes = list(dict.fromkeys(c for pair in pairs for c in (pair.true, pair.predicted)))
    full = confusion_matrix(probabilities, labels)
    names = class_names or getattr(probabilities, "class_names", None) or [str(c) for c in range(len(full))]
    matrix = full[np.ix_(classes, classes)]
    shares = matrix / np.maximum(full.sum(axis=1)[classes], 1)[:, None]
    side = max(3.5, 0.42 * len(classes) + 2.5)
    figure = Figure(figsize=(side + 1, side), layout="constrained")
    axis = figure.subplots()
    axis.set_title(f"classes of the {len(pairs)} most confused pairs")
    if not pairs:
        axis.set_axis_off()
        axis.text(0.5, 0.5, "no mistakes: nothing is confused", ha="center", va="center")
        return figure
    image = axis.imshow(shares, cmap="Reds", vmin=0, vmax=1)
    labels_shown = [names[c][:24] for c in classes]
    axis.set_xticks(range(len(classes)), labels_shown, rotation=60, ha="right", fontsize=8)
    axis.set_yticks(range(len(classes)), labels_shown, fontsize=8)
    for (row, column), count in np.ndenumerate(matrix):
        if count:
            color = "white" if shares[row, column] > 0.5 else "black"
            axis.text(column, row, str(count), ha="center", va="center", fontsize=7, color=color)
    axis.set_xlabel("predicted class")
    axis.set_ylabel("true class")
    figure.colorbar(image, ax=axis, label="share of the true class's images", shrink=0.8)
    return figure


def confusion_matrix_picture(
    probabilities, labels=None, class_names: Sequence[str] | None = None, order: str = "confusable"
) -> Figure:
    """The whole confusion matrix as one image, readable at 200 classes: rows true, columns
    predicted, colour = share of the true class's images on a log scale (white: none), so rare
    confusions show beside the diagonal. order: "confusable" (`analysis.confusable_order`:
    classes often taken for each other sit together, blocks of them show as squares by the
    diagonal) or "index". Above 30 classes there are no class names on the axes and no numbers
    in the cells (positions instead); at most 30 both are shown."""
    from matplotlib import colormaps
    from matplotlib.colors import LogNorm

    from tinylib.analysis import confusable_order, confusion_matrix

    if order not in ("confusable", "index"):
        raise ValueError(f'order must be "confusable" or "index"; got {order!r}')
    full = confusion_matrix(probabilities, labels)
    count = len(full)
    names = class_names or getattr(probabilities, "class_names", None) or [str(c) for c in range(count)]
    ranks = confusable_order(full) if order == "confusable" else np.arange(count)
    matrix = full[np.ix_(ranks, ranks)]
    shares = matrix / np.maximum(matrix.sum(axis=1, keepdims=True), 1)
    few = count <= 30
    side = 0.32 * count + 3 if few else 9.0
    figure = Figure(figsize=(side + 1.2, side), layout="constrained")
    axis = figure.subplots()
    colours = colormaps["viridis"].with_extremes(bad="white")
    smallest = shares[shares > 0].min() if np.any(shares > 0) else 0.01
    image = axis.imshow(np.ma.masked_equal(shares, 0), cmap=colours, norm=LogNorm(min(smallest, 0.1), 1),
                        interpolation="nearest")  # fmt: skip
    if few:
        shown = [names[c][:20] for c in ranks]
        axis.set_xticks(range(count), shown, rotation=60, ha="right", fontsize=7)
        axis.set_yticks(range(count), shown, fontsize=7)
        for (row, column), value in np.ndenumerate(matrix):
            if value:
                colour = "black" if image.norm(shares[row, column]) > 0.6 else "white"  # on yellow / on blue
                axis.text(column, row, str(value), ha="center", va="center", fontsize=6, color=colour)
    axis.set_xlabel(f"predicted class ({count}; {order} order)")
    axis.set_ylabel("true class")
    figure.colorbar(image, ax=axis, label="share of the true class's images (log scale)", shrink=0.8)
    return figure


def per_class_accuracy_chart(
    probabilities, labels=None, class_names: Sequence[str] | None = None, count: int = 15
) -> Figure:
    """Horizontal bars of per-class top-1 accuracy: the `count` best classes and the `count`
    worst side by side (all classes once when there are at most 2 x `count`)."""
    from tinylib.analysis import per_class_accuracy

    accuracy = per_class_accuracy(probabilities, labels)
    names = class_names or getattr(probabilities, "class_names", None) or [str(c) for c in range(len(accuracy))]
    order = [c for c in np.argsort(-np.nan_to_num(accuracy, nan=-1), kind="stable") if np.isfinite(accuracy[c])]
    groups = [("best", order[:count]), ("worst", order[-count:][::-1])] if len(order) > 2 * count else [("", order)]
    height = 0.28 * max(len(group) for _, group in groups) + 1.2
    figure = Figure(figsize=(10 if len(groups) == 2 else 6, height), layout="constrained")
    for axis, (title, group) in zip(np.atleast_1d(figure.subplots(1, len(groups))), groups):
        values = accuracy[group]
        axis.barh(range(len(group)), values, color=_red_to_green(values))
        axis.set_yticks(range(len(group)), [names[c][:24] for c in group], fontsize=8)
        axis.invert_yaxis()
        axis.set_xlim(0, 1)
        axis.axvline(np.nanmean(accuracy), color="grey", linestyle="--", linewidth=1, label="mean")
        axis.set_xlabel("top-1 accuracy")
        axis.set_title(f"{title} {len(group)} classes".strip())
        axis.grid(alpha=0.3, axis="x")
        axis.legend(loc="lower right", fontsize=7)
    return figure


def _red_to_green(values: np.ndarray) -> np.ndarray:
    """RGBA colours (N, 4) from red (0) to green (1) for values in [0, 1]."""
    from matplotlib import colormaps

    return colormaps["RdYlGn"](np.clip(values, 0, 1))


def grad_cam_overlays(
    images: np.ndarray,
    heatmaps: np.ndarray,
    boxes: np.ndarray | None = None,
    titles: Sequence[str] | None = None,
    columns: int = 6,
) -> Figure:
    """Each image (uint8 (N, 64, 64, 3)) with its Grad-CAM map (float (N, 64, 64) in [0, 1])
    laid over it (red = most important; a colour bar gives the scale) and the object's box in
    white. titles: one per image; for mistakes, name the true and the predicted class."""
    return image_grid(images, titles, boxes, columns, 1.9, heatmaps, box_color="white")


def reliability_diagram(probabilities, labels=None, bins: int = 10) -> Figure:
    """Accuracy against confidence per bin (bars) with the diagonal of perfect calibration,
    the number of images per bin below, and the expected calibration error in the title."""
    from tinylib.analysis import reliability_table

    table = reliability_table(probabilities, labels, bins)
    centres, width = (table.edges[:-1] + table.edges[1:]) / 2, 1.0 / bins
    figure = Figure(figsize=(4.8, 5), layout="constrained")
    top, bottom = figure.subplots(2, 1, sharex=True, height_ratios=[3, 1])
    top.bar(centres, np.nan_to_num(table.accuracy), width=width * 0.95, color="tab:blue", label="accuracy")
    top.plot(centres, table.confidence, "_", color="tab:red", markersize=14, mew=2.5, label="mean confidence")
    top.plot([0, 1], [0, 1], color="black", linestyle="--", linewidth=1, label="perfect calibration")
    top.set_ylim(0, 1)
    top.set_ylabel("accuracy")
    top.set_title(f"reliability (ECE {table.ece:.3f})")
    top.legend(fontsize=7, loc="upper left")
    bottom.bar(centres, table.counts, width=width * 0.95, color="grey")
    bottom.set_xlim(0, 1)
    bottom.set_xlabel("confidence (probability of the predicted class)")
    bottom.set_ylabel("images")
    return figure
