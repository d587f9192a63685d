"""Training: a recipe (what to run) and `fit` (run it into one work folder).

The fast path trains from uint8 images held in memory, (N, 64, 64, 3), converted to
float32 [0, 1] and augmented on the fly; the dataset repeats, so every epoch reuses one
iterator instead of building (and tearing down) a new one.
"""

from __future__ import annotations

import dataclasses
import json
import os
import time
import warnings
from pathlib import Path

import keras
import numpy as np

from tinylib import runtime

AUGMENTATIONS = ("none", "flip")

# Keras 3.15 warns on every fit() with a tf.data input unless shuffle=False is passed, although
# a dataset shuffles itself (ours do); the warning only confuses learners, so it is silenced.
warnings.filterwarnings("ignore", message="`shuffle=True` was passed, but will be ignored")
OPTIMIZERS = ("adamw", "sgd")


@dataclasses.dataclass
class Recipe:
    """How to train: optimiser, learning-rate schedule (linear warm-up then cosine decay to
    zero, per step), batch size, epochs, augmentation. Serialisable to JSON."""

    name: str = "demo"
    epochs: int = 12
    batch_size: int = 64
    optimizer: str = "adamw"
    learning_rate: float = 3e-3
    weight_decay: float = 5e-4
    momentum: float = 0.9  # SGD only (Nesterov)
    warmup_epochs: float = 1.0
    augment: str = "flip"
    seed: int = 0

    def __post_init__(self):
        if self.optimizer not in OPTIMIZERS:
            raise ValueError(f"optimizer must be one of {OPTIMIZERS}, got {self.optimizer!r}")
        if self.augment not in AUGMENTATIONS:
            raise ValueError(f"augment must be one of {AUGMENTATIONS}, got {self.augment!r}")
        if self.epochs < 1 or self.batch_size < 1:
            raise ValueError(f"epochs and batch_size must be >= 1, got {self.epochs} and {self.batch_size}")

    def replace(self, **changes) -> Recipe:
        return dataclasses.replace(self, **changes)

    def to_json(self) -> str:
        return json.dumps(dataclasses.asdict(self), indent=2)

    @classmethod
    def from_json(cls, text: str) -> Recipe:
        return cls(**json.loads(text))


def learning_rate_schedule(recipe: Recipe, steps_per_epoch: int) -> keras.optimizers.schedules.LearningRateSchedule:
    """Linear warm-up from lr/10 to lr over `warmup_epochs`, then cosine decay to 0."""
    total = recipe.epochs * steps_per_epoch
    warmup = min(int(recipe.warmup_epochs * steps_per_epoch), total - 1)
    return keras.optimizers.schedules.CosineDecay(
        recipe.learning_rate / 10 if warmup else recipe.learning_rate,
        decay_steps=max(total - warmup, 1),
        warmup_target=recipe.learning_rate if warmup else None,
        warmup_steps=warmup,
    )


def make_optimizer(recipe: Recipe, steps_per_epoch: int) -> keras.optimizers.Optimizer:
    schedule = learning_rate_schedule(recipe, steps_per_epoch)
    if recipe.optimizer == "sgd":
        return keras.optimizers.SGD(schedule, momentum=recipe.momentum, nesterov=True, weight_decay=recipe.weight_decay)
    return keras.optimizers.AdamW(schedule, weight_decay=recipe.weight_decay)


def array_dataset(
    images: np.ndarray,
    labels: np.ndarray,
    batch_size: int,
    augment: str = "none",
    shuffle: bool = False,
    seed: int = 0,
    repeat: bool = False,
):
    """tf.data over in-memory uint8 images (N, 64, 64, 3) and int labels (N,), yielding
    (float32 (B, 64, 64, 3) in [0, 1], int32 (B,)); augment="flip" mirrors half the images."""
    import tensorflow as tf

    dataset = tf.data.Dataset.from_tensor_slices((images, np.asarray(labels, np.int32)))
    if shuffle:
        dataset = dataset.shuffle(len(images), seed=seed, reshuffle_each_iteration=True)
    if repeat:
        dataset = dataset.repeat()
    dataset = dataset.batch(batch_size).enumerate()

    def prepare(step, pair):
        batch, batch_labels = pair
        batch = tf.cast(batch, tf.float32) / 255.0
        if augment == "flip":  # a fresh coin per image and batch, deterministic under `seed`
            coins = tf.random.stateless_uniform(
                [tf.shape(batch)[0], 1, 1, 1], seed=tf.stack([tf.constant(seed, tf.int64), step])
            )
            batch = tf.where(coins < 0.5, tf.reverse(batch, axis=[2]), batch)
        return batch, batch_labels

    return dataset.map(prepare, num_parallel_calls=2, deterministic=True).prefetch(2)


def compile_model(model: keras.Model, recipe: Recipe, steps_per_epoch: int) -> keras.Model:
    """Compile for sparse integer labels with top-1 and top-5 accuracy."""
    top_k = min(5, model.output_shape[-1])
    model.compile(
        optimizer=make_optimizer(recipe, steps_per_epoch),
        loss="sparse_categorical_crossentropy",
        metrics=["accuracy", keras.metrics.SparseTopKCategoricalAccuracy(top_k, name=f"top{top_k}")],
    )
    return model


def fit(
    model: keras.Model,
    train: tuple[np.ndarray, np.ndarray],
    val: tuple[np.ndarray, np.ndarray],
    recipe: Recipe,
    workdir: str | os.PathLike,
    verbose: int | str = "auto",
) -> dict:
    """Train `model` on in-memory (uint8 images, labels) and write into `workdir`:
    history.csv (one row per epoch, column `epoch`), model.keras, recipe.json, run.json.

    Returns run.json's content: recipe, epochs, wall seconds, train images/s, and the
    final val loss / top-1 / top-5 on the full val set.
    """
    workdir = Path(workdir)
    workdir.mkdir(parents=True, exist_ok=True)
    runtime.seed_everything(recipe.seed)
    images, labels = train
    steps_per_epoch = max(len(images) // recipe.batch_size, 1)
    train_data = array_dataset(
        images, labels, recipe.batch_size, recipe.augment, shuffle=True, seed=recipe.seed, repeat=True
    )
    val_data = array_dataset(*val, batch_size=256)
    compile_model(model, recipe, steps_per_epoch)
    (workdir / "recipe.json").write_text(recipe.to_json() + "\n")
    started = time.perf_counter()
    history = model.fit(
        train_data,
        epochs=recipe.epochs,
        steps_per_epoch=steps_per_epoch,
        validation_data=val_data,
        callbacks=[keras.callbacks.CSVLogger(str(workdir / "history.csv"))],
        shuffle=False,  # the dataset shuffles itself
        verbose=verbose,
    )
    seconds = time.perf_counter() - started
    model.save(workdir / "model.keras")
    final = {key: float(values[-1]) for key, values in history.history.items() if key.startswith("val_")}
    run = {
        "recipe": dataclasses.asdict(recipe),
        "model": model.name,
        "parameters": int(model.count_params()),
        "epochs": len(history.history["loss"]),
        "train_images": int(len(images)),
        "val_images": int(len(val[0])),
        "seconds": round(seconds, 1),
        "images_per_second": round(steps_per_epoch * recipe.batch_size * recipe.epochs / seconds, 1),
        **final,
    }
    (workdir / "run.json").write_text(json.dumps(run, indent=2) + "\n")
    return run
