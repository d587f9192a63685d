"""Augmentation inside the training step, on the accelerator (`fit(augment_on="device")`).

The input pipeline then only gathers uint8 batches (4x less to copy than float32) and the
model for training becomes `AugmentingModel(model)`: crop/flip, scaling to [0, 1] and, for
"strong", the colour layers and MixUp/CutMix run as Keras ops in the compiled train step, on
any backend. MixUp and CutMix also mix the labels: the images are mixed in `call`, the
labels with the same drawn parameters in `compute_loss` (Keras calls both in the same
train step, on every backend), and metrics see the mixed labels as on the host path.
At inference (validation, `predict`) the wrapper only scales: evaluation is unchanged.
Checkpoints (best.keras, last.keras) hold the plain model, never the wrapper.
"""

from __future__ import annotations

import threading

import keras
from keras import ops

from tinylib.data.augment import Augmenter


class AugmentingModel(keras.Model):
    """`model` behind a training-only augmentation of uint8 images (B, H, W, 3).

    training=True: `augmenter`'s preset (random, seeded), then `model`; otherwise images / 255
    then `model`. Labels must be one-hot (B, num_classes). Not meant to be saved: save `model`
    itself (`fit` does). Under a tf.distribute strategy, make `augmenter` outside its scope
    (random state per replica, not mirrored) and this wrapper inside it."""

    def __init__(self, model: keras.Model, augmenter: Augmenter, **kwargs):
        super().__init__(name=kwargs.pop("name", f"{model.name}_on_device"), **kwargs)
        self.inner = model
        self.preset, self.augmenter = augmenter.preset, augmenter
        # Tracked as attributes so that their random state is the model's state (JAX, backups).
        self.flip_crop = augmenter.flip_crop
        if self.preset == "strong":
            self.jitter = list(augmenter.jitter)
            self.mixup, self.cutmix, self.coin = augmenter.mixup, augmenter.cutmix, augmenter.coin
        self._pending = threading.local()  # one per replica thread (MirroredStrategy)

    def build(self, input_shape):
        """Build the augmentation layers (no weights) and `model` for uint8 (B, H, W, C)."""
        layers = [
            self.flip_crop,
            *getattr(self, "jitter", []),
            getattr(self, "mixup", None),
            getattr(self, "cutmix", None),
        ]
        for layer in (layer for layer in layers if layer is not None and not layer.built):
            layer.build(input_shape)
        if not self.inner.built:
            self.inner.build(input_shape)
        self.built = True

    def augment(self, images, training: bool = False):
        """uint8 images -> float32 in [0, 1], augmented when training (and, for "strong",
        MixUp/CutMix parameters kept for this step's labels)."""
        drawn = self.augmenter.draw(images) if training and self.preset != "none" else {}
        if "crop" in drawn:
            images = self.flip_crop.transform(images, *drawn["crop"])
        images = ops.cast(images, "float32") / 255.0
        if "jitter" in drawn:
            for layer, parameters in zip(self.jitter, drawn["jitter"]):
                images = layer.transform_images(images, parameters, training=True)
            use_mixup, mixup, cutmix = drawn["use_mixup"], drawn["mixup"], drawn["cutmix"]
            images = ops.where(
                use_mixup,
                self.mixup.transform_images(images, mixup, training=True),
                self.cutmix.transform_images(images, cutmix, training=True),
            )
            self._pending.mix = (use_mixup, mixup, cutmix)
        return images

    def call(self, images, training=False):
        return self.inner(self.augment(images, training=training), training=training)

    def _mixed(self, labels):
        """The labels mixed like the images of this step's `call` (as they are otherwise)."""
        mix = getattr(self._pending, "mix", None)
        if mix is None or labels is None:
            return labels
        use_mixup, mixup, cutmix = mix
        labels = ops.cast(labels, "float32")
        return ops.where(
            use_mixup,
            self.mixup.transform_labels(labels, mixup, training=True),
            self.cutmix.transform_labels(labels, cutmix, training=True),
        )

    def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, training=True):
        if training:
            y = self._mixed(y)
            self._pending.labels = y
        return super().compute_loss(x, y, y_pred, sample_weight, training=training)

    def compute_metrics(self, x, y, y_pred, sample_weight=None):
        mixed = getattr(self._pending, "labels", None)
        if mixed is not None:
            y, self._pending.labels, self._pending.mix = mixed, None, None
        return super().compute_metrics(x, y, y_pred, sample_weight)
