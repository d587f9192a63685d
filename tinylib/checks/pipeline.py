"""Checker for notebook 01's tf.data exercise: JPEG files to shuffled, cached, scaled batches.

`check_tf_data_pipeline(function)` writes small JPEGs of one colour each (some grayscale) to a
temporary folder, calls a learner's ``build_pipeline(files, labels, batch_size, training)``
for a validation and a training pipeline, recognises every image by its colour, and explains
the classic mistakes: no scaling, one channel for grayscale files, the val set shuffled,
batching before decoding, shuffling whole batches, no cache, the same order every epoch.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from pathlib import Path

import numpy as np
from PIL import Image

from tinylib.checks.feedback import ExerciseError, checker, expect, passed

EXERCISE = "tf.data pipeline"
SIZE = 64
# (files, batch size, positions of grayscale files, training)
VAL_CASE = (10, 4, (1, 6), False)
TRAIN_CASE = (16, 4, (3, 9, 12), True)
TOLERANCE = 6 / 255  # JPEG keeps a one-colour image within a few levels


def colours(count: int, gray: tuple[int, ...]) -> np.ndarray:
    """uint8 (count, 3): one colour per file, far apart; R = G = B at the `gray` positions."""
    rng = np.random.default_rng(21)
    chosen: list[np.ndarray] = []
    while len(chosen) < count:
        index = len(chosen)
        colour = np.repeat(rng.integers(20, 236), 3) if index in gray else rng.integers(20, 236, 3)
        if all(np.abs(colour - other).max() >= 24 for other in chosen):
            chosen.append(colour)
    return np.stack(chosen).astype(np.uint8)


def write_files(folder: Path, count: int, gray: tuple[int, ...]) -> tuple[list[str], np.ndarray]:
    """Write `count` 64x64 JPEGs (mode "L" at the `gray` positions); their paths and colours."""
    palette = colours(count, gray)
    files = []
    for index, colour in enumerate(palette):
        path = folder / f"img_{index * 7 + 3}.JPEG"
        image = Image.new("RGB", (SIZE, SIZE), tuple(int(v) for v in colour))
        (image.convert("L") if index in gray else image).save(path, quality=95)
        files.append(str(path))
    return files, palette


def _hint(error: Exception) -> str:
    """A specific explanation of an error raised while building or reading the pipeline."""
    text = str(error)
    if "rank 0" in text:
        return (
            "reading a file got a whole batch of names (batch before map?): map read + decode over single "
            "files first, then batch"
        )
    if "64,64,1]" in text or "number of elements does not match" in text:
        return (
            "the images do not all have the same shape: grayscale JPEGs decode to 1 channel unless you "
            "ask for channels=3"
        )
    return f"{type(error).__name__}: {text.splitlines()[0] if text else ''}"


def _build(function: Callable, call: str, files: list[str], labels: np.ndarray, batch_size: int, training: bool):
    """The learner's dataset, with an error while building it explained as in `_hint`."""
    try:
        return function(list(files), labels.copy(), batch_size, training)
    except ExerciseError:
        raise
    except Exception as error:
        raise ExerciseError(f"{call} failed: {_hint(error)}.") from None


def _read(dataset, call: str) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """One pass over `dataset`: image and label batches as NumPy arrays."""
    images, labels = [], []
    try:
        for element in dataset:
            expect(
                isinstance(element, tuple) and len(element) == 2,
                f"{call} yields {type(element).__name__} elements; each element must be (images, labels).",
            )
            images.append(np.asarray(element[0]))
            labels.append(np.asarray(element[1]))
    except ExerciseError:
        raise
    except Exception as error:
        raise ExerciseError(f"reading the dataset of {call} failed: {_hint(error)}.") from None
    return images, labels


def _check_batches(images: list, labels: list, count: int, batch_size: int, call: str) -> None:
    """Shapes, dtype and range of one pass."""
    expect(len(images) > 0, f"{call} yields no batches.")
    first = images[0]
    expect(first.ndim == 4, f"{call} yields images of shape {first.shape}; batch them: (batch, 64, 64, 3).")
    expect(
        first.shape[-1] != 1,
        f"{call} yields images with 1 channel: grayscale JPEGs decode to one channel unless you ask for channels=3.",
    )
    expect(
        first.shape[1:] == (SIZE, SIZE, 3), f"{call} yields images of shape {first.shape}; expected (batch, 64, 64, 3)."
    )
    expect(len(labels[0]) == len(first) and labels[0].ndim == 1, f"{call}: each batch needs one int label per image.")
    expect(
        len(first) == min(batch_size, count),
        f"{call}: the first batch holds {len(first)} images; with batch_size={batch_size} it should hold {batch_size}.",
    )
    total = sum(len(batch) for batch in images)
    expect(
        total == count,
        f"{call}: one pass yields {total} images for {count} files; every file exactly once per pass "
        "(no repeat(), no drop_remainder).",
    )
    expect(
        first.dtype == np.float32,
        f"{call} yields images of dtype {first.dtype}; convert them to float32 (tf.cast), then divide by 255.",
    )
    values = np.concatenate(images)
    expect(
        values.max() <= 1 + 1e-6,
        f"{call} yields pixel values up to {values.max():.0f}: scale them to [0, 1] (divide by 255).",
    )
    expect(values.min() >= -1e-6, f"{call} yields negative pixel values: scale to [0, 1] (divide by 255), not [-1, 1].")


