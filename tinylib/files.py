"""Nothing half-written: every file and folder the kit writes is built under a temporary name
beside its target and renamed into place, so an interrupt at any moment leaves the previous
good version (or nothing); leftovers of a killed process are recognised by its process id."""

from __future__ import annotations

import contextlib
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
        pid = path.name.removeprefix(prefix)
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
    The temporary name keeps `path`'s suffix, for writers that check it (".keras")."""
    path = Path(path)
    temporary = path.with_name(f".{path.stem}{PARTIAL}{os.getpid()}{path.suffix}")
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
