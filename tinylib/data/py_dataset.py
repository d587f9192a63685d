"""`PackedBatches`: batches of packed uint8 arrays for `model.fit` on any Keras backend (TensorFlow,
JAX, PyTorch), a building block of `tinylib.data.batches`; imports Keras, so it loads on first use."""

from __future__ import annotations

import keras
import numpy as np

from tinylib.data.augment import Augmenter


class PackedBatches(keras.utils.PyDataset):
    """Batches for `model.fit` on any Keras backend (TensorFlow, JAX, PyTorch) from
    uint8 images (N, 64, 64, 3) and int labels (N,); made by `tinylib.data.batches`, which
    checks the arguments. Each batch is gathered in numpy
    and augmented by an `Augmenter` (eager, compiled transform) on the backend's
    default device. Reshuffled every epoch; deterministic under `seed` with workers=1.
    scale=False: uint8 batches as they are (augment "none"), for on-device augmentation.
    drop_remainder=True: only whole batches (len = N // batch_size), as `fit` needs for training:
    its steps_per_epoch is N // batch_size, and a last partial batch would spill into the next
    epoch (which then trains on that one batch, found on an H200 with JAX).
    """

    def __init__(
        self,
        images: np.ndarray,
        labels: np.ndarray,
        *,
        batch_size: int,
        augment: str,
        num_classes: int | None,
        shuffle: bool,
        seed: int,
        one_hot: bool,
        scale: bool,
        drop_remainder: bool,
        **kwargs,
    ):
        super().__init__(**kwargs)
        self.scale, self.drop_remainder = scale, drop_remainder
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
        if self.drop_remainder:
            return max(len(self.images) // self.batch_size, 1)
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
