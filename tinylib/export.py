"""Export a trained model for use outside the kit, and predict image files with it.

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

`predict_files(source, paths)` reads JPEG/PNG files of any size and mode (converted to RGB,
resized to 64x64 with PIL) and returns the top classes of each, from a work folder (its
best.keras, names from the dataset in run.json) or an export folder (names from labels.txt).
"""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import warnings
from pathlib import Path

import numpy as np

FORMATS = ("keras", "savedmodel", "tflite", "onnx")
MODEL_FILES = {"keras": "model.keras", "savedmodel": "saved_model", "tflite": "model.tflite", "onnx": "model.onnx"}
CONTRACT = {
    "input": "float32 (N, 64, 64, 3) RGB in [0, 1] (uint8 pixels / 255)",
    "output": "float32 (N, C) softmax probabilities; column i is line i of labels.txt",
}
CHECK_TOLERANCE = 1e-3  # largest |exported - original| probability accepted by the export's self-check


def _trained_model_file(workdir: Path, which: str = "best") -> Path:
    if which not in ("best", "last"):
        raise ValueError(f"which must be 'best' or 'last', got {which!r}")
    if not workdir.is_dir():
        raise FileNotFoundError(f"no work folder at {workdir}: pass the folder `tinylib train --workdir` wrote")
    for name in (f"{which}.keras", "last.keras"):
        if (workdir / name).is_file():
            return workdir / name
    raise FileNotFoundError(
        f"no trained model (best.keras or last.keras) in {workdir}: train first: tinylib train --workdir {workdir}"
    )


