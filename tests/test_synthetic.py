import dataclasses
import hashlib
import re

import numpy as np
import pytest
from PIL import Image

from tinylib.data import make_synthetic, read_difficulty, read_layout, synthetic_classes
from tinylib.data import synthetic as synthetic_module
from tinylib.data.drawing import HARD_KINDS, MAX_CLASSES, render_image
from tinylib.data.synthetic import read_spec


def _digest(root):
    files = sorted(p for p in root.rglob("*") if p.is_file())
    return hashlib.sha256(b"".join(p.relative_to(root).as_posix().encode() + p.read_bytes() for p in files)).hexdigest()


def test_official_layout_exactly(synthetic_root):
    root = synthetic_root
    wnids = (root / "wnids.txt").read_text().splitlines()
    assert len(wnids) == 4 and all(re.fullmatch(r"s\d{8}", wnid) for wnid in wnids)
    words = dict(line.split("\t") for line in (root / "words.txt").read_text().splitlines())
    assert set(words) == set(wnids)
    for wnid in wnids:
        images = sorted((root / "train" / wnid / "images").iterdir())
        assert [p.name for p in images] == sorted(f"{wnid}_{k}.JPEG" for k in range(12))
        boxes = (root / "train" / wnid / f"{wnid}_boxes.txt").read_text().splitlines()
        assert len(boxes) == 12 and all(len(line.split("\t")) == 5 for line in boxes)
    annotations = (root / "val" / "val_annotations.txt").read_text().splitlines()
    assert [line.split("\t")[0] for line in annotations] == [f"val_{k}.JPEG" for k in range(20)]
    assert {line.split("\t")[1] for line in annotations} == set(wnids)
    assert len(list((root / "val" / "images").iterdir())) == 20
    assert sorted(p.name for p in (root / "test" / "images").iterdir()) == sorted(f"test_{k}.JPEG" for k in range(12))


def test_images_are_64x64_jpegs_some_grayscale(synthetic_root):
    modes = []
    for path in synthetic_root.rglob("*.JPEG"):
        with Image.open(path) as image:
            assert image.format == "JPEG" and image.size == (64, 64)
            modes.append(image.mode)
    assert set(modes) == {"RGB", "L"}
    assert 0 < modes.count("L") < len(modes) / 2


def test_hard_samples_of_every_kind_are_recorded(synthetic_root):
    difficulty = read_difficulty(synthetic_root)
    assert len(difficulty) == 48 + 20 + 12
    kinds = set(difficulty.values())
    assert kinds == {"normal", *HARD_KINDS}


def test_class_names_are_unique_and_first_ten_shapes_differ():
    classes = synthetic_classes(MAX_CLASSES)
    assert len({c.name for c in classes}) == MAX_CLASSES
    assert len({c.shape for c in classes[:10]}) == 10
    assert synthetic_classes(10)[3].name == classes[3].name
    for bad in (0, MAX_CLASSES + 1):
        with pytest.raises(ValueError, match="num_classes"):
            synthetic_classes(bad)


def test_boxes_are_the_true_object_boxes():
    """Class 0 is a solid red circle: nearly all strongly red pixels lie inside its box,
    and the box is mostly red (a disc fills pi/4 of its box)."""
    red_inside = red_total = 0
    fills = []
    for k in range(30):
        pixels, (x0, y0, x1, y1) = render_image(synthetic_classes(1)[0], "normal", np.random.default_rng([3, k]))
        assert 0 <= x0 <= x1 <= 63 and 0 <= y0 <= y1 <= 63
        rgb = pixels.astype(int)
        red = (rgb[..., 0] > 150) & (rgb[..., 1] < 90) & (rgb[..., 2] < 90)
        inside = np.zeros_like(red)
        inside[y0 : y1 + 1, x0 : x1 + 1] = True
        red_inside += int((red & inside).sum())
        red_total += int(red.sum())
        fills.append(red[inside].mean())
    assert red_inside / red_total > 0.97
    assert np.median(fills) > 0.5


