"""Read a dataset in the official Tiny ImageNet layout into one small typed record.

The layout (official zip, the 10-class sample, the 20-class zip and the synthetic set):

    wnids.txt                               class ids, one per line (defines label order)
    words.txt                               wnid<TAB>names, possibly for all of WordNet
    train/<wnid>/images/<wnid>_<k>.JPEG     training images
    train/<wnid>/<wnid>_boxes.txt           file<TAB>x0<TAB>y0<TAB>x1<TAB>y1
    val/images/val_<k>.JPEG                 validation images (one flat folder)
    val/val_annotations.txt                 file<TAB>wnid<TAB>x0<TAB>y0<TAB>x1<TAB>y1
    test/images/test_<k>.JPEG               unlabeled test images

Text files are read as other tools write them (BOM, CRLF, stray spaces: `files.read_text`)
and OS clutter (`._*` AppleDouble files, `__MACOSX/`, `.DS_Store`...) is never an image.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from tinylib.files import is_metadata, read_fields

IMAGE_SUFFIXES = (".jpeg", ".jpg", ".png")


class LayoutError(ValueError):
    """The folder is not (or not completely) in the official Tiny ImageNet layout."""


@dataclass(frozen=True, eq=False)
class DatasetInfo:
    """What `tinylib.data.read_layout` found. Labels index `wnids`; boxes are inclusive pixel boxes.

    train_labels / val_labels: int32 (N,) in [0, num_classes).
    train_boxes / val_boxes: int32 (N, 4) as (x0, y0, x1, y1); -1 where a file has no box.
    names: the first synonym from words.txt ("goldfish"); words: the full entry.
    layout: "official", or "folders" for a class-per-folder tree (`tinylib.data.folders`:
    wnids = names = words = the folder names). skipped: (path, reason) of each unreadable
    image left out (folders only; the official layout fails on them instead).
    """

    root: Path
    wnids: tuple[str, ...]
    names: tuple[str, ...]
    words: tuple[str, ...]
    train_files: tuple[Path, ...]
    train_labels: np.ndarray
    train_boxes: np.ndarray
    val_files: tuple[Path, ...]
    val_labels: np.ndarray
    val_boxes: np.ndarray
    test_files: tuple[Path, ...]
    layout: str = "official"
    skipped: tuple[tuple[Path, str], ...] = ()

    @property
    def num_classes(self) -> int:
        return len(self.wnids)

    def files(self, split: str) -> tuple[Path, ...]:
        """Image paths of "train", "val" or "test"."""
        return {"train": self.train_files, "val": self.val_files, "test": self.test_files}[_check_split(split)]

    def labels(self, split: str) -> np.ndarray:
        """int32 (N,) labels of "train" or "val"; "test" is unlabeled: all -1."""
        if _check_split(split) == "test":
            return np.full(len(self.test_files), -1, np.int32)
        return self.train_labels if split == "train" else self.val_labels

    def class_index(self, wnid: str) -> int:
        return self.wnids.index(wnid)

    def skipped_summary(self, limit: int = 5) -> str:
        """One line naming the unreadable files left out ("" when none): "skipped 2 unreadable
        files: cats/a.jpg (is empty (0 bytes)), dogs/b.png (does not decode (...))"."""
        if not self.skipped:
            return ""
        listed = ", ".join(f"{_relative(path, self.root)} ({reason})" for path, reason in self.skipped[:limit])
        more = f", and {len(self.skipped) - limit} more" if len(self.skipped) > limit else ""
        return f"skipped {len(self.skipped)} unreadable file{'s' if len(self.skipped) > 1 else ''}: {listed}{more}"

    def __repr__(self) -> str:
        skipped = f", skipped={len(self.skipped)}" if self.skipped else ""
        return (
            f"DatasetInfo(root={str(self.root)!r}, layout={self.layout!r}, classes={self.num_classes}, "
            f"train={len(self.train_files)}, val={len(self.val_files)}, test={len(self.test_files)}{skipped})"
        )


def _relative(path: Path, root: Path) -> str:
    try:
        return path.relative_to(root).as_posix()
    except ValueError:
        return str(path)


def _check_split(split: str) -> str:
    if split not in ("train", "val", "test"):
        raise ValueError(f"split must be 'train', 'val' or 'test', got {split!r}")
    return split


def _natural_key(path: Path) -> tuple:
    """Sort n01443537_10 after n01443537_9, like a person would."""
    return tuple(int(part) if part.isdigit() else part for part in re.split(r"(\d+)", path.name))


def _images_in(folder: Path) -> list[Path]:
    if not folder.is_dir():
        return []
    with os.scandir(folder) as entries:
        found = [Path(entry.path) for entry in entries if is_image_name(entry.name)]
    return sorted(found, key=_natural_key)


