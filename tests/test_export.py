"""Export (keras, savedmodel, tflite, onnx) and predict: an exported model must give the
original's top-1 and probabilities on real val images, carry its class names, never replace
an export silently, and `tinylib predict` must read odd image files and survive a broken one."""

import json
import os
import shutil

import numpy as np
import pytest
from conftest import copy_run
from PIL import Image

from tinylib.cli import main
from tinylib.data import decode
from tinylib.export import export
from tinylib.predict import load_export, predict_files
from tinylib.workdir import Workdir

pytestmark = [pytest.mark.backend, pytest.mark.versions]

FORMATS = ("keras", "savedmodel", "tflite")
pytestmark = pytest.mark.skipif(
    os.environ.get("KERAS_BACKEND", "tensorflow") != "tensorflow",
    reason="SavedModel, TFLite and ONNX convert with TensorFlow; on JAX and PyTorch export refuses them and writes "
    ".keras (tests/test_backend_choice.py)",
)


@pytest.fixture(scope="module")
def trained(tmp_path_factory, trained_run):
    """(dataset root, work folder): a copy of the session's trained run (4 classes, 20 val
    images), as exports are written into the work folder."""
    workdir = copy_run(trained_run, tmp_path_factory.mktemp("export") / "run")
    return Workdir(workdir).dataset_root(), workdir


@pytest.fixture(scope="module")
def exports(trained):
    return {format: export(trained[1], format) for format in FORMATS}


@pytest.fixture(scope="module")
def val(trained):
    """(uint8 val images, DatasetInfo, the original model's probabilities)."""
    import keras

    from tinylib.data import load_images, read_layout
    from tinylib.train import predict_probabilities

    info = read_layout(trained[0])
    images = load_images(info.val_files)
    original = predict_probabilities(keras.models.load_model(trained[1] / "best.keras"), images)
    assert original.std(axis=0).max() > 1e-3, "the model must tell images apart for the comparison to mean anything"
    return images, info, original


@pytest.mark.parametrize("format", FORMATS)
def test_export_matches_the_original_and_carries_the_names(format, exports, val):
    images, info, original = val
    folder = exports[format]
    assert folder.name == format and folder.parent.name == "export"
    predictor = load_export(folder)
    probabilities = predictor.predict(images)
    assert probabilities.shape == (20, 4) and probabilities.dtype == np.float32
    np.testing.assert_array_equal(probabilities.argmax(axis=1), original.argmax(axis=1))
    np.testing.assert_allclose(probabilities, original, atol=1e-4)
    assert (folder / "labels.txt").read_text().splitlines() == list(info.names)
    assert (folder / "wnids.txt").read_text().splitlines() == list(info.wnids)
    assert predictor.names == info.names
    meta = json.loads((folder / "export.json").read_text())
    assert meta["format"] == format and meta["classes"] == 4 and (folder / meta["model_file"]).exists()
    assert meta["check"]["max_abs_difference"] < 1e-4
    assert not list(folder.parent.glob(".*")), "no temporary folder left behind"


def test_exports_load_without_tinylib(exports, val):
    """What a deployment does: plain Keras, TensorFlow or LiteRT, no tinylib, no dataset."""
    import subprocess
    import sys

    script = """
import sys, warnings
import numpy as np, keras, tensorflow as tf
keras_folder, saved_folder, lite_folder = sys.argv[1:]
x = np.load(keras_folder + "/x.npy")
outputs = [keras.models.load_model(keras_folder + "/model.keras").predict_on_batch(x)]
saved = tf.saved_model.load(saved_folder + "/saved_model")
outputs.append(saved.serve(tf.constant(x)).numpy())
with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    lite = tf.lite.Interpreter(model_path=lite_folder + "/model.tflite")
index = lite.get_input_details()[0]["index"]
lite.resize_tensor_input(index, x.shape)
lite.allocate_tensors()
lite.set_tensor(index, x)
lite.invoke()
outputs.append(lite.get_tensor(lite.get_output_details()[0]["index"]))
assert "tinylib" not in sys.modules
np.save(keras_folder + "/y.npy", np.stack(outputs))
"""
    folder = exports["keras"]
    np.save(folder / "x.npy", val[0][:8].astype(np.float32) / 255)
    try:
        done = subprocess.run(
            [sys.executable, "-c", script, *(str(exports[f]) for f in FORMATS)], capture_output=True, text=True
        )
        assert done.returncode == 0, done.stderr[-2000:]
        outputs = np.load(folder / "y.npy")
    finally:
        for name in ("x.npy", "y.npy"):
            (folder / name).unlink(missing_ok=True)
    for output in outputs:
        np.testing.assert_allclose(output, val[2][:8], atol=1e-4)


def test_onnx_export_matches_the_original(trained, val, tmp_path):
    for package in ("tf2onnx", "onnx", "onnxruntime"):
        pytest.importorskip(package)
    images, info, original = val
    probabilities = load_export(export(trained[1], "onnx", output=tmp_path / "onnx")).predict(images)
    np.testing.assert_array_equal(probabilities.argmax(axis=1), original.argmax(axis=1))
    np.testing.assert_allclose(probabilities, original, atol=1e-4)


