"""Class-folder trees as users keep them: a split that does not move when photos are added or
removed, a run that refuses a val set holding its training files, and trees read wrongly
before (issue 24, cases 2 and 8)."""

from __future__ import annotations

import shutil

import numpy as np
import pytest
from PIL import Image

from tinylib.cli import main
from tinylib.data import LayoutError, read_folder_layout
from tinylib.data.arrays import TrainingData
from tinylib.data.folders import DECODED, SUFFIXES


def _image(path, colour, size=(16, 12)):
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.new("RGB", size, colour).save(path)


def _tree(top, counts: dict[str, int], start: int = 0) -> None:
    for k, (name, count) in enumerate(counts.items()):
        for i in range(start, start + count):
            _image(top / name / f"img_{i}.png", (40 * k % 256, 255 - 60 * k % 256, 30 * i % 256))


def _splits(info) -> dict[str, str]:
    return {
        **{path.relative_to(info.root).as_posix(): "train" for path in info.train_files},
        **{path.relative_to(info.root).as_posix(): "val" for path in info.val_files},
    }


def test_the_split_of_a_file_does_not_move_when_photos_are_added_or_removed(tmp_path):
    _tree(tmp_path, {"cat": 30, "dog": 30})
    before = _splits(read_folder_layout(tmp_path))
    assert 6 <= list(before.values()).count("val") <= 18  # about 20 % of 60 by hash
    _tree(tmp_path, {"cat": 5, "dog": 5}, start=30)
    for name in ("cat/img_0.png", "dog/img_7.png", "dog/img_12.png"):
        (tmp_path / name).unlink()
    after = _splits(read_folder_layout(tmp_path))
    kept = set(before) & set(after)
    assert len(kept) == 57 and {name: after[name] for name in kept} == {name: before[name] for name in kept}
    moved = tmp_path.parent / "moved"  # the same photos in another place: the same split
    shutil.copytree(tmp_path, moved)
    assert set(_splits(read_folder_layout(moved)).items()) == set(after.items())


def test_a_class_with_two_or_more_images_keeps_one_in_val_and_one_in_train(tmp_path):
    _tree(tmp_path, {"a": 2, "b": 3, "c": 1})
    info = read_folder_layout(tmp_path)
    assert np.bincount(info.val_labels, minlength=3).tolist() == [1, 1, 0]
    assert np.bincount(info.train_labels, minlength=3).tolist() == [1, 2, 1]


@pytest.fixture
def trained_folder(tmp_path):
    """A class-folder tree and a work folder whose run recorded its training files, with a model."""
    import keras

    from tinylib.models import resnet10
    from tinylib.train import provenance
    from tinylib.workdir import Workdir

    root = tmp_path / "photos"
    _tree(root, {"cat": 10, "dog": 10})
    data = TrainingData.from_root(root, progress=False)
    workdir = Workdir(tmp_path / "run").create()
    keras.utils.set_random_seed(0)
    model = resnet10(width=8, stem="imagenet", num_classes=2)
    provenance.record_start(workdir, data, model.name, model.count_params())
    model.save(workdir.model_path("best"))
    return root, workdir, data


