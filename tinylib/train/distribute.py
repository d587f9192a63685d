"""What `fit` needs to train under tf.distribute strategies, multi-worker ones included.

MultiWorkerMirroredStrategy (from TF_CONFIG, `runtime.strategy()`): every worker runs the same
`fit` call; gradients are all-reduced, so all workers hold the same weights. Only the chief
writes the work folder; every other worker reads it (to resume) and writes into a private
temporary folder that is deleted at the end (the usual Keras multi-worker pattern).

Keras 3.15's TensorFlow trainer fails twice under MultiWorkerMirroredStrategy, and
`patch_for_multi_worker` works around both (TensorFlow itself is fine):
1. before the first step, `_maybe_symbolic_build` hands the whole (x, y) batch, a tuple of
   PerReplica values, to `strategy.reduce`, which takes one tensor, not a nest ("Attempt to
   convert a value (PerReplica ...) to a Tensor"): the model is built instead from this
   worker's first local batch (the build only needs shapes and dtypes);
2. after every step, `reduce_per_replica` averages the scalar loss and metrics across workers
   with `strategy.reduce("MEAN", v, axis=0)` ("Invalid reduction dimension 0 for input with 0
   dimensions"): scalars are averaged with axis=None instead.
"""

from __future__ import annotations

import json
import os
import shutil
import types
from pathlib import Path

import keras


def tf_config() -> dict:
    """$TF_CONFIG as a dict ({} when unset)."""
    return json.loads(os.environ.get("TF_CONFIG") or "{}")


def cluster_workers(config: dict | None = None) -> int:
    """Number of worker and chief tasks in a TF_CONFIG (0 when there is no cluster)."""
    cluster = (tf_config() if config is None else config).get("cluster", {})
    return len(cluster.get("worker", [])) + len(cluster.get("chief", []))


def is_multi_worker(strategy) -> bool:
    """True for a strategy that spans several worker processes (MultiWorkerMirroredStrategy
    with a cluster of more than one task)."""
    if strategy is None:
        return False
    in_multi_worker_mode = getattr(strategy.extended, "_in_multi_worker_mode", None)
    return bool(in_multi_worker_mode and in_multi_worker_mode())


def is_chief(strategy) -> bool:
    """True in the process that writes checkpoints and logs: always, except on the
    non-chief workers of a multi-worker strategy."""
    return not is_multi_worker(strategy) or bool(strategy.extended.should_checkpoint)


def task_id(strategy) -> int:
    """This worker's index in the cluster (0 without one)."""
    resolver = getattr(strategy, "cluster_resolver", None)
    return int(getattr(resolver, "task_id", None) or 0)


def worker_folder(workdir: Path, strategy) -> Path:
    """Where this process writes: `workdir` on the chief; on another worker a fresh private
    folder `workdir/.worker-<index>` seeded with the chief's history and backup, so that it
    resumes from the same epoch (the chief's folder must be shared, as for any resume)."""
    if is_chief(strategy):
        return workdir
    private = workdir / f".worker-{task_id(strategy)}"
    shutil.rmtree(private, ignore_errors=True)
    private.mkdir(parents=True)
    for name in ("history.csv", "recipe.json"):
        if (workdir / name).is_file():
            shutil.copy2(workdir / name, private / name)
    if (workdir / "backup").is_dir():
        shutil.copytree(workdir / "backup", private / "backup")
    return private


def all_reduce(strategy, arrays: list, reduction: str) -> list:
    """`arrays` (NumPy, any shapes and dtypes) combined across the workers with "SUM" or
    "MEAN" in one all-reduce (float64 on the wire); same shapes and dtypes back."""
    import numpy as np
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
    import numpy as np

    return float(all_reduce(strategy, [np.float64(flag)], "SUM")[0]) > 0


def patch_for_multi_worker(model: keras.Model) -> keras.Model:
    """Let `model.fit` run under MultiWorkerMirroredStrategy (see the module docstring): the
    symbolic build of this model object uses a local batch, and Keras' per-step reduction
    averages scalars across workers with axis=None (a process-wide change that only affects
    multi-worker strategies). Returns `model`."""
    import tensorflow as tf
    from keras.src.backend.tensorflow import trainer

    def build(self, iterator=None, data_batch=None):
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

    model._maybe_symbolic_build = types.MethodType(build, model)
    if not getattr(trainer.reduce_per_replica, "multi_worker_scalars", False):
        keras_reduce = trainer.reduce_per_replica

        def reduce_per_replica(values, strategy, reduction):
            if reduction in ("auto", "mean") and trainer._collective_all_reduce_multi_worker(strategy):
                return keras.tree.map_structure(
                    lambda v: strategy.reduce("MEAN", v, axis=None if v.shape.rank == 0 else 0), values
                )
            return keras_reduce(values, strategy, reduction)

        reduce_per_replica.multi_worker_scalars = True
        trainer.reduce_per_replica = reduce_per_replica
    return model


def broadcast_from_chief(strategy, model: keras.Model) -> None:
    """Give every worker the chief's weights (a sum across workers in which only the chief
    contributes, so the values arrive exactly): workers may have built their models from
    different seeds, and `set_weights` under a multi-worker strategy stays local."""
    if not is_multi_worker(strategy):
        return
    import numpy as np

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
