"""Tiny ImageNet and your own class folders: download, prepare, verify, layouts, one decoder, pipelines, packed cache.

Batches of files or arrays, on any backend, come from one door: `batches(images, labels, *, batch_size, ...)`.
Names that need Keras (`Augmenter`, `FlipCrop`, `PRESETS`) load on first use, so
``import tinylib.data`` stays quick and never imports TensorFlow by itself.
"""

import importlib

from tinylib.data.archive import ArchiveError, extract, prepare, safe_members
from tinylib.data.arrays import TrainingData
from tinylib.data.batching import batches
from tinylib.data.download import DownloadError, download, file_md5
from tinylib.data.drawing import synthetic_classes
from tinylib.data.folder_examples import folder_from_layout, synthetic_folder_for_profile
from tinylib.data.folders import images_under, read_folder_layout
from tinylib.data.images import ImageDecodeError, decode
from tinylib.data.layout import DatasetInfo, LayoutError
from tinylib.data.packed import is_fresh, load_packed, pack
from tinylib.data.pipeline import load_images, load_split
from tinylib.data.reader import read_layout
from tinylib.data.sources import dataset_for_profile
from tinylib.data.synthetic import make_synthetic, read_difficulty, synthetic_for_profile
from tinylib.data.verify import DatasetError, VerifyReport, verify
from tinylib.files import NotEnoughSpaceError

_LAZY = {"Augmenter": "augment", "FlipCrop": "augment", "PRESETS": "augment"}

__all__ = [
    "ArchiveError",
    "Augmenter",
    "DatasetError",
    "DatasetInfo",
    "DownloadError",
    "FlipCrop",
    "ImageDecodeError",
    "LayoutError",
    "NotEnoughSpaceError",
    "PRESETS",
    "TrainingData",
    "VerifyReport",
    "batches",
    "dataset_for_profile",
    "decode",
    "download",
    "extract",
    "file_md5",
    "folder_from_layout",
    "images_under",
    "is_fresh",
    "load_images",
    "load_packed",
    "load_split",
    "make_synthetic",
    "pack",
    "prepare",
    "read_difficulty",
    "read_folder_layout",
    "read_layout",
    "safe_members",
    "synthetic_classes",
    "synthetic_folder_for_profile",
    "synthetic_for_profile",
    "verify",
]


def __getattr__(name: str):
    if name in _LAZY:
        return getattr(importlib.import_module(f"{__name__}.{_LAZY[name]}"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
