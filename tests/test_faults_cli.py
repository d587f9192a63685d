"""Issue 13, faults met through the `tinylib` command: repeatable runs, refused arguments and
datasets, read-only folders, a late TensorFlow import, evaluating a paused run, Grad-CAM and
the report under mixed precision."""

import tinylib  # noqa: F401  first: it turns TensorFlow's oneDNN kernels off before keras loads TensorFlow

# isort: split
import csv
import errno
import os
import shutil
import subprocess
import sys
from pathlib import Path

import keras
import numpy as np
import pytest
from conftest import small_model

from tinylib.analysis import grad_cam
from tinylib.cli import main
from tinylib.inference import evaluate
from tinylib.train import TrainingData, fit, recipe
from tinylib.workdir import Workdir

pytestmark = pytest.mark.backend

ROOT = Path(__file__).resolve().parents[1]
QUIET_ENV = {"TINYLIB_PROFILE": "quick", "PYTHONPATH": str(ROOT), "TF_CPP_MIN_LOG_LEVEL": "2"}
# Seeds alone repeat a run only where every op is deterministic: TensorFlow's op determinism
# (off in tinylib by default, it slows training; read by TensorFlow from this variable) makes the
# digit-for-digit comparison below independent of thread scheduling.
DETERMINISTIC_ENV = {"TF_DETERMINISTIC_OPS": "1", "PYTHONHASHSEED": "0"}


def last_line(text: str) -> str:
    return text.strip().splitlines()[-1]


def test_the_same_train_command_twice_gives_the_same_history(tmp_path):
    root = tmp_path / "set"
    sizes = ["--classes", "3", "--train-per-class", "16", "--val-per-class", "4", "--test-per-class", "1"]
    assert main(["data", "synthetic", str(root), *sizes]) == 0
    command = [sys.executable, "-m", "tinylib", "train", "--data", str(root), "--model", "resnet10",
               "--epochs", "2", "--width", "8", "--batch-size", "16"]  # fmt: skip
    histories = []
    for name in ("first", "second"):
        done = subprocess.run([*command, "--workdir", str(tmp_path / name)], capture_output=True, text=True,
                              env={**os.environ, **QUIET_ENV, **DETERMINISTIC_ENV}, timeout=600)  # fmt: skip
        assert done.returncode == 0, done.stderr[-2000:]
        with open(tmp_path / name / "history.csv", newline="") as handle:
            histories.append([{k: v for k, v in row.items() if k != "seconds"} for row in csv.DictReader(handle)])
    assert len(histories[0]) == 2 and "loss" in histories[0][0]
    assert histories[0] == histories[1]  # every column but `seconds`, as written, digit for digit


def test_a_class_without_training_images_is_refused(tmp_path, synthetic_root, capsys):
    root = Path(shutil.copytree(synthetic_root, tmp_path / "set", ignore=shutil.ignore_patterns("packed*")))
    wnid = (root / "wnids.txt").read_text().split()[1]
    for image in (root / "train" / wnid / "images").iterdir():
        image.unlink()
    assert main(["data", "verify", str(root), "--quiet"]) == 1  # verify rejects it ...
    capsys.readouterr()
    assert main(["train", "--data", str(root), "--model", "resnet10", "--workdir", str(tmp_path / "run")]) == 2
    err = capsys.readouterr().err  # ... and so does train, in one line, before creating the work folder
    name = next(line.split("\t")[1] for line in (root / "words.txt").read_text().splitlines() if line.startswith(wnid))
    assert last_line(err) == (
        f"tinylib: error: 1 class(es) of {root} have no training images: {wnid} ({name}); add images to "
        f"train/<wnid>/images or remove the class from wnids.txt (`tinylib data verify {root}` lists every problem)"
    )
    assert "Traceback" not in err and not (tmp_path / "run").exists()


@pytest.mark.parametrize("option", ["--epochs", "--batch-size", "--width"])
def test_zero_epochs_batch_size_or_width_exit_2_in_one_line(option, tmp_path, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["train", option, "0", "--workdir", str(tmp_path / "run")])
    assert exit_info.value.code == 2
    assert capsys.readouterr().err == (
        f"tinylib train: error: argument {option}: must be >= 1, got 0 (see tinylib train --help)\n"
    )
    assert not (tmp_path / "run").exists()


