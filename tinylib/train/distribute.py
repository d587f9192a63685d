"""What `fit` needs to train under tf.distribute strategies, and the ONE module that touches
private Keras API (each use listed in PRIVATE_API, checked by `private_api_problems()` and by
tests/test_distribute_canary.py, which fails loudly, naming the Keras version, when an upgrade
moves a name).

MultiWorkerMirroredStrategy (from TF_CONFIG, `devices.strategy()`): every worker runs the same
`fit` call; gradients are all-reduced, so all workers hold the same weights. Only the chief
writes the work folder; every other worker reads it (to resume) and writes into a private
temporary folder that is deleted at the end (the usual Keras multi-worker pattern).

Keras 3.15's TensorFlow trainer fails twice under MultiWorkerMirroredStrategy, and
`multi_worker_patches` works around both, for the duration of one `fit` call, and restores
Keras afterwards (TensorFlow itself is fine):
1. before the first step, `_maybe_symbolic_build` hands the whole (x, y) batch, a tuple of
   PerReplica values, to `strategy.reduce`, which takes one tensor, not a nest ("Attempt to
   convert a value (PerReplica ...) to a Tensor"): the model is built instead from this
   worker's first local batch (the build only needs shapes and dtypes);
2. after every step, `reduce_per_replica` averages the scalar loss and metrics across workers
   with `strategy.reduce("MEAN", v, axis=0)` ("Invalid reduction dimension 0 for input with 0
   dimensions"): scalars are averaged with axis=None instead.

`AtomicBackupAndRestore` is Keras' BackupAndRestore with atomic writes. Keras'
`double_checkpoint=True` keeps a copy of the previous weights but still writes the weights and
the epoch file in place, and falls back only when loading the weights raises OSError: a kill
while the small training_metadata.json is written leaves it empty and the next run fails to
parse it. So the backup is written under temporary names and renamed, overriding the private
`_save_model`, and it never writes non-finite weights.
"""

from __future__ import annotations

import contextlib
import json
import os
import types

import keras
import numpy as np

from tinylib.files import atomic_file
from tinylib.train.devices import cluster_workers

# Private Keras names this module relies on: (where, name). A Keras upgrade that moves one
# must fail loudly (private_api_problems, tests/test_distribute_canary.py), never silently.
PRIVATE_API = (
    ("keras.Model", "_maybe_symbolic_build"),
    ("keras.Model", "_symbolic_build"),
    ("keras.src.backend.tensorflow.trainer", "reduce_per_replica"),
    ("keras.src.backend.tensorflow.trainer", "_collective_all_reduce_multi_worker"),
    ("keras.callbacks.BackupAndRestore", "_save_model"),
    ("keras.callbacks.BackupAndRestore()", "_weights_path"),
    ("keras.callbacks.BackupAndRestore()", "_training_metadata_path"),
)


def _owner(where: str):
    if where == "keras.callbacks.BackupAndRestore()":
        return keras.callbacks.BackupAndRestore(os.devnull + "-tinylib-canary")
    if where == "keras.src.backend.tensorflow.trainer":
        from keras.src.backend.tensorflow import trainer

        return trainer
    return {"keras.Model": keras.Model, "keras.callbacks.BackupAndRestore": keras.callbacks.BackupAndRestore}[where]


def private_api_problems(backend: str | None = None) -> list[str]:
    """The private Keras names of PRIVATE_API that this Keras no longer has, each as one line
    naming the Keras version ([] when all are there). The TensorFlow trainer's names are only
    checked on the TensorFlow backend."""
    backend = backend or keras.config.backend()
    problems = []
    for where, name in PRIVATE_API:
        if "tensorflow" in where and backend != "tensorflow":
            continue
        try:
            present = hasattr(_owner(where), name)
        except ImportError as error:
            present, name = False, f"{name} ({error})"
        if not present:
            problems.append(f"Keras {keras.__version__} has no {where}.{name}: tinylib.train.distribute needs updating")
    return problems


def is_multi_worker(strategy) -> bool:
    """True for a strategy that spans several worker processes: $TF_CONFIG names more than one
    task and `strategy` is a MultiWorkerMirroredStrategy. Fails closed: raises ValueError when
    TF_CONFIG names several workers but `strategy` is another kind (each worker would then
    write the chief's folder)."""
    workers = cluster_workers()
    if workers <= 1:
        return False
    import tensorflow as tf

    if isinstance(strategy, tf.distribute.MultiWorkerMirroredStrategy):
        return True
    raise ValueError(
        f"TF_CONFIG names {workers} workers but the strategy is {type(strategy).__name__}: "
        "pass strategy=tinylib.train.devices.strategy() (MultiWorkerMirroredStrategy), or unset TF_CONFIG"
    )


def is_chief(strategy) -> bool:
    """True in the process that writes checkpoints and logs: always, except on the
    non-chief workers of a multi-worker strategy."""
    return not is_multi_worker(strategy) or bool(strategy.extended.should_checkpoint)


def task_id(strategy) -> int:
    """This worker's index in the cluster (0 without one)."""
    resolver = getattr(strategy, "cluster_resolver", None)
    return int(getattr(resolver, "task_id", None) or 0)


def worker_index(strategy) -> int | None:
    """None in the chief (it writes the work folder itself); on another worker its index,
    for `Workdir.worker_copy` (the chief's folder must be shared, as for any resume)."""
    return None if is_chief(strategy) else task_id(strategy)


