"""Notebook 03's backend table: the same model and data trained on each Keras backend, each in a
fresh process (a running Python cannot switch backends), seconds per epoch from history.csv.

    python benchmarks/backend_epochs.py --python tensorflow=.venv/bin/python \
        --python jax=.venv-jax/bin/python --python torch=.venv-torch/bin/python

Each run: `tinylib train --data synthetic --model resnet10 --recipe baseline` in the quick
profile (its width 16 and "imagenet" stem; the recipe's batch 128), --epochs epochs. Epoch 1 includes
compilation (jax.jit; TensorFlow's tf.function tracing); "steady" is the median of the others.
Writes benchmarks/results/backend_epochs.json (command, date, machine, load, versions, commit).
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))

from tinylib import files  # noqa: E402


def train(backend: str, python: str, epochs: int, folder: Path) -> dict:
    """Train once on `backend` with interpreter `python`; returns the run's timings."""
    workdir = folder / f"run-{backend}"
    command = [python, "-m", "tinylib", "train", "--data", "synthetic", "--model", "resnet10", "--recipe",
               "baseline", "--epochs", str(epochs), "--workdir", str(workdir)]  # fmt: skip
    env = {**os.environ, "KERAS_BACKEND": backend, "TINYLIB_PROFILE": "quick", "PYTHONPATH": str(ROOT)}
    load, started = os.getloadavg()[0], time.perf_counter()
    result = subprocess.run(command, capture_output=True, text=True, env=env, cwd=folder)
    wall = time.perf_counter() - started
    if result.returncode != 0:
        return {"backend": backend, "error": result.stderr[-2000:]}
    with open(workdir / "history.csv", newline="") as handle:
        seconds = [float(row["seconds"]) for row in csv.DictReader(handle)]
    run = json.loads((workdir / "run.json").read_text())
    return {
        "backend": backend,
        "process_seconds": round(wall, 1),
        "epoch_seconds": seconds,
        "first_epoch_seconds": seconds[0],
        "steady_epoch_seconds": round(statistics.median(seconds[1:]), 2) if len(seconds) > 1 else None,
        "train_images": run["train_images"],
        "val_top1": run["val"]["top1"],
        "versions": run["versions"],
        "jit_compile": run["jit_compile"],
        "load_average_before": round(load, 1),
        "load_average_after": round(os.getloadavg()[0], 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--python", action="append", required=True, metavar="BACKEND=PYTHON")
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--out", default=str(HERE / "results" / "backend_epochs.json"))
    args = parser.parse_args()
    commit = subprocess.run(["git", "rev-parse", "HEAD"], capture_output=True, text=True, cwd=ROOT).stdout.strip()
    result = {
        "command": " ".join(["python", *sys.argv]),
        "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "machine": f"{platform.machine()}, {os.cpu_count()} CPU cores, shared with other jobs (see load)",
        "commit": commit,
        "runs": [],
    }
    with tempfile.TemporaryDirectory() as folder:
        for pair in args.python:
            backend, python = pair.split("=", 1)
            result["runs"].append(train(backend, str(Path(python).absolute()), args.epochs, Path(folder)))
            print(json.dumps(result["runs"][-1]))
            files.write_atomically(args.out, json.dumps(result, indent=1) + "\n")


if __name__ == "__main__":
    main()
