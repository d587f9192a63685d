"""Per-class precision, recall and F1 from the confusion matrix, and an order that puts confusable classes together."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

import numpy as np

from tinylib.analysis.metrics import confusion_matrix


@dataclasses.dataclass(frozen=True)
class ClassScores:
    """How one class fares. precision = TP / (TP + FP): of the images predicted as this class,
    the share that are; 0.0 for a class never predicted (as scikit-learn's default
    zero_division=0, so macro averages agree with it). recall = TP / (TP + FN): of this class's
    images, the share found (its top-1 accuracy); NaN without images (as `per_class_accuracy`).
    f1 = 2 TP / (2 TP + FP + FN), the harmonic mean of the two (0.0 when TP = 0; NaN only for a
    class neither present nor predicted). support: this class's images; predicted: images
    predicted as it. All shares are 0..1."""

    index: int
    name: str
    precision: float
    recall: float
    f1: float
    support: int
    predicted: int


def per_class_report(probabilities, labels=None, class_names: Sequence[str] | None = None) -> list[ClassScores]:
    """One `ClassScores` per class, in class-index order, from float (N, C) probabilities (the
    predicted class is the most probable) and int (N,) labels, or a `Predictions`; names from
    `class_names`, else the Predictions', else the indices. Precision, recall and F1 follow the
    textbook definitions (e.g. Manning, Raghavan & Schütze, Introduction to IR, 8.3)."""
    if class_names is None:
        class_names = getattr(probabilities, "class_names", None)
    matrix = confusion_matrix(probabilities, labels)
    true_positives = np.diag(matrix).astype(np.float64)
    support, predicted = matrix.sum(axis=1), matrix.sum(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        precision = np.where(predicted > 0, true_positives / predicted, 0.0)
        recall = np.where(support > 0, true_positives / support, np.nan)
        f1 = 2 * true_positives / (support + predicted)  # 2TP / (2TP + FP + FN)
    names = list(class_names) if class_names is not None else [str(i) for i in range(len(matrix))]
    columns = zip(names, precision, recall, f1, support, predicted)
    return [
        ClassScores(index, name, float(p), float(r), float(f), int(s), int(c))
        for index, (name, p, r, f, s, c) in enumerate(columns)
    ]


def confusable_order(matrix: np.ndarray) -> np.ndarray:
    """int64 (C,): a permutation of the classes of a (C, C) confusion matrix (rows true,
    columns predicted) in which classes confused with each other sit next to each other.

    Method: average-linkage agglomerative clustering, written in numpy, on the symmetric
    confusion S = R + R^T (R: the row-normalised matrix without its diagonal; S[i, j] is how
    often i is taken for j plus j for i, in shares of each class's images). Each merge joins
    two runs of classes end to end, choosing the orientation whose touching ends are most
    confused (a greedy leaf ordering). Why this and not a spectral (Fiedler vector) ordering:
    two classes confused mostly with each other are merged first and so always end up adjacent,
    and at 200 classes the confusion graph falls apart into many groups, where the Fiedler vector
    is not unique and interleaves them. Classes never confused keep their index order at the
    end of the merges. Cost: O(C^3), a few hundredths of a second at C = 200."""
    matrix = np.asarray(matrix, np.float64)
    shares = matrix / np.maximum(matrix.sum(axis=1, keepdims=True), 1)
    np.fill_diagonal(shares, 0.0)
    similarity = shares + shares.T
    link = similarity.copy()  # average similarity between live clusters; -inf for itself and merged ones
    np.fill_diagonal(link, -np.inf)
    runs, sizes = {i: [i] for i in range(len(matrix))}, np.ones(len(matrix))
    while len(runs) > 1:
        kept, merged = sorted(int(i) for i in np.unravel_index(np.argmax(link), link.shape))
        runs[kept] = _join(runs[kept], runs.pop(merged), similarity)
        average = (sizes[kept] * link[kept] + sizes[merged] * link[merged]) / (sizes[kept] + sizes[merged])
        sizes[kept] += sizes[merged]
        link[kept, :], link[:, kept] = average, average
        link[kept, kept] = link[merged, :] = link[:, merged] = -np.inf
    return np.asarray(runs.get(0, []), np.int64)


def _join(left: list[int], right: list[int], similarity: np.ndarray) -> list[int]:
    """left and right end to end, each possibly reversed, with the most similar ends touching."""
    options = [left + right, left + right[::-1], left[::-1] + right, left[::-1] + right[::-1]]
    touching = [similarity[option[len(left) - 1], option[len(left)]] for option in options]
    return options[int(np.argmax(touching))]