def is_image_name(name: str) -> bool:
    """True for a dataset image file name (.JPEG, .jpg, .png; not an AppleDouble `._*` twin)."""
    return name.lower().endswith(IMAGE_SUFFIXES) and not is_metadata(name)


def _parse_box(fields: list[str], where: str) -> list[int]:
    try:
        return [int(value) for value in fields]
    except ValueError:
        raise LayoutError(f"bad box {fields} in {where}: expected four integers x0 y0 x1 y1") from None


def read_official_layout(root: str | os.PathLike) -> DatasetInfo:
    """Parse the official layout under `root` (the folder holding wnids.txt; see the module
    docstring) from its text files and directory listings, never the images. Most callers want
    `tinylib.data.read_layout`, which also reads class-per-folder trees. Raises LayoutError
    saying what is missing or wrong."""
    root = Path(root).expanduser()
    if not (root / "wnids.txt").is_file():
        raise LayoutError(f"no wnids.txt under {root}: not the official layout — use tinylib.data.read_layout")
    wnids, full_words = _read_classes(root)
    train_files, train_labels, train_boxes = _read_train(root, wnids)
    if not train_files and not (root / "val" / "val_annotations.txt").is_file():
        raise LayoutError(
            f"no train/<wnid>/images/ and no val/val_annotations.txt under {root}; is the archive fully extracted?"
        )
    val_files, val_labels, val_boxes = _read_val(root, {wnid: i for i, wnid in enumerate(wnids)})
    return DatasetInfo(
        root=root,
        wnids=wnids,
        names=tuple(entry.split(",")[0].strip() for entry in full_words),
        words=full_words,
        train_files=tuple(train_files),
        train_labels=np.asarray(train_labels, np.int32),
        train_boxes=np.asarray(train_boxes, np.int32).reshape(-1, 4),
        val_files=tuple(val_files),
        val_labels=np.asarray(val_labels, np.int32),
        val_boxes=np.asarray(val_boxes, np.int32).reshape(-1, 4),
        test_files=tuple(_images_in(root / "test" / "images")),
    )


def _read_classes(root: Path) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(wnids in label order, their words.txt entries; the wnid itself where it has none)."""
    wnids = tuple(fields[0] for fields in read_fields(root / "wnids.txt"))
    if len(set(wnids)) != len(wnids):
        raise LayoutError(f"{root / 'wnids.txt'} lists a class id twice")
    words = {}
    if (root / "words.txt").is_file():
        known = set(wnids)
        words = {
            fields[0]: fields[1]
            for fields in read_fields(root / "words.txt")
            if len(fields) >= 2 and fields[0] in known
        }
    return wnids, tuple(words.get(wnid, wnid) for wnid in wnids)


def _read_train(root: Path, wnids: tuple[str, ...]) -> tuple[list[Path], list[int], list[list[int]]]:
    train_files, train_labels, train_boxes = [], [], []
    for label, wnid in enumerate(wnids):
        folder = root / "train" / wnid
        images = _images_in(folder / "images")
        boxes_file = folder / f"{wnid}_boxes.txt"
        boxes = {}
        if boxes_file.is_file():
            boxes = {fields[0]: _parse_box(fields[1:5], str(boxes_file)) for fields in read_fields(boxes_file)}
        train_files += images
        train_labels += [label] * len(images)
        train_boxes += [boxes.get(path.name, [-1, -1, -1, -1]) for path in images]
    return train_files, train_labels, train_boxes


def _read_val(root: Path, index: dict[str, int]) -> tuple[list[Path], list[int], list[list[int]]]:
    val_files, val_labels, val_boxes = [], [], []
    annotations = root / "val" / "val_annotations.txt"
    if not annotations.is_file():
        return val_files, val_labels, val_boxes
    present = {path.name for path in _images_in(root / "val" / "images")}
    missing = []
    for number, fields in enumerate(read_fields(annotations), start=1):
        if len(fields) < 6:
            raise LayoutError(f"{annotations}:{number}: expected file, wnid, x0, y0, x1, y1 separated by tabs")
        name, wnid = fields[0], fields[1]
        if wnid not in index:
            raise LayoutError(f"{annotations}:{number}: class {wnid} is not in wnids.txt")
        if name not in present:
            missing.append(name)
            continue
        val_files.append(root / "val" / "images" / name)
        val_labels.append(index[wnid])
        val_boxes.append(_parse_box(fields[2:6], f"{annotations}:{number}"))
    if missing:
        raise LayoutError(
            f"{len(missing)} images listed in {annotations} are missing from val/images (first: {missing[0]}); "
            "re-extract the archive with `tinylib data prepare`"
        )
    return val_files, val_labels, val_boxes
