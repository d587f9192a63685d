"""The end-to-end demo: synthetic data -> small ResNet -> training -> evaluation -> report.

It is the walking skeleton of the kit, and what `make demo` / `tinylib demo` run: every
later notebook deepens one of its steps. Its sizes come from the active profile
(`config.Profile.demo_*` and the profile's synthetic set).
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

from tinylib import config
from tinylib.files import atomic_file, write_atomically


def run_demo(
    workdir: str | os.PathLike = "runs/demo",
    data_root: str | os.PathLike | None = None,
    profile: config.Profile | None = None,
    verbose: int | str = 2,
    seed: int = 0,
) -> dict:
    """Train the profile's demo ResNet (default profile: the active one) on `data_root` (any
    folder in the official layout; default: the profile's synthetic set, generated if absent),
    evaluate it on the full val set and write into `workdir`: what `train.fit` writes
    (history.csv, best.keras, last.keras, run.json, ...), curves.png, mistakes.png,
    report.html (`tinylib.report`) and summary.json. The demo starts afresh each time: its
    earlier training files in `workdir` are replaced. Two passes over val in all (the final
    evaluation of `fit`, plain and mirrored); the report reuses them. Returns the summary
    (val top-1/top-5, timings)."""
    from tinylib import analysis, train
    from tinylib.data import synthetic_for_profile
    from tinylib.models import resnet
    from tinylib.report import write_report
    from tinylib.train import devices
    from tinylib.workdir import Workdir

    started = time.perf_counter()
    profile = profile or config.profile()
    root = Path(data_root) if data_root is not None else synthetic_for_profile(profile, seed=seed)
    print(f"[1/4] dataset: {root}")
    data = train.TrainingData.from_root(root, progress=False)
    prepared = time.perf_counter()

    recipe = train.recipe("demo", profile=profile, seed=seed, **profile.demo_length())
    size = profile.demo_model_size()
    print(f"[2/4] training a ResNet-{size['depth']} (width {size['width']}) on {len(data.train_images)} images "
          f"for {recipe.epochs} epochs")  # fmt: skip
    devices.seed_everything(seed)
    model = resnet(**size, num_classes=data.num_classes)
    workdir = Workdir(workdir).create()
    workdir.clear()
    run = train.fit(model, data, recipe, workdir, verbose=verbose)

    print(f"[3/4] evaluating on all {len(data.val_images)} val images")
    plain, mirrored = workdir.val_predictions()
    result = analysis.predictions(model, data, probabilities=plain, progress=False)

    print(f"[4/4] writing the report to {workdir.path}")
    _pictures(workdir, data, result)
    write_report(workdir, data=data, model=model, result=result, mirrored=mirrored, progress=False)
    summary = _summary(root, data, run, result, started, prepared, workdir)
    write_atomically(workdir.summary_file, json.dumps(summary, indent=2) + "\n")
    return summary


def _pictures(workdir, data, result) -> None:
    """curves.png and mistakes.png (the 18 most confidently wrong val images)."""
    from tinylib import analysis, plots

    mistakes = analysis.confidently_wrong(result, count=18)
    figures = {
        workdir.picture_file("curves.png"): plots.training_curves(workdir),
        workdir.picture_file("mistakes.png"): plots.mistakes_grid(
            data.val_images, data.val_labels, result.probabilities, data.class_names, mistakes
        ),
    }
    for path, figure in figures.items():
        with atomic_file(path) as partial:
            figure.savefig(partial, format="png", dpi=100)


def _summary(root, data, run: dict, result, started: float, prepared: float, workdir) -> dict:
    scores = result.summary()
    return {
        "dataset": str(root),
        "classes": data.num_classes,
        "train_images": len(data.train_images),
        "val_images": len(data.val_images),
        "model": run["model"],
        "parameters": run["parameters"],
        "epochs": run["epochs_done"],
        "val_top1": scores["top1"],
        "val_top5": scores["top5"],
        "chance": round(1 / data.num_classes, 4),
        "data_seconds": round(prepared - started, 1),
        "train_seconds": run["wall_seconds"],
        "train_images_per_second": run["images_per_second"],
        "total_seconds": round(time.perf_counter() - started, 1),
        "files": sorted(
            {*(p.name for p in workdir.path.iterdir() if p.is_file() and p.name[0] != "."), workdir.summary_file.name}
        ),
    }


def format_summary(summary: dict) -> str:
    """Human-readable lines for the terminal."""
    s = summary
    return "\n".join(
        [
            f"model      {s['model']} ({s['parameters']:,} parameters), {s['epochs']} epochs",
            f"data       {s['classes']} classes, {s['train_images']} train / {s['val_images']} val images",
            f"time       {s['total_seconds']} s in all ({s['train_seconds']} s training, "
            f"{s['train_images_per_second']} img/s)",
            f"val top-5  {summary['val_top5']:.1%}",
            f"val top-1  {summary['val_top1']:.1%}  (chance: {summary['chance']:.0%})",
        ]
    )
