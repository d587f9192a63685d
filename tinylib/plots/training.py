"""Pictures of data and training: image grids, training curves, schedules, the range test, gradient profiles."""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle


def image_grid(
    images: np.ndarray,
    titles: Sequence[str] | None = None,
    boxes: np.ndarray | None = None,
    columns: int = 8,
    size: float = 1.6,
    heatmaps: np.ndarray | None = None,
    box_color: str = "yellow",
    title_colors: Sequence[str] | None = None,
) -> Figure:
    """The one image grid of the kit: images (uint8 (N, 64, 64, 3)) with optional titles
    (coloured by `title_colors`), boxes and heat-maps; every gallery is drawn with it.

    boxes: int (N, 4) as (x0, y0, x1, y1) inclusive pixels, drawn in `box_color`; rows with a
    negative coordinate (no box) are skipped. heatmaps: float (N, 64, 64) in [0, 1] (Grad-CAM),
    laid over each image (red = most important), with one colour bar for the grid. size: inches
    per image.
    """
    count = len(images)
    columns = max(1, min(columns, count))
    rows = max(1, math.ceil(count / columns))
    lines = max((str(title).count("\n") + 1 for title in titles), default=0) if titles is not None else 0
    figure = Figure(figsize=(columns * size, rows * (size + 0.17 * lines)), layout="constrained")
    for index, axis in enumerate(figure.subplots(rows, columns, squeeze=False).flat):
        axis.set_axis_off()
        if index >= count:
            continue
        axis.imshow(images[index], interpolation="nearest")
        if heatmaps is not None:
            axis.imshow(heatmaps[index], cmap="jet", alpha=0.45, vmin=0, vmax=1, interpolation="bilinear")
        if titles is not None:
            color = title_colors[index] if title_colors is not None else "black"
            axis.set_title(titles[index], fontsize=7 if size < 1.8 else 7.5, color=color)
        if boxes is not None and np.all(boxes[index] >= 0):
            x0, y0, x1, y1 = boxes[index]
            box = Rectangle((x0 - 0.5, y0 - 0.5), x1 - x0 + 1, y1 - y0 + 1, fill=False, edgecolor=box_color)
            axis.add_patch(box)
    if heatmaps is not None:
        _heat_colour_bar(figure)
    return figure


def _heat_colour_bar(figure: Figure) -> None:
    """One colour bar beside a grid of Grad-CAM overlays: what each colour of the map means."""
    from matplotlib.cm import ScalarMappable
    from matplotlib.colors import Normalize

    scale = ScalarMappable(Normalize(0, 1), "jet")
    bar = figure.colorbar(scale, ax=figure.axes, shrink=0.8, fraction=0.03, alpha=0.45)
    bar.set_label("Grad-CAM: share of the image's peak importance", fontsize=7)
    bar.ax.tick_params(labelsize=7)


def training_curves(history) -> Figure:
    """Loss and accuracy per epoch, train and val side by side. `history` is a Keras
    History.history dict, or a work folder (a `Workdir` or its path) whose history.csv is read."""
    if not isinstance(history, dict):
        from tinylib.workdir import Workdir

        history = Workdir(history).history_columns()
    epochs = np.arange(1, len(history["loss"]) + 1)
    figure = Figure(figsize=(9, 3.4), layout="constrained")
    loss_axis, accuracy_axis = figure.subplots(1, 2)
    for axis, metric, label in ((loss_axis, "loss", "loss"), (accuracy_axis, "accuracy", "top-1 accuracy")):
        axis.plot(epochs, history[metric], marker="o", label="train")
        if f"val_{metric}" in history:
            axis.plot(epochs, history[f"val_{metric}"], marker="o", label="val")
        axis.set_xlabel("epoch")
        axis.set_ylabel(label)
        axis.grid(alpha=0.3)
        axis.legend()
    accuracy_axis.set_ylim(0, 1)
    return figure


def mistakes_grid(
    images: np.ndarray,
    labels: np.ndarray,
    probabilities: np.ndarray,
    class_names: Sequence[str],
    indices: Sequence[int],
    columns: int = 6,
) -> Figure:
    """The images at `indices` titled "true: X / pred: Y (p %)": e.g. the output of
    `analysis.confidently_wrong`."""
    indices = list(indices)
    predicted = probabilities.argmax(axis=1)
    titles = [
        f"true: {class_names[labels[i]]}\npred: {class_names[predicted[i]]} ({probabilities[i, predicted[i]]:.0%})"
        for i in indices
    ]
    return image_grid(images[indices], titles, columns=columns, size=2.0)


