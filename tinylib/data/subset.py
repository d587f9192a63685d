"""Real data at laptop size: a smaller dataset in the official layout, cut from a bigger one.

`make_subset(root, out, classes=N, train_per_class=K, val_per_class=V, seed=S)` (and
`tinylib data subset ROOT OUT ...`) picks N classes and, in each, K train and V val images at
random (seeded: the same arguments give the same subset), and writes them in the official
layout: wnids.txt, the chosen classes' lines of words.txt, train/<wnid>/images/ with its
<wnid>_boxes.txt, val/images/ with val/val_annotations.txt (boxes kept), and up to N x V test
images. The subset is built under a temporary name, verified (every image decoded), and only
then renamed to OUT, so an interrupted or failed run leaves nothing behind.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import numpy as np

from tinylib import files
from tinylib.data.layout import DatasetInfo
from tinylib.data.reader import read_layout


def _source(root: Path, progress: bool) -> DatasetInfo:
    """The layout of `root`: an official-layout folder, or a zip prepared first (`prepare`)."""
    if root.suffix.lower() == ".zip":
        from tinylib.data.archive import prepare

        root = prepare(root, decode=False, progress=progress)
    info = read_layout(root)
    if info.layout != "official":
        raise ValueError(
            f"{root} is not in the official Tiny ImageNet layout (no wnids.txt): pass the folder that holds it"
        )
    return info


def _pick(rng: np.random.Generator, labels: np.ndarray, label: int, count: int, split: str, wnid: str) -> np.ndarray:
    """Sorted indices of `count` images of class `label`, drawn without replacement."""
    where = np.flatnonzero(labels == label)
    if len(where) < count:
        raise ValueError(
            f"class {wnid} has {len(where)} {split} images, fewer than the {count} asked for: "
            f"ask for at most {len(where)} with --{split}-per-class"
        )
    return np.sort(rng.choice(where, count, replace=False))


def _box_line(names: list[str], box: np.ndarray) -> str:
    """One tab-separated annotation line: the names, then x0 y0 x1 y1."""
    return "\t".join([*names, *(str(int(value)) for value in box)])


def _write_class(info: DatasetInfo, build: Path, label: int, chosen: np.ndarray) -> None:
    """train/<wnid>/images/* and <wnid>_boxes.txt (lines only for images that had a box)."""
    wnid = info.wnids[label]
    images = build / "train" / wnid / "images"
    images.mkdir(parents=True)
    lines = []
    for index in chosen:
        source = info.train_files[index]
        shutil.copyfile(source, images / source.name)
        if info.train_boxes[index][0] >= 0:
            lines.append(_box_line([source.name], info.train_boxes[index]))
    files.write_atomically(build / "train" / wnid / f"{wnid}_boxes.txt", "".join(f"{line}\n" for line in lines))


def _write_val(info: DatasetInfo, build: Path, chosen: np.ndarray) -> None:
    """val/images/* and val/val_annotations.txt, in the source's order."""
    images = build / "val" / "images"
    images.mkdir(parents=True)
    lines = []
    for index in chosen:
        source = info.val_files[index]
        shutil.copyfile(source, images / source.name)
        lines.append(_box_line([source.name, info.wnids[info.val_labels[index]]], info.val_boxes[index]))
    files.write_atomically(build / "val" / "val_annotations.txt", "".join(f"{line}\n" for line in lines))


def _write_test(info: DatasetInfo, build: Path, rng: np.random.Generator, count: int) -> None:
    """test/images/: `count` test images drawn at random (none when the source has none)."""
    if not info.test_files:
        return
    (build / "test" / "images").mkdir(parents=True)
    for index in np.sort(rng.choice(len(info.test_files), min(len(info.test_files), count), replace=False)):
        shutil.copyfile(info.test_files[index], build / "test" / "images" / info.test_files[index].name)


def _write_classes(info: DatasetInfo, build: Path, labels: list[int]) -> None:
    """wnids.txt (the chosen classes, in the source's order) and their words.txt lines."""
    files.write_atomically(build / "wnids.txt", "".join(f"{info.wnids[label]}\n" for label in labels))
    files.write_atomically(build / "words.txt", "".join(f"{info.wnids[k]}\t{info.words[k]}\n" for k in labels))


def make_subset(
    root: str | os.PathLike,
    out: str | os.PathLike,
    classes: int,
    train_per_class: int,
    val_per_class: int,
    seed: int = 0,
    progress: bool = True,
) -> Path:
    """Write a verified official-layout subset of the dataset at `root` (a folder holding
    wnids.txt, or a zip in the official layout, prepared into $TINYLIB_DATA first) to the new
    folder `out`, and return `out`.

    classes: N classes drawn at random with `seed` (label order: the source's); train_per_class,
    val_per_class: images of each split per chosen class; test: up to N x V test images.
    Raises ValueError when a count is below 1 or above what the source holds (the message says
    the largest allowed), FileExistsError when `out` exists (it is never touched),
    DatasetError when the written subset does not verify; nothing is left behind then.
    """
    from tinylib.data.verify import DatasetError, verify

    if min(classes, train_per_class, val_per_class) < 1:
        raise ValueError("--classes, --train-per-class and --val-per-class must each be at least 1")
    out = Path(out).expanduser()
    if out.exists():
        raise FileExistsError(f"{out} already exists and was left as it is: pass a new folder for the subset")
    info = _source(Path(root).expanduser(), progress)
    if classes > info.num_classes:
        raise ValueError(
            f"{info.root} has {info.num_classes} classes, fewer than the {classes} asked for: "
            f"ask for at most {info.num_classes} with --classes"
        )
    rng = np.random.default_rng(seed)
    labels = sorted(int(k) for k in rng.choice(info.num_classes, classes, replace=False))
    with files.atomic_folder(out) as build:
        _write_classes(info, build, labels)
        val = []
        for label in labels:
            wnid = info.wnids[label]
            _write_class(info, build, label, _pick(rng, info.train_labels, label, train_per_class, "train", wnid))
            val.append(_pick(rng, info.val_labels, label, val_per_class, "val", wnid))
        _write_val(info, build, np.sort(np.concatenate(val)))
        _write_test(info, build, rng, classes * val_per_class)
        report = verify(build, progress=progress)
        if not report.ok:
            raise DatasetError(f"the subset of {info.root} does not verify: {report.problems[0]}")
    return out