def _order(images: list[np.ndarray], palette: np.ndarray, call: str) -> np.ndarray:
    """int (N,): which file each image of one pass came from, recognised by its colour."""
    means = np.concatenate(images).mean(axis=(1, 2)).astype(np.float64)  # (N, 3)
    distances = np.abs(means[:, None, :] - palette[None].astype(np.float64) / 255).max(axis=-1)
    expect(
        bool(np.all(distances.min(axis=1) <= TOLERANCE)),
        f"{call}: some images do not look like their files (each file has one colour). Decode each file with "
        "channels=3, cast to float32, divide by 255 once.",
    )
    return distances.argmin(axis=1)


def _check_pass(images, labels, files, true_labels, palette, batch_size, call) -> np.ndarray:
    """Check one pass and return the file order it came in."""
    _check_batches(images, labels, len(files), batch_size, call)
    order = _order(images, palette, call)
    expect(
        sorted(order.tolist()) == list(range(len(files))),
        f"{call}: one pass must show every file exactly once.",
    )
    expect(
        np.array_equal(np.concatenate(labels), true_labels[order]),
        f"{call}: labels do not belong to their images. Keep each file and its label together "
        "(Dataset.from_tensor_slices((files, labels))) and shuffle the pairs, not files and labels apart.",
    )
    return order


def _check_val(function: Callable, folder: Path) -> None:
    import tensorflow as tf

    count, batch_size, gray, training = VAL_CASE
    files, palette = write_files(folder, count, gray)
    true_labels = np.asarray([4, 0, 2, 2, 1, 3, 0, 4, 1, 3], np.int32)
    call = f"build_pipeline({count} files, labels, batch_size={batch_size}, training={training})"
    dataset = _build(function, call, files, true_labels, batch_size, training)
    expect(
        isinstance(dataset, tf.data.Dataset),
        f"{call} returned {type(dataset).__name__}; return the tf.data.Dataset itself (not a list or an iterator).",
    )
    images, labels = _read(dataset, call)
    order = _check_pass(images, labels, files, true_labels, palette, batch_size, call)
    expect(
        np.array_equal(order, np.arange(count)),
        f"{call} returns the images in another order than the files: with training=False do not shuffle "
        "(validation predictions must line up with the labels).",
    )
    for path in files:  # a cached pipeline reads each file once
        Path(path).unlink()
    again = f"a second pass over {call}, with the files deleted after the first"
    try:
        second = np.concatenate(_read(dataset, again)[0])
    except ExerciseError:
        raise ExerciseError(
            f"{again} fails: your pipeline reads and decodes every file again in every epoch. "
            "Add .cache() after decoding and scaling, so later epochs come from memory."
        ) from None
    expect(np.array_equal(second, np.concatenate(images)), f"{again} gives other images than the first pass.")


def _check_train(function: Callable, folder: Path) -> None:
    count, batch_size, gray, training = TRAIN_CASE
    files, palette = write_files(folder, count, gray)
    true_labels = np.random.default_rng(22).integers(0, 5, count).astype(np.int32)
    call = f"build_pipeline({count} files, labels, batch_size={batch_size}, training={training})"
    dataset = _build(function, call, files, true_labels, batch_size, training)
    orders = [_check_pass(*_read(dataset, call), files, true_labels, palette, batch_size, call) for _ in range(2)]
    identity = np.arange(count)
    expect(
        not all(np.array_equal(order, identity) for order in orders),
        f"{call} yields the files in their own order: with training=True shuffle the (image, label) pairs.",
    )
    blocks = {tuple(range(start, start + batch_size)) for start in range(0, count, batch_size)}
    expect(
        not all({tuple(sorted(batch)) for batch in order.reshape(-1, batch_size)} == blocks for order in orders),
        f"{call} shuffles whole batches: each batch holds neighbouring files. Shuffle before batch().",
    )
    expect(
        not np.array_equal(*orders),
        f"{call} yields the same order in every epoch: shuffle after cache() (a shuffled order that is "
        "cached stays frozen), with reshuffle_each_iteration left True.",
    )


@checker
def check_tf_data_pipeline(function: Callable) -> None:
    """Check ``function(files, labels, batch_size, training) -> tf.data.Dataset``: files a list
    of str paths to 64x64 JPEGs (some grayscale), labels int (N,); the dataset yields (images
    float32 (B, 64, 64, 3) in [0, 1], labels int (B,)) batches; the decoded images are cached;
    training=True reshuffles every epoch, training=False keeps the files' order. Prints a
    success line, or raises ExerciseError saying what is wrong."""
    with tempfile.TemporaryDirectory(prefix="tinylib-check-") as folder:
        (Path(folder) / "val").mkdir()
        (Path(folder) / "train").mkdir()
        _check_val(function, Path(folder) / "val")
        _check_train(function, Path(folder) / "train")
    passed(EXERCISE)
