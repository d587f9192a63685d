"""Issue 13, training faults injected on purpose: a NaN at epoch 3, Ctrl-C while saving, a full
disk, two writers on one work folder; nothing good is lost and each ends in one line."""

import tinylib  # noqa: F401  first: it turns TensorFlow's oneDNN kernels off before keras loads TensorFlow

# isort: split
import errno
import json
import os
import subprocess
import sys
from pathlib import Path

import keras
import numpy as np
import pytest
from conftest import random_data, small_model

from tinylib import files
from tinylib.cli import main
from tinylib.train import TrainingDiverged, fit, recipe
from tinylib.train.fitting import space_needed
from tinylib.workdir import Workdir, WorkdirInUse

pytestmark = pytest.mark.backend

RECIPE = recipe("demo", epochs=2, batch_size=16)
ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def data():
    return random_data(48, 24, labels="cycle")


def weights_of(path: Path) -> list[np.ndarray]:
    return keras.saving.load_model(path, compile=False).get_weights()


def finite(weights: list[np.ndarray]) -> bool:
    return all(np.isfinite(w).all() for w in weights)


class NaNAtEpoch(keras.callbacks.Callback):
    """Keeps the weights at the end of each epoch; at the start of `epoch` (0-based) turns the
    first convolution's kernel into NaN, so that epoch's loss is NaN."""

    def __init__(self, epoch: int):
        super().__init__()
        self.epoch, self.ends = epoch, {}

    def on_epoch_begin(self, epoch, logs=None):
        if epoch == self.epoch:
            kernel = self.model.weights[0]
            kernel.assign(np.full(kernel.shape, np.nan, np.float32))

    def on_epoch_end(self, epoch, logs=None):
        self.ends[epoch] = self.model.get_weights()


def test_nan_at_epoch_3_keeps_the_finite_weights_and_says_where(tmp_path, data):
    workdir = Workdir(tmp_path / "run")
    nan = NaNAtEpoch(2)
    with pytest.raises(TrainingDiverged) as diverged:
        fit(small_model(), data, RECIPE.replace(epochs=5), workdir, verbose=0, callbacks=[nan])
    message = str(diverged.value)
    assert "the loss became NaN at epoch 3:" in message
    assert f"The last finite weights (epoch 2) are in {workdir / 'last.keras'} and {workdir.backup_dir}." in message
    assert [row["epoch"] for row in workdir.history()] == ["0", "1", "2"]
    last, best = weights_of(workdir / "last.keras"), weights_of(workdir / "best.keras")
    assert finite(last) and all(np.array_equal(a, b) for a, b in zip(last, nan.ends[1]))
    assert finite(best) and any(all(np.array_equal(a, b) for a, b in zip(best, nan.ends[e])) for e in (0, 1))
    backup = small_model()
    backup.load_weights(workdir.backup_dir / "latest.weights.h5")
    assert all(np.array_equal(a, b) for a, b in zip(backup.get_weights(), nan.ends[1]))
    assert json.loads((workdir.backup_dir / "training_metadata.json").read_text())["epoch"] == 2  # resumes at epoch 3


def test_export_and_predict_refuse_nan_weights_in_one_line(tmp_path, synthetic_root, capsys):
    workdir = Workdir(tmp_path / "diverged").create()
    model = small_model()
    model.set_weights([np.full(w.shape, np.nan, w.dtype) if i == 0 else w for i, w in enumerate(model.get_weights())])
    model.save(workdir.model_path("last"))  # no best.keras: both commands fall back to last.keras
    image = next((synthetic_root / "val" / "images").iterdir())
    for command in (["export", str(workdir.path)], ["predict", str(workdir.path), str(image)]):
        assert main([*command, "--data", str(synthetic_root)]) == 2
        out, err = capsys.readouterr()
        assert err == (
            f"tinylib: error: {workdir.model_path('last')} holds weights that are not finite (NaN or infinity: "
            "its training diverged); use an earlier checkpoint or train again\n"
        )
        assert "nan" not in out.lower() and "%" not in out
    assert not (workdir / "export").exists()


def interrupted_save(after_bytes: int, error: BaseException):
    """A replacement for keras.Model.save that writes `after_bytes` bytes of the file, then raises."""

    def save(self, path, *args, **kwargs):
        Path(path).write_bytes(b"PK" + bytes(after_bytes))
        raise error

    return save


