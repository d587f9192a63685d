"""Input pipelines: JPEG files to batches, as a taught tf.data path and as in-memory arrays.

Images reach models as float32 in [0, 1], shape (batch, 64, 64, 3): grayscale JPEGs are
expanded to three channels on decode. In-memory arrays decode through the one decoder
(`tinylib.data.images.decode`); the tf.data path decodes with TensorFlow, as taught.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np

from tinylib.data.images import IMAGE_SIZE, decode
from tinylib.data.layout import DatasetInfo
from tinylib.data.reader import read_layout


def load_images(paths: Sequence[str | os.PathLike], workers: int | None = None) -> np.ndarray:
    """Decode image files into uint8 (N, 64, 64, 3) RGB with `tinylib.data.images.decode`
    (EXIF orientation, transparency over white, any mode to RGB, other sizes centre-cropped
    and resized). Decodes in threads: PIL releases the GIL while decoding. Raises
    ImageDecodeError naming the first file that cannot be decoded."""
    if len(paths) == 0:
        return np.zeros((0, IMAGE_SIZE, IMAGE_SIZE, 3), np.uint8)
    with ThreadPoolExecutor(workers or os.cpu_count() or 1) as pool:
        return np.stack(list(pool.map(decode, paths, chunksize=256)))


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
    augment: str = "none",
    num_classes: int | None = None,
    one_hot: bool = False,
    cache: bool = False,
):
    """A tf.data pipeline: read JPEG -> decode (3 channels) -> batch -> augment -> float32
    [0, 1] -> prefetch. Yields images (B, 64, 64, 3), or (images, labels) with labels:
    int32 (B,), or one-hot float32 (B, num_classes) when one_hot=True or augment="strong".

    Geometry: made for the dataset's 64x64 files, which are not resized (TensorFlow's JPEG
    decoder may differ from PIL's by a level here and there). Any other size is squashed to
    64x64 (bilinear), alpha dropped, EXIF orientation ignored: this is the taught TensorFlow
    path, not a photo decoder; photos go through `tinylib.data.decode` (centre crop).

    augment: "none", "flip_crop" or "strong" (`tinylib.data.augment`; needs the TensorFlow
    backend here, any backend with `PackedBatches`). cache=True keeps the decoded uint8
    images in memory after the first pass, so later epochs skip reading and decoding.
    shuffle reshuffles every pass with a fixed seed (deterministic order per run), and the
    augmentation is deterministic under `seed` too. repeat=True loops forever (use with
    `steps_per_epoch`). Iterators of a repeated dataset are made once, which also avoids a
    pause of several seconds that TensorFlow's autotuner can cause when a long-lived
    iterator is destroyed at the end of each epoch.
    """
    import tensorflow as tf

    paths = [str(Path(path)) for path in files]
    if not paths:
        raise ValueError("make_dataset needs at least one file")
    parts = (paths,) if labels is None else (paths, np.asarray(labels, np.int32))
    if labels is not None and len(parts[1]) != len(paths):
        raise ValueError(f"{len(paths)} files but {len(parts[1])} labels")
    dataset = tf.data.Dataset.from_tensor_slices(parts if len(parts) > 1 else parts[0])

    if cache:  # decode once, then shuffle the decoded images
        dataset = dataset.map(_read_and_decode, num_parallel_calls=tf.data.AUTOTUNE, deterministic=True).cache()
    if shuffle:
        dataset = dataset.shuffle(len(paths), seed=seed, reshuffle_each_iteration=True)
    if repeat:
        dataset = dataset.repeat()
    if not cache:
        dataset = dataset.map(_read_and_decode, num_parallel_calls=tf.data.AUTOTUNE, deterministic=True)
    dataset = augment_batches(dataset.batch(batch_size), augment, num_classes, seed, one_hot)
    return dataset.prefetch(tf.data.AUTOTUNE)


def _read_and_decode(path, *label):
    """tf.data map: a file path [and its label] to uint8 (64, 64, 3) [and the label]."""
    import tensorflow as tf

    image = tf.io.decode_image(tf.io.read_file(path), channels=3, expand_animations=False)
    same = tf.reduce_all(tf.shape(image)[:2] == IMAGE_SIZE)
    image = tf.cond(
        same, lambda: image, lambda: tf.cast(tf.round(tf.image.resize(image, (IMAGE_SIZE, IMAGE_SIZE))), tf.uint8)
    )
    image = tf.ensure_shape(image, (IMAGE_SIZE, IMAGE_SIZE, 3))
    return (image, *label) if label else image


def augment_batches(dataset, augment: str = "none", num_classes: int | None = None, seed: int = 0, one_hot=False):
    """Map batches of uint8 images (B, 64, 64, 3) [and int labels (B,)] through an
    augmentation preset, deterministically: random parameters are drawn batch after batch
    in order; the augmentation itself runs in parallel, compiled with XLA. Yields float32
    images in [0, 1] [and labels, one-hot when one_hot or when the preset mixes labels]."""
    import tensorflow as tf

    if augment == "none":

        def scale(images, *labels):
            images = tf.cast(images, tf.float32) / 255.0
            if not labels:
                return images
            return images, tf.one_hot(labels[0], num_classes) if one_hot else labels[0]

        return dataset.map(scale, num_parallel_calls=tf.data.AUTOTUNE, deterministic=True)

    import keras

    from tinylib.data.augment import Augmenter

    if keras.config.backend() != "tensorflow":
        raise ValueError(
            f"tf.data augmentation runs Keras layers with the TensorFlow backend, but KERAS_BACKEND is "
            f"{keras.config.backend()!r}: use tinylib.data.PackedBatches (any backend), or augment='none'"
        )
    augmenter = Augmenter(augment, num_classes, seed)
    labelled = len(dataset.element_spec) == 2 if isinstance(dataset.element_spec, tuple) else False

    def draw(images, *labels):
        return (images, *labels, augmenter.draw(images))

    def transform(images, *rest):
        labels, parameters = (rest[0], rest[1]) if labelled else (None, rest[0])
        images, labels = augmenter.compiled_transform(images, labels, parameters)
        if labels is not None and one_hot and not augmenter.mixes_labels:
            labels = tf.one_hot(labels, num_classes)
        return (images, labels) if labelled else images

    dataset = dataset.map(draw)  # sequential: the random stream is consumed in batch order
    dataset = dataset.map(transform, num_parallel_calls=tf.data.AUTOTUNE, deterministic=True)
    return dataset


def make_pipelines(
    source: DatasetInfo | str | os.PathLike,
    batch_size: int = 128,
    augment: str = "none",
    seed: int = 0,
    cache: bool = False,
    repeat: bool = False,
) -> dict:
    """tf.data pipelines of a dataset in the official layout: {"train": shuffled and
    augmented (image, label) batches, "val": (image, label) batches in file order, never
    augmented, "test": image batches}. Val labels come from val/val_annotations.txt, class
    order from wnids.txt (`read_layout`). With augment="strong", train and val labels are
    both one-hot (B, num_classes), so one loss fits both. repeat applies to train only.
    """
    from tinylib.data.augment import check_preset

    info = source if isinstance(source, DatasetInfo) else read_layout(source)
    one_hot = check_preset(augment) == "strong"
    common = {"batch_size": batch_size, "num_classes": info.num_classes, "one_hot": one_hot, "cache": cache}
    pipelines = {
        "train": make_dataset(
            info.train_files, info.train_labels, shuffle=True, seed=seed, repeat=repeat, augment=augment, **common
        ),
        "val": make_dataset(info.val_files, info.val_labels, **common),
    }
    if info.test_files:
        pipelines["test"] = make_dataset(info.test_files, **common)
    return pipelines
