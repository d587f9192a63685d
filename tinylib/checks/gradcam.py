"""Checker for notebook 04's Grad-CAM exercise: the heat map from feature maps and gradients, in NumPy.

`check_grad_cam_core(function)` calls a learner's ``grad_cam_heatmap(feature_maps, gradients)
-> heat map`` on made-up arrays (no model, any backend) whose classic wrong answers all differ
(no ReLU, abs instead of ReLU, weights averaged over the wrong axes, gradient times map per
position, the gradients weighted instead of the maps, no normalisation) and names the mistake
it sees. Weights summed instead of averaged over the positions are right: the normalisation
removes the scale.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from tinylib.checks.feedback import ExerciseError, as_array, attempt, checker, expect, passed

EXERCISE = "Grad-CAM heat map"
# (height, width, channels): not square, channel counts unlike height and width
SHAPES = ((5, 7, 6), (3, 4, 10))

RELU_HINT = "keep only the positive part of the weighted sum (ReLU: np.maximum(..., 0))"


def case(height: int, width: int, channels: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """(feature maps, gradients), float32 (H, W, C) each: maps non-negative (they come out of
    a ReLU), gradients with a mean of either sign per channel, so the weighted sum has positive
    and negative places, and an overall mean gradient above 0."""
    rng = np.random.default_rng(seed)
    maps = np.maximum(rng.normal(0.3, 1.0, (height, width, channels)), 0)
    means = rng.normal(0, 1, channels)
    means += 0.2 - means.mean()  # overall mean gradient > 0: "one weight for all" stays visible
    gradients = means + rng.normal(0, 0.8, (height, width, channels))
    return maps.astype(np.float32), gradients.astype(np.float32)


def _relu(cam: np.ndarray) -> np.ndarray:
    return np.maximum(cam, 0)


def weighted_sum(maps: np.ndarray, gradients: np.ndarray) -> np.ndarray:
    """float64 (H, W): the channel weights (mean gradient over the positions) times the maps, summed."""
    weights = gradients.astype(np.float64).mean(axis=(0, 1))
    return (maps.astype(np.float64) * weights).sum(axis=-1)


def reference(maps: np.ndarray, gradients: np.ndarray) -> np.ndarray:
    """float64 (H, W) in [0, 1]: ReLU of the weighted sum, divided by its maximum (all 0 if none)."""
    cam = _relu(weighted_sum(maps, gradients))
    peak = cam.max()
    return cam / peak if peak > 0 else np.zeros_like(cam)


def mistakes(maps: np.ndarray, gradients: np.ndarray) -> list[tuple[np.ndarray, str]]:
    """(heat map up to a positive scale, what went wrong) for each classic mistake."""
    maps, gradients = maps.astype(np.float64), gradients.astype(np.float64)
    cam = weighted_sum(maps, gradients)
    one_per_channel = "one weight per channel: the mean gradient over height and width (axes 0 and 1)"

    def weighed(values, weights):  # ReLU of the sum over channels of values x weights
        return _relu((values * weights).sum(axis=-1))

    return [
        (cam, f"your heat map has negative values: {RELU_HINT}."),
        (np.abs(cam), f"your heat map counts places that LOWER the class score as evidence (abs?): {RELU_HINT}."),
        (weighed(maps, gradients.mean(axis=-1, keepdims=True)), f"your weights vary by position; {one_per_channel}."),
        (weighed(maps, gradients.mean(axis=0)), f"your weights are averaged over height only; {one_per_channel}."),
        (
            weighed(maps, gradients.mean(axis=1, keepdims=True)),
            f"your weights are averaged over width only; {one_per_channel}.",
        ),
        (weighed(maps, gradients.mean()), f"your weights are one number for all channels; {one_per_channel}."),
        (
            weighed(maps, gradients),
            f"you multiply each position's gradient with its map; {one_per_channel}, then weigh the maps.",
        ),
        (
            weighed(gradients, gradients.mean(axis=(0, 1))),
            "you weigh the gradients; the channel weights multiply the FEATURE MAPS.",
        ),
        (
            weighed(gradients, maps.mean(axis=(0, 1))),
            "feature maps and gradients are swapped: average the gradients, weigh the maps.",
        ),
    ]


def _proportional(answer: np.ndarray, truth: np.ndarray) -> bool:
    """Whether `answer` is `truth` times a positive number (both not all zero)."""
    top, truth_top = np.abs(answer).max(), np.abs(truth).max()
    return bool(top > 0 and truth_top > 0 and np.allclose(answer / top, truth / truth_top, atol=1e-4))


def _diagnose(answer: np.ndarray, maps: np.ndarray, gradients: np.ndarray) -> str:
    """The most specific explanation of a wrong heat map `answer`."""
    if _proportional(answer, reference(maps, gradients)):
        return (
            f"your heat map has the right shape of values, but its maximum is {answer.max():.3g}: "
            "divide by the maximum, so the strongest place is 1 (and every value is in [0, 1])."
        )
    for candidate, message in mistakes(maps, gradients):
        if _proportional(answer, candidate):
            return message
    if answer.min() < -1e-6:
        return f"your heat map has negative values: {RELU_HINT}, then divide by the maximum."
    return (
        "your heat map is not the Grad-CAM map. Weigh each channel of the feature maps by its mean "
        "gradient over height and width, sum over the channels, keep the positive part, divide by the maximum."
    )


def _call(function: Callable, maps: np.ndarray, gradients: np.ndarray) -> np.ndarray:
    call = f"grad_cam_heatmap(feature_maps of shape {maps.shape}, gradients of shape {gradients.shape})"
    answer = as_array(attempt(function, call, maps.copy(), gradients.copy()), call)
    height, width = maps.shape[:2]
    expect(
        answer.shape == (height, width),
        f"{call} returned shape {answer.shape}; expected one value per position, ({height}, {width}): "
        "sum the weighted feature maps over the channel axis (the last one).",
    )
    expect(np.issubdtype(answer.dtype, np.floating), f"{call} returned dtype {answer.dtype}; return floats in [0, 1].")
    return answer.astype(np.float64)


@checker
def check_grad_cam_core(function: Callable[[np.ndarray, np.ndarray], np.ndarray]) -> None:
    """Check ``function(feature_maps, gradients) -> heat map``: both float32 (H, W, C), the
    gradients of the class score with respect to the maps; returns float (H, W) in [0, 1]:
    ReLU(sum over channels of mean-gradient weight x map) divided by its maximum, all zeros
    when no place raises the score. Prints a success line, or raises ExerciseError."""
    for seed, shape in enumerate(SHAPES):
        maps, gradients = case(*shape, seed=40 + seed)
        answer = _call(function, maps, gradients)
        if not np.allclose(answer, reference(maps, gradients), atol=1e-4):
            message = _diagnose(answer, maps, gradients)
            raise ExerciseError(message if seed == 0 else f"right on the first case, but for shape {shape}: {message}")
    maps, gradients = case(*SHAPES[0], seed=42)
    gradients = -np.abs(gradients)  # every weighted sum is below 0: nothing raises the score
    answer = _call(function, maps, gradients)
    expect(
        np.all(np.isfinite(answer)),
        "when no place raises the class score (every weighted sum is at most 0) your heat map holds NaN "
        "or inf: divide by the maximum only when it is above 0, and return zeros otherwise.",
    )
    expect(
        np.allclose(answer, 0, atol=1e-6),
        "when no place raises the class score (every weighted sum is at most 0) the heat map must be all "
        f"zeros: {RELU_HINT}.",
    )
    passed(EXERCISE)