def earlier_models(workdir: Workdir) -> dict[str, bytes]:
    """best.keras and last.keras as an earlier run left them; returns their bytes."""
    workdir.create()
    for which in ("best", "last"):
        small_model().save(workdir.model_path(which))
    return {name: (workdir / name).read_bytes() for name in ("best.keras", "last.keras")}


def test_ctrl_c_while_saving_keeps_the_previous_best_keras(tmp_path, data, monkeypatch):
    workdir = Workdir(tmp_path / "run")
    before = earlier_models(workdir)
    monkeypatch.setattr(keras.Model, "save", interrupted_save(1000, KeyboardInterrupt()))
    with pytest.raises(KeyboardInterrupt):
        fit(small_model(), data, RECIPE.replace(epochs=1), workdir, verbose=0)
    assert {name: (workdir / name).read_bytes() for name in before} == before
    assert finite(weights_of(workdir / "best.keras"))
    assert not [p.name for p in workdir.path.iterdir() if ".partial-" in p.name]


@pytest.mark.parametrize("name", ["history.csv", "run.json"])
def test_ctrl_c_while_writing_records_keeps_the_previous_file(tmp_path, monkeypatch, name):
    workdir = Workdir(tmp_path).create()
    workdir.write_history([{"epoch": 0, "loss": 1.5}])
    workdir.write_run({"status": "paused", "epochs_done": 1})
    before = (tmp_path / name).read_bytes()

    def interrupted(descriptor):
        raise KeyboardInterrupt

    monkeypatch.setattr(files.os, "fsync", interrupted)  # the new text is written, not yet renamed
    with pytest.raises(KeyboardInterrupt):
        workdir.write_history([{"epoch": 0, "loss": 1.5}, {"epoch": 1, "loss": 1.2}])
    with pytest.raises(KeyboardInterrupt):
        workdir.write_run({"status": "complete", "epochs_done": 2})
    assert (tmp_path / name).read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["history.csv", "run.json"]


def test_files_half_written_by_a_killed_process_are_removed(tmp_path):
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    workdir = Workdir(tmp_path).create()
    (tmp_path / "backup").mkdir()
    host = files._host()
    left = [
        tmp_path / f".best.keras.partial-{host}-{dead.pid}-ab12.keras",
        tmp_path / f".run.json.partial-{host}-{dead.pid}-cd34.json",
        tmp_path / "backup" / f".latest.weights.h5.partial-{host}-{dead.pid}-ef56.weights.h5",
    ]
    running = tmp_path / f".last.keras.partial-{host}-{os.getpid()}-0a0b.keras"  # this process may still be saving it
    for path in [*left, running]:
        path.write_bytes(b"PK half")
    with files.atomic_file(tmp_path / "best.keras") as partial:
        assert partial.name.startswith(f".best.keras.partial-{host}-{os.getpid()}-") and partial.suffix == ".keras"
        partial.write_bytes(b"PK whole")
    assert not left[0].exists()  # atomic_file swept best.keras's leftovers before writing
    assert sorted(workdir.remove_leftovers()) == sorted(left[1:])  # the sweep before training: the rest
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([running.name, "backup", "best.keras"])


def test_every_file_outside_the_data_layer_is_written_through_files():
    """A call that writes a file by hand (write_text, write_bytes, savefig, save, savez, open for
    writing) must write into a temporary path of files.atomic_file or a folder being built by
    files.atomic_folder (named partial, metadata or weights), or into memory (buffer)."""
    import ast
    import re

    allowed = {
        "tinylib/export.py": "inside files.atomic_folder",
        "tinylib/checks/data.py": "scratch data in a temp folder",
        "tinylib/checks/pipeline.py": "scratch data in a temp folder",
    }
    writers = {"write_text", "write_bytes", "savefig", "save", "savez"}
    offenders = []
    for module in sorted((ROOT / "tinylib").rglob("*.py")):
        relative = module.relative_to(ROOT).as_posix()
        if relative.startswith(("tinylib/data/", "tinylib/course/", "tinylib/files.py")) or relative in allowed:
            continue
        source = module.read_text()
        for node in ast.walk(ast.parse(source)):
            if not isinstance(node, ast.Call):
                continue
            text = ast.get_source_segment(source, node)
            writes = isinstance(node.func, ast.Attribute) and node.func.attr in writers
            writes |= (
                isinstance(node.func, ast.Name) and node.func.id == "open" and bool(re.search(r"[\"'][wax]", text))
            )
            if writes and not re.search(r"partial|metadata|weights|buffer|temporary|handle", text):
                offenders.append(f"{relative}:{node.lineno}: {text}")
    assert offenders == []