def all_reduce(strategy, arrays: list, reduction: str) -> list:
    """`arrays` (NumPy, any shapes and dtypes) combined across the workers with "SUM" or
    "MEAN" in one all-reduce (float64 on the wire); same shapes and dtypes back."""
    import tensorflow as tf

    flat = tf.constant(np.concatenate([np.ravel(a).astype(np.float64) for a in arrays]) if arrays else np.zeros(0))
    total = strategy.reduce(reduction, strategy.run(lambda: tf.identity(flat)), axis=None).numpy()
    parts = np.split(total, np.cumsum([np.size(a) for a in arrays])[:-1]) if arrays else []
    return [part.reshape(np.shape(a)).astype(np.asarray(a).dtype) for part, a in zip(parts, arrays)]


def any_worker(strategy, flag: bool) -> bool:
    """True when `flag` is true in at least one worker (an all-reduce across workers; the
    flag itself with one worker). Used so that every worker stops after the same epoch."""
    if not is_multi_worker(strategy):
        return flag
    return float(all_reduce(strategy, [np.float64(flag)], "SUM")[0]) > 0


def _local_build(self, iterator=None, data_batch=None):
    """Keras' `_maybe_symbolic_build`, building from this worker's first local batch."""
    import tensorflow as tf

    if self._distribute_strategy is None:
        return
    if iterator is not None:
        for _, _, batches in iterator:
            data_batch = keras.tree.map_structure(
                lambda v: (
                    self.distribute_strategy.experimental_local_results(v)[0]
                    if isinstance(v, tf.distribute.DistributedValues)
                    else v
                ),
                next(batches),
            )
            break
    with self.distribute_strategy.scope():
        self._symbolic_build(data_batch=data_batch)


@contextlib.contextmanager
def multi_worker_patches(model: keras.Model, strategy):
    """Within this block, `model.fit` runs under a multi-worker strategy (see the module
    docstring): the symbolic build of this model object uses a local batch, and Keras' per-step
    reduction averages scalars across workers with axis=None. Both are undone on exit. Does
    nothing without several workers. Raises RuntimeError, naming the Keras version, when the
    private names it patches have moved."""
    if not is_multi_worker(strategy):
        yield model
        return
    problems = private_api_problems("tensorflow")
    if problems:
        raise RuntimeError("; ".join(problems))
    from keras.src.backend.tensorflow import trainer

    keras_reduce = trainer.reduce_per_replica

    def reduce_per_replica(values, strategy, reduction):
        if reduction in ("auto", "mean") and trainer._collective_all_reduce_multi_worker(strategy):
            return keras.tree.map_structure(
                lambda v: strategy.reduce("MEAN", v, axis=None if v.shape.rank == 0 else 0), values
            )
        return keras_reduce(values, strategy, reduction)

    model._maybe_symbolic_build = types.MethodType(_local_build, model)
    trainer.reduce_per_replica = reduce_per_replica
    try:
        yield model
    finally:
        trainer.reduce_per_replica = keras_reduce
        del model._maybe_symbolic_build


class AtomicBackupAndRestore(keras.callbacks.BackupAndRestore):
    """Keras' BackupAndRestore, but each file is written under a temporary name and renamed into
    place (a SIGKILL while saving leaves the previous backup readable), and weights that are not
    finite are never written over finite ones (`skipped` lists those epochs)."""

    skipped: tuple = ()
    async_safe = True  # saves per epoch only: its batch hook does nothing, so Keras need not wait for each step

    def _save_model(self):
        if not all(np.isfinite(weights).all() for weights in self.model.get_weights()):
            self.skipped = (*self.skipped, self._current_epoch - 1)
            return
        os.makedirs(self.backup_dir, exist_ok=True)
        # Both written beside their targets first; renamed weights first, then the epoch file.
        with atomic_file(self._training_metadata_path) as metadata, atomic_file(self._weights_path) as weights:
            self.model.save_weights(weights, overwrite=True)
            metadata.write_text(json.dumps({"epoch": self._current_epoch, "batch": self._last_batch_seen}))


def broadcast_from_chief(strategy, model: keras.Model) -> None:
    """Give every worker the chief's weights (a sum across workers in which only the chief
    contributes, so the values arrive exactly): workers may have built their models from
    different seeds, and `set_weights` under a multi-worker strategy stays local."""
    if not is_multi_worker(strategy):
        return
    weights = model.get_weights()
    mine = weights if is_chief(strategy) else [np.zeros_like(w) for w in weights]
    model.set_weights(all_reduce(strategy, mine, "SUM"))


def average_across_workers(strategy, variables: list) -> None:
    """Replace each float variable by its mean over the workers (one all-reduce). Applied to
    batch-norm moving statistics, which every worker updates from its own batches only."""
    variables = [v for v in variables if "float" in str(v.dtype)]
    if not is_multi_worker(strategy) or not variables:
        return
    values = [keras.ops.convert_to_numpy(v.value) for v in variables]
    for variable, mean in zip(variables, all_reduce(strategy, values, "MEAN")):
        variable.assign(mean)


class AverageStatistics(keras.callbacks.Callback):
    """At the end of every epoch, before it is logged or saved, average the model's
    non-trainable float weights (batch-norm statistics) over the workers, so that every
    worker ends each epoch with the same weights. Does nothing without several workers."""

    def __init__(self, strategy, model: keras.Model):
        super().__init__()
        self.strategy, self.target = strategy, model

    def on_epoch_end(self, epoch, logs=None):
        average_across_workers(self.strategy, self.target.non_trainable_weights)
