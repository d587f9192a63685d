"""Tiny ImageNet data: the official layout, a synthetic stand-in, and input pipelines."""

from tinylib.data.drawing import synthetic_classes
from tinylib.data.layout import DatasetInfo, LayoutError, read_layout
from tinylib.data.pipeline import load_images, load_split, make_dataset
from tinylib.data.synthetic import make_synthetic, read_difficulty, synthetic_for_profile

__all__ = [
    "DatasetInfo",
    "LayoutError",
    "load_images",
    "load_split",
    "make_dataset",
    "make_synthetic",
    "read_difficulty",
    "read_layout",
    "synthetic_classes",
    "synthetic_for_profile",
]
