"""The callbacks `fit` adds to Keras' own: a resume-safe per-epoch log, a time budget, and
checkpoints that save the plain model and never save non-finite weights over finite ones; and
how much progress Keras prints (one line per epoch in notebooks, which save every update)."""

from __future__ import annotations

import json
import sys
import time
import zipfile
from pathlib import Path

import keras
import numpy as np

from tinylib.files import atomic_file
from tinylib.train import distribute
from tinylib.workdir import Workdir


def finite(model: keras.Model) -> bool:
    """True when every weight of `model` is a finite number (no NaN or infinity)."""
    return all(np.isfinite(weights).all() for weights in model.get_weights())


def portable(model: keras.Model) -> keras.Model:
    """An uncompiled copy of `model` with its weights: saved, it loads with plain
    `keras.saving.load_model` in a process that never imports tinylib (no optimiser, whose
    schedule may be one of the kit's own classes). Resuming uses backup/, which keeps the
    optimiser's full state."""
    copy = type(model).from_config(model.get_config())  # keras.models.clone_model would compile the copy
    copy.set_weights(model.get_weights())
    return copy


def save_portable(model: keras.Model, partial: Path) -> None:
    """Save `portable(model)` to `partial` (the temporary name of a .keras file: a zip holding
    config.json and the weights), with a config that older Keras versions (Colab's 3.13) read too."""
    portable(model).save(partial)
    with zipfile.ZipFile(partial) as archive:
        members = {name: archive.read(name) for name in archive.namelist()}
    members["config.json"] = json.dumps(_older_keras_can_read(json.loads(members["config.json"]))).encode()
    with zipfile.ZipFile(partial, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)


# Initializer arguments Keras 3.15 saves and Keras 3.13 (Colab's) rejects ("HeNormal.__init__() got
# an unexpected keyword argument 'input_axes'"). They only shape new weights; saved weights are loaded.
NEWER_INITIALIZER_ARGUMENTS = ("input_axes", "output_axes")


def _older_keras_can_read(config):
    """`config` (a model's get_config()) without initializer arguments older Keras versions reject."""
    if isinstance(config, list):
        return [_older_keras_can_read(item) for item in config]
    if not isinstance(config, dict):
        return config
    inner = config.get("config")
    if str(config.get("module", "")).startswith("keras.initializers") and isinstance(inner, dict):
        config = {**config, "config": {k: v for k, v in inner.items() if k not in NEWER_INITIALIZER_ARGUMENTS}}
    return {key: _older_keras_can_read(value) for key, value in config.items()}


def progress_verbosity(verbose: int | str = "auto") -> tuple[int | str, list]:
    """(Keras' `verbose` for `fit`, callbacks to add). "auto" inside a Jupyter kernel is 0 plus
    `EpochLines` (one display updated in place, one line per epoch), since a notebook saves a
    progress bar's every update as one more output; anything else (0, 1, 2, or "auto" in a
    terminal: a progress bar) is returned as is, with no callback."""
    if verbose == "auto" and "ipykernel" in sys.modules:
        return 0, [EpochLines()]
    return verbose, []


class EpochLines(keras.callbacks.Callback):
    """In a notebook: one text display, updated in place after every epoch, one line per epoch
    ("epoch 3/30  41.2 s  loss 2.104  top1 0.512  val_loss 2.310  val_top1 0.474")."""

    def on_train_begin(self, logs=None):
        self.lines, self.handle, self.started = [], None, time.perf_counter()

    def on_epoch_begin(self, epoch, logs=None):
        self.started = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
        from IPython.display import display

        total = self.params.get("epochs", "?")
        values = "  ".join(f"{key} {float(value):.4g}" for key, value in (logs or {}).items() if key != "learning_rate")
        self.lines.append(f"epoch {epoch + 1}/{total}  {time.perf_counter() - self.started:.1f} s  {values}")
        text = {"text/plain": "\n".join(self.lines)}
        if self.handle is None:
            self.handle = display(text, raw=True, display_id=True)
        else:
            self.handle.update(text, raw=True)


