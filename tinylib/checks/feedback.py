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
