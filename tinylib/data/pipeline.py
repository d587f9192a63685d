"""Input pipelines: JPEG files to batches, as a taught tf.data path and as in-memory arrays.

Images reach models as float32 in [0, 1], shape (batch, 64, 64, 3): grayscale JPEGs are
expanded to three channels on decode.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
from PIL import Image

from tinylib.data.layout import DatasetInfo

IMAGE_SIZE = 64


def _decode(path: str | os.PathLike) -> np.ndarray:
    with Image.open(path) as image:
        image = image.convert("RGB")
        if image.size != (IMAGE_SIZE, IMAGE_SIZE):
            image = image.resize((IMAGE_SIZE, IMAGE_SIZE), Image.Resampling.BILINEAR)
        return np.asarray(image, dtype=np.uint8)


def load_images(paths: Sequence[str | os.PathLike], workers: int | None = None) -> np.ndarray:
    """Decode image files into uint8 (N, 64, 64, 3) RGB (grayscale -> 3 channels; other
    sizes are resized). Decodes in threads: PIL releases the GIL while decoding."""
    if len(paths) == 0:
        return np.zeros((0, IMAGE_SIZE, IMAGE_SIZE, 3), np.uint8)
    with ThreadPoolExecutor(workers or os.cpu_count() or 1) as pool:
        return np.stack(list(pool.map(_decode, paths, chunksize=256)))


def load_split(info: DatasetInfo, split: str, limit: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """All images of a split in memory: (uint8 (N, 64, 64, 3), int32 (N,) labels; -1 for
    test). `limit` keeps the first N files (for quick experiments)."""
    files = info.files(split)[:limit]
    return load_images(files), info.labels(split)[:limit]


def make_dataset(
    files: Sequence[str | os.PathLike],
    labels: Sequence[int] | np.ndarray | None = None,
    batch_size: int = 128,
    shuffle: bool = False,
    seed: int = 0,
    repeat: bool = False,
):
    """A tf.data pipeline: read JPEG -> decode (3 channels) -> float32 [0, 1] -> batch ->
    prefetch. Yields images (B, 64, 64, 3), or (images, int32 labels (B,)) with labels.

    shuffle reshuffles every pass with a fixed seed (deterministic order per run);
    repeat=True loops forever (use with `steps_per_epoch`). Iterators of a repeated
    dataset are made once, which also avoids a pause of several seconds that TensorFlow's
    autotuner can cause when a long-lived iterator is destroyed at the end of each epoch.
    """
    import tensorflow as tf

    paths = [str(Path(path)) for path in files]
    if not paths:
        raise ValueError("make_dataset needs at least one file")
    parts = (paths,) if labels is None else (paths, np.asarray(labels, np.int32))
    if labels is not None and len(parts[1]) != len(paths):
        raise ValueError(f"{len(paths)} files but {len(parts[1])} labels")
    dataset = tf.data.Dataset.from_tensor_slices(parts if len(parts) > 1 else parts[0])
    if shuffle:
        dataset = dataset.shuffle(len(paths), seed=seed, reshuffle_each_iteration=True)
    if repeat:
        dataset = dataset.repeat()

    def decode(path, *label):
        image = tf.io.decode_jpeg(tf.io.read_file(path), channels=3)
        image = tf.image.resize(image, (IMAGE_SIZE, IMAGE_SIZE))  # a no-op copy for 64x64 files
        image = tf.ensure_shape(image / 255.0, (IMAGE_SIZE, IMAGE_SIZE, 3))
        return (image, *label) if label else image

    dataset = dataset.map(decode, num_parallel_calls=tf.data.AUTOTUNE, deterministic=True)
    return dataset.batch(batch_size).prefetch(tf.data.AUTOTUNE)
