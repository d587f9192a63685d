"""What a 2-core CPU reaches on all 200 classes in 10 minutes: the kit's CPU recipe against the
original model and recipe, side by side, in the same run.

Run by hand (about 2 x --minutes, plus a minute to prepare the data):

    .venv/bin/python benchmarks/cpu_200_mini.py [--zip ../shared/data/tiny-imagenet-200-mini.zip] [--minutes 10]

The data: `tiny-imagenet-200-mini.zip` (all 200 classes in the official layout, 100 train / 25 val
images each: 20,000 / 5,000), or any official-layout folder or zip (`--zip`), optionally cut first
with `tinylib data subset` (`--classes`, `--train-per-class`, `--val-per-class`: the test runs it
this way, at a tiny size). The two runs are `equal_budget.py`'s: seed_net with the `seed` recipe
against ResNet-10 (width 16, 7x7/2 stem) with the `baseline` recipe, each stopped by
`fit(max_minutes=...)` after the epoch that passes the budget, then top-1/top-5 on every val image.
Results: results/cpu_200_mini.json (or --out).
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

import tinylib  # noqa: F401  (TensorFlow environment defaults)

sys.path.insert(0, str(Path(__file__).resolve().parent))
from equal_budget import summary, train_pair  # noqa: E402  (the same two runs, one piece of code)

MINI = Path(__file__).resolve().parents[2] / "shared/data/tiny-imagenet-200-mini.zip"


def arguments(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--zip", default=str(MINI), help="an official-layout zip or folder (default: the 200-class mini)"
    )
    parser.add_argument("--minutes", type=float, default=10.0, help="training minutes of each run")
    parser.add_argument("--kit-epochs", type=int, default=30, help="baseline epochs planned to end within the budget")
    parser.add_argument("--width", type=int, default=16, help="the kit's ResNet-10 width")
    parser.add_argument("--classes", type=int, help="cut a subset first: classes (with the two options below)")
    parser.add_argument("--train-per-class", type=int)
    parser.add_argument("--val-per-class", type=int)
    parser.add_argument("--out", default=str(Path(__file__).parent / "results" / "cpu_200_mini.json"))
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> dict:
    """Run both trainings and write the result file; returns its content."""
    args = arguments(argv)
    from tinylib import files
    from tinylib.data import prepare
    from tinylib.data.subset import make_subset
    from tinylib.train import TrainingData

    scratch = Path(tempfile.mkdtemp(prefix="tinylib-cpu-200-mini-"))
    source = Path(args.zip)
    root = prepare(source, scratch / "data", progress=False) if source.suffix == ".zip" else source
    if args.classes:
        sizes = {"classes": args.classes, "train_per_class": args.train_per_class, "val_per_class": args.val_per_class}
        root = make_subset(root, scratch / "subset", **sizes, progress=False)
    data = TrainingData.from_root(root, progress=False)
    runs = train_pair(data, args.minutes, args.kit_epochs, scratch, width=args.width)
    command = " ".join(["python benchmarks/cpu_200_mini.py", *(argv if argv is not None else sys.argv[1:])])
    result = {
        **summary(runs, command, scratch),
        "data": {
            "source": source.name,
            "classes": data.num_classes,
            "train": len(data.train_images),
            "val": len(data.val_images),
        },
    }
    files.write_atomically(args.out, json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))
    return result


if __name__ == "__main__":
    main()
