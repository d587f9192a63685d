"""Training recipes: everything about how to train, as one JSON-serialisable dataclass, and
the named presets (`seed`, `baseline`, `fast`, `demo`)."""

from __future__ import annotations

import dataclasses
import json
import sys

import keras

from tinylib import config
from tinylib.data.augment import check_preset
from tinylib.train.schedules import CyclicalLearningRate, OneCycle

WARMUP_START = 0.1  # warm-up starts at a tenth of the peak rate (as the kit's WarmupCosine)

OPTIMIZERS = ("sgd", "adamw")
SCHEDULES = ("constant", "cosine", "onecycle", "cyclical")


def batch_within(batch_size: int, images: int) -> int:
    """`batch_size`, or `images` when the training set holds fewer, saying so in one line on
    stderr: a batch larger than the data would be one step per epoch at a learning rate scaled
    up for images that are not there (or a batch too large for memory)."""
    if images < 1 or batch_size <= images:
        return batch_size
    print(
        f"tinylib: note: batch size {batch_size:,} is larger than the {images:,} training images: using {images:,} "
        "(the learning rate scales with it)",
        file=sys.stderr,
    )
    return images


@dataclasses.dataclass(frozen=True)
class Recipe:
    """How to train. learning_rate is the peak (cosine, one-cycle) or maximum (cyclical) rate;
    weight_decay is decoupled, in the optimiser (0 where the model carries its own L2);
    epoch_fraction is the share of the train split one epoch covers (the original: 0.5);
    test_time_flip averages predictions of each val image and its mirror at evaluation."""

    name: str = "custom"
    epochs: int = 30
    batch_size: int = 128
    optimizer: str = "sgd"
    learning_rate: float = 0.1
    momentum: float = 0.9
    weight_decay: float = 5e-4
    schedule: str = "cosine"
    warmup_epochs: float = 0.0
    cyclical_base_lr: float = 1e-4
    cyclical_step_size: int = 2000
    cyclical_mode: str = "triangular"
    time_decay: float = 0.0
    label_smoothing: float = 0.0
    augment: str = "flip_crop"
    epoch_fraction: float = 1.0
    test_time_flip: bool = False
    seed: int = 0

    def __post_init__(self):
        for field, allowed in (("optimizer", OPTIMIZERS), ("schedule", SCHEDULES)):
            if getattr(self, field) not in allowed:
                raise ValueError(f"{field} must be one of {', '.join(allowed)}; got {getattr(self, field)!r}")
        check_preset(self.augment)
        if self.epochs < 1 or self.batch_size < 1:
            raise ValueError(f"epochs and batch_size must be >= 1, got {self.epochs} and {self.batch_size}")
        if not 0 < self.epoch_fraction <= 1:
            raise ValueError(f"epoch_fraction must be in (0, 1], got {self.epoch_fraction}")

    def replace(self, **changes) -> Recipe:
        return dataclasses.replace(self, **changes)

    def with_batch_size(self, batch_size: int) -> Recipe:
        """The linear scaling rule (Goyal et al. 2017): learning rate proportional to batch size."""
        return self.replace(batch_size=batch_size, learning_rate=self.learning_rate * batch_size / self.batch_size)

    def steps_per_epoch(self, train_images: int) -> int:
        """Optimiser steps in one epoch over `train_images` images: the epoch's share of them
        (`epoch_fraction`) in whole batches, at least 1."""
        return max(int(train_images * self.epoch_fraction) // self.batch_size, 1)

    def to_json(self) -> str:
        return json.dumps(dataclasses.asdict(self), indent=2)

    @classmethod
    def from_json(cls, text: str) -> Recipe:
        return cls(**json.loads(text))

    def schedule_for(self, steps_per_epoch: int) -> keras.optimizers.schedules.LearningRateSchedule | float:
        """The learning rate (a schedule object, or a float for "constant") per optimiser step."""
        total = self.epochs * steps_per_epoch
        if self.schedule == "cyclical":
            return CyclicalLearningRate(
                self.cyclical_base_lr,
                self.learning_rate,
                self.cyclical_step_size,
                self.cyclical_mode,
                time_decay=self.time_decay,
            )
        if self.schedule == "cosine":  # Keras' own: equal to the kit's WarmupCosine (final rate 0)
            warmup = min(int(self.warmup_epochs * steps_per_epoch), total - 1)
            if warmup == 0:
                return keras.optimizers.schedules.CosineDecay(self.learning_rate, total)
            return keras.optimizers.schedules.CosineDecay(
                self.learning_rate * WARMUP_START, total - warmup, warmup_target=self.learning_rate, warmup_steps=warmup
            )
        if self.schedule == "onecycle":
            return OneCycle(self.learning_rate, total)
        return self.learning_rate

    def make_optimizer(self, steps_per_epoch: int) -> keras.optimizers.Optimizer:
        rate = self.schedule_for(steps_per_epoch)
        if self.optimizer == "sgd":
            return keras.optimizers.SGD(
                rate, momentum=self.momentum, nesterov=True, weight_decay=self.weight_decay or None
            )
        return keras.optimizers.AdamW(rate, weight_decay=self.weight_decay)


RECIPES: dict[str, Recipe] = {
    # The original notebook as run: Nesterov SGD 0.95, triangular CLR 1e-4..1e-3 (step 2000)
    # with legacy time decay 1e-5, L2 5e-4 inside the model, no augmentation, batch 250,
    # epochs of half the train set.
    "seed": Recipe(
        name="seed",
        epochs=100,
        batch_size=250,
        optimizer="sgd",
        learning_rate=1e-3,
        momentum=0.95,
        weight_decay=0.0,
        schedule="cyclical",
        cyclical_base_lr=1e-4,
        cyclical_step_size=2000,
        time_decay=1e-5,
        augment="none",
        epoch_fraction=0.5,
    ),
    # The well-known strong from-scratch recipe for a 64x64 ResNet-18.
    "baseline": Recipe(
        name="baseline",
        epochs=100,
        batch_size=128,
        learning_rate=0.1,
        momentum=0.9,
        weight_decay=5e-4,
        schedule="cosine",
        warmup_epochs=2,
        label_smoothing=0.1,
        augment="flip_crop",
    ),
    # The speedrun: one-cycle at batch 250, 20 epochs, test-time flip. Tuned on an H200 (JAX
    # backend, bfloat16, ResNet-18 w64, tiny-imagenet-20): 72.5 % val top-1, 70 % after 33.6 s
    # of `fit` (docs/speedrun.md, benchmarks/results/gpu_h200_fast2.json, 2026-11-30).
    "fast": Recipe(
        name="fast",
        epochs=20,
        batch_size=250,
        learning_rate=0.4,
        momentum=0.9,
        weight_decay=5e-4,
        schedule="onecycle",
        label_smoothing=0.1,
        augment="flip_crop",
        test_time_flip=True,
    ),
    # What `make demo` runs on 2 CPU cores: AdamW and a short cosine schedule.
    "demo": Recipe(
        name="demo",
        epochs=12,
        batch_size=64,
        optimizer="adamw",
        learning_rate=3e-3,
        weight_decay=5e-4,
        schedule="cosine",
        warmup_epochs=1,
        augment="flip_crop",
    ),
}


def recipe(name: str, profile: config.Profile | None = None, **changes) -> Recipe:
    """A named preset, optionally with fields changed: `recipe("baseline", epochs=10)`.

    With a profile (`recipe("baseline", profile=config.profile())`): the profile's epochs and
    batch size (`Profile.training_length`), the learning rate scaled linearly from the preset's
    batch size (`Recipe.with_batch_size`); `epochs` or `batch_size` among `changes` replace the
    profile's (the rate still scaled), the other changes apply as they are. Raises ValueError
    for an unknown name or field value."""
    if name not in RECIPES:
        raise ValueError(f"unknown recipe {name!r}; presets: {', '.join(RECIPES)}")
    if profile is None:
        return RECIPES[name].replace(**changes)
    length = profile.training_length()
    length.update({key: changes.pop(key) for key in ("epochs", "batch_size") if key in changes})
    return RECIPES[name].replace(epochs=length["epochs"]).with_batch_size(length["batch_size"]).replace(**changes)
