"""Faults a new user meets in the data tools (issue 13): each one a clear line, nothing half-written.

Unreadable images (item 10), OS clutter in zips and folders (11), text files from other
tools (12), leftovers of killed runs and orphaned workers (3), full disks (4).
"""

from __future__ import annotations

import collections
import errno
import os
import select
import shutil
import signal
import socket
import subprocess
import sys
import textwrap
import time
import zipfile
from pathlib import Path

import numpy as np
import pytest

from tinylib import files as data_files
from tinylib.cli import main
from tinylib.data import (
    ArchiveError,
    DatasetError,
    NotEnoughSpaceError,
    load_packed,
    make_synthetic,
    pack,
    prepare,
    read_layout,
    verify,
)

REPOSITORY = Path(__file__).resolve().parents[1]
APPLEDOUBLE = b"\x00\x05\x16\x07\x00\x02\x00\x00Mac OS X        " + bytes(60)


@pytest.fixture
def dataset(tmp_path, synthetic_root):
    """A copy of the shared synthetic set without its packed cache (other tests may have built it)."""
    return shutil.copytree(synthetic_root, tmp_path / "tiny-synthetic", ignore=shutil.ignore_patterns("packed"))


def _leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if ".partial-" in p.name or ".stale-" in p.name)


# --- item 10: unreadable images -------------------------------------------------------------


def test_pack_names_every_unreadable_image_and_writes_no_cache(dataset, capsys):
    empty = read_layout(dataset).val_files[2]
    empty.write_bytes(b"")
    cut = read_layout(dataset).train_files[5]
    cut.write_bytes(cut.read_bytes()[:300])
    (cut.parent / f"._{cut.name}").write_bytes(APPLEDOUBLE)  # the Finder's twin: not an image, ignored
    with pytest.raises(DatasetError) as caught:
        pack(dataset, progress=False)
    message = str(caught.value)
    assert "\n" not in message and message.startswith(f"2 image(s) under {dataset} cannot be decoded")
    assert f"{empty.relative_to(dataset).as_posix()} is empty (0 bytes)" in message
    assert f"{cut.relative_to(dataset).as_posix()} does not decode (" in message
    assert f"tinylib data verify {dataset}" in message and "._" not in message
    assert not (dataset / "packed").exists() and _leftovers(dataset) == []
    with pytest.raises(DatasetError, match="cannot be decoded"):  # training loads through the same path
        load_packed(dataset, "train", progress=False)
    assert main(["data", "pack", str(dataset), "--quiet"]) == 2
    error = capsys.readouterr().err.strip().splitlines()
    assert len(error) == 1 and "2 image(s)" in error[0]


def test_many_unreadable_images_are_counted(dataset):
    for path in read_layout(dataset).train_files[:13]:
        path.write_bytes(b"")
    with pytest.raises(DatasetError, match=r"^13 image\(s\) .* \(and 3 more\) — run `tinylib data verify"):
        pack(dataset, progress=False)


# --- item 11: clutter that operating systems and tools leave -------------------------------


def _finder_zip(root: Path, path: Path, top: str = "tiny-synthetic") -> Path:
    """A zip as the macOS Finder (and friends) make it: __MACOSX/ twins, .DS_Store, and more."""
    with zipfile.ZipFile(path, "w") as archive:
        for file in sorted(root.rglob("*")):
            relative = file.relative_to(root).as_posix()
            if file.is_file():
                archive.write(file, f"{top}/{relative}")
                parent, name = f"{top}/{relative}".rsplit("/", 1)
                archive.writestr(f"__MACOSX/{parent}/._{name}", APPLEDOUBLE)
        archive.writestr(f"{top}/.DS_Store", b"\x00\x00\x00\x01Bud1")
        archive.writestr(f"{top}/train/Thumbs.db", b"\xd0\xcf\x11\xe0")
        archive.writestr(f"{top}/val/images/._val_0.JPEG", APPLEDOUBLE)
        archive.writestr(f"{top}/desktop.ini", "[.ShellClassInfo]\r\n")
        archive.writestr(f"{top}/.ipynb_checkpoints/wnids-checkpoint.txt", "n0\n")
    return path