class EpochLog(keras.callbacks.Callback):
    """history.csv with one row per epoch (column `epoch` first), rewritten atomically through
    `Workdir` at the end of every epoch; a row for an epoch that is run again replaces the old
    one, so a resumed run never logs an epoch twice. Adds `seconds` and `learning_rate`. Stops
    training after an epoch whose loss is not finite (Keras' TerminateOnNaN checks every batch,
    which makes Keras wait for the device after every step: 19 % slower on an H200)."""

    def __init__(self, workdir: Workdir):
        super().__init__()
        self.workdir = workdir
        self.rows = workdir.history()

    def on_epoch_begin(self, epoch, logs=None):
        self.started = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
        row = {"epoch": epoch, **{key: float(value) for key, value in (logs or {}).items()}}
        row["seconds"] = round(time.perf_counter() - self.started, 3)
        row["learning_rate"] = float(keras.ops.convert_to_numpy(self.model.optimizer.learning_rate))
        self.rows = sorted([r for r in self.rows if int(r["epoch"]) != epoch] + [row], key=lambda r: int(r["epoch"]))
        self.workdir.write_history(self.rows)
        if not np.isfinite(row.get("loss", 0.0)):  # checked per epoch, not per batch: no sync on every step
            self.model.stop_training = True


class TimeBudget(keras.callbacks.Callback):
    """Stop cleanly after the epoch during which `minutes` have passed (None: no limit).
    Under a multi-worker strategy every worker stops after the epoch in which any one did."""

    def __init__(self, minutes: float | None, strategy=None):
        super().__init__()
        self.minutes, self.strategy, self.stopped_early = minutes, strategy, False

    def on_train_begin(self, logs=None):
        self.started = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
        if self.minutes is None:
            return
        if distribute.any_worker(self.strategy, time.perf_counter() - self.started >= 60 * self.minutes):
            self.model.stop_training, self.stopped_early = True, True


class Checkpoint(keras.callbacks.Callback):
    """Save `target` (the plain model, not the on-device augmentation wrapper that trains; without
    optimiser, see `portable`) to `path` after every epoch, or only when `monitor` (e.g.
    "val_accuracy") beats `best` so far.
    Written under a temporary name then renamed: an interrupt leaves the previous file whole.
    An epoch whose weights are not finite is skipped (listed in `skipped`): a NaN never replaces
    good weights. min_seconds > 0: after a write, the next is held (its weights kept in memory)
    until min_seconds have passed, and written at the end of training: on a GPU an epoch can
    take less time than writing the file (0.8 s an epoch on an H200, issue 25)."""

    def __init__(self, target: keras.Model, path: Path, monitor: str | None = None, best: float | None = None,
                 min_seconds: float = 0.0, clock=time.monotonic):  # fmt: skip
        super().__init__()
        self.target, self.path, self.monitor, self.best = target, Path(path), monitor, best
        self.min_seconds, self.clock, self.written, self.held = min_seconds, clock, None, None
        self.skipped: list[int] = []

    def on_epoch_end(self, epoch, logs=None):
        value = (logs or {}).get(self.monitor) if self.monitor else None
        if self.monitor and (value is None or not np.isfinite(value) or (self.best is not None and value <= self.best)):
            return
        if not finite(self.target):
            self.skipped.append(epoch)
            return
        self.best = value
        if self.written is not None and self.clock() - self.written < self.min_seconds:
            self.held = self.target.get_weights()  # written later: when due, or at the end of training
            return
        self._write(None)

    def on_train_end(self, logs=None):
        if self.held is not None:
            self._write(self.held)

    def _write(self, weights: list | None) -> None:
        current = self.target.get_weights() if weights is not None else None
        if weights is not None:
            self.target.set_weights(weights)
        try:
            with atomic_file(self.path) as partial:
                save_portable(self.target, partial)
        finally:
            if current is not None:
                self.target.set_weights(current)
        self.written, self.held = self.clock(), None
