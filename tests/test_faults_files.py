"""Files from elsewhere: a model saved by a newer Keras, a history.csv saved again by a
spreadsheet, damaged run.json / recipe.json (issue 24, cases 4, 5 and 10)."""

import tinylib  # noqa: F401  first: it turns TensorFlow's oneDNN kernels off before keras loads TensorFlow

# isort: split
import json
import zipfile

import keras
import numpy as np
import pytest

from tinylib.cli import main
from tinylib.models import resnet10
from tinylib.train import TrainingData, fit, recipe
from tinylib.workdir import Workdir


def _model():
    keras.utils.set_random_seed(0)
    return resnet10(width=8, stem="imagenet", num_classes=4)


def _from_newer_keras(source, target) -> None:
    """`source` (.keras) rewritten as a newer Keras would save it: an argument this Keras does not know."""
    with zipfile.ZipFile(source) as old, zipfile.ZipFile(target, "w") as new:
        for item in old.infolist():
            data = old.read(item)
            if item.filename == "config.json":
                config = json.loads(data)
                conv = next(layer for layer in config["config"]["layers"] if layer["class_name"] == "Conv2D")
                conv["config"]["future_option"] = True
                data = json.dumps(config).encode()
            elif item.filename == "metadata.json":
                data = json.dumps({**json.loads(data), "keras_version": "9.1.0"}).encode()
            new.writestr(item, data)


def test_a_model_from_a_newer_keras_names_both_versions(tmp_path, capsys):
    workdir = Workdir(tmp_path / "run").create()
    _model().save(tmp_path / "good.keras")
    _from_newer_keras(tmp_path / "good.keras", workdir.model_path("best"))
    with pytest.raises(ValueError) as refused:
        workdir.load_model()
    message = str(refused.value)
    assert message.startswith(
        f"{workdir.model_path('best')} was saved by Keras 9.1.0 and cannot be loaded by the Keras "
        f"{keras.__version__} installed here ("
    )
    assert message.endswith("): install Keras 9.1.0 (pip install keras==9.1.0)") and "\n" not in message
    assert main(["evaluate", str(workdir.path), "--data", str(tmp_path)]) == 2
    assert capsys.readouterr().err == f"tinylib: error: {message}\n"


def _as_a_spreadsheet_saves_it(path) -> None:
    """Semicolons, decimal commas, a byte-order mark and CRLF line ends, as European Excel saves a CSV."""
    lines = path.read_text().splitlines()
    rows = [line.replace(",", ";") for line in lines[:1]] + [
        ";".join(value.replace(".", ",") for value in line.split(",")) for line in lines[1:]
    ]
    path.write_bytes(b"\xef\xbb\xbf" + "\r\n".join(rows).encode() + b"\r\n")


def test_a_history_saved_by_a_spreadsheet_reads_as_written_and_the_run_resumes(tmp_path):
    rng = np.random.default_rng(0)
    images, labels = rng.integers(0, 256, (48, 64, 64, 3), dtype=np.uint8), (np.arange(48) % 4).astype(np.int32)
    data = TrainingData(images[:32], labels[:32], images[32:], labels[32:], ("a", "b", "c", "d"))
    workdir, two = Workdir(tmp_path / "run"), recipe("demo", epochs=2, batch_size=16)
    assert fit(_model(), data, two, workdir, verbose=0, max_minutes=1e-6)["status"] == "paused"  # by its time budget
    written, columns = workdir.history(), workdir.history_columns()
    _as_a_spreadsheet_saves_it(workdir.history_file)
    assert workdir.history_file.read_bytes().startswith(b"\xef\xbb\xbfepoch;")
    assert workdir.history() == written and workdir.history_columns() == columns
    run = fit(_model(), data, two, workdir, verbose=0)
    assert run["status"] == "complete" and [row["epoch"] for row in workdir.history()] == ["0", "1"]
    assert workdir.history_file.read_text().startswith("epoch,")  # written back as the kit writes it


def test_a_history_changed_beyond_a_spreadsheet_save_is_one_line(tmp_path):
    workdir = Workdir(tmp_path).create()
    workdir.history_file.write_text("Sheet1\nloss\n0.5\n")
    with pytest.raises(ValueError, match=r"history.csv was changed by another program \(its columns: Sheet1, no "
                       r"epoch\): put back the one tinylib wrote"):  # fmt: skip
        workdir.history()


@pytest.mark.parametrize("name", ["run.json", "recipe.json"])
def test_a_damaged_record_names_its_file(tmp_path, name):
    workdir = Workdir(tmp_path).create()
    (tmp_path / name).write_text('{"status": "paused"\n "model": 1}')
    with pytest.raises(ValueError) as damaged:
        workdir.run() if name == "run.json" else workdir.recipe()
    assert str(damaged.value) == (
        f"{tmp_path / name} is damaged (Expecting ',' delimiter: line 2 column 2 (char 21)): put back a good copy, "
        "or use another --workdir"
    )


def test_the_command_line_names_a_damaged_run_json(tmp_path, capsys):
    (tmp_path / "run.json").write_text('{"status": "paused"\n "model": 1}')
    assert main(["report", str(tmp_path)]) == 2
    assert capsys.readouterr().err == (
        f"tinylib: error: {tmp_path / 'run.json'} is damaged (Expecting ',' delimiter: line 2 column 2 (char 21)): "
        "put back a good copy, or use another --workdir\n"
    )