def test_a_zip_made_by_the_macos_finder_prepares(tmp_path, synthetic_root):
    finder = _finder_zip(synthetic_root, tmp_path / "tiny-synthetic.zip")
    root = prepare(finder, tmp_path / "data", progress=False)
    assert [p.name for p in (tmp_path / "data").iterdir()] == ["tiny-synthetic"]
    clutter = [p for p in root.rglob("*") if data_files.is_metadata(p.relative_to(root))]
    assert clutter == []
    assert verify(root, progress=False).ok
    assert len(read_layout(root).val_files) == len(read_layout(synthetic_root).val_files)


def test_layout_and_verify_ignore_clutter_in_a_dataset_folder(dataset, synthetic_root):
    info = read_layout(dataset)
    for path in (info.train_files[0], info.val_files[0], info.test_files[0]):
        (path.parent / f"._{path.name}").write_bytes(APPLEDOUBLE)
    (dataset / "train" / ".DS_Store").write_bytes(b"Bud1")
    (dataset / "train" / ".ipynb_checkpoints").mkdir()
    (dataset / "train" / "__MACOSX").mkdir()
    (dataset / "val" / "images" / "Thumbs.db").write_bytes(b"\xd0\xcf")
    again = read_layout(dataset)
    assert again.train_files == info.train_files and again.val_files == info.val_files
    assert again.test_files == info.test_files
    report = verify(dataset, progress=False)
    assert report.ok, report.problems
    assert pack(dataset, progress=False).is_dir()


def test_a_zip_with_the_dataset_one_folder_too_deep_names_the_member_not_a_deleted_folder(tmp_path, synthetic_root):
    nested = _finder_zip(synthetic_root, tmp_path / "download.zip", top="outer/tiny-synthetic")
    with pytest.raises(ArchiveError) as caught:
        prepare(nested, tmp_path / "data", progress=False)
    message = str(caught.value)
    assert "it holds outer/tiny-synthetic/wnids.txt instead" in message and "zip the folder" in message
    assert ".partial-" not in message and "did you mean" not in message
    assert not (tmp_path / "data").exists() or list((tmp_path / "data").iterdir()) == []


# --- item 12: text files written by other tools -------------------------------------------


def _rewrite(path: Path, bom: bool = True, crlf: bool = True, pad: str = "  ") -> None:
    lines = [line + pad for line in path.read_text().splitlines()]
    text = ("\r\n" if crlf else "\n").join(lines) + "\r\n\r\n  \r\n"
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + text.encode())


def test_bom_crlf_and_stray_spaces_read_as_meant(dataset, synthetic_root):
    wnids = (dataset / "wnids.txt").read_text().split()
    _rewrite(dataset / "wnids.txt")
    _rewrite(dataset / "words.txt")
    _rewrite(dataset / "val" / "val_annotations.txt", pad=" \t ")
    for wnid in wnids:
        _rewrite(dataset / "train" / wnid / f"{wnid}_boxes.txt", bom=False)
    original, info = read_layout(synthetic_root), read_layout(dataset)
    assert info.wnids == original.wnids == tuple(wnids) and info.names == original.names
    np.testing.assert_array_equal(info.val_labels, original.val_labels)
    np.testing.assert_array_equal(info.val_boxes, original.val_boxes)
    np.testing.assert_array_equal(info.train_boxes, original.train_boxes)
    assert verify(dataset, progress=False).ok


def test_a_wnids_file_saved_as_utf16_or_in_another_encoding(dataset):
    wnids = (dataset / "wnids.txt").read_text()
    (dataset / "wnids.txt").write_text(wnids.replace("\n", "\r\n"), encoding="utf-16")  # Notepad's "Unicode"
    assert list(read_layout(dataset).wnids) == wnids.split()
    (dataset / "wnids.txt").write_bytes(b"n0\xe9\n")
    with pytest.raises(ValueError, match=rf"{dataset / 'wnids.txt'} is not UTF-8 text .* save it again as UTF-8"):
        read_layout(dataset)


def test_read_text_lines(tmp_path):
    path = tmp_path / "lines.txt"
    path.write_bytes(b"\xef\xbb\xbfa\tb \r\n\r\n c\r\n\t\n")
    assert data_files.read_text_lines(path) == ["a\tb", "c"]
    assert data_files.read_fields(path) == [["a", "b"], ["c"]]


# --- item 3: leftovers of killed runs, workers that outlive their parent -------------------


def _dead_pid() -> int:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def _host() -> str:
    return "".join(c for c in socket.gethostname() if c.isalnum())[:32] or "host"


