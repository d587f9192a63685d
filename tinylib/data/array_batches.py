"""tf.data batches gathered from packed uint8 arrays: a building block of `tinylib.data.batches`.

Index batches are shuffled by tf.data (seeded, reshuffled every pass) and gathered from
in-memory or memory-mapped uint8 images (N, 64, 64, 3), as `tinylib.data.packed.load_packed`
returns them; `batches` then scales, augments and prefetches them. The same for any Keras
backend, without tf.data: `tinylib.data.py_dataset.PackedBatches`.
"""

from __future__ import annotations

import numpy as np

from tinylib.data.images import IMAGE_SIZE


def array_batches(
    images: np.ndarray, labels: np.ndarray | None, *, batch_size: int, shuffle: bool, seed: int, repeat: bool
):
    """tf.data batches of uint8 (B, 64, 64, 3) [and int32 (B,) labels] from in-memory or
    memory-mapped uint8 images (N, 64, 64, 3): the fast path. Labels that are all -1 (the test
    split) count as none. Call `tinylib.data.batches`, which checks the arguments first."""
    import tensorflow as tf

    count = len(images)
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

    return indices.batch(batch_size).map(load, num_parallel_calls=tf.data.AUTOTUNE, deterministic=True)


def _indices(count: int, shuffle: bool, seed: int, repeat: bool):
    """tf.data of image indices 0..count-1, shuffled (seeded, every pass) and repeated on request."""
    import tensorflow as tf

    indices = tf.data.Dataset.range(count)
    if shuffle:
        indices = indices.shuffle(count, seed=seed, reshuffle_each_iteration=True)
    return indices.repeat() if repeat else indices
