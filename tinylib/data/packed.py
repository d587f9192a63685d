"""The packed cache: every split decoded once into uint8 .npy arrays next to the data.

    <root>/packed/manifest.json       class order, counts, fingerprint of the source files
                                      (a class-per-folder tree: `pack_folder`, outside it)
    <root>/packed/train_images.npy    uint8 (N, 64, 64, 3), memory-mappable
    <root>/packed/train_labels.npy    int32 (N,)   (-1 for test)
    <root>/packed/train_files.txt     image paths relative to root, in array order
    ... the same for val and test

Decoding JPEGs is what limits a 2-core machine (Colab); reading a packed array is ~100x
cheaper, so training recipes read batches from here and augment them with Keras layers
beside the model (`tinylib.data.augment`). The cache is rebuilt automatically when the
source files change (names, sizes or modification times), built in a temporary folder and
renamed into place like everything else in `tinylib.data`; a build folder that a killed run
left is removed by the next run. Unreadable images are all named in one error, and a full
disk is refused before writing (or reported in one line if it fills up meanwhile).
Batches of the arrays: `tinylib.data.batches`.
"""

from __future__ import annotations

import errno
import hashlib
import json
import os
import shutil
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np

from tinylib import __version__, config, files
from tinylib.data.folders import cache_folder
from tinylib.data.images import IMAGE_SIZE, ImageDecodeError, decode
from tinylib.data.layout import DatasetInfo
from tinylib.data.reader import read_layout
from tinylib.data.verify import DatasetError

PACK_FOLDER = "packed"
MANIFEST = "manifest.json"
FORMAT = 1
SPLITS = ("train", "val", "test")
CHUNK = 256  # images per decode task
DISK_FULL = (errno.ENOSPC, errno.EDQUOT)


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


def writable(folder: Path) -> bool:
    """True when this process may create files in `folder` (False on a read-only mount, e.g.
    Kaggle's /kaggle/input, even for root)."""
    return os.access(folder, os.W_OK)


def pack_folder(root: str | os.PathLike) -> Path:
    """Where the packed cache of the dataset at `root` lives, with nothing to pass: ROOT/packed
    for the official layout when it exists there or ROOT is writable; otherwise (a read-only
    dataset: Kaggle's /kaggle/input, a shared drive; or a class-per-folder tree, whose cache must
    never sit among its class folders) `folders.cache_folder(ROOT)`/packed under
    $TINYLIB_DATA/cache. Its manifest keeps the dataset's fingerprint, so a changed dataset is
    packed again."""
    root = Path(root).expanduser()
    beside = root / PACK_FOLDER
    official = (root / "wnids.txt").is_file() or not root.is_dir()
    if official and (not root.is_dir() or (beside / MANIFEST).is_file() or writable(root)):
        return beside
    return cache_folder(root) / PACK_FOLDER


def split_file(folder: str | os.PathLike, split: str, kind: str) -> Path:
    """The file of one split in a packed folder: kind "images" (uint8 .npy), "labels" (int32
    .npy) or "files" (.txt, paths relative to the dataset root). The only place that names them."""
    return Path(folder) / f"{split}_{kind}.{'txt' if kind == 'files' else 'npy'}"


