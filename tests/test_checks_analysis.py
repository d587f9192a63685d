"""The top-5 accuracy checker: passes the reference, names each classic mistake, never the answer."""

import re

import numpy as np
import pytest

from tinylib.checks import ExerciseError, check_confusion_matrix, check_top5_accuracy
from tinylib.checks.analysis import NUM_CLASSES, RANKS, _case, _top_k


def reference(probabilities, labels):
    top5 = np.argsort(probabilities, axis=1)[:, -5:]
    return float(np.mean(np.any(top5 == labels[:, None], axis=1)))


def hits(probabilities, labels, k=5, ascending=False):
    order = np.argsort(probabilities if ascending else -probabilities, axis=1)[:, :k]
    return np.any(order == labels[:, None], axis=1)


WRONG = {
    "top-1": (lambda p, y: float(np.mean(p.argmax(axis=1) == y)), "that is the top-1 accuracy"),
    "least probable": (lambda p, y: float(np.mean(hits(p, y, ascending=True))), "five LEAST probable"),
    "count": (lambda p, y: int(hits(p, y).sum()), "returns a count of images"),
    "percent": (lambda p, y: 100 * float(hits(p, y).mean()), "not a percentage"),
    "top-4": (lambda p, y: float(hits(p, y, k=4).mean()), "that is the top-4 accuracy"),
    "wrong axis": (lambda p, y: float(np.mean(np.argsort(-p, axis=0)[:5] == y[:5, None])), "Sort each row (axis=1)"),
    "per row": (lambda p, y: hits(p, y), "return one number"),
    "crashes": (lambda p, y: p[:, 99], "raised IndexError"),
    "hard-coded": (lambda p, y: 0.7, "Does your function assume a fixed number"),
}


def test_reference_passes(capsys):
    check_top5_accuracy(reference)
    assert "✓ top-5 accuracy: correct" in capsys.readouterr().out


def test_the_hand_made_case_separates_the_mistakes():
    probabilities, labels = _case(RANKS, NUM_CLASSES, seed=4)
    scores = [_top_k(probabilities, labels, k) for k in range(1, NUM_CLASSES + 1)]
    assert scores[:5] == sorted(set(scores[:5]))  # top-1 .. top-5 all different
    assert _top_k(-probabilities, labels, 5) not in scores[:6]
    assert np.allclose(probabilities.sum(axis=1), 1) and len(set(map(tuple, np.round(probabilities, 6)))) == 10


@pytest.mark.parametrize("name", WRONG)
def test_wrong_answers_get_specific_feedback_without_the_answer(name):
    function, expected = WRONG[name]
    probabilities, labels = _case(RANKS, NUM_CLASSES, seed=4)
    answer = _top_k(probabilities, labels, 5)
    with pytest.raises(ExerciseError) as error:
        check_top5_accuracy(function)
    message = str(error.value)
    assert expected in message
    for leak in (f"{answer:g}", f"{100 * answer:g}", f"{answer * len(labels):g}"):  # 0.7, 70 (%), 7 (images)
        assert not re.search(rf"(?<![\d.]){re.escape(leak)}(?![\d.])", message), leak


# --- confusion matrix -----------------------------------------------------------------------


def confusion(labels, predicted, num_classes):
    matrix = np.zeros((num_classes, num_classes), int)
    for true, guess in zip(labels, predicted):
        matrix[true, guess] += 1
    return matrix


def confusion_sklearn(labels, predicted, num_classes):
    from sklearn.metrics import confusion_matrix

    return confusion_matrix(labels, predicted, labels=range(num_classes))


@pytest.mark.parametrize(
    ("wrong", "message"),
    [
        (lambda labels, predicted, num_classes: confusion(labels, predicted, num_classes).T, "swapped"),
        (lambda labels, predicted, num_classes: confusion(labels, predicted, max(labels) + 1), "never occur"),
        (lambda labels, predicted, num_classes: confusion(labels, predicted, num_classes) / len(labels), "normalised"),
        (
            lambda labels, predicted, num_classes: (
                np.eye(num_classes, dtype=int)[labels].T @ np.eye(num_classes)[labels]
            ),
            "some counts are wrong",
        ),
        (lambda labels, predicted, num_classes: None, r"returned shape \(\)"),
    ],
)
def test_confusion_checker_names_the_mistake(wrong, message, capsys):
    import importlib.util

    # scikit-learn is a second correct solution where it is installed (dev extra, Colab); the
    # Colab-versions leg installs only what the kit needs.
    solutions = (confusion, confusion_sklearn) if importlib.util.find_spec("sklearn") else (confusion,)
    for solution in solutions:
        check_confusion_matrix(solution)
        assert "✓ confusion matrix" in capsys.readouterr().out
    with pytest.raises(ExerciseError, match=message):
        check_confusion_matrix(wrong)
