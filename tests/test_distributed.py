"""fit() under tf.distribute.MirroredStrategy on two logical CPU devices, with resume."""

import json
import os
import subprocess
import sys
import textwrap

SCRIPT = textwrap.dedent(
    """
    import json, sys
    import tinylib  # sets TensorFlow's environment defaults first
    import tensorflow as tf

    cpu = tf.config.list_physical_devices("CPU")[0]
    tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * 2)
    import numpy as np
    from tinylib.models import resnet10
    from tinylib.train import TrainingData, fit, recipe

    rng = np.random.default_rng(0)
    images, labels = rng.integers(0, 256, (96, 64, 64, 3), dtype=np.uint8), rng.integers(0, 4, 96)
    data = TrainingData(images[:64], labels[:64], images[64:], labels[64:], ("a", "b", "c", "d"))
    strategy = tf.distribute.MirroredStrategy(["/cpu:0", "/cpu:1"])
    plan = recipe("demo", epochs=3, batch_size=8)
    model = resnet10(width=8, stem="imagenet", num_classes=4)
    before = [w.copy() for w in model.get_weights()]
    paused = fit(model, data, plan, sys.argv[1], max_minutes=0, verbose=0, strategy=strategy)
    done = fit(resnet10(width=8, stem="imagenet", num_classes=4), data, plan, sys.argv[1], verbose=0, strategy=strategy)
    changed = any(not np.array_equal(a, b) for a, b in zip(before, model.get_weights()))
    print(json.dumps({"paused": paused, "done": done, "weights_changed": changed}))
    """
)


def test_mirrored_strategy_on_two_logical_cpus_trains_scales_and_resumes(tmp_path):
    result = subprocess.run(
        [sys.executable, "-c", SCRIPT, str(tmp_path / "run")],
        capture_output=True,
        text=True,
        timeout=600,
        env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2"},
    )
    assert result.returncode == 0, result.stderr[-3000:]
    report = json.loads(result.stdout.strip().splitlines()[-1])
    paused, done = report["paused"], report["done"]
    assert paused["status"] == "paused" and paused["replicas"] == 2 and paused["epochs_done"] == 1
    assert done["status"] == "complete" and done["epochs_done"] == 3 and done["replicas"] == 2
    # the linear scaling rule: 2 replicas x 8 = a global batch of 16, learning rate doubled
    assert done["recipe"]["batch_size"] == 16 and done["recipe"]["learning_rate"] == 2 * 3e-3
    assert done["steps_per_epoch"] == 64 // 16 and done["val"]["images"] == 32
    assert report["weights_changed"]  # the trained weights came back into the caller's model
    history = (tmp_path / "run" / "history.csv").read_text().splitlines()
    assert [line.split(",")[0] for line in history[1:]] == ["0", "1", "2"]
