"""Choosing the backend (tinylib.backends, `tinylib env`), and the JAX path free of TensorFlow:
training, the report, predict and export from the command line in a fresh process that never imports it."""

import os
import re
import sys
import textwrap

import pytest
from conftest import run_on_backend

from tinylib import backends, doctor

pytestmark = pytest.mark.every_backend  # the JAX leg runs this file too (make test-jax)


@pytest.fixture
def all_installed(monkeypatch):
    monkeypatch.setattr(backends, "is_installed", lambda name: True)


def test_use_backend_sets_keras_backend_before_keras_is_imported(monkeypatch, all_installed):
    monkeypatch.delitem(sys.modules, "keras", raising=False)
    monkeypatch.setenv("KERAS_BACKEND", "tensorflow")  # recorded, so the value set below is undone too
    monkeypatch.delenv("KERAS_BACKEND")
    assert backends.chosen_backend() == "tensorflow"
    assert backends.use_backend("jax") == "jax"
    assert os.environ["KERAS_BACKEND"] == "jax" and backends.chosen_backend() == "jax"
    assert backends.use_backend() == "jax"  # None keeps the setting


def test_use_backend_refuses_a_switch_once_keras_runs(monkeypatch, all_installed):
    import keras

    running = keras.config.backend()
    other = next(name for name in backends.BACKENDS if name != running)
    with pytest.raises(backends.BackendError, match=f"already started with the {running} backend.*restart the runtime"):
        backends.use_backend(other)
    assert backends.use_backend(running) == running  # the same one again is fine


def test_use_backend_names_the_extra_of_a_missing_backend_and_rejects_unknown_names(monkeypatch):
    monkeypatch.setattr(backends, "is_installed", lambda name: False)
    with pytest.raises(backends.BackendError, match=r"pip install 'tinylib-resnet-kit\[torch\]'"):
        backends.use_backend("torch")
    with pytest.raises(ValueError, match="one of tensorflow, jax, torch; got 'pytorch'"):
        backends.use_backend("pytorch")


def test_env_report_lists_installed_backends_with_versions_and_a_late_setting(monkeypatch):
    import keras

    monkeypatch.setenv("KERAS_BACKEND", next(n for n in backends.BACKENDS if n != keras.config.backend()))
    info = doctor.report(print_report=False)
    assert info["backend"] == keras.config.backend()
    assert [entry.split()[0] for entry in info["backends"]] == list(backends.installed_backends())
    assert all(entry.split()[1][0].isdigit() for entry in info["backends"])
    late = f"KERAS_BACKEND is {os.environ['KERAS_BACKEND']} but Keras runs on {info['backend']}"
    assert any(hint.startswith(late) for hint in info["hints"])


CLI_SCRIPT = textwrap.dedent(
    """
    import json, sys
    from tinylib.cli import main
    from tinylib.data import make_synthetic

    root = make_synthetic(sys.argv[1] + "/data", num_classes=3, train_per_class=8, val_per_class=4,
                          test_per_class=1, seed=3, workers=1, progress=False)
    run = sys.argv[1] + "/run"
    codes = [main(["train", "--data", str(root), "--model", "resnet10", "--width", "8", "--epochs", "1",
                   "--batch-size", "8", "--workdir", run]),
             main(["report", run, "--quiet"]),
             main(["predict", run, str(root / "val" / "images")]),
             main(["env"]),
             main(["export", run]),  # .keras: every backend
             main(["export", run, "--format", "tflite"])]  # refused: TensorFlow's converter
    print(json.dumps({"codes": codes, "tensorflow": sorted(m for m in sys.modules if m.split(".")[0] == "tensorflow")}))
    """
)


@pytest.mark.backend
@pytest.mark.parametrize("backend", ["jax", "torch"])
def test_train_report_and_predict_never_import_tensorflow_on_another_backend(backend, tmp_path):
    result, report = run_on_backend(backend, CLI_SCRIPT, str(tmp_path), timeout=900)
    assert report == {"codes": [0, 0, 0, 0, 0, 2], "tensorflow": []}
    assert f"--format tflite converts with TensorFlow, but Keras runs on {backend} here" in result.stderr
    assert re.search(rf"^backend\s+{backend}$", result.stdout, re.MULTILINE)  # `tinylib env` names it
    assert (tmp_path / "run" / "report.html").is_file()
    assert (tmp_path / "run" / "export" / "keras" / "model.keras").is_file()
