"""verify(): every image decodes, annotations match files, facts of the real data reported."""

from __future__ import annotations

import shutil

import pytest

from tinylib.cli import main
from tinylib.data import DatasetError, LayoutError, read_difficulty, verify


@pytest.fixture
def dataset(tmp_path, synthetic_root):
    """A private copy of the synthetic dataset that a test may break."""
    return shutil.copytree(synthetic_root, tmp_path / "tiny-synthetic", ignore=shutil.ignore_patterns("packed"))


def test_a_good_dataset_passes_with_counts_and_grayscale(synthetic_root):
    report = verify(synthetic_root, expected={"classes": 4, "train_per_class": 12, "val_per_class": 5}, progress=False)
    assert report.ok, report.problems
    assert report.counts["train"].tolist() == [12] * 4 and report.counts["val"].tolist() == [5] * 4
    assert report.counts["test"] == 12
    difficulty_rows = (synthetic_root / "difficulty.tsv").read_text().splitlines()[1:]
    stored_gray = {row.split("\t")[0] for row in difficulty_rows if row.endswith("\t1")}
    found_gray = {p.relative_to(synthetic_root).as_posix() for paths in report.grayscale.values() for p in paths}
    assert found_gray == stored_gray and found_gray
    assert "status       ok" in report.summary()
    report.raise_for_problems()  # no exception
    assert set(read_difficulty(synthetic_root)) >= found_gray


def test_the_real_sample_reports_its_grayscale_files_and_flat_boxes(sample_root):
    report = verify(sample_root, progress=False)
    assert report.ok, report.problems
    assert {split: len(paths) for split, paths in report.grayscale.items()} == {"train": 7, "val": 5, "test": 1}
    assert sorted(p.stem for p in report.degenerate_boxes["val"]) == ["val_2317", "val_243", "val_3799", "val_7374"]
    assert len(report.degenerate_boxes["train"]) == 4
    assert report.duplicates == []


def test_a_truncated_jpeg_is_named(dataset):
    victim = sorted((dataset / "val" / "images").iterdir())[3]
    victim.write_bytes(victim.read_bytes()[: victim.stat().st_size // 2])
    report = verify(dataset, progress=False)
    assert not report.ok
    assert len(report.problems) == 1
    assert report.problems[0].startswith(f"val/images/{victim.name} does not decode (image file is truncated")
    with pytest.raises(DatasetError, match=f"failed verification: val/images/{victim.name} does not decode"):
        report.raise_for_problems()


def test_cli_verify_exits_non_zero_with_the_problem(dataset, capsys):
    assert main(["data", "verify", str(dataset), "--quiet"]) == 0
    victim = sorted((dataset / "train").glob("*/images/*.JPEG"))[0]
    victim.write_bytes(b"\xff\xd8\xff not really a jpeg")
    assert main(["data", "verify", str(dataset), "--quiet"]) == 1
    captured = capsys.readouterr()
    assert f"{victim.relative_to(dataset).as_posix()} does not decode" in captured.err
    assert "tinylib data prepare" in captured.err


def test_missing_val_annotations_is_a_problem(dataset):
    (dataset / "val" / "val_annotations.txt").unlink()
    report = verify(dataset, progress=False)
    assert any("no val/val_annotations.txt" in problem and "labels" in problem for problem in report.problems)


def test_wrong_root_names_the_path_and_what_was_expected(tmp_path, dataset):
    with pytest.raises(LayoutError, match=f"no dataset folder at {tmp_path / 'nowhere'}"):
        verify(tmp_path / "nowhere", progress=False)
    with pytest.raises(LayoutError, match=f"no wnids.txt under {tmp_path}; did you mean {dataset}"):
        verify(tmp_path, progress=False)


def test_annotation_and_box_problems_are_precise(dataset):
    wnid = (dataset / "wnids.txt").read_text().split()[0]
    boxes = dataset / "train" / wnid / f"{wnid}_boxes.txt"
    lines = boxes.read_text().splitlines()
    name, *_ = lines[0].split("\t")
    lines[0] = f"{name}\t5\t9\t5\t20"  # zero width: a fact of the real data, not an error
    lines[1] = lines[1].split("\t")[0] + "\t-3\t0\t70\t10"  # outside the image: an error
    lines.append(f"{wnid}_999.JPEG\t1\t1\t10\t10")  # a box for a file that does not exist
    boxes.write_text("\n".join(lines) + "\n")
    (dataset / "val" / "images" / "val_extra.JPEG").write_bytes(
        (dataset / "val" / "images" / "val_0.JPEG").read_bytes()
    )
    report = verify(dataset, progress=False)
    assert [p.name for p in report.degenerate_boxes["train"]] == [name]
    assert any("box (-3, 0, 70, 10) is not inside" in problem for problem in report.problems)
    assert any(
        f"lists 1 file(s) missing from train/{wnid}/images/ (first: {wnid}_999.JPEG)" in p for p in report.problems
    )
    assert any("1 image(s) not listed in val/val_annotations.txt (first: val_extra.JPEG)" in p for p in report.problems)


def test_duplicates_and_expected_counts(dataset):
    first, second = sorted((dataset / "val" / "images").iterdir())[:2]
    second.write_bytes(first.read_bytes())
    report = verify(dataset, expected={"classes": 4, "train_per_class": 500}, progress=False)
    assert [sorted(p.name for p in group) for group in report.duplicates] == [sorted([first.name, second.name])]
    assert len(report.problems) == 1 and "train: 4 class(es) do not have 500 images" in report.problems[0]


def test_cli_verify_of_a_wrong_root_is_one_clear_line(tmp_path, capsys):
    assert main(["data", "verify", str(tmp_path / "nowhere"), "--quiet"]) == 2
    error = capsys.readouterr().err.strip()
    assert error.startswith(f"tinylib: error: no dataset folder at {tmp_path / 'nowhere'}") and "wnids.txt" in error
