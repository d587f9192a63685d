"""A training run killed with SIGKILL continues when the same command runs again."""

import json
import os
import signal
import subprocess
import sys
import time

import pytest

from tinylib.workdir import Workdir

pytestmark = [pytest.mark.backend, pytest.mark.end_to_end]


# The first run: the same command, but once the first backup is complete it says so in a file
# and waits, so the kill lands between the first backup and the end by construction, not by timing.
WAIT_AFTER_FIRST_BACKUP = """
import pathlib, sys, time
from tinylib.train import distribute
save = distribute.AtomicBackupAndRestore._save_model
def save_then_wait(self):
    save(self)
    pathlib.Path(sys.argv[1]).write_text("backed up")
    time.sleep(3600)
distribute.AtomicBackupAndRestore._save_model = save_then_wait
from tinylib.cli import main
raise SystemExit(main(sys.argv[2:]))
"""


def test_sigkill_then_the_same_command_finishes_every_epoch_once(tmp_path):
    workdir, backed_up = tmp_path / "run", tmp_path / "backed-up"
    env = {**os.environ, "TINYLIB_PROFILE": "quick", "TINYLIB_DATA": str(tmp_path / "data")}
    arguments = ["train", "--data", "synthetic", "--model", "resnet10",
                 "--recipe", "demo", "--epochs", "2", "--workdir", str(workdir)]  # fmt: skip
    with open(tmp_path / "first.log", "w") as log:  # a file, not a pipe: a full pipe would block the run
        process = subprocess.Popen([sys.executable, "-c", WAIT_AFTER_FIRST_BACKUP, str(backed_up), *arguments],
                                   env=env, stdout=log, stderr=subprocess.STDOUT)  # fmt: skip
        while process.poll() is None and not backed_up.is_file():  # the event; the run ending is the other way out
            time.sleep(0.05)
        assert process.poll() is None, f"ended before its first backup: {(tmp_path / 'first.log').read_text()[-3000:]}"
        process.send_signal(signal.SIGKILL)
        process.wait()
    assert (workdir / "backup" / "training_metadata.json").is_file()
    done_before = len(Workdir(workdir).history())
    assert done_before == 1  # the history is written before the backup, the last callback
    assert Workdir(workdir).run()["status"] == "started"  # what it trains on is recorded before the first epoch

    command = [sys.executable, "-m", "tinylib", *arguments]
    again = subprocess.run(command, env=env, capture_output=True, text=True, timeout=600)
    assert again.returncode == 0, again.stderr[-3000:]
    assert "Epoch 1/2" not in again.stdout and "Epoch 2/2" in again.stdout  # it continued instead of starting over
    assert [row["epoch"] for row in Workdir(workdir).history()] == ["0", "1"]  # each epoch once
    run = json.loads((workdir / "run.json").read_text())
    assert run["status"] == "complete" and run["epochs_done"] == 2 and run["val"]["images"] == 200
    assert not (workdir / "backup").exists()
