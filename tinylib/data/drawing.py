"""Draws one synthetic Tiny ImageNet image: a class's textured, coloured shape over clutter.

Each class is a (texture, colour, shape) triple such as "striped red star". An image shows
one object of its class at a random position, size and rotation over a cluttered, noisy
background of small distractor shapes; hard variants hide part of it, lower its contrast,
add a smaller object of another class, or shrink it. `tinylib.data.synthetic` writes many
such images as a dataset.
"""

from __future__ import annotations

import colorsys
import math
from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageDraw

IMAGE_SIZE = 64

SHAPES = ("circle", "square", "triangle", "star", "ring", "cross", "crescent", "heart", "arrow", "hexagon")
COLOURS = {  # name -> hue in [0, 1)
    "red": 0.0,
    "orange": 0.07,
    "yellow": 0.15,
    "green": 0.33,
    "teal": 0.48,
    "blue": 0.62,
    "purple": 0.76,
    "pink": 0.9,
}
TEXTURES = ("solid", "striped", "checked", "dotted")
HARD_KINDS = ("occluded", "low_contrast", "two_objects", "tiny")
MAX_CLASSES = len(SHAPES) * len(COLOURS) * len(TEXTURES)  # 320 distinct classes

_YY, _XX = np.mgrid[0:IMAGE_SIZE, 0:IMAGE_SIZE].astype(np.float32) + 0.5


@dataclass(frozen=True)
class SyntheticClass:
    """One class: its WordNet-style id (letter + 8 digits, like n01443537) and its parts."""

    wnid: str
    shape: str
    colour: str
    texture: str

    @property
    def name(self) -> str:
        return f"{self.texture} {self.colour} {self.shape}"