def _child_env() -> dict:
    return {**os.environ, "PYTHONPATH": str(REPOSITORY) + os.pathsep + os.environ.get("PYTHONPATH", "")}


def test_a_killed_pack_leaves_nothing_after_the_next_run(dataset):
    script = textwrap.dedent(
        f"""
        import sys, time
        from tinylib.data import packed
        decode = packed.decode
        def slow(path):
            time.sleep(0.02)
            return decode(path)
        packed.decode = slow
        from tinylib.cli import main
        sys.exit(main(["data", "pack", {str(dataset)!r}, "--quiet"]))
        """
    )
    process = subprocess.Popen([sys.executable, "-c", script], env=_child_env())
    # The event: the pack's first array file appears (or the pack ended, which the assertion reports).
    while not list(dataset.glob(".packed.partial-*/train_images.npy")) and process.poll() is None:
        time.sleep(0.05)
    started = list(dataset.glob(".packed.partial-*/train_images.npy"))
    process.send_signal(signal.SIGKILL)
    process.wait()
    assert started, "the pack ended before it started writing"
    assert len(_leftovers(dataset)) == 1 and not (dataset / "packed").exists()  # what kill -9 leaves
    assert pack(dataset, progress=False) == dataset / "packed"
    assert _leftovers(dataset) == []
    (dataset / f".packed.partial-{_host()}-{_dead_pid()}-abcd1234").mkdir()  # killed while the cache was fresh
    (dataset / f".packed.stale-{_host()}-{_dead_pid()}-abcd1234").mkdir()
    pack(dataset, progress=False)
    assert _leftovers(dataset) == []


def test_leftovers_of_live_processes_are_kept(tmp_path):
    live = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(3600)"])  # killed below
    try:
        mine = tmp_path / f".packed.partial-{_host()}-{live.pid}-aaaa1111"  # another worker packing right now
        dead = tmp_path / f".packed.partial-{_host()}-{_dead_pid()}-bbbb2222"
        elsewhere = tmp_path / ".packed.partial-othermachine-12345-cccc3333"
        old_style = tmp_path / ".packed.partial-dddd4444"  # named by an older tinylib, without its owner
        ancient = tmp_path / ".packed.partial-othermachine-999-eeee5555"
        unrelated = tmp_path / ".other.partial-othermachine-999-ffff6666"
        for folder in (mine, dead, elsewhere, old_style, ancient, unrelated):
            folder.mkdir()
        week_ago = time.time() - 7 * 24 * 3600
        os.utime(ancient, (week_ago, week_ago))
        removed = data_files.remove_leftovers(tmp_path, "packed")
        assert sorted(p.name for p in removed) == sorted([dead.name, ancient.name])
        assert mine.is_dir() and elsewhere.is_dir() and old_style.is_dir() and unrelated.is_dir()
    finally:
        live.kill()
        live.wait()


def _gone(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as handle:
            return handle.read().rsplit(")", 1)[1].split()[0] in ("Z", "X")  # a zombie has exited
    except FileNotFoundError:
        return True


def _exit_events(pids: list[int]) -> list[int]:
    """A pidfd per process still running: readable once that process has exited (Linux 5.3)."""
    events = []
    for pid in pids:
        try:
            events.append(os.pidfd_open(pid))
        except ProcessLookupError:  # already gone
            pass
    return events


def _wait_for_all(events: list[int]) -> None:
    """Block until every pidfd in `events` is readable (its process exited), then close them."""
    waiting = list(events)
    while waiting:
        ready, _, _ = select.select(waiting, [], [])
        waiting = [event for event in waiting if event not in ready]
    for event in events:
        os.close(event)


def _children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(entry.name))
    return found