def gradient_profile(norms: dict[str, dict[str, float]]) -> Figure:
    """Per-layer gradient norms (log scale), input side on the left, one line per model.
    `norms`: {model name: {layer name: norm}} as returned by `models.gradient_norms`."""
    figure = Figure(figsize=(8, 3.4), layout="constrained")
    axis = figure.subplots()
    for name, per_layer in norms.items():
        axis.plot(np.arange(1, len(per_layer) + 1), list(per_layer.values()), marker=".", label=name)
    axis.set_yscale("log")
    axis.set_xlabel("weighted layer (1 = next to the input)")
    axis.set_ylabel("gradient norm at initialisation")
    axis.grid(alpha=0.3, which="both")
    axis.legend()
    return figure


def compare_runs(histories: dict[str, dict[str, list[float]]], metric: str = "loss", xlabel: str = "epoch") -> Figure:
    """One metric per epoch for several runs: {run name: Keras History.history}."""
    figure = Figure(figsize=(6, 3.4), layout="constrained")
    axis = figure.subplots()
    for name, history in histories.items():
        axis.plot(np.arange(1, len(history[metric]) + 1), history[metric], marker="o", label=name)
    axis.set_xlabel(xlabel)
    axis.set_ylabel(metric)
    axis.grid(alpha=0.3)
    axis.legend()
    return figure


def lr_curve(schedule, steps: int, steps_per_epoch: int | None = None) -> Figure:
    """The learning rate a schedule gives over optimiser steps 0..steps-1 (a float is a
    constant rate), drawn from at most 240 evenly spaced steps (each asked one at a time, as
    the optimiser does: Keras' own schedules take one step, not an array; on JAX each costs
    tens of milliseconds on a CPU); with
    steps_per_epoch, epochs are marked on a second axis."""
    import keras

    step_numbers = np.unique(np.linspace(0, max(steps - 1, 0), min(steps, 240)).round().astype(int))
    if isinstance(schedule, (int, float)):
        rates = np.full(len(step_numbers), float(schedule))
    else:
        rates = np.array([float(keras.ops.convert_to_numpy(schedule(int(step)))) for step in step_numbers])
    figure = Figure(figsize=(7, 3), layout="constrained")
    axis = figure.subplots()
    axis.plot(step_numbers, rates)
    axis.set_xlabel("optimiser step")
    axis.set_ylabel("learning rate")
    axis.grid(alpha=0.3)
    if steps_per_epoch:
        top = axis.secondary_xaxis("top", functions=(lambda s: s / steps_per_epoch, lambda e: e * steps_per_epoch))
        top.set_xlabel("epoch")
    return figure


def lr_finder(result) -> Figure:
    """A learning-rate range test (`train.find_learning_rate`): loss against learning rate on a
    log axis, raw per batch (faint) and smoothed, with the suggested rate (red dot, dashed line),
    the other rules' rates (grey dotted lines) and where it stopped, diverging (black line)."""
    figure = Figure(figsize=(7, 3.6), layout="constrained")
    axis = figure.subplots()
    axis.plot(result.rates, result.losses, color="tab:blue", alpha=0.25, linewidth=0.8, label="loss per batch")
    axis.plot(result.rates, result.smoothed, color="tab:blue", label="smoothed loss")
    for rule, rate in result.suggestions.items():
        chosen = rule == result.rule
        axis.axvline(rate, color="tab:red" if chosen else "grey", linestyle="--" if chosen else ":",
                     label=f"{rule}: {rate:.2g}" + (" (suggested)" if chosen else ""))  # fmt: skip
    at = np.argmin(np.abs(np.log(result.rates) - np.log(result.suggestion)))
    axis.plot(result.rates[at], result.smoothed[at], "o", color="tab:red")
    if result.divergence is not None:
        axis.axvline(result.divergence, color="black", linewidth=1, label=f"diverging: {result.divergence:.2g}")
    finite = result.smoothed[np.isfinite(result.smoothed)]
    if len(finite):  # from the lowest loss to as far above the starting level: the divergence tail goes off the top
        low, start = finite.min(), np.median(finite[: max(len(finite) // 10, 1)])
        span = max(start - low, 0.02 * abs(start), 1e-3)
        axis.set_ylim(low - 0.15 * span, start + span)
    axis.set_xscale("log")
    axis.set_xlabel("learning rate (log scale)")
    axis.set_ylabel("training loss")
    axis.set_title(f"learning-rate range test, batch {result.batch_size}")
    axis.grid(alpha=0.3, which="both")
    axis.legend(fontsize=8)
    return figure


def live_curves():
    """A Keras callback that redraws `training_curves` in the notebook after every epoch, in
    place (one display, updated), so the Keras progress bar above it stays visible."""
    import keras

    class LiveCurves(keras.callbacks.Callback):
        def on_train_begin(self, logs=None):
            self.history: dict[str, list[float]] = {}
            self.handle = None

        def on_epoch_end(self, epoch, logs=None):
            from IPython.display import display

            for key, value in (logs or {}).items():
                self.history.setdefault(key, []).append(float(value))
            figure = training_curves(self.history)
            if self.handle is None:
                self.handle = display(figure, display_id=True)
            else:
                self.handle.update(figure)

    return LiveCurves()
