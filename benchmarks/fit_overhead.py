"""Training throughput of `tinylib.train.fit` against a bare `model.fit` on in-memory tensors.

Run by hand (about 5 minutes on 2 cores):

    .venv/bin/python benchmarks/fit_overhead.py [--zip ../shared/data/tiny-imagenet-20.zip] [--epochs 2] [--rounds 2]

Same model (ResNet-10, width 16, 7x7/2 stem), batch 128, float32, SGD, no augmentation, the
same val set evaluated every epoch. The bare run feeds float32 tensors already in memory to
`model.fit`; tinylib's run reads the packed uint8 cache through `fit` with all its callbacks
(history log, best/last checkpoints, backup, TensorBoard). Runs alternate so machine noise hits
both alike. Overhead = 1 - tinylib img/s / bare img/s. Results: results/fit_overhead.json.
"""

from __future__ import annotations

import argparse
import datetime
import json
import tempfile
import time
from pathlib import Path

import numpy as np

import tinylib  # noqa: F401  (TensorFlow environment defaults)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--zip", default=str(Path(__file__).resolve().parents[2] / "shared/data/tiny-imagenet-20.zip"))
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()


    from tinylib.data import prepare
    from tinylib.models import resnet
    from tinylib.train import TrainingData, devices, fit, recipe

    scratch = Path(tempfile.mkdtemp(prefix="tinylib-overhead-"))
    data = TrainingData.from_root(prepare(args.zip, scratch / "data", progress=False), progress=False)
    plan = recipe("baseline", epochs=args.epochs, batch_size=128, augment="none", label_smoothing=0.0, warmup_epochs=0)
    steps = len(data.train_images) // plan.batch_size
    x = data.train_images[: steps * plan.batch_size].astype(np.float32) / 255
    y = np.eye(data.num_classes, dtype=np.float32)[data.train_labels[: steps * plan.batch_size]]
    val = (data.val_images.astype(np.float32) / 255, np.eye(data.num_classes, dtype=np.float32)[data.val_labels])

    def model():
        devices.seed_everything(0)
        return resnet(depth=10, width=16, stem="imagenet", num_classes=data.num_classes)

    def bare() -> float:
        network = model()
        network.compile(plan.make_optimizer(steps), "categorical_crossentropy", metrics=["accuracy"])
        started = time.perf_counter()
        network.fit(x, y, batch_size=plan.batch_size, epochs=plan.epochs, validation_data=val, verbose=0)
        return steps * plan.batch_size * plan.epochs / (time.perf_counter() - started)

    def kit(round_number: int) -> float:
        started = time.perf_counter()
        fit(model(), data, plan, scratch / f"run{round_number}", verbose=0)
        return steps * plan.batch_size * plan.epochs / (time.perf_counter() - started)

    rates = {"bare model.fit": [], "tinylib fit": []}
    for round_number in range(args.rounds):
        rates["bare model.fit"].append(bare())
        rates["tinylib fit"].append(kit(round_number))
        print({name: round(values[-1], 1) for name, values in rates.items()}, flush=True)
    mean = {name: float(np.mean(values)) for name, values in rates.items()}
    result = {
        "date": datetime.date.today().isoformat(),
        "command": f"python benchmarks/fit_overhead.py --epochs {args.epochs} --rounds {args.rounds}",
        "data": f"tiny-imagenet-20: {len(x)} train / {len(val[0])} val images",
        "images_per_second": {name: [round(v, 1) for v in values] for name, values in rates.items()},
        "overhead_percent": round(100 * (1 - mean["tinylib fit"] / mean["bare model.fit"]), 1),
    }
    (Path(__file__).parent / "results" / "fit_overhead.json").write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
