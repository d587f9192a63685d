"""The end-to-end demo: synthetic data -> small ResNet -> training -> evaluation -> report.

It is the walking skeleton of the kit, and what `make demo` / `tinylib demo` run: every
later notebook deepens one of its steps.
"""

from __future__ import annotations

import dataclasses
import json
import os
import shutil
import time
from pathlib import Path

from tinylib import runtime


@dataclasses.dataclass(frozen=True)
class DemoConfig:
    """Sizes of the demo. The defaults reach ~87 % val top-1 in about 1.5 minutes on
    2 CPU cores; `for_profile("quick")` shrinks everything for tests (seconds). epochs and
    batch_size None: those of the `demo` training recipe (`tinylib.train.recipe("demo")`)."""

    num_classes: int = 10
    train_per_class: int = 500
    val_per_class: int = 50
    test_per_class: int = 10
    depth: int = 10
    width: int = 16
    stem: str = "imagenet"
    epochs: int | None = None
    batch_size: int | None = None
    seed: int = 0

    @classmethod
    def for_profile(cls, profile: runtime.Profile | None = None) -> DemoConfig:
        profile = profile or runtime.profile()
        if profile.name == "quick":
            return cls(
                num_classes=profile.synthetic_classes,
                train_per_class=profile.synthetic_train_per_class,
                val_per_class=profile.synthetic_val_per_class,
                test_per_class=profile.synthetic_test_per_class,
                depth=profile.model_depth,
                width=profile.model_width,
                stem=profile.model_stem,
                epochs=profile.epochs,
                batch_size=profile.batch_size,
            )
        return cls()


def run_demo(
    workdir: str | os.PathLike = "runs/demo",
    data_root: str | os.PathLike | None = None,
    config: DemoConfig | None = None,
    verbose: int | str = 2,
) -> dict:
    """Train a small ResNet on `data_root` (any folder in the official layout; default: the
    synthetic dataset, generated if absent), evaluate it on the full val set and write into
    `workdir`: what `train.fit` writes (history.csv, best.keras, last.keras, run.json, ...),
    curves.png, mistakes.png, report.html (`tinylib.report`) and summary.json. The demo starts
    afresh each time: its earlier training files in `workdir` are replaced. Returns the summary
    (val top-1/top-5, timings)."""
    from tinylib import analysis, plots, train
    from tinylib.data import make_synthetic, read_layout
    from tinylib.models import resnet
    from tinylib.report import write_report

    started = time.perf_counter()
    config = config or DemoConfig.for_profile()
    workdir = Path(workdir)
    if data_root is None:  # the embedded default: generated once, then reused
        data_root = make_synthetic(
            None,
            config.num_classes,
            config.train_per_class,
            config.val_per_class,
            config.test_per_class,
            seed=config.seed,
        )
    print(f"[1/4] dataset: {data_root}")
    info = read_layout(data_root)
    data = train.TrainingData.from_root(data_root, progress=False)
    val_images, val_labels = data.val_images, data.val_labels
    prepared = time.perf_counter()

    model_name = f"ResNet-{config.depth} (width {config.width})"
    sizes = {key: getattr(config, key) for key in ("epochs", "batch_size") if getattr(config, key) is not None}
    recipe = train.recipe("demo", seed=config.seed, **sizes)
    print(f"[2/4] training a {model_name} on {len(data.train_images)} images for {recipe.epochs} epochs")
    runtime.seed_everything(config.seed)
    model = resnet(depth=config.depth, width=config.width, stem=config.stem, num_classes=info.num_classes)
    _clear_training_files(workdir)
    run = train.fit(model, data, recipe, workdir, verbose=verbose)

    print(f"[3/4] evaluating on all {len(val_images)} val images")
    probabilities = analysis.predict(model, val_images)
    top1 = analysis.top_k_accuracy(probabilities, val_labels, 1)
    top5 = analysis.top_k_accuracy(probabilities, val_labels, min(5, info.num_classes))
    mistakes = analysis.worst_mistakes(probabilities, val_labels, count=18)

    print(f"[4/4] writing the report to {workdir}")
    plots.training_curves(workdir / "history.csv").savefig(workdir / "curves.png", dpi=100)
    plots.mistakes_grid(val_images, val_labels, probabilities, info.names, mistakes).savefig(
        workdir / "mistakes.png", dpi=100
    )
    write_report(workdir, data=data, model=model, progress=False)
    summary = {
        "dataset": str(data_root),
        "classes": info.num_classes,
        "train_images": len(data.train_images),
        "val_images": len(val_images),
        "model": model.name,
        "parameters": run["parameters"],
        "epochs": run["epochs_done"],
        "val_top1": round(top1, 4),
        "val_top5": round(top5, 4),
        "chance": round(1 / info.num_classes, 4),
        "data_seconds": round(prepared - started, 1),
        "train_seconds": run["wall_seconds"],
        "train_images_per_second": run["images_per_second"],
        "total_seconds": round(time.perf_counter() - started, 1),
        "files": sorted(path.name for path in workdir.iterdir() if path.is_file()),
    }
    (workdir / "summary.json").write_text(json.dumps(summary, indent=2) + "\n")
    return summary


def _clear_training_files(workdir: Path) -> None:
    """The demo always trains from scratch: drop what an earlier demo run left in `workdir`."""
    for name in ("history.csv", "run.json", "recipe.json", "best.keras", "last.keras", "summary.json", "report.html"):
        (workdir / name).unlink(missing_ok=True)
    for name in ("backup", "tb"):
        shutil.rmtree(workdir / name, ignore_errors=True)


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
