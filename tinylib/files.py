"""Nothing half-written, nothing left behind: files and folders are built under a temporary
name beside their target and renamed into place; text is read as meant; OS clutter is ignored;
leftovers of killed runs and full disks are handled.

- `write_atomically` / `atomic_file` / `atomic_folder`: an interrupt at any moment leaves the
  previous good version (or nothing), never a half-written one.
- `read_text` / `read_text_lines`: text written by other tools (a UTF-8 byte-order mark,
  Windows CRLF line ends, stray spaces, trailing blank lines) reads as it was meant.
- `is_metadata`: files and folders that operating systems and tools leave in archives and
  dataset trees (macOS `__MACOSX/`, `._*` AppleDouble files, `.DS_Store`; Windows
  `Thumbs.db`, `desktop.ini`; Jupyter `.ipynb_checkpoints`) are never data.
- `partial_folder`: a hidden build folder beside its destination, named after the process
  that owns it, so the next run can remove what a killed run left (and never a live one's).
- `check_free_space` / `disk_full_as_one_line`: a full disk is one line, before or while writing.
"""

from __future__ import annotations

import contextlib
import csv
import errno
import os
import re
import secrets
import shutil
import socket
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path, PurePath

METADATA_NAMES = frozenset({"__macosx", ".ds_store", "thumbs.db", "desktop.ini", ".ipynb_checkpoints"})
ABANDONED_AFTER_S = 6 * 3600  # a build folder of another machine (or an older tinylib) untouched this long is dead
SPACE_MARGIN = 64 * 2**20  # bytes kept free beyond an estimate


class NotEnoughSpaceError(ValueError):
    """The disk has too little free space for what is about to be written (or filled up while writing)."""


def read_text(path: str | os.PathLike) -> str:
    """The whole text of a file written by any tool: UTF-8 with or without a byte-order mark
    (or UTF-16 with one, as Windows Notepad saves "Unicode"). Raises ValueError naming the
    file when it is not text in those encodings."""
    data = Path(path).read_bytes()
    try:
        if data[:2] in (b"\xff\xfe", b"\xfe\xff"):
            return data.decode("utf-16")
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise ValueError(
            f"{path} is not UTF-8 text (byte {data[error.start]:#04x} at offset {error.start}) — "
            "save it again as UTF-8 (plain text), or re-extract the dataset with `tinylib data prepare`"
        ) from None


def read_text_lines(path: str | os.PathLike) -> list[str]:
    """The non-blank lines of a text file, each stripped of surrounding whitespace (so CRLF,
    trailing spaces and blank lines vanish); see `read_text` for encodings."""
    return [line.strip() for line in read_text(path).splitlines() if line.strip()]


def read_table(path: str | os.PathLike) -> list[dict[str, str]]:
    """The rows of a CSV file as dicts of strings, as the kit writes it (commas, decimal points)
    or as a spreadsheet saved it again (a byte-order mark, CRLF, semicolons and decimal commas)."""
    text = read_text(path)
    header = text.partition("\n")[0]
    if header.count(";") > header.count(","):  # a spreadsheet's "European" CSV: decimal commas
        rows = csv.DictReader(text.splitlines(), delimiter=";")
        return [{key: value.replace(",", ".") for key, value in row.items() if key is not None} for row in rows]
    return list(csv.DictReader(text.splitlines()))


def read_fields(path: str | os.PathLike) -> list[list[str]]:
    """The tab-separated fields of every non-blank line, each field stripped."""
    return [[field.strip() for field in line.split("\t")] for line in read_text_lines(path)]


def is_metadata(path: str | os.PathLike) -> bool:
    """True when any part of `path` (a name, a relative path or a zip member) is OS or tool
    clutter: `__MACOSX`, `._*`, `.DS_Store`, `Thumbs.db`, `desktop.ini`, `.ipynb_checkpoints`."""
    parts = PurePath(str(path).replace("\\", "/")).parts
    return any(part.lower() in METADATA_NAMES or part.startswith("._") for part in parts)


def _host() -> str:
    return re.sub(r"[^A-Za-z0-9]", "", socket.gethostname())[:32] or "host"


