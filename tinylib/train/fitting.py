"""`fit`: train a model with a recipe into one work folder that survives disconnects.

The work folder (`tinylib.workdir.Workdir`) holds backup/ (weights, optimiser state, epoch),
best.keras, last.keras, history.csv, recipe.json, tb/ (TensorBoard) and run.json. Calling
`fit` again with the same folder continues where the last call stopped (a closed Colab tab, a
kernel restart, Ctrl-C, SIGKILL) and ends with the planned number of epochs.
"""

from __future__ import annotations

import contextlib
import dataclasses
import math
import os
import shutil
import warnings

import keras
import numpy as np

from tinylib import files
from tinylib.data.arrays import TrainingData, batches
from tinylib.data.augment import Augmenter
from tinylib.inference import predict_probabilities, scores
from tinylib.train import devices, distribute, on_device
from tinylib.train.callbacks import Checkpoint, EpochLog, TimeBudget
from tinylib.train.recipes import Recipe
from tinylib.workdir import Workdir

# Keras 3.15 warns on every fit() with a tf.data input unless shuffle=False is passed, although
# a dataset shuffles itself (ours do); the warning only confuses learners, so it is silenced.
warnings.filterwarnings("ignore", message="`shuffle=True` was passed, but will be ignored")

NAN_HINT = (
    "the loss became NaN at epoch {epoch}: training stopped. Likely causes: a learning rate too high "
    "for this batch size (try half), a model without normalisation, float16 overflow (use float32 or "
    "bfloat16), or images not scaled to [0, 1]. {where} Fix the cause, delete {workdir} and start again."
)



CHECKPOINTS = "the checkpoints of this run"
WORKDIR_FIX = "free some space, or use another --workdir"


class TrainingDiverged(RuntimeError):
    """The loss became NaN or infinite."""


@dataclasses.dataclass(frozen=True)
class Plan:
    """How one `fit` call trains, resolved from its arguments and the machine."""

    recipe: Recipe
    strategy: object
    augment_on: tuple[str, str]  # ("host" | "device", reason)
    jit_compile: tuple[bool, str]
    max_minutes: float | None
    verbose: int | str
    callbacks: tuple
    class_weight: dict | None

    @property
    def replicas(self) -> int:
        return self.strategy.num_replicas_in_sync if self.strategy is not None else 1


