"""What a trained model gets right and wrong: predictions, top-k accuracy, worst mistakes."""

from __future__ import annotations

import numpy as np

from tinylib.train import predict_probabilities


def predict(model, images: np.ndarray, batch_size: int = 256, tta: bool = False) -> np.ndarray:
    """Class probabilities float32 (N, num_classes) for uint8 (N, 64, 64, 3) images (or
    float32 already in [0, 1]), batch by batch; tta=True averages with the mirrored images."""
    return predict_probabilities(model, images, batch_size, flip=tta)


def top_k_accuracy(probabilities: np.ndarray, labels: np.ndarray, k: int = 1) -> float:
    """Share of rows whose true label is among the k most probable classes (0..1)."""
    if len(labels) == 0:
        raise ValueError("no labels to score")
    top = np.argsort(-probabilities, axis=1)[:, :k]
    return float(np.mean(np.any(top == np.asarray(labels)[:, None], axis=1)))


def worst_mistakes(probabilities: np.ndarray, labels: np.ndarray, count: int = 16) -> np.ndarray:
    """Indices of wrongly classified rows, most confidently wrong first (the probability
    given to the wrong predicted class, descending). At most `count` indices."""
    predicted = probabilities.argmax(axis=1)
    wrong = np.flatnonzero(predicted != labels)
    confidence = probabilities[wrong, predicted[wrong]]
    return wrong[np.argsort(-confidence, kind="stable")][:count]
