"""The one door to a dataset folder: `read_layout` picks the reader (official layout or class folders).

Neither reader imports this module nor the other reader: `layout` reads the official Tiny
ImageNet layout (and owns `DatasetInfo`), `folders` reads class-per-folder trees; both return
a `DatasetInfo`. Everything that reads "a dataset" calls `read_layout` here.
"""

from __future__ import annotations

import os
from pathlib import Path

from tinylib.data.folders import read_folder_layout
from tinylib.data.layout import DatasetInfo, LayoutError, read_official_layout
from tinylib.files import is_metadata


def _nested_root(root: Path) -> Path | None:
    """A sub-folder of `root` that holds wnids.txt (a dataset extracted one level too deep)."""
    children = [c for c in root.iterdir() if not is_metadata(c.name) and (c / "wnids.txt").is_file()]
    return children[0] if children else None


def read_layout(root: str | os.PathLike) -> DatasetInfo:
    """Parse the dataset under `root`: the official layout (the folder holding wnids.txt,
    `tinylib.data.layout.read_official_layout`), or else a class-per-folder tree of your own
    images (`tinylib.data.folders.read_folder_layout`, val split 20 % per class unless there is
    a val/ folder). The official layout is read from its text files and directory listings,
    never the images, so it takes well under a second even for the full 120,000-image dataset;
    a class-per-folder tree is decoded once, and unreadable files are left out and listed in
    `skipped`. Raises LayoutError saying what is missing or wrong."""
    root = Path(root).expanduser()
    if not root.is_dir():
        raise LayoutError(
            f"no dataset folder at {root} — run `tinylib data prepare`, or pass the folder that contains wnids.txt "
            "(or your class folders)"
        )
    if (root / "wnids.txt").is_file():
        return read_official_layout(root)
    nested = _nested_root(root)
    if nested is not None:
        raise LayoutError(f"no wnids.txt under {root}; did you mean {nested}?")
    if (root / "val" / "val_annotations.txt").is_file():
        raise LayoutError(
            f"no wnids.txt under {root}, but val/val_annotations.txt is there: the official layout is "
            "incomplete — re-extract it with `tinylib data prepare`"
        )
    return read_folder_layout(root)