def partial_folder(parent: Path, name: str, kind: str = "partial") -> Path:
    """Make and return a hidden build folder `<parent>/.<name>.<kind>-<host>-<pid>-<random>`
    after removing those an earlier, killed run left for the same name (`remove_leftovers`)."""
    remove_leftovers(parent, name)
    return Path(tempfile.mkdtemp(prefix=f".{name}.{kind}-{_host()}-{os.getpid()}-", dir=parent))


def remove_leftovers(parent: Path, name: str) -> list[Path]:
    """Remove `.<name>.partial-*` and `.<name>.stale-*` folders (and partial files) in `parent`
    whose owner is dead: a process of this machine that no longer runs, or (another machine's, or one named
    without an owner by older versions) untouched for 6 hours. A live owner's folder (a second
    worker packing at the same time) is never touched. Returns the folders removed."""
    pattern = re.compile(rf"^\.{re.escape(name)}\.(partial|stale)-")
    owner = re.compile(r"-(?P<host>[A-Za-z0-9]+)-(?P<pid>\d+)-[^-]+$")
    host = _host()
    removed = []
    with contextlib.suppress(OSError), os.scandir(parent) as entries:
        for entry in entries:
            if not pattern.match(entry.name):
                continue
            found = owner.search(entry.name)
            if found and found["host"] == host:
                dead = not process_alive(int(found["pid"]))
            else:
                dead = time.time() - _last_touched(Path(entry.path)) > ABANDONED_AFTER_S
            if dead:
                if entry.is_dir(follow_symlinks=False):
                    shutil.rmtree(entry.path, ignore_errors=True)
                else:
                    Path(entry.path).unlink(missing_ok=True)
                removed.append(Path(entry.path))
    return removed


def process_alive(pid: int) -> bool:
    """True unless process `pid` of this machine is known to have ended (unsure: True)."""
    if pid == os.getpid() or os.name == "nt":  # on Windows, signal 0 would be a Ctrl-C: keep the folder
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # alive but another user's (PermissionError), or cannot tell: keep the folder
        return True
    return True


def _last_touched(folder: Path) -> float:
    times = [folder.stat().st_mtime]
    with contextlib.suppress(OSError), os.scandir(folder) as entries:
        times += [entry.stat(follow_symlinks=False).st_mtime for entry in entries]
    return max(times)


def _megabytes(count: int) -> str:
    return f"{count / 2**20:,.0f} MB"


def check_free_space(folder: Path, needed: int, what: str, fix: str, error: type[Exception] = NotEnoughSpaceError):
    """Raise `error` (one line: what needs how much, how much is free, `fix`) unless the
    filesystem holding `folder` (or its nearest existing parent) has `needed` bytes free
    plus a 64 MB margin."""
    free = free_bytes(folder)
    if needed + SPACE_MARGIN > free:
        raise error(
            f"not enough free space in {folder} for {what}: it needs about {_megabytes(needed + SPACE_MARGIN)}, "
            f"{_megabytes(free)} are free — {fix}"
        )


@contextlib.contextmanager
def disk_full_as_one_line(
    folder: Path, what: str, fix: str, error: type[Exception] = NotEnoughSpaceError
) -> Iterator[None]:
    """Turn an OSError "no space left on device" (or "disk quota exceeded") raised inside the
    block into `error` with one line; the caller's cleanup removes the partial output."""
    try:
        yield
    except OSError as failure:
        if not is_disk_full(failure):
            raise
        raise error(f"the disk holding {folder} filled up while writing {what}; nothing was kept — {fix}") from None


def partial_file(path: Path) -> Path:
    """A hidden temporary name beside `path` that `remove_leftovers` recognises
    (".<name>.partial-<host>-<pid>-<random><suffixes>"), ending in all of `path`'s suffixes for
    writers that check them (".keras", ".weights.h5")."""
    remove_leftovers(path.parent, path.name)
    stamp = f"{_host()}-{os.getpid()}-{secrets.token_hex(4)}"
    return path.with_name(f".{path.name}.partial-{stamp}{''.join(path.suffixes)}")


def write_atomically(path: str | os.PathLike, text: str | bytes) -> None:
    """Write `text` (str as UTF-8, or bytes) to `path` under a temporary name in the same
    folder, flushed to disk, then renamed into place."""
    with atomic_file(path) as temporary, open(temporary, "wb") as handle:
        handle.write(text.encode("utf-8") if isinstance(text, str) else text)
        handle.flush()
        os.fsync(handle.fileno())