def read_split(folder: str | os.PathLike, split: str, mmap: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """(uint8 (N, 64, 64, 3) images, int32 (N,) labels; -1 for test) of one split of the packed
    folder `folder`, as it is (no freshness check: see `load_packed`). mmap=True maps the
    images (pages load on first touch); False reads them into memory. FileNotFoundError when
    the folder holds no such split."""
    images = np.load(split_file(folder, split, "images"), mmap_mode="r" if mmap else None)
    return images, np.load(split_file(folder, split, "labels"))


def read_manifest(folder: str | os.PathLike) -> dict | None:
    """The manifest of a packed folder, or None when there is none."""
    path = Path(folder) / MANIFEST
    return json.loads(files.read_text(path)) if path.is_file() else None


def is_fresh(root: str | os.PathLike, folder: str | os.PathLike | None = None, info: DatasetInfo | None = None) -> bool:
    """True when the packed cache exists and matches the current source files."""
    manifest = read_manifest(folder or pack_folder(root))
    if not manifest or manifest.get("format") != FORMAT:
        return False
    return manifest["fingerprint"] == fingerprint(info or read_layout(root))


def _decode_into(out: np.ndarray, start: int, paths, failures: list) -> int:
    for offset, path in enumerate(paths):
        try:
            out[start + offset] = decode(path)
        except ImageDecodeError as error:
            failures.append((path, error.reason))
        except OSError as error:  # unreadable: permissions, I/O error
            if error.errno in DISK_FULL:  # a full disk, not a bad image
                raise
            failures.append((path, f"cannot be read ({error.strerror or error})"))
    return len(paths)


def _write_split(folder: Path, info: DatasetInfo, split: str, workers: int, bar, failures: list) -> None:
    image_paths, labels = info.files(split), info.labels(split)
    shape = (len(image_paths), IMAGE_SIZE, IMAGE_SIZE, 3)
    if image_paths:
        path = split_file(folder, split, "images")
        images = np.lib.format.open_memmap(path, mode="w+", dtype=np.uint8, shape=shape)
        _reserve(path)
        with ThreadPoolExecutor(workers) as pool:  # PIL releases the GIL while it decodes
            chunks = range(0, len(image_paths), CHUNK)
            jobs = [pool.submit(_decode_into, images, i, image_paths[i : i + CHUNK], failures) for i in chunks]
            for job in jobs:
                bar.update(job.result())
        images.flush()
        del images
    else:
        np.save(split_file(folder, split, "images"), np.zeros(shape, np.uint8))
    np.save(split_file(folder, split, "labels"), np.asarray(labels, np.int32))
    listed = "".join(f"{path.relative_to(info.root).as_posix()}\n" for path in image_paths)
    split_file(folder, split, "files").write_text(listed)


def _reserve(path: Path) -> None:
    """Allocate the disk blocks of a memory-mapped file now: a full disk then raises ENOSPC
    here instead of killing the process (SIGBUS) when a mapped page is written later."""
    if not hasattr(os, "posix_fallocate"):
        return
    with open(path, "r+b") as handle:
        try:
            os.posix_fallocate(handle.fileno(), 0, path.stat().st_size)
        except OSError as error:
            if error.errno in DISK_FULL:
                raise  # other errors (EOPNOTSUPP on some network filesystems): write without reserving


def _unreadable_error(info: DatasetInfo, failures: list) -> DatasetError:
    failures = sorted(failures, key=lambda failure: str(failure[0]))
    listed = "; ".join(f"{path.relative_to(info.root).as_posix()} {reason}" for path, reason in failures[:10])
    more = f" (and {len(failures) - 10} more)" if len(failures) > 10 else ""
    return DatasetError(
        f"{len(failures)} image(s) under {info.root} cannot be decoded, so no packed cache was written: {listed}{more} "
        f"— run `tinylib data verify {info.root}` to see every problem, then delete or replace those files "
        "(or re-extract the dataset with `tinylib data prepare`)"
    )


def pack(
    root: str | os.PathLike,
    folder: str | os.PathLike | None = None,
    workers: int | None = None,
    force: bool = False,
    progress: bool = True,
) -> Path:
    """Decode every split of the dataset under `root` into `folder` (default `pack_folder(root)`)
    and return the folder. Skipped when the cache is fresh (unless force); a stale cache is
    replaced. Decodes in `workers` threads (default: one per core) with a progress bar.

    Raises DatasetError naming every image that cannot be decoded (after trying them all),
    NotEnoughSpaceError when the disk has too little room (checked first, and if it fills
    up while writing), PermissionError when the folder is read-only. Never leaves a partial
    cache; build folders left by a killed run are removed."""
    info = read_layout(root)
    folder = Path(folder).expanduser() if folder is not None else pack_folder(info.root)
    files.remove_leftovers(folder.parent, folder.name)
    stamp = fingerprint(info)
    if not force and is_fresh(info.root, folder, info):
        return folder
    total = sum(len(info.files(split)) for split in SPLITS)
    fix = f"free some space, or pass another folder: `tinylib data pack {info.root} --folder OTHER`"
    try:
        folder.parent.mkdir(parents=True, exist_ok=True)
        files.check_free_space(folder.parent, total * IMAGE_SIZE * IMAGE_SIZE * 3, "the packed cache", fix)
        build = files.partial_folder(folder.parent, folder.name)
    except OSError as error:
        if not isinstance(error, PermissionError) and error.errno != errno.EROFS:
            raise
        raise PermissionError(
            f"cannot write the packed cache in {folder.parent} (read-only?) — let the kit choose "
            f"(leave out --folder: a read-only dataset is packed under {config.extract_dir() / 'cache'}), "
            f"or pass a writable one: `tinylib data pack {info.root} --folder ~/tinylib-data/{info.root.name}-packed`"
        ) from None
    try:
        with files.disk_full_as_one_line(folder.parent, "the packed cache", fix):
            _build(build, info, stamp, workers, progress)
        if not force and is_fresh(info.root, folder, info):  # another process (a second worker) packed it meanwhile
            return folder
        if folder.exists():  # a stale cache of ours: move it aside, then drop it
            stale = files.partial_folder(folder.parent, folder.name, kind="stale")
            os.replace(folder, stale / folder.name)
            shutil.rmtree(stale, ignore_errors=True)
        os.replace(build, folder)
    finally:
        if build.exists():
            shutil.rmtree(build, ignore_errors=True)
    return folder


def _build(build: Path, info: DatasetInfo, stamp: str, workers: int | None, progress: bool) -> None:
    """Decode every split into `build` and write the manifest last; DatasetError if any image fails."""
    from tqdm.auto import tqdm

    failures: list = []
    total = sum(len(info.files(split)) for split in SPLITS)
    with tqdm(total=total, desc=f"pack {info.root.name}", unit="img", disable=not progress) as bar:
        for split in SPLITS:
            _write_split(build, info, split, workers or os.cpu_count() or 1, bar, failures)
    if failures:
        raise _unreadable_error(info, failures)
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
    files.remove_leftovers(folder.parent, folder.name)
    if not is_fresh(root, folder):
        if not build:
            raise FileNotFoundError(f"no up-to-date packed cache in {folder} — run `tinylib data pack {root}`")
        pack(root, folder, progress=progress)
    return read_split(folder, split, mmap)
