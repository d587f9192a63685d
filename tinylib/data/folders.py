"""Read your own images: a class-per-folder tree (Keras' `image_dataset_from_directory`, torchvision's `ImageFolder`).

Two arrangements are understood (`read_layout` comes here when a folder has no wnids.txt):

    root/<class>/**/*.jpg                       every image; val is a seeded stratified split
    root/<class>/...  + root/val/<class>/...     val given (or validation/, valid/)
    root/train/<class>/... + root/val/<class>/... val given (or validation/, valid/)
    root/test/**/*.jpg                          optional, unlabeled

Class names and class ids are the folder names, sorted. Without a val folder, about
`VAL_SHARE` (20 %) of each class goes to val, decided per file by a hash of `seed` and its
path inside the class folder (as TFDS does), so the split of a file never moves when photos
are added or removed (at least 1 image of every class with 2 or more goes to val; a class
with 1 image keeps it in train). At the top of the tree the
names train, val, validation and test are never classes. Images are found recursively
(every suffix Pillow decodes here, .jfif and .avif included, any case; .heic and others
Pillow cannot decode are listed as skipped with the reason), linked sub-folders followed;
hidden files and folders and OS clutter (`.DS_Store`, `__MACOSX/`, `._*`, `Thumbs.db`...)
are ignored. A tree needs at least 2 class folders.

Every image is decoded once with the one decoder (`tinylib.data.images.decode`) when first
read; unreadable files are left out and listed in `DatasetInfo.skipped`, never fatal. The
verdicts are remembered (by file size and modification time) in the dataset's cache folder,
`$TINYLIB_DATA/cache/<folder name>-<hash of its path>/`, which also holds its packed cache:
nothing is ever written inside your photo folder, so nothing there is mistaken for a class.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
from PIL import Image

from tinylib import config, files
from tinylib.data.images import ImageDecodeError, decode
from tinylib.data.layout import DatasetInfo, LayoutError

NOT_PHOTOS = {".bufr", ".grib", ".h5", ".hdf", ".wmf", ".emf", ".eps", ".ps", ".mpeg", ".mpg"}  # stubs, vector, video
DECODED = tuple(sorted({s for s, f in Image.registered_extensions().items() if f in Image.OPEN} - NOT_PHOTOS))
UNDECODED = tuple(s for s in (".heic", ".heif", ".avif", ".jxl") if s not in DECODED)  # phone photos, listed
SUFFIXES = DECODED + UNDECODED
VAL_SHARE = 0.2
VAL_FOLDERS = ("val", "validation", "valid")
RESERVED = ("train", *VAL_FOLDERS, "test")
CHECKED = "checked.json"


def is_folder_image(name: str) -> bool:
    """True for an image file name of a class-per-folder tree (not hidden, not OS clutter)."""
    return name.lower().endswith(SUFFIXES) and not name.startswith(".") and not files.is_metadata(name)


def _natural_key(path: Path) -> tuple:
    return tuple((0, int(part), "") if part.isdigit() else (1, 0, part) for part in re.split(r"(\d+)", str(path)))


def images_under(folder: str | os.PathLike) -> list[Path]:
    """Every image file under `folder`, recursively, in natural order ("2.jpg" before "10.jpg");
    hidden files and folders and OS clutter are skipped. [] when `folder` is not a folder."""
    folder = Path(folder)
    found, seen = [], set()
    for parent, folders, names in os.walk(folder, followlinks=True):  # linked sub-folders too, each once
        seen.add(os.path.realpath(parent))
        folders[:] = [name for name in folders if not name.startswith(".") and not files.is_metadata(name)
                      and os.path.realpath(os.path.join(parent, name)) not in seen]  # fmt: skip
        found += [Path(parent) / name for name in names if is_folder_image(name)]
    return sorted(found, key=lambda path: _natural_key(path.relative_to(folder)))


def cache_folder(root: str | os.PathLike) -> Path:
    """Where tinylib keeps what it derives from the tree at `root` (the packed cache, the
    decode verdicts): `tinylib.config.extract_dir()`/cache/<name>-<12 hex digits of the resolved path>
    (`$TINYLIB_DATA/cache/...` when it is set)."""
    root = Path(root).expanduser().resolve()
    digest = hashlib.sha256(str(root).encode()).hexdigest()[:12]
    return config.extract_dir() / "cache" / f"{root.name}-{digest}"


def is_class_folder_tree(root: str | os.PathLike) -> bool:
    """True when `root` has no wnids.txt and at least one sub-folder holding images."""
    root = Path(root).expanduser()
    return not (root / "wnids.txt").is_file() and bool(_class_folders(_train_root(root), root))


def _train_root(root: Path) -> Path:
    return root / "train" if (root / "train").is_dir() else root


def _val_root(root: Path) -> Path | None:
    return next((root / name for name in VAL_FOLDERS if (root / name).is_dir()), None)


def _class_folders(folder: Path, root: Path) -> dict[str, list[Path]]:
    """{class name: its image files} for each sub-folder of `folder` holding images."""
    if not folder.is_dir():
        return {}
    found = {}
    for entry in sorted(os.scandir(folder), key=lambda entry: entry.name):
        reserved = folder == root and entry.name.lower() in RESERVED
        if not entry.is_dir() or reserved or entry.name.startswith(".") or files.is_metadata(entry.name):
            continue
        images = images_under(entry.path)
        if images:
            found[entry.name] = images
    return found


def read_folder_layout(root: str | os.PathLike, val_share: float = VAL_SHARE, seed: int = 0) -> DatasetInfo:
    """Read the class-per-folder tree under `root` (see the module docstring) into a DatasetInfo:
    wnids = names = words = the class folder names, sorted; labels int32 (N,) index them;
    boxes int32 (N, 4) all -1; `skipped`: (path, reason) of every unreadable file, left out.

    val_share: the share of each class that goes to val when there is no val folder (0 <= share < 1).
    Raises LayoutError when `root` holds no class folders with images or only one, when val/
    is empty or names a class train has not, or when a class has no readable image."""
    if not 0 <= val_share < 1:
        raise ValueError(f"val_share must be in [0, 1), got {val_share}")
    root = Path(root).expanduser()
    train = _class_folders(_train_root(root), root)
    if not train:
        raise LayoutError(
            f"{root} is not a dataset: no wnids.txt (the official layout) and no class folders with images "
            f"(like {root / 'cats' / 'photo1.jpg'}) — pass the folder that contains wnids.txt or your class folders, "
            "or run `tinylib data prepare` for Tiny ImageNet"
        )
    if len(train) < 2:
        (only,) = train
        raise LayoutError(
            f"{_train_root(root)} holds only one class folder ({only}), and a classifier needs at least 2: "
            f"if {_train_root(root) / only} holds your class folders, pass that folder; else add a folder per class"
        )
    names = tuple(train)
    val_root = _val_root(root)
    val = _class_folders(val_root, root) if val_root else {}
    if val_root and not val:
        raise LayoutError(
            f"{val_root} holds no class folders with images (like {val_root / names[0] / 'photo1.jpg'}): "
            f"add them, or remove the empty {val_root.name}/ folder to draw val from the training images"
        )
    unknown = sorted(set(val) - set(names))
    if unknown:
        raise LayoutError(f"{val_root} has class folder(s) that train has not: {', '.join(unknown)}")
    test = images_under(root / "test")
    every = [path for images in (*train.values(), *val.values()) for path in images] + test
    skipped = check_images(root, every)
    bad = {path for path, _ in skipped}
    train = {name: [path for path in images if path not in bad] for name, images in train.items()}
    val = {name: [path for path in images if path not in bad] for name, images in val.items()}
    empty = [name for name, images in train.items() if not images]
    if empty:
        raise LayoutError(f"class folder(s) {', '.join(empty)} under {root} hold no readable image")
    if val_root is None:
        train, val = split_stratified(train, val_share, seed, root)
    return _info(root, names, train, val, [path for path in test if path not in bad], skipped)


def split_stratified(
    classes: dict[str, list[Path]], val_share: float = VAL_SHARE, seed: int = 0, root: Path | None = None
) -> tuple[dict[str, list[Path]], dict[str, list[Path]]]:
    """({class: train files}, {class: val files}): each file goes to val when a hash of `seed`
    and its path relative to its class folder (under `root`, else its name) falls in the first
    `val_share` of the hash range, as TFDS splits; so adding or removing files moves no other
    file between train and val. A class with 2 or more images keeps at least 1 in val (its
    lowest hash) and 1 in train (its highest)."""
    train, val = {}, {}
    for name, images in classes.items():
        keys = [_split_key(path, name, root, seed) for path in images]
        chosen = {k for k, key in enumerate(keys) if key < val_share}
        if len(images) < 2 or val_share == 0:
            chosen = set()
        else:
            order = sorted(range(len(images)), key=keys.__getitem__)
            chosen = (chosen or {order[0]}) - ({order[-1]} if len(chosen) == len(images) else set())
        val[name] = [path for k, path in enumerate(images) if k in chosen]
        train[name] = [path for k, path in enumerate(images) if k not in chosen]
    return train, val


def _split_key(path: Path, name: str, root: Path | None, seed: int) -> float:
    """A number in [0, 1) fixed by `seed` and the path of `path` inside its class folder."""
    relative = path.relative_to(_train_root(root) / name).as_posix() if root is not None else path.name
    return split_key(relative, seed)


def split_key(relative: str, seed: int = 0) -> float:
    """A float in [0, 1) fixed by `seed` and a file's path inside its class folder ("a.jpg",
    "2024/b.jpg"): the first 8 bytes of SHA-256("<seed>/<path>"), big-endian, over 2**64. A file
    goes to val when its key is below the val share (`split_stratified`)."""
    digest = hashlib.sha256(f"{seed}/{relative}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


def _info(root, names, train, val, test, skipped) -> DatasetInfo:
    def arrays(split: dict[str, list[Path]]) -> tuple[tuple[Path, ...], np.ndarray, np.ndarray]:
        paths = tuple(path for name in names for path in split.get(name, []))
        labels = np.asarray([k for k, name in enumerate(names) for _ in split.get(name, [])], np.int32)
        return paths, labels, np.full((len(paths), 4), -1, np.int32)

    train_files, train_labels, train_boxes = arrays(train)
    val_files, val_labels, val_boxes = arrays(val)
    return DatasetInfo(
        root=root,
        wnids=names,
        names=names,
        words=names,
        train_files=train_files,
        train_labels=train_labels,
        train_boxes=train_boxes,
        val_files=val_files,
        val_labels=val_labels,
        val_boxes=val_boxes,
        test_files=tuple(test),
        layout="folders",
        skipped=tuple(skipped),
    )


def _verdict(path: Path) -> str:
    """ "" when `path` decodes, else the short reason it does not."""
    if path.is_symlink() and not path.exists():
        return f"is a broken link (to {os.readlink(path)}, which does not exist)"
    try:
        decode(path)
    except ImageDecodeError as error:
        if path.suffix.lower() in UNDECODED:
            return (
                f"{path.suffix} is not decoded by this Pillow: convert such photos to JPEG (or pip install pillow-heif)"
            )
        return error.reason
    except OSError as error:
        return f"cannot be read ({error.strerror or error})"
    return ""


def check_images(root: Path, paths: list[Path], workers: int | None = None) -> list[tuple[Path, str]]:
    """(path, reason) of each of `paths` that the one decoder cannot read, in their order.
    Decodes in threads; verdicts are kept in `cache_folder(root)`/checked.json by relative
    path, size and modification time, so only new or changed files are decoded again."""
    record_file = cache_folder(root) / CHECKED
    try:
        known = json.loads(files.read_text(record_file))["files"] if record_file.is_file() else {}
    except (ValueError, KeyError, OSError):
        known = {}
    stamps = {}
    for path in paths:
        try:
            status = path.stat()
        except OSError:  # a dangling link, or gone since the folder was listed: decoded (and listed) below
            status = os.stat_result((0,) * 10)
        stamps[path] = [status.st_size, status.st_mtime_ns]
    relative = {path: path.relative_to(root).as_posix() for path in paths}
    todo = [
        path for path in paths if known.get(relative[path], [None, None])[:2] != stamps[path] or not stamps[path][1]
    ]
    with ThreadPoolExecutor(workers or min(os.cpu_count() or 1, 8)) as pool:  # PIL releases the GIL
        fresh = dict(zip(todo, pool.map(_verdict, todo)))
    record = {}
    for path in paths:
        reason = fresh[path] if path in fresh else known[relative[path]][2]
        record[relative[path]] = [*stamps[path], reason]
    if todo or len(record) != len(known):
        try:
            record_file.parent.mkdir(parents=True, exist_ok=True)
            files.write_atomically(record_file, json.dumps({"format": 1, "files": record}) + "\n")
        except OSError:  # a read-only data folder: decode again next time
            pass
    return [(path, record[relative[path]][2]) for path in paths if record[relative[path]][2]]
