import math

import pytest

from tinylib.checks import ExerciseError
from tinylib.checks.training import check_triangular, check_warmup_cosine

pytestmark = pytest.mark.backend


def reference(step, base_lr, max_lr, step_size):
    cycle = math.floor(1 + step / (2 * step_size))
    x = abs(step / step_size - 2 * cycle + 1)
    return base_lr + (max_lr - base_lr) * max(0.0, 1 - x)


def no_abs(step, base_lr, max_lr, step_size):
    cycle = math.floor(1 + step / (2 * step_size))
    return base_lr + (max_lr - base_lr) * max(0.0, 1 - (step / step_size - 2 * cycle + 1))


def cycle_off_by_one(step, base_lr, max_lr, step_size):
    cycle = math.floor(step / (2 * step_size))
    x = abs(step / step_size - 2 * cycle + 1)
    return base_lr + (max_lr - base_lr) * max(0.0, 1 - x)


def sawtooth(step, base_lr, max_lr, step_size):
    return base_lr + (max_lr - base_lr) * (step % step_size) / step_size


def test_reference_passes(capsys):
    check_triangular(reference)
    assert "correct" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("wrong", "message"),
    [
        (no_abs, r"outside \[base_lr, max_lr\]"),
        (cycle_off_by_one, r"at step 500 .* rising half of cycle 1"),
        (sawtooth, r"falling half"),
        (lambda step, base_lr, max_lr, step_size: 1 / 0, "raised ZeroDivisionError"),
    ],
)
def test_wrong_formulas_are_rejected_with_a_reason(wrong, message):
    with pytest.raises(ExerciseError, match=message):
        check_triangular(wrong)


# --- cosine with warm-up --------------------------------------------------------------------


def warmup_cosine(step, peak_lr, total_steps, warmup_steps):
    if step < warmup_steps:
        return peak_lr * (0.1 + 0.9 * step / warmup_steps)
    progress = min((step - warmup_steps) / (total_steps - warmup_steps), 1.0)
    return peak_lr * 0.5 * (1 + math.cos(math.pi * progress))


def warmup_from_zero(step, peak_lr, total_steps, warmup_steps):
    if step < warmup_steps:
        return peak_lr * step / warmup_steps
    return warmup_cosine(step, peak_lr, total_steps, warmup_steps)


def no_clip(step, peak_lr, total_steps, warmup_steps):
    if step < warmup_steps:
        return warmup_cosine(step, peak_lr, total_steps, warmup_steps)
    return peak_lr * 0.5 * (1 + math.cos(math.pi * (step - warmup_steps) / (total_steps - warmup_steps)))


def cosine_from_zero(step, peak_lr, total_steps, warmup_steps):
    if step < warmup_steps:
        return warmup_cosine(step, peak_lr, total_steps, warmup_steps)
    return peak_lr * 0.5 * (1 + math.cos(math.pi * min(step / total_steps, 1.0)))


@pytest.mark.parametrize(
    ("wrong", "message"),
    [
        (warmup_from_zero, "starts at 10 % of the peak"),
        (no_clip, "must stay at 0"),
        (cosine_from_zero, "starts after the warm-up"),
        (lambda step, peak_lr, total_steps, warmup_steps: "0.1", "return a Python float"),
        (lambda step, peak_lr, total_steps, warmup_steps: peak_lr, "returned 0.1: wrong"),
    ],
)
def test_warmup_cosine_checker_names_the_mistake(wrong, message, capsys):
    check_warmup_cosine(warmup_cosine)
    assert "✓ cosine schedule with warm-up" in capsys.readouterr().out
    with pytest.raises(ExerciseError, match=message):
        check_warmup_cosine(wrong)
