"""Class-per-folder trees made from a dataset in the official layout: a stand-in for your own photos (notebook 06, CI).

`folder_from_layout` writes one folder per class (named after the class) from the train
(and val) images of a dataset; with variety=True it also writes the files real photo folders
hold, so every path of the reader and the decoder is exercised: PNGs with transparency, a
grayscale JPEG, a 16-bit PNG, an EXIF-rotated JPEG, non-square images of another size, one
corrupt file and OS clutter (`.DS_Store`, an AppleDouble `._` twin).
"""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

import numpy as np
from PIL import Image

from tinylib import config, files
from tinylib.data.layout import DatasetInfo
from tinylib.data.reader import read_layout

VERSION = 1  # bump when the variety changes: the profile's folder is rebuilt under a new name
EXIF_ORIENTATION = 0x0112
WIDE = (100, 80)  # width, height of the upscaled non-square images


def folder_names(info: DatasetInfo) -> tuple[str, ...]:
    """A folder name per class: its short name made safe for file systems ("/" and ":" become
    "-"); a name shared by two classes gets the class id appended ("maillot (n03710721)")."""
    names = [re.sub(r"[/\\:*?\"<>|]+", "-", name).strip(" .") or wnid for name, wnid in zip(info.names, info.wnids)]
    return tuple(f"{name} ({wnid})" if names.count(name) > 1 else name for name, wnid in zip(names, info.wnids))


def folder_from_layout(
    source: str | os.PathLike,
    dest: str | os.PathLike,
    per_class: int | None = None,
    val: bool = True,
    variety: bool = False,
) -> Path:
    """Write the dataset at `source` (official layout) as a class-per-folder tree at `dest`;
    returns `dest`. Built in a temporary sibling and renamed into place (FileExistsError when
    `dest` exists).

    val=True: dest/train/<class>/... and dest/val/<class>/... (every val image); val=False:
    dest/<class>/... only, so the reader draws a stratified val split. per_class: the first
    `per_class` train images of each class (None: all). variety: see the module docstring;
    exactly one file (<first class>/broken.jpg) is unreadable."""
    info = read_layout(source)
    names = folder_names(info)
    with files.atomic_folder(dest) as build:
        train_top = build / "train" if val else build
        chosen = [
            (path, label)
            for label in range(info.num_classes)
            for path in [p for p, k in zip(info.train_files, info.train_labels) if k == label][:per_class]
        ]
        for number, (path, label) in enumerate(chosen):
            _write_image(path, train_top / names[label], number if variety else None)
        if val:
            for path, label in zip(info.val_files, info.val_labels):
                _write_image(path, build / "val" / names[label], None)
        if variety:
            _add_clutter(build, train_top / names[0], info.train_files[0])
    return Path(dest)


def _write_image(path: Path, folder: Path, number: int | None) -> None:
    """Copy one image into `folder`; `number` (variety on) picks how it is stored."""
    folder.mkdir(parents=True, exist_ok=True)
    stem = path.stem
    if number is None or (number % 5 == 0 and number not in (0, 10)):
        shutil.copyfile(path, folder / path.name)
        return
    with Image.open(path) as opened:
        image = opened.convert("RGB")
    if number == 10:  # grayscale
        image.convert("L").save(folder / f"{stem}.jpg", quality=90)
    elif number == 0:  # 16-bit grayscale PNG
        gray = np.asarray(image.convert("L"), np.uint16) * 257
        Image.fromarray(gray).save(folder / f"{stem}.png")
    elif number == 6:  # stored lying on its side; the EXIF tag turns it upright again
        exif = Image.Exif()
        exif[EXIF_ORIENTATION] = 6  # "rotate 90 degrees clockwise to show"
        image.transpose(Image.Transpose.ROTATE_90).save(folder / f"{stem}.jpg", quality=90, exif=exif.tobytes())
    elif number % 5 in (1, 3):  # PNG with transparency: an opaque image in a transparent frame
        alpha = np.zeros(image.size[::-1], np.uint8)
        alpha[2:-2, 2:-2] = 255
        image.putalpha(Image.fromarray(alpha))
        image.save(folder / f"{stem}.png")
    else:  # larger and not square: the decoder crops the centre and resizes it back
        image.resize(WIDE, Image.Resampling.BICUBIC).save(folder / f"{stem}.jpg", quality=90)


def _add_clutter(top: Path, first_class: Path, some_image: Path) -> None:
    """One corrupt file (a JPEG cut in half) and OS clutter that the reader must ignore."""
    data = some_image.read_bytes()
    (first_class / "broken.jpg").write_bytes(data[: len(data) // 2])
    (top / ".DS_Store").write_bytes(b"\x00\x00\x00\x01Bud1" + bytes(8))
    (first_class / f"._{some_image.stem}.jpg").write_bytes(b"\x00\x05\x16\x07" + bytes(12))


def synthetic_folder_for_profile(profile: config.Profile | None = None, progress: bool = True) -> Path:
    """The class-per-folder tree of a profile (default: the active one), made if absent from its
    synthetic set: half the train images of every class (quick profile: 50, full: 250), with
    variety (one unreadable file), no val folder (the reader splits 20 % of each class off for
    val). Lives beside the synthetic set, e.g. ~/tinylib-data/synthetic-10c-100-20-2-s0-folders-50-v1."""
    from tinylib.data.synthetic import synthetic_for_profile

    profile = profile or config.profile()
    per_class = max(2, profile.synthetic_train_per_class // 2)
    source = synthetic_for_profile(profile, progress=progress)
    dest = source.parent / f"{source.name}-folders-{per_class}-v{VERSION}"
    files.remove_leftovers(dest.parent, dest.name)
    if dest.is_dir():
        return dest
    try:
        return folder_from_layout(source, dest, per_class=per_class, val=False, variety=True)
    except FileExistsError:  # another process made it meanwhile
        return dest
