"""What the H200 run found (benchmarks/results/gpu_h200.json), caught on the CPU."""

import keras
import numpy as np
import pytest

from tinylib.data import batches
from tinylib.train import devices, fitting, recipe
from tinylib.workdir import Workdir

pytestmark = pytest.mark.backend


def test_training_batches_on_jax_and_pytorch_have_exactly_steps_per_epoch():
    """A last partial batch made every other epoch train on one batch (JAX, PyTorch)."""
    images, labels = np.zeros((103, 64, 64, 3), np.uint8), np.arange(103) % 4
    common = {"batch_size": 25, "num_classes": 4, "loader": "py_dataset"}
    train = batches(images, labels, one_hot=True, shuffle=True, repeat=True, **common)
    assert len(train) == 103 // 25 == 4 and all(len(train[i][0]) == 25 for i in range(len(train)))
    assert len(batches(images, labels, **common)) == 5  # evaluation keeps every image


def test_fit_callbacks_let_keras_dispatch_steps_asynchronously(tmp_path):
    """A callback with a per-batch hook makes Keras wait for the device after every step (19 %
    slower on an H200): fit's own callbacks act per epoch, or say they are safe."""
    model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(2)])
    device_plan = devices.plan("none", "float32", "host")
    plan = fitting._plan(recipe("demo"), device_plan, None, 0, None, None)
    for callback in fitting._callbacks(model, Workdir(tmp_path), plan):
        if isinstance(callback, keras.callbacks.TensorBoard) or getattr(callback, "async_safe", False):
            continue
        for hook in ("on_batch_end", "on_train_batch_end"):
            assert getattr(type(callback), hook) is getattr(keras.callbacks.Callback, hook), (callback, hook)
