"""Exercise checkers: call a learner's function on tiny inputs and give friendly feedback.

Each checker prints what is right or what is wrong ("your block returns shape (None, 32, 32,
64); expected (None, 32, 32, 128)") and raises `ExerciseError` on a wrong answer, so a
notebook's check cell fails visibly; it also hands its verdict to the grader (`records`),
never through printed text. Checkers never print the answer itself. `hint(exercise)` helps a
learner who is stuck. `EXERCISES` lists every checker with the notebook whose exercise it
checks. Checkers are imported on first use (`import tinylib.checks` stays light: the model
checkers need Keras); in IPython, importing this package makes wrong answers show as their
message alone (`hints.short_errors`).
"""

from __future__ import annotations

import importlib

from tinylib.checks.feedback import ExerciseError, NotWrittenYet, passed
from tinylib.checks.hints import HINTS, hint, short_errors

# checker -> (its module in tinylib.checks, the notebook in notebooks/ whose exercise cell it checks)
CHECKERS = {
    "check_val_label": ("data", "01_loading_tiny_imagenet"),
    "check_pad_crop": ("data", "01_loading_tiny_imagenet"),
    "check_channel_stats": ("data", "01_loading_tiny_imagenet"),
    "check_tf_data_pipeline": ("pipeline", "01_loading_tiny_imagenet"),
    "check_conv_output_size": ("models", "02_residual_architecture"),
    "check_residual_block": ("models", "02_residual_architecture"),
    "check_preact_block": ("models", "02_residual_architecture"),
    "check_bottleneck_block": ("models", "02_residual_architecture"),
    "check_triangular": ("training", "03_training_on_gpu"),
    "check_warmup_cosine": ("training", "03_training_on_gpu"),
    "check_top5_accuracy": ("analysis", "04_inspecting_hard_examples"),
    "check_confusion_matrix": ("analysis", "04_inspecting_hard_examples"),
    "check_grad_cam_core": ("gradcam", "04_inspecting_hard_examples"),
    "check_one_change": ("improving", "05_improving_the_baseline"),
    "check_label_smoothing": ("improving", "05_improving_the_baseline"),
    "check_flip_average": ("improving", "05_improving_the_baseline"),
    "check_class_weights": ("improving", "05_improving_the_baseline"),
    "check_split_key": ("folders", "06_your_own_images"),
    "check_centre_square": ("folders", "06_your_own_images"),
}
short_errors()


def __getattr__(name: str):
    """A checker (imported from its module on first use), or EXERCISES: {checker: notebook}."""
    if name == "EXERCISES":
        return {__getattr__(checker): notebook for checker, (_, notebook) in CHECKERS.items()}
    if name not in CHECKERS:
        raise AttributeError(f"module 'tinylib.checks' has no attribute {name!r}")
    value = getattr(importlib.import_module(f"tinylib.checks.{CHECKERS[name][0]}"), name)
    globals()[name] = value
    return value


__all__ = ["CHECKERS", "EXERCISES", "HINTS", "ExerciseError", "NotWrittenYet", "hint", "passed", *CHECKERS]