def fit(
    model: keras.Model,
    data: TrainingData | str | os.PathLike,
    recipe: Recipe,
    workdir: str | os.PathLike | Workdir,
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
    `devices.strategy()`); with R replicas the recipe's batch size and learning rate are
    multiplied by R (the linear scaling rule), the model is rebuilt inside the strategy's scope,
    and its trained weights are copied back into `model`. Under a multi-worker strategy
    (TF_CONFIG) every worker runs the same call; only the chief writes `workdir`.
    `class_weight`: {class index: loss weight} (e.g. `analysis.class_weights_from_errors`).
    `augment_on`: "host" (input pipeline), "device" (compiled train step, uint8 batches in:
    `on_device.AugmentingModel`) or "auto" (device on a GPU/TPU, host on CPUs).
    `jit_compile`: XLA for the train step (default: `devices.jit_compile()`, per device).
    Returns (and writes) run.json: status ("complete", or "paused" when `max_minutes` ran out),
    recipe, model, class ids, versions, hardware, epochs, wall seconds, train images/s, and
    val loss, top-1 and top-5 of the final model on every val image. Raises TrainingDiverged
    on a NaN loss, IncompatibleRun when `workdir` holds another run, WorkdirInUse when another
    process is training into it, NotEnoughSpaceError (one line) when its disk has less free
    than `space_needed(model)` or runs full while saving (the files saved before stay whole).
    """
    workdir = Workdir(workdir).create()
    data = data if isinstance(data, TrainingData) else TrainingData.from_root(data)
    plan = _plan(recipe, strategy, augment_on, jit_compile, max_minutes, verbose, callbacks, class_weight)
    chief = distribute.is_chief(plan.strategy)
    full = files.disk_full_as_one_line(workdir.path, CHECKPOINTS, WORKDIR_FIX)
    with workdir.lock() if chief else contextlib.nullcontext(), full:
        return _fit_locked(model, data, workdir, plan, chief)


def _fit_locked(model, data: TrainingData, workdir: Workdir, plan: Plan, chief: bool) -> dict:
    """`fit` once the chief holds the work folder: resume or finish, train, evaluate, record."""
    recipe = plan.recipe
    workdir.check_compatible(dataclasses.asdict(recipe), model.name)
    if workdir.finished:  # nothing left to train: the model takes the final weights
        model.set_weights(workdir.load_model("last").get_weights())
        return workdir.run()
    if chief:
        workdir.remove_leftovers()  # of a run killed while saving
        files.check_free_space(workdir.path, space_needed(model), CHECKPOINTS, WORKDIR_FIX)
        workdir.write_recipe(recipe.to_json())
    devices.seed_everything(recipe.seed)
    run = _train_in_worker_folder(model, data, workdir, plan)
    if run["status"] == "complete":  # on one device, outside any strategy: every val image once
        run["val"] = _final_evaluation(model, data, recipe, workdir if chief else None)
    if chief:
        workdir.write_run(run)
    distribute.any_worker(plan.strategy, False)  # a barrier: the chief's files are complete before any worker returns
    return run


def space_needed(model: keras.Model) -> int:
    """An estimate of the bytes a run of `model` needs free in its work folder: best.keras,
    last.keras and backup/ (3 x the weights), twice while a new one is written beside the old
    (`files.check_free_space` adds its margin for logs, history and val predictions)."""
    weights = sum(int(np.prod(w.shape)) * 4 for w in model.weights)  # saved as float32 (also under mixed precision)
    return 3 * weights * 2


def _train_in_worker_folder(model, data: TrainingData, workdir: Workdir, plan: Plan) -> dict:
    """Train into `workdir` on the chief, into a private folder (deleted after) on other workers."""
    folder = Workdir(distribute.worker_folder(workdir.path, plan.strategy))
    try:
        return _train(model, data, folder, plan)
    finally:
        if folder.path != workdir.path:
            shutil.rmtree(folder.path, ignore_errors=True)


def _plan(recipe, strategy, augment_on, jit_compile, max_minutes, verbose, callbacks, class_weight) -> Plan:
    strategy = strategy or devices.strategy()
    replicas = strategy.num_replicas_in_sync if strategy is not None else 1
    if replicas > 1:
        recipe = recipe.with_batch_size(recipe.batch_size * replicas)
    place = on_device.choose(augment_on, recipe.augment)
    jit = devices.jit_compile(replicas=replicas) if jit_compile is None else (bool(jit_compile), "chosen by the caller")
    if jit[0] and place[0] == "device" and recipe.augment == "strong" and keras.config.backend() == "tensorflow":
        jit = (False, "MixUp draws from a Beta distribution, which has no XLA kernel in TensorFlow")
    return Plan(recipe, strategy, place, jit, max_minutes, verbose, tuple(callbacks or ()), class_weight)


def _final_evaluation(model, data: TrainingData, recipe: Recipe, workdir: Workdir | None) -> dict:
    """Scores of the final model on every val image; the plain and mirrored probabilities are
    kept in the work folder, so the report and the demo need no further pass over val."""
    plain = predict_probabilities(model, data.val_images)
    mirrored = predict_probabilities(model, np.asarray(data.val_images)[:, :, ::-1])
    if workdir is not None:
        workdir.write_val_predictions(plain, mirrored)
    chosen = (plain + mirrored) / 2 if recipe.test_time_flip else plain
    return scores(chosen, data.val_labels, recipe.test_time_flip)


def _train(model: keras.Model, data: TrainingData, workdir: Workdir, plan: Plan) -> dict:
    original = model
    strategy = plan.strategy
    if plan.replicas > 1:
        with strategy.scope():
            model = keras.models.clone_model(original)
            model.set_weights(original.get_weights())
            distribute.broadcast_from_chief(strategy, model)
    # random state made outside the scope: per replica, not mirrored (see on_device.AugmentingModel)
    device = plan.augment_on[0] == "device"
    augmenter = Augmenter(plan.recipe.augment, data.num_classes, plan.recipe.seed, jit=False) if device else None
    with strategy.scope() if strategy is not None else contextlib.nullcontext():
        trained = on_device.AugmentingModel(model, augmenter) if augmenter else model
        trained.build((None, *data.train_images.shape[1:]))
        steps = _compile(trained, data, plan)
        checkpoints = _callbacks(model, workdir, plan)
        with distribute.multi_worker_patches(trained, strategy):
            trained.fit(
                batches(data.train_images, data.train_labels, plan.recipe.batch_size, data.num_classes,
                        "none" if device else plan.recipe.augment, shuffle=True, repeat=True,
                        seed=plan.recipe.seed, scale=not device),
                epochs=plan.recipe.epochs,
                steps_per_epoch=steps,
                validation_data=batches(data.val_images, data.val_labels, 256, data.num_classes, scale=not device),
                callbacks=checkpoints,
                verbose=plan.verbose,
                class_weight=plan.class_weight,
            )  # fmt: skip
    skipped = {epoch for callback in checkpoints for epoch in getattr(callback, "skipped", ())}
    return _finish(original, model, data, workdir, plan, steps, skipped)


def _compile(trained: keras.Model, data: TrainingData, plan: Plan) -> int:
    """Compile with the recipe's optimiser, loss and top-1/top-5 metrics; returns steps per epoch."""
    recipe = plan.recipe
    steps = max(int(len(data.train_images) * recipe.epoch_fraction) // recipe.batch_size, 1)
    top_k = min(5, data.num_classes)
    trained.compile(
        jit_compile=plan.jit_compile[0],
        optimizer=recipe.make_optimizer(steps),
        loss=keras.losses.CategoricalCrossentropy(label_smoothing=recipe.label_smoothing),
        metrics=[
            keras.metrics.CategoricalAccuracy(name="accuracy"),
            keras.metrics.TopKCategoricalAccuracy(top_k, name=f"top{top_k}"),
        ],
    )
    return steps


def _callbacks(model: keras.Model, workdir: Workdir, plan: Plan) -> list:
    best_so_far = [float(r["val_accuracy"]) for r in workdir.history() if r.get("val_accuracy")]
    callbacks = [
        distribute.AverageStatistics(plan.strategy, model),  # first: what is logged and saved is the same everywhere
        *plan.callbacks,
        EpochLog(workdir),
        TimeBudget(plan.max_minutes, plan.strategy),
        Checkpoint(model, workdir.model_path("best"), "val_accuracy", max(best_so_far) if best_so_far else None),
        Checkpoint(model, workdir.model_path("last")),
        # Last, so a crash before it re-runs the epoch; kept after a paused run, deleted when complete.
        distribute.AtomicBackupAndRestore(str(workdir.backup_dir), delete_checkpoint=False),
    ]
    if keras.config.backend() == "tensorflow":
        callbacks.append(keras.callbacks.TensorBoard(str(workdir.tensorboard_dir), write_graph=False))
    return callbacks


def _diverged(workdir: Workdir, rows: list[dict], skipped: set[int]) -> TrainingDiverged:
    """The error for a run whose last epoch's loss is not finite; epochs (1-based, as Keras
    prints them) name where the last saved finite weights are (`skipped`: 0-based epochs whose
    weights were not finite, so not saved)."""
    saved = [r for r in rows if math.isfinite(float(r["loss"])) and int(r["epoch"]) not in skipped]
    if saved and workdir.model_path("last").is_file():
        where = (f"The last finite weights (epoch {int(saved[-1]['epoch']) + 1}) are in "
                 f"{workdir.model_path('last')} and {workdir.backup_dir}.")  # fmt: skip
    else:
        where = "No epoch ended with finite weights, so nothing was saved."
    return TrainingDiverged(NAN_HINT.format(epoch=int(rows[-1]["epoch"]) + 1, where=where, workdir=workdir.path))


def _finish(original, model, data: TrainingData, workdir: Workdir, plan: Plan, steps: int, skipped: set[int]) -> dict:
    rows = workdir.history()
    if rows and not math.isfinite(float(rows[-1]["loss"])):
        raise _diverged(workdir, rows, skipped)
    seconds = sum(float(r["seconds"]) for r in rows)
    complete = len(rows) >= plan.recipe.epochs
    run = {
        "status": "complete" if complete else "paused",
        "model": model.name,
        "parameters": int(model.count_params()),
        "recipe": dataclasses.asdict(plan.recipe),
        "data": data.source,
        "class_ids": list(data.class_ids),
        "train_images": int(len(data.train_images)),
        "epochs_planned": plan.recipe.epochs,
        "epochs_done": len(rows),
        "steps_per_epoch": steps,
        "wall_seconds": round(seconds, 1),
        "images_per_second": round(len(rows) * steps * plan.recipe.batch_size / seconds, 1) if seconds else None,
        "class_weight": {str(k): round(float(v), 4) for k, v in (plan.class_weight or {}).items()} or None,
        "best_val_accuracy": max((float(r["val_accuracy"]) for r in rows), default=None),
        "versions": devices.versions(),
        "hardware": devices.hardware(),
        "replicas": plan.replicas,
        "workers": max(devices.cluster_workers(), 1) if distribute.is_multi_worker(plan.strategy) else 1,
        "augment_on": "{} ({})".format(*plan.augment_on),
        "jit_compile": "{} ({})".format(*plan.jit_compile),
    }
    if original is not model:
        original.set_weights(model.get_weights())
    if complete:
        shutil.rmtree(workdir.backup_dir, ignore_errors=True)
    else:
        print(f"stopped after {len(rows)} of {plan.recipe.epochs} epochs (time budget); "
              "run the same call again to continue")  # fmt: skip
    return run
