"""The packed cache: exact arrays, rebuilt when the source changes, fast loaders for Keras."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import numpy as np
import pytest

from tinylib.data import batches, is_fresh, load_images, load_packed, pack, read_layout
from tinylib.data.packed import read_manifest

pytestmark = pytest.mark.versions


@pytest.fixture
def dataset(tmp_path, synthetic_root):
    return shutil.copytree(synthetic_root, tmp_path / "tiny-synthetic", ignore=shutil.ignore_patterns("packed"))


def test_pack_holds_exactly_the_decoded_images(dataset):
    folder = pack(dataset, progress=False)
    info = read_layout(dataset)
    assert folder == dataset / "packed"
    manifest = read_manifest(folder)
    assert manifest["wnids"] == list(info.wnids) and manifest["counts"] == {"train": 48, "val": 20, "test": 12}
    for split in ("train", "val", "test"):
        images, labels = load_packed(dataset, split, build=False)
        assert isinstance(images, np.memmap) and images.dtype == np.uint8 and images.shape == (len(labels), 64, 64, 3)
        np.testing.assert_array_equal(images, load_images(info.files(split)))
        np.testing.assert_array_equal(labels, info.labels(split))
        listed = (folder / f"{split}_files.txt").read_text().split()
        assert listed == [p.relative_to(dataset).as_posix() for p in info.files(split)]
    assert sorted(p.name for p in dataset.iterdir() if p.name.startswith(".")) == []  # no temp folders left


def test_a_fresh_cache_is_reused_and_a_changed_source_rebuilds_it(dataset):
    folder = pack(dataset, progress=False)
    stamp = (folder / "manifest.json").stat().st_mtime_ns
    assert pack(dataset, progress=False) == folder and (folder / "manifest.json").stat().st_mtime_ns == stamp
    victim = read_layout(dataset).val_files[0]
    other = read_layout(dataset).val_files[1]
    shutil.copyfile(other, victim)  # the source changes
    os.utime(victim, ns=(victim.stat().st_atime_ns, victim.stat().st_mtime_ns + 10**9))
    assert not is_fresh(dataset)
    with pytest.raises(FileNotFoundError, match="tinylib data pack"):
        load_packed(dataset, "val", build=False)
    images, _ = load_packed(dataset, "val", progress=False)  # rebuilt automatically
    np.testing.assert_array_equal(images[0], images[1])
    assert is_fresh(dataset)


def test_array_batches_cover_every_image_once_per_pass_and_reshuffle(dataset):
    images, _ = load_packed(dataset, "train", progress=False)
    ids = np.arange(len(images), dtype=np.int32)  # labels = indices, to follow each image
    dataset_ = batches(images, ids, batch_size=10, shuffle=True, seed=3)
    first = np.concatenate([labels for _, labels in dataset_])
    second = np.concatenate([labels for _, labels in dataset_])
    assert sorted(first) == list(ids) and sorted(second) == list(ids)
    assert list(first) != list(second)
    again = np.concatenate([labels for _, labels in batches(images, ids, batch_size=10, shuffle=True, seed=3)])
    np.testing.assert_array_equal(first, again)
    batch, labels = next(iter(batches(images, ids, batch_size=48)))
    np.testing.assert_allclose(np.asarray(batch), images[np.asarray(labels)] / 255.0, atol=1e-6)


def test_array_batches_augment_deterministically(dataset):
    images, labels = load_packed(dataset, "train", progress=False)

    def run(seed):
        pipeline = batches(images, labels, batch_size=16, augment="flip_crop", shuffle=True, seed=seed)
        return np.concatenate([np.asarray(batch) for batch, _ in pipeline])

    first = run(5)
    np.testing.assert_array_equal(first, run(5))
    assert not np.array_equal(first, run(6))
    assert first.dtype == np.float32 and first.shape == (48, 64, 64, 3)


def test_py_dataset_trains_a_keras_model(dataset):
    import keras

    images, labels = load_packed(dataset, "train", progress=False)
    loader = batches(images, labels, batch_size=16, augment="flip_crop", shuffle=True, seed=0, loader="py_dataset")
    assert len(loader) == 3
    first, first_labels = loader[0]
    assert first.shape == (16, 64, 64, 3) and first.dtype == np.float32 and first_labels.dtype == np.int32
    order = loader.order.copy()
    loader.on_epoch_end()
    assert not np.array_equal(order, loader.order)
    model = keras.Sequential([keras.Input((64, 64, 3)), keras.layers.GlobalAveragePooling2D(), keras.layers.Dense(4)])
    model.compile("adam", keras.losses.SparseCategoricalCrossentropy(from_logits=True), jit_compile=True)
    history = model.fit(loader, epochs=2, verbose=0)
    assert len(history.history["loss"]) == 2 and np.isfinite(history.history["loss"]).all()


def test_the_real_20_class_zip_packs(real_root):
    root = real_root
    pack(root, progress=False)
    images, labels = load_packed(root, "val", build=False)
    assert images.shape == (1000, 64, 64, 3) and np.bincount(labels).tolist() == [50] * 20
    info = read_layout(root)
    np.testing.assert_array_equal(images[:50], load_images(info.val_files[:50]))
    assert load_packed(root, "test", build=False)[0].shape == (0, 64, 64, 3)


def test_cli_pack(dataset, capsys):
    from tinylib.cli import main

    assert main(["data", "pack", str(dataset), "--quiet"]) == 0
    assert capsys.readouterr().out.strip() == f"packed: {dataset / 'packed'} (train 48, val 20, test 12 images)"


def test_a_read_only_dataset_gets_a_clear_message(dataset, tmp_path, capsys, monkeypatch):
    from tinylib.cli import main

    real_mkdtemp = tempfile.mkdtemp

    def read_only(*args, dir=None, **kwargs):
        if Path(dir) == dataset:
            raise PermissionError(13, "Permission denied", str(dir))
        return real_mkdtemp(*args, dir=dir, **kwargs)

    monkeypatch.setattr(tempfile, "mkdtemp", read_only)
    assert main(["data", "pack", str(dataset), "--quiet"]) == 2
    error = capsys.readouterr().err.strip()
    assert error.startswith(f"tinylib: error: cannot write the packed cache in {dataset}") and "--folder" in error
    folder = pack(dataset, tmp_path / "elsewhere", progress=False)  # a writable folder of the user's choice
    assert load_packed(dataset, "val", folder=folder, build=False)[0].shape == (20, 64, 64, 3)


def test_two_processes_packing_at_once_keep_the_first_cache(dataset, monkeypatch):
    """The worker that finishes second keeps the fresh cache the first one wrote (which the
    first may already be reading) instead of replacing it."""
    from tinylib.data import packed as packed_module

    original = packed_module._write_split

    def other_process_finishes_first(build, info, split, *rest):
        monkeypatch.setattr(packed_module, "_write_split", original)
        first = pack(dataset, progress=False)  # the other worker
        other_process_finishes_first.inode = first.stat().st_ino
        original(build, info, split, *rest)

    monkeypatch.setattr(packed_module, "_write_split", other_process_finishes_first)
    folder = pack(dataset, progress=False)
    assert folder.stat().st_ino == other_process_finishes_first.inode
    assert is_fresh(dataset) and not [p for p in folder.parent.iterdir() if ".partial-" in p.name]


def test_only_the_packed_module_names_the_cache_files():
    """data/packed.py owns the cache's file names (split_file, MANIFEST); nothing else in the
    package spells them out."""
    package = Path(__file__).resolve().parents[1] / "tinylib"
    spelled = [
        path.relative_to(package).as_posix()
        for path in package.rglob("*.py")
        if path.name != "packed.py"
        and any(name in path.read_text() for name in ("_images.npy", "_labels.npy", "_files.txt"))
    ]
    assert spelled == []
