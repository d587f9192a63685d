"""Checkers for the training exercises of notebook 03: the triangular cyclical learning rate."""

from __future__ import annotations

from collections.abc import Callable

import keras

from tinylib.checks.feedback import ExerciseError, expect, passed
from tinylib.train import CyclicalLearningRate

# (step, base_lr, max_lr, step_size): the start, rising and falling halves, peaks and a later cycle
CASES = [(0, 1e-4, 1e-3, 2000), (500, 1e-4, 1e-3, 2000), (2000, 1e-4, 1e-3, 2000), (3000, 1e-4, 1e-3, 2000),
         (4000, 1e-4, 1e-3, 2000), (7500, 1e-4, 1e-3, 2000), (15, 0.01, 0.1, 10), (25, 0.01, 0.1, 10)]  # fmt: skip


def check_triangular(function: Callable[[int, float, float, int], float]) -> None:
    """`function(step, base_lr, max_lr, step_size) -> learning rate` must match Smith's
    triangular policy at every case (the kit's CyclicalLearningRate gives the truth)."""
    for step, base_lr, max_lr, step_size in CASES:
        try:
            found = float(function(step, base_lr, max_lr, step_size))
        except Exception as error:
            raise ExerciseError(
                f"your function raised {type(error).__name__}: {error} for step={step}, base_lr={base_lr}, "
                f"max_lr={max_lr}, step_size={step_size}"
            ) from None
        schedule = CyclicalLearningRate(base_lr, max_lr, step_size, "triangular")
        expected = float(keras.ops.convert_to_numpy(schedule(step)))
        where = f"at step {step} (base_lr={base_lr}, max_lr={max_lr}, step_size={step_size})"
        expect(
            base_lr - 1e-12 <= found <= max_lr + 1e-12,
            f"{where} your rate is {found:.6g}, outside [base_lr, max_lr]: the triangle never leaves that band.",
        )
        hint = "rising" if (step // step_size) % 2 == 0 else "falling"
        expect(
            abs(found - expected) <= 1e-9 + 1e-6 * abs(expected),
            f"{where} your rate is {found:.6g}; this is the {hint} half of cycle {1 + step // (2 * step_size)}. "
            "Check how you compute the cycle number and x = |step / step_size - 2 * cycle + 1|.",
        )
    passed("triangular cyclical learning rate")
