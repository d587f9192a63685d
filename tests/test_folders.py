"""Your own images: class-per-folder trees read, split, cleaned and trained on, and predictions for a folder."""

from __future__ import annotations

import csv
import os

import numpy as np
import pytest
from PIL import Image

from tinylib.cli import main
from tinylib.data import LayoutError, decode, folder_from_layout, read_folder_layout, read_layout, verify
from tinylib.data.arrays import TrainingData
from tinylib.data.packed import pack_folder

pytestmark = pytest.mark.backend


def _image(path, colour, size=(16, 12)):
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.new("RGB", size, colour).save(path)


def _tree(top, counts: dict[str, int]) -> None:
    """counts: {class folder: number of images}; colours differ per class."""
    for k, (name, count) in enumerate(counts.items()):
        for i in range(count):
            suffix = ".png" if i % 2 else ".jpg"
            _image(top / name / f"img_{i}{suffix}", (40 * k % 256, 255 - 60 * k % 256, 30 * i % 256))


def test_class_folders_split_stratified_and_seeded(tmp_path):
    _tree(tmp_path, {"zebra": 10, "apple": 5, "mango": 1})
    info = read_layout(tmp_path)
    assert info.layout == "folders" and info.wnids == info.names == info.words == ("apple", "mango", "zebra")
    assert np.bincount(info.train_labels, minlength=3).tolist() == [4, 1, 9]
    assert np.bincount(info.val_labels, minlength=3).tolist() == [1, 0, 1]  # ~20 % by hash, at least 1, never all
    assert (info.train_boxes == -1).all() and info.val_boxes.shape == (2, 4) and not info.skipped
    assert all(path.parent.name == info.names[label] for path, label in zip(info.val_files, info.val_labels))
    again, other = read_folder_layout(tmp_path), read_folder_layout(tmp_path, seed=1)
    assert again.val_files == info.val_files and other.val_files != info.val_files
    assert set(info.train_files).isdisjoint(info.val_files)
    half = read_folder_layout(tmp_path, val_share=0.5)
    assert np.bincount(half.val_labels, minlength=3).tolist() == [2, 0, 6]


@pytest.mark.parametrize("train, val", [("train", "val"), (".", "validation")])
def test_a_val_folder_is_used_as_it_is(tmp_path, train, val):
    _tree(tmp_path / train, {"cat": 3, "dog": 2})
    _tree(tmp_path / val, {"cat": 1, "dog": 2})
    (tmp_path / "test").mkdir()
    _image(tmp_path / "test" / "unknown.jpg", (1, 2, 3))
    info = read_layout(tmp_path)
    assert info.names == ("cat", "dog") and len(info.test_files) == 1
    assert np.bincount(info.train_labels).tolist() == [3, 2] and np.bincount(info.val_labels).tolist() == [1, 2]
    assert all(path.parts[-3] == val for path in info.val_files)
    _tree(tmp_path / val, {"bird": 1})
    with pytest.raises(LayoutError, match="class folder.* train has not: bird"):
        read_layout(tmp_path)


def test_clutter_is_ignored_and_unreadable_files_are_listed_not_fatal(tmp_path, capsys):
    root = tmp_path / "photos"
    _tree(root, {"cat": 5, "dog": 5})
    (root / ".DS_Store").write_bytes(b"\0Bud1")
    (root / "cat" / "._img_0.jpg").write_bytes(b"\0\5\26\7")
    (root / "__MACOSX" / "cat").mkdir(parents=True)
    (root / "__MACOSX" / "cat" / "img_0.jpg").write_bytes(b"\0\5\26\7")
    (root / ".ipynb_checkpoints").mkdir()
    (root / "cat" / "notes.txt").write_text("not an image")
    (root / "cat" / "empty.jpg").write_bytes(b"")
    (root / "dog" / "broken.png").write_bytes((root / "dog" / "img_1.png").read_bytes()[:40])
    info = read_layout(root)
    assert info.names == ("cat", "dog") and len(info.train_files) + len(info.val_files) == 10
    assert [path.name for path, _ in info.skipped] == ["empty.jpg", "broken.png"]
    summary = info.skipped_summary()
    assert summary.startswith("skipped 2 unreadable files: cat/empty.jpg (is empty (0 bytes)), dog/broken.png (")
    assert "\n" not in summary and read_layout(root).skipped == info.skipped  # remembered, same verdicts
    assert [problem.split(" ")[0] for problem in verify(root, progress=False).problems] == [
        "cat/empty.jpg",
        "dog/broken.png",
    ]
    data = TrainingData.from_root(root)  # packing does not trip over the unreadable files
    assert capsys.readouterr().out.startswith("skipped 2 unreadable files")
    assert data.train_images.shape == (8, 64, 64, 3) and data.class_ids == ("cat", "dog")
    assert root not in pack_folder(root).parents and sorted(os.listdir(root)) == sorted(
        [".DS_Store", ".ipynb_checkpoints", "__MACOSX", "cat", "dog"]
    )


