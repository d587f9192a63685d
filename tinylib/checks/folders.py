"""Checkers for notebook 06's exercises on a folder of your own images: which photos go to
validation, and which square of a photo the network sees.

The kit itself gives the answers: `tinylib.data.folders.split_key` (the per-file split)
and the centre crop of `tinylib.data.images.decode` (largest centred square, offsets rounded down).
"""

from __future__ import annotations

from collections.abc import Callable

from tinylib.checks.feedback import attempt, checker, expect, passed

# (path inside its class folder, seed): plain names, sub-folders, other seeds, non-ASCII names
KEY_CASES = (("a.jpg", 0), ("IMG_0001.JPG", 0), ("2024/beach.png", 0), ("a.jpg", 1), ("a.jpg", 7), ("café.jpg", 0))
KEY_HINT = (
    "hashlib.sha256(f\"{seed}/{path}\".encode()).digest() gives 32 bytes; take the first 8, read them as one "
    "big-endian integer (int.from_bytes(..., \"big\")) and divide by 2**64"
)
# (width, height) of photos: phone landscape and portrait, square, off by one pixel, tiny
SQUARE_CASES = ((4032, 3024), (3024, 4032), (64, 64), (65, 64), (64, 67), (101, 50), (1, 7))


@checker
def check_split_key(function: Callable[[str, int], float]) -> None:
    """Check ``function(path, seed) -> float``: the number in [0, 1) that decides whether a photo
    goes to validation (below the val share) or training, from its path inside its class folder,
    as `tinylib.data.folders.split_key` computes it. Prints a success line, or raises
    ExerciseError naming the case."""
    from tinylib.data.folders import split_key

    for path, seed in KEY_CASES:
        call = f"split_key({path!r}, {seed})"
        answer = attempt(function, call, path, seed)
        expect(isinstance(answer, float), f"{call} returned {type(answer).__name__}; return a float in [0, 1).")
        expect(0 <= answer < 1, f"{call} returned {answer}, outside [0, 1): divide by 2**64, not by 2**63 or 255.")
        expect(answer == split_key(path, seed), f"{call} returned {answer}, not {split_key(path, seed)}: {KEY_HINT}.")
    passed("split key per file")


def kit_centre_square(width: int, height: int) -> tuple[int, int, int, int]:
    """(left, top, right, bottom) of the largest centred square, as `decode` crops a photo."""
    side = min(width, height)
    left, top = (width - side) // 2, (height - side) // 2
    return left, top, left + side, top + side


@checker
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
