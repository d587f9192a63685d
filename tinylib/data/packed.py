"""The packed cache: every split decoded once into uint8 .npy arrays next to the data.

    <root>/packed/manifest.json       class order, counts, fingerprint of the source files
    <root>/packed/train_images.npy    uint8 (N, 64, 64, 3), memory-mappable
    <root>/packed/train_labels.npy    int32 (N,)   (-1 for test)
    <root>/packed/train_files.txt     image paths relative to root, in array order
    ... the same for val and test

Decoding JPEGs is what limits a 2-core machine (Colab); reading a packed array is ~100x
cheaper, so training recipes read batches from here and augment them with Keras layers
beside the model (`tinylib.data.augment`). The cache is rebuilt automatically when the
source files change (names, sizes or modification times), built in a temporary folder and
renamed into place like everything else in `tinylib.data`.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import shutil
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np

from tinylib import __version__
from tinylib.data.layout import DatasetInfo, read_layout
from tinylib.data.pipeline import IMAGE_SIZE, decode_image

PACK_FOLDER = "packed"
MANIFEST = "manifest.json"
FORMAT = 1
SPLITS = ("train", "val", "test")
CHUNK = 256  # images per decode task


def fingerprint(info: DatasetInfo) -> str:
    """SHA-256 over the class list and the name, size and modification time of every text
    and image file of the dataset: changes whenever the source does."""
    digest = hashlib.sha256("\n".join(info.wnids).encode())
    root = info.root
    texts = [root / "wnids.txt", root / "words.txt", root / "val" / "val_annotations.txt"]
    texts += [root / "train" / wnid / f"{wnid}_boxes.txt" for wnid in info.wnids]
    for path in (*texts, *info.train_files, *info.val_files, *info.test_files):
        try:
            status = path.stat()
        except FileNotFoundError:
            continue
        digest.update(f"{path.relative_to(root).as_posix()}\t{status.st_size}\t{status.st_mtime_ns}\n".encode())
    return digest.hexdigest()


def pack_folder(root: str | os.PathLike) -> Path:
    return Path(root).expanduser() / PACK_FOLDER


def read_manifest(folder: str | os.PathLike) -> dict | None:
    """The manifest of a packed folder, or None when there is none."""
    path = Path(folder) / MANIFEST
    return json.loads(path.read_text()) if path.is_file() else None


def is_fresh(root: str | os.PathLike, folder: str | os.PathLike | None = None, info: DatasetInfo | None = None) -> bool:
    """True when the packed cache exists and matches the current source files."""
    manifest = read_manifest(folder or pack_folder(root))
    if not manifest or manifest.get("format") != FORMAT:
        return False
    return manifest["fingerprint"] == fingerprint(info or read_layout(root))


def _decode_into(out: np.ndarray, start: int, paths) -> int:
    for offset, path in enumerate(paths):
        out[start + offset] = decode_image(path)
    return len(paths)


def _write_split(folder: Path, info: DatasetInfo, split: str, workers: int, bar) -> None:
    files, labels = info.files(split), info.labels(split)
    shape = (len(files), IMAGE_SIZE, IMAGE_SIZE, 3)
    if files:
        images = np.lib.format.open_memmap(folder / f"{split}_images.npy", mode="w+", dtype=np.uint8, shape=shape)
        with ThreadPoolExecutor(workers) as pool:  # PIL releases the GIL while it decodes
            jobs = [pool.submit(_decode_into, images, i, files[i : i + CHUNK]) for i in range(0, len(files), CHUNK)]
            for job in jobs:
                bar.update(job.result())
        images.flush()
        del images
    else:
        np.save(folder / f"{split}_images.npy", np.zeros(shape, np.uint8))
    np.save(folder / f"{split}_labels.npy", np.asarray(labels, np.int32))
    (folder / f"{split}_files.txt").write_text("".join(f"{p.relative_to(info.root).as_posix()}\n" for p in files))


def pack(
    root: str | os.PathLike,
    folder: str | os.PathLike | None = None,
    workers: int | None = None,
    force: bool = False,
    progress: bool = True,
) -> Path:
    """Decode every split of the dataset under `root` into `folder` (default root/packed)
    and return the folder. Skipped when the cache is fresh (unless force); a stale cache is
    replaced. Decodes in `workers` threads (default: one per core) with a progress bar."""
    from tqdm.auto import tqdm

    info = read_layout(root)
    folder = Path(folder).expanduser() if folder is not None else pack_folder(info.root)
    stamp = fingerprint(info)
    if not force and is_fresh(info.root, folder, info):
        return folder
    try:
        folder.parent.mkdir(parents=True, exist_ok=True)
        build = Path(tempfile.mkdtemp(prefix=f".{folder.name}.partial-", dir=folder.parent))
    except PermissionError:
        raise PermissionError(
            f"cannot write the packed cache in {folder.parent} (read-only?) — pass another folder: "
            f"`tinylib data pack {info.root} --folder ~/tinylib-data/{info.root.name}-packed`"
        ) from None
    try:
        total = sum(len(info.files(split)) for split in SPLITS)
        with tqdm(total=total, desc=f"pack {info.root.name}", unit="img", disable=not progress) as bar:
            for split in SPLITS:
                _write_split(build, info, split, workers or os.cpu_count() or 1, bar)
        manifest = {
            "format": FORMAT,
            "fingerprint": stamp,
            "source": str(info.root),
            "wnids": list(info.wnids),
            "names": list(info.names),
            "counts": {split: len(info.files(split)) for split in SPLITS},
            "image_shape": [IMAGE_SIZE, IMAGE_SIZE, 3],
            "tinylib": __version__,
        }
        (build / MANIFEST).write_text(json.dumps(manifest, indent=1) + "\n")
        if not force and is_fresh(info.root, folder, info):  # another process (a second worker) packed it meanwhile
            return folder
        if folder.exists():  # a stale cache of ours: move it aside, then drop it
            stale = Path(tempfile.mkdtemp(prefix=f".{folder.name}.stale-", dir=folder.parent))
            os.replace(folder, stale / folder.name)
            shutil.rmtree(stale, ignore_errors=True)
        os.replace(build, folder)
    finally:
        if build.exists():
            shutil.rmtree(build, ignore_errors=True)
    return folder


def load_packed(
    root: str | os.PathLike,
    split: str,
    folder: str | os.PathLike | None = None,
    mmap: bool = True,
    build: bool = True,
    progress: bool = True,
) -> tuple[np.ndarray, np.ndarray]:
    """(uint8 (N, 64, 64, 3) images, int32 (N,) labels; -1 for test) of one split from the
    packed cache, (re)built first when missing or stale (build=False raises instead).
    mmap=True maps the file (pages load on first touch); False reads it into memory."""
    if split not in SPLITS:
        raise ValueError(f"split must be one of {SPLITS}, got {split!r}")
    folder = Path(folder).expanduser() if folder is not None else pack_folder(root)
    if not is_fresh(root, folder):
        if not build:
            raise FileNotFoundError(f"no up-to-date packed cache in {folder} — run `tinylib data pack {root}`")
        pack(root, folder, progress=progress)
    images = np.load(folder / f"{split}_images.npy", mmap_mode="r" if mmap else None)
    return images, np.load(folder / f"{split}_labels.npy")


def packed_dataset(
    images: np.ndarray,
    labels: np.ndarray | None = None,
    batch_size: int = 128,
    augment: str = "none",
    num_classes: int | None = None,
    shuffle: bool = False,
    seed: int = 0,
    repeat: bool = False,
    one_hot: bool = False,
    scale: bool = True,
):
    """tf.data batches from in-memory or memory-mapped uint8 images (N, 64, 64, 3): the
    fast path. Yields float32 (B, 64, 64, 3) in [0, 1] [and labels, as `make_dataset`].
    Index batches are shuffled by tf.data (seeded, reshuffled every pass), gathered from the
    array in numpy, then augmented (`augment_batches`: crop/flip compiled with XLA).
    scale=False: the uint8 batches as they are, for augmentation on the device
    (`fit(augment_on="device")`); augment must then be "none"."""
    import tensorflow as tf

    from tinylib.data.pipeline import augment_batches

    count = len(images)
    if count == 0:
        raise ValueError("packed_dataset needs at least one image")
    if labels is not None and len(labels) != count:
        raise ValueError(f"{count} images but {len(labels)} labels")
    has_labels = labels is not None and not np.all(np.asarray(labels) < 0)  # test labels are all -1
    labels = np.asarray(labels if labels is not None else np.full(count, -1), np.int32)
    indices = tf.data.Dataset.range(count)
    if shuffle:
        indices = indices.shuffle(count, seed=seed, reshuffle_each_iteration=True)
    if repeat:
        indices = indices.repeat()

    def gather(batch_indices: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        order = np.sort(batch_indices)  # sequential reads from a memory map
        return np.ascontiguousarray(images[order]), labels[order]

    def load(batch_indices):
        batch, batch_labels = tf.numpy_function(gather, [batch_indices], [tf.uint8, tf.int32], stateful=False)
        batch = tf.ensure_shape(batch, (None, IMAGE_SIZE, IMAGE_SIZE, 3))
        return (batch, tf.ensure_shape(batch_labels, (None,))) if has_labels else batch

    dataset = indices.batch(batch_size).map(load, num_parallel_calls=tf.data.AUTOTUNE, deterministic=True)
    if not scale:
        if augment != "none":
            raise ValueError("scale=False yields raw uint8 batches: augment must be 'none'")
        if has_labels and one_hot:
            dataset = dataset.map(lambda batch, batch_labels: (batch, tf.one_hot(batch_labels, num_classes)))
        return dataset.prefetch(tf.data.AUTOTUNE)
    return augment_batches(dataset, augment, num_classes, seed, one_hot).prefetch(tf.data.AUTOTUNE)


@functools.cache
def _py_dataset_class():
    import keras

    from tinylib.data.augment import Augmenter

    class PackedBatches(keras.utils.PyDataset):
        """Batches for `model.fit` on any Keras backend (TensorFlow, JAX, PyTorch) from
        uint8 images (N, 64, 64, 3) and int labels (N,). Each batch is gathered in numpy
        and augmented by an `Augmenter` (eager, compiled transform) on the backend's
        default device. Reshuffled every epoch; deterministic under `seed` with workers=1.
        scale=False: uint8 batches as they are (augment "none"), for on-device augmentation.
        """

        def __init__(
            self,
            images: np.ndarray,
            labels: np.ndarray,
            batch_size: int = 128,
            augment: str = "none",
            num_classes: int | None = None,
            shuffle: bool = False,
            seed: int = 0,
            one_hot: bool = False,
            scale: bool = True,
            **kwargs,
        ):
            super().__init__(**kwargs)
            if not scale and augment != "none":
                raise ValueError("scale=False yields raw uint8 batches: augment must be 'none'")
            self.scale = scale
            self.images, self.labels = images, np.asarray(labels, np.int32)
            self.batch_size, self.shuffle, self.seed, self.epoch = batch_size, shuffle, seed, 0
            self.one_hot, self.num_classes = one_hot, num_classes
            self.augmenter = Augmenter(augment, num_classes, seed)
            self.order = self._order()

        def _order(self) -> np.ndarray:
            if not self.shuffle:
                return np.arange(len(self.images))
            return np.random.default_rng([self.seed, self.epoch]).permutation(len(self.images))

        def __len__(self) -> int:
            return -(-len(self.images) // self.batch_size)

        def __getitem__(self, index: int):
            chosen = np.sort(self.order[index * self.batch_size : (index + 1) * self.batch_size])
            if not self.scale:
                images, labels = np.ascontiguousarray(self.images[chosen]), self.labels[chosen]
                return images, np.eye(self.num_classes, dtype=np.float32)[labels] if self.one_hot else labels
            images, labels = self.augmenter(np.ascontiguousarray(self.images[chosen]), self.labels[chosen])
            labels = keras.ops.convert_to_numpy(labels)
            if self.one_hot and not self.augmenter.mixes_labels:
                labels = np.eye(self.num_classes, dtype=np.float32)[labels]
            return keras.ops.convert_to_numpy(images), labels

        def on_epoch_end(self) -> None:
            self.epoch += 1
            self.order = self._order()

    return PackedBatches


def __getattr__(name: str):
    """`PackedBatches` is made on first use, so importing this module does not import Keras."""
    if name == "PackedBatches":
        return _py_dataset_class()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
