"""Measured experiments against a reference run: one change at a time, one table.

`run_experiments(data, workdir)` trains the reference (a ResNet with the `baseline` recipe)
and one variant per `Experiment`, each into its own resumable work folder under `workdir`
(a finished run is not trained again, so re-running a notebook cell after a disconnect only
trains what is missing), and returns one row per experiment with full-val top-1 / top-5 and
the change against the reference in points. `results_table(rows)` formats them as Markdown.

The ideas: the original notebook's (cyclical learning rate, class weights from mistakes, no
augmentation) and modern ones (one-cycle, MixUp/CutMix, label smoothing, width against
depth, test-time flip).
"""

from __future__ import annotations

import dataclasses
import os
import re
from pathlib import Path

import keras
import numpy as np

from tinylib import config
from tinylib.analysis import class_weights_from_errors
from tinylib.data.arrays import TrainingData
from tinylib.inference import evaluate, predict_probabilities
from tinylib.models import count_flops, resnet
from tinylib.train import Recipe, devices, fit, recipe


@dataclasses.dataclass(frozen=True)
class Experiment:
    """One change against the reference: recipe fields, model size (resnet() arguments),
    class weights from the reference's training mistakes, or test-time flip of the reference
    model (no training)."""

    name: str
    idea: str
    recipe_changes: dict = dataclasses.field(default_factory=dict)
    model_changes: dict = dataclasses.field(default_factory=dict)
    class_weights: bool = False
    test_time_flip: bool = False

    @property
    def slug(self) -> str:
        return re.sub(r"[^a-z0-9]+", "-", self.name.lower()).strip("-")


REFERENCE = Experiment("reference", "ResNet + `baseline`: cosine schedule, flip + crop, label smoothing 0.1")
EXPERIMENTS: tuple[Experiment, ...] = (
    REFERENCE,
    Experiment("cyclical LR", "the original's triangular cyclical rate (two cycles)", {"schedule": "cyclical"}),
    Experiment("one-cycle", "one slow rise, one long fall (Smith & Topin)", {"schedule": "onecycle"}),
    Experiment("no augmentation", "as the original model was trained", {"augment": "none"}),
    Experiment("strong augmentation", "flip + crop, colour jitter, MixUp / CutMix", {"augment": "strong"}),
    Experiment("no label smoothing", "hard one-hot targets", {"label_smoothing": 0.0}),
    Experiment("class weights", "the original's idea: weigh classes by the reference's mistakes", class_weights=True),
    Experiment("2x wider", "twice the channels in every stage", model_changes={"width_factor": 2}),
    Experiment("deeper (18 layers)", "ResNet-18 blocks at the same width", model_changes={"depth": 18}),
    Experiment("test-time flip", "the reference's model, each val image averaged with its mirror", test_time_flip=True),
)


def _recipe_for(base: Recipe, experiment: Experiment, steps_per_epoch: int) -> Recipe:
    changed = base.replace(**experiment.recipe_changes, name=f"{base.name}+{experiment.slug}")
    if changed.schedule == "cyclical":  # two full cycles over the run, between a tenth of the peak and the peak
        total = changed.epochs * steps_per_epoch
        changed = changed.replace(cyclical_step_size=max(1, total // 4), cyclical_base_lr=changed.learning_rate / 10)
    return changed


def _model_for(size: dict, experiment: Experiment, num_classes: int) -> keras.Model:
    size = {**size, **experiment.model_changes}
    size["width"] = size["width"] * size.pop("width_factor", 1)
    return resnet(**size, num_classes=num_classes)


def _row(experiment: Experiment, model: keras.Model, val: dict, seconds: float | None) -> dict:
    return {
        "experiment": experiment.name,
        "idea": experiment.idea,
        "top1": val["top1"],
        "top5": val["top5"],
        "parameters": int(model.count_params()),
        "macs": int(count_flops(model)),
        "train_seconds": seconds,
    }


def run_experiments(
    data: TrainingData,
    workdir: str | os.PathLike,
    base: Recipe | None = None,
    size: dict | None = None,
    experiments: tuple[Experiment, ...] = EXPERIMENTS,
    verbose: int = 0,
) -> list[dict]:
    """Train the reference and each experiment into workdir/<slug>; rows (one per experiment,
    the reference first) with val top-1 / top-5 (shares, every val image), `delta` (top-1
    points against the reference), parameters, MACs per image and training seconds.
    `base`: the reference recipe (default `baseline` with the active profile's epochs and
    batch size); `size`: resnet() arguments (default the active profile's model)."""
    profile = config.profile()
    base = base or recipe("baseline", profile=profile)
    size = size or profile.model_size()
    workdir = Path(workdir)
    steps = base.steps_per_epoch(len(data.train_images))

    def train(experiment: Experiment, class_weight=None) -> tuple[keras.Model, dict]:
        devices.seed_everything(base.seed)
        model = _model_for(size, experiment, data.num_classes)
        run = fit(model, data, _recipe_for(base, experiment, steps), workdir / experiment.slug, verbose=verbose,
                  class_weight=class_weight)  # fmt: skip
        if run["status"] != "complete":
            raise RuntimeError(f"{experiment.name}: training stopped early ({run['status']}); run it again to finish")
        return model, run

    reference_model, reference_run = train(REFERENCE)
    rows = []
    for experiment in experiments:
        if experiment.name == REFERENCE.name:
            rows.append(_row(experiment, reference_model, reference_run["val"], reference_run["wall_seconds"]))
        elif experiment.test_time_flip:
            val = evaluate(reference_model, data.val_images, data.val_labels, test_time_flip=True)
            rows.append(_row(experiment, reference_model, val, 0.0))
        else:
            weights = None
            if experiment.class_weights:  # mistakes on the training images: the val set stays unseen
                probabilities = predict_probabilities(reference_model, data.train_images)
                weights = class_weights_from_errors(probabilities, np.asarray(data.train_labels))
            model, run = train(experiment, weights)
            rows.append(_row(experiment, model, run["val"], run["wall_seconds"]))
    for row in rows:
        row["delta"] = round(100 * (row["top1"] - rows[0]["top1"]), 1)
    return rows


def results_table(rows: list[dict]) -> str:
    """The rows as a Markdown table: experiment, idea, top-1, top-5, change, parameters,
    MACs, training seconds."""
    lines = [
        "| experiment | idea | val top-1 | val top-5 | top-1 vs reference | parameters | MACs / image | train s |",
        "|---|---|---:|---:|---:|---:|---:|---:|",
    ]
    for row in rows:
        change = "—" if row is rows[0] else f"{row['delta']:+.1f} points"
        macs = f"{row['macs'] / 1e6:,.1f} M" if row.get("macs") else "not measured"
        seconds = f"{row['train_seconds']:,.0f}" if row.get("train_seconds") is not None else "not measured"
        lines.append(
            f"| {row['experiment']} | {row['idea']} | {row['top1']:.1%} | {row['top5']:.1%} | {change} | "
            f"{row['parameters']:,} | {macs} | {seconds} |"
        )
    return "\n".join(lines)