def test_an_export_is_never_replaced_silently(trained, exports, capsys):
    folder = exports["keras"]
    stamp = (folder / "export.json").stat().st_mtime_ns
    with pytest.raises(FileExistsError, match="--force"):
        export(trained[1], "keras")
    assert main(["export", str(trained[1]), "--format", "keras"]) == 2
    error = capsys.readouterr().err.strip()
    assert len(error.splitlines()) == 1 and "already exists" in error and "--force" in error
    assert (folder / "export.json").stat().st_mtime_ns == stamp
    assert main(["export", str(trained[1]), "--format", "keras", "--force"]) == 0
    assert f"exported: {folder}" in capsys.readouterr().out
    assert (folder / "export.json").stat().st_mtime_ns != stamp
    assert sorted(p.name for p in folder.parent.iterdir()) == sorted(FORMATS), "no .partial or .old left"


def test_an_interrupted_export_leaves_nothing(trained, tmp_path, monkeypatch):
    import tinylib.export

    def interrupted(model, format, folder):
        (folder / "model.keras").write_bytes(b"half")
        raise KeyboardInterrupt

    monkeypatch.setattr(tinylib.export, "_write_model", interrupted)
    with pytest.raises(KeyboardInterrupt):
        export(trained[1], "keras", output=tmp_path / "out" / "model")
    assert list((tmp_path / "out").iterdir()) == []


def test_names_need_the_dataset_or_data(trained, tmp_path, val):
    root, workdir = trained
    moved = tmp_path / "run"
    moved.mkdir()
    shutil.copy(workdir / "best.keras", moved)
    Workdir(moved).write_run({**Workdir(workdir).run(), "data": str(tmp_path / "deleted-dataset")})
    with pytest.raises(FileNotFoundError, match="is gone.*--data ROOT"):
        export(moved, "keras")
    folder = export(moved, "keras", data=root)
    assert (folder / "labels.txt").read_text().splitlines() == list(val[1].names)


def test_float32_copy_of_a_mixed_precision_model():
    import keras

    from tinylib.export import _float32
    from tinylib.models import resnet10

    keras.mixed_precision.set_global_policy("mixed_bfloat16")
    try:
        model = resnet10(width=8, stem="imagenet", num_classes=3)
    finally:
        keras.mixed_precision.set_global_policy("float32")
    copy = _float32(model)
    assert {layer.dtype_policy.name for layer in copy.layers} == {"float32"}
    batch = np.random.default_rng(0).random((2, 64, 64, 3), dtype=np.float32)
    np.testing.assert_allclose(copy.predict_on_batch(batch), model.predict_on_batch(batch), atol=0.02)


def test_predict_reads_odd_files_and_survives_a_broken_one(trained, exports, val, tmp_path, capsys):
    images, info, _ = val
    capsys.readouterr()
    png = tmp_path / "wide.png"  # RGBA, 100 x 80
    Image.fromarray(images[0]).resize((100, 80)).convert("RGBA").save(png)
    gray = tmp_path / "gray.jpg"  # grayscale, 50 x 50
    Image.fromarray(images[1]).convert("L").resize((50, 50)).save(gray)
    broken = tmp_path / "broken.jpg"
    broken.write_bytes(b"\xff\xd8 not really a JPEG")
    files = [str(png), str(broken), str(gray)]

    assert main(["predict", str(trained[1]), *files, "--top", "3"]) == 0  # one of three unreadable: still 0
    captured = capsys.readouterr()
    assert captured.err.count("\n") == 1 and "broken.jpg" in captured.err and "Traceback" not in captured.err
    lines = captured.out.splitlines()
    assert [line for line in lines if not line.startswith(" ")] == [str(png), str(gray)]
    assert len(lines) == 2 * (1 + 3) and all(line.split("%  ")[1] in info.names for line in lines if "%" in line)

    # The CLI's first name is the original model's top-1 on the decoded file, and an export agrees.
    from_workdir = predict_files(trained[1], files)
    assert "error" in from_workdir[1] and [len(r["top"]) for r in (from_workdir[0], from_workdir[2])] == [4, 4]
    assert lines[1].endswith(from_workdir[0]["top"][0][0]) and lines[5].endswith(from_workdir[2]["top"][0][0])
    assert decode(png).shape == decode(gray).shape == (64, 64, 3)
    from_export = predict_files(exports["tflite"], files, test_time_flip=True)
    flipped = predict_files(trained[1], files, test_time_flip=True)
    for ours, theirs in zip(from_export, flipped):
        assert ours.keys() == theirs.keys()
        if "top" in ours:
            assert [name for name, _ in ours["top"]] == [name for name, _ in theirs["top"]]
            np.testing.assert_allclose([p for _, p in ours["top"]], [p for _, p in theirs["top"]], atol=1e-4)
