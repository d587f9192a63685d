"""Notebook 05's experiments on real data: one change at a time against the reference.

Run by hand (about 30 minutes on 2 cores with the defaults):

    .venv/bin/python benchmarks/experiments_real.py [--zip ../shared/data/tiny-imagenet-20.zip] [--epochs 10]

Prepares the real 20-class zip (10,000 train / 1,000 val images, official layout) into a
temporary folder outside the repository, then runs `tinylib.experiments.run_experiments`
with a CPU-sized ResNet-10 (width 16, 7x7/2 stem) and the `baseline` recipe for --epochs
epochs (batch 128) as the reference, and trains that reference again with --noise-seeds
(default 1 and 2) to show how far apart identical recipes land. Every val image is
evaluated. Results go to benchmarks/results/experiments_real.json and are printed as the
Markdown table that notebook 05 shows. With --workdir, finished runs are reused.
"""

from __future__ import annotations

import argparse
import datetime
import json
import sys
import tempfile
from pathlib import Path

import tinylib


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--zip", default=str(Path(__file__).resolve().parents[2] / "shared/data/tiny-imagenet-20.zip"))
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--workdir", help="keep the runs here (resumable); default: a temporary folder")
    parser.add_argument(
        "--noise-seeds", type=int, nargs="*", default=[1, 2], help="train the reference again with these seeds"
    )
    args = parser.parse_args()
    if not Path(args.zip).is_file():
        sys.exit(f"{args.zip} not found: pass --zip PATH to tiny-imagenet-20.zip (see ../shared/data/README.md)")

    from tinylib.data import prepare
    from tinylib.experiments import REFERENCE, results_table, run_experiments
    from tinylib.train import TrainingData, recipe

    scratch = Path(args.workdir or tempfile.mkdtemp(prefix="tinylib-experiments-"))
    root = scratch / "data" / "tiny-imagenet-20"
    if not root.is_dir():
        root = prepare(args.zip, scratch / "data", progress=False)
    data = TrainingData.from_root(root, progress=False)
    base = recipe("baseline", epochs=args.epochs)
    size = dict(depth=10, width=16, stem="imagenet")
    rows = run_experiments(data, scratch / "runs", base=base, size=size)
    noise = [  # the same reference with other seeds: how far apart do identical recipes land?
        {"seed": seed, **run_experiments(data, scratch / f"seed{seed}", base.replace(seed=seed), size, (REFERENCE,))[0]}
        for seed in args.noise_seeds
    ]
    hardware = json.loads((scratch / "runs" / "reference" / "run.json").read_text())["hardware"]
    result = {
        "date": datetime.date.today().isoformat(),
        "hardware": hardware,
        "tinylib": tinylib.__version__,
        "command": f"python benchmarks/experiments_real.py --epochs {args.epochs}",
        "data": f"tiny-imagenet-20: {len(data.train_images)} train, {len(data.val_images)} val images",
        "model": "resnet10, width 16, 7x7/2 stem",
        "reference_recipe": base.to_json(),
        "rows": rows,
        "reference_other_seeds": noise,
    }
    output = Path(__file__).parent / "results" / "experiments_real.json"
    output.write_text(json.dumps(result, indent=2) + "\n")
    print(results_table(rows))
    for row in noise:
        print(f"reference with seed {row['seed']}: top-1 {row['top1']:.1%}, top-5 {row['top5']:.1%}")


if __name__ == "__main__":
    main()
