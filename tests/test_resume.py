"""A training run killed with SIGKILL continues when the same command runs again."""

import json
import os
import signal
import subprocess
import sys
import time

from tinylib.workdir import Workdir


def test_sigkill_then_the_same_command_finishes_every_epoch_once(tmp_path):
    workdir = tmp_path / "run"
    env = {**os.environ, "TINYLIB_PROFILE": "quick", "TINYLIB_DATA": str(tmp_path / "data")}
    command = [sys.executable, "-m", "tinylib", "train", "--data", "synthetic", "--model", "resnet10",
               "--recipe", "demo", "--epochs", "6", "--workdir", str(workdir)]  # fmt: skip
    process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline and process.poll() is None:
        if (workdir / "backup" / "training_metadata.json").is_file():  # a first backup is complete
            break
        time.sleep(0.05)
    assert process.poll() is None, "the run ended before it could be killed"
    process.send_signal(signal.SIGKILL)
    process.wait()
    done_before = len(Workdir(workdir).history())
    assert 1 <= done_before < 6
    assert Workdir(workdir).run()["status"] == "started"  # what it trains on is recorded before the first epoch

    again = subprocess.run(command, env=env, capture_output=True, text=True, timeout=600)
    assert again.returncode == 0, again.stderr[-3000:]
    assert "Epoch 1/6" not in again.stdout  # it continued instead of starting over
    assert [row["epoch"] for row in Workdir(workdir).history()] == [str(e) for e in range(6)]
    run = json.loads((workdir / "run.json").read_text())
    assert run["status"] == "complete" and run["epochs_done"] == 6 and run["val"]["images"] == 200
    assert not (workdir / "backup").exists()
