"""Run a trained model over a labelled split once and keep everything an analysis needs.

`predictions(model_or_workdir, data)` returns a `Predictions`: probabilities, labels, the
images, their files and boxes and the class names, so the metrics, galleries, Grad-CAM and
the HTML report all read the same arrays.
"""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path

import numpy as np

from tinylib import config
from tinylib.analysis.metrics import expected_calibration_error, per_example_loss, top_k_accuracy
from tinylib.data.arrays import TrainingData
from tinylib.inference import predict_probabilities
from tinylib.workdir import Workdir


@dataclasses.dataclass(frozen=True, eq=False)
class Predictions:
    """One model's predictions on one labelled split.

    probabilities: float32 (N, C); labels: int32 (N,); class_names: C names (words.txt).
    images: uint8 (N, 64, 64, 3) (may be memory-mapped); files: N paths, or () when unknown;
    boxes: int32 (N, 4) inclusive (x0, y0, x1, y1), -1 where none, or None when unknown.
    test_time_flip: whether each probability is the mean over the image and its mirror.
    """

    probabilities: np.ndarray
    labels: np.ndarray
    class_names: tuple[str, ...]
    images: np.ndarray | None = None
    files: tuple[Path, ...] = ()
    boxes: np.ndarray | None = None
    test_time_flip: bool = False

    @property
    def num_classes(self) -> int:
        return self.probabilities.shape[1]

    @property
    def predicted(self) -> np.ndarray:
        """int64 (N,) the most probable class of each image."""
        return self.probabilities.argmax(axis=1)

    @property
    def confidence(self) -> np.ndarray:
        """float32 (N,) the probability of the predicted class."""
        return self.probabilities.max(axis=1)

    @property
    def correct(self) -> np.ndarray:
        """bool (N,) predicted == true label."""
        return self.predicted == self.labels

    @property
    def losses(self) -> np.ndarray:
        """float32 (N,) cross-entropy of each image, in nats."""
        return per_example_loss(self.probabilities, self.labels)

    def summary(self) -> dict:
        """{"images", "top1", "top5", "loss", "ece", "test_time_flip"}: the headline numbers (0..1, nats)."""
        return {
            "images": len(self.labels),
            "top1": round(top_k_accuracy(self.probabilities, self.labels, 1), 4),
            "top5": round(top_k_accuracy(self.probabilities, self.labels, min(5, self.num_classes)), 4),
            "loss": round(float(np.mean(self.losses)), 4),
            "ece": round(expected_calibration_error(self.probabilities, self.labels), 4),
            "test_time_flip": self.test_time_flip,
        }

    def file_names(self, indices) -> list[str]:
        """Short names ("val_17") of the images at `indices` ("#17" when files are unknown)."""
        return [self.files[i].stem if self.files else f"#{i}" for i in indices]


def _split_of(
    data, split: str, workdir: Workdir | None
) -> tuple[np.ndarray, np.ndarray, tuple, tuple, np.ndarray | None]:
    """(images, labels, class names, files, boxes) of `split` from any accepted `data`."""
    from tinylib.data import load_packed, read_layout

    if data is None:
        data = workdir.dataset_root() if workdir is not None else None
        if not data:
            raise ValueError("no data given and no run.json with a dataset root: pass data=<dataset root>")
    if isinstance(data, tuple) and len(data) == 2:  # (images, labels)
        labels = np.asarray(data[1], np.int32)
        names = tuple(str(i) for i in range(int(labels.max()) + 1 if len(labels) else 0))
        return data[0], labels, names, (), None
    if isinstance(data, TrainingData):
        images, labels = (
            (data.val_images, data.val_labels) if split == "val" else (data.train_images, data.train_labels)
        )
        root, names = data.source, data.class_names
    else:
        root = data
        images, labels = load_packed(root, split, progress=False)
        names = None
    files, boxes = (), None
    if root and Path(root).is_dir():  # the official layout or a class-per-folder tree
        info = read_layout(root)
        names = names or info.names
        if len(info.files(split)) == len(labels):
            files = info.files(split)
            boxes = info.val_boxes if split == "val" else info.train_boxes
    return images, np.asarray(labels, np.int32), tuple(names), tuple(files), boxes


def predictions(
    model,
    data=None,
    split: str = "val",
    test_time_flip: bool = False,
    batch_size: int | None = None,
    progress: bool = True,
    probabilities: np.ndarray | None = None,
) -> Predictions:
    """Predict every image of a labelled split once, batch by batch (with a progress bar).

    model: a Keras model, or a work folder written by `tinylib.train.fit` (its best.keras).
    data: a dataset root in the official layout, a `TrainingData`, or (images, labels);
    None: the dataset the work folder's run.json names. split: "val" or "train".
    test_time_flip: the mean of each image's and its mirror's probabilities.
    probabilities: float32 (N, C) already computed for this split (e.g. the ones `fit` keeps,
    `Workdir.val_predictions()`): no pass over the images then.
    batch_size: images per step (None: the profile's `eval_batch_size`).
    Files and boxes are filled in when the dataset root is known.
    """
    if split not in ("val", "train"):
        raise ValueError(f"split must be 'val' or 'train' (test images have no labels), got {split!r}")
    workdir = None
    if isinstance(model, (str, os.PathLike, Workdir)):
        workdir = Workdir(model)
        model = workdir.load_model("best")
    images, labels, names, files, boxes = _split_of(data, split, workdir)
    if probabilities is None:
        batch_size = batch_size or config.profile().eval_batch_size
        chunks = range(0, len(images), batch_size)
        if progress:
            from tqdm.auto import tqdm

            chunks = tqdm(chunks, desc=f"predicting {len(images)} {split} images", unit="batch")
        outputs = [predict_probabilities(model, images[i : i + batch_size], batch_size, test_time_flip) for i in chunks]
        probabilities = np.concatenate(outputs) if outputs else np.zeros((0, model.output_shape[-1]), np.float32)
    if len(names) != probabilities.shape[1]:
        names = tuple(str(i) for i in range(probabilities.shape[1]))
    return Predictions(probabilities, labels, names, images, files, boxes, test_time_flip)


def test_time_flip_gain(
    model, images: np.ndarray, labels: np.ndarray, batch_size: int | None = None, plain=None, mirrored=None
) -> dict:
    """What test-time flip buys: top-1 of the images alone and of the mean over each image
    and its mirror, the gain (percentage points / 100), and how many images the flip fixed
    (wrong -> right) and broke (right -> wrong). Two passes over the images, fewer when the
    plain or mirrored probabilities (float32 (N, C)) are passed in."""
    labels = np.asarray(labels)
    plain = predict_probabilities(model, images, batch_size) if plain is None else plain
    if mirrored is None:
        mirrored = predict_probabilities(model, np.asarray(images)[:, :, ::-1], batch_size)
    plain_right = plain.argmax(axis=1) == labels
    flip_right = ((plain + mirrored) / 2).argmax(axis=1) == labels
    return {
        "top1": round(float(plain_right.mean()), 4),
        "top1_flip": round(float(flip_right.mean()), 4),
        "gain": round(float(flip_right.mean() - plain_right.mean()), 4),
        "fixed": int(np.sum(flip_right & ~plain_right)),
        "broken": int(np.sum(plain_right & ~flip_right)),
    }
