"""Messages that lead somewhere: lr-find refuses ramps it cannot suggest from and never
suggests a rate below the ones it tried (issue 24, case 10)."""

import tinylib  # noqa: F401  first: it turns TensorFlow's oneDNN kernels off before keras loads TensorFlow

# isort: split
import json
import math

import keras
import numpy as np
import pytest

from tinylib.models import resnet10
from tinylib.train import TrainingData, find_learning_rate, lr_finder, recipe


@pytest.fixture(scope="module")
def data() -> TrainingData:
    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, (40, 64, 64, 3), dtype=np.uint8)
    labels = (np.arange(40) % 4).astype(np.int32)
    return TrainingData(images[:32], labels[:32], images[32:], labels[32:], ("a", "b", "c", "d"))


def _model():
    keras.utils.set_random_seed(0)
    return resnet10(width=8, stem="imagenet", num_classes=4)


@pytest.mark.parametrize(
    "options, message",
    [
        (dict(end=math.inf), r"expected 0 < start < end < inf and steps >= 2; got start=1e-07, end=inf, steps=200"),
        (dict(steps=3), r"a ramp of 3 steps is too short to suggest a rate: use 10 steps or more"),
    ],
    ids=["end inf", "3 steps"],
)
def test_lr_find_refuses_ramps_it_cannot_suggest_from(data, options, message):
    with pytest.raises(ValueError, match=f"^{message}$"):
        find_learning_rate(_model(), data, recipe("baseline", batch_size=16), **options)


def test_lr_find_never_suggests_a_rate_below_the_ones_it_tried(data, monkeypatch):
    def rising(model, stream, steps, smoothing):  # the loss lowest at the very start of the ramp
        curve = list(np.linspace(1.0, 2.0, steps))
        return curve, curve, None

    monkeypatch.setattr(lr_finder, "_ramp_up", rising)
    with pytest.raises(ValueError) as refused:
        find_learning_rate(_model(), data, recipe("baseline", batch_size=16), start=1e-3, end=1.0, steps=20)
    assert str(refused.value).startswith("the loss was lowest at the first rates tried, so minimum / 10 gives ")
    assert str(refused.value).endswith("below the ramp's start (0.001): start the ramp lower (e.g. 1e-05)")


@pytest.mark.parametrize("command", ["download", "prepare"])
def test_a_tar_gz_given_as_the_zip_is_named_as_what_it_is(tmp_path, capsys, command):
    import tarfile

    from tinylib.cli import main

    archive = tmp_path / "tiny-imagenet-200.tar.gz"
    (tmp_path / "wnids.txt").write_text("n01443537\n")
    with tarfile.open(archive, "w:gz") as tar:
        tar.add(tmp_path / "wnids.txt", arcname="tiny-imagenet-200/wnids.txt")
    dest = ["--dest", str(tmp_path / "data")]
    assert main(["data", command, "--from-zip", str(archive), *dest]) == 2
    error = capsys.readouterr().err
    assert error.startswith(f"tinylib: error: {'--from-zip ' if command == 'download' else ''}{archive} is a gzip "
                            "file (a .tar.gz or .tgz?), not a zip: pass the zip")  # fmt: skip
    assert error.count("\n") == 1


@pytest.fixture(scope="module")
def bracketed_run(tmp_path_factory):
    """A work folder whose path holds [ and ] (a run named "resnet [w8]"), with a model and its classes."""
    from tinylib.workdir import Workdir

    workdir = Workdir(tmp_path_factory.mktemp("runs") / "resnet [w8]").create()
    _model().save(workdir.model_path("best"))
    return workdir


def test_a_work_folder_path_holding_brackets_exports_tflite_and_savedmodel_is_one_line(bracketed_run, synthetic_root):
    from tinylib.export import export

    with pytest.raises(ValueError) as refused:
        export(bracketed_run.path, "savedmodel", data=synthetic_root)
    assert str(refused.value) == (
        f"TensorFlow cannot read a SavedModel back from a path holding [ ] * or ? ({bracketed_run.path}/export/"
        "savedmodel): pass --output a folder whose path has none of them"
    )
    folder = export(bracketed_run.path, "tflite", data=synthetic_root)
    assert folder == bracketed_run.path / "export" / "tflite" and (folder / "model.tflite").stat().st_size > 1000
    assert json.loads((folder / "export.json").read_text())["check"]
