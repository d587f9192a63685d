"""Checkers for the exercises of notebook 05 (improving the baseline): one change against the
reference, label smoothing, test-time flip and class weights from validation mistakes."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

import numpy as np

from tinylib import config
from tinylib.analysis import class_weights_from_errors
from tinylib.checks.feedback import ExerciseError, as_array, attempt, checker, expect, passed
from tinylib.train.recipes import RECIPES, Recipe, recipe

# --- one change against the reference -------------------------------------------------------

# Two references as a notebook builds them (a preset with the profile's epochs and batch size);
# the second has unusual values, so a variant built from a preset differs in several fields.
ONE_CHANGE_REFERENCES = (
    recipe("baseline", profile=config.profile("quick")),
    recipe("baseline", epochs=7, seed=5, learning_rate=0.0731, momentum=0.85, weight_decay=3.3e-4, warmup_epochs=1.5),
)


def _differences(reference: Recipe, variant: Recipe) -> list[str]:
    """Names of the fields (all but the name) in which `variant` differs from `reference`."""
    return [
        field.name
        for field in dataclasses.fields(Recipe)
        if field.name != "name" and getattr(variant, field.name) != getattr(reference, field.name)
    ]


def _from_preset(variant: Recipe, changed: list[str]) -> bool:
    """Whether the variant looks built from a preset (recipe("baseline", ...)): its epochs are a preset's."""
    return "epochs" in changed and variant.epochs in {preset.epochs for preset in RECIPES.values()}


@checker
def check_one_change(function: Callable[[Recipe], Recipe]) -> None:
    """Check ``function(reference) -> variant``: reference and variant `Recipe`s; the variant
    is the reference with exactly one field changed (its name aside), the seed kept. Changing
    the batch size with the learning rate scaled along (`Recipe.with_batch_size`, the linear
    scaling rule) counts as one change. Prints a success line, or raises ExerciseError."""
    for reference in ONE_CHANGE_REFERENCES:
        call = f"make_variant(reference) for a reference of {reference.epochs} epochs, seed {reference.seed}"
        variant = attempt(function, call, reference)
        if isinstance(variant, dict):
            raise ExerciseError(f"{call} returned a dict; return the changed recipe: reference.replace(**changes).")
        expect(
            isinstance(variant, Recipe),
            f"{call} returned {type(variant).__name__}; return a Recipe: reference.replace(field=value).",
        )
        changed = _differences(reference, variant)
        if "seed" in changed:
            raise ExerciseError(
                f"{call}: your variant has seed {variant.seed}, the reference {reference.seed}. Another seed alone "
                "gives other starting weights and another batch order, and moves top-1 by itself: keep the seed."
            )
        scaled = reference.with_batch_size(variant.batch_size).learning_rate
        if sorted(changed) == ["batch_size", "learning_rate"] and np.isclose(variant.learning_rate, scaled):
            continue  # one change: the batch size, with the linear scaling rule
        expect(changed != [], f"{call} returned the reference itself (only the name may differ): change one field.")
        if len(changed) > 1 and _from_preset(variant, changed):
            raise ExerciseError(
                f"{call}: your variant differs from the reference in {', '.join(changed)}: it looks built from a "
                "preset (recipe(...)), not from the reference. Start from the reference: reference.replace(...)."
            )
        expect(
            len(changed) == 1,
            f"{call}: your variant changes {len(changed)} things ({', '.join(changed)}). If it wins, which change "
            "did it? Change exactly one field.",
        )
    passed("one change")


# --- label smoothing ------------------------------------------------------------------------


@checker
def check_label_smoothing(function: Callable[[np.ndarray, int, float], np.ndarray]) -> None:
    """Check ``function(labels, num_classes, smoothing) -> targets``: labels int (N,); targets
    float (N, C) as Keras' CategoricalCrossentropy(label_smoothing=s) builds them: the one-hot
    row times (1 - s) plus s / C for every class. Prints a success line, or raises ExerciseError."""
    for labels, classes, smoothing in ((np.array([2, 0, 3]), 4, 0.1), (np.array([1, 4, 4, 0, 2]), 5, 0.3)):
        call = f"smooth_labels({labels.tolist()}, num_classes={classes}, smoothing={smoothing})"
        targets = as_array(attempt(function, call, labels.copy(), classes, smoothing), call).astype(np.float64)
        expect(
            targets.shape == (len(labels), classes),
            f"{call} returned shape {targets.shape}; expected one row per label and one column per class.",
        )
        one_hot = np.eye(classes)[labels]
        if np.allclose(targets, one_hot * (1 - smoothing) + smoothing / classes):
            continue
        if np.allclose(targets, one_hot):
            raise ExerciseError(f"{call} returned plain one-hot rows: nothing was smoothed.")
        if np.allclose(targets, one_hot * (1 - smoothing) + smoothing / (classes - 1) * (1 - one_hot)):
            raise ExerciseError(
                f"{call}: you spread the smoothing over the other C - 1 classes. Keras adds s / C to every "
                "class, the true one included (so the true class gets 1 - s + s / C)."
            )
        sums = targets.sum(axis=1)
        expect(
            np.allclose(sums, 1),
            f"{call}: your rows add up to {sums[0]:.4g}, not 1; each row is a probability distribution.",
        )
        raise ExerciseError(f"{call}: the values are wrong; multiply the one-hot row by (1 - s), then add s / C.")
    passed("label smoothing")


