"""Learning-rate schedules as Keras `LearningRateSchedule`s: cyclical (Smith 2017), one-cycle,
cosine with linear warm-up. Each maps the optimiser's step (0, 1, ...) to a learning rate,
works on every Keras backend and is saved with the model (registered for `.keras` files).
"""

from __future__ import annotations

import math

import keras
from keras import ops

CYCLICAL_MODES = ("triangular", "triangular2", "exp_range")


@keras.saving.register_keras_serializable(package="tinylib")
class CyclicalLearningRate(keras.optimizers.schedules.LearningRateSchedule):
    """Cyclical learning rate (Smith, "Cyclical Learning Rates for Training Neural Networks",
    2017), with the formulas of the Keras `CyclicLR` callback the original notebook used:

        cycle = floor(1 + step / (2 * step_size))
        x = |step / step_size - 2 * cycle + 1|
        lr = base_lr + (max_lr - base_lr) * max(0, 1 - x) * scale

    scale is 1 ("triangular"), 1 / 2 ** (cycle - 1) ("triangular2": each cycle half as
    high) or gamma ** step ("exp_range"). `time_decay` multiplies by 1 / (1 + decay * step),
    like the legacy Keras optimiser argument `decay` the original also set.
    """

    def __init__(self, base_lr=1e-4, max_lr=1e-3, step_size=2000, mode="triangular", gamma=1.0, time_decay=0.0):
        if mode not in CYCLICAL_MODES:
            raise ValueError(f"mode must be one of {CYCLICAL_MODES}, got {mode!r}")
        if step_size <= 0:
            raise ValueError(f"step_size must be positive, got {step_size}")
        self.base_lr, self.max_lr, self.step_size = float(base_lr), float(max_lr), float(step_size)
        self.mode, self.gamma, self.time_decay = mode, float(gamma), float(time_decay)

    def __call__(self, step):
        step = ops.cast(step, "float32")
        cycle = ops.floor(1 + step / (2 * self.step_size))
        x = ops.abs(step / self.step_size - 2 * cycle + 1)
        if self.mode == "triangular":
            scale = 1.0
        elif self.mode == "triangular2":
            scale = 1 / ops.power(2.0, cycle - 1)
        else:
            scale = ops.power(self.gamma, step)
        rate = self.base_lr + (self.max_lr - self.base_lr) * ops.maximum(0.0, 1 - x) * scale
        return rate / (1 + self.time_decay * step)

    def get_config(self):
        return {
            "base_lr": self.base_lr,
            "max_lr": self.max_lr,
            "step_size": self.step_size,
            "mode": self.mode,
            "gamma": self.gamma,
            "time_decay": self.time_decay,
        }


@keras.saving.register_keras_serializable(package="tinylib")
class WarmupCosine(keras.optimizers.schedules.LearningRateSchedule):
    """Linear warm-up from `peak_lr * warmup_start` to `peak_lr` over `warmup_steps`, then
    cosine decay to `final_lr` at `total_steps` (and `final_lr` after it)."""

    def __init__(self, peak_lr=0.1, total_steps=1000, warmup_steps=0, final_lr=0.0, warmup_start=0.1):
        if total_steps <= warmup_steps:
            raise ValueError(f"total_steps ({total_steps}) must exceed warmup_steps ({warmup_steps})")
        self.peak_lr, self.total_steps, self.warmup_steps = float(peak_lr), int(total_steps), int(warmup_steps)
        self.final_lr, self.warmup_start = float(final_lr), float(warmup_start)

    def __call__(self, step):
        step = ops.cast(step, "float32")
        start = self.peak_lr * self.warmup_start
        warming = start + (self.peak_lr - start) * step / max(self.warmup_steps, 1)
        progress = ops.clip((step - self.warmup_steps) / (self.total_steps - self.warmup_steps), 0.0, 1.0)
        cosine = self.final_lr + (self.peak_lr - self.final_lr) * 0.5 * (1 + ops.cos(math.pi * progress))
        return ops.where(step < self.warmup_steps, warming, cosine)

    def get_config(self):
        return {
            "peak_lr": self.peak_lr,
            "total_steps": self.total_steps,
            "warmup_steps": self.warmup_steps,
            "final_lr": self.final_lr,
            "warmup_start": self.warmup_start,
        }


@keras.saving.register_keras_serializable(package="tinylib")
class OneCycle(keras.optimizers.schedules.LearningRateSchedule):
    """One-cycle policy (Smith & Topin 2018, as popularised by fast.ai): cosine rise from
    `max_lr / div_factor` to `max_lr` over the first `pct_start` of `total_steps`, then cosine
    fall to `max_lr / (div_factor * final_div_factor)`."""

    def __init__(self, max_lr=0.4, total_steps=1000, pct_start=0.25, div_factor=25.0, final_div_factor=1e4):
        if not 0 < pct_start < 1:
            raise ValueError(f"pct_start must be between 0 and 1, got {pct_start}")
        self.max_lr, self.total_steps, self.pct_start = float(max_lr), int(total_steps), float(pct_start)
        self.div_factor, self.final_div_factor = float(div_factor), float(final_div_factor)

    def __call__(self, step):
        step = ops.cast(step, "float32")
        rise = self.pct_start * self.total_steps
        start, end = self.max_lr / self.div_factor, self.max_lr / (self.div_factor * self.final_div_factor)
        up = ops.clip(step / rise, 0.0, 1.0)
        down = ops.clip((step - rise) / (self.total_steps - rise), 0.0, 1.0)
        rising = start + (self.max_lr - start) * 0.5 * (1 - ops.cos(math.pi * up))
        falling = end + (self.max_lr - end) * 0.5 * (1 + ops.cos(math.pi * down))
        return ops.where(step < rise, rising, falling)

    def get_config(self):
        return {
            "max_lr": self.max_lr,
            "total_steps": self.total_steps,
            "pct_start": self.pct_start,
            "div_factor": self.div_factor,
            "final_div_factor": self.final_div_factor,
        }