def class_labels(workdir: str | os.PathLike, data: str | os.PathLike | None = None) -> tuple[tuple, tuple]:
    """(names, wnids) in label order of the run in `workdir`, read from `data` (a dataset
    root) or else from the dataset root its run.json names."""
    from tinylib.data import read_layout

    workdir = Path(workdir)
    if data is None:
        run_file = workdir / "run.json"
        data = json.loads(run_file.read_text()).get("data") if run_file.is_file() else None
        if not data:
            raise FileNotFoundError(f"no dataset named in {run_file}, so the class names are unknown: pass --data ROOT")
        if not (Path(data) / "wnids.txt").is_file():
            raise FileNotFoundError(
                f"the dataset this run trained on ({data}) is gone, so the class names are unknown: "
                "pass --data ROOT (a dataset with the same wnids.txt)"
            )
    info = read_layout(data)
    return info.names, info.wnids


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

        saved = folder / "_saved_model"
        model.export(str(saved), format="tf_saved_model", verbose=False)
        target.write_bytes(tf.lite.TFLiteConverter.from_saved_model(str(saved)).convert())
        shutil.rmtree(saved)
    else:
        missing = [name for name in ("tf2onnx", "onnx", "onnxruntime") if importlib.util.find_spec(name) is None]
        if missing:
            raise ValueError(f"ONNX export needs {', '.join(missing)}: pip install tf2onnx onnx onnxruntime")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", FutureWarning)  # np.object probing in keras' tf2onnx patch
            model.export(str(target), format="onnx", verbose=False)


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
    labels.txt and wnids.txt from `data` (default: the dataset of run.json). Refuses to
    replace an existing `output` unless force=True. Returns the export folder."""
    if format not in FORMATS:
        raise ValueError(f"unknown export format {format!r}; choose one of {', '.join(FORMATS)}")
    workdir = Path(workdir)
    model_file = _trained_model_file(workdir, which)
    output = Path(output) if output is not None else workdir / "export" / format
    if output.exists() and not force:
        raise FileExistsError(f"{output} already exists: pass --force to replace it, or --output another folder")
    names, wnids = class_labels(workdir, data)
    import keras

    model = keras.models.load_model(model_file, compile=False)
    classes = model.output_shape[-1]
    if classes != len(names):
        raise ValueError(f"the model has {classes} outputs but the dataset {len(names)} classes: pass --data ROOT")
    output.parent.mkdir(parents=True, exist_ok=True)
    partial = output.parent / f".{output.name}.partial"
    shutil.rmtree(partial, ignore_errors=True)  # left by an interrupted export
    partial.mkdir()
    try:
        _write_model(model, format, partial)
        (partial / "labels.txt").write_text("".join(f"{name}\n" for name in names), encoding="utf-8")
        (partial / "wnids.txt").write_text("".join(f"{wnid}\n" for wnid in wnids), encoding="utf-8")
        probe = np.random.default_rng(0).random((4, 64, 64, 3), dtype=np.float32)
        difference = float(np.max(np.abs(_load_runner(partial, format)(probe) - model.predict_on_batch(probe))))
        if not difference <= CHECK_TOLERANCE:
            raise RuntimeError(f"the {format} export differs from the original by {difference:.2g}; nothing written")
        meta = {
            "format": format,
            "model_file": MODEL_FILES[format],
            "model": model.name,
            "source": str(model_file.resolve()),
            "classes": classes,
            "contract": CONTRACT,
            "check": {"images": len(probe), "max_abs_difference": difference},
            "versions": {"keras": keras.__version__, "tensorflow": _tensorflow_version()},
        }
        (partial / "export.json").write_text(json.dumps(meta, indent=2) + "\n")
        old = output.parent / f".{output.name}.old"
        if output.exists():
            shutil.rmtree(old, ignore_errors=True)
            os.replace(output, old)
        os.replace(partial, output)
        shutil.rmtree(old, ignore_errors=True)
    except BaseException:
        shutil.rmtree(partial, ignore_errors=True)
        raise
    return output


def _tensorflow_version() -> str | None:
    try:
        import tensorflow as tf
    except ImportError:
        return None
    return tf.__version__


def _load_runner(folder: Path, format: str):
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


class Predictor:
    """A model (from a work folder or an export folder) with its class names and wnids.
    `predict(images)` takes uint8 (N, 64, 64, 3) or float32 in [0, 1] and returns float32
    (N, C) probabilities; flip=True averages each image with its mirror."""

    def __init__(self, run, names: tuple, wnids: tuple, source: Path, format: str):
        self._run, self.names, self.wnids, self.source, self.format = run, tuple(names), tuple(wnids), source, format

    @property
    def output_shape(self) -> tuple:
        return (None, len(self.names))

    def predict_on_batch(self, batch: np.ndarray) -> np.ndarray:
        """float32 (N, 64, 64, 3) in [0, 1] -> float32 (N, C) probabilities."""
        return self._run(np.ascontiguousarray(batch, np.float32))

    def predict(self, images: np.ndarray, flip: bool = False, batch_size: int = 256) -> np.ndarray:
        from tinylib.train import predict_probabilities  # the same batching and flip as evaluation

        return predict_probabilities(self, images, batch_size, flip)

    def __repr__(self) -> str:
        return f"Predictor({self.format}, {len(self.names)} classes, from {self.source})"


def load_export(folder: str | os.PathLike) -> Predictor:
    """An export folder written by `export`, ready to predict, with names from labels.txt."""
    folder = Path(folder)
    meta_file = folder / "export.json"
    if not meta_file.is_file():
        raise FileNotFoundError(f"no export.json in {folder}: pass a folder that `tinylib export` wrote")
    format = json.loads(meta_file.read_text())["format"]
    names = tuple((folder / "labels.txt").read_text(encoding="utf-8").splitlines())
    wnids_file = folder / "wnids.txt"
    wnids = tuple(wnids_file.read_text(encoding="utf-8").splitlines()) if wnids_file.is_file() else names
    return Predictor(_load_runner(folder, format), names, wnids, folder, format)


def load_predictor(source: str | os.PathLike, which: str = "best", data: str | os.PathLike | None = None) -> Predictor:
    """A Predictor from an export folder (export.json inside) or a work folder (its best or
    last .keras; class names from `data`, default the dataset its run.json names)."""
    source = Path(source)
    if (source / "export.json").is_file():
        return load_export(source)
    model_file = _trained_model_file(source, which)
    names, wnids = class_labels(source, data)
    import keras

    model = keras.models.load_model(model_file, compile=False)
    run = lambda batch: np.asarray(model.predict_on_batch(batch), np.float32)  # noqa: E731
    return Predictor(run, names, wnids, source, "keras")


def read_image(path: str | os.PathLike) -> np.ndarray:
    """One image file of any size and mode as uint8 (64, 64, 3) RGB (PIL: convert, resize)."""
    from tinylib.data.pipeline import decode_image

    return decode_image(path)


def predict_files(
    source: str | os.PathLike | Predictor,
    paths,
    top: int = 5,
    flip: bool = False,
    data: str | os.PathLike | None = None,
) -> list[dict]:
    """The `top` most probable classes of each image file, in the order of `paths`:
    {"path", "top": [(name, probability), ...]} or, for a file that cannot be read,
    {"path", "error": one line}. `source`: a work folder, an export folder or a Predictor."""
    predictor = source if isinstance(source, Predictor) else load_predictor(source, data=data)
    results, images, readable = [], [], []
    for path in paths:
        try:
            images.append(read_image(path))
        except Exception as error:  # PIL raises OSError, ValueError, SyntaxError... for bad files
            message = " ".join(str(error).split()) or type(error).__name__
            results.append({"path": str(path), "error": f"cannot read {path} as an image: {message}"})
            continue
        readable.append(len(results))
        results.append({"path": str(path)})
    if images:
        probabilities = predictor.predict(np.stack(images), flip=flip)
        count = max(1, min(top, probabilities.shape[1]))
        for index, row in zip(readable, probabilities):
            order = np.argsort(-row, kind="stable")[:count]
            results[index]["top"] = [(predictor.names[k], float(row[k])) for k in order]
    return results
