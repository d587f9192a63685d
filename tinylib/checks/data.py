"""Checkers for the data exercises of notebook 01 (loading Tiny ImageNet).

`check_val_label(function)` calls a learner's ``val_label(root, file_name) -> int`` on two
tiny datasets written to a temporary folder (class ids deliberately not in alphabetical
order, labels unrelated to file numbers) and explains the classic mistakes without ever
printing the expected labels.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from pathlib import Path

import numpy as np
from PIL import Image

from tinylib.checks.feedback import ExerciseError, as_array, attempt, checker, expect, passed

EXERCISE = "val_label"
# Two little datasets: (wnids in wnids.txt order, the class of val_0, val_1, ... by wnid index)
CASES = (
    (("n04000004", "n01000001", "n03000003", "n02000002"), (2, 0, 3, 3, 1, 0, 2, 1, 0, 3)),
    (("n09000009", "n05000005", "n07000007"), (1, 2, 0, 0, 2, 1, 1, 0, 2)),
)
OTHER_WNIDS = ("n00000099", "n06000006", "n08000008")  # in words.txt only, like the rest of WordNet


def _write_case(root: Path, wnids: tuple[str, ...], classes: tuple[int, ...]) -> list[str]:
    (root / "val" / "images").mkdir(parents=True)
    (root / "wnids.txt").write_text("".join(f"{wnid}\n" for wnid in wnids))
    everything = sorted(wnids + OTHER_WNIDS)  # words.txt is sorted and lists more than the dataset's classes
    (root / "words.txt").write_text("\n".join(f"{wnid}\tthing {wnid[-2:]}" for wnid in everything))
    names, lines = [], []
    for number, label in enumerate(classes):
        name = f"val_{number * 7 + 3}.JPEG"  # not contiguous, as in the real set
        Image.new("RGB", (64, 64), (40 * label, 90, 160)).save(root / "val" / "images" / name)
        lines.append(f"{name}\t{wnids[label]}\t1\t2\t40\t50\n")
        names.append(name)
    (root / "val" / "val_annotations.txt").write_text("".join(lines))
    return names


def _diagnose(answers: list, wnids: tuple[str, ...], classes: tuple[int, ...], names: list[str]) -> str:
    """The most specific explanation of wrong integer `answers` for one case."""
    answers = np.asarray(answers)
    alphabetical = np.asarray([sorted(wnids).index(wnids[label]) for label in classes])
    everything = sorted(wnids + OTHER_WNIDS)
    in_words = np.asarray([everything.index(wnids[label]) for label in classes])
    truth = np.asarray(classes)
    if np.array_equal(answers, truth + 1):
        return "your labels are all one too high: labels count from 0, the first line of wnids.txt is label 0."
    if np.array_equal(answers, alphabetical):
        return (
            "your labels follow the alphabetical order of the class ids. A label is the position of the class "
            "id in wnids.txt, in that file's own order (which is not sorted)."
        )
    if np.array_equal(answers, in_words):
        return (
            "your labels are positions in words.txt, which lists all of WordNet. Number the classes by "
            "their line in wnids.txt instead."
        )
    wrong = int((answers != truth).sum())
    return (
        f"{wrong} of {len(names)} val files get a wrong label (for example {names[int(np.argmax(answers != truth))]}). "
        "The class of a val image is written only in val/val_annotations.txt (file name, then class id); "
        "the number in the file name says nothing about the class."
    )


@checker
def check_val_label(function: Callable[[Path, str], int]) -> None:
    """Check ``function(root, file_name) -> int``: the label (position in wnids.txt) of the
    val image `file_name` (e.g. "val_17.JPEG") of the dataset under `root`. Prints a success
    line, or raises ExerciseError saying what is wrong (never the expected labels)."""
    for wnids, classes in CASES:
        with tempfile.TemporaryDirectory(prefix="tinylib-check-") as folder:
            root = Path(folder) / "tiny-check"
            names = _write_case(root, wnids, classes)
            answers = []
            for name in names:
                call = f"{EXERCISE}(root, {name!r}) (root: the dataset folder, a pathlib.Path)"
                answer = attempt(function, call, root, name)
                if isinstance(answer, str) and answer.startswith("n") and answer[1:].isdigit():
                    raise ExerciseError(
                        f"{EXERCISE} returned a class id (a string such as 'n01443537'); a label is an int: "
                        "the position of that class id in wnids.txt."
                    )
                expect(
                    isinstance(answer, (int, np.integer)) and not isinstance(answer, bool),
                    f"{EXERCISE}(root, {name!r}) returned {type(answer).__name__} {answer!r}; expected an int label.",
                )
                answers.append(int(answer))
            if answers != list(classes):
                raise ExerciseError(f"{EXERCISE}: {_diagnose(answers, wnids, classes, names)}")
    passed(EXERCISE)


# --- pad-and-crop (the flip_crop augmentation without the flip) ------------------------------


def _pad_crop_truth(image: np.ndarray, pad: int, dy: int, dx: int, mode: str = "constant") -> np.ndarray:
    padded = np.pad(image, ((pad, pad), (pad, pad), (0, 0)), mode=mode)
    height, width = image.shape[:2]
    return padded[pad + dy : pad + dy + height, pad + dx : pad + dx + width]


# (pad, dy, dx): corners, the centre, and shifts whose row and column differ
PAD_CROP_CASES = ((2, 1, -2), (2, -2, 2), (4, 0, 0), (4, 3, -1), (1, -1, 1))


@checker
def check_pad_crop(function: Callable[[np.ndarray, int, int, int], np.ndarray]) -> None:
    """Check ``function(image, pad, dy, dx) -> image``: image uint8 (H, W, C); zero-pad `pad`
    pixels on every side, then cut the H x W window moved by (dy, dx) from the centre
    (-pad <= dy, dx <= pad), so output[r, c] = image[r + dy, c + dx] (0 outside the image).
    Same shape and dtype as the input. Prints a success line, or raises ExerciseError."""
    rng = np.random.default_rng(11)
    image = rng.integers(1, 256, (8, 10, 3), dtype=np.uint8)  # not square, no zero pixels
    for pad, dy, dx in PAD_CROP_CASES:
        call = f"pad_crop(image of shape {image.shape}, pad={pad}, dy={dy}, dx={dx})"
        answer = as_array(attempt(function, call, image.copy(), pad, dy, dx), call)
        expect(
            answer.shape == image.shape,
            f"{call} returned shape {answer.shape}; the crop must have the input's shape {image.shape}. "
            "Pad first, then cut a window as large as the original image.",
        )
        expect(answer.dtype == image.dtype, f"{call} returned dtype {answer.dtype}; keep the input's {image.dtype}.")
        if np.array_equal(answer, _pad_crop_truth(image, pad, dy, dx)):
            continue
        if np.array_equal(answer, _pad_crop_truth(image, pad, dx, dy)):
            raise ExerciseError(f"{call}: rows and columns are swapped. dy moves the window down, dx to the right.")
        if np.array_equal(answer, _pad_crop_truth(image, pad, dy, dx, mode="reflect")) or np.array_equal(
            answer, _pad_crop_truth(image, pad, dy, dx, mode="edge")
        ):
            raise ExerciseError(f"{call}: the border is filled with image pixels; pad with zeros (black) instead.")
        if np.array_equal(answer, _pad_crop_truth(image, pad, -dy, -dx)):
            raise ExerciseError(
                f"{call}: the window moves the wrong way. With dy=1 the first output row is the image's row 1."
            )
        if abs(dy) + abs(dx) and np.array_equal(answer, image):
            raise ExerciseError(f"{call} returned the image unchanged: the window is not moved by (dy, dx).")
        raise ExerciseError(
            f"{call}: {int(np.any(answer != _pad_crop_truth(image, pad, dy, dx), axis=-1).sum())} of "
            f"{image.shape[0] * image.shape[1]} pixels are wrong. The window starts at row pad + dy and "
            "column pad + dx of the padded image."
        )
    passed("pad and crop")


# --- per-channel statistics -----------------------------------------------------------------


@checker
def check_channel_stats(function: Callable[[np.ndarray], tuple]) -> None:
    """Check ``function(images) -> (mean, std)``: images uint8 (N, H, W, 3); mean and std
    float arrays of shape (3,), one value per colour channel over all pixels of all images,
    with pixel values scaled to [0, 1]. Prints a success line, or raises ExerciseError."""
    rng = np.random.default_rng(12)
    for count, size in ((6, 5), (3, 9)):
        offsets = np.linspace(-30, 30, count)  # images differ in brightness; channels in level and spread
        images = np.stack([rng.normal((60, 130, 200), (20, 40, 10), (size, size, 3)) + shift for shift in offsets])
        images = np.clip(images, 0, 255).astype(np.uint8)
        call = f"channel_stats(images of shape {images.shape})"
        answer = attempt(function, call, images.copy())
        expect(
            isinstance(answer, (tuple, list)) and len(answer) == 2,
            f"{call} returned {type(answer).__name__}; return two things: (mean, std)",
        )
        mean, std = (as_array(value, call).astype(np.float64) for value in answer)
        scaled = images.astype(np.float64) / 255
        truths = {"mean": scaled.mean(axis=(0, 1, 2)), "std": scaled.std(axis=(0, 1, 2))}
        for name, value in (("mean", mean), ("std", std)):
            truth = truths[name]
            expect(
                value.shape == (3,),
                f"your {name} has shape {value.shape}; expected one value per colour channel, shape (3,). "
                "Average over the image, row and column axes (0, 1, 2) together.",
            )
            expect(
                not np.allclose(value, truth * 255, rtol=1e-3),
                f"your {name} is on the 0..255 scale; scale pixels to [0, 1] (divide by 255) first.",
            )
            if name == "std" and np.allclose(value, scaled.std(axis=(1, 2)).mean(axis=0), rtol=1e-3):
                raise ExerciseError(
                    "your std is the mean of each image's own std; it misses how images differ from each other. "
                    "Take one std over all pixels of all images, per channel."
                )
            expect(
                np.allclose(value, truth, rtol=1e-3, atol=1e-6),
                f"your {name} per channel is off for {images.shape[0]} images of {size}x{size} pixels. "
                "Compute it over all pixels of all images, separately for R, G and B, after scaling to [0, 1].",
            )
    passed("channel statistics")
