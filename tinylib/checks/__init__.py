"""Exercise checkers: call a learner's function on tiny inputs and give friendly feedback.

Each checker prints what is right or what is wrong ("your block returns shape (None, 32, 32,
64); expected (None, 32, 32, 128)") and raises `ExerciseError` on a wrong answer, so a
notebook's check cell fails visibly. Checkers never print the answer itself.
"""

from tinylib.checks.analysis import check_top5_accuracy as check_top5_accuracy
from tinylib.checks.data import check_val_label as check_val_label
from tinylib.checks.feedback import ExerciseError, passed

__all__ = ["ExerciseError", "passed"]
