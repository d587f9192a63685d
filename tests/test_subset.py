"""`tinylib data subset` and $TINYLIB_DATASET: real data at laptop size, in the official layout."""

from __future__ import annotations

import os
import zipfile
from pathlib import Path

import numpy as np
import pytest
from conftest import SHARED_DATA

from tinylib import config
from tinylib.cli import main
from tinylib.data import dataset_for_profile, read_layout, verify
from tinylib.data.subset import make_subset
from tinylib.files import read_fields

# ../shared/data beside the checkout; TINYLIB_SHARED_DATA where a checkout sits elsewhere
REAL = Path(os.environ.get("TINYLIB_SHARED_DATA") or SHARED_DATA)


def _boxes(root: Path) -> dict[str, list[str]]:
    """file name -> its annotation fields, from every boxes file and val_annotations.txt."""
    lines = [*root.glob("train/*/*_boxes.txt"), root / "val" / "val_annotations.txt"]
    return {fields[0]: fields[1:] for path in lines for fields in read_fields(path)}


def test_subset_keeps_the_layout_boxes_and_annotations_of_its_source(synthetic_root, tmp_path):
    out = make_subset(synthetic_root, tmp_path / "sub", classes=3, train_per_class=5, val_per_class=2, progress=False)
    source, subset = read_layout(synthetic_root), read_layout(out)
    assert subset.layout == "official" and subset.num_classes == 3
    assert [source.wnids.index(w) for w in subset.wnids] == sorted(source.wnids.index(w) for w in subset.wnids)
    assert np.bincount(subset.train_labels).tolist() == [5, 5, 5]
    assert np.bincount(subset.val_labels).tolist() == [2, 2, 2]
    assert len(subset.test_files) == min(6, len(source.test_files))
    assert subset.names == tuple(source.names[source.wnids.index(w)] for w in subset.wnids)
    original = _boxes(synthetic_root)
    for name, fields in _boxes(out).items():
        assert fields == original[name], name  # the same box (and val class) as in the source
    for path in subset.train_files + subset.val_files:
        twin = next(p for p in source.train_files + source.val_files if p.name == path.name)
        assert path.read_bytes() == twin.read_bytes()
    assert verify(out, progress=False).ok


def test_subset_is_the_same_for_the_same_seed_and_differs_for_another(synthetic_root, tmp_path):
    sizes = {"classes": 2, "train_per_class": 3, "val_per_class": 2, "progress": False}
    names = [
        [p.name for p in read_layout(make_subset(synthetic_root, tmp_path / f"s{i}", **sizes, seed=seed)).train_files]
        for i, seed in enumerate((1, 1, 2))
    ]
    assert names[0] == names[1] and names[0] != names[2]


def test_subset_refuses_impossible_sizes_and_an_existing_folder(synthetic_root, tmp_path, capsys):
    with pytest.raises(ValueError, match="has 4 classes, fewer than the 5 asked for: ask for at most 4"):
        make_subset(synthetic_root, tmp_path / "a", classes=5, train_per_class=1, val_per_class=1, progress=False)
    with pytest.raises(ValueError, match="fewer than the 13 asked for: ask for at most 12 with --train-per-class"):
        make_subset(synthetic_root, tmp_path / "a", classes=2, train_per_class=13, val_per_class=1, progress=False)
    assert list(tmp_path.iterdir()) == []  # nothing half-written left beside the target
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "keep.txt").write_text("mine")
    code = main(
        ["data", "subset", str(synthetic_root), str(tmp_path / "mine"), "--classes", "1"]
        + ["--train-per-class", "1", "--val-per-class", "1", "--quiet"]
    )
    error = capsys.readouterr().err
    assert code == 2 and error.count("\n") == 1 and "already exists and was left as it is" in error
    assert (tmp_path / "mine" / "keep.txt").read_text() == "mine"


@pytest.mark.parametrize("name", ["tiny-imagenet-20.zip", "tiny-imagenet-200-mini.zip"])
def test_subset_command_cuts_a_verified_subset_from_a_real_zip(name, tmp_path, capsys):
    zip_path = REAL / name
    if not zip_path.is_file():
        pytest.skip(f"{zip_path} not found (only present on the project's machines)")
    out = tmp_path / "real-subset"
    argv = ["data", "subset", str(zip_path), str(out), "--classes", "5", "--train-per-class", "8"]
    assert main([*argv, "--val-per-class", "4", "--seed", "3", "--quiet"]) == 0
    assert "classes=5, train=40, val=20" in capsys.readouterr().out
    subset = read_layout(out)
    assert verify(out, progress=False).ok and len(subset.words) == 5
    with zipfile.ZipFile(zip_path) as archive:  # every image byte for byte from the official release
        members = {Path(m).name: m for m in archive.namelist()}
        for path in subset.train_files[:3] + subset.val_files[:3]:
            assert path.read_bytes() == archive.read(members[path.name])


def test_dataset_setting_points_every_notebook_at_one_folder_or_zip(synthetic_root, tmp_path, monkeypatch):
    monkeypatch.setenv(config.DATASET_ENV, str(synthetic_root))
    assert dataset_for_profile(config.profile("full"), progress=False) == synthetic_root
    archive = tmp_path / "tiny-mine.zip"
    with zipfile.ZipFile(archive, "w") as writer:
        for file in sorted(synthetic_root.rglob("*")):
            if file.is_file() and "packed" not in file.relative_to(synthetic_root).parts:
                writer.write(file, f"tiny-mine/{file.relative_to(synthetic_root).as_posix()}")
    monkeypatch.setenv(config.DATA_ENV, str(tmp_path / "data"))
    monkeypatch.setenv(config.DATASET_ENV, str(archive))
    root = dataset_for_profile(config.profile("quick"), progress=False)
    assert root == tmp_path / "data" / "tiny-mine" and read_layout(root).num_classes == 4
    monkeypatch.setenv(config.DATASET_ENV, str(tmp_path / "nowhere"))
    with pytest.raises(FileNotFoundError, match="neither a folder nor a .zip"):
        dataset_for_profile(progress=False)
