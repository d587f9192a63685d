"""Checkers for notebook 06's exercises on a folder of your own images: how many photos of a
class go to validation, and which square of a photo the network sees.

The kit itself gives the answers: `tinylib.data.folders.split_stratified` (the per-class split)
and the centre crop of `tinylib.data.images.decode` (largest centred square, offsets rounded down).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from tinylib.checks.feedback import attempt, expect, passed

# (images in the class, validation share): tiny classes, rounding both ways, no validation at all
SPLIT_CASES = ((0, 0.2), (1, 0.2), (2, 0.2), (3, 0.2), (7, 0.2), (8, 0.2), (12, 0.2), (40, 0.2), (10, 0.5), (9, 0.0))
SPLIT_HINT = (
    "round(count * share), at least 1 when the class has 2 or more images (so every class is measured), "
    "at most count - 1 (so every class is trained on), and 0 when share is 0"
)
# (width, height) of photos: phone landscape and portrait, square, off by one pixel, tiny
SQUARE_CASES = ((4032, 3024), (3024, 4032), (64, 64), (65, 64), (64, 67), (101, 50), (1, 7))


def kit_val_count(count: int, share: float) -> int:
    """How many of a class's `count` images `split_stratified` puts in validation at `share`."""
    from tinylib.data.folders import split_stratified

    files = [Path(f"{k}.jpg") for k in range(count)]
    return len(split_stratified({"class": files}, val_share=share)[1]["class"])


def check_val_count(function: Callable[[int, float], int]) -> None:
    """Check ``function(count, share) -> int``: the number of a class's `count` images kept
    for validation when a `share` (0 to 1) of each class is, as `read_layout` splits a folder
    without a val/ folder. Prints a success line, or raises ExerciseError naming the case."""
    for count, share in SPLIT_CASES:
        call = f"val_count({count}, {share})"
        answer = attempt(function, call, count, share)
        expect(isinstance(answer, int), f"{call} returned {type(answer).__name__}; return a whole number (int).")
        truth = kit_val_count(count, share)
        if answer != truth:
            side = "too many" if answer > truth else "too few"
            expect(False, f"{call} returned {answer}: {side} for a class of {count} images. Use {SPLIT_HINT}.")
    passed("validation share per class")


def kit_centre_square(width: int, height: int) -> tuple[int, int, int, int]:
    """(left, top, right, bottom) of the largest centred square, as `decode` crops a photo."""
    side = min(width, height)
    left, top = (width - side) // 2, (height - side) // 2
    return left, top, left + side, top + side


def check_centre_square(function: Callable[[int, int], tuple]) -> None:
    """Check ``function(width, height) -> (left, top, right, bottom)``: the pixel box (right and
    bottom exclusive, as PIL's `crop` takes it) of the largest centred square of a `width` x
    `height` photo, offsets rounded down. Prints a success line, or raises ExerciseError."""
    for width, height in SQUARE_CASES:
        call = f"centre_square({width}, {height})"
        answer = attempt(function, call, width, height)
        expect(
            isinstance(answer, (tuple, list)) and len(answer) == 4,
            f"{call} returned {answer!r}; return four whole numbers (left, top, right, bottom).",
        )
        left, top, right, bottom = (int(value) for value in answer)
        truth = kit_centre_square(width, height)
        expect(
            right - left == bottom - top == min(width, height),
            f"{call} returned a {right - left} x {bottom - top} box; the largest square of a {width} x {height} "
            "photo has the shorter side as its side (right and bottom are exclusive: right - left is the width).",
        )
        expect(
            (left, top) == truth[:2],
            f"{call} returned a square starting at ({left}, {top}); it is not centred: cut equal margins from "
            "both ends of the longer side, the odd pixel (if any) at the right or bottom (round the margin down).",
        )
    passed("centre square")
