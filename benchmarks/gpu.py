"""GPU proof of the kit on Keras' JAX backend: throughput, time to accuracy, full-size projection.

    KERAS_BACKEND=jax python benchmarks/gpu.py --commit $(git rev-parse HEAD)      # <= 8 min on an H200
    KERAS_BACKEND=jax python benchmarks/gpu.py --smoke                            # a few minutes, any CPU

Written for a machine with JAX but no TensorFlow and no internet (the H200 lent to this
project): needs numpy, pillow, tqdm, keras 3 and tinylib importable; nothing is downloaded.
Every number it writes ran on Keras' JAX backend (learners on Colab use TensorFlow).

One JSON (default benchmarks/results/gpu_<device>.json, also copied into every --also folder
after each step, so that a run stopped by a time limit still leaves what it measured) with:

1. throughput: steady-state training images/s after compilation (compile time apart) of
   full-width ResNet-18 (width 64, 3x3 "cifar" stem, as the full profile) and seed_net, with
   the train step `tinylib.train.fit` builds: `AugmentingModel` + flip_crop on the device (or
   `PackedBatches` augmenting on the host), `fast`'s optimizer and loss, XLA (jax.jit), uint8
   batches from `PackedBatches`; float32 vs mixed_bfloat16, batch 256/512/1024 (a subset of
   the full matrix, named in the JSON); achieved TFLOP/s = img/s x 3 x 2 x count_flops(model)
   as a share of the chip's dense bf16 peak (datasheet) and of a bf16 matmul measured here;
2. time to accuracy on tiny-imagenet-20 (10,000 train / 1,000 val): `tinylib.train.fit` itself
   (its checkpoints, validation and final evaluation included), full-width ResNet-18,
   mixed_bfloat16, augmentation on the device; val top-1 on all val images after every epoch
   against wall-clock seconds since the call (data preparation counted apart), for `baseline`
   and a few candidate settings of `fast` (--fast NAME:field=value,...);
3. full-size projection: seconds per epoch on 100,000 random 64x64 uint8 images through the
   same loader and compiled step, hence minutes for 100 epochs of Tiny ImageNet-200; GPU memory
   (jax memory_stats peak_bytes_in_use).

Steps run in order while --budget seconds allow (a step expected to overrun is skipped and
listed as skipped). Batch sizes for `fit` divide 10,000 (125, 250, 500): with a remainder,
fit's `steps_per_epoch` on a Keras PyDataset runs every other epoch as a single (partial)
batch on JAX and PyTorch (see the JSON's notes).

--smoke on a CPU with jax 0.11.2 prints val loss NaN for the mixed_bfloat16 runs: XLA:CPU
computes a wrong (NaN) global average pool in bfloat16 there (jax 0.10.2 does not; the kit
trains in float32 on CPUs, and the H200 run is unaffected). It only checks the script.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime
import gc
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import types
from pathlib import Path

os.environ.setdefault("KERAS_BACKEND", "jax")
HERE = Path(__file__).resolve().parent
ROOT = HERE.parent

# Published dense (no sparsity) peaks, TFLOP/s. H200 SXM: NVIDIA's H200 datasheet (BF16 Tensor
# Core 1,979 TFLOP/s with sparsity, half that dense). T4: NVIDIA's T4 datasheet (FP16 mixed).
PEAK_BF16_TFLOPS = {"H200": 989.0, "H100": 989.0, "A100": 312.0, "T4": 65.0, "L4": 121.0}


def kit() -> types.SimpleNamespace:
    """Everything this script takes from tinylib, in one place (modules are being moved:
    update the imports here and nowhere else)."""
    from tinylib.data import Augmenter, batches, load_packed, prepare
    from tinylib.models import count_flops, resnet18, seed_net
    from tinylib.train import TrainingData, evaluate, fit, recipe

    try:
        from tinylib.runtime import precision_policy, use_precision
    except ImportError:  # moved after df46d00 (the commit measured in results/gpu_h200.json)
        from tinylib.train.devices import precision_policy, use_precision
    from tinylib.train.on_device import AugmentingModel

    return types.SimpleNamespace(
        Augmenter=Augmenter,
        batches=batches,
        load_packed=load_packed,
        prepare=prepare,
        count_flops=count_flops,
        resnet18=resnet18,
        seed_net=seed_net,
        precision_policy=precision_policy,
        use_precision=use_precision,
        TrainingData=TrainingData,
        evaluate=evaluate,
        fit=fit,
        recipe=recipe,
        AugmentingModel=AugmentingModel,
    )


# The subset of the throughput matrix measured (in this order, while the budget lasts):
# (model, policy, batch, augmentation place). "tta:..." steps are fit runs on tiny-imagenet-20.
PLAN = (
    ("resnet18", "mixed_bfloat16", 512, "device"),  # + fit-like per-step sync, + the 100k projection
    "tta:fast:A",
    ("resnet18", "float32", 512, "device"),
    ("resnet18", "mixed_bfloat16", 512, "host"),
    "tta:baseline",
    "tta:fast:B",
    ("seed_net", "mixed_bfloat16", 512, "device"),
    ("seed_net", "float32", 512, "device"),
    ("resnet18", "mixed_bfloat16", 256, "device"),
    ("resnet18", "mixed_bfloat16", 1024, "device"),
    "tta:fast:C",
)
# Candidate settings of the `fast` recipe (fields of tinylib.train.Recipe); --fast replaces them.
FAST_CANDIDATES = {
    "A": "batch_size=500,learning_rate=0.4,epochs=16",
    "B": "batch_size=250,learning_rate=0.2,epochs=20",
    "C": "batch_size=250,learning_rate=0.2,epochs=30",
}
BASELINE = "epochs=30,batch_size=125"  # the textbook recipe, shortened from 100 epochs; 125 divides 10,000


def parse_fields(text: str) -> dict:
    """ "epochs=16,learning_rate=0.4,schedule=onecycle" -> {"epochs": 16, ...}."""
    fields = {}
    for item in filter(None, (part.strip() for part in text.split(","))):
        key, _, value = item.partition("=")
        try:
            fields[key.strip()] = json.loads(value)
        except json.JSONDecodeError:
            fields[key.strip()] = value.strip()
    return fields


def now() -> float:
    return time.perf_counter()


def nvidia_smi() -> dict:
    query = "name,driver_version,memory.total,clocks.max.sm,power.limit"
    try:
        out = subprocess.run(
            ["nvidia-smi", f"--query-gpu={query}", "--format=csv,noheader"], capture_output=True, text=True, timeout=20
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return {}
    values = [value.strip() for value in out.splitlines()[0].split(",")] if out else []
    return dict(zip(query.split(","), values))


def git_commit() -> str:
    try:
        return (
            subprocess.run(
                ["git", "rev-parse", "HEAD"], capture_output=True, text=True, cwd=ROOT, timeout=10
            ).stdout.strip()
            or "unknown"
        )
    except (OSError, subprocess.SubprocessError):
        return "unknown"


def memory() -> dict:
    """Bytes in use on the first device, from JAX's allocator (peak since the process started)."""
    import jax

    stats = jax.devices()[0].memory_stats() or {}
    return {key: stats.get(key) for key in ("peak_bytes_in_use", "bytes_in_use", "bytes_limit") if key in stats}


