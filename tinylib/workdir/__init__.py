"""The one owner of a run's work folder: where it lives, its file names, what is in it, and
every file created, copied or removed in it (the last in `tinylib.workdir.folder`).

`tinylib.train.fit` writes a work folder through `Workdir`; the CLI, analysis, export,
predict, report, demo and plots read it through `Workdir` too, so every reader agrees on the
file names and says the same thing when a folder holds no trained model. `Workdir.named`
places one where it outlives the session (Google Drive on Colab, /kaggle/working on Kaggle):

    run.json       the run record (status, recipe, model, class ids, data, timings, val scores)
    history.csv    one row per epoch (column `epoch` first)
    recipe.json    the training recipe, to refuse resuming with another one
    trained_on.txt    the training images of a class-per-folder tree (`train.provenance`)
    best.keras     the model with the best val accuracy so far
    last.keras     the model after the last completed epoch
    backup/        weights, optimiser state and epoch of an unfinished run (resume)
    val_predictions.npz   the final model's val probabilities, plain and mirrored
    tb/            TensorBoard logs
    .lock          held by the process training into the folder (its process id inside)
    .worker-<i>/   the private copy worker i of a multi-worker run trains into (deleted after)
    report.html, summary.json, curves.png, mistakes.png, export/<format>/   what readers derive
"""

from __future__ import annotations

import csv
import io
import json
import os
from pathlib import Path

from tinylib.files import atomic_file, read_table, read_text, write_atomically
from tinylib.workdir.folder import (  # noqa: F401 (the names are the package's)
    BACKUP,
    CHECKPOINTS,
    DERIVED,
    EXPORT,
    HISTORY,
    LOCK,
    MODELS,
    PICTURES,
    RECIPE,
    REPORT,
    RUN,
    SPACE_FIX,
    SUMMARY,
    TENSORBOARD,
    TRAIN_FILES,
    VAL_PREDICTIONS,
    WORKER,
    WRITTEN,
    Folder,
    WorkdirInUse,
)


class NoTrainedModel(FileNotFoundError):
    """A work folder (or what was passed as one) holds no trained model yet."""


class IncompatibleRun(ValueError):
    """A work folder holds a run that differs from the one asked for (recipe, model, classes)."""


def _read_json(path: Path) -> dict | None:
    """A JSON record of the folder (None when missing); ValueError naming it when damaged."""
    if not path.is_file():
        return None
    try:
        return json.loads(read_text(path))
    except ValueError as error:
        raise ValueError(f"{path} is damaged ({error}): put back a good copy, or use another --workdir") from None


