"""Safe extraction and prepare: zip slip refused, damaged zips explained, never a half dataset."""

from __future__ import annotations

import json
import zipfile

import pytest

from tinylib.data import ArchiveError, DatasetError, prepare, read_layout, verify
from tinylib.data.archive import MARKER


def _zip_dataset(root, path, top="tiny-synthetic", skip=()):
    with zipfile.ZipFile(path, "w") as archive:
        for file in sorted(root.rglob("*")):
            relative = file.relative_to(root).as_posix()
            if file.is_file() and relative not in skip:
                archive.write(file, f"{top}/{relative}")
    return path


@pytest.fixture(scope="module")
def dataset_zip(tmp_path_factory, synthetic_root):
    return _zip_dataset(synthetic_root, tmp_path_factory.mktemp("zips") / "tiny-synthetic.zip")


@pytest.mark.parametrize("member", ["../evil.txt", "/etc/evil.txt", "tiny/../../evil.txt", "..\\evil.txt", "C:/evil"])
def test_zip_slip_members_are_refused_before_anything_is_written(tmp_path, member):
    path = tmp_path / "evil.zip"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("tiny/wnids.txt", "n0\n")
        archive.writestr(member, "owned")
    with pytest.raises(ArchiveError, match="outside the target folder"):
        prepare(path, tmp_path / "data", progress=False)
    assert not (tmp_path / "evil.txt").exists() and not (tmp_path.parent / "evil.txt").exists()
    assert not (tmp_path / "data").exists() or list((tmp_path / "data").iterdir()) == []


def test_symbolic_links_are_refused(tmp_path):
    path = tmp_path / "link.zip"
    with zipfile.ZipFile(path, "w") as archive:
        link = zipfile.ZipInfo("tiny/wnids.txt")
        link.external_attr = 0o120777 << 16  # a symlink, as `zip --symlinks` stores it
        archive.writestr(link, "/etc/passwd")
    with pytest.raises(ArchiveError, match="symbolic link"):
        prepare(path, tmp_path / "data", progress=False)


def test_a_truncated_zip_is_explained(tmp_path, dataset_zip):
    cut = tmp_path / "tiny-synthetic.zip"
    cut.write_bytes(dataset_zip.read_bytes()[: dataset_zip.stat().st_size // 2])
    with pytest.raises(ArchiveError, match=r"not a complete zip .*tinylib data download"):
        prepare(cut, tmp_path / "data", progress=False)
    assert not (tmp_path / "data").exists()


def test_damaged_member_data_is_explained_and_leaves_nothing(tmp_path, dataset_zip):
    data = bytearray(dataset_zip.read_bytes())
    with zipfile.ZipFile(dataset_zip) as archive:
        member = next(info for info in archive.infolist() if info.filename.endswith(".JPEG"))
    start = member.header_offset + 30 + len(member.filename.encode()) + len(member.extra)
    data[start + 100 : start + 110] = bytes(10)  # stored data changed: the CRC no longer matches
    damaged = tmp_path / "tiny-synthetic.zip"
    damaged.write_bytes(bytes(data))
    with pytest.raises(ArchiveError, match=r"is damaged at member"):
        prepare(damaged, tmp_path / "data", progress=False)
    assert list((tmp_path / "data").iterdir()) == []


def test_prepare_extracts_verifies_and_is_idempotent(tmp_path, dataset_zip, synthetic_root):
    root = prepare(dataset_zip, tmp_path / "data", progress=False)
    assert root == tmp_path / "data" / "tiny-synthetic"
    assert json.loads((root / MARKER).read_text())["source"]["zip"] == "tiny-synthetic.zip"
    assert [p.name for p in (tmp_path / "data").iterdir()] == ["tiny-synthetic"]  # no temp folders left
    assert read_layout(root).val_files[0].name == read_layout(synthetic_root).val_files[0].name
    marker_time = (root / MARKER).stat().st_mtime_ns
    assert prepare(dataset_zip, tmp_path / "data", progress=False) == root  # already prepared: untouched
    assert (root / MARKER).stat().st_mtime_ns == marker_time


def test_an_existing_folder_of_the_user_is_never_touched(tmp_path, dataset_zip):
    mine = tmp_path / "data" / "tiny-synthetic"
    mine.mkdir(parents=True)
    (mine / "notes.txt").write_text("mine")
    with pytest.raises(FileExistsError, match="left as it is"):
        prepare(dataset_zip, tmp_path / "data", progress=False)
    assert [p.name for p in mine.iterdir()] == ["notes.txt"]


def test_a_crash_half_way_leaves_no_dataset_that_looks_complete(tmp_path, dataset_zip, monkeypatch):
    calls = {"count": 0}
    original = zipfile.ZipFile.extract

    def crash_half_way(self, member, path=None, pwd=None):
        calls["count"] += 1
        if calls["count"] > 40:
            raise KeyboardInterrupt  # as if the user pressed Ctrl-C, or the runtime died
        return original(self, member, path, pwd)

    monkeypatch.setattr(zipfile.ZipFile, "extract", crash_half_way)
    with pytest.raises(KeyboardInterrupt):
        prepare(dataset_zip, tmp_path / "data", progress=False)
    assert list((tmp_path / "data").iterdir()) == []
    monkeypatch.undo()
    assert prepare(dataset_zip, tmp_path / "data", progress=False).is_dir()  # a clean retry works


def test_a_zip_that_fails_verification_is_not_put_in_place(tmp_path, synthetic_root):
    broken = _zip_dataset(synthetic_root, tmp_path / "tiny-synthetic.zip", skip={"val/val_annotations.txt"})
    with pytest.raises(DatasetError, match="val/val_annotations.txt"):
        prepare(broken, tmp_path / "data", progress=False)
    assert list((tmp_path / "data").iterdir()) == []


def test_the_real_20_class_zip_prepares_and_verifies(real_root, real_zip):
    assert real_root.name == "tiny-imagenet-20" and [p.name for p in real_root.parent.iterdir()] == [real_root.name]
    marker = json.loads((real_root / MARKER).read_text())
    assert marker["source"] == {"zip": real_zip.name, "bytes": 24_114_680, "members": 11_023}
    assert marker["grayscale"] > 0  # prepare decoded every image; the real set has grayscale JPEGs
    expected = {"classes": 20, "train_per_class": 500, "val_per_class": 50, "test": 0}
    report = verify(real_root, expected=expected, decode=False, progress=False)
    assert report.ok, report.problems
    assert len(report.degenerate_boxes["train"]) + len(report.degenerate_boxes["val"]) > 0
    info = read_layout(real_root)
    assert len(info.names) == 20 and all(name and not name.startswith("n0") for name in info.names)
    assert prepare(real_zip, real_root.parent, progress=False) == real_root  # idempotent, no re-extraction


def test_cli_prepare_and_its_errors(tmp_path, dataset_zip, capsys):
    from tinylib.cli import main

    assert main(["data", "prepare", "--from-zip", str(dataset_zip), "--dest", str(tmp_path), "--quiet"]) == 0
    assert "ready: DatasetInfo(" in capsys.readouterr().out
    cut = tmp_path / "cut" / "tiny-synthetic.zip"
    cut.parent.mkdir()
    cut.write_bytes(dataset_zip.read_bytes()[:5000])
    assert main(["data", "prepare", "--from-zip", str(cut), "--dest", str(tmp_path / "cut"), "--quiet"]) == 2
    error = capsys.readouterr().err.strip().splitlines()
    assert len(error) == 1 and error[0].startswith(f"tinylib: error: {cut} is not a complete zip")
