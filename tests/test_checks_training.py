import math

import pytest

from tinylib.checks import ExerciseError
from tinylib.checks.training import check_triangular


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
