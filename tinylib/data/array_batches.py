"""Batches from packed uint8 arrays with tf.data (`packed_dataset`); `py_dataset.PackedBatches`
is the same for any Keras backend.

Both gather index batches from in-memory or memory-mapped uint8 images (N, 64, 64, 3), as
`tinylib.data.packed.load_packed` returns them, and augment them; `PackedBatches` runs on any
Keras backend (TensorFlow, JAX, PyTorch).
"""

from __future__ import annotations

import numpy as np

from tinylib.data.images import IMAGE_SIZE


def packed_dataset(
    images: np.ndarray,
    labels: np.ndarray | None = None,
    batch_size: int = 128,
    augment: str = "none",
    num_classes: int | None = None,
    shuffle: bool = False,
    seed: int = 0,
    repeat: bool = False,
    one_hot: bool = False,
    scale: bool = True,
):
    """tf.data batches from in-memory or memory-mapped uint8 images (N, 64, 64, 3): the
    fast path. Yields float32 (B, 64, 64, 3) in [0, 1] [and labels, as `make_dataset`].
    Index batches are shuffled by tf.data (seeded, reshuffled every pass), gathered from the
    array in numpy, then augmented (`augment_batches`: crop/flip compiled with XLA).
    scale=False: the uint8 batches as they are, for augmentation on the device
    (`fit(augment_on="device")`); augment must then be "none"."""
    import tensorflow as tf

    from tinylib.data.pipeline import augment_batches

    count = len(images)
    if count == 0:
        raise ValueError("packed_dataset needs at least one image")
    if labels is not None and len(labels) != count:
        raise ValueError(f"{count} images but {len(labels)} labels")
    has_labels = labels is not None and not np.all(np.asarray(labels) < 0)  # test labels are all -1
    labels = np.asarray(labels if labels is not None else np.full(count, -1), np.int32)
    indices = _indices(count, shuffle, seed, repeat)

    def gather(batch_indices: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        order = np.sort(batch_indices)  # sequential reads from a memory map
        return np.ascontiguousarray(images[order]), labels[order]

    def load(batch_indices):
        batch, batch_labels = tf.numpy_function(gather, [batch_indices], [tf.uint8, tf.int32], stateful=False)
        batch = tf.ensure_shape(batch, (None, IMAGE_SIZE, IMAGE_SIZE, 3))
        return (batch, tf.ensure_shape(batch_labels, (None,))) if has_labels else batch

    dataset = indices.batch(batch_size).map(load, num_parallel_calls=tf.data.AUTOTUNE, deterministic=True)
    if not scale:
        if augment != "none":
            raise ValueError("scale=False yields raw uint8 batches: augment must be 'none'")
        if has_labels and one_hot:
            dataset = dataset.map(lambda batch, batch_labels: (batch, tf.one_hot(batch_labels, num_classes)))
        return dataset.prefetch(tf.data.AUTOTUNE)
    return augment_batches(dataset, augment, num_classes, seed, one_hot).prefetch(tf.data.AUTOTUNE)


def _indices(count: int, shuffle: bool, seed: int, repeat: bool):
    """tf.data of image indices 0..count-1, shuffled (seeded, every pass) and repeated on request."""
    import tensorflow as tf

    indices = tf.data.Dataset.range(count)
    if shuffle:
        indices = indices.shuffle(count, seed=seed, reshuffle_each_iteration=True)
    return indices.repeat() if repeat else indices
