"""Export a trained model for use outside the kit: formats, class names and a self-check.

`export(workdir, format)` turns a work folder of `tinylib.train.fit` (its best.keras, or
last.keras) into one self-contained folder, by default WORKDIR/export/<format>/:

    model.keras | saved_model/ | model.tflite | model.onnx    the model, in the chosen format
    labels.txt      class names, one per line, in label order (line i names output i)
    wnids.txt       the WordNet ids, in the same order
    export.json     format, source run, model name, classes, contract, versions, check

Formats: "keras" (the .keras model without its optimiser state, so plain Keras loads it
without tinylib), "savedmodel" (Keras 3 `model.export(..., format="tf_saved_model")`,
endpoint `serve`), "tflite" (float32, converted from that SavedModel by
tf.lite.TFLiteConverter) and "onnx" (Keras' own ONNX export; needs the optional packages
tf2onnx and onnx, and onnxruntime to run it). TensorFlow backend.

The contract, the same for every format and the same as the training model's:
    input   float32 (N, 64, 64, 3), RGB, values in [0, 1] (uint8 pixels / 255)
    output  float32 (N, C) softmax probabilities, column i = line i of labels.txt
A model trained under mixed precision is exported in float32.

An export never replaces an existing one unless force=True, and is written under a
temporary name then renamed: an interrupted export leaves no half-written folder. Before
the rename the export is loaded back and compared with the original on a few images.

`tinylib.predict` runs an export (or a work folder) on image files.
"""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import tempfile
import warnings
from pathlib import Path

import numpy as np

from tinylib.files import atomic_folder
from tinylib.workdir import Workdir

FORMATS = ("keras", "savedmodel", "tflite", "onnx")
MODEL_FILES = {"keras": "model.keras", "savedmodel": "saved_model", "tflite": "model.tflite", "onnx": "model.onnx"}
CONTRACT = {
    "input": "float32 (N, 64, 64, 3) RGB in [0, 1] (uint8 pixels / 255)",
    "output": "float32 (N, C) softmax probabilities; column i is line i of labels.txt",
}
CHECK_TOLERANCE = 1e-3  # largest |exported - original| probability accepted by the export's self-check


def check_finite(model, source) -> None:
    """Raise ValueError (one line naming `source`) when a weight of `model` is NaN or infinite:
    such a model predicts nothing useful (a run whose loss became NaN)."""
    if not all(np.isfinite(weights).all() for weights in model.get_weights()):
        raise ValueError(
            f"{source} holds weights that are not finite (NaN or infinity: its training diverged); "
            "use an earlier checkpoint or train again"
        )


def _float32(model):
    """`model` itself when every layer computes in float32, else a float32 copy of it."""
    if all(layer.dtype_policy.name == "float32" for layer in model.layers):
        return model

    def to_float32(node):
        if isinstance(node, dict):
            if node.get("class_name") in ("DTypePolicy", "FloatDTypePolicy") and isinstance(node.get("config"), dict):
                node["config"]["name"] = "float32"
            for value in node.values():
                to_float32(value)
        elif isinstance(node, list):
            for value in node:
                to_float32(value)

    config = model.get_config()
    to_float32(config)
    copy = model.__class__.from_config(config)
    copy.set_weights([weights.astype(np.float32) for weights in model.get_weights()])
    return copy


def _write_model(model, format: str, folder: Path) -> None:
    target = folder / MODEL_FILES[format]
    if format == "keras":  # loaded with compile=False: no optimiser, so Keras alone can load it
        model.save(target)
        return
    model = _float32(model)
    model.predict_on_batch(np.zeros((1, 64, 64, 3), np.float32))  # a loaded model must have been called to export
    if format == "savedmodel":
        model.export(str(target), format="tf_saved_model", verbose=False)
    elif format == "tflite":
        import tensorflow as tf

        saved = Path(tempfile.mkdtemp(prefix="tinylib-export-"))  # TensorFlow reads it back by a glob: no [ ] in it
        try:
            model.export(str(saved / "saved_model"), format="tf_saved_model", verbose=False)
            target.write_bytes(tf.lite.TFLiteConverter.from_saved_model(str(saved / "saved_model")).convert())
        finally:
            shutil.rmtree(saved, ignore_errors=True)
    else:
        missing = [name for name in ("tf2onnx", "onnx", "onnxruntime") if importlib.util.find_spec(name) is None]
        if missing:
            raise ValueError(f"ONNX export needs {', '.join(missing)}: pip install tf2onnx onnx onnxruntime")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", FutureWarning)  # np.object probing in keras' tf2onnx patch
            model.export(str(target), format="onnx", verbose=False)


def _check_request(format: str, output: Path, force: bool) -> None:
    """Refuse, in one line and before any work, what `export` cannot do (see its docstring)."""
    if format not in FORMATS:
        raise ValueError(f"unknown export format {format!r}; choose one of {', '.join(FORMATS)}")
    import keras

    backend = keras.config.backend()
    if format != "keras" and backend != "tensorflow":
        raise ValueError(f"--format {format} converts with TensorFlow, but Keras runs on {backend} here: export "
                         "with KERAS_BACKEND=tensorflow (the .keras file loads on every backend), or --format keras")
    if format == "savedmodel" and set("[]*?") & set(str(output.absolute())):
        raise ValueError(
            f"TensorFlow cannot read a SavedModel back from a path holding [ ] * or ? ({output}): "
            "pass --output a folder whose path has none of them"
        )
    if output.exists() and not force:
        raise FileExistsError(f"{output} already exists: pass --force to replace it, or --output another folder")


