"""A synthetic Tiny ImageNet in the exact official layout, for CI, demos and offline learners.

Images come from `tinylib.data.drawing` (one textured, coloured shape per image over a
cluttered background; a share deliberately hard; a few stored as grayscale JPEGs, as in the
real set). Boxes are the true object boxes. Everything is deterministic from `seed`,
whatever the number of worker processes.
"""

from __future__ import annotations

import json
import os
import shutil
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
from PIL import Image

from tinylib import config, files
from tinylib.data.drawing import HARD_KINDS, render_image, synthetic_classes

MANIFEST = "synthetic.json"
DIFFICULTY_FILE = "difficulty.tsv"
GENERATOR_VERSION = 1
FULL_DISK_FIX = "free some space, or pass another folder"


@dataclass(frozen=True)
class SyntheticSpec:
    """Everything that determines a synthetic dataset; stored as synthetic.json in its root."""

    num_classes: int
    train_per_class: int
    val_per_class: int
    test_per_class: int
    seed: int = 0
    hard_fraction: float = 0.15
    grayscale_fraction: float = 0.02
    version: int = GENERATOR_VERSION


def _plan(spec: SyntheticSpec) -> list[dict]:
    """One entry per image: relative path, split, class index, difficulty, grayscale, seed."""
    classes = synthetic_classes(spec.num_classes)
    rng = np.random.default_rng([spec.seed, 0])
    entries = []
    for index, cls in enumerate(classes):
        for k in range(spec.train_per_class):
            entries.append({"path": f"train/{cls.wnid}/images/{cls.wnid}_{k}.JPEG", "split": "train", "label": index})
    val_labels = rng.permutation(np.repeat(np.arange(spec.num_classes), spec.val_per_class))
    entries += [
        {"path": f"val/images/val_{k}.JPEG", "split": "val", "label": int(label)} for k, label in enumerate(val_labels)
    ]
    test_labels = rng.permutation(np.repeat(np.arange(spec.num_classes), spec.test_per_class))
    entries += [
        {"path": f"test/images/test_{k}.JPEG", "split": "test", "label": int(label)}
        for k, label in enumerate(test_labels)
    ]
    for number, entry in enumerate(entries):
        hard = rng.uniform() < spec.hard_fraction
        entry["difficulty"] = str(HARD_KINDS[rng.integers(len(HARD_KINDS))]) if hard else "normal"
        entry["grayscale"] = bool(rng.uniform() < spec.grayscale_fraction)
        entry["other"] = int((entry["label"] + rng.integers(1, max(spec.num_classes, 2))) % spec.num_classes)
        entry["seed"] = [spec.seed, 1, number]
    return entries


def _render_entry(job: tuple[dict, int, str]) -> tuple[str, tuple[int, int, int, int]]:
    entry, num_classes, root = job
    classes = synthetic_classes(num_classes)
    rng = np.random.default_rng(entry["seed"])
    pixels, box = render_image(classes[entry["label"]], entry["difficulty"], rng, classes[entry["other"]])
    image = Image.fromarray(pixels)
    if entry["grayscale"]:
        image = image.convert("L")
    image.save(Path(root) / entry["path"], format="JPEG", quality=int(rng.integers(80, 95)))
    return entry["path"], box


def _progress(iterable: Iterator, total: int, show: bool) -> Iterator:
    if not show:
        return iterable
    from tqdm.auto import tqdm

    return tqdm(iterable, total=total, desc="synthetic images", unit="img")


def make_synthetic(
    root: str | os.PathLike | None = None,
    num_classes: int | None = None,
    train_per_class: int | None = None,
    val_per_class: int | None = None,
    test_per_class: int | None = None,
    seed: int = 0,
    hard_fraction: float = 0.15,
    grayscale_fraction: float = 0.02,
    workers: int | None = None,
    progress: bool = True,
) -> Path:
    """Write a synthetic dataset in the official Tiny ImageNet layout under `root`.

    Layout: wnids.txt, words.txt, train/<wnid>/images/<wnid>_<k>.JPEG with
    train/<wnid>/<wnid>_boxes.txt, val/images/val_<k>.JPEG with val/val_annotations.txt,
    test/images/test_<k>.JPEG; plus synthetic.json (the spec) and difficulty.tsv (which
    images are hard, and how). Images are 64x64 JPEGs, RGB or (a few) grayscale. Sizes left
    None are the active profile's (`config.Profile.synthetic_sizes`).

    root None: a folder named after the spec under `tinylib.config.extract_dir()`, e.g.
    ~/tinylib-data/synthetic-10c-500-50-50-s0, so different sizes never collide.
    Idempotent: if `root` already holds a dataset made with the same spec it is returned as
    is. The dataset is built in a temporary sibling folder and renamed into place, so an
    interrupted run never leaves a half-written dataset that looks complete (the next run
    removes its folder; worker processes exit with their parent). An existing `root` with
    other content is never touched: an error says what to do instead. Returns the root."""
    given = {"num_classes": num_classes, "train_per_class": train_per_class, "val_per_class": val_per_class,
             "test_per_class": test_per_class}  # fmt: skip
    spec = _spec(given, seed=seed, hard_fraction=hard_fraction, grayscale_fraction=grayscale_fraction)
    root = Path(root).expanduser() if root is not None else config.extract_dir() / default_name(spec)
    files.remove_leftovers(root.parent, root.name)  # what a killed run left
    if _already_made(root, spec):
        return root
    root.parent.mkdir(parents=True, exist_ok=True)
    build = files.partial_folder(root.parent, root.name)
    try:
        with files.disk_full_as_one_line(root.parent, "the synthetic dataset", FULL_DISK_FIX):
            _write_dataset(build, spec, workers, progress)
        try:
            os.replace(build, root)
        except OSError:  # another process (e.g. a second worker) finished the same dataset first
            if read_spec(root) != spec:
                raise
    finally:
        if build.exists():
            shutil.rmtree(build, ignore_errors=True)
    return root


