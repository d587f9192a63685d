"""best.keras and last.keras of every recipe load with plain Keras in a process that never
imports tinylib (ARCHITECTURE: portable checkpoints); resuming still restores the optimiser."""

import subprocess
import sys

import numpy as np
import pytest
from conftest import random_data

from tinylib.models import resnet
from tinylib.train import RECIPES, fit, recipe

pytestmark = [pytest.mark.backend, pytest.mark.versions]

LOAD_WITHOUT_TINYLIB = """
import sys
import keras
for path in sys.argv[1:]:
    model = keras.saving.load_model(path)
    print(model.name, model.count_params())
assert "tinylib" not in sys.modules, "tinylib was imported"
"""


@pytest.fixture(scope="module")
def data():
    return random_data(32, 8, seed=1, labels="cycle")


@pytest.mark.end_to_end
def test_checkpoints_of_every_recipe_load_with_plain_keras(tmp_path, data):
    paths = []
    for name in RECIPES:
        model = resnet(depth=10, width=8, stem="imagenet", num_classes=4)
        short = recipe(name, epochs=1, batch_size=16, warmup_epochs=0, epoch_fraction=1.0)
        fit(model, data, short, tmp_path / name, verbose=0)
        paths += [str(tmp_path / name / "best.keras"), str(tmp_path / name / "last.keras")]
    clean = {"PYTHONPATH": "", "PATH": "/usr/bin:/bin", "TF_CPP_MIN_LOG_LEVEL": "3"}
    result = subprocess.run(
        [sys.executable, "-I", "-c", LOAD_WITHOUT_TINYLIB, *paths],
        capture_output=True, text=True, env=clean, timeout=300, cwd=tmp_path,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.count("resnet10_w8") == 2 * len(RECIPES)


def test_checkpoints_hold_no_initializer_arguments_colabs_keras_rejects(tmp_path):
    """Keras 3.15 saves HeNormal(input_axes=..., output_axes=...); Keras 3.13 (Colab) cannot read
    them. The weights are saved; the initializers only shape new ones, so the copy drops them."""
    import json
    import zipfile

    from tinylib.train.callbacks import save_portable

    model = resnet(depth=10, width=8, stem="imagenet", num_classes=4)
    save_portable(model, tmp_path / "model.keras")
    config = zipfile.ZipFile(tmp_path / "model.keras").read("config.json").decode()
    assert "input_axes" not in config and "output_axes" not in config and "HeNormal" in config
    reloaded = __import__("keras").saving.load_model(tmp_path / "model.keras")
    for ours, theirs in zip(model.get_weights(), reloaded.get_weights()):
        np.testing.assert_array_equal(ours, theirs)
    assert json.loads(config)["class_name"] == "Functional"
