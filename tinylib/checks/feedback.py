"""How every checker reports: one error type for wrong answers, one line for right ones."""

from __future__ import annotations


class ExerciseError(AssertionError):
    """A learner's solution is not right yet; the message says what was expected and found."""


def passed(exercise: str) -> None:
    """Print the success line of an exercise."""
    print(f"✓ {exercise}: correct, well done.")


def expect(condition: bool, message: str) -> None:
    """Raise ExerciseError(message) unless `condition` holds."""
    if not condition:
        raise ExerciseError(message)


def attempt(function, call: str, *args):
    """`function(*args)`, with any exception turned into one ExerciseError line that names
    the call (e.g. "pad_crop(image of shape (8, 8, 3), pad=2, dy=1, dx=-2)")."""
    try:
        return function(*args)
    except ExerciseError:
        raise
    except Exception as error:
        raise ExerciseError(f"{call} raised {type(error).__name__}: {error}") from None


def as_array(answer, what: str):
    """A learner's answer as a NumPy array (Keras/TF/JAX tensors and lists are accepted)."""
    import numpy as np

    try:
        return np.asarray(answer)
    except Exception:
        raise ExerciseError(f"{what} returned {type(answer).__name__}, which is not an array") from None
