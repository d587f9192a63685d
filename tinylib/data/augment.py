"""Augmentation presets as Keras layers, run beside the model (in tf.data or on the accelerator).

Presets: "none" (scale to [0, 1] only, the seed notebook's final run), "flip_crop" (zero-pad
4 pixels, crop a random 64x64 window, mirror half the images: the standard recipe for small
images) and "strong" (flip_crop, then Keras' colour layers RandomBrightness, RandomContrast
and RandomSaturation, then MixUp or CutMix, a coin per batch; labels become one-hot, mixed).
Keras' RandAugment is left out on purpose: it computes every one of its operations for every
batch and measured ~560 images/s on 2 CPU cores, too slow to feed a GPU.

Why beside the model and not inside it: on the TensorFlow backend a model that contains
Keras random augmentation layers refuses ``jit_compile=True`` and silently trains without
XLA. So an `Augmenter` is applied to each batch before the (compiled) model sees it: in a
tf.data map, in a `PackedBatches` loader, or in a custom train step on the GPU.

Randomness is split in two so that pipelines stay deterministic under a seed yet parallel:
`draw` (stateful, cheap: call once per batch, in order) and `transform` (pure given the
drawn parameters: safe to run in parallel and to compile with XLA; crop/flip measured ~30x
faster compiled than eager on a CPU).
"""

from __future__ import annotations

import keras
from keras import ops

import tinylib.data.keras_settings  # noqa: F401  channels-last whatever ~/.keras/keras.json says

PRESETS = ("none", "flip_crop", "strong")


def mixes_labels(preset: str) -> bool:
    """True when a preset mixes images, so labels are one-hot float32 (B, num_classes)."""
    return check_preset(preset) == "strong"


def check_preset(preset: str) -> str:
    if preset not in PRESETS:
        raise ValueError(f"augment must be one of {', '.join(PRESETS)}; got {preset!r}")
    return preset


class FlipCrop(keras.layers.Layer):
    """Zero-pad `padding` pixels, crop a random window of the original size, mirror half
    the images. images: (B, H, W, C) any dtype -> same shape and dtype.

    Implemented as one gather with keras.ops (no per-image loop, no RandomCrop layer), so
    it runs on every backend and compiles with XLA (RandomCrop refuses jit_compile).
    """

    def __init__(self, padding: int = 4, seed: int | None = None, **kwargs):
        super().__init__(**kwargs)
        self.padding = padding
        self.seed = seed
        self.seed_generator = keras.random.SeedGenerator(seed)

    def draw(self, batch_size) -> tuple:
        """Random parameters for one batch: (shifts int32 (B, 2) in [-padding, padding]
        as (dy, dx), flips bool (B, 1))."""
        shifts = keras.random.randint((batch_size, 2), -self.padding, self.padding + 1, seed=self.seed_generator)
        flips = keras.random.uniform((batch_size, 1), seed=self.seed_generator) < 0.5
        return ops.cast(shifts, "int32"), flips

    def transform(self, images, shifts, flips):
        """Apply drawn parameters: a pure function, safe in parallel maps and under XLA."""
        height, width, channels = images.shape[1], images.shape[2], images.shape[3]
        rows = ops.arange(height, dtype="int32")[None, :] + shifts[:, :1]  # (B, H) source row per output row
        columns = ops.arange(width, dtype="int32")[None, :]
        columns = ops.where(flips, width - 1 - columns, columns) + shifts[:, 1:]  # (B, W)
        inside = ((rows >= 0) & (rows < height))[:, :, None] & ((columns >= 0) & (columns < width))[:, None, :]
        pixel = ops.clip(rows, 0, height - 1)[:, :, None] * width + ops.clip(columns, 0, width - 1)[:, None, :]
        flat = ops.reshape(images, (-1, height * width, channels))  # one gather: 3x faster than one per axis
        out = ops.take_along_axis(flat, ops.reshape(pixel, (-1, height * width, 1)), axis=1)
        out = ops.reshape(out, (-1, height, width, channels))
        return ops.where(inside[..., None], out, ops.zeros_like(out))  # outside the image: the zero padding

    def call(self, images, training=True):
        if not training:
            return images
        return self.transform(images, *self.draw(ops.shape(images)[0]))

    def get_config(self):
        return {**super().get_config(), "padding": self.padding, "seed": self.seed}


