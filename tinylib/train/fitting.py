"""`fit`: train a model with a recipe into one work folder that survives disconnects.

workdir/ holds backup/ (Keras BackupAndRestore: weights, optimiser state, epoch), best.keras,
last.keras, history.csv (one row per epoch), recipe.json, tb/ (TensorBoard) and run.json.
Calling `fit` again with the same workdir continues where the last call stopped (a closed
Colab tab, a kernel restart, Ctrl-C, SIGKILL) and ends with the planned number of epochs.
"""

from __future__ import annotations

import contextlib
import csv
import dataclasses
import json
import math
import os
import platform
import shutil
import time
import warnings
from pathlib import Path

import keras
import numpy as np

from tinylib import runtime
from tinylib.data.augment import Augmenter
from tinylib.train import distribute, on_device
from tinylib.train.evaluation import evaluate
from tinylib.train.recipes import Recipe

# Keras 3.15 warns on every fit() with a tf.data input unless shuffle=False is passed, although
# a dataset shuffles itself (ours do); the warning only confuses learners, so it is silenced.
warnings.filterwarnings("ignore", message="`shuffle=True` was passed, but will be ignored")

NAN_HINT = (
    "the loss became NaN at epoch {epoch}: training stopped. Likely causes: a learning rate too high "
    "for this batch size (try half), a model without normalisation, float16 overflow (use float32 or "
    "bfloat16), or images not scaled to [0, 1]. The last good weights are in {backup}; fix the cause, "
    "delete {workdir} and start again."
)


class TrainingDiverged(RuntimeError):
    """The loss became NaN or infinite."""


@dataclasses.dataclass
class TrainingData:
    """In-memory (or memory-mapped) uint8 images (N, 64, 64, 3) with int labels (N,)."""

    train_images: np.ndarray
    train_labels: np.ndarray
    val_images: np.ndarray
    val_labels: np.ndarray
    class_names: tuple[str, ...]
    source: str = ""

    @property
    def num_classes(self) -> int:
        return len(self.class_names)

    def subset(self, train: int | None = None, val: int | None = None) -> TrainingData:
        """The first `train` training and `val` validation images (None: all of them)."""
        return dataclasses.replace(
            self,
            train_images=self.train_images[:train],
            train_labels=self.train_labels[:train],
            val_images=self.val_images[:val],
            val_labels=self.val_labels[:val],
        )

    @classmethod
    def from_root(cls, root: str | os.PathLike, progress: bool = True) -> TrainingData:
        """Both labelled splits of a dataset in the official layout, through the packed
        cache (built on first use, memory-mapped afterwards)."""
        from tinylib.data import load_packed, read_layout

        info = read_layout(root)
        train = load_packed(root, "train", progress=progress)
        val = load_packed(root, "val", progress=progress)
        return cls(*train, *val, class_names=info.names, source=str(Path(root).resolve()))


class EpochLog(keras.callbacks.Callback):
    """history.csv with one row per epoch (column `epoch` first), rewritten atomically at the
    end of every epoch; a row for an epoch that is run again replaces the old one, so a resumed
    run never logs an epoch twice. Adds `seconds` and `learning_rate` columns."""

    def __init__(self, path: Path):
        super().__init__()
        self.path = path
        self.rows = read_history_rows(path)

    def on_epoch_begin(self, epoch, logs=None):
        self.started = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
        row = {"epoch": epoch, **{key: float(value) for key, value in (logs or {}).items()}}
        row["seconds"] = round(time.perf_counter() - self.started, 3)
        rate = self.model.optimizer.learning_rate
        row["learning_rate"] = float(keras.ops.convert_to_numpy(rate))
        self.rows = [r for r in self.rows if int(r["epoch"]) != epoch] + [row]
        self.rows.sort(key=lambda r: int(r["epoch"]))
        columns = list(dict.fromkeys(key for r in self.rows for key in r))
        temporary = self.path.with_suffix(".csv.tmp")
        with open(temporary, "w", newline="") as handle:
            writer = csv.DictWriter(handle, columns)
            writer.writeheader()
            writer.writerows(self.rows)
        os.replace(temporary, self.path)


