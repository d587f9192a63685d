"""Workdir: the one owner of a run folder; every reader gets the same answers and messages."""

import json

import numpy as np
import pytest

from tinylib.files import write_atomically
from tinylib.workdir import IncompatibleRun, NoTrainedModel, Workdir


def test_no_trained_model_is_one_message_for_every_reader(tmp_path):
    with pytest.raises(NoTrainedModel, match=r"no trained model \(best.keras or last.keras\) in .*tinylib train"):
        Workdir(tmp_path).model_file()
    with pytest.raises(NoTrainedModel, match="no work folder at"):
        Workdir(tmp_path / "missing").load_model()
    with pytest.raises(ValueError, match="which must be 'best' or 'last'"):
        Workdir(tmp_path).model_file("middle")


def test_best_falls_back_to_last_and_a_damaged_file_is_named(tmp_path):
    (tmp_path / "last.keras").write_bytes(b"")
    assert Workdir(tmp_path).model_file("best") == tmp_path / "last.keras"
    (tmp_path / "best.keras").write_bytes(b"PK\x03\x04 cut short")
    with pytest.raises(ValueError, match=r"best.keras exists but cannot be loaded .* damaged"):
        Workdir(tmp_path).load_model()


def test_write_atomically_leaves_the_old_file_when_writing_fails(tmp_path, monkeypatch):
    path = tmp_path / "run.json"
    write_atomically(path, '{"status": "complete"}')

    def broken_fsync(descriptor):
        raise KeyboardInterrupt  # as if Ctrl-C arrived while the new file was being written

    monkeypatch.setattr("os.fsync", broken_fsync)
    with pytest.raises(KeyboardInterrupt):
        write_atomically(path, '{"status": "paus')
    assert json.loads(path.read_text()) == {"status": "complete"}
    assert [p.name for p in tmp_path.iterdir()] == ["run.json"]  # no temporary file left behind


def test_history_round_trip_and_columns(tmp_path):
    workdir = Workdir(tmp_path)
    assert workdir.history() == [] and workdir.history_columns() == {}
    workdir.write_history([{"epoch": 0, "loss": 1.5}, {"epoch": 1, "loss": 1.25, "val_loss": 1.4}])
    assert [row["epoch"] for row in workdir.history()] == ["0", "1"]
    assert workdir.history_columns()["loss"] == [1.5, 1.25]


def test_class_order_maps_by_id_and_refuses_other_classes(tmp_path):
    workdir = Workdir(tmp_path)
    assert workdir.class_order(("a", "b", "c")) == [0, 1, 2]  # nothing recorded: taken as is
    workdir.write_run({"class_ids": ["a", "b", "c"]})
    assert workdir.class_order(("a", "b", "c")) == [0, 1, 2]
    order = workdir.class_order(("c", "a", "b"))  # output i of the run is dataset class order[i]
    assert [("c", "a", "b")[i] for i in order] == ["a", "b", "c"]
    labels = np.array([0, 1, 2])  # dataset labels of c, a, b
    assert np.argsort(order)[labels].tolist() == [2, 0, 1]  # the run's outputs for c, a, b
    with pytest.raises(IncompatibleRun, match="classes differ from the ones"):
        workdir.class_order(("a", "b", "x"))


def test_check_compatible_names_what_differs(tmp_path):
    workdir = Workdir(tmp_path)
    workdir.write_recipe(json.dumps({"name": "demo", "epochs": 3}))
    workdir.write_run({"model": "resnet10_w8"})
    workdir.check_compatible({"name": "demo", "epochs": 3}, "resnet10_w8")
    with pytest.raises(IncompatibleRun, match=r"another recipe \(differs in: epochs\)"):
        workdir.check_compatible({"name": "demo", "epochs": 4}, "resnet10_w8")
    with pytest.raises(IncompatibleRun, match="holds a run of resnet10_w8, not resnet18_w64; use another --workdir"):
        workdir.check_compatible({"name": "demo", "epochs": 3}, "resnet18_w64")


def test_finished_and_clear(tmp_path):
    workdir = Workdir(tmp_path)
    workdir.write_run({"status": "complete", "epochs_done": 2, "epochs_planned": 2})
    assert not workdir.finished  # no last.keras
    (tmp_path / "last.keras").write_bytes(b"x")
    (tmp_path / "notes.txt").write_text("mine")
    workdir.backup_dir.mkdir()
    assert workdir.finished
    workdir.clear()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes.txt"]
