"""Data-parallel training on JAX (keras.distribution.DataParallel, docs/scaling.md) over two
virtual CPU devices (XLA_FLAGS), in a fresh process; skipped where JAX is not installed."""

import importlib.util
import json
import os
import subprocess
import sys
import textwrap

import pytest

pytestmark = pytest.mark.every_backend  # the JAX leg runs this file too (make test-jax)

SCRIPT = textwrap.dedent(
    """
    import json, sys
    import numpy as np
    from tinylib.train import devices
    count = devices.use_data_parallel()  # before the model is built
    import keras
    from tinylib.models import resnet10
    from tinylib.train import TrainingData, fit, recipe

    rng = np.random.default_rng(0)
    images, labels = rng.integers(0, 256, (48, 64, 64, 3), dtype=np.uint8), rng.integers(0, 4, 48)
    data = TrainingData(images[:32], labels[:32], images[32:], labels[32:], ("a", "b", "c", "d"))
    model = resnet10(width=8, stem="imagenet", num_classes=4)
    before = keras.ops.convert_to_numpy(model.trainable_variables[0].value).copy()
    run = fit(model, data, recipe("demo", epochs=2, batch_size=8, augment="none"), sys.argv[1], verbose=0)
    kernel = model.trainable_variables[0].value
    layout = keras.distribution.distribution().get_data_layout((8, 64, 64, 3))
    print(json.dumps({"count": count, "distribution": type(keras.distribution.distribution()).__name__,
                      "kernel_devices": len(kernel.sharding.device_set), "batch_axes": list(layout.axes),
                      "changed": bool(np.abs(keras.ops.convert_to_numpy(kernel) - before).max() > 0),
                      "status": run["status"], "val_images": run["val"]["images"]}))
    """
)


@pytest.mark.backend
def test_jax_data_parallel_trains_over_two_virtual_devices(tmp_path):
    if importlib.util.find_spec("jax") is None:
        pytest.skip("jax is not installed here (make test-jax installs it)")
    env = {**os.environ, "KERAS_BACKEND": "jax", "XLA_FLAGS": "--xla_force_host_platform_device_count=2"}
    result = subprocess.run(
        [sys.executable, "-c", SCRIPT, str(tmp_path / "run")], capture_output=True, text=True, timeout=900, env=env
    )
    assert result.returncode == 0, result.stderr[-3000:]
    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert report == {
        "count": 2,
        "distribution": "DataParallel",
        "kernel_devices": 2,  # every weight replicated on both devices
        "batch_axes": ["batch", None, None, None],  # each batch split along its first axis
        "changed": True,
        "status": "complete",
        "val_images": 16,
    }
