"""Batches from packed uint8 arrays: tf.data (`packed_dataset`) and a Keras PyDataset (`PackedBatches`).

Both gather index batches from in-memory or memory-mapped uint8 images (N, 64, 64, 3), as
`tinylib.data.packed.load_packed` returns them, and augment them; `PackedBatches` runs on any
Keras backend (TensorFlow, JAX, PyTorch).
"""

from __future__ import annotations

import functools

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
    indices = tf.data.Dataset.range(count)
    if shuffle:
        indices = indices.shuffle(count, seed=seed, reshuffle_each_iteration=True)
    if repeat:
        indices = indices.repeat()

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


@functools.cache
def _py_dataset_class():
    import keras

    from tinylib.data.augment import Augmenter

    class PackedBatches(keras.utils.PyDataset):
        """Batches for `model.fit` on any Keras backend (TensorFlow, JAX, PyTorch) from
        uint8 images (N, 64, 64, 3) and int labels (N,). Each batch is gathered in numpy
        and augmented by an `Augmenter` (eager, compiled transform) on the backend's
        default device. Reshuffled every epoch; deterministic under `seed` with workers=1.
        scale=False: uint8 batches as they are (augment "none"), for on-device augmentation.
        """

        def __init__(
            self,
            images: np.ndarray,
            labels: np.ndarray,
            batch_size: int = 128,
            augment: str = "none",
            num_classes: int | None = None,
            shuffle: bool = False,
            seed: int = 0,
            one_hot: bool = False,
            scale: bool = True,
            **kwargs,
        ):
            super().__init__(**kwargs)
            if not scale and augment != "none":
                raise ValueError("scale=False yields raw uint8 batches: augment must be 'none'")
            self.scale = scale
            self.images, self.labels = images, np.asarray(labels, np.int32)
            self.batch_size, self.shuffle, self.seed, self.epoch = batch_size, shuffle, seed, 0
            self.one_hot, self.num_classes = one_hot, num_classes
            self.augmenter = Augmenter(augment, num_classes, seed)
            self.order = self._order()

        def _order(self) -> np.ndarray:
            if not self.shuffle:
                return np.arange(len(self.images))
            return np.random.default_rng([self.seed, self.epoch]).permutation(len(self.images))

        def __len__(self) -> int:
            return -(-len(self.images) // self.batch_size)

        def __getitem__(self, index: int):
            chosen = np.sort(self.order[index * self.batch_size : (index + 1) * self.batch_size])
            if not self.scale:
                images, labels = np.ascontiguousarray(self.images[chosen]), self.labels[chosen]
                return images, np.eye(self.num_classes, dtype=np.float32)[labels] if self.one_hot else labels
            images, labels = self.augmenter(np.ascontiguousarray(self.images[chosen]), self.labels[chosen])
            labels = keras.ops.convert_to_numpy(labels)
            if self.one_hot and not self.augmenter.mixes_labels:
                labels = np.eye(self.num_classes, dtype=np.float32)[labels]
            return keras.ops.convert_to_numpy(images), labels

        def on_epoch_end(self) -> None:
            self.epoch += 1
            self.order = self._order()

    return PackedBatches


def __getattr__(name: str):
    """`PackedBatches` is made on first use, so importing this module does not import Keras."""
    if name == "PackedBatches":
        return _py_dataset_class()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
