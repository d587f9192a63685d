"""Where the data lives on each platform (ARCHITECTURE.md, "The data's places"): on Colab with
Drive mounted the zip is kept on Drive and reused by the next session after its size and MD5
are checked, while extraction and the packed cache go to the fast local disk; `tinylib env`
says where and why. Folders stand in for /content and Drive."""

import functools
import hashlib
import os
import shutil
import sys
import types
import zipfile
from pathlib import Path

import pytest

from tinylib import config, doctor
from tinylib.data import archive, packed
from tinylib.data.download import DownloadError, download


@pytest.fixture
def colab(monkeypatch, tmp_path) -> Path:
    """A simulated Colab session: /content and MyDrive are folders under tmp_path (MyDrive not
    yet mounted); returns tmp_path."""
    monkeypatch.delenv("TINYLIB_DATA", raising=False)
    monkeypatch.setenv("TINYLIB_PLATFORM", "colab")
    monkeypatch.setenv("TINYLIB_DRIVE", str(tmp_path / "drive" / "MyDrive"))
    monkeypatch.setattr(config, "COLAB_LOCAL", tmp_path / "content")
    return tmp_path


def test_colab_keeps_downloads_on_drive_and_extracts_on_the_local_disk(colab):
    assert config.data_dir() == config.extract_dir() == colab / "content" / "tinylib-data"  # no Drive yet
    info = doctor.report(print_report=False)
    assert doctor.DRIVE_HINT in info["hints"] and "mount Drive to keep the zip" in info["data"]
    (colab / "drive" / "MyDrive").mkdir(parents=True)
    assert config.data_dir() == colab / "drive" / "MyDrive" / "tinylib-data"
    assert config.extract_dir() == colab / "content" / "tinylib-data"
    info = doctor.report(print_report=False)
    assert doctor.DRIVE_HINT not in info["hints"]
    assert info["data"] == f"{colab / 'drive' / 'MyDrive' / 'tinylib-data'} (Google Drive: kept between sessions)"
    assert info["extract"].startswith(f"{colab / 'content' / 'tinylib-data'} (Colab's fast local disk")
    assert info["work"].startswith(f"{colab / 'drive' / 'MyDrive' / 'tinylib' / 'runs'} (Google Drive")


def test_tinylib_data_overrides_every_platform_and_kaggle_uses_its_working_folder(colab, monkeypatch):
    (colab / "drive" / "MyDrive").mkdir(parents=True)
    monkeypatch.setenv("TINYLIB_DATA", str(colab / "mine"))
    assert config.data_dir() == config.extract_dir() == colab / "mine"
    assert doctor.DRIVE_HINT not in doctor.report(print_report=False)["hints"]
    monkeypatch.delenv("TINYLIB_DATA")
    monkeypatch.setenv("TINYLIB_PLATFORM", "kaggle")
    monkeypatch.setattr(config, "KAGGLE_WORKING", colab / "kaggle" / "working")
    assert config.data_dir() == config.extract_dir() == colab / "kaggle" / "working" / "tinylib-data"
    monkeypatch.setenv("TINYLIB_PLATFORM", "local")
    assert config.data_dir() == config.extract_dir() == Path.home() / "tinylib-data"


def test_mount_drive_mounts_once_on_colab_only(colab, monkeypatch):
    mounted = []

    def mount(folder):
        mounted.append(folder)
        Path(folder, "MyDrive").mkdir(parents=True)

    fake = types.ModuleType("google.colab")
    fake.drive = types.SimpleNamespace(mount=mount)
    monkeypatch.setitem(sys.modules, "google.colab", fake)
    monkeypatch.setattr(config, "DEFAULT_DRIVE", colab / "drive" / "MyDrive")
    monkeypatch.delenv("TINYLIB_DRIVE")
    assert config.mount_drive() == colab / "drive" / "MyDrive" and mounted == [str(colab / "drive")]
    assert config.mount_drive() == colab / "drive" / "MyDrive" and len(mounted) == 1  # already mounted
    assert config.data_dir() == colab / "drive" / "MyDrive" / "tinylib-data"
    monkeypatch.setenv("TINYLIB_PLATFORM", "local")
    assert config.mount_drive() is None and len(mounted) == 1


def _served_zip(root: Path, folder: Path) -> Path:
    """`root` (an official-layout dataset) zipped into `folder`, without any packed cache."""
    folder.mkdir()
    path = folder / f"{root.name}.zip"
    with zipfile.ZipFile(path, "w") as archive_file:
        for file in sorted(root.rglob("*")):
            relative = file.relative_to(root.parent)
            if file.is_file() and packed.PACK_FOLDER not in relative.parts and file.name != archive.MARKER:
                archive_file.write(file, relative.as_posix())
    return path


def test_a_second_colab_session_reuses_the_zip_kept_on_drive(colab, monkeypatch, synthetic_root):
    (colab / "drive" / "MyDrive").mkdir(parents=True)
    served = _served_zip(synthetic_root, colab / "server")
    md5 = hashlib.md5(served.read_bytes(), usedforsecurity=False).hexdigest()
    fetch = functools.partial(download, mirrors=[served.as_uri()], size=served.stat().st_size, md5=md5)
    monkeypatch.setattr(archive, "download", fetch)
    kept = colab / "drive" / "MyDrive" / "tinylib-data" / served.name

    first = archive.prepare(progress=False)  # session 1: "downloads" to Drive, extracts locally
    assert first == colab / "content" / "tinylib-data" / synthetic_root.name and (first / "wnids.txt").is_file()
    assert kept.read_bytes() == served.read_bytes()
    assert packed.pack_folder(first).is_relative_to(colab / "content")

    shutil.rmtree(colab / "content")  # the session ends: the local disk is gone, Drive stays
    os.remove(served)  # and the mirror is unreachable: only the kept zip can serve
    second = archive.prepare(progress=False)
    assert second == first and (second / "wnids.txt").is_file()

    shutil.rmtree(colab / "content")
    kept.write_bytes(kept.read_bytes()[:-10])  # a kept zip cut short (e.g. a sync that did not finish)
    with pytest.raises(DownloadError, match="exists but is not the expected file"):
        archive.prepare(progress=False)
    assert kept.is_file()  # left as it is
