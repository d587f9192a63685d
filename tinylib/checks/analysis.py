"""Checkers for the exercises of notebook 04 (inspecting hard examples): top-5 accuracy and the
confusion matrix.

`check_top5_accuracy(function)` calls a learner's ``top5_accuracy(probabilities, labels) ->
float`` on small hand-made cases whose classic wrong answers all differ (top-1 instead of
top-5, the five *least* probable classes, a count or a percentage instead of a share, sorting
the wrong axis), and says which mistake it sees without ever printing the expected value.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from tinylib.checks.feedback import ExerciseError, as_array, attempt, checker, expect, passed

EXERCISE = "top-5 accuracy"
# Rank (1 = most probable) of the true class in each row of the hand-made case: top-k
# accuracies all differ for k = 1..5, and none equals the "five least probable" answer.
RANKS = (1, 1, 2, 3, 4, 5, 5, 6, 8, 8)
NUM_CLASSES = 8


def _case(ranks: tuple[int, ...], num_classes: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Probabilities (N, C) without ties and labels whose true class has the given rank."""
    rng = np.random.default_rng(seed)
    probabilities = np.zeros((len(ranks), num_classes), np.float32)
    labels = np.zeros(len(ranks), np.int64)
    levels = np.sort(rng.dirichlet(np.ones(num_classes), size=len(ranks)), axis=1)[:, ::-1]  # descending, row-wise
    for row, rank in enumerate(ranks):
        order = rng.permutation(num_classes)  # order[0] gets the largest probability
        probabilities[row, order] = levels[row] + np.linspace(1e-3, 0, num_classes)  # strictly descending
        labels[row] = order[rank - 1]
    return probabilities / probabilities.sum(axis=1, keepdims=True), labels


def _top_k(probabilities: np.ndarray, labels: np.ndarray, k: int) -> float:
    top = np.argsort(-probabilities, axis=1)[:, :k]
    return float(np.mean(np.any(top == labels[:, None], axis=1)))


def _call(function: Callable, probabilities: np.ndarray, labels: np.ndarray) -> float:
    call = f"calling your function on probabilities of shape {probabilities.shape} and labels of shape {labels.shape}"
    answer = attempt(function, call, probabilities.copy(), labels.copy())
    if isinstance(answer, np.ndarray) and answer.size == 1:
        answer = answer.item()
    expect(
        isinstance(answer, (int, float, np.number)) and not isinstance(answer, bool),
        f"your function returned {type(answer).__name__} {np.shape(answer) if hasattr(answer, 'shape') else ''}; "
        "return one number: the share of rows whose true label is among their five most probable classes",
    )
    return float(answer)


def _diagnose(answer: float, probabilities: np.ndarray, labels: np.ndarray) -> str:
    """The most specific explanation of a wrong `answer` on the hand-made case."""
    rows = len(labels)
    wrong = f"your function returns {answer:g} for {rows} images and {probabilities.shape[1]} classes: "
    if answer > 1:  # the value itself is not repeated: a count or a percentage would give the answer away
        if any(np.isclose(answer, rows * _top_k(probabilities, labels, k)) for k in range(1, 6)):
            return f"your function returns a count of images for {rows} images. Divide by the number of images."
        return "your function returns a number above 1. Return a share between 0 and 1, not a percentage."
    if np.isclose(answer, _top_k(probabilities, labels, 1)):
        return wrong + "that is the top-1 accuracy. Count a row as right when its label is among the FIVE best classes."
    if np.isclose(answer, _top_k(-probabilities, labels, 5)):
        return wrong + (
            "that counts the five LEAST probable classes. np.argsort sorts ascending: take the last five "
            "columns, or sort -probabilities."
        )
    for k in (4, 6, 3):
        if np.isclose(answer, _top_k(probabilities, labels, k)):
            return wrong + f"that is the top-{k} accuracy. Keep exactly five classes per row."
    return wrong + (
        "that is not the share of rows whose true label is among that row's five most probable classes. "
        "Sort each row (axis=1), keep its five most probable class indices, and check whether the label is one of them."
    )


@checker
def check_top5_accuracy(function: Callable[[np.ndarray, np.ndarray], float]) -> None:
    """Check ``function(probabilities, labels) -> float``: probabilities float32 (N, C), labels
    int (N,); the share (0..1) of rows whose label is among the row's five most probable
    classes. Prints a success line, or raises ExerciseError saying what is wrong."""
    probabilities, labels = _case(RANKS, NUM_CLASSES, seed=4)
    answer = _call(function, probabilities, labels)
    if not np.isclose(answer, _top_k(probabilities, labels, 5), atol=1e-6):
        raise ExerciseError(_diagnose(answer, probabilities, labels))
    rng = np.random.default_rng(5)  # a larger random case with other sizes: no hard-coding
    for rows, classes in ((37, 12), (5, 200)):
        probabilities = rng.dirichlet(np.full(classes, 0.3), size=rows).astype(np.float32)
        labels = rng.integers(0, classes, rows)
        answer = _call(function, probabilities, labels)
        expect(
            np.isclose(answer, _top_k(probabilities, labels, 5), atol=1e-6),
            f"right on the first case, but wrong for {rows} images and {classes} classes. "
            "Does your function assume a fixed number of images or classes?",
        )
    passed(EXERCISE)


# --- confusion matrix -----------------------------------------------------------------------


@checker
def check_confusion_matrix(function: Callable[[np.ndarray, np.ndarray, int], np.ndarray]) -> None:
    """Check ``function(labels, predicted, num_classes) -> matrix``: labels and predicted int
    (N,); an int matrix (C, C) whose entry [t, p] counts the images of true class t predicted
    as p. The last class of each case never occurs, and the matrix is not symmetric. Prints a
    success line, or raises ExerciseError saying what is wrong."""
    rng = np.random.default_rng(6)
    for rows, classes in ((12, 4), (40, 7)):
        labels = rng.integers(0, classes - 1, rows)
        predicted = np.where(rng.random(rows) < 0.5, labels, rng.integers(0, classes - 1, rows))
        predicted[0], labels[0] = 0, 1  # at least one asymmetric mistake
        call = f"confusion(labels, predicted, num_classes={classes}) for {rows} images"
        matrix = as_array(attempt(function, call, labels.copy(), predicted.copy(), classes), call)
        truth = np.zeros((classes, classes), np.int64)
        np.add.at(truth, (labels, predicted), 1)
        expect(
            matrix.shape == (classes, classes),
            f"{call} returned shape {matrix.shape}; expected one row and one column per class, "
            f"{(classes, classes)}, even for classes that never occur (use num_classes, not the largest label).",
        )
        if np.array_equal(matrix, truth):
            continue
        if np.array_equal(matrix, truth.T):
            raise ExerciseError(f"{call}: rows and columns are swapped. Row = true class, column = predicted class.")
        total = float(np.sum(matrix))
        if np.isclose(total, np.count_nonzero(truth.sum(axis=1))) or np.isclose(total, 1):
            raise ExerciseError(f"{call}: your matrix is normalised; count images (ints) instead.")
        expect(
            int(np.sum(matrix)) == rows,
            f"{call}: your counts add up to {int(np.sum(matrix))}, but every image is counted once.",
        )
        raise ExerciseError(f"{call}: some counts are wrong. Add 1 at [true class, predicted class] for each image.")
    passed("confusion matrix")
