"""The learning-rate range test (Smith 2015; fastai's `lr_find`): a good peak rate in a few hundred steps."""

from __future__ import annotations

import dataclasses
import math
import time

import keras
import numpy as np

from tinylib.data.arrays import TrainingData
from tinylib.data.batching import batches
from tinylib.train import devices
from tinylib.train.recipes import Recipe, batch_within
from tinylib.train.recipes import recipe as named_recipe

DIVERGENCE_FACTOR = 4.0  # stop once the smoothed loss passes 4 x the best smoothed loss so far (fastai)
MINIMUM = "minimum / 10"
STEEPEST = "steepest descent"
RULES = (MINIMUM, STEEPEST)
MIN_STEPS = 10  # fewer points leave nothing to suggest from once the start-up and the tail are dropped


@dataclasses.dataclass(frozen=True)
class RangeTest:
    """What a learning-rate range test measured, one entry per optimiser step taken.

    rates: float64 (S,) the learning rate of each step; losses: float64 (S,) that batch's
    training loss (nats, as the recipe's loss computes it); smoothed: float64 (S,) its
    bias-corrected exponential moving average. suggestions: {rule: learning rate} for every
    rule in RULES; `rule` names the one `suggestion` follows. divergence: the rate at which the
    smoothed loss passed DIVERGENCE_FACTOR x its best (or the loss stopped being finite), None
    when the ramp ended first. start, end, planned_steps: the ramp; seconds: wall time."""

    rates: np.ndarray
    losses: np.ndarray
    smoothed: np.ndarray
    suggestions: dict[str, float]
    rule: str
    divergence: float | None
    start: float
    end: float
    planned_steps: int
    batch_size: int
    seconds: float

    @property
    def suggestion(self) -> float:
        """The suggested peak learning rate (for this batch size), by `rule`."""
        return self.suggestions[self.rule]

    def __str__(self) -> str:
        others = ", ".join(f"{rule}: {rate:.2g}" for rule, rate in self.suggestions.items() if rule != self.rule)
        stop = f"diverged at {self.divergence:.2g}" if self.divergence is not None else "no divergence"
        return (
            f"suggested learning rate {self.suggestion:.2g} ({self.rule} of the smoothed loss; {others}; {stop}; "
            f"batch {self.batch_size}, {len(self.rates)} of {self.planned_steps} steps from {self.start:g} to "
            f"{self.end:g})"
        )


def exponential_ramp(start: float, end: float, steps: int) -> keras.optimizers.schedules.LearningRateSchedule:
    """start x (end / start) ** (step / (steps - 1)): start at step 0, end at step steps - 1.
    Keras' ExponentialDecay with a decay rate above 1 is exactly this ramp."""
    if not 0 < start < end < math.inf or steps < 2:
        raise ValueError(f"expected 0 < start < end < inf and steps >= 2; got start={start}, end={end}, steps={steps}")
    return keras.optimizers.schedules.ExponentialDecay(start, decay_steps=steps - 1, decay_rate=end / start)


def suggest(rates: np.ndarray, smoothed: np.ndarray) -> dict[str, float]:
    """{rule: rate} from a smoothed loss curve, after dropping the first 10 % of the points and
    the last 5 (the start-up and the divergence tail; fastai's lr_find does the same):

    - "minimum / 10": a tenth of the rate at the lowest smoothed loss (fastai's `minimum`; one
      order of magnitude before the loss stops improving);
    - "steepest descent": the rate where the smoothed loss falls fastest per unit of log rate,
      the left point of the most negative finite difference (fastai's `steep`).
    Raises ValueError with fewer than 2 finite points."""
    keep = np.isfinite(smoothed)
    rates, smoothed = np.asarray(rates, np.float64)[keep], np.asarray(smoothed, np.float64)[keep]
    first, last = len(rates) // 10, len(rates) - 5
    if last - first < 3:  # too short a curve to trim: use it all
        first, last = 0, len(rates)
    rates, smoothed = rates[first:last], smoothed[first:last]
    if len(rates) < 2:
        raise ValueError(f"the range test ran {len(rates)} finite steps: too few for a suggestion (use more steps)")
    slopes = np.diff(smoothed) / np.diff(np.log(rates))
    return {MINIMUM: float(rates[np.argmin(smoothed)] / 10), STEEPEST: float(rates[np.argmin(slopes)])}


