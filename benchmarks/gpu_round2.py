"""GPU, second round (issue 25): 200 classes, a cold-start speedrun, PyTorch beside JAX, throughput tries.

Two calls on the lent GPU (the carry holds one data set at a time), <= 8 minutes in all:

    python benchmarks/gpu_round2.py mini200 --zip .gpu/data/tiny-imagenet-200-mini.zip       # ~4 min
    python benchmarks/gpu_round2.py speedrun throughput --zip .gpu/data/tiny-imagenet-20.zip  # ~4 min
    python benchmarks/gpu_round2.py mini200 speedrun throughput --smoke --zip Z               # any CPU

mini200 trains in the calling process; speedrun and throughput start a fresh process per
measurement (the caller never starts JAX on the GPU, which would reserve 75 % of its memory).

Steps (each writes into one JSON, benchmarks/results/gpu_round2_<device>.json, rewritten after
every step with command, date, device, driver, versions and commit):
- mini200: `tinylib.train.fit` on the 200-class mini set (200 x 100 train, 25 val each) for
  seed_net with the `seed` recipe and ResNet-18 (width 64) with `baseline` and `fast`: val top-1
  after every epoch against seconds since the fit call; the seed's published 50.9 % (full data,
  100 epochs) is written beside them for context only.
- speedrun: a fresh Python process (`_speedrun` below) timed from its start (imports, data
  load, compile, training, checkpoints, final evaluation on all 1,000 val images of
  tiny-imagenet-20) to its final top-1; target >= 75 % in <= 30 s.
- throughput: ResNet-18@64 train steps (flip_crop inside the step, uint8 batches from
  PackedBatches), steady images/s after the compile, each backend in its own fresh process:
  JAX and PyTorch in bfloat16 and float32, then JAX tries toward 30,000 img/s
  (steps_per_execution, batch size); on PyTorch the step runs eagerly (no compile: its
  "compile_seconds" is only epoch 1's extra start-up). Layouts: the kit's models are NHWC only (channels_last,
  what cuDNN's bf16 Tensor Core kernels take); XLA assigns its own internal layouts.
--smoke: tiny sizes, a narrow ResNet, output to a temporary folder: it only checks the script.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("KERAS_BACKEND", "jax")
HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE), str(HERE.parent)]
import gpu  # noqa: E402  (benchmarks/gpu.py: nvidia_smi, git_commit, Recorder, FAST_CANDIDATES)

SEED_PUBLISHED = {"val_top1": 0.509, "what": "the seed notebook's published result: full 100,000 images, 100 epochs"}
MINI_RUNS = (("seed_net", "seed", {"epochs": 30}), ("resnet18", "baseline", {"epochs": 30, "batch_size": 125}),
             ("resnet18", "fast", {"epochs": 30, "batch_size": 250, "learning_rate": 0.2}))  # fmt: skip
SPEEDRUN = gpu.FAST_CANDIDATES["A"]  # batch 500, lr 0.4, 16 epochs: 72.5 % top-1 in round 1 (warm compile)
# (backend, policy, batch, steps_per_execution): JAX and torch side by side, then JAX tries.
TRIES = (("jax", "mixed_bfloat16", 512, 1), ("jax", "float32", 512, 1), ("torch", "mixed_bfloat16", 512, 1),
         ("torch", "float32", 512, 1), ("jax", "mixed_bfloat16", 512, 8), ("jax", "mixed_bfloat16", 512, 32),
         ("jax", "mixed_bfloat16", 1024, 8), ("jax", "mixed_bfloat16", 2048, 8))  # fmt: skip


def now() -> float:
    return time.perf_counter()


def say(message: str) -> None:
    print(f"[gpu_round2 {time.strftime('%H:%M:%S')}] {message}", flush=True)


def load(zip_path: str, smoke: bool, train: int, val: int):
    """(TrainingData in memory, seconds to prepare and pack) for a zip in the official layout."""
    from tinylib.data import prepare
    from tinylib.train import TrainingData

    begun = now()
    root = prepare(zip_path, Path(tempfile.mkdtemp(prefix="round2-")) / "data", progress=False)
    data = TrainingData.from_root(root, progress=False)
    return (data.subset(train=train, val=val) if smoke else data), round(now() - begun, 1)


def epoch_clock(origin: float):
    """A callback recording (epoch, seconds since `origin`, val top-1) at each epoch's end (no batch hooks)."""
    import keras

    class Clock(keras.callbacks.Callback):
        rows: list = []

        def on_epoch_end(self, epoch, logs=None):
            top1 = (logs or {}).get("val_accuracy")
            self.rows.append({"epoch": epoch + 1, "wall": round(now() - origin, 2),
                              "val_top1": None if top1 is None else round(float(top1), 4)})  # fmt: skip

    clock = Clock()
    clock.rows = []
    return clock


