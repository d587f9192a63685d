"""What a run trained on (data, classes, training files, model), so that one work folder never mixes two.

`fit` records it in run.json before the first epoch (status "started") and, for a
class-per-folder tree, the training files in trained_on.txt. Continuing the run with other
data or another model is then refused in one line naming what differs, before anything is
written; scoring it on a val set that now holds some of its training files (photos added,
removed or moved since) is refused too, since its scores would be inflated.
"""

from __future__ import annotations

from tinylib.data.arrays import TrainingData
from tinylib.workdir import IncompatibleRun, Workdir

START_OVER = "use another --workdir, or delete this one to start over"


def _classes(ids) -> str:
    return f"{len(ids)} classes ({', '.join(list(ids)[:3])}{', ...' if len(ids) > 3 else ''})"


def differences(recorded: dict, data: dict, model: dict) -> list[str]:
    """What differs between a run's record (run.json) and the data and model about to continue
    it: phrases like "the data: 10 classes (a, b, c, ...), now 20 classes (...)"; [] when the
    same (or when the record does not say). data: `TrainingData.record()`; model: {"model":
    name, "parameters": count}."""
    found = []
    before, now = recorded.get("class_ids"), data.get("class_ids")
    if before and now and list(before) != list(now):
        found.append(f"the classes: {_classes(before)}, now {_classes(now)}")
    elif recorded.get("train_images") not in (None, data["train_images"]):
        found.append(f"the training images: {recorded['train_images']:,}, now {data['train_images']:,}")
    elif recorded.get("train_sha256") not in (None, data["train_sha256"]):
        found.append(f"the training images: the same number ({data['train_images']:,}) but other files or labels")
    for key, what in (("model", "the model"), ("parameters", "the model's parameter count")):
        if recorded.get(key) not in (None, model[key]):
            found.append(f"{what}: {recorded[key]}, now {model[key]}")
    return found


def check_continuation(workdir: Workdir, data: TrainingData, model_name: str, parameters: int) -> None:
    """Raise IncompatibleRun (one line) when `workdir` holds a run of other data (classes,
    training images) or another model (name, parameter count) than these."""
    recorded = workdir.run()
    found = differences(recorded, data.record(), {"model": model_name, "parameters": parameters})
    if found:
        where = f" on {recorded['data']}" if recorded.get("data") else ""
        raise IncompatibleRun(
            f"{workdir.path} holds a run{where} that differs in {'; '.join(found)}: to continue it, pass the "
            f"same --data and --model; otherwise {START_OVER}"
        )


def record_start(workdir: Workdir, data: TrainingData, model_name: str, parameters: int) -> None:
    """Write run.json (status "started": the data and model) when the folder has none yet, and
    the training files of a class-per-folder tree (trained_on.txt, one relative path a line)."""
    if not workdir.run():
        workdir.write_run({"status": "started", "model": model_name, "parameters": parameters, **data.record()})
    if data.train_files and workdir.train_files() is None:
        workdir.write_train_files(data.train_files)


def check_val_is_unseen(workdir: Workdir, data: TrainingData) -> None:
    """Raise IncompatibleRun (one line) when val images of `data` were training images of the
    run in `workdir` (files added, removed or moved since it trained): its scores would be
    inflated. Nothing is checked when either side does not know its files."""
    seen = workdir.train_files()
    if not seen or not data.val_files or data.source != workdir.run().get("data", data.source):
        return
    leaked = [name for name in data.val_files if name in seen]
    if leaked:
        raise IncompatibleRun(
            f"{len(leaked)} of the {len(data.val_files)} val images of {data.source} were training images of the "
            f"run in {workdir.path} (e.g. {leaked[0]}; the folder changed since it trained), so its scores would be "
            "inflated: score it on a val/ folder of new images, or train a new run on the folder as it is now"
        )
