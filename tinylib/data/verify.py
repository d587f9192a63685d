"""Check a dataset folder completely before anyone trains on it: layout, counts, every image.

`verify(root)` returns a `VerifyReport`: per-class counts per split, grayscale files,
byte-identical duplicates and degenerate boxes (facts of the real data, reported, not
errors) and `problems` (anything that would make loading or labels wrong, each one precise
line naming the file). `tinylib data verify ROOT` prints the report and exits non-zero on
any problem.
"""

from __future__ import annotations

import hashlib
import os
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from tinylib.data.images import IMAGE_SIZE, ImageDecodeError, open_image
from tinylib.data.layout import DatasetInfo, LayoutError, is_image_name
from tinylib.data.reader import read_layout
from tinylib.files import is_metadata, read_fields

# Counts of the official tiny-imagenet-200.zip (prepare checks them for that archive).
OFFICIAL_COUNTS = {"classes": 200, "train_per_class": 500, "val_per_class": 50, "test": 10_000}
FIX = "re-extract it with `tinylib data prepare`"


class DatasetError(LayoutError):
    """A dataset failed verification; the message names the first problem and the fix."""


@dataclass
class VerifyReport:
    """What `verify` found. counts: int64 (num_classes,) images per class for "train" and
    "val", and the number of test images under "test"."""

    root: Path
    wnids: tuple[str, ...]
    counts: dict[str, np.ndarray | int]
    grayscale: dict[str, list[Path]] = field(default_factory=dict)
    duplicates: list[tuple[Path, ...]] = field(default_factory=list)
    degenerate_boxes: dict[str, list[Path]] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def summary(self) -> str:
        """A few aligned lines for people: counts, grayscale, duplicates, boxes, problems."""
        lines = [f"dataset      {self.root}", f"classes      {len(self.wnids)}"]
        for split in ("train", "val"):
            per_class = np.asarray(self.counts[split])
            spread = f"{per_class.min()}..{per_class.max()}" if per_class.size else "-"
            lines.append(f"{split:<12} {int(per_class.sum()):,} images ({spread} per class)")
        lines.append(f"{'test':<12} {self.counts['test']:,} images (unlabeled)")
        gray = {split: len(paths) for split, paths in self.grayscale.items()}
        lines.append(f"grayscale    {sum(gray.values())} ({', '.join(f'{k} {v}' for k, v in gray.items())})")
        lines.append(f"duplicates   {len(self.duplicates)} groups of byte-identical images")
        boxes = {split: len(paths) for split, paths in self.degenerate_boxes.items()}
        per_split = ", ".join(f"{k} {v}" for k, v in boxes.items())
        lines.append(f"flat boxes   {sum(boxes.values())} of zero width or height ({per_split})")
        lines.append("status       ok" if self.ok else f"status       {len(self.problems)} problem(s)")
        lines += [f"  - {problem}" for problem in self.problems[:20]]
        if len(self.problems) > 20:
            lines.append(f"  ... and {len(self.problems) - 20} more")
        return "\n".join(lines)

    def raise_for_problems(self) -> None:
        """Raise DatasetError naming the first problem (and how many more) unless ok."""
        if self.problems:
            more = f" (and {len(self.problems) - 1} more: run `tinylib data verify {self.root}`)"
            raise DatasetError(
                f"{self.root} failed verification: {self.problems[0]}{more if len(self.problems) > 1 else ''}"
            )


def _inspect(path: Path) -> tuple[str | None, str | None, str]:
    """(PIL mode, error or None, MD5 of the bytes) for one image file."""
    try:
        data = path.read_bytes()
    except OSError as error:
        return None, f"cannot be read ({error.strerror})", ""
    digest = hashlib.md5(data, usedforsecurity=False).hexdigest()
    try:
        image = open_image(data, str(path))  # the decoder packing uses: same verdict
    except ImageDecodeError as error:
        return None, error.reason, digest
    if image.size != (IMAGE_SIZE, IMAGE_SIZE):
        return image.mode, f"is {image.size[0]}x{image.size[1]}, expected {IMAGE_SIZE}x{IMAGE_SIZE}", digest
    return image.mode, None, digest


def _box_problems(info: DatasetInfo, problems: list[str], degenerate: dict[str, list[Path]]) -> None:
    for split, files, boxes in (("train", info.train_files, info.train_boxes), ("val", info.val_files, info.val_boxes)):
        degenerate[split] = []
        for path, (x0, y0, x1, y1) in zip(files, boxes.tolist()):
            if (x0, y0, x1, y1) == (-1, -1, -1, -1) and split == "train":
                continue  # no box line: reported once per class by _train_annotation_problems
            if not (0 <= x0 <= x1 < IMAGE_SIZE and 0 <= y0 <= y1 < IMAGE_SIZE):
                problems.append(
                    f"{path.relative_to(info.root)}: box {(x0, y0, x1, y1)} is not inside the "
                    f"{IMAGE_SIZE}x{IMAGE_SIZE} image with x0 <= x1 and y0 <= y1"
                )
            elif x0 == x1 or y0 == y1:
                degenerate[split].append(path)