@contextlib.contextmanager
def atomic_file(path: str | os.PathLike) -> Iterator[Path]:
    """Yield a temporary path beside `path` to write (e.g. with `model.save`); on success it is
    renamed to `path`, on any error (or interrupt) it is deleted and `path` is left as it was."""
    path = Path(path)
    temporary = partial_file(path)
    try:
        yield temporary
        os.replace(temporary, path)
    except OSError as error:
        if error.filename is not None and str(error.filename) == str(temporary):
            error.filename = str(path)  # the message names the user's path, not our temporary one
        raise
    finally:
        temporary.unlink(missing_ok=True)


def check_output_file(path: str | os.PathLike, example: str = "out.csv") -> Path:
    """`path` as a Path when a file can be written there (checked before any work). Raises ValueError
    (one line naming `path`) for a folder or a missing folder, PermissionError for a read-only one."""
    path = Path(path).expanduser()
    if path.is_dir():
        raise ValueError(f"{path} is a folder: pass a file name (e.g. {path / example})")
    where = f"cannot write {path}: the folder {path.parent}"
    if not path.parent.is_dir():
        raise ValueError(f"{where} does not exist: create it first (mkdir -p {path.parent}) or pass another path")
    if not os.access(path.parent, os.W_OK):
        raise PermissionError(
            f"{where} is not writable (read-only, or not yours): pass a path in a folder you can write"
        )
    return path


@contextlib.contextmanager
def atomic_folder(target: str | os.PathLike, replace: bool = False) -> Iterator[Path]:
    """Yield an empty temporary folder beside `target` to build in; on success it becomes
    `target` (an existing `target` is swapped out first when replace=True, else FileExistsError),
    on any error it is deleted. Leftovers of killed runs are removed first."""
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    build = partial_folder(target.parent, target.name)
    try:
        yield build
        if target.exists():
            if not replace:
                raise FileExistsError(f"{target} already exists")
            old = partial_folder(target.parent, target.name, "stale")
            os.replace(target, old / target.name)
            shutil.rmtree(old, ignore_errors=True)
        os.replace(build, target)
    finally:
        shutil.rmtree(build, ignore_errors=True)


# ---------------------------------------------------------------------- disk space and locks
MB = 1024 * 1024
READ_ONLY = (errno.EACCES, errno.EPERM, errno.EROFS)  # what a folder one cannot write raises


def free_bytes(folder: str | os.PathLike) -> int:
    """Bytes free to this user on the disk holding `folder` (its nearest existing parent)."""
    path = Path(folder).expanduser().absolute()
    while not path.exists() and path != path.parent:
        path = path.parent
    return shutil.disk_usage(path).free


def is_disk_full(error: BaseException) -> bool:
    """True for an OSError saying the disk is full (ENOSPC, EDQUOT), also as h5py words it."""
    if not isinstance(error, OSError):
        return False
    return error.errno in (errno.ENOSPC, errno.EDQUOT) or "No space left on device" in str(error)


class Locked(BlockingIOError):
    """Another process holds the lock file; `owner` is its process id (None when unknown)."""

    def __init__(self, path: Path, owner: int | None):
        super().__init__(errno.EWOULDBLOCK, f"{path} is locked by process {owner}")
        self.owner = owner


@contextlib.contextmanager
def exclusive_lock(path: str | os.PathLike) -> Iterator[Path]:
    """Hold an exclusive lock on the file `path` (created if missing; this process id written
    in it) for the block. The operating system releases it when the holder dies, so the lock of
    a killed process is simply taken over. Raises Locked, naming the holder, when another
    process (or another open of it in this one) holds it. Without fcntl (Windows) no lock."""
    try:
        import fcntl
    except ImportError:
        yield Path(path)
        return
    path = Path(path)
    with open(path, "a+", encoding="utf-8") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            owner = handle.read().strip()
            raise Locked(path, int(owner) if owner.isdigit() else None) from None
        try:
            handle.seek(0)
            handle.truncate()
            handle.write(f"{os.getpid()}\n")
            handle.flush()
            yield path
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