# --- test-time flip -------------------------------------------------------------------------


def _fake_model(images: np.ndarray) -> np.ndarray:
    """Probabilities (N, 6) from a fixed random linear map of the pixels: changes under any
    flip of rows, columns or channels."""
    weights = np.random.default_rng(7).normal(size=(int(np.prod(images.shape[1:])), 6))
    logits = np.asarray(images, np.float64).reshape(len(images), -1) @ weights
    exponentials = np.exp(logits - logits.max(axis=1, keepdims=True))
    return (exponentials / exponentials.sum(axis=1, keepdims=True)).astype(np.float32)


@checker
def check_flip_average(function: Callable[[Callable, np.ndarray], np.ndarray]) -> None:
    """Check ``function(predict, images) -> probabilities``: `predict` maps float images
    (N, H, W, 3) to probabilities (N, C); return the average of the predictions for the images
    and for their left-right mirror images. Prints a success line, or raises ExerciseError."""
    images = np.random.default_rng(8).random((3, 4, 5, 3)).astype(np.float32)
    call = f"flip_average(predict, images of shape {images.shape})"
    answer = as_array(attempt(function, call, _fake_model, images.copy()), call).astype(np.float64)
    expect(answer.shape == (3, 6), f"{call} returned shape {answer.shape}; expected the predictions' shape (3, 6).")
    direct = _fake_model(images)
    if np.allclose(answer, (direct + _fake_model(images[:, :, ::-1])) / 2, atol=1e-6):
        passed("test-time flip")
        return
    for axis, name in ((1, "upside down (axis 1, rows)"), (3, "the colour channels (axis 3)"), (0, "the batch")):
        if np.allclose(answer, (direct + _fake_model(np.flip(images, axis))) / 2, atol=1e-6):
            raise ExerciseError(f"{call}: you flipped {name}. A mirror image reverses the columns: axis 2.")
    if np.allclose(answer, direct, atol=1e-6):
        raise ExerciseError(f"{call} returned the plain predictions: add the mirrored images' predictions.")
    if np.allclose(answer, _fake_model(images[:, :, ::-1]), atol=1e-6):
        raise ExerciseError(f"{call} returned only the mirrored images' predictions: average both.")
    if np.allclose(answer, (direct + direct[:, ::-1]) / 2, atol=1e-6):
        raise ExerciseError(f"{call}: you reversed the class axis of the predictions; flip the images instead.")
    if np.allclose(answer, direct + _fake_model(images[:, :, ::-1]), atol=1e-6):
        raise ExerciseError(f"{call}: you added both predictions; divide by 2 so each row stays a distribution.")
    raise ExerciseError(f"{call}: wrong values. Average predict(images) and predict(mirrored images).")


# --- class weights from validation mistakes ---------------------------------------------------


@checker
def check_class_weights(function: Callable[[np.ndarray, np.ndarray], dict]) -> None:
    """Check ``function(probabilities, labels) -> {class: weight}``: each class weighs its
    val error rate (at least 0.05), scaled so the mean weight is 1, as a dict for Keras'
    `class_weight`. Prints a success line, or raises ExerciseError."""
    rng = np.random.default_rng(9)
    labels = np.repeat(np.arange(5), 8)
    right = np.concatenate([rng.random(8) < share for share in (1.0, 0.75, 0.5, 0.25, 0.125)])
    predicted = np.where(right, labels, (labels + 1) % 5)
    probabilities = np.full((len(labels), 5), 0.05, np.float32)
    probabilities[np.arange(len(labels)), predicted] = 0.8
    call = "class_weights(probabilities of shape (40, 5), labels)"
    answer = attempt(function, call, probabilities.copy(), labels.copy())
    expect(
        isinstance(answer, dict),
        f"{call} returned {type(answer).__name__}; Keras' class_weight wants a dict {{class index: weight}}.",
    )
    expect(
        sorted(answer) == list(range(5)),
        f"{call} returned keys {sorted(answer)}; expected one int key per class, 0 to 4.",
    )
    weights = np.array([float(answer[index]) for index in range(5)])
    truth = np.array([class_weights_from_errors(probabilities, labels)[index] for index in range(5)])
    if np.allclose(weights, truth, atol=1e-4):
        passed("class weights from mistakes")
        return
    expect(
        weights[0] > 0,
        f"{call}: class 0 gets weight {weights[0]:g}; a class the model never gets wrong still needs a weight "
        "(use at least 0.05 as its error rate), or it would drop out of training.",
    )
    expect(
        weights[4] > weights[0],
        f"{call}: the class with the most mistakes (4) weighs less than the class without mistakes (0). "
        "Weigh by the error rate (1 - accuracy), not the accuracy.",
    )
    expect(
        np.isclose(weights.mean(), 1, atol=1e-4),
        f"{call}: your weights have mean {weights.mean():.3g}; scale them so their mean is 1 "
        "(the learning rate then means the same as without weights).",
    )
    raise ExerciseError(f"{call}: the weights are not proportional to max(error rate, 0.05) per class.")
