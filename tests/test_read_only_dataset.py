"""A dataset on a read-only mount (Kaggle's /kaggle/input, a shared drive) is packed into a
writable cache under $TINYLIB_DATA, with nothing to pass: fit, the CLI and analysis work."""

import shutil
from pathlib import Path

import pytest

from tinylib.cli import main
from tinylib.data import packed
from tinylib.data.arrays import TrainingData

pytestmark = pytest.mark.backend


@pytest.fixture
def read_only(tmp_path, synthetic_root, monkeypatch):
    """A copy of the synthetic set that the kit sees as read-only (root ignores permission bits,
    so the probe is patched, as a real read-only mount would answer)."""
    root = Path(shutil.copytree(synthetic_root, tmp_path / "input" / "tiny-synthetic"))
    shutil.rmtree(root / "packed", ignore_errors=True)
    monkeypatch.setattr(packed, "writable", lambda folder: not str(folder).startswith(str(tmp_path / "input")))
    monkeypatch.setenv("TINYLIB_DATA", str(tmp_path / "data"))
    return root


def test_a_read_only_dataset_is_packed_into_the_data_cache(read_only, tmp_path):
    folder = packed.pack_folder(read_only)
    assert folder.parent.parent == tmp_path / "data" / "cache" and folder.parent.name.startswith("tiny-synthetic-")
    data = TrainingData.from_root(read_only, progress=False)
    assert len(data.train_images) > 0 and (folder / "manifest.json").is_file()
    assert not (read_only / "packed").exists()  # nothing written beside the data
    assert packed.is_fresh(read_only, folder)


@pytest.mark.end_to_end
def test_the_cli_trains_on_a_read_only_dataset(read_only, tmp_path, capsys):
    workdir = tmp_path / "run"
    command = ["train", "--data", str(read_only), "--model", "resnet10", "--width", "8", "--recipe", "demo",
               "--epochs", "1", "--batch-size", "16", "--workdir", str(workdir)]  # fmt: skip
    assert main(command) == 0
    assert "status     complete" in capsys.readouterr().out
    assert not (read_only / "packed").exists()


def test_a_packed_cache_shipped_with_a_read_only_dataset_is_used(read_only, tmp_path, monkeypatch):
    monkeypatch.setattr(packed, "writable", lambda folder: True)
    packed.pack(read_only, progress=False)  # as if the dataset came packed
    monkeypatch.setattr(packed, "writable", lambda folder: False)
    assert packed.pack_folder(read_only) == read_only.resolve() / "packed"


def test_on_kaggle_an_attached_tiny_imagenet_is_found(tmp_path, monkeypatch):
    from tinylib.data import sources

    root = tmp_path / "input" / "tiny-imagenet" / "tiny-imagenet-200"
    root.mkdir(parents=True)
    (root / "wnids.txt").write_text("n01443537\n")
    monkeypatch.delenv("KAGGLE_KERNEL_RUN_TYPE", raising=False)
    monkeypatch.delenv("KAGGLE_URL_BASE", raising=False)
    assert sources.attached_dataset(input_root=tmp_path / "input") is None  # not on Kaggle
    monkeypatch.setenv("KAGGLE_KERNEL_RUN_TYPE", "Interactive")
    assert sources.attached_dataset(input_root=tmp_path / "input") == root
