"""A user's Keras settings: a channels-first keras.json still trains the kit's models, and a
backend that cannot load is one line naming the value or package (issue 24, case 3)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from tinylib.cli import backend, main

ROOT = Path(__file__).resolve().parents[1]

TRAIN_ONE_STEP = textwrap.dedent(
    """
    import numpy as np
    import tinylib
    from tinylib.models import resnet10
    import keras
    model = resnet10(width=8, stem="imagenet", num_classes=4)
    model.compile(optimizer="sgd", loss="categorical_crossentropy")
    loss = model.train_on_batch(np.zeros((2, 64, 64, 3), "float32"), np.eye(4, dtype="float32")[[0, 1]])
    print(model.input_shape, model.output_shape, keras.config.image_data_format(), np.isfinite(loss))
    """
)


def test_a_channels_first_keras_json_still_trains_the_kits_models(tmp_path):
    (tmp_path / "keras.json").write_text(json.dumps({"image_data_format": "channels_first", "backend": "tensorflow"}))
    env = {**os.environ, "KERAS_HOME": str(tmp_path), "PYTHONPATH": str(ROOT), "KERAS_BACKEND": "tensorflow"}
    done = subprocess.run([sys.executable, "-c", TRAIN_ONE_STEP], env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.split("\n")[-2] == "(None, 64, 64, 3) (None, 4) channels_last True"
    note = [line for line in done.stderr.splitlines() if line.startswith("tinylib: note:")]
    assert note == [
        f"tinylib: note: your Keras settings ({tmp_path / 'keras.json'}) say image_data_format='channels_first'; "
        "the kit's images are channels-last, so this process uses 'channels_last'"
    ]


@pytest.mark.parametrize(
    "variable, settings, missing, line",
    [
        ("jax", None, True, "KERAS_BACKEND=jax, but jax is not installed: pip install jax, or use tensorflow"),
        (
            "tf",
            None,
            False,
            "KERAS_BACKEND=tf: 'tf' is not a Keras backend: use tensorflow "
            "(one of tensorflow, jax, torch, numpy, openvino)",
        ),
        (
            None,
            "pytorch",
            False,
            '"backend": "pytorch" in {home}/keras.json: \'pytorch\' is not a Keras backend: '
            "use torch (one of tensorflow, jax, torch, numpy, openvino)",
        ),
    ],
    ids=["jax missing", "misspelt variable", "misspelt keras.json"],
)
def test_a_backend_that_cannot_load_is_one_line_naming_what_to_use(
    tmp_path, monkeypatch, capsys, variable, settings, missing, line
):
    monkeypatch.delitem(sys.modules, "keras", raising=False)  # as in a fresh `tinylib` process (restored after)
    monkeypatch.setenv("KERAS_HOME", str(tmp_path))
    if variable is None:
        monkeypatch.delenv("KERAS_BACKEND", raising=False)
    else:
        monkeypatch.setenv("KERAS_BACKEND", variable)
    if settings:
        (tmp_path / "keras.json").write_text(json.dumps({"backend": settings}))
    if missing:
        monkeypatch.setattr(backend.importlib.util, "find_spec", lambda name: None)
    assert main(["data", "info", str(tmp_path)]) == 2
    assert capsys.readouterr().err == f"tinylib: error: {line.format(home=tmp_path)}\n"


def test_an_installed_backend_or_none_asked_for_is_no_problem(tmp_path, monkeypatch):
    monkeypatch.delitem(sys.modules, "keras", raising=False)
    monkeypatch.setenv("KERAS_HOME", str(tmp_path))
    monkeypatch.setenv("KERAS_BACKEND", "tensorflow")
    assert backend.backend_problem() is None
    monkeypatch.delenv("KERAS_BACKEND")
    assert backend.backend_problem() is None  # no keras.json either: Keras' default


def test_without_a_home_folder_datasets_go_to_a_temporary_folder_said_once(tmp_path, monkeypatch, capsys):
    import pwd
    import tempfile

    from tinylib import config
    from tinylib.data import read_folder_layout
    from tinylib.data.folders import cache_folder

    monkeypatch.delenv("HOME", raising=False)
    monkeypatch.delenv("TINYLIB_DATA", raising=False)
    monkeypatch.setattr(pwd, "getpwuid", lambda uid: (_ for _ in ()).throw(KeyError(uid)))  # no passwd entry either
    monkeypatch.setattr(tempfile, "gettempdir", lambda: str(tmp_path))
    monkeypatch.setattr(config, "_said_no_home", [])
    with pytest.raises(RuntimeError):
        Path.home()  # what `tinylib train` died of
    expected = tmp_path / f"tinylib-data-{os.getuid()}"
    assert config.data_dir() == expected and config.data_dir() == expected
    assert capsys.readouterr().err == (
        f"tinylib: note: no home folder (HOME is unset): datasets and caches go to {expected}; "
        "set TINYLIB_DATA to keep them elsewhere\n"
    )
    from PIL import Image

    for name in ("cat", "dog"):
        (tmp_path / "photos" / name).mkdir(parents=True)
        for i in range(3):
            Image.new("RGB", (8, 8), (i, 0, 0)).save(tmp_path / "photos" / name / f"{i}.png")
    assert read_folder_layout(tmp_path / "photos").names == ("cat", "dog")
    assert cache_folder(tmp_path / "photos").parent == expected / "cache"
