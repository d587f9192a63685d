"""Turn a dataset zip into a verified dataset folder: safe extraction, verify, atomic rename.

Every member name is checked before anything is written: absolute paths, ``..`` and links
are refused (a "zip slip" archive could otherwise write outside the target folder). The
zip is extracted into a hidden temporary folder next to the destination (same filesystem),
verified there, and only then renamed into place, so a crash half way never leaves a
folder that looks like a complete dataset.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import stat
import tempfile
import zipfile
import zlib
from pathlib import Path, PurePosixPath

from tinylib import __version__, config
from tinylib.data.download import download
from tinylib.data.verify import OFFICIAL_COUNTS, verify

MARKER = ".tinylib-prepared.json"  # written last, inside the dataset root, before the rename
KNOWN_COUNTS = {"tiny-imagenet-200": OFFICIAL_COUNTS}


class ArchiveError(ValueError):
    """The zip is unsafe, truncated or damaged; the message says what to do."""


def safe_members(archive: zipfile.ZipFile, name: str = "the archive") -> list[zipfile.ZipInfo]:
    """All members, after refusing any that would land outside the target folder: absolute
    paths, drive letters, ``..`` parts (with / or \\ separators) and symbolic links."""
    members = archive.infolist()
    for member in members:
        path = member.filename.replace("\\", "/")
        parts = PurePosixPath(path).parts
        if path.startswith("/") or re.match(r"^[A-Za-z]:", path) or ".." in parts:
            raise ArchiveError(
                f"refusing to extract {name}: member {member.filename!r} would be written outside the target folder "
                "(absolute path or '..'); this zip is not a genuine dataset archive — download it again"
            )
        if stat.S_ISLNK(member.external_attr >> 16):
            raise ArchiveError(f"refusing to extract {name}: member {member.filename!r} is a symbolic link")
    return members


def _top_folder(members: list[zipfile.ZipInfo]) -> str | None:
    """The single folder every member sits in ("tiny-imagenet-200"), or None."""
    tops = {member.filename.replace("\\", "/").split("/", 1)[0] for member in members}
    nested = all("/" in member.filename.replace("\\", "/").rstrip("/") or member.is_dir() for member in members)
    return tops.pop() if len(tops) == 1 and nested else None


def _open(zip_path: Path) -> zipfile.ZipFile:
    try:
        return zipfile.ZipFile(zip_path)
    except zipfile.BadZipFile:
        raise ArchiveError(
            f"{zip_path} is not a complete zip ({zip_path.stat().st_size:,} bytes; a truncated or damaged download?) — "
            "move it away and run `tinylib data download`, which resumes and checks the MD5"
        ) from None


def extract(zip_path: str | os.PathLike, folder: str | os.PathLike, progress: bool = True) -> int:
    """Safely extract every member of `zip_path` into the existing `folder`; returns the
    number of members. CRC errors (damaged data) raise ArchiveError."""
    from tqdm.auto import tqdm

    zip_path = Path(zip_path)
    with _open(zip_path) as archive:
        members = safe_members(archive, str(zip_path))
        for member in tqdm(members, desc=f"extract {zip_path.name}", unit="file", disable=not progress):
            try:
                archive.extract(member, folder)
            except (zipfile.BadZipFile, EOFError, zlib.error) as error:  # CRC mismatch, cut-off data
                raise ArchiveError(
                    f"{zip_path} is damaged at member {member.filename!r} ({error}) — "
                    "move it away and download it again with `tinylib data download`"
                ) from None
    return len(members)


def prepare(
    zip_path: str | os.PathLike | None = None,
    dest: str | os.PathLike | None = None,
    expected: dict | None = None,
    decode: bool = True,
    progress: bool = True,
) -> Path:
    """Extract a dataset zip into `dest` (default `tinylib.config.data_dir()`), verify it,
    and return the dataset root, e.g. ~/tinylib-data/tiny-imagenet-200.

    zip_path None: download the official zip first (`tinylib.data.download`). Works on any
    zip in the official layout (e.g. the 20-class tiny-imagenet-20.zip); the root is named
    after the zip's top folder. Idempotent: a root already prepared from a zip of the same
    name and size is returned as is; any other existing folder is never touched (an error
    says what to do). expected: counts for `verify` (default: the official counts when the
    top folder is "tiny-imagenet-200"). Raises DatasetError (nothing is left behind) when
    verification finds a problem.
    """
    dest = Path(dest).expanduser() if dest is not None else config.data_dir()
    zip_path = Path(zip_path).expanduser() if zip_path is not None else download(dest, progress=progress)
    if not zip_path.is_file():
        raise FileNotFoundError(f"no zip at {zip_path} — run `tinylib data download`, or pass the zip you downloaded")
    with _open(zip_path) as archive:
        members = safe_members(archive, str(zip_path))
    top = _top_folder(members)
    name = top or zip_path.stem
    root = dest / name
    source = {"zip": zip_path.name, "bytes": zip_path.stat().st_size, "members": len(members)}
    if root.exists():
        marker = root / MARKER
        if marker.is_file() and json.loads(marker.read_text()).get("source") == source:
            return root
        raise FileExistsError(
            f"{root} already exists and was not prepared from {zip_path.name} by tinylib; it was left as it is: "
            "pass another destination (--dest), or move it away and run `tinylib data prepare` again"
        )
    dest.mkdir(parents=True, exist_ok=True)
    build = Path(tempfile.mkdtemp(prefix=f".{name}.partial-", dir=dest))
    try:
        extract(zip_path, build, progress)
        data_root = build / top if top else build
        report = verify(data_root, expected or KNOWN_COUNTS.get(name), decode=decode, progress=progress)
        report.root = root  # name the final place in messages
        report.raise_for_problems()
        (data_root / MARKER).write_text(
            json.dumps(
                {"source": source, "tinylib": __version__, "grayscale": sum(map(len, report.grayscale.values()))}
            )
            + "\n"
        )
        os.replace(data_root, root)
    finally:
        if build.exists():
            shutil.rmtree(build, ignore_errors=True)
    return root
