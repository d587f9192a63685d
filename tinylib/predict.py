"""Predict with a trained model outside training: `Predictor` over an export folder or a work
folder, `predict_files` for image files (or folders of them) of any size and mode (through the
one decoder, `tinylib.data.images`, so `tinylib predict` and the upload widget see the same
pixels), and `write_predictions_csv`."""

from __future__ import annotations

import csv
import io
import json
import os
from pathlib import Path

import numpy as np

from tinylib.data.folders import images_under
from tinylib.data.images import ImageDecodeError, decode
from tinylib.export import check_finite, load_runner
from tinylib.files import write_atomically
from tinylib.inference import predict_probabilities
from tinylib.workdir import Workdir


class Predictor:
    """A model (from a work folder or an export folder) with its class names and wnids.
    `predict(images)` takes uint8 (N, 64, 64, 3) or float32 in [0, 1] and returns float32
    (N, C) probabilities; test_time_flip=True averages each image with its mirror."""

    def __init__(self, run, names: tuple, wnids: tuple, source: Path, format: str):
        self._run, self.names, self.wnids, self.source, self.format = run, tuple(names), tuple(wnids), source, format

    @property
    def output_shape(self) -> tuple:
        return (None, len(self.names))

    def predict_on_batch(self, batch: np.ndarray) -> np.ndarray:
        """float32 (N, 64, 64, 3) in [0, 1] -> float32 (N, C) probabilities."""
        return self._run(np.ascontiguousarray(batch, np.float32))

    def predict(self, images: np.ndarray, test_time_flip: bool = False, batch_size: int | None = None) -> np.ndarray:
        """float32 (N, C) probabilities, with the same batching (None: the profile's
        `eval_batch_size`) and test-time flip as evaluation."""
        return predict_probabilities(self, images, batch_size, test_time_flip)

    def ranked(self, probabilities: np.ndarray, top: int = 5) -> list[tuple[str, float]]:
        """The `top` (class name, probability) of one image's float32 (C,) probabilities, most
        probable first (ties in class order)."""
        order = np.argsort(-probabilities, kind="stable")[: max(1, min(top, len(self.names)))]
        return [(self.names[k], float(probabilities[k])) for k in order]

    @classmethod
    def from_model(cls, model, names, wnids=None, source: str = "a Keras model in memory") -> Predictor:
        """A Predictor over a Keras model in memory. Raises ValueError when the number of
        names differs from the model's outputs."""
        if len(names) != model.output_shape[-1]:
            raise ValueError(f"the model predicts {model.output_shape[-1]} classes but {len(names)} names given")
        run = lambda batch: np.asarray(model.predict_on_batch(batch), np.float32)  # noqa: E731
        return cls(run, names, wnids if wnids is not None else names, source, "keras")

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
    return Predictor(load_runner(folder, format), names, wnids, folder, format)


def load_predictor(source: str | os.PathLike, which: str = "best", data: str | os.PathLike | None = None) -> Predictor:
    """A Predictor from an export folder (export.json inside) or a work folder (its best or
    last .keras; class names from `data`, default the dataset its run.json names)."""
    source = Path(source)
    if (source / "export.json").is_file():
        return load_export(source)
    workdir = Workdir(source)
    model = workdir.load_model(which)
    check_finite(model, workdir.model_file(which))
    names, wnids = workdir.class_labels(data)
    return Predictor.from_model(model, names, wnids, source)


def predict_files(
    source: str | os.PathLike | Predictor,
    paths,
    top: int = 5,
    test_time_flip: bool = False,
    data: str | os.PathLike | None = None,
) -> list[dict]:
    """The `top` most probable classes of each image file, in the order of `paths` (a folder
    stands for the image files under it, `image_paths`): {"path", "top": [(name, probability),
    ...]} or, for a file that cannot be read, {"path", "error": one line}. `source`: a work
    folder, an export folder or a Predictor."""
    predictor = source if isinstance(source, Predictor) else load_predictor(source, data=data)
    results, images, readable = [], [], []
    for path in image_paths(paths):
        try:
            images.append(decode(path))
        except (ImageDecodeError, OSError) as error:  # the decoder's one line names the file
            results.append({"path": str(path), "error": " ".join(str(error).split())})
            continue
        readable.append(len(results))
        results.append({"path": str(path)})
    if images:
        probabilities = predictor.predict(np.stack(images), test_time_flip=test_time_flip)
        for index, row in zip(readable, probabilities):
            results[index]["top"] = predictor.ranked(row, top)
    return results


def image_paths(paths) -> list[Path]:
    """`paths` in their order, each folder replaced by the image files under it (recursively,
    in natural order; hidden files and OS clutter such as .DS_Store left out). Files are kept
    as given, whatever their name."""
    found = []
    for path in map(Path, paths):
        found += images_under(path) if path.is_dir() else [path]
    return found


def write_predictions_csv(results: list[dict], path: str | os.PathLike) -> Path:
    """Write `predict_files` results to a CSV file (atomically), one row per image: path,
    name_1, probability_1, ..., name_k, probability_k (most probable first, probabilities
    with 6 decimals), error (empty unless the file could not be read; then the predictions
    are empty). Returns the path."""
    top = max((len(result.get("top", ())) for result in results), default=0)
    columns = ["path"] + [f"{field}_{rank}" for rank in range(1, top + 1) for field in ("name", "probability")]
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow([*columns, "error"])
    for result in results:
        ranked = [value for name, p in result.get("top", ()) for value in (name, f"{p:.6f}")]
        writer.writerow([result["path"], *ranked, *[""] * (len(columns) - 1 - len(ranked)), result.get("error", "")])
    write_atomically(path, buffer.getvalue())
    return Path(path)
