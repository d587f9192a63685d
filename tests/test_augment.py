"""Augmentation presets, and augmented tf.data batches of the official layout's files."""

from __future__ import annotations

import numpy as np
import pytest

from tinylib.data import batches, load_images, read_layout
from tinylib.data.augment import Augmenter, FlipCrop, check_preset, mixes_labels

pytestmark = pytest.mark.versions

RNG = np.random.default_rng(0)
BATCH = RNG.integers(0, 256, (6, 64, 64, 3), dtype=np.uint8)


def _reference_flip_crop(image, dy, dx, flip, padding=4):
    """Zero-pad, crop the window shifted by (dy, dx), then mirror: the textbook recipe."""
    padded = np.pad(image, ((padding, padding), (padding, padding), (0, 0)))
    crop = padded[padding + dy : padding + dy + 64, padding + dx : padding + dx + 64]
    return crop[:, ::-1] if flip else crop


def test_flip_crop_matches_pad_crop_flip_exactly():
    layer = FlipCrop(padding=4, seed=1)
    shifts = np.array([[0, 0], [0, 0], [2, -3], [-4, 4], [4, -4], [1, 1]], np.int32)
    flips = np.array([[False], [True], [False], [True], [False], [True]])
    out = np.asarray(layer.transform(BATCH, shifts, flips))
    assert out.dtype == np.uint8 and out.shape == BATCH.shape
    for i in range(len(BATCH)):
        np.testing.assert_array_equal(out[i], _reference_flip_crop(BATCH[i], *shifts[i], flips[i, 0]))


def test_drawn_parameters_stay_in_range_and_repeat_under_a_seed():
    shifts, flips = (np.asarray(a) for a in FlipCrop(seed=3).draw(512))
    assert shifts.min() == -4 and shifts.max() == 4 and 0.4 < flips.mean() < 0.6
    again = np.asarray(FlipCrop(seed=3).draw(512)[0])
    other = np.asarray(FlipCrop(seed=4).draw(512)[0])
    np.testing.assert_array_equal(shifts, again)
    assert (shifts != other).any()


def test_augmenter_presets_outputs():
    labels = np.arange(6, dtype=np.int32) % 3
    images, same = Augmenter("none")(BATCH, labels)
    np.testing.assert_allclose(np.asarray(images), BATCH / 255.0, atol=1e-6)
    np.testing.assert_array_equal(np.asarray(same), labels)

    images, same = Augmenter("flip_crop", seed=5)(BATCH, labels)
    assert np.asarray(images).dtype == np.float32 and 0 <= np.min(images) and np.max(images) <= 1
    np.testing.assert_array_equal(np.asarray(same), labels)

    images, mixed = Augmenter("strong", num_classes=3, seed=5)(BATCH, labels)
    mixed = np.asarray(mixed)
    assert mixed.shape == (6, 3) and mixed.dtype == np.float32
    np.testing.assert_allclose(mixed.sum(axis=1), 1.0, atol=1e-5)
    assert np.asarray(images).shape == (6, 64, 64, 3)


def test_compiled_transform_equals_the_eager_one():
    augmenter = Augmenter("flip_crop", seed=2)
    parameters = augmenter.draw(BATCH)
    eager, _ = augmenter.transform(BATCH, None, parameters)
    compiled, _ = augmenter.compiled_transform(BATCH, None, parameters)
    np.testing.assert_allclose(np.asarray(eager), np.asarray(compiled), atol=1e-6)  # XLA may use x * (1/255)


def test_preset_names_are_checked():
    assert [mixes_labels(p) for p in ("none", "flip_crop", "strong")] == [False, False, True]
    with pytest.raises(ValueError, match="augment must be one of none, flip_crop, strong; got 'flip'"):
        check_preset("flip")
    with pytest.raises(ValueError, match="pass num_classes"):
        Augmenter("strong")


def _epoch(dataset):
    """One pass as numpy: a list of (images, labels) tuples, or of (images,) for test."""
    return [
        tuple(np.asarray(p) for p in batch) if isinstance(batch, tuple) else (np.asarray(batch),) for batch in dataset
    ]


@pytest.mark.parametrize("preset", ["flip_crop", "strong"])
def test_pipelines_are_deterministic_under_a_seed(synthetic_root, preset):
    info = read_layout(synthetic_root)

    def train(seed):
        return _epoch(
            batches(
                info.train_files,
                info.train_labels,
                batch_size=16,
                num_classes=info.num_classes,
                augment=preset,
                shuffle=True,
                seed=seed,
            )
        )

    first, again, other = train(1), train(1), train(2)
    assert all((a[0] == b[0]).all() and (a[1] == b[1]).all() for a, b in zip(first, again))
    assert not all((a[0] == b[0]).all() for a, b in zip(first, other))
    assert sum(len(batch[1]) for batch in first) == len(info.train_files)


def test_unaugmented_val_batches_keep_annotation_order_and_test_batches_have_no_labels(synthetic_root):
    info = read_layout(synthetic_root)
    val = _epoch(batches(info.val_files, info.val_labels, batch_size=8))
    np.testing.assert_array_equal(np.concatenate([labels for _, labels in val]), info.val_labels)
    images = np.concatenate([images for images, _ in val])
    assert np.abs(images - load_images(info.val_files) / 255.0).mean() < 2 / 255
    test = _epoch(batches(info.test_files, batch_size=8))
    assert sum(len(batch[0]) for batch in test) == len(info.test_files) and len(test[0]) == 1


def test_strong_mixes_one_hot_train_labels_and_one_hot_val_labels_stay_exact(synthetic_root):
    info = read_layout(synthetic_root)
    common = {"batch_size": 8, "num_classes": info.num_classes}
    train = batches(info.train_files, info.train_labels, augment="strong", shuffle=True, **common)
    train_labels = np.concatenate([labels for _, labels in _epoch(train)])
    val = batches(info.val_files, info.val_labels, one_hot=True, **common)
    val_labels = np.concatenate([labels for _, labels in _epoch(val)])
    assert train_labels.shape == (48, 4) and val_labels.shape == (20, 4)
    np.testing.assert_allclose(train_labels.sum(axis=1), 1.0, atol=1e-5)
    assert (train_labels.max(axis=1) < 0.9).sum() >= 4  # images were mixed with others, so were labels
    np.testing.assert_array_equal(val_labels.argmax(axis=1), read_layout(synthetic_root).val_labels)
    np.testing.assert_allclose(val_labels.max(axis=1), 1.0)


def test_cache_gives_the_same_batches(synthetic_root):
    info = read_layout(synthetic_root)
    plain = _epoch(batches(info.train_files, info.train_labels, batch_size=10, augment="flip_crop", seed=3))
    dataset = batches(info.train_files, info.train_labels, batch_size=10, augment="flip_crop", seed=3, cache=True)
    cached = _epoch(dataset)
    assert all((a[0] == b[0]).all() and (a[1] == b[1]).all() for a, b in zip(plain, cached))
    assert len(_epoch(dataset)) == len(cached)  # a second pass reads from the cache