@pytest.mark.parametrize("code", [errno.EACCES, errno.EROFS], ids=["EACCES", "EROFS"])
def test_read_only_workdir_gets_the_permission_advice(code, tmp_path, synthetic_root, monkeypatch, capsys):
    def refuse(self):
        raise OSError(code, os.strerror(code), str(self.path))

    monkeypatch.setattr(Workdir, "create", refuse)
    workdir = tmp_path / "mounted" / "run"
    assert main(["train", "--data", str(synthetic_root), "--model", "resnet10", "--workdir", str(workdir)]) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err
    assert last_line(err) == (
        f"tinylib: error: {workdir}: {os.strerror(code)} (a read-only disk, or a folder that is not yours): "
        "use a folder you can write (e.g. another --workdir, --output, --folder or --dest) or fix its permissions"
    )


def _python(code: str, **env) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if k != "TF_ENABLE_ONEDNN_OPTS"}
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300,
                          env={**clean, **QUIET_ENV, **env})  # fmt: skip


def test_importing_tensorflow_before_tinylib_is_said_in_one_line():
    late = _python("import tensorflow, os; import tinylib; print(os.environ['TF_ENABLE_ONEDNN_OPTS'])")
    assert late.returncode == 0, late.stderr[-2000:]
    assert [line for line in late.stderr.splitlines() if "tinylib" in line] == [tinylib.LATE_IMPORT_WARNING]
    fake = "import sys, types; sys.modules['tensorflow'] = types.ModuleType('tensorflow'); import tinylib"
    chosen = _python(fake, TF_ENABLE_ONEDNN_OPTS="1")  # the user chose: no warning
    first = _python("import tinylib, sys; assert 'tensorflow' not in sys.modules")
    assert (chosen.returncode, chosen.stderr, first.returncode, first.stderr) == (0, "", 0, "")


def test_evaluate_works_on_a_paused_run(tmp_path, synthetic_root, capsys):
    data = TrainingData.from_root(synthetic_root, progress=False)
    workdir = Workdir(tmp_path / "run")
    run = fit(small_model(), data, recipe("demo", epochs=3, batch_size=16), workdir, max_minutes=0, verbose=0)
    assert run["status"] == "paused" and workdir.run()["status"] == "paused"
    capsys.readouterr()
    workdir.model_path("best").unlink()  # a run interrupted early may hold only last.keras
    last = keras.saving.load_model(workdir.model_path("last"), compile=False)
    flip = bool(workdir.recipe()["test_time_flip"])
    expected = evaluate(last, data.val_images, data.val_labels, test_time_flip=flip)
    line = (
        f"{last.name} on all 20 val images of {synthetic_root.resolve()}: top-1 {expected['top1']:.1%}, "
        f"top-5 {expected['top5']:.1%}, loss {expected['loss']:.3f}"
    )
    assert main(["evaluate", str(workdir.path)]) == 0
    assert capsys.readouterr().out.strip() == line
    (workdir / "run.json").unlink()  # killed before run.json was first written: --data names the dataset
    assert main(["evaluate", str(workdir.path), "--data", str(synthetic_root.resolve())]) == 0
    assert capsys.readouterr().out.strip() == line


@pytest.mark.parametrize("policy", ["mixed_float16", "mixed_bfloat16"])
def test_grad_cam_and_report_under_mixed_precision(policy, tmp_path, synthetic_root, capsys):
    keras.mixed_precision.set_global_policy(policy)
    try:
        mixed = small_model()
    finally:
        keras.mixed_precision.set_global_policy("float32")
    assert mixed.get_layer("stem_conv").compute_dtype == policy.removeprefix("mixed_")
    plain = small_model()
    plain.set_weights(mixed.get_weights())
    images = np.random.default_rng(0).integers(0, 256, (3, 64, 64, 3), dtype=np.uint8)
    heatmaps, reference = grad_cam(mixed, images, classes=[0, 1, 2]), grad_cam(plain, images, classes=[0, 1, 2])
    assert heatmaps.shape == (3, 64, 64) and heatmaps.dtype == np.float32
    np.testing.assert_allclose(heatmaps.max(axis=(1, 2)), 1.0)
    assert np.abs(heatmaps - reference).mean() < 0.05  # the same maps, up to half-precision rounding

    workdir = Workdir(tmp_path / "run").create()
    mixed.save(workdir.model_path("best"))
    workdir.write_run({"data": str(synthetic_root), "status": "complete", "recipe": {"name": "demo"}})
    assert main(["report", str(workdir.path), "--quiet"]) == 0
    page = (workdir / "report.html").read_text(encoding="utf-8")
    assert capsys.readouterr().out == f"report: {workdir / 'report.html'}\n"
    grad_cam_section = page.split('<section id="grad-cam">')[1].split("</section>")[0]
    assert grad_cam_section.count("<img") >= 1
