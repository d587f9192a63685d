"""One source of sizes and run settings: `config.Profile` hands them out, `recipe(name,
profile=...)` applies a profile one way, and nothing branches on the profile's name."""

import dataclasses
import json
import re
from pathlib import Path

import numpy as np
import pytest

from tinylib import config, inference
from tinylib.data.synthetic import make_synthetic, read_spec
from tinylib.train import recipe

ROOT = Path(__file__).resolve().parents[1]


def test_recipe_with_a_profile_takes_its_length_and_scales_the_learning_rate_linearly():
    quick = config.profile("quick")
    sized = recipe("baseline", profile=quick)
    assert (sized.epochs, sized.batch_size) == (6, 32)
    assert sized.learning_rate == pytest.approx(0.1 * 32 / 128)
    assert sized.replace(learning_rate=0.1, epochs=100, batch_size=128) == recipe("baseline")


def test_changes_of_epochs_and_batch_replace_the_profiles_and_the_rate_still_scales():
    quick = config.profile("quick")
    short = recipe("baseline", profile=quick, epochs=3, label_smoothing=0.0)
    assert (short.epochs, short.batch_size, short.label_smoothing) == (3, 32, 0.0)
    assert short.learning_rate == pytest.approx(0.025)
    demo = recipe("demo", profile=quick, **quick.demo_length())
    assert (demo.epochs, demo.batch_size, demo.learning_rate) == (6, 32, pytest.approx(3e-3 / 2))
    full = config.profile("full")
    assert recipe("demo", profile=full, **full.demo_length()) == recipe("demo")  # the demo preset is full's demo


def test_settings_are_one_json_dict_of_everything_a_profile_decides():
    settings = config.profile("quick").settings()
    assert set(settings) == {"data", "model", "training", "evaluation", "demo", "notebooks"}
    assert settings["data"] == {"dataset": "synthetic", "num_classes": 10, "train_per_class": 100,
                                "val_per_class": 20, "test_per_class": 2}  # fmt: skip
    assert settings["training"] == {"epochs": 6, "batch_size": 32}
    assert settings["evaluation"] == {"batch_size": 256}
    assert settings["notebooks"]["lr_finder"] == {"steps": 60, "start": 0.0001, "smoothing": 0.9}
    assert settings["notebooks"]["hard_examples_recipe"] == "demo" and not settings["notebooks"]["all_experiments"]
    assert json.loads(json.dumps(settings)) == settings
    assert config.profile("full").settings()["notebooks"]["all_experiments"] is True


def test_synthetic_sizes_left_out_are_the_profiles(tmp_path, monkeypatch):
    tiny = dataclasses.replace(config.profile("quick"), synthetic_classes=2, synthetic_train_per_class=2,
                               synthetic_val_per_class=1, synthetic_test_per_class=0)  # fmt: skip
    monkeypatch.setattr(config, "profile", lambda name=None: tiny)
    root = make_synthetic(tmp_path / "set", val_per_class=2, progress=False, workers=1)
    spec = read_spec(root)
    assert (spec.num_classes, spec.train_per_class, spec.val_per_class, spec.test_per_class) == (2, 2, 2, 0)


class _CountingModel:
    output_shape = (None, 3)

    def __init__(self):
        self.batches = []

    def predict_on_batch(self, batch):
        self.batches.append(len(batch))
        return np.full((len(batch), 3), 1 / 3, np.float32)


def test_prediction_batches_are_the_profiles_evaluation_batch(monkeypatch):
    small = dataclasses.replace(config.profile("quick"), eval_batch_size=3)
    monkeypatch.setattr(config, "profile", lambda name=None: small)
    model = _CountingModel()
    probabilities = inference.predict_probabilities(model, np.zeros((7, 64, 64, 3), np.uint8))
    assert model.batches == [3, 3, 1] and probabilities.shape == (7, 3)
    inference.predict_probabilities(model, np.zeros((4, 64, 64, 3), np.uint8), batch_size=4)
    assert model.batches[-1] == 4


def test_nothing_branches_on_the_profiles_name():
    branch = re.compile(r"profile\.name\s*[=!]=|\[profile\.name\]|info\[\"profile\"\]\s*==")
    sources = [*ROOT.glob("notebooks/*.ipynb"), *ROOT.glob("tinylib/**/*.py")]
    found = [path.name for path in sources if branch.search(path.read_text(encoding="utf-8"))]
    assert found == []
