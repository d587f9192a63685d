"""Input-pipeline benchmark: images/second from Tiny ImageNet JPEGs to augmented float batches.

Compares, within one run (ratios are what to trust on a noisy machine):
  (a) the seed notebook's approach: legacy ImageDataGenerator.flow_from_directory with rescale,
      rotation 30, shifts 0.1 and horizontal flips (it needs scipy, which tinylib does not
      depend on: `pip install scipy` to run it; without scipy, or with --seed-pipeline pil, an
      equivalent PIL loop runs instead and the output says so);
  (b) tf.data: read + decode JPEG + flip_crop, every epoch;
  (c) tf.data with .cache(): decoded once, then flip_crop from memory;
  (d) the packed cache (`tinylib data pack`) + flip_crop (tf.data, and the any-backend
      PyDataset), + the "strong" preset, and how fast the packed cache is built.

Usage (from the repository root; the dataset is prepared in a temporary folder outside it):
    .venv/bin/python benchmarks/input_pipeline.py --zip ../shared/data/tiny-imagenet-20.zip
"""

from __future__ import annotations

import argparse
import datetime
import os
import platform
import shutil
import tempfile
import time
from pathlib import Path

import numpy as np

import tinylib
from tinylib.data import batches, load_packed, pack, prepare, read_layout

ROOT = Path(__file__).resolve().parents[1]


def _rate(batches, warmup: int = 3, seconds: float = 2.0, windows: int = 3) -> float:
    """Images per second of an iterator of (images, labels) batches: the median of
    `windows` timed windows of at least `seconds` each, after `warmup` batches (compiling,
    filling caches). Long windows keep prefetch buffers from inflating the numbers."""
    iterator = iter(batches)
    for _ in range(warmup):
        next(iterator)
    rates = []
    for _ in range(windows):
        images, start = 0, time.perf_counter()
        while (elapsed := time.perf_counter() - start) < seconds:
            images += len(next(iterator)[0])
        rates.append(images / elapsed)
    return float(np.median(rates))


def _pil_seed_batches(files: list[Path], batch_size: int):
    """The seed's augmentation without Keras' legacy generator: PIL rotate +-30 degrees,
    shift +-10 %, random horizontal flip, rescale to [0, 1], one image after another."""
    from PIL import Image

    rng = np.random.default_rng(0)
    while True:
        chosen = rng.choice(len(files), batch_size, replace=False)
        batch = np.empty((batch_size, 64, 64, 3), np.float32)
        for row, index in enumerate(chosen):
            with Image.open(files[index]) as image:
                image = image.convert("RGB").resize((64, 64))
                dx, dy = rng.uniform(-6.4, 6.4, 2)
                image = image.rotate(rng.uniform(-30, 30), Image.Resampling.BILINEAR, translate=(dx, dy))
                if rng.uniform() < 0.5:
                    image = image.transpose(Image.Transpose.FLIP_LEFT_RIGHT)
                batch[row] = np.asarray(image, np.float32) / 255.0
        yield batch, None


def seed_rate(root: Path, files: list[Path], batch_size: int, seconds: float, how: str) -> tuple[float, str]:
    """(a) The seed's ImageDataGenerator pipeline, or the equivalent PIL loop without it."""
    import tensorflow as tf

    legacy = getattr(getattr(getattr(tf.keras, "preprocessing", None), "image", None), "ImageDataGenerator", None)
    try:
        import scipy  # noqa: F401  (the legacy generator needs it for rotation and shifts)
    except ImportError:
        legacy = None
    if how == "pil":
        legacy = None
    if legacy is None:
        return _rate(_pil_seed_batches(files, batch_size), warmup=1, seconds=seconds), "equivalent PIL loop"
    generator = legacy(
        rescale=1 / 255, rotation_range=30, width_shift_range=0.1, height_shift_range=0.1, horizontal_flip=True
    )
    flow = generator.flow_from_directory(
        root / "train", target_size=(64, 64), batch_size=batch_size, class_mode="sparse", seed=0
    )
    return _rate(flow, warmup=1, seconds=seconds), "tf.keras.preprocessing.image.ImageDataGenerator + scipy"


