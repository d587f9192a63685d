"""The one door for batches: `batches(images, labels, *, batch_size, ...)`, from files or arrays, any backend.

Every caller (`train.fit`, the learning-rate finder, the notebooks, the benchmarks, the tests)
comes through here; the builders behind it are `data.pipeline.file_batches` (tf.data from
JPEG files, the taught path), `data.array_batches.array_batches` (tf.data from uint8 arrays)
and `data.py_dataset.PackedBatches` (a Keras PyDataset, for JAX and PyTorch). Arguments are
checked here, once; the augmentation preset by `data.augment.check_preset`.
"""

from __future__ import annotations

import os
from collections.abc import Sequence

import numpy as np

from tinylib.data.images import IMAGE_SIZE

LOADERS = ("auto", "tf.data", "py_dataset")


def batches(
    images: np.ndarray | Sequence[str | os.PathLike],
    labels: np.ndarray | Sequence[int] | None = None,
    *,
    batch_size: int,
    num_classes: int | None = None,
    augment: str = "none",
    one_hot: bool = False,
    shuffle: bool = False,
    repeat: bool = False,
    seed: int = 0,
    scale: bool = True,
    cache: bool = False,
    loader: str = "auto",
):
    """Batches of `images` [and `labels`] for `model.fit`, `evaluate` or a loop.

    images: uint8 (N, 64, 64, 3) in memory or memory-mapped (`TrainingData`, `load_packed`), or
    N image file paths (decoded by TensorFlow in tf.data, as notebook 01 teaches). labels: int
    (N,) class indices, or None (or all -1, the test split) for images alone.
    Yields float32 images (B, 64, 64, 3) in [0, 1], augmented by `augment` ("none",
    "flip_crop", "strong": `tinylib.data.augment`), or uint8 as they are when scale=False (for
    augmentation in the train step; augment must then be "none"); with labels: int32 (B,), or
    one-hot float32 (B, num_classes) when one_hot=True or the preset mixes labels ("strong").

    shuffle: a seeded order, new every pass. repeat=True is for training with
    steps_per_epoch = N // batch_size: tf.data loops forever, the PyDataset yields only whole
    batches, so every epoch has exactly that many steps on every backend. Augmentation is
    deterministic under `seed`. cache=True (files only) keeps the decoded images in memory
    after the first pass. loader: "tf.data" (parallel gathering, prefetch; each worker of a
    multi-worker strategy keeps its share), "py_dataset" (a Keras PyDataset, arrays only, no
    TensorFlow needed) or "auto": tf.data for files and on TensorFlow, else the PyDataset.

    Raises ValueError saying what to change (unknown preset or loader, no images, labels of
    another length, arrays not uint8 (N, 64, 64, 3), one-hot without num_classes...)."""
    from_files = not isinstance(images, np.ndarray)
    one_hot = _check(images, labels, batch_size, num_classes, augment, one_hot, scale, cache, from_files)
    order = {"batch_size": batch_size, "shuffle": shuffle, "seed": seed, "repeat": repeat}
    if _choose_loader(loader, from_files) == "py_dataset":
        return _py_dataset(images, labels, augment, num_classes, one_hot, scale, **order)
    if from_files:
        from tinylib.data.pipeline import file_batches

        dataset = file_batches(images, labels, cache=cache, **order)
    else:
        from tinylib.data.array_batches import array_batches

        dataset = array_batches(images, labels, **order)
    return _finish(dataset, augment, num_classes, seed, one_hot, scale)


def _py_dataset(images, labels, augment, num_classes, one_hot, scale, *, batch_size, shuffle, seed, repeat):
    """A `PackedBatches` (Keras PyDataset): only whole batches when repeat (training)."""
    from tinylib.data.py_dataset import PackedBatches

    if labels is None:
        raise ValueError("the py_dataset loader needs labels: pass them, or loader='tf.data' for images alone")
    return PackedBatches(
        images,
        labels,
        batch_size=batch_size,
        augment=augment,
        num_classes=num_classes,
        shuffle=shuffle,
        seed=seed,
        one_hot=one_hot,
        scale=scale,
        drop_remainder=repeat,
    )


def _check(images, labels, batch_size, num_classes, augment, one_hot, scale, cache, from_files) -> bool:
    """Raise ValueError for arguments that cannot make batches; return whether labels are one-hot."""
    from tinylib.data.augment import mixes_labels

    what = "files" if from_files else "images"
    if len(images) == 0:
        raise ValueError(f"batches needs at least one {what[:-1]}")
    if labels is not None and len(labels) != len(images):
        raise ValueError(f"{len(images)} {what} but {len(labels)} labels")
    if not from_files and (images.dtype != np.uint8 or images.shape[1:] != (IMAGE_SIZE, IMAGE_SIZE, 3)):
        raise ValueError(
            f"images must be uint8 (N, {IMAGE_SIZE}, {IMAGE_SIZE}, 3), got {images.dtype} {images.shape}: "
            "pass packed arrays (TrainingData, load_packed) or a list of image files"
        )
    if not isinstance(batch_size, (int, np.integer)) or batch_size < 1:
        raise ValueError(f"batch_size must be a whole number >= 1, got {batch_size!r}")
    one_hot = bool(one_hot) or mixes_labels(augment)  # mixes_labels checks the preset
    if not scale and augment != "none":
        raise ValueError(
            "scale=False yields raw uint8 batches (augmentation in the train step): augment must be 'none'"
        )
    if one_hot and labels is not None and not num_classes:
        raise ValueError(f"one-hot labels (one_hot=True or augment={augment!r}) need num_classes")
    if cache and not from_files:
        raise ValueError("cache=True keeps decoded JPEG files in memory; arrays are decoded already: leave it out")
    return one_hot


def _choose_loader(loader: str, from_files: bool) -> str:
    """ "tf.data" or "py_dataset" for `loader` ("auto" picks by the data and the backend)."""
    import keras

    if loader not in LOADERS:
        raise ValueError(f"loader must be one of {', '.join(LOADERS)}; got {loader!r}")
    if from_files and loader == "py_dataset":
        raise ValueError(
            "the py_dataset loader reads arrays: pack the files first (TrainingData.from_root, load_packed)"
        )
    if loader == "auto":
        return "tf.data" if from_files or keras.config.backend() == "tensorflow" else "py_dataset"
    return loader


def _finish(dataset, augment: str, num_classes: int | None, seed: int, one_hot: bool, scale: bool):
    """uint8 tf.data batches -> scaled and augmented (or uint8, labels one-hot on request),
    prefetched, sharded by data under a multi-worker strategy."""
    import tensorflow as tf

    from tinylib.data.pipeline import augment_batches

    labelled = isinstance(dataset.element_spec, tuple)
    if scale:
        dataset = augment_batches(dataset, augment, num_classes, seed, one_hot)
    elif labelled and one_hot:
        dataset = dataset.map(lambda batch, batch_labels: (batch, tf.one_hot(batch_labels, num_classes)))
    options = tf.data.Options()  # each worker reads every batch and keeps its share
    options.experimental_distribute.auto_shard_policy = tf.data.experimental.AutoShardPolicy.DATA
    return dataset.prefetch(tf.data.AUTOTUNE).with_options(options)
