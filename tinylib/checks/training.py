"""Checkers for the training exercises of notebook 03: the triangular cyclical learning rate and
the cosine schedule with warm-up."""

from __future__ import annotations

import math
from collections.abc import Callable

import keras
import numpy as np

from tinylib.checks.feedback import attempt, checker, expect, passed
from tinylib.train import CyclicalLearningRate, WarmupCosine

# (step, base_lr, max_lr, step_size): the start, rising and falling halves, peaks and a later cycle
CASES = [(0, 1e-4, 1e-3, 2000), (500, 1e-4, 1e-3, 2000), (2000, 1e-4, 1e-3, 2000), (3000, 1e-4, 1e-3, 2000),
         (4000, 1e-4, 1e-3, 2000), (7500, 1e-4, 1e-3, 2000), (15, 0.01, 0.1, 10), (25, 0.01, 0.1, 10)]  # fmt: skip


@checker
def check_triangular(function: Callable[[int, float, float, int], float]) -> None:
    """`function(step, base_lr, max_lr, step_size) -> learning rate` must match Smith's
    triangular policy at every case (the kit's CyclicalLearningRate gives the truth)."""
    for step, base_lr, max_lr, step_size in CASES:
        call = f"your function for step={step}, base_lr={base_lr}, max_lr={max_lr}, step_size={step_size}"
        found = attempt(lambda *case: float(function(*case)), call, step, base_lr, max_lr, step_size)
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


# (step, peak_lr, total_steps, warmup_steps): warm-up start and middle, the peak, the cosine, its end and beyond
WARMUP_CASES = ((0, 0.1, 1000, 100), (50, 0.1, 1000, 100), (100, 0.1, 1000, 100), (550, 0.1, 1000, 100),
                (900, 0.1, 1000, 100), (1000, 0.1, 1000, 100), (1500, 0.1, 1000, 100), (30, 0.4, 200, 0))  # fmt: skip


def _warmup_hint(found: float, step: int, peak: float, total: int, warmup: int) -> str:
    if step < warmup and abs(found - peak * step / warmup) < 1e-9:
        return "the warm-up starts at 0; here it starts at 10 % of the peak: peak * (0.1 + 0.9 * step / warmup)."
    if step >= total and found > 1e-9:
        return "after total_steps the rate must stay at 0: clip the progress to at most 1."
    if step >= warmup and abs(found - peak * 0.5 * (1 + math.cos(math.pi * step / total))) < 1e-9:
        return "the cosine starts after the warm-up: progress = (step - warmup) / (total - warmup)."
    return "compare each part with the formulas above the exercise."


@checker
def check_warmup_cosine(function: Callable[[int, float, int, int], float]) -> None:
    """`function(step, peak_lr, total_steps, warmup_steps) -> learning rate` must match the
    kit's WarmupCosine: linear from 10 % of the peak to the peak over the warm-up, then half a
    cosine down to 0 at total_steps, 0 afterwards."""
    for step, peak, total, warmup in WARMUP_CASES:
        call = f"warmup_cosine({step}, peak_lr={peak}, total_steps={total}, warmup_steps={warmup})"
        found = attempt(function, call, step, peak, total, warmup)
        expect(
            isinstance(found, (int, float, np.floating)),
            f"{call} returned {type(found).__name__}; return a Python float",
        )
        expected = float(keras.ops.convert_to_numpy(WarmupCosine(peak, total, warmup)(step)))
        expect(
            abs(float(found) - expected) <= 1e-6 * peak,
            f"{call} returned {float(found):.6g}: wrong, {_warmup_hint(float(found), step, peak, total, warmup)}",
        )
    passed("cosine schedule with warm-up")