class Workdir(Folder):
    """A run's work folder. `Workdir(path)` never creates anything; writers call `create()`."""

    # ------------------------------------------------------------------ records
    def run(self) -> dict:
        """run.json as a dict ({} when there is none yet)."""
        return _read_json(self.run_file) or {}

    def write_run(self, run: dict) -> None:
        """Replace run.json atomically."""
        write_atomically(self.run_file, json.dumps(run, indent=2) + "\n")

    def history(self) -> list[dict]:
        """Rows of history.csv as dicts of strings, one per epoch ([] when none), also as a spreadsheet
        saves it (`files.read_table`). Raises ValueError (one line) when it has no `epoch` column."""
        rows = read_table(self.history_file) if self.history_file.is_file() else []
        if rows and "epoch" not in rows[0]:
            raise ValueError(
                f"{self.history_file} was changed by another program (its columns: {', '.join(rows[0])[:80]}, no "
                "epoch): put back the one tinylib wrote (or save it as CSV again), then run the same command again"
            )
        return rows

    def history_columns(self) -> dict[str, list[float]]:
        """history.csv as {column: float values per epoch} ({} when there is none)."""
        rows = self.history()
        return {key: [float(row[key]) for row in rows if row.get(key) not in (None, "")] for key in (rows or [{}])[0]}

    def write_history(self, rows: list[dict]) -> None:
        """Replace history.csv atomically with `rows` (columns in first-seen order)."""
        columns = list(dict.fromkeys(key for row in rows for key in row))
        buffer = io.StringIO()
        writer = csv.DictWriter(buffer, columns)
        writer.writeheader()
        writer.writerows(rows)
        write_atomically(self.history_file, buffer.getvalue())

    def recipe(self) -> dict | None:
        """recipe.json as a dict, or None when the folder has none."""
        return _read_json(self.path / RECIPE)

    def train_files(self) -> set[str] | None:
        """trained_on.txt: the relative paths of a class-folder run's training images (None when
        the run did not record them)."""
        path = self.path / TRAIN_FILES
        return set(read_text(path).splitlines()) - {""} if path.is_file() else None

    def write_train_files(self, names) -> None:
        """Write trained_on.txt atomically: one relative path (str) a line."""
        write_atomically(self.path / TRAIN_FILES, "".join(f"{name}\n" for name in names))

    def write_recipe(self, recipe_json: str) -> None:
        write_atomically(self.path / RECIPE, recipe_json.rstrip("\n") + "\n")

    def write_val_predictions(self, plain, mirrored) -> None:
        """Keep the final model's val probabilities (float32 (N, C)), plain and of the mirrored
        images, so that reports need no further pass over val."""
        import numpy as np

        with atomic_file(self.path / VAL_PREDICTIONS) as partial:
            np.savez(partial, plain=plain, mirrored=mirrored)

    def val_predictions(self):
        """(plain, mirrored) float32 (N, C) val probabilities of the final model, or None."""
        import numpy as np

        path = self.path / VAL_PREDICTIONS
        if not path.is_file():
            return None
        with np.load(path) as stored:
            return stored["plain"], stored["mirrored"]

    # ------------------------------------------------------------------ models
    def model_path(self, which: str) -> Path:
        """Where `which` ("best" or "last") is saved, whether or not it exists yet."""
        if which not in MODELS:
            raise ValueError(f"which must be 'best' or 'last', got {which!r}")
        return self.path / MODELS[which]

    def model_file(self, which: str = "best") -> Path:
        """The saved model `which` ("best" or "last"), falling back to last.keras when there is
        no best.keras yet. Raises NoTrainedModel when the folder holds neither."""
        self.model_path(which)  # validates `which`
        for name in dict.fromkeys((MODELS[which], MODELS["last"])):
            if (self.path / name).is_file():
                return self.path / name
        if not self.path.is_dir():
            raise NoTrainedModel(f"no work folder at {self.path}: pass the folder `tinylib train --workdir` wrote")
        raise NoTrainedModel(
            f"no trained model (best.keras or last.keras) in {self.path}: "
            f"train first: tinylib train --workdir {self.path} (or pass the folder that `tinylib train` wrote)"
        )

    def load_model(self, which: str = "best"):
        """The Keras model `which` ("best" or "last"), without its optimiser (compile=False).
        Raises NoTrainedModel (see `model_file`), or ValueError naming the file when it is damaged
        or was saved by another Keras version than the one installed (naming both)."""
        import keras

        from tinylib.models.saved import saved_by_keras

        path = self.model_file(which)
        try:
            return keras.saving.load_model(path, compile=False)
        except (OSError, ValueError, KeyError, EOFError, TypeError) as error:
            cause, saved_by = f"{type(error).__name__}: {' '.join(str(error).split())[:160]}", saved_by_keras(path)
            why = (f"was saved by Keras {saved_by} and cannot be loaded by the Keras {keras.__version__} installed "
                   f"here ({cause}): install Keras {saved_by} (pip install keras=={saved_by})")  # fmt: skip
            if saved_by in (None, keras.__version__):
                why = f"exists but cannot be loaded ({cause}); it is damaged: delete it (or the folder) and train again"
            raise ValueError(f"{path} {why}") from None

    # ------------------------------------------------------------------ dataset
    def dataset_root(self) -> Path | None:
        """The dataset root the run trained on (run.json "data"), or None when unknown."""
        data = self.run().get("data")
        return Path(data) if data else None

    def class_ids(self) -> tuple[str, ...] | None:
        """The class ids (WordNet ids) of the run's outputs, in output order, when recorded."""
        ids = self.run().get("class_ids")
        return tuple(ids) if ids else None

    def class_labels(self, data: str | os.PathLike | None = None) -> tuple[tuple[str, ...], tuple[str, ...]]:
        """(names, wnids) of the run's outputs, in output order, read from `data` (a dataset
        root) or else from the dataset the run trained on. Raises FileNotFoundError when
        neither is known, IncompatibleRun when `data` holds other classes than the run's."""
        from tinylib.data import read_layout

        root = Path(data) if data is not None else self.dataset_root()
        if root is None:
            raise FileNotFoundError(
                f"no dataset named in {self.run_file}, so the class names are unknown: pass --data ROOT"
            )
        if data is None and not root.is_dir():
            raise FileNotFoundError(
                f"the dataset this run trained on ({root}) is gone, so the class names are unknown: "
                "pass --data ROOT (a dataset with the same classes)"
            )
        info = read_layout(root)
        order = self.class_order(info.wnids)
        return tuple(info.names[i] for i in order), tuple(info.wnids[i] for i in order)

    def class_order(self, wnids: tuple[str, ...] | list[str]) -> list[int]:
        """For a dataset whose classes are `wnids`: the dataset's class index of each of the
        run's outputs (identity when the run recorded no class ids or the order is the same).
        Raises IncompatibleRun when the dataset holds other classes than the run's."""
        recorded = self.class_ids()
        if recorded is None or tuple(recorded) == tuple(wnids):
            return list(range(len(wnids)))
        if set(recorded) != set(wnids):
            extra, missing = sorted(set(wnids) - set(recorded)), sorted(set(recorded) - set(wnids))
            raise IncompatibleRun(
                f"this dataset's classes differ from the ones {self.path} was trained on "
                f"({len(missing)} missing, e.g. {missing[:3]}; {len(extra)} extra, e.g. {extra[:3]}): "
                "pass a dataset with the same wnids.txt"
            )
        position = {wnid: index for index, wnid in enumerate(wnids)}
        return [position[wnid] for wnid in recorded]

    # ------------------------------------------------------------------ state
    @property
    def finished(self) -> bool:
        """True when the run completed every planned epoch and last.keras exists."""
        run = self.run()
        complete = run.get("status") == "complete" and run.get("epochs_done") == run.get("epochs_planned")
        return complete and self.model_path("last").is_file()

    def check_compatible(self, recipe: dict, model_name: str) -> None:
        """Raise IncompatibleRun when the folder holds a run of another recipe (recipe.json)
        or another model (run.json), with one line saying what to do."""
        saved = self.recipe()
        if saved is not None and saved != recipe:
            changed = sorted(key for key in {*saved, *recipe} if saved.get(key) != recipe.get(key))
            raise IncompatibleRun(
                f"{self.path} holds a run with another recipe (differs in: {', '.join(changed)}); "
                "use another --workdir, or delete this one to start over"
            )
        model = self.run().get("model")
        if model is not None and model != model_name:
            raise IncompatibleRun(
                f"{self.path} holds a run of {model}, not {model_name}; "
                "use another --workdir, or delete this one to start over"
            )
