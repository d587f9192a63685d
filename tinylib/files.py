"""Nothing half-written: every file and folder the kit writes is built under a temporary name
beside its target and renamed into place, so an interrupt at any moment leaves the previous
good version (or nothing); leftovers of a killed process are recognised by its process id."""

from __future__ import annotations

import contextlib
import errno
import os
import shutil
from collections.abc import Iterator
from pathlib import Path

PARTIAL = ".partial-"


def partial_name(target: Path) -> Path:
    """The temporary sibling `target` is built under: ".<name>.partial-<this process id>"."""
    return target.with_name(f".{target.name}{PARTIAL}{os.getpid()}")


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # exists, owned by someone else
        return True
    return True


def remove_leftovers(target: Path) -> list[Path]:
    """Delete the temporary siblings of `target` left by processes that no longer run (a
    kill -9, a closed notebook); those of running processes are kept. Returns what was removed."""
    removed = []
    prefix = f".{target.name}{PARTIAL}"
    if not target.parent.is_dir():
        return removed
    for path in target.parent.iterdir():
        pid = path.name.removeprefix(prefix).split(".")[0]  # atomic_file's names end in the target's suffixes
        if path.name.startswith(prefix) and pid.isdigit() and int(pid) != os.getpid() and not _alive(int(pid)):
            shutil.rmtree(path, ignore_errors=True) if path.is_dir() else path.unlink(missing_ok=True)
            removed.append(path)
    return removed


def write_atomically(path: str | os.PathLike, text: str | bytes) -> None:
    """Write `text` (str as UTF-8, or bytes) to `path` under a temporary name in the same
    folder, flushed to disk, then renamed into place."""
    path = Path(path)
    temporary = partial_name(path)
    try:
        with open(temporary, "wb") as handle:
            handle.write(text.encode("utf-8") if isinstance(text, str) else text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)


@contextlib.contextmanager
def atomic_file(path: str | os.PathLike) -> Iterator[Path]:
    """Yield a temporary path beside `path` to write (e.g. with `model.save`); on success it is
    renamed to `path`, on any error (or interrupt) it is deleted and `path` is left as it was.
    The temporary name (".<name>.partial-<process id><suffixes>") ends in `path`'s suffixes, for
    writers that check them (".keras", ".weights.h5"); `remove_leftovers(path)` finds it."""
    path = Path(path)
    suffixes = "".join(path.suffixes)  # all of them: ".weights.h5", which Keras' save_weights checks
    temporary = path.with_name(f"{partial_name(path).name}{suffixes}")
    try:
        yield temporary
        os.replace(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)


@contextlib.contextmanager
def atomic_folder(target: str | os.PathLike, replace: bool = False) -> Iterator[Path]:
    """Yield an empty temporary folder beside `target` to build in; on success it becomes
    `target` (an existing `target` is swapped out first when replace=True, else FileExistsError),
    on any error it is deleted. Leftovers of killed processes are removed first."""
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    remove_leftovers(target)
    build = partial_name(target)
    shutil.rmtree(build, ignore_errors=True)
    build.mkdir()
    try:
        yield build
        if target.exists():
            if not replace:
                raise FileExistsError(f"{target} already exists")
            old = target.with_name(f".{target.name}.old{PARTIAL}{os.getpid()}")
            os.replace(target, old)
            shutil.rmtree(old, ignore_errors=True)
        os.replace(build, target)
    finally:
        shutil.rmtree(build, ignore_errors=True)


# ---------------------------------------------------------------------- disk space and locks
MB = 1024 * 1024
READ_ONLY = (errno.EACCES, errno.EPERM, errno.EROFS)  # what a folder one cannot write raises


class DiskFull(OSError):
    """The disk holding a folder has too little free space (before writing) or ran full (while
    writing); its message is one line saying which folder and how much to free."""

    def __init__(self, folder: str | os.PathLike, needed: int | None = None, option: str = "--workdir"):
        free = free_bytes(folder)
        amount = f"free {max(needed - free, 0) / MB:.0f} MB" if needed else "free some space"
        super().__init__(
            errno.ENOSPC,
            f"the disk holding {folder} is full ({free / MB:.0f} MB free): {amount} or use another {option}",
        )

    def __str__(self) -> str:
        return self.strerror


def free_bytes(folder: str | os.PathLike) -> int:
    """Bytes free to this user on the disk holding `folder` (its nearest existing parent)."""
    path = Path(folder).expanduser().absolute()
    while not path.exists() and path != path.parent:
        path = path.parent
    return shutil.disk_usage(path).free


def check_free_space(folder: str | os.PathLike, needed: int, option: str = "--workdir") -> None:
    """Raise DiskFull when the disk holding `folder` has fewer than `needed` bytes free."""
    if free_bytes(folder) < needed:
        raise DiskFull(folder, needed, option)


def is_disk_full(error: BaseException) -> bool:
    """True for an OSError saying the disk is full (ENOSPC, EDQUOT), also as h5py words it."""
    if not isinstance(error, OSError):
        return False
    return error.errno in (errno.ENOSPC, errno.EDQUOT) or "No space left on device" in str(error)


@contextlib.contextmanager
def disk_full_as_one_line(folder: str | os.PathLike, option: str = "--workdir") -> Iterator[None]:
    """Within this block, an OSError saying the disk is full becomes DiskFull naming `folder`."""
    try:
        yield
    except OSError as error:
        if is_disk_full(error) and not isinstance(error, DiskFull):
            raise DiskFull(folder, option=option) from None
        raise


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
