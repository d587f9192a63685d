"""What a saved .keras file says about itself: the Keras version that wrote it (metadata.json)."""

from __future__ import annotations

import contextlib
import json
import os
import zipfile


def saved_by_keras(path: str | os.PathLike) -> str | None:
    """The Keras version ("3.15.0") that wrote the .keras file at `path`, from the
    metadata.json inside it; None when the file is not a readable .keras archive."""
    with contextlib.suppress(OSError, KeyError, ValueError, zipfile.BadZipFile), zipfile.ZipFile(path) as archive:
        return str(json.loads(archive.read("metadata.json"))["keras_version"])
    return None
