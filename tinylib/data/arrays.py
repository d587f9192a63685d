"""Labelled images in memory for training and analysis (`TrainingData`); batches of them come
from the one door, `tinylib.data.batches`."""

from __future__ import annotations

import dataclasses
import hashlib
import os
from pathlib import Path

import numpy as np


@dataclasses.dataclass
class TrainingData:
    """uint8 images (N, 64, 64, 3), in memory or memory-mapped, with int32 labels (N,) for the
    train and val splits; class_names and class_ids (WordNet ids) give label order; source is
    the dataset root ("" for arrays made in memory); train_files / val_files: for a
    class-per-folder tree (whose val split may be derived from the files found), each image
    as "<class>/<its path inside the class folder>", whether under train/, val/ or the root
    (() otherwise)."""

    train_images: np.ndarray
    train_labels: np.ndarray
    val_images: np.ndarray
    val_labels: np.ndarray
    class_names: tuple[str, ...]
    source: str = ""
    class_ids: tuple[str, ...] = ()
    train_files: tuple[str, ...] = ()
    val_files: tuple[str, ...] = ()

    @property
    def num_classes(self) -> int:
        return len(self.class_names)

    def subset(self, train: int | None = None, val: int | None = None) -> TrainingData:
        """The first `train` training and `val` validation images (None: all of them)."""
        return dataclasses.replace(
            self,
            train_images=self.train_images[:train],
            train_labels=self.train_labels[:train],
            val_images=self.val_images[:val],
            val_labels=self.val_labels[:val],
            train_files=self.train_files[:train],
            val_files=self.val_files[:val],
        )

    def record(self) -> dict:
        """What a run records of the data it trains on, to refuse continuing on other data:
        {"data": root, "class_ids": [...], "train_images": N, "train_sha256": hex digest of the
        training labels and (where known) file names}."""
        digest = hashlib.sha256(np.asarray(self.train_labels, np.int64).tobytes())
        digest.update("\n".join(self.train_files).encode())
        return {"data": self.source, "class_ids": list(self.class_ids), "train_images": int(len(self.train_images)),
                "train_sha256": digest.hexdigest()}  # fmt: skip

    @classmethod
    def from_root(cls, root: str | os.PathLike, progress: bool = True) -> TrainingData:
        """Both labelled splits of a dataset (the official layout or a class-per-folder tree,
        `read_layout`), through the packed cache (built on first use, memory-mapped afterwards).
        Reads the layout once; prints the line naming unreadable files left out (progress=True).

        Raises LayoutError (a ValueError) for a folder that is not a dataset."""
        from tinylib.data.packed import is_fresh, pack, pack_folder, read_split
        from tinylib.data.reader import read_layout

        info = read_layout(root)
        if info.skipped and progress:
            print(info.skipped_summary())
        folder = pack_folder(info.root)
        if not is_fresh(info.root, folder, info):
            folder = pack(info.root, folder, progress=progress)
        train, val = read_split(folder, "train"), read_split(folder, "val")
        names = {}
        if info.layout == "folders":  # "<class>/<path inside it>", whether under train/, val/ or the root
            names = {f"{split}_files": tuple(_inside_class(p.relative_to(info.root)) for p in info.files(split))
                     for split in ("train", "val")}  # fmt: skip
        source = str(Path(info.root).resolve())
        return cls(*train, *val, class_names=info.names, source=source, class_ids=info.wnids, **names)


def _inside_class(relative: Path) -> str:
    """ "cat/a.jpg" for cat/a.jpg, train/cat/a.jpg and val/cat/a.jpg (never class names at the top)."""
    from tinylib.data.folders import RESERVED

    parts = relative.parts
    return "/".join(parts[1:] if len(parts) > 2 and parts[0].lower() in RESERVED else parts)