def test_a_folder_that_is_neither_layout_says_so(tmp_path):
    (tmp_path / "readme.txt").write_text("hello")
    (tmp_path / "empty_class").mkdir()
    with pytest.raises(LayoutError, match="no wnids.txt .* and no class folders with images"):
        read_layout(tmp_path)
    _tree(tmp_path / "train", {"n01443537": 2})
    (tmp_path / "val").mkdir()
    (tmp_path / "val" / "val_annotations.txt").write_text("val_0.JPEG\tn01443537\t0\t0\t1\t1\n")
    with pytest.raises(LayoutError, match="official layout is incomplete.*tinylib data prepare"):
        read_layout(tmp_path)  # an official dataset that lost its wnids.txt is not read as class folders


def test_folder_from_layout_writes_every_kind_of_file(synthetic_root, tmp_path):
    tree = folder_from_layout(synthetic_root, tmp_path / "mixed", per_class=11, val=False, variety=True)
    info = read_layout(tree)
    assert [path.name for path, _ in info.skipped] == ["broken.jpg"] and info.num_classes == 4
    assert len(info.train_files) + len(info.val_files) == 4 * 11
    first = read_layout(synthetic_root).train_files[:11]
    shown = {path.stem: path for path in info.train_files + info.val_files}
    for number, kind in ((0, "I;16"), (6, "RGB"), (10, "L"), (1, "RGBA"), (2, "RGB")):
        path = shown[first[number].stem]
        with Image.open(path) as image:
            assert image.mode == kind, (number, path.name)
            assert image.size == ((100, 80) if number == 2 else (64, 64))
    original, rotated = decode(first[6]).astype(int), decode(shown[first[6].stem]).astype(int)
    assert np.abs(original - rotated).mean() < 8  # upright again (JPEG re-encoding aside)
    assert (tree / ".DS_Store").is_file()
    split = folder_from_layout(synthetic_root, tmp_path / "split", per_class=3)
    assert len(read_layout(split).val_files) == len(read_layout(synthetic_root).val_files)


@pytest.mark.end_to_end
def test_train_evaluate_report_export_and_predict_a_folder_from_the_command_line(tmp_path, capsys):
    root = tmp_path / "photos"
    _tree(root, {"cat": 8, "dog": 8})
    (root / "dog" / "broken.jpg").write_bytes(b"\xff\xd8 cut")
    workdir = tmp_path / "run"
    common = ["--epochs", "1", "--width", "8", "--batch-size", "16", "--workdir", str(workdir)]
    assert main(["train", "--data", str(root), "--model", "resnet10", *common]) == 0
    out = capsys.readouterr().out
    assert "skipped 1 unreadable file: dog/broken.jpg" in out and "val        top-1" in out
    assert main(["evaluate", str(workdir)]) == 0
    assert "on all 2 val images" in capsys.readouterr().out
    assert main(["report", str(workdir), "--quiet"]) == 0  # class names from the folders, not wnids.txt
    assert (workdir / "report.html").is_file()
    assert main(["export", str(workdir)]) == 0
    assert (workdir / "export" / "keras" / "labels.txt").read_text().split() == ["cat", "dog"]
    capsys.readouterr()

    table = tmp_path / "predictions.csv"
    assert main(["predict", str(workdir / "export" / "keras"), str(root), "--csv", str(table), "--top", "2"]) == 0
    captured = capsys.readouterr()
    assert captured.out.strip() == f"predicted 16 images, 1 unreadable: {table}"
    assert captured.err.count("\n") == 1 and "broken.jpg" in captured.err
    with open(table, newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert list(rows[0]) == ["path", "name_1", "probability_1", "name_2", "probability_2", "error"]
    assert [row["path"] for row in rows] == [
        str(path) for path in sorted(root.rglob("*.*"), key=lambda p: (p.parent.name, p.name))
    ]
    broken = [row for row in rows if row["error"]]
    assert len(broken) == 1 and broken[0]["name_1"] == "" and broken[0]["path"].endswith("broken.jpg")
    assert all({row["name_1"], row["name_2"]} == {"cat", "dog"} for row in rows if not row["error"])
    assert all(abs(float(row["probability_1"]) + float(row["probability_2"]) - 1) < 1e-3 for row in rows[:3])

    assert main(["predict", str(workdir), str(root / "dog" / "broken.jpg")]) == 1  # nothing readable
    assert main(["predict", str(workdir), str(tmp_path / "run" / "tb")]) == 1  # no image files at all
