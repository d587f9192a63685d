"""The original model and recipe against the kit's CPU-sized model and recipe, same CPU minutes.

Run by hand (about 2 x --minutes on 2 cores):

    .venv/bin/python benchmarks/equal_budget.py [--zip ../shared/data/tiny-imagenet-20.zip] [--minutes 10]

On the real 20-class zip (10,000 train / 1,000 val images): (1) seed_net with the `seed` recipe
(its epochs shortened to 5 % of the train set so that the time budget can stop it between
epochs; the schedule is per step, so this changes nothing else); (2) ResNet-10 (width 16, 7x7/2
stem) with the `baseline` recipe, its epoch count set so that the cosine schedule ends within the
budget. `fit(max_minutes=...)` stops each run after the epoch that passes the budget. Then the
full-val top-1 of both. Results: results/equal_budget.json.
"""

from __future__ import annotations

import argparse
import datetime
import json
import tempfile
from pathlib import Path

import tinylib  # noqa: F401  (TensorFlow environment defaults)


def train_pair(data, minutes: float, kit_epochs: int, scratch: Path, width: int = 16) -> dict:
    """Train seed_net + `seed` recipe and ResNet-10 (`width`, 7x7/2 stem) + `baseline` recipe on
    `data` (TrainingData), `minutes` each (`fit(max_minutes=...)`), from the same seed; return
    {label: epochs, images seen, seconds, img/s, full-val top-1/top-5}. Batches larger than a
    quarter of the training images (tiny test sets) are cut to that quarter."""
    from tinylib.models import resnet, seed_net
    from tinylib.train import devices, evaluate, fit, recipe

    quarter = max(1, len(data.train_images) // 4)
    runs = {}
    for label, build, plan in (
        (
            "seed_net + seed recipe",
            lambda: seed_net(data.num_classes),
            recipe("seed", epochs=1000, epoch_fraction=0.05),
        ),
        (
            f"resnet10_w{width} + baseline recipe",
            lambda: resnet(depth=10, width=width, stem="imagenet", num_classes=data.num_classes),
            recipe("baseline", epochs=kit_epochs),
        ),
    ):
        plan = plan if plan.batch_size <= quarter else plan.with_batch_size(quarter)
        devices.seed_everything(0)
        model = build()
        run = fit(model, data, plan, scratch / label.split()[0], max_minutes=minutes, verbose=0)
        result = run.get("val") or evaluate(model, data.val_images, data.val_labels)
        runs[label] = {
            "epochs_done": run["epochs_done"],
            "images_seen": run["epochs_done"] * run["steps_per_epoch"] * plan.batch_size,
            "wall_seconds": run["wall_seconds"],
            "images_per_second": run["images_per_second"],
            "val_top1": result["top1"],
            "val_top5": result["top5"],
            "val_images": result["images"],
        }
        print(json.dumps({label: runs[label]}), flush=True)
    return runs


def summary(runs: dict, command: str, scratch: Path) -> dict:
    """The result file's content: date, command, hardware (from the second run's run.json), runs,
    and how many points of val top-1 the kit's run is ahead."""
    labels = list(runs)
    return {
        "date": datetime.date.today().isoformat(),
        "command": command,
        "hardware": json.loads((scratch / labels[1].split()[0] / "run.json").read_text())["hardware"],
        "runs": runs,
        "points_ahead": round(100 * (runs[labels[1]]["val_top1"] - runs[labels[0]]["val_top1"]), 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--zip", default=str(Path(__file__).resolve().parents[2] / "shared/data/tiny-imagenet-20.zip"))
    parser.add_argument("--minutes", type=float, default=10.0)
    parser.add_argument("--kit-epochs", type=int, default=35, help="baseline epochs planned to end within the budget")
    args = parser.parse_args()

    from tinylib.data import prepare
    from tinylib.train import TrainingData

    scratch = Path(tempfile.mkdtemp(prefix="tinylib-budget-"))
    data = TrainingData.from_root(prepare(args.zip, scratch / "data", progress=False), progress=False)
    runs = train_pair(data, args.minutes, args.kit_epochs, scratch)
    command = f"python benchmarks/equal_budget.py --minutes {args.minutes} --kit-epochs {args.kit_epochs}"
    result = summary(runs, command, scratch)
    (Path(__file__).parent / "results" / "equal_budget.json").write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