@pytest.mark.skipif(not hasattr(os, "pidfd_open"), reason="reads /proc and waits on pidfds (Linux)")
def test_synthetic_workers_die_with_their_parent(tmp_path):
    root = tmp_path / "synthetic"
    script = textwrap.dedent(
        f"""
        import time
        from tinylib.data import synthetic
        render = synthetic._render_entry
        def slow(job):
            time.sleep(0.05)
            return render(job)
        synthetic._render_entry = slow
        synthetic.make_synthetic({str(root)!r}, num_classes=2, train_per_class=200, val_per_class=5,
                                 test_per_class=5, workers=2, progress=False)
        """
    )
    process = subprocess.Popen([sys.executable, "-c", script], env=_child_env())
    while len(list(tmp_path.glob(".synthetic.partial-*/train/*/images/*.JPEG"))) < 10 and process.poll() is None:
        time.sleep(0.05)
    assert process.poll() is None, "the dataset was finished before its parent could be killed"
    workers = _children(process.pid)
    assert len(workers) >= 2
    watched = _exit_events(workers)  # before the kill: a pid reused later cannot be mistaken for a worker
    process.send_signal(signal.SIGKILL)
    process.wait()
    _wait_for_all(watched)  # an event per worker, no deadline: a worker that outlived its parent hangs here
    assert all(map(_gone, workers)), "worker processes outlived their parent"
    assert len(_leftovers(tmp_path)) == 1
    small = dict(num_classes=2, train_per_class=3, val_per_class=1, test_per_class=1, workers=1, progress=False)
    make_synthetic(root, **small)
    assert _leftovers(tmp_path) == [] and [p.name for p in tmp_path.iterdir()] == ["synthetic"]


# --- item 4: full disks ---------------------------------------------------------------------


def _free(megabytes: int):
    """A stand-in for shutil.disk_usage: a 1 TB disk with `megabytes` free."""
    usage = collections.namedtuple("usage", "total used free")
    return lambda path: usage(10**12, 10**12 - megabytes * 2**20, megabytes * 2**20)


def test_a_zip_that_unpacks_beyond_the_free_space_is_refused_before_writing(tmp_path, monkeypatch):
    bomb = tmp_path / "tiny.zip"
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("tiny/wnids.txt", "n0\n")
        with archive.open("tiny/train/n0/images/huge.bin", "w") as member:
            for _ in range(200):
                member.write(bytes(2**20))
    assert bomb.stat().st_size < 2**20
    monkeypatch.setattr(shutil, "disk_usage", _free(100))
    with pytest.raises(ArchiveError, match=r"^not enough free space in .* it needs about 264 MB, 100 MB are free — "):
        prepare(bomb, tmp_path / "data", progress=False)
    assert list((tmp_path / "data").iterdir()) == []


def test_a_disk_that_fills_up_while_extracting_is_one_line_and_leaves_nothing(tmp_path, synthetic_root, monkeypatch):
    zip_path = _finder_zip(synthetic_root, tmp_path / "tiny-synthetic.zip")
    calls, original = [0], zipfile.ZipFile.extract

    def fill_up(self, member, path=None, pwd=None):
        calls[0] += 1
        if calls[0] > 30:
            raise OSError(errno.ENOSPC, "No space left on device")
        return original(self, member, path, pwd)

    monkeypatch.setattr(zipfile.ZipFile, "extract", fill_up)
    with pytest.raises(
        ArchiveError, match=r"filled up while writing the files of tiny-synthetic.zip; nothing was kept"
    ):
        prepare(zip_path, tmp_path / "data", progress=False)
    assert list((tmp_path / "data").iterdir()) == []


def test_pack_checks_the_free_space_first(dataset, monkeypatch, capsys):
    monkeypatch.setattr(shutil, "disk_usage", _free(10))
    with pytest.raises(NotEnoughSpaceError, match=r"for the packed cache: it needs about 65 MB, 10 MB are free"):
        pack(dataset, progress=False)
    assert main(["data", "pack", str(dataset), "--quiet"]) == 2
    assert len(capsys.readouterr().err.strip().splitlines()) == 1
    assert not (dataset / "packed").exists() and _leftovers(dataset) == []


def test_a_disk_that_fills_up_while_packing_is_one_line_and_leaves_nothing(dataset, monkeypatch):
    def full(fd, offset, length):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "posix_fallocate", full, raising=False)
    with pytest.raises(NotEnoughSpaceError, match=r"filled up while writing the packed cache; nothing was kept"):
        pack(dataset, progress=False)
    assert not (dataset / "packed").exists() and _leftovers(dataset) == []


def test_a_disk_that_fills_up_while_generating_is_one_line_and_leaves_nothing(tmp_path, monkeypatch):
    from tinylib.data import synthetic

    def full(build, spec, workers, progress):
        (build / "wnids.txt").write_text("s00000000\n")
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(synthetic, "_write_dataset", full)
    with pytest.raises(NotEnoughSpaceError, match=r"filled up while writing the synthetic dataset; nothing was kept"):
        make_synthetic(tmp_path / "synthetic", num_classes=2, train_per_class=2, val_per_class=1, progress=False)
    assert list(tmp_path.iterdir()) == []
