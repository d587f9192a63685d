"""The one door for batches, `tinylib.data.batches`: one signature for files and arrays, every loader
giving the same batches, bad arguments refused in one line."""

from __future__ import annotations

import numpy as np
import pytest

import tinylib.data
from tinylib.data import batches, read_layout

RNG = np.random.default_rng(0)
IMAGES = RNG.integers(0, 256, (10, 64, 64, 3), dtype=np.uint8)
LABELS = np.arange(10, dtype=np.int32) % 3


def _as_numpy(loader) -> list[tuple[np.ndarray, ...]]:
    """One pass over a tf.data dataset or a PyDataset, as numpy tuples."""
    found = (loader[index] for index in range(len(loader))) if hasattr(loader, "__getitem__") else loader
    return [tuple(np.asarray(part) for part in batch) for batch in found]


def test_only_one_batch_door_is_exported():
    for old in ("make_dataset", "make_pipelines", "packed_dataset", "PackedBatches", "augment_batches"):
        assert old not in tinylib.data.__all__ and not hasattr(tinylib.data, old), old
    assert "batches" in tinylib.data.__all__


def test_everything_after_the_labels_is_keyword_only():
    with pytest.raises(TypeError):
        batches(IMAGES, LABELS, 4)  # once batch size, num_classes and augment went by position, in two orders


@pytest.mark.parametrize("scale", [True, False])
def test_tf_data_and_py_dataset_give_the_same_batches(scale):
    common = {"batch_size": 4, "num_classes": 3, "one_hot": True, "scale": scale}
    from_tf_data = _as_numpy(batches(IMAGES, LABELS, loader="tf.data", **common))
    from_py_dataset = _as_numpy(batches(IMAGES, LABELS, loader="py_dataset", **common))
    assert [len(images) for images, _ in from_tf_data] == [4, 4, 2] == [len(images) for images, _ in from_py_dataset]
    for (tf_images, tf_labels), (py_images, py_labels) in zip(from_tf_data, from_py_dataset):
        assert tf_images.dtype == py_images.dtype == (np.float32 if scale else np.uint8)
        np.testing.assert_allclose(tf_images, py_images, atol=1e-6)
        np.testing.assert_array_equal(tf_labels, py_labels)
    images = np.concatenate([images for images, _ in from_tf_data])
    np.testing.assert_allclose(images, IMAGES / 255.0 if scale else IMAGES, atol=1e-6)
    labels = np.concatenate([labels for _, labels in from_tf_data])
    np.testing.assert_array_equal(labels, np.eye(3, dtype=np.float32)[LABELS])


def test_repeat_keeps_only_whole_batches_on_the_py_dataset_and_loops_on_tf_data():
    common = {"batch_size": 4, "shuffle": True, "repeat": True}
    assert len(batches(IMAGES, LABELS, loader="py_dataset", **common)) == 10 // 4
    endless = batches(IMAGES, LABELS, loader="tf.data", **common)
    assert sum(len(labels) for _, labels in _as_numpy(endless.take(5))) == 20 > len(IMAGES)


def test_files_and_their_packed_arrays_give_the_same_batches(synthetic_root):
    info = read_layout(synthetic_root)
    arrays = tinylib.data.load_images(info.val_files)
    from_files = _as_numpy(batches(info.val_files, info.val_labels, batch_size=8))
    from_arrays = _as_numpy(batches(arrays, info.val_labels, batch_size=8))
    for (file_images, file_labels), (array_images, array_labels) in zip(from_files, from_arrays, strict=True):
        assert np.abs(file_images - array_images).mean() < 2 / 255  # TensorFlow's and PIL's JPEG decoders
        np.testing.assert_array_equal(file_labels, array_labels)


@pytest.mark.parametrize(
    "arguments, message",
    [
        ({"augment": "flipcrop"}, "augment must be one of none, flip_crop, strong; got 'flipcrop'"),
        ({"augment": "flip_crop", "scale": False}, "augment must be 'none'"),
        ({"one_hot": True}, "need num_classes"),
        ({"augment": "strong"}, "need num_classes"),
        ({"loader": "numpy"}, "loader must be one of auto, tf.data, py_dataset"),
        ({"cache": True}, "arrays are decoded already"),
        ({"batch_size": 0}, "batch_size must be a whole number >= 1"),
    ],
)
def test_bad_arguments_are_refused_saying_what_to_change(arguments, message):
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(")", r"\)")):
        batches(IMAGES, LABELS, **{"batch_size": 4, **arguments})


def test_bad_data_is_refused_saying_what_to_pass():
    with pytest.raises(ValueError, match=r"images must be uint8 \(N, 64, 64, 3\), got float32 \(10, 64, 64, 3\)"):
        batches(IMAGES.astype(np.float32), LABELS, batch_size=4)
    with pytest.raises(ValueError, match="10 images but 3 labels"):
        batches(IMAGES, LABELS[:3], batch_size=4)
    with pytest.raises(ValueError, match="at least one image"):
        batches(IMAGES[:0], batch_size=4)
    with pytest.raises(ValueError, match="py_dataset loader reads arrays"):
        batches(["a.jpg"], [0], batch_size=4, loader="py_dataset")
    with pytest.raises(ValueError, match="py_dataset loader needs labels"):
        batches(IMAGES, batch_size=4, loader="py_dataset")
