"""Honest inference: class probabilities batch by batch, and evaluation on every val image
exactly once, optionally with test-time flip (each image averaged with its mirror)."""

from __future__ import annotations

import numpy as np

from tinylib import config


def predict_probabilities(
    model, images: np.ndarray, batch_size: int | None = None, test_time_flip: bool = False
) -> np.ndarray:
    """Class probabilities float32 (N, num_classes) for uint8 (N, 64, 64, 3) images (or
    float32 in [0, 1]), `batch_size` at a time (None: the profile's `eval_batch_size`).
    test_time_flip=True averages each image's probabilities with those of its horizontal
    mirror (two passes)."""
    batch_size = batch_size or config.profile().eval_batch_size
    outputs = []
    for start in range(0, len(images), batch_size):
        batch = np.asarray(images[start : start + batch_size])
        if batch.dtype == np.uint8:
            batch = batch.astype(np.float32) / 255.0
        probabilities = np.asarray(model.predict_on_batch(batch), dtype=np.float32)
        if test_time_flip:
            mirrored = np.asarray(model.predict_on_batch(batch[:, :, ::-1]), np.float32)
            probabilities = (probabilities + mirrored) / 2
        outputs.append(probabilities)
    if not outputs:
        return np.zeros((0, model.output_shape[-1]), np.float32)
    return np.concatenate(outputs)


def scores(probabilities: np.ndarray, labels: np.ndarray, test_time_flip: bool = False) -> dict:
    """{"images", "loss" (mean cross-entropy, nats), "top1", "top5" (shares), "test_time_flip"}
    of float32 (N, C) probabilities against int (N,) labels."""
    labels = np.asarray(labels)
    picked = probabilities[np.arange(len(labels)), labels]
    top5 = np.argsort(-probabilities, axis=1)[:, : min(5, probabilities.shape[1])]
    return {
        "images": int(len(labels)),
        "loss": round(float(-np.mean(np.log(np.clip(picked, 1e-7, 1.0)))), 4),
        "top1": round(float(np.mean(probabilities.argmax(axis=1) == labels)), 4),
        "top5": round(float(np.mean(np.any(top5 == labels[:, None], axis=1))), 4),
        "test_time_flip": test_time_flip,
    }


def evaluate(
    model, images: np.ndarray, labels: np.ndarray, test_time_flip: bool = False, batch_size: int | None = None
) -> dict:
    """Cross-entropy loss and top-1 / top-5 accuracy over all `images` (each seen once): `scores`
    of `predict_probabilities`. Returns {"images", "loss", "top1", "top5", "test_time_flip"}."""
    probabilities = predict_probabilities(model, images, batch_size, test_time_flip)
    return scores(probabilities, labels, test_time_flip)
