"""Where a work folder lives, the names of its files, and every file created, copied or
removed in it (lock, worker copies, leftovers of killed saves, backup, free space, clearing);
`tinylib.workdir.Workdir` adds reading and writing the records and models on top."""

from __future__ import annotations

import contextlib
import os
import shutil
from collections.abc import Iterator
from pathlib import Path

from tinylib import config, files
from tinylib.files import Locked, exclusive_lock, remove_leftovers

RUN, HISTORY, RECIPE = "run.json", "history.csv", "recipe.json"
MODELS = {"best": "best.keras", "last": "last.keras"}
BACKUP, TENSORBOARD = "backup", "tb"
VAL_PREDICTIONS = "val_predictions.npz"
LOCK, WORKER = ".lock", ".worker-{}"
REPORT, SUMMARY, EXPORT = "report.html", "summary.json", "export"
PICTURES = ("curves.png", "mistakes.png")
DERIVED = (SUMMARY, REPORT, *PICTURES)
TRAIN_FILES = "trained_on.txt"  # the training images of a class-per-folder tree (`train.provenance`)
# Every file training and its readers write at the top of the folder.
WRITTEN = (RUN, HISTORY, RECIPE, TRAIN_FILES, VAL_PREDICTIONS, *MODELS.values(), *DERIVED)
# How a full disk is told: what could not be saved, and what to do.
CHECKPOINTS, SPACE_FIX = "the checkpoints of this run", "free some space, or use another --workdir"


class WorkdirInUse(RuntimeError):
    """Another process (another `tinylib train`) is training into the same work folder."""


class Folder:
    """A work folder's place and upkeep (the base of `tinylib.workdir.Workdir`, which is what
    callers use). `Folder(path)` never creates anything; writers call `create()`."""

    def __init__(self, path: str | os.PathLike):
        self.path = Path(path).expanduser()

    @classmethod
    def named(cls, name: str, local_root: str | os.PathLike = "runs") -> Folder:
        """The work folder `name` where it outlives the session, created if needed: on Colab
        MyDrive/tinylib/runs/<name> (Google Drive is mounted; it asks for permission once), on
        Kaggle /kaggle/working/runs/<name> (kept with the notebook's output), else <local_root>/<name>."""
        config.mount_drive()  # on Colab only; asks for permission once
        root = config.work_places()[0] if config.platform() != "local" else Path(local_root)
        return cls(root / name).create()

    def __repr__(self) -> str:
        return f"Workdir({str(self.path)!r})"

    def __fspath__(self) -> str:
        return str(self.path)

    def __str__(self) -> str:  # the path, as for a pathlib.Path (f-strings, command lines, messages)
        return str(self.path)

    def __truediv__(self, name: str) -> Path:
        return self.path / name

    @property
    def backup_dir(self) -> Path:
        return self.path / BACKUP

    @property
    def tensorboard_dir(self) -> Path:
        return self.path / TENSORBOARD

    @property
    def history_file(self) -> Path:
        return self.path / HISTORY

    @property
    def run_file(self) -> Path:
        return self.path / RUN

    @property
    def report_file(self) -> Path:
        return self.path / REPORT

    @property
    def summary_file(self) -> Path:
        return self.path / SUMMARY

    def picture_file(self, name: str) -> Path:
        """Where the picture `name` (one of PICTURES) is saved. Raises ValueError for another name."""
        if name not in PICTURES:
            raise ValueError(f"picture must be one of {', '.join(PICTURES)}; got {name!r}")
        return self.path / name

    def export_dir(self, format: str) -> Path:
        """The default folder of an export in `format` (tinylib.export.FORMATS)."""
        return self.path / EXPORT / format

    def create(self) -> Folder:
        """Make the folder (and its parents) if missing; returns self."""
        self.path.mkdir(parents=True, exist_ok=True)
        return self

    @contextlib.contextmanager
    def lock(self) -> Iterator[Folder]:
        """Hold the folder for one writer (created if missing) for the block: WORKDIR/.lock,
        locked with the OS (released when the process ends, even by kill -9, so a dead
        process's lock is taken over). Raises WorkdirInUse, one line naming the process that
        holds it, when another process (or another `lock()` in this one) is writing the folder."""
        self.create()
        with contextlib.ExitStack() as held:
            try:
                held.enter_context(exclusive_lock(self.path / LOCK))
            except Locked as error:
                owner = error.owner if error.owner is not None else "?"
                raise WorkdirInUse(
                    f"{self.path} is in use by process {owner} (another tinylib train); "
                    "wait for it or use another --workdir"
                ) from None
            yield self

    def remove_leftovers(self) -> list[Path]:
        """Delete the half-written files that processes killed while saving left beside the
        folder's records, models and backup (those of running processes are kept); returns them."""
        backup = (self.backup_dir / "latest.weights.h5", self.backup_dir / "training_metadata.json")
        targets = (*(self.path / name for name in WRITTEN), *backup)
        return [path for target in targets for path in remove_leftovers(target.parent, target.name)]

    def check_free_space(self, needed: int) -> None:
        """Raise files.NotEnoughSpaceError (one line) when the folder's disk has less than
        `needed` bytes free (plus `files.check_free_space`'s margin)."""
        files.check_free_space(self.path, needed, CHECKPOINTS, SPACE_FIX)

    def disk_full_as_one_line(self) -> contextlib.AbstractContextManager:
        """A block in which a full disk while saving into the folder is one NotEnoughSpaceError line."""
        return files.disk_full_as_one_line(self.path, CHECKPOINTS, SPACE_FIX)

    def remove_backup(self) -> None:
        """Delete backup/ (a completed run needs it no more)."""
        shutil.rmtree(self.backup_dir, ignore_errors=True)

    @contextlib.contextmanager
    def worker_copy(self, index: int | None) -> Iterator[Folder]:
        """The folder worker `index` of a multi-worker run trains into: this one for the chief
        (None); for another worker a fresh private .worker-<index> seeded with the history,
        recipe and backup (so it resumes from the same epoch), deleted when the block ends."""
        if index is None:
            yield self
            return
        private = self.path / WORKER.format(index)
        with files.atomic_folder(private, replace=True) as build:
            for name in (HISTORY, RECIPE):
                if (self.path / name).is_file():
                    shutil.copy2(self.path / name, build / name)
            if self.backup_dir.is_dir():
                shutil.copytree(self.backup_dir, build / BACKUP)
        try:
            yield type(self)(private)
        finally:
            shutil.rmtree(private, ignore_errors=True)

    def clear(self, keep: tuple[str, ...] = ()) -> None:
        """Delete what training wrote (records, models, backup, TensorBoard logs), keeping the
        folder itself, other files and the names in `keep`."""
        for name in WRITTEN:
            if name not in keep:
                (self.path / name).unlink(missing_ok=True)
        for name in (BACKUP, TENSORBOARD):
            if name not in keep:
                shutil.rmtree(self.path / name, ignore_errors=True)