def _train_annotation_problems(info: DatasetInfo, problems: list[str]) -> None:
    root = info.root
    train = root / "train"
    folders = [p.name for p in train.iterdir() if p.is_dir() and not is_metadata(p.name)] if train.is_dir() else []
    extra = sorted(name for name in folders if name not in info.wnids)
    if extra:
        problems.append(f"train/ has {len(extra)} class folder(s) not listed in wnids.txt (first: {extra[0]})")
    for wnid in info.wnids:
        folder = train / wnid
        images = {p.name for p in (folder / "images").glob("*") if is_image_name(p.name)}
        if not images:
            problems.append(f"train/{wnid}/images/ has no images, but {wnid} is listed in wnids.txt; {FIX}")
            continue
        boxes_file = folder / f"{wnid}_boxes.txt"
        if not boxes_file.is_file():
            problems.append(f"train/{wnid}/{wnid}_boxes.txt is missing; {FIX}")
            continue
        listed = {fields[0] for fields in read_fields(boxes_file)}
        missing, unboxed = sorted(listed - images), sorted(images - listed)
        if missing:
            problems.append(
                f"train/{wnid}/{wnid}_boxes.txt lists {len(missing)} file(s) missing from train/{wnid}/images/ "
                f"(first: {missing[0]}); {FIX}"
            )
        if unboxed:
            problems.append(f"train/{wnid}/images/ has {len(unboxed)} image(s) without a box (first: {unboxed[0]})")


def _val_problems(info: DatasetInfo, problems: list[str]) -> None:
    annotations = info.root / "val" / "val_annotations.txt"
    if not annotations.is_file():
        problems.append(
            f"no val/val_annotations.txt under {info.root}: the labels of the val images live only in that file; {FIX}"
        )
        return
    labelled = {path.name for path in info.val_files}
    folder = info.root / "val" / "images"
    unlabelled = sorted(p.name for p in folder.glob("*") if is_image_name(p.name)) if folder.is_dir() else []
    unlabelled = [name for name in unlabelled if name not in labelled]
    if unlabelled:
        problems.append(
            f"val/images/ has {len(unlabelled)} image(s) not listed in val/val_annotations.txt (first: {unlabelled[0]})"
        )


def _count_problems(report: VerifyReport, expected: dict | None) -> None:
    if not expected:
        return
    if "classes" in expected and len(report.wnids) != expected["classes"]:
        report.problems.append(f"wnids.txt lists {len(report.wnids)} classes, expected {expected['classes']}")
    for split in ("train", "val"):
        wanted = expected.get(f"{split}_per_class")
        counts = np.asarray(report.counts[split])
        wrong = np.flatnonzero(counts != wanted) if wanted is not None else []
        if len(wrong):
            first = wrong[0]
            report.problems.append(
                f"{split}: {len(wrong)} class(es) do not have {wanted} images "
                f"(first: {report.wnids[first]} has {counts[first]}); {FIX}"
            )
    if "test" in expected and report.counts["test"] != expected["test"]:
        report.problems.append(f"test/images/ has {report.counts['test']} images, expected {expected['test']}; {FIX}")


def verify(
    root: str | os.PathLike,
    expected: dict | None = None,
    decode: bool = True,
    workers: int | None = None,
    progress: bool = True,
) -> VerifyReport:
    """Verify the dataset under `root` (the folder that contains wnids.txt).

    Checks: the layout (`read_layout`; a wrong root raises LayoutError saying what was
    expected there), words.txt, a box for every train image and a file for every box line,
    val/val_annotations.txt against val/images/, every image decodes and is 64x64 (decode=
    False skips reading images), boxes inside the image. expected: optional counts, e.g.
    `OFFICIAL_COUNTS` ({"classes", "train_per_class", "val_per_class", "test"}).
    Reports grayscale files, byte-identical duplicates and degenerate boxes. Reads every
    image once, in threads (about 10 s per 100,000 images on 2 cores). A class-per-folder
    tree (`tinylib.data.folders`) has counts and, as problems, its unreadable files.
    """
    info = read_layout(root)
    report = VerifyReport(
        root=info.root,
        wnids=info.wnids,
        counts={
            "train": np.bincount(info.train_labels, minlength=info.num_classes),
            "val": np.bincount(info.val_labels, minlength=info.num_classes),
            "test": len(info.test_files),
        },
    )
    problems = report.problems
    if info.layout == "folders":  # read_layout decoded every image already; any size is fine
        problems += [f"{path.relative_to(info.root).as_posix()} {reason}; left out" for path, reason in info.skipped]
        return report
    if not (info.root / "words.txt").is_file():
        problems.append(f"no words.txt under {info.root}: class names come from it; {FIX}")
    _train_annotation_problems(info, problems)
    _val_problems(info, problems)
    _box_problems(info, problems, report.degenerate_boxes)
    _count_problems(report, expected)
    if decode:
        _decode_problems(info, report, workers, progress)
    return report


def _decode_problems(info: DatasetInfo, report: VerifyReport, workers: int | None, progress: bool) -> None:
    from tqdm.auto import tqdm

    splits = [(split, path) for split in ("train", "val", "test") for path in info.files(split)]
    by_digest: dict[str, list[Path]] = defaultdict(list)
    report.grayscale = {"train": [], "val": [], "test": []}
    with ThreadPoolExecutor(workers or min(os.cpu_count() or 1, 8)) as pool:
        results = pool.map(_inspect, [path for _, path in splits], chunksize=64)
        for (split, path), (mode, error, digest) in tqdm(
            zip(splits, results), total=len(splits), desc="verify images", unit="img", disable=not progress
        ):
            if error:
                report.problems.append(f"{path.relative_to(info.root)} {error}; {FIX}")
            if mode == "L":
                report.grayscale[split].append(path)
            if digest:
                by_digest[digest].append(path)
    report.duplicates = [tuple(paths) for paths in by_digest.values() if len(paths) > 1]
