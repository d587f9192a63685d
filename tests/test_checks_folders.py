"""Notebook 06's checkers: the split key of a photo and the centre square of a photo."""

import hashlib

import pytest

from tinylib.checks import ExerciseError, NotWrittenYet, check_centre_square, check_split_key


def right_split_key(path, seed=0):
    digest = hashlib.sha256(f"{seed}/{path}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


def right_centre_square(width, height):
    side = min(width, height)
    left, top = (width - side) // 2, (height - side) // 2
    return left, top, left + side, top + side


def test_right_answers_pass_with_one_line(capsys):
    check_split_key(right_split_key)
    check_centre_square(right_centre_square)
    assert capsys.readouterr().out.splitlines() == [
        "✓ split key per file: correct, well done.",
        "✓ centre square: correct, well done.",
    ]


@pytest.mark.parametrize(
    ("wrong", "message"),
    [
        (lambda path, seed: int.from_bytes(hashlib.sha256(f"{seed}/{path}".encode()).digest()[:8], "big"),
         r"split_key\('a.jpg', 0\) returned int; return a float"),
        (lambda path, seed: right_split_key(path, seed) * 2, r"outside \[0, 1\)|not 0\."),
        (lambda path, seed: right_split_key(path, 0), r"split_key\('a.jpg', 1\) returned"),
        (lambda path, seed: right_split_key(path.split("/")[-1], seed), r"split_key\('2024/beach.png', 0\) returned"),
    ],
)  # fmt: skip
def test_wrong_split_keys_name_the_case_and_the_rule(wrong, message):
    with pytest.raises(ExerciseError, match=message):
        check_split_key(wrong)


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


def test_a_stub_is_named_as_not_written_yet_with_the_hint_to_ask_for():
    def stub(*args):
        raise NotImplementedError

    for checker in (check_split_key, check_centre_square):
        with pytest.raises(NotWrittenYet, match=rf"`stub` is not written yet(.|\n)*hint\(\"{checker.__name__}\"\)"):
            checker(stub)
