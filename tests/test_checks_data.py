"""The val-label checker passes the reference solution and explains plausible wrong ones."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest

from tinylib.checks import ExerciseError, check_channel_stats, check_pad_crop, check_val_label
from tinylib.data import read_layout


def reference(root: Path, file_name: str) -> int:
    wnids = (root / "wnids.txt").read_text().split()
    for line in (root / "val" / "val_annotations.txt").read_text().splitlines():
        name, wnid, *_ = line.split("\t")
        if name == file_name:
            return wnids.index(wnid)
    raise KeyError(file_name)


def with_read_layout(root, file_name):
    info = read_layout(root)
    return int(info.val_labels[[p.name for p in info.val_files].index(file_name)])


def alphabetical(root, file_name):
    wnid = _wnid_of(root, file_name)
    return sorted((root / "wnids.txt").read_text().split()).index(wnid)


def one_based(root, file_name):
    return reference(root, file_name) + 1


def from_words(root, file_name):
    words = [line.split("\t")[0] for line in (root / "words.txt").read_text().splitlines()]
    return words.index(_wnid_of(root, file_name))


def returns_wnid(root, file_name):
    return _wnid_of(root, file_name)


def from_file_number(root, file_name):
    return int(re.findall(r"\d+", file_name)[0]) % len((root / "wnids.txt").read_text().split())


def crashes(root, file_name):
    return (root / "val" / file_name).read_text()


def _wnid_of(root, file_name):
    lines = (root / "val" / "val_annotations.txt").read_text().splitlines()
    return next(line.split("\t")[1] for line in lines if line.startswith(file_name + "\t"))


@pytest.mark.parametrize("solution", [reference, with_read_layout])
def test_correct_solutions_pass(solution, capsys):
    check_val_label(solution)
    assert "✓ val_label: correct" in capsys.readouterr().out


@pytest.mark.parametrize(
    "wrong, hint",
    [
        (alphabetical, "alphabetical order of the class ids"),
        (one_based, "one too high: labels count from 0"),
        (from_words, "positions in words.txt"),
        (returns_wnid, "returned a class id"),
        (from_file_number, "says nothing about the class"),
        (crashes, "raised FileNotFoundError"),
    ],
    ids=lambda value: getattr(value, "__name__", "hint"),
)
def test_wrong_solutions_get_specific_feedback_without_the_answer(wrong, hint, capsys):
    with pytest.raises(ExerciseError) as error:
        check_val_label(wrong)
    message = str(error.value)
    assert hint in message
    assert "✓" not in capsys.readouterr().out
    # never the answer: no "file -> label" pairs, no list of expected labels
    assert not re.search(r"expected (label )?\d", message) and "[2, 0, 3" not in message and "(2, 0, 3" not in message


# --- pad and crop ---------------------------------------------------------------------------


def pad_crop(image, pad, dy, dx):
    padded = np.pad(image, ((pad, pad), (pad, pad), (0, 0)))
    return padded[pad + dy : pad + dy + image.shape[0], pad + dx : pad + dx + image.shape[1]]


def pad_crop_with_the_library(image, pad, dy, dx):
    from tinylib.data.augment import FlipCrop

    shifts, flips = np.array([[dy, dx]], np.int32), np.array([[False]])
    return np.asarray(FlipCrop(pad).transform(image[None], shifts, flips))[0]


def pad_crop_swapped(image, pad, dy, dx):
    return pad_crop(image, pad, dx, dy)


def pad_crop_reflect(image, pad, dy, dx):
    padded = np.pad(image, ((pad, pad), (pad, pad), (0, 0)), mode="reflect")
    return padded[pad + dy : pad + dy + image.shape[0], pad + dx : pad + dx + image.shape[1]]


def pad_crop_padded(image, pad, dy, dx):
    return np.pad(image, ((pad, pad), (pad, pad), (0, 0)))


def pad_crop_float(image, pad, dy, dx):
    return pad_crop(image, pad, dy, dx) / 255


def pad_crop_opposite(image, pad, dy, dx):
    return pad_crop(image, pad, -dy, -dx)


@pytest.mark.parametrize("solution", [pad_crop, pad_crop_with_the_library])
def test_pad_crop_checker_passes_the_reference_and_the_library(solution, capsys):
    check_pad_crop(solution)
    assert "✓ pad and crop" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("wrong", "message"),
    [
        (pad_crop_swapped, "rows and columns are swapped"),
        (pad_crop_reflect, "pad with zeros"),
        (pad_crop_padded, r"returned shape \(12, 14, 3\)"),
        (pad_crop_float, "dtype float64"),
        (pad_crop_opposite, "moves the wrong way"),
        (lambda image, pad, dy, dx: image, "unchanged"),
    ],
)
def test_pad_crop_checker_names_the_mistake(wrong, message):
    with pytest.raises(ExerciseError, match=message):
        check_pad_crop(wrong)


# --- channel statistics ---------------------------------------------------------------------


def channel_stats(images):
    scaled = images / 255.0
    return scaled.mean(axis=(0, 1, 2)), scaled.std(axis=(0, 1, 2))


@pytest.mark.parametrize(
    ("wrong", "message"),
    [
        (lambda images: (images.mean(axis=(0, 1, 2)), images.std(axis=(0, 1, 2))), "0..255 scale"),
        (lambda images: ((images / 255).mean(), (images / 255).std()), r"shape \(\)"),
        (lambda images: ((images / 255).mean(axis=0), (images / 255).std(axis=0)), r"shape \(5, 5, 3\)"),
        (
            lambda images: ((images / 255).mean(axis=(0, 1, 2)), (images / 255).std(axis=(1, 2)).mean(axis=0)),
            "mean of each image's own std",
        ),
        (lambda images: (images / 255).mean(axis=(0, 1, 2)), "return two things"),
    ],
)
def test_channel_stats_checker_names_the_mistake(wrong, message, capsys):
    check_channel_stats(channel_stats)
    assert "✓ channel statistics" in capsys.readouterr().out
    with pytest.raises(ExerciseError, match=message):
        check_channel_stats(wrong)