def test_scoring_a_run_on_a_val_set_that_holds_its_training_files_is_refused(trained_folder, capsys):
    root, workdir, data = trained_folder
    assert (workdir / "trained_on.txt").read_text().splitlines() == list(data.train_files)
    assert all(name.split("/")[0] in ("cat", "dog") for name in data.train_files)
    assert main(["evaluate", str(workdir.path)]) == 0  # the folder as it was trained on
    for name in data.train_files[:2] + data.train_files[-1:]:  # 2 cat and 1 dog training photos moved to val/
        (root / "val" / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.move(root / name, root / "val" / name)
    capsys.readouterr()
    for command in (["evaluate", str(workdir.path)], ["report", str(workdir.path), "--quiet"]):
        assert main(command) == 2
        error = capsys.readouterr().err.split("\r")[-1]  # after the packing bar
        line = error[error.index("tinylib: error: ") :]
        assert line.startswith(f"tinylib: error: 3 of the 3 val images of {root.resolve()} were training images "
                               f"of the run in {workdir.path} (e.g. {data.train_files[0]};")  # fmt: skip
        assert line.count("\n") == 1 and "Traceback" not in error
    assert not (workdir / "report.html").exists()


def test_a_folder_passed_one_level_too_high_is_refused_as_one_class(tmp_path, capsys):
    _tree(tmp_path / "animals", {"cat": 3, "dog": 3})
    with pytest.raises(LayoutError) as refused:
        read_folder_layout(tmp_path)
    assert str(refused.value) == (
        f"{tmp_path} holds only one class folder (animals), and a classifier needs at least 2: if "
        f"{tmp_path / 'animals'} holds your class folders, pass that folder; else add a folder per class"
    )
    assert main(["data", "info", str(tmp_path)]) == 2
    assert capsys.readouterr().err == f"tinylib: error: {refused.value}\n"
    assert read_folder_layout(tmp_path / "animals").names == ("cat", "dog")


def test_every_suffix_pillow_decodes_is_read_and_heic_is_listed_with_the_reason(tmp_path):
    _tree(tmp_path, {"dog": 3})
    (tmp_path / "cat").mkdir()
    for i in range(3):  # a class made only of .jfif photos
        Image.new("RGB", (16, 12), (9, 9, 9 * i)).save(tmp_path / "cat" / f"p{i}.jfif", "JPEG")
    (tmp_path / "dog" / "IMG_0001.HEIC").write_bytes(b"\0\0\0\x18ftypheic" + b"\0" * 40)
    if ".avif" in DECODED:
        Image.new("RGB", (16, 12), (1, 2, 3)).save(tmp_path / "dog" / "new.avif")
    info = read_folder_layout(tmp_path)
    assert info.names == ("cat", "dog") and ".jfif" in DECODED and ".heic" in SUFFIXES
    every = {path.name for path in info.train_files + info.val_files}
    assert {"p0.jfif", "p1.jfif", "p2.jfif"} <= every and ("new.avif" in every) == (".avif" in DECODED)
    assert [(path.name, reason) for path, reason in info.skipped] == [
        (
            "IMG_0001.HEIC",
            ".HEIC is not decoded by this Pillow: convert such photos to JPEG (or pip install pillow-heif)",
        )
    ]


def test_a_valid_folder_is_read_as_val(tmp_path):
    _tree(tmp_path / "train", {"cat": 4, "dog": 4})
    _tree(tmp_path / "valid", {"cat": 2, "dog": 1})
    info = read_folder_layout(tmp_path)
    assert info.names == ("cat", "dog") and np.bincount(info.val_labels).tolist() == [2, 1]
    assert all(path.parts[-3] == "valid" for path in info.val_files) and len(info.train_files) == 8


def test_an_empty_val_folder_is_one_clear_line(tmp_path):
    _tree(tmp_path, {"cat": 4, "dog": 4})
    (tmp_path / "val").mkdir()
    with pytest.raises(LayoutError, match=r"val holds no class folders with images \(like .*val/cat/photo1.jpg\): add "
                       r"them, or remove the empty val/ folder to draw val from the training images$"):  # fmt: skip
        read_folder_layout(tmp_path)


def test_a_dangling_link_is_listed_and_skipped_and_a_linked_folder_is_followed(tmp_path, capsys):
    root = tmp_path / "photos"
    _tree(root, {"cat": 4, "dog": 4})
    (root / "cat" / "gone.jpg").symlink_to(tmp_path / "deleted.jpg")
    _tree(tmp_path / "elsewhere", {"more": 3})
    (root / "dog" / "more").symlink_to(tmp_path / "elsewhere" / "more", target_is_directory=True)
    (root / "dog" / "more" / "loop").symlink_to(root / "dog", target_is_directory=True)  # followed once, no loop
    info = read_folder_layout(root)
    every = sorted(path.relative_to(root).as_posix() for path in info.train_files + info.val_files)
    assert every == [*(f"cat/img_{i}.png" for i in range(4)), *(f"dog/img_{i}.png" for i in range(4)),
                     *(f"dog/more/img_{i}.png" for i in range(3))]  # fmt: skip
    assert [(path.name, reason) for path, reason in info.skipped] == [
        ("gone.jpg", f"is a broken link (to {tmp_path / 'deleted.jpg'}, which does not exist)")
    ]
    assert main(["data", "info", str(root)]) == 0
    assert "skipped 1 unreadable file: cat/gone.jpg (is a broken link" in capsys.readouterr().out
