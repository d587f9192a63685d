"""A work folder holds one run: continuing it on other data or with another model is refused
in one line naming what differs, before anything is written (issue 24, case 1)."""

import tinylib  # noqa: F401  first: it turns TensorFlow's oneDNN kernels off before keras loads TensorFlow

# isort: split
import dataclasses

import keras
import numpy as np
import pytest

from tinylib.models import resnet10
from tinylib.train import TrainingData, fit, recipe
from tinylib.train.provenance import differences
from tinylib.workdir import IncompatibleRun, Workdir

RECIPE = recipe("demo", epochs=3, batch_size=16)


def _data(classes: int = 4, train: int = 32, seed: int = 0) -> TrainingData:
    rng = np.random.default_rng(seed)
    images = rng.integers(0, 256, (train + 16, 64, 64, 3), dtype=np.uint8)
    labels = (np.arange(train + 16) % classes).astype(np.int32)
    ids = tuple(f"n{k:08d}" for k in range(classes))
    return TrainingData(images[:train], labels[:train], images[train:], labels[train:], ids, "random", ids)


def _model(classes: int = 4, width: int = 8):
    keras.utils.set_random_seed(0)
    return resnet10(width=width, stem="imagenet", num_classes=classes)


class CtrlCAfterFirstEpoch(keras.callbacks.Callback):
    def on_epoch_end(self, epoch, logs=None):
        raise KeyboardInterrupt


@pytest.fixture(scope="module")
def stopped(tmp_path_factory) -> Workdir:
    """A run stopped by Ctrl-C after its first epoch (no final run.json written by then)."""
    workdir = Workdir(tmp_path_factory.mktemp("stopped") / "run")
    with pytest.raises(KeyboardInterrupt):
        fit(_model(), _data(), RECIPE, workdir, verbose=0, callbacks=[CtrlCAfterFirstEpoch()])
    return workdir


def _contents(workdir: Workdir) -> dict:
    return {p.relative_to(workdir.path).as_posix(): p.read_bytes() for p in workdir.path.rglob("*") if p.is_file()}


def test_a_stopped_run_records_its_data_and_model_before_the_first_epoch(stopped):
    run = stopped.run()
    assert run["status"] == "started" and run["model"] == "resnet10_w8" and run["train_images"] == 32
    assert run["class_ids"] == list(_data().class_ids) and len(run["train_sha256"]) == 64
    assert run["parameters"] == _model().count_params()


@pytest.mark.parametrize(
    "data, model, differs",
    [
        (
            lambda: _data(classes=5),
            lambda: _model(classes=5),
            "the classes: 4 classes (n00000000, n00000001, "
            "n00000002, ...), now 5 classes (n00000000, n00000001, n00000002, ...)",
        ),
        (lambda: _data(train=48), _model, "the training images: 32, now 48"),
        (_data, lambda: _model(width=16), None),
    ],
    ids=["other classes", "other images", "other model size"],
)
def test_continuing_with_other_data_or_model_is_refused_before_anything_is_written(stopped, data, model, differs):
    before = _contents(stopped)
    with pytest.raises(IncompatibleRun) as refused:
        fit(model(), data(), RECIPE, stopped, verbose=0)
    message = str(refused.value)
    if differs is None:  # the name tells the width: the model check refuses (run.json is there from the start)
        assert message.startswith(f"{stopped.path} holds a run of resnet10_w8, not resnet10_w16; use another --workdir")
    else:
        assert f"{stopped.path} holds a run on random that differs in {differs}" in message
        assert message.endswith("pass the same --data and --model; otherwise use another --workdir, "
                                "or delete this one to start over")  # fmt: skip
    assert "\n" not in message
    assert _contents(stopped) == before


def test_the_same_training_set_moved_elsewhere_is_the_same_run():
    data = _data().record()
    model = {"model": "resnet10", "parameters": 100}
    recorded = {**data, **model, "data": "/old/place"}
    assert differences(recorded, {**data, "data": "/new/place"}, model) == []
    assert differences({"model": "resnet10"}, data, model) == []  # an older record says less: nothing to refuse
    other = dataclasses.replace(_data(), train_labels=_data().train_labels[::-1].copy()).record()
    assert differences(recorded, other, model) == [
        "the training images: the same number (32) but other files or labels"
    ]


def test_a_batch_larger_than_the_training_set_is_cut_to_it_with_a_line(tmp_path, capfd):
    big = RECIPE.replace(epochs=1, batch_size=100)
    run = fit(_model(), _data(), big, Workdir(tmp_path / "run"), verbose=0)
    assert run["recipe"]["batch_size"] == 32 and run["steps_per_epoch"] == 1
    assert run["recipe"]["learning_rate"] == pytest.approx(big.learning_rate * 32 / 100)
    assert ("tinylib: note: batch size 100 is larger than the 32 training images: using 32 (the learning rate "
            "scales with it)\n") in capfd.readouterr().err  # fmt: skip
