"""fit() under tf.distribute: MirroredStrategy on two logical CPU devices, and
MultiWorkerMirroredStrategy with two worker processes on 127.0.0.1 (TF_CONFIG), with resume."""

import json
import os
import shutil
import socket
import subprocess
import sys
import textwrap
import time

import numpy as np
import pytest

pytestmark = pytest.mark.end_to_end

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


WORKER = textwrap.dedent(
    """
    import json, sys
    from tinylib.train import devices

    strategy = devices.strategy()  # first: TensorFlow sets up collectives once, at start-up
    import keras
    import numpy as np
    from tinylib.models import resnet10
    from tinylib.train import TrainingData, fit, recipe

    workdir, out, index = sys.argv[1], sys.argv[2], int(sys.argv[3])
    rng = np.random.default_rng(0)
    images, labels = rng.integers(0, 256, (96, 64, 64, 3), dtype=np.uint8), rng.integers(0, 4, 96)
    data = TrainingData(images[:64], labels[:64], images[64:], labels[64:], ("a", "b", "c", "d"))
    plan = recipe("demo", epochs=2, batch_size=8)
    keras.utils.set_random_seed(index)  # different initial weights: fit starts both from the chief's
    paused = fit(resnet10(width=8, stem="imagenet", num_classes=4), data, plan, workdir, max_minutes=0, verbose=0)
    model = resnet10(width=8, stem="imagenet", num_classes=4)
    done = fit(model, data, plan, workdir, verbose=0)
    np.savez(out, *model.get_weights())
    print(json.dumps({"paused": paused, "done": done}))
    """
)


def _free_ports(count: int) -> list[int]:
    sockets = [socket.socket() for _ in range(count)]
    for s in sockets:
        s.bind(("127.0.0.1", 0))
    ports = [s.getsockname()[1] for s in sockets]
    for s in sockets:
        s.close()
    return ports


# The TF server binds the port itself, so a free port found here can be taken by another process
# before it does (other test runs on the machine): that one failure is retried with new ports.
PORT_TAKEN = ("Address already in use", "Failed to add port")
HANG_GUARD = 30 * 60  # seconds


def _run_workers(tmp_path, workdir) -> list[tuple[int, str, str]]:
    """Start the two workers and wait for both: (returncode, stdout, stderr) each. Output goes to
    files, not pipes: a full pipe of the worker not being read would stop it, and the other worker
    with it (both wait in each all-reduce). Waited for as events: a worker that fails ends the
    other; HANG_GUARD only stops a real hang (far beyond the ~1-2 minutes this takes on a busy machine)."""
    workers = [f"127.0.0.1:{port}" for port in _free_ports(2)]
    processes, logs = [], []
    for index in range(2):
        config = {"cluster": {"worker": workers}, "task": {"type": "worker", "index": index}}
        env = {**os.environ, "TF_CONFIG": json.dumps(config), "CUDA_VISIBLE_DEVICES": "", "TF_CPP_MIN_LOG_LEVEL": "2"}
        command = [sys.executable, "-c", WORKER, str(workdir), str(tmp_path / f"weights{index}.npz"), str(index)]
        out, err = (open(tmp_path / f"worker{index}.{kind}", "w+") for kind in ("out", "err"))
        logs.append((out, err))
        processes.append(subprocess.Popen(command, env=env, stdout=out, stderr=err, text=True))
    try:
        started = time.monotonic()
        while any(process.poll() is None for process in processes):
            if time.monotonic() - started > HANG_GUARD or any(process.poll() not in (None, 0) for process in processes):
                for process in processes:
                    if process.poll() is None:
                        process.kill()
            time.sleep(0.1)
    finally:
        for process in processes:
            if process.poll() is None:
                process.kill()
            process.wait()
    results = []
    for process, (out, err) in zip(processes, logs):
        out.seek(0), err.seek(0)
        results.append((process.returncode, out.read(), err.read()))
        out.close(), err.close()
    return results


def test_two_workers_on_localhost_train_resume_and_agree_under_multi_worker_mirrored(tmp_path):
    workdir = tmp_path / "run"
    for _ in range(3):
        results = _run_workers(tmp_path, workdir)
        if not any(taken in stderr for _, _, stderr in results for taken in PORT_TAKEN):
            break
        shutil.rmtree(workdir, ignore_errors=True)
    outputs = [(stdout, stderr) for _, stdout, stderr in results]
    for returncode, _, stderr in results:
        assert returncode == 0, stderr[-3000:]
    reports = [json.loads(stdout.strip().splitlines()[-1]) for stdout, _ in outputs]
    for report in reports:
        assert report["paused"]["status"] == "paused" and report["paused"]["epochs_done"] == 1
        done = report["done"]
        assert done["status"] == "complete" and done["epochs_done"] == 2
        assert done["replicas"] == 2 and done["workers"] == 2 and done["recipe"]["batch_size"] == 16
    chief, worker = (np.load(tmp_path / f"weights{index}.npz") for index in range(2))
    for name in chief.files:  # the same weights everywhere, batch-norm statistics included
        np.testing.assert_allclose(chief[name], worker[name], rtol=0, atol=1e-6)
    history = (workdir / "history.csv").read_text().splitlines()
    assert [line.split(",")[0] for line in history[1:]] == ["0", "1"]  # resumed: every epoch once
    assert json.loads((workdir / "run.json").read_text())["status"] == "complete"
    assert not (workdir / "backup").exists()
    assert not list(workdir.glob(".worker-*"))  # the other worker's private folder is gone