def synthetic_classes(num_classes: int) -> list[SyntheticClass]:
    """The first `num_classes` classes. The first ten have ten different shapes; later ones
    reuse shapes with other colour/texture pairs, so related classes share parts."""
    if not 1 <= num_classes <= MAX_CLASSES:
        raise ValueError(f"num_classes must be between 1 and {MAX_CLASSES}, got {num_classes}")
    colours = list(COLOURS)
    classes = []
    for k in range(num_classes):
        block, shape_index = divmod(k, len(SHAPES))
        colour = colours[(shape_index + block % len(colours)) % len(colours)]
        texture = TEXTURES[(shape_index + block // len(colours)) % len(TEXTURES)]
        classes.append(SyntheticClass(f"s{k:08d}", SHAPES[shape_index], colour, texture))
    return classes


# ----------------------------------------------------------------------------- geometry


def _shape_outline(shape: str) -> list[list[tuple[float, float]]]:
    """Polygons in unit coordinates (radius ~1 around the origin); the first is filled,
    any further ones are cut out (holes)."""

    def regular(n: int, radius: float = 1.0, start: float = -math.pi / 2):
        return [
            (radius * math.cos(start + 2 * math.pi * i / n), radius * math.sin(start + 2 * math.pi * i / n))
            for i in range(n)
        ]

    if shape == "circle":
        return [regular(48)]
    if shape == "square":
        return [regular(4, 1.0, math.pi / 4)]
    if shape == "triangle":
        return [[(x, y + 0.2) for x, y in regular(3, 1.15)]]
    if shape == "hexagon":
        return [regular(6)]
    if shape == "star":
        points = []
        for i in range(10):
            radius = 1.0 if i % 2 == 0 else 0.42
            angle = -math.pi / 2 + math.pi * i / 5
            points.append((radius * math.cos(angle), radius * math.sin(angle)))
        return [points]
    if shape == "ring":
        return [regular(48), regular(48, 0.55)]
    if shape == "cross":
        a, b = 0.33, 1.0
        return [
            [(-a, -b), (a, -b), (a, -a), (b, -a), (b, a), (a, a), (a, b), (-a, b), (-a, a), (-b, a), (-b, -a), (-a, -a)]
        ]
    if shape == "crescent":
        return [regular(48), [(x + 0.45, y - 0.2) for x, y in regular(48, 0.82)]]
    if shape == "heart":
        points = []
        for i in range(60):
            t = 2 * math.pi * i / 60
            x = 16 * math.sin(t) ** 3
            y = 13 * math.cos(t) - 5 * math.cos(2 * t) - 2 * math.cos(3 * t) - math.cos(4 * t)
            points.append((x / 16.5, -y / 16.5 - 0.1))
        return [points]
    if shape == "arrow":
        return [[(0, -1), (0.75, -0.15), (0.3, -0.15), (0.3, 1), (-0.3, 1), (-0.3, -0.15), (-0.75, -0.15)]]
    raise ValueError(f"unknown shape {shape!r}; known: {', '.join(SHAPES)}")


_OUTLINES = {shape: _shape_outline(shape) for shape in SHAPES}


def _place(polygon, cx: float, cy: float, radius: float, angle: float, scale: int):
    cos, sin = math.cos(angle), math.sin(angle)
    return [
        ((cx + radius * (x * cos - y * sin)) * scale, (cy + radius * (x * sin + y * cos)) * scale) for x, y in polygon
    ]


def _shape_mask(shape: str, cx: float, cy: float, radius: float, angle: float, supersample: int = 4) -> np.ndarray:
    """Anti-aliased coverage of one shape: float32 (64, 64) in [0, 1]."""
    size = IMAGE_SIZE * supersample
    canvas = Image.new("L", (size, size), 0)
    draw = ImageDraw.Draw(canvas)
    filled, *holes = _OUTLINES[shape]
    draw.polygon(_place(filled, cx, cy, radius, angle, supersample), fill=255)
    for hole in holes:
        draw.polygon(_place(hole, cx, cy, radius, angle, supersample), fill=0)
    small = canvas.resize((IMAGE_SIZE, IMAGE_SIZE), Image.Resampling.BOX)
    return np.asarray(small, dtype=np.float32) / 255.0


# ----------------------------------------------------------------------------- painting


def _hsv(hue: float, saturation: float, value: float) -> np.ndarray:
    return np.array(colorsys.hsv_to_rgb(hue % 1.0, saturation, value), dtype=np.float32)


def _texture(texture: str, rng: np.random.Generator) -> np.ndarray:
    """Pattern float32 (64, 64) in [0, 1]: 1 where the object shows its main colour."""
    angle = rng.uniform(0, math.pi)
    u = _XX * math.cos(angle) + _YY * math.sin(angle)
    v = -_XX * math.sin(angle) + _YY * math.cos(angle)
    period = rng.uniform(5.0, 8.0)
    phase = rng.uniform(0, period)
    if texture == "solid":
        return np.ones_like(u)
    if texture == "striped":
        return np.clip(0.5 + 2.0 * np.sin(2 * math.pi * (u + phase) / period), 0, 1)
    if texture == "checked":
        wave = np.sin(2 * math.pi * (u + phase) / period) * np.sin(2 * math.pi * (v + phase) / period)
        return np.clip(0.5 + 4.0 * wave, 0, 1)
    if texture == "dotted":
        du = (u + phase) % period - period / 2
        dv = (v + phase) % period - period / 2
        return np.clip(np.hypot(du, dv) - period * 0.22 + 0.5, 0, 1)  # 0 on the dots
    raise ValueError(f"unknown texture {texture!r}; known: {', '.join(TEXTURES)}")


def _object_layer(cls: SyntheticClass, rng: np.random.Generator, cx: float, cy: float, radius: float) -> np.ndarray:
    """RGB float32 (64, 64, 3): the class colour and texture, shaded by a light direction."""
    hue = COLOURS[cls.colour] + rng.normal(0, 0.015)
    main = _hsv(hue, rng.uniform(0.65, 1.0), rng.uniform(0.7, 1.0))
    accent = (
        _hsv(hue, rng.uniform(0.2, 0.6), rng.uniform(0.9, 1.0))
        if cls.texture == "dotted"
        else main * rng.uniform(0.25, 0.4)
    )
    pattern = _texture(cls.texture, rng)[..., None]
    layer = pattern * main + (1 - pattern) * accent
    light = rng.uniform(0, 2 * math.pi)
    ramp = ((_XX - cx) * math.cos(light) + (_YY - cy) * math.sin(light)) / max(radius, 1.0)
    return np.clip(layer * (1 + 0.2 * np.clip(ramp, -1, 1))[..., None], 0, 1)


def _background(rng: np.random.Generator) -> np.ndarray:
    """Cluttered background, float32 (64, 64, 3): a muted gradient, blotches and small
    distractor shapes in random colours (smaller than any object)."""
    first = _hsv(rng.uniform(), rng.uniform(0.05, 0.35), rng.uniform(0.3, 0.9))
    second = _hsv(rng.uniform(), rng.uniform(0.05, 0.35), rng.uniform(0.3, 0.9))
    angle = rng.uniform(0, 2 * math.pi)
    ramp = np.clip(((_XX - 32) * math.cos(angle) + (_YY - 32) * math.sin(angle)) / 64 + 0.5, 0, 1)[..., None]
    image = first * (1 - ramp) + second * ramp
    blotches = Image.fromarray((rng.uniform(0, 255, (6, 6, 3))).astype(np.uint8)).resize(
        (IMAGE_SIZE, IMAGE_SIZE), Image.Resampling.BICUBIC
    )
    image = image + (np.asarray(blotches, np.float32) / 255.0 - 0.5) * rng.uniform(0.1, 0.3)
    canvas = Image.fromarray((np.clip(image, 0, 1) * 255).astype(np.uint8)).resize(
        (128, 128), Image.Resampling.BILINEAR
    )
    draw = ImageDraw.Draw(canvas)
    for _ in range(rng.integers(3, 9)):
        colour = tuple(int(c * 255) for c in _hsv(rng.uniform(), rng.uniform(0.1, 0.7), rng.uniform(0.25, 0.95)))
        if rng.uniform() < 0.3:
            points = [tuple(p) for p in rng.uniform(0, 128, (2, 2))]
            draw.line(points, fill=colour, width=int(rng.integers(1, 4)))
        else:
            shape = SHAPES[rng.integers(len(SHAPES))]
            cx, cy, radius = rng.uniform(0, 64), rng.uniform(0, 64), rng.uniform(2.5, 6.5)
            draw.polygon(_place(_OUTLINES[shape][0], cx, cy, radius, rng.uniform(0, 2 * math.pi), 2), fill=colour)
    return np.asarray(canvas.resize((IMAGE_SIZE, IMAGE_SIZE), Image.Resampling.BOX), np.float32) / 255.0


def _box(mask: np.ndarray) -> tuple[int, int, int, int]:
    """Inclusive pixel box (x0, y0, x1, y1) of mask > 0.5, as in the official annotations."""
    ys, xs = np.nonzero(mask > 0.5)
    if len(xs) == 0:
        ys, xs = np.nonzero(mask > 0)
    return int(xs.min()), int(ys.min()), int(xs.max()), int(ys.max())


def render_image(cls: SyntheticClass, difficulty: str, rng: np.random.Generator, other: SyntheticClass | None = None):
    """One sample. Returns (uint8 (64, 64, 3) RGB image, box (x0, y0, x1, y1)).

    difficulty: "normal" or one of HARD_KINDS; `other` is the second object's class for
    "two_objects" (drawn smaller, so the label stays the larger object).
    """
    image = _background(rng)
    radius = rng.uniform(6.0, 8.5) if difficulty == "tiny" else rng.uniform(11.0, 21.0)
    margin = radius * 0.7
    cx, cy = rng.uniform(margin, IMAGE_SIZE - margin, 2)
    if difficulty == "two_objects" and other is not None:
        other_radius = radius * rng.uniform(0.6, 0.8)
        ox, oy = (IMAGE_SIZE - cx) + rng.normal(0, 4), (IMAGE_SIZE - cy) + rng.normal(0, 4)
        other_mask = _shape_mask(other.shape, ox, oy, other_radius, rng.uniform(0, 2 * math.pi))[..., None]
        image = image * (1 - other_mask) + _object_layer(other, rng, ox, oy, other_radius) * other_mask
    mask = _shape_mask(cls.shape, cx, cy, radius, rng.uniform(0, 2 * math.pi))
    alpha = mask[..., None]
    layer = _object_layer(cls, rng, cx, cy, radius)
    if difficulty == "low_contrast":
        local = (image * alpha).sum((0, 1)) / max(alpha.sum(), 1.0)
        layer = local + (layer - local) * rng.uniform(0.25, 0.4)
    image = image * (1 - alpha) + layer * alpha
    if difficulty == "occluded":
        box = _box(mask)
        width, height = box[2] - box[0] + 1, box[3] - box[1] + 1
        ow, oh = width * rng.uniform(0.55, 0.8), height * rng.uniform(0.55, 0.8)
        ox = rng.uniform(box[0] - ow / 3, box[2] + 1 - 2 * ow / 3)
        oy = rng.uniform(box[1] - oh / 3, box[3] + 1 - 2 * oh / 3)
        inside = (_XX >= ox) & (_XX < ox + ow) & (_YY >= oy) & (_YY < oy + oh)
        occluder = _hsv(rng.uniform(), rng.uniform(0.0, 0.3), rng.uniform(0.3, 0.8)) + rng.normal(
            0, 0.05, (IMAGE_SIZE, IMAGE_SIZE, 3)
        )
        image = np.where(inside[..., None], occluder, image)
    image = (image - 0.5) * rng.uniform(0.8, 1.15) + 0.5 + rng.uniform(-0.08, 0.08)
    image = image + rng.normal(0, rng.uniform(0.01, 0.05), image.shape)
    return (np.clip(image, 0, 1) * 255 + 0.5).astype(np.uint8), _box(mask)