def _already_made(root: Path, spec: SyntheticSpec) -> bool:
    """True when `root` holds this spec's dataset; False when it does not exist; otherwise
    FileExistsError (other content is never touched)."""
    if not root.exists():
        return False
    existing = read_spec(root)
    if existing == spec:
        return True
    found = "a synthetic dataset with another spec" if existing else "other files"
    raise FileExistsError(f"{root} already exists and holds {found}; pass another folder, or delete it to regenerate")


def _spec(sizes: dict, **rest) -> SyntheticSpec:
    """The spec for `sizes` (those None: the active profile's) and the other fields `rest`;
    raises ValueError for an unknown class count or a negative image count."""
    chosen = {**config.profile().synthetic_sizes(), **{key: value for key, value in sizes.items() if value is not None}}
    synthetic_classes(chosen["num_classes"])  # validates num_classes
    if min(chosen["train_per_class"], chosen["val_per_class"], chosen["test_per_class"]) < 0:
        raise ValueError("image counts per class must be >= 0")
    return SyntheticSpec(**chosen, **rest)


def default_name(spec: SyntheticSpec) -> str:
    """Folder name that encodes the sizes and seed: "synthetic-10c-500-50-50-s0"."""
    name = (
        f"synthetic-{spec.num_classes}c-{spec.train_per_class}-{spec.val_per_class}-{spec.test_per_class}-s{spec.seed}"
    )
    if (spec.hard_fraction, spec.grayscale_fraction) != (SyntheticSpec.hard_fraction, SyntheticSpec.grayscale_fraction):
        name += f"-h{spec.hard_fraction:g}-g{spec.grayscale_fraction:g}"
    return name


def synthetic_for_profile(profile: config.Profile | None = None, seed: int = 0, progress: bool = True) -> Path:
    """The synthetic dataset sized by a profile (default: the active one), made if absent."""
    profile = profile or config.profile()
    return make_synthetic(None, **profile.synthetic_sizes(), seed=seed, progress=progress)


def _write_dataset(build: Path, spec: SyntheticSpec, workers: int | None, progress: bool) -> None:
    classes = synthetic_classes(spec.num_classes)
    entries = _plan(spec)
    for cls in classes:
        (build / "train" / cls.wnid / "images").mkdir(parents=True)
    (build / "val" / "images").mkdir(parents=True)
    (build / "test" / "images").mkdir(parents=True)
    (build / "wnids.txt").write_text("".join(f"{cls.wnid}\n" for cls in classes))
    (build / "words.txt").write_text("\n".join(f"{cls.wnid}\t{cls.name}" for cls in classes))
    jobs = [(entry, spec.num_classes, str(build)) for entry in entries]
    workers = workers or min(os.cpu_count() or 1, 8)
    if workers > 1 and len(jobs) > 200:
        with ProcessPoolExecutor(workers, initializer=_die_with_parent, initargs=(os.getpid(),)) as pool:
            results = list(_progress(pool.map(_render_entry, jobs, chunksize=64), len(jobs), progress))
    else:
        results = list(_progress(map(_render_entry, jobs), len(jobs), progress))
    boxes = dict(results)
    for cls in classes:
        lines = [
            f"{Path(e['path']).name}\t" + "\t".join(map(str, boxes[e["path"]]))
            for e in entries
            if e["split"] == "train" and e["path"].startswith(f"train/{cls.wnid}/")
        ]
        (build / "train" / cls.wnid / f"{cls.wnid}_boxes.txt").write_text("".join(line + "\n" for line in lines))
    val_lines = [
        f"{Path(e['path']).name}\t{classes[e['label']].wnid}\t" + "\t".join(map(str, boxes[e["path"]]))
        for e in entries
        if e["split"] == "val"
    ]
    (build / "val" / "val_annotations.txt").write_text("".join(line + "\n" for line in val_lines))
    (build / DIFFICULTY_FILE).write_text(
        "path\tdifficulty\tgrayscale\n"
        + "".join(f"{e['path']}\t{e['difficulty']}\t{int(e['grayscale'])}\n" for e in entries)
    )
    (build / MANIFEST).write_text(json.dumps({"generator": "tinylib.data.synthetic", **asdict(spec)}, indent=2) + "\n")


def _die_with_parent(parent: int) -> None:
    """Worker initializer: exit as soon as the process that made the pool is gone (killed with
    SIGKILL it cannot stop its workers, which would otherwise wait for work forever)."""
    forked = os.getppid() == parent  # else a forkserver started us: ask whether `parent` still runs

    def watch() -> None:
        while (os.getppid() == parent) if forked else files.process_alive(parent):
            time.sleep(0.5)
        os._exit(1)

    threading.Thread(target=watch, name="die-with-parent", daemon=True).start()


def read_spec(root: str | os.PathLike) -> SyntheticSpec | None:
    """The spec a synthetic dataset was made with, or None if `root` is not one."""
    path = Path(root) / MANIFEST
    if not path.is_file():
        return None
    fields = json.loads(files.read_text(path))
    fields.pop("generator", None)
    try:
        return SyntheticSpec(**fields)
    except TypeError:
        return None


def read_difficulty(root: str | os.PathLike) -> dict[str, str]:
    """Map relative image path (e.g. "val/images/val_3.JPEG") -> "normal" or a HARD_KINDS entry."""
    rows = files.read_fields(Path(root) / DIFFICULTY_FILE)[1:]
    return {row[0]: row[1] for row in rows}
