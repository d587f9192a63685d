"""Input pipelines: JPEG files to tf.data batches (the taught path) and to in-memory arrays.

Images reach models as float32 in [0, 1], shape (batch, 64, 64, 3): grayscale JPEGs are
expanded to three channels on decode. In-memory arrays decode through the one decoder
(`tinylib.data.images.decode`); the tf.data path decodes with TensorFlow, as taught. Batches
of either come through the one door, `tinylib.data.batches`.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np

from tinylib.data.images import IMAGE_SIZE, decode
from tinylib.data.layout import DatasetInfo


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


def file_batches(
    files: Sequence[str | os.PathLike],
    labels: np.ndarray | None,
    *,
    batch_size: int,
    shuffle: bool,
    seed: int,
    repeat: bool,
    cache: bool,
):
    """The taught tf.data recipe, as a building block of `tinylib.data.batches` (call that):
    read JPEG -> decode (3 channels) -> [cache] -> [shuffle] -> [repeat] -> batch. Yields uint8
    (B, 64, 64, 3) [and int32 (B,) labels]; `batches` checks the arguments, then scales,
    augments and prefetches.

    Geometry: made for the dataset's 64x64 files, which are not resized (TensorFlow's JPEG
    decoder may differ from PIL's by a level here and there). Any other size is squashed to
    64x64 (bilinear), alpha dropped, EXIF orientation ignored: this is the taught TensorFlow
    path, not a photo decoder; photos go through `tinylib.data.decode` (centre crop).
    cache=True keeps the decoded uint8 images in memory after the first pass, so later epochs
    skip reading and decoding. shuffle reshuffles every pass with a fixed seed. Iterators of a
    repeated dataset are made once, which also avoids a pause of several seconds that
    TensorFlow's autotuner can cause when a long-lived iterator is destroyed at each epoch end.
    """
    import tensorflow as tf

    paths = [str(Path(path)) for path in files]
    parts = (paths,) if labels is None else (paths, np.asarray(labels, np.int32))
    dataset = tf.data.Dataset.from_tensor_slices(parts if len(parts) > 1 else parts[0])
    if cache:  # decode once, then shuffle the decoded images
        dataset = dataset.map(_read_and_decode, num_parallel_calls=tf.data.AUTOTUNE, deterministic=True).cache()
    if shuffle:
        dataset = dataset.shuffle(len(paths), seed=seed, reshuffle_each_iteration=True)
    if repeat:
        dataset = dataset.repeat()
    if not cache:
        dataset = dataset.map(_read_and_decode, num_parallel_calls=tf.data.AUTOTUNE, deterministic=True)
    return dataset.batch(batch_size)


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


def augment_batches(dataset, augment: str, num_classes: int | None, seed: int, one_hot: bool):
    """Map tf.data batches of uint8 images (B, 64, 64, 3) [and int labels (B,)] through an
    augmentation preset (a building block of `tinylib.data.batches`), deterministically:
    random parameters are drawn batch after batch in order; the augmentation itself runs in
    parallel, compiled with XLA. Yields float32 images in [0, 1] [and labels, one-hot when
    one_hot or when the preset mixes labels]."""
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
            f"{keras.config.backend()!r}: pass uint8 arrays to tinylib.data.batches (any backend), or augment='none'"
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