def build(name: str, classes: int, smoke: bool):
    from tinylib.models import resnet18, seed_net

    if name == "seed_net":
        return seed_net(num_classes=classes)
    return resnet18(num_classes=classes, width=8 if smoke else 64, stem="cifar")


def mini200(args, result: dict, recorder) -> None:
    """Top-1 against wall-clock on the 200-class mini set for the three models."""
    import keras

    from tinylib.train import devices, fit, recipe

    data, prepare_seconds = load(args.zip, args.smoke, 100, 50)
    section = {"data": {"classes": data.num_classes, "train_images": len(data.train_images),
                        "val_images": len(data.val_images), "prepare_seconds": prepare_seconds},
               "devices": list(devices.devices()), "seed_published_for_context": SEED_PUBLISHED,
               "runs": []}  # fmt: skip
    result["mini200"] = section
    for model_name, preset, changes in MINI_RUNS:
        changes = {**changes, **({"epochs": 1, "batch_size": 50} if args.smoke else {})}
        keras.backend.clear_session()
        devices.use_precision("float32" if args.smoke else "mixed_bfloat16")
        model, plan = build(model_name, data.num_classes, args.smoke), recipe(preset, **changes)
        begun = now()
        clock = epoch_clock(begun)
        workdir = tempfile.mkdtemp(prefix="mini-")
        run = fit(model, data, plan, workdir, verbose=0, callbacks=[clock], augment_on="device")
        section["runs"].append({"model": model_name, "recipe": preset, "changes": changes, "curve": clock.rows,
                                "wall_seconds": round(now() - begun, 1), "final_val": run["val"],
                                "images_per_second": run["images_per_second"]})  # fmt: skip
        say(f"mini200 {model_name}/{preset}: {run['val']} in {now() - begun:.1f} s")
        recorder.save()


def speedrun(args, result: dict, recorder) -> None:
    """The cold start: a fresh process, timed from before it starts to its final top-1."""
    command = [sys.executable, str(Path(__file__)), "_speedrun", "--zip", args.zip]
    command += ["--smoke"] if args.smoke else []
    begun = time.time()
    done = subprocess.run(command, capture_output=True, text=True, env={**os.environ, "KERAS_BACKEND": "jax"})
    total = time.time() - begun
    if done.returncode != 0:
        raise RuntimeError(done.stderr[-1500:])
    child = json.loads(done.stdout.strip().splitlines()[-1])
    result["speedrun"] = {"recipe": f"fast with {SPEEDRUN}", "process_seconds": round(total, 1),
                          "target": ">= 75 % top-1 in <= 30 s", **child}  # fmt: skip
    say(f"speedrun: {child['final_val']} in {total:.1f} s (process start to final top-1)")
    recorder.save()


def _speedrun(args) -> None:
    """Inside the fresh process: everything after the interpreter started, timed apart."""
    began = now()
    from tinylib.train import devices, fit, recipe

    imported = now()
    data, prepare_seconds = load(args.zip, args.smoke, 500, 100)
    loaded = now()
    devices.use_precision("float32" if args.smoke else "mixed_bfloat16")
    changes = {**gpu.parse_fields(SPEEDRUN), **({"epochs": 2, "batch_size": 50} if args.smoke else {})}
    clock = epoch_clock(began)
    run = fit(build("resnet18", data.num_classes, args.smoke), data, recipe("fast", **changes),
              tempfile.mkdtemp(prefix="speedrun-"), verbose=0, callbacks=[clock], augment_on="device")  # fmt: skip
    print(json.dumps({"import_seconds": round(imported - began, 1), "data_seconds": round(loaded - imported, 1),
                      "prepare_seconds": prepare_seconds, "fit_seconds": round(now() - loaded, 1),
                      "curve": clock.rows, "final_val": run["val"], "device": devices.devices()[-1]}))  # fmt: skip


def throughput(args, result: dict, recorder) -> None:
    """Each (backend, policy, batch, steps_per_execution) of TRIES in a fresh process of its backend."""
    section = result.setdefault("throughput", {"how": "3 epochs of 8,192 random uint8 images; steady = images "
                                               "per epoch / median of epochs 2-3", "results": []})  # fmt: skip
    for backend, policy, batch, per_call in (TRIES[:1] + TRIES[2:3] + TRIES[4:5]) if args.smoke else TRIES:
        command = [sys.executable, str(Path(__file__)), "_throughput", policy, str(batch), str(per_call)]
        done = subprocess.run(command + (["--smoke"] if args.smoke else []), capture_output=True, text=True,
                              env={**os.environ, "KERAS_BACKEND": backend})  # fmt: skip
        row = {"backend": backend, "policy": policy, "batch": batch, "steps_per_execution": per_call}
        if done.returncode == 0:
            row.update(json.loads(done.stdout.strip().splitlines()[-1]))
        else:
            row["error"] = done.stderr[-800:]
        section["results"].append(row)
        say(f"throughput {row}")
        recorder.save()


