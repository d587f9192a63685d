"""Scores from predicted probabilities: top-k, per class, confused pairs, hard examples, calibration.

Every function takes `probabilities` float (N, C) (rows sum to 1) and true `labels` int (N,),
or a `Predictions` in place of both, and works on plain numpy arrays: nothing here runs a model.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

import numpy as np

EPSILON = 1e-7  # probabilities are clipped to [EPSILON, 1] before taking logs


def _arrays(probabilities, labels) -> tuple[np.ndarray, np.ndarray]:
    """(probabilities, labels) from two arrays, or from a `Predictions` passed as the first."""
    if hasattr(probabilities, "probabilities"):  # a Predictions (duck-typed: no import cycle)
        if labels is not None and np.ndim(labels) == 0:
            raise TypeError(
                f"with a Predictions, pass the other arguments by name (e.g. count={labels}, k={labels}): "
                f"the second position is for labels, and got {labels!r}"
            )
        probabilities, labels = probabilities.probabilities, probabilities.labels if labels is None else labels
    if labels is None:
        raise TypeError("pass the true labels too: function(probabilities, labels), or a Predictions alone")
    probabilities, labels = np.asarray(probabilities), np.asarray(labels)
    if probabilities.ndim != 2 or len(probabilities) != len(labels):
        raise ValueError(
            f"expected probabilities (N, classes) and labels (N,); got shapes {probabilities.shape} and "
            f"{labels.shape}: pass one row of probabilities per labelled image"
        )
    return probabilities, labels


def top_k_accuracy(probabilities, labels=None, k: int = 1) -> float:
    """Share of rows whose true label is among the k most probable classes (0..1)."""
    probabilities, labels = _arrays(probabilities, labels)
    if len(labels) == 0:
        raise ValueError("no labels to score")
    top = np.argsort(-probabilities, axis=1, kind="stable")[:, :k]
    return float(np.mean(np.any(top == labels[:, None], axis=1)))


def per_example_loss(probabilities, labels=None) -> np.ndarray:
    """Cross-entropy of each row, float32 (N,): -log(probability of the true class), in nats."""
    probabilities, labels = _arrays(probabilities, labels)
    picked = probabilities[np.arange(len(labels)), labels]
    return (-np.log(np.clip(picked, EPSILON, 1.0))).astype(np.float32)


def confusion_matrix(probabilities, labels=None, num_classes: int | None = None) -> np.ndarray:
    """int64 (C, C): row = true class, column = predicted (most probable) class, as scikit-learn
    lays it out; counted with numpy. Raises ValueError for a label outside 0..C-1."""
    probabilities, labels = _arrays(probabilities, labels)
    num_classes = num_classes or probabilities.shape[1]
    labels = labels.astype(np.int64)
    if len(labels) and (labels.min() < 0 or labels.max() >= num_classes):
        raise ValueError(f"labels must be in 0..{num_classes - 1}; found {labels.min()}..{labels.max()}")
    cells = labels * num_classes + probabilities.argmax(axis=1)
    return np.bincount(cells, minlength=num_classes * num_classes).reshape(num_classes, num_classes)


def per_class_accuracy(probabilities, labels=None) -> np.ndarray:
    """float64 (C,): the share of each class's images predicted as that class (its recall);
    NaN for a class without images."""
    matrix = confusion_matrix(probabilities, labels)
    totals = matrix.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(totals > 0, np.diag(matrix) / totals, np.nan)


@dataclasses.dataclass(frozen=True)
class ConfusedPair:
    """Images of class `true` predicted as class `predicted`: `count` of them, `share` of
    all images of `true` (0..1). Names come from words.txt (the first synonym)."""

    true: int
    predicted: int
    count: int
    share: float
    true_name: str
    predicted_name: str

    def __str__(self) -> str:
        return f"{self.true_name} → {self.predicted_name}: {self.count} ({self.share:.0%} of {self.true_name})"


def confused_pairs(
    probabilities, labels=None, class_names: Sequence[str] | None = None, top: int = 10
) -> list[ConfusedPair]:
    """The `top` most frequent (true class → predicted class) mistakes, most frequent first;
    ties by larger share of the true class, then by class indices. A pair is directed:
    "husky → wolf" and "wolf → husky" are counted separately."""
    if class_names is None:
        class_names = getattr(probabilities, "class_names", None)
    matrix = confusion_matrix(probabilities, labels)
    names = list(class_names) if class_names is not None else [str(i) for i in range(len(matrix))]
    totals = np.maximum(matrix.sum(axis=1), 1)
    true, predicted = np.nonzero(matrix * (1 - np.eye(len(matrix), dtype=matrix.dtype)))
    counts = matrix[true, predicted]
    shares = counts / totals[true]
    order = np.lexsort((predicted, true, -shares, -counts))[:top]
    return [
        ConfusedPair(int(t), int(p), int(c), float(s), names[t], names[p])
        for t, p, c, s in zip(true[order], predicted[order], counts[order], shares[order])
    ]


def _ranked(keys: np.ndarray, candidates: np.ndarray, count: int) -> np.ndarray:
    """`candidates` sorted by `keys` ascending (ties keep index order), at most `count`."""
    return candidates[np.argsort(keys[candidates], kind="stable")][:count]


def hardest_examples(probabilities, labels=None, count: int = 16) -> np.ndarray:
    """int64 indices of the `count` rows with the highest loss (lowest probability on the
    true class), hardest first; right and wrong predictions alike."""
    probabilities, labels = _arrays(probabilities, labels)
    losses = per_example_loss(probabilities, labels)
    return _ranked(-losses, np.arange(len(labels)), count)


def confidently_wrong(probabilities, labels=None, count: int = 16, min_confidence: float = 0.0) -> np.ndarray:
    """int64 indices of wrong predictions, most confident first (the probability given to
    the wrong predicted class, descending), keeping those with at least `min_confidence`."""
    probabilities, labels = _arrays(probabilities, labels)
    predicted = probabilities.argmax(axis=1)
    confidence = probabilities.max(axis=1)
    wrong = np.flatnonzero((predicted != labels) & (confidence >= min_confidence))
    return _ranked(-confidence, wrong, count)


def least_confident_correct(probabilities, labels=None, count: int = 16) -> np.ndarray:
    """int64 indices of right predictions, least confident first: the near misses."""
    probabilities, labels = _arrays(probabilities, labels)
    right = np.flatnonzero(probabilities.argmax(axis=1) == labels)
    return _ranked(probabilities.max(axis=1), right, count)


@dataclasses.dataclass(frozen=True)
class Reliability:
    """A reliability table: predictions grouped by confidence (probability of the predicted
    class) into equal-width bins (lower, upper]. Per bin: how many, their mean confidence and
    their accuracy (NaN where empty). A calibrated model has accuracy ≈ confidence everywhere."""

    edges: np.ndarray  # float64 (bins + 1,) from 0 to 1
    counts: np.ndarray  # int64 (bins,)
    confidence: np.ndarray  # float64 (bins,)
    accuracy: np.ndarray  # float64 (bins,)

    @property
    def ece(self) -> float:
        """Expected calibration error: sum over bins of (share of rows) x |accuracy - confidence|."""
        filled = self.counts > 0
        gaps = np.abs(self.accuracy[filled] - self.confidence[filled])
        return float(np.sum(self.counts[filled] * gaps) / max(self.counts.sum(), 1))

    def rows(self) -> list[dict]:
        """One dict per non-empty bin: lower, upper, count, confidence, accuracy."""
        return [
            {"lower": lo, "upper": hi, "count": int(n), "confidence": c, "accuracy": a}
            for lo, hi, n, c, a in zip(self.edges[:-1], self.edges[1:], self.counts, self.confidence, self.accuracy)
            if n
        ]

    def __str__(self) -> str:
        lines = ["confidence      images  mean conf.  accuracy"]
        lines += [
            f"({r['lower']:.1f}, {r['upper']:.1f}]  {r['count']:8d}  {r['confidence']:9.1%}  {r['accuracy']:8.1%}"
            for r in self.rows()
        ]
        return "\n".join([*lines, f"ECE {self.ece:.3f}"])


def reliability_table(probabilities, labels=None, bins: int = 10) -> Reliability:
    """Group rows by confidence into `bins` equal-width bins of (0, 1] (see `Reliability`)."""
    probabilities, labels = _arrays(probabilities, labels)
    confidence = probabilities.max(axis=1).astype(np.float64)
    correct = probabilities.argmax(axis=1) == labels
    edges = np.linspace(0.0, 1.0, bins + 1)
    which = np.clip(np.digitize(confidence, edges[1:-1], right=True), 0, bins - 1)
    counts = np.bincount(which, minlength=bins)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean_confidence = np.bincount(which, confidence, minlength=bins) / counts
        accuracy = np.bincount(which, correct.astype(np.float64), minlength=bins) / counts
    return Reliability(edges, counts, mean_confidence, accuracy)


def expected_calibration_error(probabilities, labels=None, bins: int = 10) -> float:
    """ECE over `bins` equal-width confidence bins (0 = perfectly calibrated; 0..1)."""
    return reliability_table(probabilities, labels, bins).ece


def class_weights_from_errors(probabilities, labels=None, power: float = 1.0, floor: float = 0.05) -> dict[int, float]:
    """Keras `class_weight` from validation mistakes (the original author's idea): each class
    weighs (its val error rate, at least `floor`) ** `power`, scaled so the mean weight is 1.
    Classes the model gets wrong more often count more in the loss; power=0 gives all 1.0.
    A class without val images gets the mean weight 1.0. Returns {class index: weight}."""
    if floor <= 0:
        raise ValueError(f"floor must be > 0 (a class the model never gets wrong still needs a weight); got {floor}")
    errors = 1.0 - per_class_accuracy(probabilities, labels)
    raw = np.maximum(errors, floor) ** power
    raw = raw / np.nanmean(raw) if np.any(np.isfinite(raw)) else np.ones_like(raw)
    return {index: float(weight) if np.isfinite(weight) else 1.0 for index, weight in enumerate(raw)}