def test_deterministic_from_seed_whatever_the_workers(tmp_path):
    kwargs = dict(num_classes=3, train_per_class=80, val_per_class=4, test_per_class=1, progress=False)
    one = make_synthetic(tmp_path / "one", seed=1, workers=1, **kwargs)
    two = make_synthetic(tmp_path / "two", seed=1, workers=2, **kwargs)
    other = make_synthetic(tmp_path / "other", seed=2, workers=1, **kwargs)
    assert _digest(one) == _digest(two)
    assert _digest(one) != _digest(other)


def test_second_call_reuses_the_dataset(synthetic_root):
    before = {p: p.stat().st_mtime_ns for p in synthetic_root.rglob("*")}
    spec = dataclasses.asdict(read_spec(synthetic_root))
    assert spec.pop("version") == 1 and spec["num_classes"] == 4 and spec["hard_fraction"] == 0.5
    again = make_synthetic(synthetic_root, **spec, progress=False)
    assert again == synthetic_root
    assert {p: p.stat().st_mtime_ns for p in synthetic_root.rglob("*")} == before


def test_never_overwrites_other_content(tmp_path, synthetic_root):
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "notes.txt").write_text("keep me")
    with pytest.raises(FileExistsError, match="other files"):
        make_synthetic(mine, num_classes=2, train_per_class=1, val_per_class=1, test_per_class=1, progress=False)
    assert (mine / "notes.txt").read_text() == "keep me"
    with pytest.raises(FileExistsError, match="another spec"):
        make_synthetic(synthetic_root, num_classes=4, train_per_class=13, progress=False)


def test_interrupted_generation_leaves_nothing_that_looks_complete(tmp_path, monkeypatch):
    calls = []

    def failing(job):
        calls.append(job)
        if len(calls) > 5:
            raise KeyboardInterrupt
        return original(job)

    small = dict(num_classes=2, train_per_class=10, val_per_class=2, test_per_class=1, workers=1, progress=False)
    original = synthetic_module._render_entry
    monkeypatch.setattr(synthetic_module, "_render_entry", failing)
    with pytest.raises(KeyboardInterrupt):
        make_synthetic(tmp_path / "data", **small)
    assert list(tmp_path.iterdir()) == []
    monkeypatch.setattr(synthetic_module, "_render_entry", original)
    root = make_synthetic(tmp_path / "data", **small)
    assert len(read_layout(root).train_files) == 20


def test_default_root_is_named_after_the_spec(tmp_path, monkeypatch):
    monkeypatch.setenv("TINYLIB_DATA", str(tmp_path))
    root = make_synthetic(num_classes=2, train_per_class=2, val_per_class=1, test_per_class=0, progress=False)
    assert root == tmp_path / "synthetic-2c-2-1-0-s0"
    assert read_layout(root).test_files == ()


def test_two_processes_making_the_same_dataset_both_succeed(tmp_path, monkeypatch):
    """Two workers starting at once each build the dataset; the one that finishes second
    finds it in place (same spec) and uses it instead of failing."""
    small = dict(num_classes=2, train_per_class=4, val_per_class=2, test_per_class=1, workers=1, progress=False)
    original = synthetic_module._write_dataset

    def other_process_finishes_first(build, spec, workers, progress):
        original(build, spec, workers, progress)
        monkeypatch.setattr(synthetic_module, "_write_dataset", original)
        make_synthetic(tmp_path / "data", **small)  # the other worker, done while this one was writing

    monkeypatch.setattr(synthetic_module, "_write_dataset", other_process_finishes_first)
    root = make_synthetic(tmp_path / "data", **small)
    assert read_spec(root) is not None and len(read_layout(root).train_files) == 8
    assert [p.name for p in tmp_path.iterdir()] == ["data"]  # no partial folder left behind
