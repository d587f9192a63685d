"""What a trained model gets right and wrong: predictions, top-k accuracy, worst mistakes."""

from __future__ import annotations

import numpy as np


def predict(model, images: np.ndarray, batch_size: int = 256) -> np.ndarray:
    """Class probabilities float32 (N, num_classes) for uint8 (N, 64, 64, 3) images
    (or float32 already in [0, 1]), computed batch by batch to bound memory."""
    outputs = []
    for start in range(0, len(images), batch_size):
        batch = images[start : start + batch_size]
        if batch.dtype == np.uint8:
            batch = batch.astype(np.float32) / 255.0
        outputs.append(np.asarray(model.predict_on_batch(batch), dtype=np.float32))
    if not outputs:
        return np.zeros((0, model.output_shape[-1]), np.float32)
    return np.concatenate(outputs)


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