class Augmenter:
    """One preset as a batch function: (uint8 images (B, 64, 64, 3), int labels (B,)) ->
    (float32 images in [0, 1], labels: int32 (B,), or one-hot float32 (B, num_classes) for
    "strong"). Deterministic under `seed` when batches are drawn one after another in order.

    Built from Keras layers: `FlipCrop`, and for "strong" RandomBrightness, RandomContrast,
    RandomSaturation, MixUp and CutMix, used through their public split into `get_random_transformation` (drawn here
    in `draw`) and `transform_images` / `transform_labels` (applied in `transform`).
    """

    def __init__(
        self,
        preset: str = "flip_crop",
        num_classes: int | None = None,
        seed: int = 0,
        padding: int = 4,
        jit: bool = True,
    ):
        self.preset = check_preset(preset)
        if self.mixes_labels and not num_classes:
            raise ValueError(f"augment={preset!r} mixes labels into one-hot vectors: pass num_classes")
        self.num_classes, self.seed, self.jit = num_classes, seed, jit
        self._compiled_transform = None
        self.flip_crop = FlipCrop(padding, seed=seed) if preset != "none" else None
        if preset == "strong":
            self.jitter = (  # colour jitter; RandomSaturation: 0.5 keeps the colours, 0 is grayscale
                keras.layers.RandomBrightness(0.2, value_range=(0, 1), seed=seed + 1),
                keras.layers.RandomContrast(0.2, value_range=(0, 1), seed=seed + 5),
                keras.layers.RandomSaturation((0.35, 0.65), value_range=(0, 1), seed=seed + 6),
            )
            self.mixup = keras.layers.MixUp(alpha=0.2, seed=seed + 2)
            self.cutmix = keras.layers.CutMix(factor=1.0, seed=seed + 3)
            self.coin = keras.random.SeedGenerator(seed + 4)

    @property
    def mixes_labels(self) -> bool:
        return mixes_labels(self.preset)

    def draw(self, images) -> dict:
        """Random parameters for one batch (only the shape of `images` is used): stateful
        and cheap, so call it batch after batch, in order."""
        if self.preset == "none":
            return {}
        parameters = {"crop": self.flip_crop.draw(ops.shape(images)[0])}
        if self.preset == "strong":
            parameters["jitter"] = tuple(
                layer.get_random_transformation(images, training=True) for layer in self.jitter
            )
            parameters["mixup"] = self.mixup.get_random_transformation(images, training=True)
            parameters["cutmix"] = self.cutmix.get_random_transformation(images, training=True)
            parameters["use_mixup"] = keras.random.uniform((), seed=self.coin) < 0.5  # else CutMix
        return parameters

    def transform(self, images, labels=None, parameters: dict | None = None):
        """Apply drawn `parameters`: crop/flip, scale to float32 [0, 1], then for "strong"
        color jitter and MixUp or CutMix (labels one-hot). Pure: safe in parallel, and it
        compiles with XLA."""
        parameters = parameters or {}
        if "crop" in parameters:
            images = self.flip_crop.transform(images, *parameters["crop"])
        images = ops.cast(images, "float32") / 255.0
        if self.preset != "strong":
            return images, labels
        for layer, drawn in zip(self.jitter, parameters["jitter"]):
            images = layer.transform_images(images, drawn, training=True)
        if labels is None:
            return images, labels
        labels = ops.one_hot(ops.cast(labels, "int32"), self.num_classes)
        use_mixup = parameters["use_mixup"]
        mixup, cutmix = parameters["mixup"], parameters["cutmix"]
        images = ops.where(
            use_mixup,
            self.mixup.transform_images(images, mixup, training=True),
            self.cutmix.transform_images(images, cutmix, training=True),
        )
        labels = ops.where(
            use_mixup,
            self.mixup.transform_labels(labels, mixup, training=True),
            self.cutmix.transform_labels(labels, cutmix, training=True),
        )
        return images, labels

    def compiled_transform(self, images, labels=None, parameters: dict | None = None):
        """`transform`, compiled with XLA (TensorFlow) or jax.jit when `jit` is on."""
        if not self.jit or self.preset == "none":
            return self.transform(images, labels, parameters)
        if self._compiled_transform is None:
            self._compiled_transform = compiled(self.transform)
        return self._compiled_transform(images, labels, parameters)

    def __call__(self, images, labels=None):
        images, labels = self.compiled_transform(images, labels, self.draw(images))
        return images if labels is None else (images, labels)


def compiled(function):
    """`function` compiled for the active backend where that helps (XLA on TensorFlow:
    crop/flip measured ~30x faster than uncompiled on 2 CPU cores); as is elsewhere."""
    if keras.config.backend() == "tensorflow":
        import tensorflow as tf

        return tf.function(function, jit_compile=True, reduce_retracing=True)
    if keras.config.backend() == "jax":
        import jax

        return jax.jit(function)
    return function