def find_learning_rate(
    model: keras.Model,
    data: TrainingData,
    recipe: Recipe | keras.optimizers.Optimizer | None = None,
    start: float = 1e-7,
    end: float = 10.0,
    steps: int = 200,
    smoothing: float = 0.98,
    batch_size: int | None = None,
    rule: str = MINIMUM,
) -> RangeTest:
    """Smith's learning-rate range test (arXiv:1506.01186, section 3.3; as fastai's `lr_find`).

    Trains a copy of `model` (keras.models.clone_model with its weights) for up to `steps`
    batches of `data`'s train split while the learning rate grows exponentially from `start`
    to `end`, and records each batch's loss. The loss is smoothed with a bias-corrected
    exponential moving average (weight `smoothing` on the past); the test stops early once the
    smoothed loss exceeds 4 x its best so far (divergence) or a loss is not finite. `model`
    itself is never trained or compiled: its weights, optimiser and optimiser state are exactly
    as before. recipe: a Recipe (default: "baseline") gives the optimiser (momentum, weight
    decay), label smoothing, augmentation, batch size and seed; or a Keras optimizer, whose
    settings are used (a new one is made, the given one is not touched) with the "baseline"
    recipe's other settings. The learning rate found is for this batch size: with another one,
    scale it linearly (`Recipe.with_batch_size`). rule: one of RULES (see `suggest`).
    Raises ValueError for a model that cannot be cloned, an invalid ramp (an end that is not
    finite, fewer than MIN_STEPS steps), or a suggestion below the ramp's start."""
    if rule not in RULES:
        raise ValueError(f"rule must be one of {', '.join(RULES)}; got {rule!r}")
    if steps < MIN_STEPS:
        raise ValueError(f"a ramp of {steps} steps is too short to suggest a rate: use {MIN_STEPS} steps or more")
    settings = recipe if isinstance(recipe, Recipe) else named_recipe("baseline")
    batch_size = batch_within(batch_size or settings.batch_size, len(data.train_images))
    schedule = exponential_ramp(start, end, steps)
    copy = _copy(model)
    copy.compile(
        optimizer=_optimizer(recipe, settings, schedule),
        loss=keras.losses.CategoricalCrossentropy(label_smoothing=settings.label_smoothing),
        jit_compile=devices.jit_compile()[0],
    )
    stream = batches(data.train_images, data.train_labels, batch_size=batch_size, num_classes=data.num_classes,
                     one_hot=True, augment=settings.augment, shuffle=True, repeat=True, seed=settings.seed)  # fmt: skip
    began = time.perf_counter()
    losses, smoothed, diverged = _ramp_up(copy, _endless(stream), steps, smoothing)
    rates = np.asarray(keras.ops.convert_to_numpy(schedule(np.arange(steps, dtype="float32"))), np.float64)
    divergence = float(rates[diverged]) if diverged is not None else None
    suggestions = _within_the_ramp(suggest(rates[: len(losses)], np.asarray(smoothed)), rule, start)
    return RangeTest(rates[: len(losses)], np.asarray(losses), np.asarray(smoothed), suggestions, rule, divergence,
                     start, end, steps, batch_size, time.perf_counter() - began)  # fmt: skip


def _within_the_ramp(suggestions: dict[str, float], rule: str, start: float) -> dict[str, float]:
    """`suggestions`, unless the one `rule` chose is below every rate tried: ValueError then."""
    if suggestions[rule] < start:
        raise ValueError(
            f"the loss was lowest at the first rates tried, so {rule} gives {suggestions[rule]:.2g}, below the "
            f"ramp's start ({start:g}): start the ramp lower (e.g. {start / 100:g})"
        )
    return suggestions


def _copy(model: keras.Model) -> keras.Model:
    """A new model with the same layers and weights (BatchNorm statistics included)."""
    try:
        copy = keras.models.clone_model(model)
    except Exception as error:  # subclassed models without get_config
        raise ValueError(
            f"the range test trains a copy of the model (keras.models.clone_model), which failed for "
            f"{model.name}: {error}. Use a functional model such as tinylib.models.resnet(...)"
        ) from error
    copy.set_weights(model.get_weights())
    return copy


def _optimizer(recipe, settings: Recipe, schedule) -> keras.optimizers.Optimizer:
    """A new optimiser with the recipe's (or the given optimiser's) settings and the ramp as its rate."""
    template = recipe if isinstance(recipe, keras.optimizers.Optimizer) else settings.make_optimizer(1)
    return type(template).from_config({**template.get_config(), "learning_rate": schedule})


def _endless(dataset):
    """Batches forever: a repeating tf.data dataset as it is, a PyDataset epoch after epoch."""
    while True:
        yield from dataset
        if hasattr(dataset, "on_epoch_end"):
            dataset.on_epoch_end()


def _ramp_up(model: keras.Model, stream, steps: int, smoothing: float) -> tuple[list, list, int | None]:
    """(raw losses, smoothed losses, index of the step that diverged or None); one batch per step."""
    losses, smoothed, average, best = [], [], 0.0, math.inf
    for step in range(steps):
        images, labels = next(stream)
        loss = float(model.train_on_batch(images, labels, return_dict=True)["loss"])
        if not math.isfinite(loss):
            return losses, smoothed, step
        average = smoothing * average + (1 - smoothing) * loss
        value = average / (1 - smoothing ** (step + 1))  # bias correction: the average starts at 0
        losses.append(loss)
        smoothed.append(value)
        best = min(best, value)
        if value > DIVERGENCE_FACTOR * best:
            return losses, smoothed, step
    return losses, smoothed, None
