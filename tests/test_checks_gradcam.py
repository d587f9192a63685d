"""The Grad-CAM core checker: passes right answers (mean or summed weights), names each classic mistake."""

import numpy as np
import pytest

from tinylib.checks import ExerciseError, check_grad_cam_core
from tinylib.checks.gradcam import SHAPES, _proportional, case, mistakes, reference

pytestmark = pytest.mark.backend


def keras_io_style(feature_maps, gradients):
    """keras-io's grad_cam.py, for one image: pooled gradients, matrix product, ReLU / max."""
    pooled = gradients.mean(axis=(0, 1))
    heatmap = np.maximum(feature_maps @ pooled, 0)
    peak = heatmap.max()
    return heatmap / peak if peak > 0 else np.zeros_like(heatmap)


def summed_weights_min_max(feature_maps, gradients):
    """Weights summed over the positions and min-max scaling: the same map after normalisation."""
    heatmap = np.maximum(np.einsum("hwc,c->hw", feature_maps, gradients.sum(axis=(0, 1))), 0)
    span = heatmap.max() - heatmap.min()
    return (heatmap - heatmap.min()) / span if span > 0 else np.zeros_like(heatmap)


def normalised(heatmap):
    return heatmap / heatmap.max()


def relu_sum(maps, weights):
    return np.maximum((maps * weights).sum(-1), 0)


WRONG = {
    "no ReLU": (lambda m, g: normalised((m * g.mean(axis=(0, 1))).sum(-1)), "negative values"),
    "abs": (lambda m, g: normalised(np.abs((m * g.mean(axis=(0, 1))).sum(-1))), "LOWER the class score"),
    "not normalised": (lambda m, g: relu_sum(m, g.mean(axis=(0, 1))), "divide by the maximum"),
    "summed, not normalised": (lambda m, g: relu_sum(m, g.sum(axis=(0, 1))), "divide by the maximum"),
    "weights over channels": (lambda m, g: normalised(relu_sum(m, g.mean(axis=-1, keepdims=True))), "vary by position"),
    "weights over height": (lambda m, g: normalised(relu_sum(m, g.mean(axis=0))), "height only"),
    "one weight for all": (lambda m, g: normalised(relu_sum(m, g.mean())), "one number for all channels"),
    "gradient x map": (lambda m, g: normalised(relu_sum(m, g)), "each position's gradient"),
    "gradients weighted": (lambda m, g: normalised(relu_sum(g, g.mean(axis=(0, 1)))), "you weigh the gradients"),
    "swapped": (lambda m, g: normalised(relu_sum(g, m.mean(axis=(0, 1)))), "swapped"),
    "channels kept": (lambda m, g: normalised(np.maximum(m * g.mean(axis=(0, 1)), 0)), "sum the weighted feature maps"),
    "transposed": (lambda m, g: keras_io_style(m, g).T, "expected one value per position"),
    "divides by zero": (lambda m, g: normalised(relu_sum(m, g.mean(axis=(0, 1)))), "NaN"),
    "hard-coded size": (lambda m, g: keras_io_style(m, g) if m.shape[0] == 5 else np.ones(m.shape[:2]), "first case"),
}  # fmt: skip


@pytest.mark.parametrize("function", [keras_io_style, summed_weights_min_max])
def test_right_answers_pass(function, capsys):
    with np.errstate(invalid="ignore"):
        check_grad_cam_core(function)
    assert "✓ Grad-CAM heat map: correct" in capsys.readouterr().out


def test_the_cases_separate_the_mistakes():
    for seed, shape in enumerate(SHAPES):
        maps, gradients = case(*shape, seed=40 + seed)
        truth = reference(maps, gradients)
        assert 0 < (truth == 0).sum() < truth.size  # ReLU cuts some places, not all
        candidates = [candidate for candidate, _ in mistakes(maps, gradients)]
        for index, candidate in enumerate(candidates):
            assert not _proportional(candidate, truth)
            assert not any(_proportional(candidate, other) for other in candidates[index + 1 :])


@pytest.mark.parametrize("name", WRONG)
def test_wrong_answers_get_specific_feedback(name):
    function, expected = WRONG[name]
    with pytest.raises(ExerciseError) as error, np.errstate(invalid="ignore", divide="ignore"):
        check_grad_cam_core(function)
    assert expected in str(error.value)