def test_too_little_free_space_is_refused_before_training(tmp_path, data, monkeypatch, synthetic_root, capsys):
    import shutil

    from tinylib.data import pack

    dataset = shutil.copytree(synthetic_root, tmp_path / "set", ignore=shutil.ignore_patterns("packed"))
    pack(dataset, progress=False)  # the dataset's own cache is not what this test fills the disk with
    monkeypatch.setattr(files, "free_bytes", lambda folder: 5 * files.MB)
    workdir = tmp_path / "run"
    with pytest.raises(files.NotEnoughSpaceError) as full:
        fit(small_model(), data, RECIPE, workdir, verbose=0)
    needed = space_needed(small_model()) + files.SPACE_MARGIN
    assert str(full.value) == (
        f"not enough free space in {workdir} for the checkpoints of this run: it needs about "
        f"{needed / files.MB:,.0f} MB, 5 MB are free — free some space, or use another --workdir"
    )
    assert sorted(p.name for p in workdir.iterdir()) == [".lock"]  # nothing trained, nothing written
    command = ["train", "--data", str(dataset), "--model", "resnet10", "--width", "8", "--epochs", "1"]
    assert main([*command, "--workdir", str(tmp_path / "cli")]) == 2
    err = capsys.readouterr().err  # after the progress bar of packing the dataset, one line
    assert "Traceback" not in err and err.endswith("free some space, or use another --workdir\n")
    assert err.splitlines()[-1].startswith(f"tinylib: error: not enough free space in {tmp_path / 'cli'} for the")


def test_disk_full_while_saving_keeps_the_earlier_files(tmp_path, data, monkeypatch):
    workdir = Workdir(tmp_path / "run")
    before = earlier_models(workdir)
    full = OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
    monkeypatch.setattr(keras.Model, "save", interrupted_save(1000, full))
    with pytest.raises(files.NotEnoughSpaceError, match=f"^the disk holding {workdir.path} filled up while writing"):
        fit(small_model(), data, RECIPE.replace(epochs=1), workdir, verbose=0)
    assert {name: (workdir / name).read_bytes() for name in before} == before
    assert not [p.name for p in workdir.path.iterdir() if ".partial-" in p.name]


# Holds the lock until the test ends it (its stdin closes or it is killed): not for a fixed time,
# which a busy machine could outlast before the test has tried its second writer.
HOLDER = """
import sys
from tinylib.workdir import Workdir
with Workdir(sys.argv[1]).lock():
    print("held", flush=True)
    sys.stdin.read()
"""


def test_a_second_writer_of_one_workdir_is_refused_in_one_line(tmp_path, data, synthetic_root, capsys):
    workdir = tmp_path / "run"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    holder = subprocess.Popen([sys.executable, "-c", HOLDER, str(workdir)], stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, text=True, env=env)  # fmt: skip
    try:
        assert holder.stdout.readline() == "held\n"
        expected = (
            f"{workdir} is in use by process {holder.pid} (another tinylib train); wait for it or use another --workdir"
        )
        with pytest.raises(WorkdirInUse) as in_use:
            fit(small_model(), data, RECIPE, workdir, verbose=0)
        assert str(in_use.value) == expected
        command = ["train", "--data", str(synthetic_root), "--model", "resnet10", "--width", "8", "--epochs", "1"]
        assert main([*command, "--workdir", str(workdir)]) == 2
        assert capsys.readouterr().err.splitlines()[-1] == f"tinylib: error: {expected}"
        assert sorted(p.name for p in workdir.iterdir()) == [".lock"]
    finally:
        holder.kill()
        holder.wait()
        holder.stdin.close()
    with Workdir(workdir).lock():  # the lock of a dead process is taken over
        assert (workdir / ".lock").read_text() == f"{os.getpid()}\n"
    with Workdir(workdir).lock(), pytest.raises(WorkdirInUse, match=f"in use by process {os.getpid()} "):
        fit(small_model(), data, RECIPE, workdir, verbose=0)  # held by this very process