class AtomicBackupAndRestore(keras.callbacks.BackupAndRestore):
    """Keras' BackupAndRestore, but each file is written under a temporary name and renamed
    into place: a SIGKILL while saving (seen in the tests with the stock callback) leaves the
    previous backup readable instead of a truncated HDF5 file that makes the next run fail."""

    def _save_model(self):
        os.makedirs(self.backup_dir, exist_ok=True)
        weights = self._weights_path.removesuffix(".weights.h5") + ".partial.weights.h5"
        self.model.save_weights(weights, overwrite=True)
        metadata = Path(self._training_metadata_path + ".partial")
        metadata.write_text(json.dumps({"epoch": self._current_epoch, "batch": self._last_batch_seen}))
        os.replace(weights, self._weights_path)
        os.replace(metadata, self._training_metadata_path)


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


class SaveModel(keras.callbacks.ModelCheckpoint):
    """ModelCheckpoint that saves `target` (the plain model) while another model trains (the
    on-device augmentation wrapper), so that best.keras / last.keras never hold the wrapper."""

    def __init__(self, target: keras.Model, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.target = target

    def set_model(self, model):
        super().set_model(self.target)


def read_history_rows(path: str | os.PathLike) -> list[dict]:
    """Rows of a history.csv as dicts ([] when there is none yet)."""
    if not Path(path).is_file():
        return []
    with open(path, newline="") as handle:
        return list(csv.DictReader(handle))


def _check_workdir(workdir: Path, recipe: Recipe, model: keras.Model) -> None:
    saved = workdir / "recipe.json"
    if saved.is_file() and Recipe.from_json(saved.read_text()) != recipe:
        raise ValueError(f"{workdir} holds a run with another recipe; pass a new workdir, or delete it to start over")
    run = workdir / "run.json"
    if run.is_file() and json.loads(run.read_text()).get("model") != model.name:
        raise ValueError(f"{workdir} holds a run of another model; pass a new workdir, or delete it to start over")


def _finished_run(workdir: Path, recipe: Recipe) -> dict | None:
    path = workdir / "run.json"
    run = json.loads(path.read_text()) if path.is_file() else {}
    done = run.get("status") == "complete" and run.get("epochs_done") == recipe.epochs
    return run if done and (workdir / "last.keras").is_file() else None


def _hardware() -> str:
    devices = [d for d in runtime.report(print_report=False)["devices"] if not d.startswith("CPU")]
    cpu = platform.processor() or platform.machine()
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.is_file():
        names = [
            line.split(":", 1)[1].strip() for line in cpuinfo.read_text().splitlines() if line.startswith("model name")
        ]
        cpu = names[0] if names else cpu
    return ", ".join([*devices, f"{os.cpu_count()} CPU cores ({cpu})"])


def fit(
    model: keras.Model,
    data: TrainingData | str | os.PathLike,
    recipe: Recipe,
    workdir: str | os.PathLike,
    max_minutes: float | None = None,
    verbose: int | str = "auto",
    callbacks: list | None = None,
    strategy=None,
    class_weight: dict[int, float] | None = None,
    augment_on: str = "auto",
    jit_compile: bool | None = None,
) -> dict:
    """Train `model` on `data` (TrainingData, or a dataset root) with `recipe` into `workdir`.

    Resumes from workdir/backup if an earlier call stopped; `callbacks` are added to Keras'
    (e.g. `plots.live_curves()`). `strategy`: a tf.distribute strategy (default:
    `runtime.strategy()`); with R replicas the recipe's batch size and learning rate are
    multiplied by R (the linear scaling rule: each replica keeps the recipe's batch), the model
    is rebuilt inside the strategy's scope, and its trained weights are copied back into `model`.
    Under a multi-worker strategy (TF_CONFIG) every worker runs the same call; only the chief
    writes `workdir`, the others write into a private folder deleted at the end.
    `class_weight`: {class index: loss weight} for Keras (e.g. `analysis.class_weights_from_errors`).
    `augment_on`: "host" (in the input pipeline), "device" (in the compiled train step, uint8
    batches in: `on_device.AugmentingModel`) or "auto" (device on a GPU/TPU, host on CPUs).
    `jit_compile`: XLA for the train step (default: `runtime.jit_compile()`, chosen per device).
    Returns (and writes) run.json:
    status ("complete" or "paused" when `max_minutes` ran out), recipe, model, versions,
    hardware, epochs, wall seconds and train images/s over all calls, and val loss, top-1
    and top-5 of the final model on every val image. Raises TrainingDiverged on a NaN loss.
    """
    workdir = Path(workdir)
    workdir.mkdir(parents=True, exist_ok=True)
    data = data if isinstance(data, TrainingData) else TrainingData.from_root(data)
    strategy = strategy or runtime.strategy()
    replicas = strategy.num_replicas_in_sync if strategy is not None else 1
    if replicas > 1:
        recipe = recipe.with_batch_size(recipe.batch_size * replicas)
    _check_workdir(workdir, recipe, model)
    finished = _finished_run(workdir, recipe)
    if finished is not None:  # nothing left to train: the model takes the final weights
        model.set_weights(keras.models.load_model(workdir / "last.keras").get_weights())
        return finished
    chief = distribute.is_chief(strategy)
    if chief:
        (workdir / "recipe.json").write_text(recipe.to_json() + "\n")
    runtime.seed_everything(recipe.seed)
    place, place_reason = on_device.choose(augment_on, recipe.augment)
    jit = runtime.jit_compile(replicas=replicas) if jit_compile is None else (bool(jit_compile), "chosen by the caller")
    if jit[0] and place == "device" and recipe.augment == "strong" and keras.config.backend() == "tensorflow":
        jit = (False, "MixUp draws from a Beta distribution, which has no XLA kernel in TensorFlow")
    settings = dict(max_minutes=max_minutes, verbose=verbose, callbacks=callbacks, class_weight=class_weight)
    folder = distribute.worker_folder(workdir, strategy)  # workdir itself, except on non-chief workers
    try:
        run = _train(model, data, recipe, folder, strategy, place, jit[0], settings)
    finally:
        if folder != workdir:
            shutil.rmtree(folder, ignore_errors=True)
    run["replicas"] = replicas
    run["workers"] = max(distribute.cluster_workers(), 1) if distribute.is_multi_worker(strategy) else 1
    run["augment_on"] = f"{place} ({place_reason})"
    run["jit_compile"] = f"{jit[0]} ({jit[1]})"
    if run["status"] == "complete":  # on one device, outside any strategy: every val image once
        run["val"] = evaluate(model, data.val_images, data.val_labels, flip=recipe.test_time_flip)
    if chief:
        (workdir / "run.json").write_text(json.dumps(run, indent=2) + "\n")
    distribute.any_worker(strategy, False)  # a barrier: the chief's files are complete before any worker returns
    return run


def _train(model, data, recipe, workdir, strategy, place, jit, settings) -> dict:
    original = model
    if strategy is not None and strategy.num_replicas_in_sync > 1:
        with strategy.scope():
            model = keras.models.clone_model(original)
            model.set_weights(original.get_weights())
            distribute.broadcast_from_chief(strategy, model)
    # random state made outside the scope: per replica, not mirrored (see on_device.AugmentingModel)
    augmenter = Augmenter(recipe.augment, data.num_classes, recipe.seed, jit=False) if place == "device" else None
    with strategy.scope() if strategy is not None else contextlib.nullcontext():
        trained = on_device.AugmentingModel(model, augmenter) if augmenter else model
        trained.build((None, *data.train_images.shape[1:]))
        if distribute.is_multi_worker(strategy):
            distribute.patch_for_multi_worker(trained)
        return _fit_in_scope(original, model, trained, data, recipe, workdir, strategy, place, jit, **settings)


def _fit_in_scope(
    original, model, trained, data, recipe, workdir, strategy, place, jit, max_minutes, verbose, callbacks, class_weight
) -> dict:
    from tinylib.data import packed_dataset

    steps = max(int(len(data.train_images) * recipe.epoch_fraction) // recipe.batch_size, 1)
    top_k = min(5, data.num_classes)
    trained.compile(
        jit_compile=jit,
        optimizer=recipe.make_optimizer(steps),
        loss=keras.losses.CategoricalCrossentropy(label_smoothing=recipe.label_smoothing),
        metrics=[
            keras.metrics.CategoricalAccuracy(name="accuracy"),
            keras.metrics.TopKCategoricalAccuracy(top_k, name=f"top{top_k}"),
        ],
    )
    host = place == "host"  # else uint8 batches in, augmented and scaled by the AugmentingModel
    batches = dict(num_classes=data.num_classes, one_hot=True, seed=recipe.seed, scale=host)
    augment = recipe.augment if host else "none"
    if keras.config.backend() == "tensorflow":  # tf.data: parallel gathering, prefetch
        import tensorflow as tf

        options = tf.data.Options()  # each worker reads every batch and keeps its share
        options.experimental_distribute.auto_shard_policy = tf.data.experimental.AutoShardPolicy.DATA
        train = packed_dataset(
            data.train_images, data.train_labels, recipe.batch_size, augment, shuffle=True, repeat=True, **batches
        ).with_options(options)
        val = packed_dataset(data.val_images, data.val_labels, 256, "none", **batches).with_options(options)
    else:  # JAX / PyTorch, possibly without TensorFlow installed: a Keras PyDataset
        from tinylib.data import PackedBatches

        train = PackedBatches(data.train_images, data.train_labels, recipe.batch_size, augment, shuffle=True, **batches)
        val = PackedBatches(data.val_images, data.val_labels, 256, "none", **batches)
    best_so_far = [
        float(r["val_accuracy"]) for r in read_history_rows(workdir / "history.csv") if r.get("val_accuracy")
    ]
    budget = TimeBudget(max_minutes, strategy)
    callbacks = [
        distribute.AverageStatistics(strategy, model),  # first: what is logged and saved is the same everywhere
        *(callbacks or []),
        EpochLog(workdir / "history.csv"),
        budget,
        keras.callbacks.TerminateOnNaN(),
        SaveModel(
            model,
            workdir / "best.keras",
            monitor="val_accuracy",
            mode="max",
            save_best_only=True,
            initial_value_threshold=max(best_so_far) if best_so_far else None,
        ),
        SaveModel(model, workdir / "last.keras"),
        # Last, so a crash before it re-runs the epoch; kept after a paused run, deleted below when complete.
        AtomicBackupAndRestore(str(workdir / "backup"), delete_checkpoint=False),
    ]
    if keras.config.backend() == "tensorflow":
        callbacks.append(keras.callbacks.TensorBoard(str(workdir / "tb"), write_graph=False))
    trained.fit(
        train,
        epochs=recipe.epochs,
        steps_per_epoch=steps,
        validation_data=val,
        callbacks=callbacks,
        verbose=verbose,
        class_weight=class_weight,
    )

    rows = read_history_rows(workdir / "history.csv")
    if rows and not math.isfinite(float(rows[-1]["loss"])):
        raise TrainingDiverged(NAN_HINT.format(epoch=rows[-1]["epoch"], backup=workdir / "backup", workdir=workdir))
    seconds = sum(float(r["seconds"]) for r in rows)
    complete = len(rows) >= recipe.epochs
    report = runtime.report(print_report=False)
    run = {
        "status": "complete" if complete else "paused",
        "model": model.name,
        "parameters": int(model.count_params()),
        "recipe": dataclasses.asdict(recipe),
        "data": data.source,
        "train_images": int(len(data.train_images)),
        "epochs_planned": recipe.epochs,
        "epochs_done": len(rows),
        "steps_per_epoch": steps,
        "wall_seconds": round(seconds, 1),
        "images_per_second": round(len(rows) * steps * recipe.batch_size / seconds, 1) if seconds else None,
        "class_weight": {str(k): round(float(v), 4) for k, v in class_weight.items()} if class_weight else None,
        "best_val_accuracy": max((float(r["val_accuracy"]) for r in rows), default=None),
        "versions": {key: report[key] for key in ("python", "tensorflow", "keras", "backend", "tinylib")},
        "hardware": _hardware(),
    }
    if original is not model:
        original.set_weights(model.get_weights())
    if complete:
        shutil.rmtree(workdir / "backup", ignore_errors=True)
    else:
        print(f"stopped after {len(rows)} of {recipe.epochs} epochs (time budget); run the same call again to continue")
    return run