def export(
    workdir: str | os.PathLike,
    format: str = "keras",
    output: str | os.PathLike | None = None,
    which: str = "best",
    data: str | os.PathLike | None = None,
    force: bool = False,
) -> Path:
    """Export the best (or last) model of `workdir` as `format` ("keras", "savedmodel",
    "tflite" or "onnx") into the folder `output` (default: WORKDIR/export/<format>), with
    labels.txt and wnids.txt in the model's output order, from `data` (default: the dataset of
    run.json; a dataset listing the same classes in another order is mapped by class id).
    Returns the export folder. Raises FileExistsError for an existing `output` unless
    force=True, NoTrainedModel, IncompatibleRun for a dataset with other classes, ValueError
    for a model with non-finite weights, a SavedModel `output` whose path holds [ ] * ?, or a format
    other than "keras" on JAX or PyTorch."""
    workdir = Workdir(workdir)
    model_file = workdir.model_file(which)
    output = Path(output) if output is not None else workdir.export_dir(format)
    _check_request(format, output, force)
    names, wnids = workdir.class_labels(data)
    import keras

    model = workdir.load_model(which)
    check_finite(model, model_file)
    classes = model.output_shape[-1]
    if classes != len(names):
        raise ValueError(f"the model has {classes} outputs but the dataset {len(names)} classes: pass --data ROOT")
    with atomic_folder(output, replace=True) as partial:  # an interrupted export leaves no half-written folder
        _write_model(model, format, partial)
        (partial / "labels.txt").write_text("".join(f"{name}\n" for name in names), encoding="utf-8")
        (partial / "wnids.txt").write_text("".join(f"{wnid}\n" for wnid in wnids), encoding="utf-8")
        meta = {"format": format, "model_file": MODEL_FILES[format], "model": model.name,
                "source": str(model_file.resolve()), "classes": classes, "contract": CONTRACT,
                "check": _self_check(model, partial, format),
                "versions": {"keras": keras.__version__, "tensorflow": _tensorflow_version()}}  # fmt: skip
        (partial / "export.json").write_text(json.dumps(meta, indent=2) + "\n")
    return output


def _self_check(model, folder: Path, format: str) -> dict:
    """Compare the export in `folder` with `model` on 4 random images; raise RuntimeError when
    a probability differs by more than CHECK_TOLERANCE (nothing is written then)."""
    probe = np.random.default_rng(0).random((4, 64, 64, 3), dtype=np.float32)
    difference = float(np.max(np.abs(load_runner(folder, format)(probe) - model.predict_on_batch(probe))))
    if not difference <= CHECK_TOLERANCE:
        raise RuntimeError(f"the {format} export differs from the original by {difference:.2g}; nothing written")
    return {"images": len(probe), "max_abs_difference": difference}


def _tensorflow_version() -> str | None:
    """The installed TensorFlow's version, read from its metadata: importing it would start
    TensorFlow beside JAX or PyTorch (and take the GPU)."""
    import importlib.metadata

    try:
        return importlib.metadata.version("tensorflow")
    except importlib.metadata.PackageNotFoundError:
        return None


def load_runner(folder: Path, format: str):
    """A function float32 (N, 64, 64, 3) -> float32 (N, C) probabilities for an export."""
    path = folder / MODEL_FILES[format]
    if format == "keras":
        import keras

        model = keras.models.load_model(path, compile=False)
        return lambda batch: np.asarray(model.predict_on_batch(batch), np.float32)
    if format == "savedmodel":
        import tensorflow as tf

        loaded = tf.saved_model.load(str(path))
        return lambda batch: np.asarray(loaded.serve(tf.constant(batch)), np.float32)
    if format == "tflite":
        return _tflite_runner(path)
    try:
        import onnxruntime
    except ImportError:
        raise ValueError("running an ONNX export needs onnxruntime: pip install onnxruntime") from None
    session = onnxruntime.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    name = session.get_inputs()[0].name
    return lambda batch: np.asarray(session.run(None, {name: batch})[0], np.float32)


def _tflite_runner(path: Path):
    try:
        from ai_edge_litert.interpreter import Interpreter
    except ImportError:  # tf.lite.Interpreter still works in TF 2.21, with a deprecation warning
        import tensorflow as tf

        Interpreter = tf.lite.Interpreter
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        interpreter = Interpreter(model_path=str(path))
    source = interpreter.get_input_details()[0]["index"]
    target = interpreter.get_output_details()[0]["index"]

    def run(batch):
        interpreter.resize_tensor_input(source, batch.shape)
        interpreter.allocate_tensors()
        interpreter.set_tensor(source, np.ascontiguousarray(batch, np.float32))
        interpreter.invoke()
        return np.array(interpreter.get_tensor(target), np.float32)

    return run
