"""Labelled images in memory for training and analysis (`TrainingData`), and the one place that
turns arrays into batches for `model.fit`: tf.data on TensorFlow, a Keras PyDataset elsewhere."""

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
        from tinylib.data.layout import read_layout
        from tinylib.data.packed import is_fresh, pack, pack_folder

        info = read_layout(root)
        if info.skipped and progress:
            print(info.skipped_summary())
        folder = pack_folder(info.root)
        if not is_fresh(info.root, folder, info):
            folder = pack(info.root, folder, progress=progress)
        train, val = (
            (np.load(folder / f"{split}_images.npy", mmap_mode="r"), np.load(folder / f"{split}_labels.npy"))
            for split in ("train", "val")
        )
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


def batches(
    images: np.ndarray,
    labels: np.ndarray,
    batch_size: int,
    num_classes: int,
    augment: str = "none",
    shuffle: bool = False,
    repeat: bool = False,
    seed: int = 0,
    scale: bool = True,
):
    """(images, one-hot labels) batches of uint8 (N, 64, 64, 3) images and int (N,) labels for
    `model.fit`: a tf.data pipeline on the TensorFlow backend (parallel gathering, prefetch,
    each worker of a multi-worker strategy keeps its share), a Keras PyDataset on JAX and
    PyTorch (no TensorFlow needed). Images are float32 in [0, 1] and augmented by `augment`,
    or uint8 as they are when scale=False (for augmentation in the train step). repeat=True is
    for training with steps_per_epoch = N // batch_size: tf.data loops forever, the PyDataset
    yields only whole batches, so every epoch has exactly that many steps on every backend."""
    import keras

    common = dict(num_classes=num_classes, one_hot=True, seed=seed, scale=scale, shuffle=shuffle)
    if keras.config.backend() == "tensorflow":
        import tensorflow as tf

        from tinylib.data.array_batches import packed_dataset

        options = tf.data.Options()  # each worker reads every batch and keeps its share
        options.experimental_distribute.auto_shard_policy = tf.data.experimental.AutoShardPolicy.DATA
        return packed_dataset(images, labels, batch_size, augment, repeat=repeat, **common).with_options(options)
    from tinylib.data.py_dataset import PackedBatches

    return PackedBatches(images, labels, batch_size, augment, drop_remainder=repeat, **common)