def machine() -> str:
    cpu = platform.processor() or "unknown CPU"
    info = Path("/proc/cpuinfo")
    if info.is_file():
        names = [
            line.split(":", 1)[1].strip() for line in info.read_text().splitlines() if line.startswith("model name")
        ]
        cpu = names[0] if names else cpu
    import keras
    import tensorflow as tf

    return (
        f"{cpu}, {os.cpu_count()} cores, {platform.system()} {platform.release()}, Python {platform.python_version()}, "
        f"TensorFlow {tf.__version__}, Keras {keras.__version__}, tinylib {tinylib.__version__}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--zip", default=str(ROOT.parent / "shared" / "data" / "tiny-imagenet-20.zip"))
    parser.add_argument("--workdir", default=None, help="where to prepare the data (default: a temporary folder)")
    parser.add_argument("--batch-size", type=int, default=256)
    parser.add_argument("--seconds", type=float, default=2.0, help="length of each of the 3 timed windows")
    parser.add_argument("--seed-pipeline", choices=("auto", "pil"), default="auto", help="(a): legacy generator or PIL")
    args = parser.parse_args()
    zip_path = Path(args.zip)
    if not zip_path.is_file():
        raise SystemExit(f"no zip at {zip_path}: pass --zip PATH (e.g. ../shared/data/tiny-imagenet-20.zip)")
    workdir = Path(args.workdir or tempfile.mkdtemp(prefix="tinylib-bench-"))
    try:
        run(zip_path, workdir, args.batch_size, args.seconds, args.seed_pipeline)
    finally:
        if args.workdir is None:
            shutil.rmtree(workdir, ignore_errors=True)


def run(zip_path: Path, workdir: Path, batch_size: int, seconds: float, seed_pipeline: str = "auto") -> None:
    start = time.perf_counter()
    root = prepare(zip_path, workdir, progress=False)
    prepare_seconds = time.perf_counter() - start
    info = read_layout(root)
    total = len(info.train_files) + len(info.val_files) + len(info.test_files)
    files, labels = info.train_files, info.train_labels
    options = {"batch_size": batch_size, "shuffle": True, "seed": 0, "repeat": True, "augment": "flip_crop"}
    rows = []

    rate, seed_how = seed_rate(root, list(files), batch_size, seconds, seed_pipeline)
    seed_name = "ImageDataGenerator.flow_from_directory" if "ImageDataGenerator" in seed_how else "PIL loop"
    rows.append((f"(a) seed: {seed_name}, rescale + rotation 30 + shifts 0.1 + flip", rate))
    decoded = batches(files, labels, **options)
    rows.append(("(b) tf.data: read + decode JPEG + flip_crop", _rate(decoded, seconds=seconds)))
    cached = batches(files, labels, cache=True, **options)
    one_pass = -(-len(files) // batch_size)
    rows.append(
        ("(c) tf.data + cache() (decoded once) + flip_crop", _rate(cached, warmup=one_pass + 2, seconds=seconds))
    )

    start = time.perf_counter()
    pack(root, force=True, progress=False)
    pack_rate = total / (time.perf_counter() - start)
    images, labels = load_packed(root, "train", build=False)
    packed = batches(images, labels, num_classes=info.num_classes, **options)
    rows.append(("(d) packed .npy + flip_crop (tf.data, crop/flip compiled with XLA)", _rate(packed, seconds=seconds)))
    strong = batches(images, labels, num_classes=info.num_classes, **{**options, "augment": "strong"})
    rows.append(("(d) packed .npy + strong (flip_crop, colour jitter, MixUp/CutMix)", _rate(strong, seconds=seconds)))
    py_dataset = batches(
        images, labels, batch_size=batch_size, augment="flip_crop", shuffle=True, seed=0, loader="py_dataset"
    )
    endless = (py_dataset[step % len(py_dataset)] for step in range(10**9))
    rows.append(("(d) packed .npy + flip_crop (PyDataset, any Keras backend)", _rate(endless, seconds=seconds)))

    baseline = rows[0][1]
    print(f"machine: {machine()}")
    print(f"date:    {datetime.date.today().isoformat()}")
    print(f"data:    {zip_path.name}: {len(files):,} train images, batch size {batch_size}; (a) ran {seed_how}")
    print(f"timing:  median of 3 windows of >= {seconds:g} s per pipeline, after warm-up")
    print(f"prepare: {prepare_seconds:.1f} s for {total:,} images (safe extraction + verify, every image decoded)\n")
    print("| pipeline | images/s | vs (a) |\n|---|---:|---:|")
    for name, rate in rows:
        print(f"| {name} | {rate:,.0f} | {rate / baseline:.1f}x |")
    build = f"pack build: `tinylib data pack` (decode all {total:,} JPEGs, {os.cpu_count()} threads)"
    print(f"| {build} | {pack_rate:,.0f} | {pack_rate / baseline:.1f}x |")


if __name__ == "__main__":
    main()
