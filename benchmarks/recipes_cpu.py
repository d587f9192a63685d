"""The `seed` and `baseline` recipes on a CPU-sized model: epochs, wall time, img/s, full-val top-1.

Run by hand (about 10 minutes on 2 cores):

    .venv/bin/python benchmarks/recipes_cpu.py [--zip ../shared/data/tiny-imagenet-20.zip] [--epochs 10]

Trains the same CPU-sized ResNet-10 (width 16, 7x7/2 stem) with each recipe, at the recipe's
own batch size, on (1) the quick profile's synthetic set and (2) the real 20-class zip
(prepared into a temporary folder outside the repository), each for the same number of
epochs. Results go to benchmarks/results/recipes_cpu.json and are printed as a table.
"""

from __future__ import annotations

import argparse
import datetime
import json
import tempfile
from pathlib import Path

import tinylib
from tinylib import config
from tinylib.train import devices


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--zip", default=str(Path(__file__).resolve().parents[2] / "shared/data/tiny-imagenet-20.zip"))
    parser.add_argument("--epochs", type=int, default=10)
    args = parser.parse_args()

    from tinylib.data import prepare, synthetic_for_profile
    from tinylib.models import resnet
    from tinylib.train import TrainingData, fit, recipe

    scratch = Path(tempfile.mkdtemp(prefix="tinylib-recipes-"))
    datasets = {"synthetic (quick profile)": synthetic_for_profile(config.profile("quick"), progress=False)}
    if Path(args.zip).is_file():
        datasets["tiny-imagenet-20"] = prepare(args.zip, scratch / "data", progress=False)
    rows = []
    for label, root in datasets.items():
        data = TrainingData.from_root(root, progress=False)
        for name in ("seed", "baseline"):
            devices.seed_everything(0)
            model = resnet(depth=10, width=16, stem="imagenet", num_classes=data.num_classes)
            run = fit(model, data, recipe(name, epochs=args.epochs), scratch / f"{label[:9]}-{name}", verbose=0)
            rows.append(
                {
                    "data": label,
                    "recipe": name,
                    "model": model.name,
                    "epochs": run["epochs_done"],
                    "batch_size": run["recipe"]["batch_size"],
                    "train_images_per_epoch": run["steps_per_epoch"] * run["recipe"]["batch_size"],
                    "wall_seconds": run["wall_seconds"],
                    "images_per_second": run["images_per_second"],
                    "val_images": run["val"]["images"],
                    "val_top1": run["val"]["top1"],
                    "val_top5": run["val"]["top5"],
                }
            )
            print(json.dumps(rows[-1]), flush=True)
    result = {
        "date": datetime.date.today().isoformat(),
        "hardware": json.loads((scratch / f"{label[:9]}-baseline" / "run.json").read_text())["hardware"],
        "tinylib": tinylib.__version__,
        "command": f"python benchmarks/recipes_cpu.py --epochs {args.epochs}",
        "rows": rows,
    }
    output = Path(__file__).parent / "results" / "recipes_cpu.json"
    output.write_text(json.dumps(result, indent=2) + "\n")
    print("| data | recipe | epochs | batch | wall s | img/s | val top-1 | val top-5 |")
    print("|---|---|---:|---:|---:|---:|---:|---:|")
    for row in rows:
        print(
            f"| {row['data']} | {row['recipe']} | {row['epochs']} | {row['batch_size']} | {row['wall_seconds']} | "
            f"{row['images_per_second']} | {row['val_top1']:.1%} | {row['val_top5']:.1%} |"
        )


if __name__ == "__main__":
    main()
