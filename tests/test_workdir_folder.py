"""The work folder whole: where `Workdir.named` puts one, and every file created, copied or
removed in it (worker copies, backup, free space, derived names) done by `Workdir`."""

import errno

import pytest

from tinylib import config, files
from tinylib.workdir import PICTURES, Workdir


def _run_folder(tmp_path) -> Workdir:
    workdir = Workdir(tmp_path / "run").create()
    workdir.write_history([{"epoch": 0, "loss": 1.5}])
    workdir.write_recipe('{"name": "demo"}')
    workdir.write_run({"status": "paused"})
    workdir.backup_dir.mkdir()
    (workdir.backup_dir / "latest.weights.h5").write_bytes(b"weights")
    return workdir


def test_named_is_under_the_local_root_here_and_created(tmp_path, monkeypatch):
    for name in ("KAGGLE_KERNEL_RUN_TYPE", "KAGGLE_URL_BASE", "COLAB_RELEASE_TAG"):
        monkeypatch.delenv(name, raising=False)
    workdir = Workdir.named("03-baseline-quick", local_root=tmp_path / "runs")
    assert isinstance(workdir, Workdir) and workdir.path == tmp_path / "runs" / "03-baseline-quick"
    assert workdir.path.is_dir() and not any(workdir.path.iterdir())
    monkeypatch.setenv("KAGGLE_KERNEL_RUN_TYPE", "Interactive")
    monkeypatch.setattr(config, "KAGGLE_WORKING", tmp_path / "kaggle")
    assert Workdir.named("x").path == tmp_path / "kaggle" / "runs" / "x"


def test_worker_copy_is_the_folder_itself_on_the_chief(tmp_path):
    workdir = _run_folder(tmp_path)
    with workdir.worker_copy(None) as folder:
        assert folder is workdir


def test_worker_copy_holds_history_recipe_and_backup_and_is_deleted_after(tmp_path):
    workdir = _run_folder(tmp_path)
    with workdir.worker_copy(1) as folder:
        assert folder.path == workdir.path / ".worker-1"
        assert folder.history() == workdir.history() and folder.recipe() == {"name": "demo"}
        assert (folder.backup_dir / "latest.weights.h5").read_bytes() == b"weights"
        assert folder.run() == {}  # the run record stays the chief's
        (folder.backup_dir / "latest.weights.h5").write_bytes(b"the worker's own")
    assert not folder.path.exists()
    assert (workdir.backup_dir / "latest.weights.h5").read_bytes() == b"weights"
    assert sorted(p.name for p in workdir.path.iterdir()) == ["backup", "history.csv", "recipe.json", "run.json"]


def test_a_stale_worker_copy_is_replaced_not_resumed(tmp_path):
    workdir = _run_folder(tmp_path)
    stale = workdir.path / ".worker-2"
    stale.mkdir()
    (stale / "history.csv").write_text("epoch,loss\n0,9\n1,9\n")
    with workdir.worker_copy(2) as folder:
        assert [row["loss"] for row in folder.history()] == ["1.5"]


def test_remove_backup_keeps_the_records(tmp_path):
    workdir = _run_folder(tmp_path)
    workdir.remove_backup()
    workdir.remove_backup()  # nothing to remove: no error
    assert not workdir.backup_dir.exists() and workdir.run() == {"status": "paused"}


def test_free_space_and_a_full_disk_are_one_line_naming_the_folder(tmp_path, monkeypatch):
    workdir = _run_folder(tmp_path)
    monkeypatch.setattr(files, "free_bytes", lambda folder: 5 * files.MB)
    with pytest.raises(files.NotEnoughSpaceError) as caught:
        workdir.check_free_space(10 * files.MB)
    assert str(workdir.path) in str(caught.value) and "use another --workdir" in str(caught.value)
    with pytest.raises(files.NotEnoughSpaceError, match="the checkpoints of this run"):
        with workdir.disk_full_as_one_line():
            raise OSError(errno.ENOSPC, "No space left on device")


def test_derived_names_come_from_the_workdir(tmp_path):
    workdir = Workdir(tmp_path)
    assert workdir.run_file == tmp_path / "run.json" and workdir.report_file == tmp_path / "report.html"
    assert workdir.summary_file == tmp_path / "summary.json"
    assert workdir.export_dir("tflite") == tmp_path / "export" / "tflite"
    assert [workdir.picture_file(name).name for name in PICTURES] == ["curves.png", "mistakes.png"]
    with pytest.raises(ValueError, match="picture must be one of curves.png, mistakes.png"):
        workdir.picture_file("cat.png")
