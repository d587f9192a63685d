"""How every checker reports: one error type for wrong answers, one line for right ones, a record for the grader."""

from __future__ import annotations

import functools
import os
from collections.abc import Callable

from tinylib.checks import records

LIBRARY_PATHS = ("site-packages", "dist-packages", f"{os.sep}tinylib{os.sep}")  # code that is not the learner's
_LAST_PASS: list[str] = []  # the success line printed by `passed` during the running check


class ExerciseError(AssertionError):
    """A learner's solution is not right yet; the message says what was expected and found.
    `exercise` is the checker's name ("check_pad_crop") once the error leaves a checker."""

    exercise: str = ""


class NotWrittenYet(ExerciseError):
    """The learner's function still raises NotImplementedError: the exercise is not written yet."""


def passed(exercise: str) -> None:
    """Print the success line of an exercise."""
    line = f"✓ {exercise}: correct, well done."
    _LAST_PASS.append(line)
    print(line)


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


def _unwritten(error: BaseException) -> str | None:
    """The name of the learner's function whose NotImplementedError is behind `error` (followed
    through the errors it was raised from or while handling), or None (none, or one raised
    inside a library)."""
    seen = set()
    while error is not None and id(error) not in seen:
        seen.add(id(error))
        if isinstance(error, NotImplementedError):
            trace = error.__traceback__
            while trace is not None and trace.tb_next is not None:
                trace = trace.tb_next
            where = trace.tb_frame.f_code.co_filename if trace is not None else ""
            if any(part in where for part in LIBRARY_PATHS):
                return None  # raised inside a library: a real error, not a stub
            return trace.tb_frame.f_code.co_name if trace is not None else "your function"
        error = error.__cause__ or error.__context__
    return None


def not_written_message(function: str, exercise: str) -> str:
    """The two lines a learner reads at an exercise not written yet (`function` still raises
    NotImplementedError; `exercise` the checker's name)."""
    return (
        f"`{function}` is not written yet (it still raises NotImplementedError): write its body in the "
        "exercise cell above, run that cell, then run this check again.\n"
        f'Stuck? from tinylib.checks import hint; hint("{exercise}")'
    )


def checker(function: Callable) -> Callable:
    """Decorator of every `check_...` function: records its verdict for the grader (`records`),
    names it on the ExerciseError it raises (`ExerciseError.exercise`), and turns a learner's
    function that still raises NotImplementedError into `NotWrittenYet` with two short lines."""
    name = function.__name__

    @functools.wraps(function)
    def check(*args, **kwargs):
        _LAST_PASS.clear()
        try:
            result = function(*args, **kwargs)
        except Exception as error:
            unwritten = _unwritten(error)
            if unwritten is not None:
                short = NotWrittenYet(not_written_message(unwritten, name))
                short.exercise = name
                records.record(name, "failed", f"`{unwritten}` is not written yet (NotImplementedError)")
                raise short from None
            if isinstance(error, ExerciseError):
                error.exercise = name
            records.record(name, "failed", f"{type(error).__name__}: {error}")
            raise
        records.record(name, "passed", _LAST_PASS[-1] if _LAST_PASS else "✓ correct")
        return result

    return check