def _throughput(args) -> None:
    """Inside a fresh process: the train step `fit` builds (AugmentingModel, fast's optimiser, XLA on JAX)."""
    import keras
    import numpy as np

    from tinylib.data import Augmenter, PackedBatches
    from tinylib.train import devices, recipe
    from tinylib.train.on_device import AugmentingModel

    policy, batch, per_call = args.steps[1], int(args.steps[2]), int(args.steps[3])
    batch = max(batch // 64, 8) if args.smoke else batch
    count = (batch * 4 if args.smoke else 8192) // batch * batch
    devices.use_precision(policy)
    plan = recipe("fast", batch_size=batch)
    trained = AugmentingModel(build("resnet18", 200, args.smoke), Augmenter(plan.augment, 200, 0, jit=False))
    trained.build((None, 64, 64, 3))
    trained.compile(optimizer=plan.make_optimizer(count // batch), loss="categorical_crossentropy",
                    jit_compile=devices.jit_compile()[0], steps_per_execution=per_call)  # fmt: skip
    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, (count, 64, 64, 3), dtype=np.uint8)
    batches = PackedBatches(images, rng.integers(0, 200, count), batch, "none", 200, one_hot=True, scale=False)
    clock = epoch_clock(now())
    trained.fit(batches, epochs=3, verbose=0, callbacks=[clock])
    walls = [clock.rows[0]["wall"]] + [b["wall"] - a["wall"] for a, b in zip(clock.rows, clock.rows[1:])]
    steady = statistics.median(walls[1:])
    print(json.dumps({"images_per_second": round(count / steady, 1), "compile_seconds": round(walls[0] - steady, 1),
                      "epoch_seconds": [round(w, 3) for w in walls], "jit_compile": devices.jit_compile()[0],
                      "device": devices.devices()[-1], "keras": keras.__version__}))  # fmt: skip


def header(args) -> dict:
    import keras  # no device probe here: JAX would take 75 % of the GPU from the steps' own processes

    smi = gpu.nvidia_smi()
    versions = {"python": platform.python_version(), "keras": keras.__version__, "backend": keras.config.backend()}
    for name in ("jax", "jaxlib", "torch", "numpy"):
        versions[name] = _version(name)
    return {"what": "issue 25, GPU round 2 (benchmarks/gpu_round2.py)", "smoke": args.smoke,
            "command": "python " + " ".join(sys.argv),
            "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
            "device": {"nvidia_smi": smi, "driver": smi.get("driver_version")},
            "host": {"cpu_cores": os.cpu_count(), "platform": platform.platform()},
            "versions": versions, "commit": args.commit or gpu.git_commit(), "zip": args.zip}  # fmt: skip


def _version(name: str) -> str | None:
    import importlib.metadata

    try:
        return importlib.metadata.version(name)
    except importlib.metadata.PackageNotFoundError:
        return None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("steps", nargs="+", help="mini200, speedrun, throughput (or an internal _step)")
    parser.add_argument("--zip", default=None, help="the data set of this call (official layout)")
    parser.add_argument("--out", default=None, help="default: benchmarks/results/gpu_round2_<device>.json")
    parser.add_argument("--commit", default=os.environ.get("TINYLIB_COMMIT"), help="tinylib commit measured")
    parser.add_argument("--smoke", action="store_true", help="tiny sizes on any CPU; output to a temporary folder")
    args = parser.parse_args()
    if args.steps[0] in ("_speedrun", "_throughput"):
        return {"_speedrun": _speedrun, "_throughput": _throughput}[args.steps[0]](args)
    result = header(args)
    slug = "smoke" if args.smoke else result["device"]["nvidia_smi"].get("name", "cpu").split()[-1].lower()
    folder = Path(tempfile.gettempdir()) if args.smoke else HERE / "results"
    out = Path(args.out) if args.out else folder / f"gpu_round2_{slug}.json"
    if out.is_file():  # the second call adds its steps to the first call's JSON
        result = {**json.loads(out.read_text()), **{k: v for k, v in result.items() if k != "zip"}}
    recorder = gpu.Recorder([out], result)
    for step in args.steps:
        begun = now()
        try:
            {"mini200": mini200, "speedrun": speedrun, "throughput": throughput}[step](args, result, recorder)
        except Exception as error:  # record and go on: one failing step must not lose the others
            result.setdefault("errors", []).append({"step": step, "error": f"{type(error).__name__}: {error}"[-1500:]})
        result.setdefault("seconds", {})[step] = round(now() - begun, 1)
        recorder.save()
    say(f"wrote {out}")


if __name__ == "__main__":
    main()