def gib(value) -> float | None:
    return None if value is None else round(value / 2**30, 2)


def matmul_tflops(dtype: str, size: int, reps: int) -> float:
    """TFLOP/s of a size^3 matrix product in JAX (default precision), after a warm-up."""
    import jax
    import jax.numpy as jnp

    a = jnp.ones((size, size), dtype)
    b = jnp.ones((size, size), dtype) * 0.5
    product = jax.jit(lambda x, y: x @ y)
    product(a, b).block_until_ready()
    started = now()
    for _ in range(reps):
        out = product(a, b)
    out.block_until_ready()
    return round(2 * size**3 * reps / (now() - started) / 1e12, 1)


class Recorder:
    """The JSON, rewritten after every step to every output path."""

    def __init__(self, paths: list[Path], result: dict):
        self.paths, self.result = paths, result

    def save(self) -> None:
        text = json.dumps(self.result, indent=2) + "\n"
        for path in self.paths:
            path.parent.mkdir(parents=True, exist_ok=True)
            temporary = path.with_suffix(".tmp")
            temporary.write_text(text)
            os.replace(temporary, path)


def say(message: str) -> None:
    print(f"[gpu.py {time.strftime('%H:%M:%S')}] {message}", flush=True)


def main() -> None:  # noqa: C901 (one linear script)
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--zip", default=None, help="tiny-imagenet-20.zip (default: .gpu/data, then ../shared/data)")
    parser.add_argument("--out", default=None, help="the JSON (default: benchmarks/results/gpu_<device>.json)")
    parser.add_argument("--also", action="append", default=[], help="a folder that gets a copy of the JSON")
    parser.add_argument("--commit", default=os.environ.get("TINYLIB_COMMIT"), help="tinylib commit measured")
    parser.add_argument("--budget", type=float, default=470.0, help="seconds for all steps (skips what won't fit)")
    parser.add_argument("--only", default=None, help="comma-separated step names (see PLAN) to run, in this order")
    parser.add_argument("--fast", action="append", default=[], help="NAME:field=value,... a fast candidate")
    parser.add_argument("--baseline", default=BASELINE, help="field=value,... changes to the baseline preset")
    parser.add_argument(
        "--smoke", action="store_true", help="tiny sizes and a narrow ResNet: checks the script on a CPU"
    )
    args = parser.parse_args()
    started = now()

    import jax
    import keras
    import numpy as np

    k = kit()
    smoke = args.smoke
    candidates = dict(FAST_CANDIDATES)
    if args.fast:
        candidates = dict(item.split(":", 1) for item in args.fast)
    width = 8 if smoke else 64

    device = jax.devices()[0]
    device_name = getattr(device, "device_kind", device.platform)
    chip = next((name for name in PEAK_BF16_TFLOPS if name in device_name), None)
    smi = nvidia_smi()
    slug = (chip or device.platform).lower()
    out = Path(args.out) if args.out else (HERE / "results" / f"gpu_{slug}.json")
    if smoke and not args.out:
        out = Path(tempfile.gettempdir()) / "gpu-smoke.json"
    paths = [out, *(Path(folder) / out.name for folder in args.also)]
    result: dict = {
        "what": "tinylib on a GPU: throughput, time to accuracy, full-size projection (benchmarks/gpu.py)",
        "backend_note": "every number ran on Keras' JAX backend (jax.jit/XLA); learners on Colab use TensorFlow",
        "command": "KERAS_BACKEND=" + os.environ["KERAS_BACKEND"] + " python " + " ".join(sys.argv),
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "smoke": smoke,
        "device": {
            "name": device_name,
            "platform": device.platform,
            "count": jax.device_count(),
            "nvidia_smi": smi,
            "driver": smi.get("driver_version"),
        },
        "host": {"cpu_cores": os.cpu_count(), "platform": platform.platform()},
        "versions": {
            "python": platform.python_version(),
            "jax": jax.__version__,
            "jaxlib": getattr(__import__("jaxlib"), "__version__", None),
            "keras": keras.__version__,
            "numpy": np.__version__,
            "backend": keras.config.backend(),
        },
        "tinylib": {
            "commit": args.commit or git_commit(),
            "source": str(Path(sys.modules["tinylib"].__file__).parent),
        },
        "budget_seconds": args.budget,
        "plan": [step if isinstance(step, str) else ":".join(map(str, ("tput", *step))) for step in PLAN],
        "fast_candidates": candidates,
        "baseline_changes": parse_fields(args.baseline),
        "notes": [
            "fit() batch sizes divide 10,000 (125, 250, 500): with a remainder, fit's steps_per_epoch = N // batch "
            "over a PackedBatches of ceil(N / batch) batches makes Keras run every other epoch as one (partial) "
            "batch on JAX and PyTorch (its epoch iterator carries the unfinished pass over), and the partial "
            "batch's new shape compiles the train step again",
        ],
    }
    recorder = Recorder(paths, result)
    say(
        f"{device_name} ({smi.get('driver_version', 'no nvidia-smi')}), "
        f"keras {keras.__version__}, jax {jax.__version__}"
    )

    # --- peak: published and measured -------------------------------------------------
    measured = {}
    if device.platform == "gpu" and not smoke:
        measured = {
            "bf16_matmul_8192": matmul_tflops("bfloat16", 8192, 20),
            "fp32_matmul_8192_default_precision": matmul_tflops("float32", 8192, 5),
        }
    published = PEAK_BF16_TFLOPS.get(chip) if chip else None
    result["peak"] = {
        "published_dense_bf16_tflops": published,
        "published_source": "NVIDIA H200 datasheet (SXM): 1,979 TFLOP/s BF16 with sparsity, 989 dense"
        if chip == "H200"
        else None,
        "measured_tflops": measured,
        "share_of_peak_uses": "published dense bf16 (the usual MFU convention); the measured matmul's share too",
    }
    say(f"peak: published {published}, measured {measured}")
    recorder.save()

    # --- data ----------------------------------------------------------------------------
    zip_path = args.zip
    for candidate in (ROOT / ".gpu/data/tiny-imagenet-20.zip", ROOT.parent / "shared/data/tiny-imagenet-20.zip"):
        if zip_path is None and candidate.is_file():
            zip_path = str(candidate)
    scratch = Path(tempfile.mkdtemp(prefix="tinylib-gpu-"))
    t0 = now()
    root = k.prepare(zip_path, scratch / "data", progress=False)
    t1 = now()
    data = k.TrainingData.from_root(root, progress=False)
    data = dataclasses.replace(  # into memory: the page cache of a fresh machine is not what we measure
        data, train_images=np.ascontiguousarray(data.train_images), val_images=np.ascontiguousarray(data.val_images)
    )
    t2 = now()
    if smoke:
        data = data.subset(train=500, val=100)
    result["data"] = {
        "zip": zip_path,
        "classes": data.num_classes,
        "train_images": int(len(data.train_images)),
        "val_images": int(len(data.val_images)),
        "prepare_seconds": round(t1 - t0, 1),
        "pack_seconds": round(t2 - t1, 1),
        "note": "data preparation (extract + verify, then decode into the packed uint8 cache) is not in any time below",
    }
    say(f"data: {result['data']}")
    recorder.save()

    # Random uint8 images for throughput and the projection (content does not change the speed).
    pool_size = 512 if smoke else 100_000
    rng = np.random.default_rng(0)
    pool = np.frombuffer(rng.bytes(pool_size * 64 * 64 * 3), np.uint8).reshape(pool_size, 64, 64, 3)
    pool_labels = rng.integers(0, 200, pool_size).astype(np.int32)

    class EpochClock(keras.callbacks.Callback):
        """Epoch start/end on the wall clock (no batch hooks, so Keras keeps async dispatch)."""

        def __init__(self, origin: float | None = None):
            super().__init__()
            self.origin, self.rows = origin, []

        def on_train_begin(self, logs=None):
            if self.origin is None:
                self.origin = now()

        def on_epoch_begin(self, epoch, logs=None):
            self.begun = now()

        def on_epoch_end(self, epoch, logs=None):
            values = {key: round(float(value), 4) for key, value in (logs or {}).items()}
            end = now()
            self.rows.append({"epoch": epoch + 1, "seconds": end - self.begun, "wall": end - self.origin, **values})

    def fresh(policy: str):
        keras.backend.clear_session()
        gc.collect()
        k.use_precision(policy)

    def build(name: str, classes: int):
        if name == "seed_net":
            return k.seed_net(num_classes=classes)
        return k.resnet18(num_classes=classes, width=width, stem="cifar")

    def train_step_model(model, place: str, batch: int, steps: int, classes: int):
        """What fit() compiles: the AugmentingModel (device) or the model (host), fast's optimizer and loss, XLA."""
        plan = k.recipe("fast", batch_size=batch)
        trained = model
        if place == "device":
            trained = k.AugmentingModel(model, k.Augmenter(plan.augment, classes, plan.seed, jit=False))
            trained.build((None, 64, 64, 3))
        trained.compile(
            jit_compile=True,
            optimizer=plan.make_optimizer(steps),
            loss=keras.losses.CategoricalCrossentropy(label_smoothing=plan.label_smoothing),
            metrics=[keras.metrics.CategoricalAccuracy(name="accuracy")],
        )
        return trained

    def loader(images, labels, batch: int, place: str, classes: int):
        host = place == "host"
        return k.batches(
            images,
            labels,
            batch_size=batch,
            augment="flip_crop" if host else "none",
            num_classes=classes,
            shuffle=True,
            one_hot=True,
            scale=host,
            loader="py_dataset",  # the PyDataset on every backend (loader_rate indexes it)
        )

    def loader_rate(batches, count: int) -> float:
        """Images/s of the loader alone (no training): what the host can feed."""
        begun = now()
        for index in range(count):
            batches[index]
        return round(count * batches.batch_size / (now() - begun), 1)

    estimates = {"compile": 45.0 if not smoke else 30.0, "ips": {}, "epoch_wall": {}}
    flops_per_image: dict[str, int] = {}

    def share(ips: float, model_name: str) -> dict:
        train = 6 * flops_per_image[model_name]  # 2 FLOPs per MAC, backward ~ 2x forward
        achieved = ips * train / 1e12
        shares = {"achieved_tflops": round(achieved, 1)}
        if published:
            shares["share_of_published_peak"] = round(achieved / published, 3)
        if measured.get("bf16_matmul_8192"):
            shares["share_of_measured_bf16_matmul"] = round(achieved / measured["bf16_matmul_8192"], 3)
        return shares

    throughput: dict = {
        "how": "model.fit on PackedBatches of random uint8 64x64 images (200 classes), the train step fit() builds; "
        "epoch 1 includes the compile; steady img/s = images per epoch / median of the later epochs; "
        "compile seconds = epoch 1 - one steady epoch. augment_on=host: PackedBatches runs the Augmenter "
        "(jax.jit) on JAX's default device, the GPU, and copies float32 batches back to numpy, which fit then "
        "sends to the GPU again; augment_on=device: uint8 batches in, AugmentingModel crops/flips in the step",
        "flops_note": "train FLOPs/image = 3 x forward = 3 x 2 x count_flops (MACs of Conv2D and Dense)",
        "results": [],
        "skipped": [],
    }
    result["throughput"] = throughput
    tta: dict = {
        "how": "tinylib.train.fit(model, tiny-imagenet-20, recipe, workdir, augment_on='device') with mixed_bfloat16, "
        "full-width ResNet-18; wall = seconds since the fit call (compile, validation, checkpoints included); "
        "val_top1 = fit's val accuracy on all 1,000 val images after each epoch (no test-time flip); "
        "final_val = fit's final evaluation (test-time flip as the recipe says)",
        "runs": [],
        "skipped": [],
    }
    result["time_to_accuracy"] = tta

    def remaining() -> float:
        return args.budget - (now() - started)

    def run_throughput(model_name: str, policy: str, batch: int, place: str) -> None:
        if smoke:
            batch = max(batch // 32, 8)
        per_epoch = 8192 // batch * batch
        if smoke:  # seed_net is full size (2.6 G multiply-adds per image): one step per epoch on a CPU
            per_epoch = batch if model_name == "seed_net" else 2 * batch
        guess = estimates["ips"].get((model_name, policy), 3000.0 if not smoke else 20.0)
        expected = estimates["compile"] + 3 * per_epoch / guess + 5
        name = f"tput:{model_name}:{policy}:{batch}:{place}"
        if expected > remaining():
            throughput["skipped"].append(
                {"step": name, "expected_seconds": round(expected), "left": round(remaining())}
            )
            say(f"skip {name}: expected {expected:.0f} s, {remaining():.0f} s left")
            return
        say(f"{name}: building")
        fresh(policy)
        model = build(model_name, 200)
        flops_per_image.setdefault(model_name, k.count_flops(model))
        steps = per_epoch // batch
        trained = train_step_model(model, place, batch, steps, 200)
        batches = loader(pool[:per_epoch], pool_labels[:per_epoch], batch, place, 200)
        clock = EpochClock()
        trained.fit(batches, epochs=3, verbose=0, callbacks=[clock])
        steady = statistics.median(row["seconds"] for row in clock.rows[1:])
        ips = per_epoch / steady
        compile_seconds = clock.rows[0]["seconds"] - steady
        estimates["compile"] = max(compile_seconds, 5.0)
        estimates["ips"][(model_name, policy)] = ips
        row = {
            "model": model.name,
            "parameters": int(model.count_params()),
            "macs_per_image": flops_per_image[model_name],
            "policy": policy,
            "batch": batch,
            "augment_on": place,
            "images_per_epoch": per_epoch,
            "epoch_seconds": [round(r["seconds"], 3) for r in clock.rows],
            "compile_seconds": round(compile_seconds, 1),
            "images_per_second": round(ips, 1),
            **share(ips, model_name),
            "loader_only_images_per_second": loader_rate(batches, min(steps, 8)),
        }
        if (
            model_name == "resnet18"
            and policy == "mixed_bfloat16"
            and batch == (16 if smoke else 512)
            and place == "device"
        ):
            # fit() registers callbacks with per-batch hooks (TerminateOnNaN, ModelCheckpoint, BackupAndRestore):
            # Keras then turns every step's logs into Python numbers, a device sync per step.
            sync = EpochClock()
            trained.fit(batches, epochs=2, verbose=0, callbacks=[sync, keras.callbacks.TerminateOnNaN()])
            row["images_per_second_with_per_step_sync"] = round(
                per_epoch / statistics.median(r["seconds"] for r in sync.rows), 1
            )
            row["per_step_sync_note"] = "same step with TerminateOnNaN added (a batch hook, as in tinylib.train.fit)"
            # The full-size projection: 100,000 images through the same loader and compiled step.
            full = (pool_size // batch) * batch
            projection_batches = loader(pool[:full], pool_labels[:full], batch, place, 200)
            projection = EpochClock()
            trained.fit(projection_batches, epochs=1, verbose=0, callbacks=[projection])
            synced = EpochClock()
            trained.fit(projection_batches, epochs=1, verbose=0, callbacks=[synced, keras.callbacks.TerminateOnNaN()])
            per_100k = projection.rows[0]["seconds"] * 100_000 / full
            per_100k_synced = synced.rows[0]["seconds"] * 100_000 / full
            result["projection"] = {
                "what": "one epoch of Tiny ImageNet-200 (100,000 train images, 64x64, 200 classes): random uint8 "
                "images through PackedBatches and the compiled step above (resnet18 w64, mixed_bfloat16, "
                f"batch {batch}, flip_crop on the device)",
                "images": full,
                "epoch_seconds_train_only": round(per_100k, 2),
                "epoch_seconds_with_per_step_sync": round(per_100k_synced, 2),
                "minutes_100_epochs_train_only": round(100 * per_100k / 60, 1),
                "minutes_100_epochs_with_per_step_sync": round(100 * per_100k_synced / 60, 1),
                "not_included": "validation (10,000 val images per epoch) and fit()'s checkpoint writes: "
                "see time_to_accuracy's per-epoch overhead",
                "memory_after": {key: gib(value) for key, value in memory().items()},
            }
            say(f"projection: {result['projection']}")
        row["memory_gib_after"] = {key: gib(value) for key, value in memory().items()}
        throughput["results"].append(row)
        say(
            f"{name}: {row['images_per_second']} img/s, compile {row['compile_seconds']} s, "
            f"{row['achieved_tflops']} TFLOP/s, loader {row['loader_only_images_per_second']} img/s"
        )
        del trained, model, batches
        recorder.save()

    def run_fit(label: str, plan) -> None:
        batch_time = estimates["epoch_wall"].get(plan.batch_size) or max(estimates["epoch_wall"].values(), default=2.0)
        if smoke:
            batch_time = estimates["epoch_wall"].get(plan.batch_size, 10.0)
        expected = estimates["compile"] + 15 + plan.epochs * batch_time
        name = f"tta:{label}"
        if expected > remaining():
            tta["skipped"].append({"step": name, "recipe": dataclasses.asdict(plan),
                                   "expected_seconds": round(expected), "left": round(remaining())})  # fmt: skip
            say(f"skip {name}: expected {expected:.0f} s, {remaining():.0f} s left")
            return
        say(f"{name}: {dataclasses.asdict(plan)}")
        fresh("mixed_bfloat16")
        model = build("resnet18", data.num_classes)
        workdir = Path(tempfile.mkdtemp(prefix=f"fit-{label.replace(':', '-')}-", dir=scratch))
        clock = EpochClock(origin=now())
        begun = clock.origin
        # max_minutes: fit stops cleanly after the epoch in which the rest of the budget ran out
        run = k.fit(
            model, data, plan, workdir, verbose=0, callbacks=[clock], augment_on="device",
            max_minutes=max(remaining() - 20, 10) / 60,
        )  # fmt: skip
        total = now() - begun
        rows = clock.rows
        steady = statistics.median(r["seconds"] for r in rows[1:]) if len(rows) > 1 else rows[0]["seconds"]
        compile_seconds = rows[0]["seconds"] - steady
        overhead = [  # between epochs: fit's checkpoint writes (best.keras, last.keras, backup/) and callbacks
            rows[i]["wall"] - rows[i - 1]["wall"] - rows[i]["seconds"] for i in range(1, len(rows))
        ]
        curve, running = [], 0.0
        for r in rows:
            running += r["seconds"]
            curve.append({
                "epoch": r["epoch"],
                "wall": round(r["wall"], 2),
                "epoch_seconds": round(r["seconds"], 3),
                "epochs_sum_minus_compile": round(running - compile_seconds, 2),
                "val_top1": r.get("val_accuracy"),
                "val_top5": r.get("val_top5"),
                "train_accuracy": r.get("accuracy"),
                "loss": r.get("loss"),
            })  # fmt: skip
        reached = {}
        for level in (0.5, 0.6, 0.7, 0.75):
            hit = next((c for c in curve if (c["val_top1"] or 0) >= level), None)
            keys = ("epoch", "wall", "epochs_sum_minus_compile")
            reached[f"{int(level * 100)}%"] = {key: hit[key] for key in keys} if hit else None
        steps = run.get("steps_per_epoch") or len(data.train_images) // plan.batch_size
        entry = {
            "label": label,
            "recipe": dataclasses.asdict(plan),
            "status": run.get("status"),
            "epochs_done": run.get("epochs_done"),
            "steps_per_epoch": steps,
            "augment_on": run.get("device_plan", {}).get("augment_on"),
            "jit_compile": run.get("device_plan", {}).get("jit_compile"),
            "compile_seconds_in_epoch_1": round(compile_seconds, 1),
            "steady_epoch_seconds": round(steady, 3),
            "steady_train_images_per_second": round(steps * plan.batch_size / steady, 1),
            "between_epoch_overhead_seconds_median": round(statistics.median(overhead), 3) if overhead else None,
            "wall_seconds_total": round(total, 1),
            "wall_seconds_at_last_epoch": round(rows[-1]["wall"], 1),
            "final_val": run.get("val"),
            "best_val_top1": max((c["val_top1"] or 0) for c in curve),
            "seconds_to": reached,
            "curve": curve,
        }
        tta["runs"].append(entry)
        estimates["epoch_wall"][plan.batch_size] = (rows[-1]["wall"] - rows[0]["wall"]) / max(len(rows) - 1, 1)
        estimates["compile"] = max(compile_seconds, 5.0)
        say(
            f"{name}: final {run.get('val')}, reached {reached}, total {total:.1f} s, compile {compile_seconds:.1f} s, "
            f"steady epoch {steady:.2f} s, overhead {entry['between_epoch_overhead_seconds_median']} s/epoch"
        )
        shutil.rmtree(workdir, ignore_errors=True)
        del model
        recorder.save()

    def plan_for(step: str):
        _, name, *rest = step.split(":")
        if name == "baseline":
            changes = parse_fields(args.baseline)
        else:
            changes = parse_fields(candidates[rest[0]])
        if smoke:
            changes.update(epochs=2, batch_size=50 if name == "fast" else 25)
        return f"{name}:{rest[0]}" if rest else name, k.recipe(name, **changes)

    steps = [s if isinstance(s, str) else ":".join(map(str, ("tput", *s))) for s in PLAN]
    if args.fast:  # candidates given on the command line: run each of them
        steps = [s for s in steps if not s.startswith("tta:fast:")]
        steps[2:2] = [f"tta:fast:{name}" for name in candidates]
    if args.only:
        steps = [s.strip() for s in args.only.split(",") if s.strip()]
    result["steps"] = steps
    for step in steps:
        try:
            if step.startswith("tput:"):
                _, model_name, policy, batch, place = step.split(":")
                run_throughput(model_name, policy, int(batch), place)
            elif step.startswith("tta:"):
                run_fit(*plan_for(step))
            else:
                raise ValueError(f"unknown step {step!r}")
        except Exception as error:  # record and go on: one failing configuration must not lose the others
            import traceback

            traceback.print_exc()
            result.setdefault("errors", []).append({"step": step, "error": f"{type(error).__name__}: {error}"})
            recorder.save()
    result["memory_gib_peak"] = {key: gib(value) for key, value in memory().items()}
    result["seconds_used"] = round(now() - started, 1)
    recorder.save()
    say(f"done in {result['seconds_used']} s: {out}")


if __name__ == "__main__":
    main()
