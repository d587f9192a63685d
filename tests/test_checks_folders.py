"""Notebook 06's checkers: the validation share per class and the centre square of a photo."""

import pytest

from tinylib.checks import ExerciseError, check_centre_square, check_val_count


def right_val_count(count, share):
    if count < 2 or share == 0:
        return 0
    return min(count - 1, max(1, round(count * share)))


def right_centre_square(width, height):
    side = min(width, height)
    left, top = (width - side) // 2, (height - side) // 2
    return left, top, left + side, top + side


def test_right_answers_pass_with_one_line(capsys):
    check_val_count(right_val_count)
    check_centre_square(right_centre_square)
    assert capsys.readouterr().out.splitlines() == [
        "✓ validation share per class: correct, well done.",
        "✓ centre square: correct, well done.",
    ]


@pytest.mark.parametrize(
    ("wrong", "message"),
    [
        (
            lambda count, share: round(count * share),
            r"val_count\(2, 0.2\) returned 0: too few for a class of 2 images",
        ),
        (lambda count, share: max(1, round(count * share)), r"val_count\(0, 0.2\) returned 1: too many"),
        (
            lambda count, share: max(1, int(count * share)) if count > 1 else 0,
            r"val_count\(8, 0.2\) returned 1: too few",
        ),
        (lambda count, share: float(right_val_count(count, share)), "returned float; return a whole number"),
    ],
)
def test_wrong_val_counts_name_the_case_and_the_rule(wrong, message):
    with pytest.raises(ExerciseError, match=message):
        check_val_count(wrong)


@pytest.mark.parametrize(
    ("wrong", "message"),
    [
        (
            lambda w, h: (0, 0, min(w, h), min(w, h)),
            r"centre_square\(4032, 3024\) returned a square starting at \(0, 0\)",
        ),
        (lambda w, h: (0, 0, w, h), r"returned a 4032 x 3024 box"),
        (lambda w, h: right_centre_square(w, h)[:2], "return four whole numbers"),
        (lambda w, h: (-(-(w - min(w, h)) // 2), -(-(h - min(w, h)) // 2), 0, 0), "returned a"),
    ],
)
def test_wrong_squares_say_what_is_off(wrong, message):
    with pytest.raises(ExerciseError, match=message):
        check_centre_square(wrong)


def test_a_stub_fails_inside_the_checker_with_a_message():
    def stub(*args):
        raise NotImplementedError

    for checker in (check_val_count, check_centre_square):
        with pytest.raises(ExerciseError, match="raised NotImplementedError"):
            checker(stub)
