"""Turn a dataset zip into a verified dataset folder: safe extraction, verify, atomic rename.

Every member name is checked before anything is written: absolute paths, ``..`` and links
are refused (a "zip slip" archive could otherwise write outside the target folder). The
zip is extracted into a hidden temporary folder next to the destination (same filesystem),
verified there, and only then renamed into place, so a crash half way never leaves a
folder that looks like a complete dataset (and the next run removes what a killed one left).
Clutter that macOS, Windows and Jupyter add to zips (`__MACOSX/`, `._*`, `.DS_Store`,
`Thumbs.db`...) is skipped, and the unpacked size is checked against the free space first.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import stat
import zipfile
import zlib
from pathlib import Path, PurePosixPath

from tinylib import __version__, config, files
from tinylib.data.download import archive_format, download
from tinylib.data.layout import LayoutError
from tinylib.data.verify import OFFICIAL_COUNTS, DatasetError, VerifyReport, verify

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


def data_members(members: list[zipfile.ZipInfo]) -> list[zipfile.ZipInfo]:
    """The members that are data: not OS or tool clutter (`files.is_metadata`)."""
    return [member for member in members if not files.is_metadata(member.filename)]


def unpacked_bytes(members: list[zipfile.ZipInfo], block: int = 4096) -> int:
    """Disk space the members take once extracted: their sizes rounded up to whole blocks."""
    return sum(-(-max(member.file_size, 1) // block) * block for member in members)


def _top_folder(members: list[zipfile.ZipInfo]) -> str | None:
    """The single folder every member sits in ("tiny-imagenet-200"), or None."""
    tops = {member.filename.replace("\\", "/").split("/", 1)[0] for member in members}
    nested = all("/" in member.filename.replace("\\", "/").rstrip("/") or member.is_dir() for member in members)
    return tops.pop() if len(tops) == 1 and nested else None


def _open(zip_path: Path) -> zipfile.ZipFile:
    try:
        return zipfile.ZipFile(zip_path)
    except zipfile.BadZipFile:
        other = archive_format(zip_path)
        if other:
            raise ArchiveError(
                f"{zip_path} is {other}, not a zip: pass the zip of the dataset (`tinylib data download` fetches "
                "it), or unpack this archive yourself and pass its folder"
            ) from None
        raise ArchiveError(
            f"{zip_path} is not a complete zip ({zip_path.stat().st_size:,} bytes; a truncated or damaged download?) — "
            "move it away and run `tinylib data download`, which resumes and checks the MD5"
        ) from None


def extract(zip_path: str | os.PathLike, folder: str | os.PathLike, progress: bool = True) -> int:
    """Safely extract every data member of `zip_path` into the existing `folder` (clutter
    such as `__MACOSX/` and `._*` is skipped); returns the number of members extracted.
    Raises ArchiveError for CRC errors (damaged data), when the unpacked size does not fit
    in the free space (checked first), or when the disk fills up meanwhile; `prepare`
    then removes what was written."""
    from tqdm.auto import tqdm

    zip_path, folder = Path(zip_path), Path(folder)
    fix = "free some space, or pass another destination (`tinylib data prepare --dest OTHER`)"
    with _open(zip_path) as archive:
        members = data_members(safe_members(archive, str(zip_path)))
        files.check_free_space(folder, unpacked_bytes(members), f"the files of {zip_path.name}", fix, ArchiveError)
        with files.disk_full_as_one_line(folder, f"the files of {zip_path.name}", fix, ArchiveError):
            for member in tqdm(members, desc=f"extract {zip_path.name}", unit="file", disable=not progress):
                try:
                    archive.extract(member, folder)
                except (zipfile.BadZipFile, EOFError, zlib.error) as error:  # CRC mismatch, cut-off data
                    raise ArchiveError(
                        f"{zip_path} is damaged at member {member.filename!r} ({error}) — "
                        "move it away and download it again with `tinylib data download`"
                    ) from None
    return len(members)


def _dataset_top(zip_path: Path, members: list[zipfile.ZipInfo]) -> str | None:
    """The zip's one top folder (None: the dataset is at the zip's top), after checking that
    wnids.txt is where a dataset root needs it; ArchiveError says where it is instead."""
    data = data_members(members)
    top = _top_folder(data)
    names = {member.filename.replace("\\", "/") for member in data}
    if (f"{top}/wnids.txt" if top else "wnids.txt") in names:
        return top
    found = sorted((name for name in names if name.rsplit("/", 1)[-1] == "wnids.txt"), key=len)
    where = f"it holds {found[0]} instead" if found else "it holds no wnids.txt at all"
    raise ArchiveError(
        f"{zip_path} is not a dataset in the official layout: no wnids.txt at its top or in its one top folder "
        f"({where}) — zip the folder that contains wnids.txt, or unzip it yourself and pass that folder to tinylib"
    )


def prepare(
    zip_path: str | os.PathLike | None = None,
    dest: str | os.PathLike | None = None,
    expected: dict | None = None,
    decode: bool = True,
    progress: bool = True,
) -> Path:
    """Extract a dataset zip into `dest` (default `tinylib.config.extract_dir()`: the fast local
    disk), verify it, and return the dataset root, e.g. ~/tinylib-data/tiny-imagenet-200.

    zip_path None: download the official zip first (`tinylib.data.download`) into `dest`, or
    by default into `tinylib.config.data_dir()` (on Colab with Drive mounted: kept on Drive,
    and reused, after its size and MD5 are checked, by the next session). Works on any
    zip in the official layout (e.g. the 20-class tiny-imagenet-20.zip); the root is named
    after the zip's top folder. Idempotent: a root already prepared from a zip of the same
    name and size is returned as is; any other existing folder is never touched (an error
    says what to do). expected: counts for `verify` (default: the official counts when the
    top folder is "tiny-imagenet-200"). Raises DatasetError when verification finds a
    problem, ArchiveError for an unsafe, damaged or misshapen zip, or one that does not fit
    in the free space; nothing is left behind (nor by a killed earlier run).
    """
    if zip_path is None:  # the zip is kept in data_dir() (on Colab: on Drive when mounted), or in dest
        zip_path = download(dest if dest is not None else config.data_dir(), progress=progress)
    dest = Path(dest).expanduser() if dest is not None else config.extract_dir()
    zip_path = Path(zip_path).expanduser()
    if not zip_path.is_file():
        raise FileNotFoundError(f"no zip at {zip_path} — run `tinylib data download`, or pass the zip you downloaded")
    with _open(zip_path) as archive:
        members = safe_members(archive, str(zip_path))
    top = _dataset_top(zip_path, members)
    name = top or zip_path.stem
    root = dest / name
    source = {"zip": zip_path.name, "bytes": zip_path.stat().st_size, "members": len(members)}
    files.remove_leftovers(dest, name)
    if _already_prepared(root, source):
        return root
    dest.mkdir(parents=True, exist_ok=True)
    build = files.partial_folder(dest, name)
    try:
        extract(zip_path, build, progress)
        data_root = build / top if top else build
        report = _verify_in_place(data_root, root, expected or KNOWN_COUNTS.get(name), decode, progress)
        marker = {"source": source, "tinylib": __version__, "grayscale": sum(map(len, report.grayscale.values()))}
        (data_root / MARKER).write_text(json.dumps(marker) + "\n")
        os.replace(data_root, root)
    finally:
        if build.exists():
            shutil.rmtree(build, ignore_errors=True)
    return root


def _already_prepared(root: Path, source: dict) -> bool:
    """True when `root` was prepared from this zip; False when it does not exist; otherwise
    FileExistsError (a folder of the user's is never touched)."""
    if not root.exists():
        return False
    marker = root / MARKER
    if marker.is_file() and json.loads(files.read_text(marker)).get("source") == source:
        return True
    raise FileExistsError(
        f"{root} already exists and was not prepared from {source['zip']} by tinylib; it was left as it is: "
        "pass another destination (--dest), or move it away and run `tinylib data prepare` again"
    )


def _verify_in_place(data_root: Path, root: Path, expected: dict | None, decode: bool, progress: bool) -> VerifyReport:
    """verify() the extracted copy; messages name `root`, where it goes, never the temporary folder."""
    try:
        report = verify(data_root, expected, decode=decode, progress=progress)
    except LayoutError as error:
        if isinstance(error, DatasetError):
            raise
        raise LayoutError(str(error).replace(str(data_root), str(root))) from None
    report.root = root
    report.raise_for_problems()
    return report
