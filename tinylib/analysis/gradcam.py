"""Where does the network look? Grad-CAM heat-maps and the share of them inside the object's box.

Grad-CAM (Selvaraju et al. 2017): take a layer's feature maps A (H, W, K), the gradient of a
class score (the logit, before softmax) with respect to them, average that gradient over the
positions to get one weight per channel, and keep ReLU(sum of weight x map): the places that
raise the class score. Works for any layer with a (B, H, W, K) output of any tinylib model,
on the TensorFlow, PyTorch and (for layers every path goes through) JAX backends.
"""

from __future__ import annotations

import keras
import numpy as np


def feature_map_layers(model: keras.Model) -> list[str]:
    """Names of the layers with a (batch, height, width, channels) output, input side first:
    the layers Grad-CAM can look at."""
    return [
        layer.name
        for layer in model.layers
        if not isinstance(layer, keras.layers.InputLayer) and len(getattr(layer.output, "shape", ())) == 4
    ]


def default_cam_layer(model: keras.Model, min_size: int = 4) -> str:
    """The last feature map with at least `min_size` x `min_size` positions: the usual
    Grad-CAM choice (the deepest layer) unless it is too coarse to say anything at 64x64,
    e.g. `stage3_block1_out` (4x4) rather than `stage4_block1_out` (2x2) for an "imagenet"-stem ResNet."""
    names = feature_map_layers(model)
    if not names:
        raise ValueError(f"{model.name} has no layer with a (batch, height, width, channels) output for Grad-CAM")
    large = [name for name in names if min(model.get_layer(name).output.shape[1:3]) >= min_size]
    return (large or names)[-1]


def _score_source(model: keras.Model):
    """(tensor to differentiate, its Dense layer or None): the classifier's input when the model
    ends in Dense(softmax) (logits = input @ kernel + bias), the softmax's input when it ends in
    Activation("softmax"), else the model's output itself."""
    last = model.layers[-1]
    if getattr(last, "activation", None) is keras.activations.softmax:
        return last.input, last if isinstance(last, keras.layers.Dense) else None
    return model.output, None


def _scores(source, dense, classes):
    """float (B,) the score of class classes[i] for row i (logits from `source`)."""
    if dense is not None:
        kernel = keras.ops.transpose(keras.ops.take(dense.kernel, classes, axis=1))  # (B, features)
        scores = keras.ops.sum(source * keras.ops.cast(kernel, source.dtype), axis=1)
        return scores + keras.ops.take(dense.bias, classes) if dense.use_bias else scores
    source = keras.ops.reshape(source, (keras.ops.shape(source)[0], -1))
    return keras.ops.take_along_axis(source, keras.ops.expand_dims(classes, 1), axis=1)[:, 0]


def _logits(source, dense):
    if dense is None:
        return source
    logits = keras.ops.matmul(source, dense.kernel)
    return logits + dense.bias if dense.use_bias else logits


def _jax_gradients(to_maps: keras.Model, feature, source, layer: str, batch: np.ndarray, pick):
    """JAX: the maps, then jax.grad of the summed picked scores through the head (maps -> scores)."""
    import jax

    try:
        head = keras.Model(feature, source)
    except ValueError as error:
        raise ValueError(
            f"on the JAX backend Grad-CAM needs a layer that every path to the output goes through "
            f"(e.g. a block's *_out layer); {layer!r} is bypassed by a shortcut: {error}"
        ) from None
    maps = to_maps(batch, training=False)
    weights = [v.value for v in head.trainable_variables], [v.value for v in head.non_trainable_variables]

    def total(values):
        return pick(head.stateless_call(*weights, values, training=False)[0]).sum()

    return maps, jax.grad(total)(maps)


def feature_gradients(
    model: keras.Model, layer: str, batch: np.ndarray, classes: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Grad-CAM's two ingredients on any backend (TensorFlow's tape, torch.autograd, jax.grad):
    (feature maps of `layer`, d class score / d maps), both numpy float32 (B, H, W, K).

    batch: float32 (B, 64, 64, 3) in [0, 1]. classes: int (B,), the class whose score (logit)
    is differentiated; None: each image's predicted class. Raises ValueError on JAX for a
    layer that a shortcut bypasses."""
    feature = model.get_layer(layer).output
    source, dense = _score_source(model)
    inputs = model.inputs[0] if len(model.inputs) == 1 else model.inputs  # as the model was built: no warning
    both = keras.Model(inputs, [feature, source])

    def pick(source_value):
        # Under mixed precision the features are float16/bfloat16 but the Dense weights float32:
        # the class scores are computed in float32 (the gradient flows back through the cast).
        source_value = keras.ops.cast(source_value, "float32")
        chosen = classes
        if chosen is None:
            chosen = keras.ops.argmax(keras.ops.reshape(_logits(source_value, dense), (len(batch), -1)), axis=1)
        return _scores(source_value, dense, keras.ops.convert_to_tensor(chosen, "int32"))

    backend = keras.config.backend()
    if backend == "tensorflow":
        import tensorflow as tf

        with tf.GradientTape() as tape:
            maps, value = both(batch, training=False)
            total = tf.reduce_sum(pick(value))
        gradients = tape.gradient(total, maps)
    elif backend == "torch":
        import torch

        maps, value = both(batch, training=False)
        (gradients,) = torch.autograd.grad(pick(value).sum(), maps)
    elif backend == "jax":
        maps, gradients = _jax_gradients(keras.Model(inputs, feature), feature, source, layer, batch, pick)
    else:
        raise NotImplementedError(f"grad_cam does not support the {backend!r} backend")
    as_numpy = keras.ops.convert_to_numpy
    return np.asarray(as_numpy(maps), np.float32), np.asarray(as_numpy(gradients), np.float32)


def grad_cam(
    model: keras.Model,
    images: np.ndarray,
    layer: str | None = None,
    classes: int | np.ndarray | None = None,
    batch_size: int = 32,
) -> np.ndarray:
    """Grad-CAM heat-maps, float32 (N, height, width) of the images, each scaled to [0, 1]
    (max 1; all 0 where nothing raises the score).

    images: uint8 (N, 64, 64, 3) or float32 in [0, 1]. layer: a name from
    `feature_map_layers(model)` (default: `default_cam_layer(model)`). classes: the class
    whose score is explained, one int for all or int (N,); None: each image's predicted class.
    """
    layer = layer or default_cam_layer(model)
    names = feature_map_layers(model)
    if layer not in names:
        raise ValueError(
            f"Grad-CAM needs a layer with a (batch, height, width, channels) output; {model.name} has no such "
            f"layer {layer!r}. Use one of feature_map_layers(model), e.g. {', '.join(names[-3:])}"
        )
    images = np.asarray(images)
    if classes is not None:
        classes = np.broadcast_to(np.asarray(classes, np.int32), (len(images),))
    size = images.shape[1:3]
    heatmaps = np.zeros((len(images), *size), np.float32)
    for start in range(0, len(images), batch_size):
        batch = images[start : start + batch_size]
        batch = batch.astype(np.float32) / 255.0 if batch.dtype == np.uint8 else batch.astype(np.float32)
        chosen = None if classes is None else classes[start : start + batch_size]
        maps, gradients = feature_gradients(model, layer, batch, chosen)
        weights = gradients.mean(axis=(1, 2), keepdims=True)  # one weight per channel
        cams = np.maximum((weights * maps).sum(axis=-1), 0.0)  # (B, h, w)
        resized = keras.ops.image.resize(cams[..., None], size, interpolation="bilinear", data_format="channels_last")
        cams = np.maximum(np.asarray(keras.ops.convert_to_numpy(resized), np.float32)[..., 0], 0.0)
        peaks = cams.max(axis=(1, 2), keepdims=True)
        heatmaps[start : start + len(batch)] = np.divide(cams, peaks, out=np.zeros_like(cams), where=peaks > 0)
    return heatmaps


def _valid(boxes: np.ndarray) -> np.ndarray:
    return np.all(boxes >= 0, axis=1) & (boxes[:, 2] >= boxes[:, 0]) & (boxes[:, 3] >= boxes[:, 1])


def box_mass(heatmaps: np.ndarray, boxes: np.ndarray) -> np.ndarray:
    """float64 (N,): the share of each heat-map's total inside its box (0..1): does the
    network look at the object? boxes: int (N, 4) inclusive (x0, y0, x1, y1) in heat-map
    pixels. NaN where there is no box (-1) or the heat-map is all zero."""
    heatmaps, boxes = np.asarray(heatmaps, np.float64), np.asarray(boxes)
    mass = np.full(len(heatmaps), np.nan)
    totals = heatmaps.sum(axis=(1, 2))
    for i in np.flatnonzero(_valid(boxes) & (totals > 0)):
        x0, y0, x1, y1 = boxes[i]
        mass[i] = heatmaps[i, y0 : y1 + 1, x0 : x1 + 1].sum() / totals[i]
    return mass


def box_area_share(boxes: np.ndarray, size: tuple[int, int] = (64, 64)) -> np.ndarray:
    """float64 (N,): the share of the image (height, width) each box covers; NaN without a box.
    A heat-map spread evenly over the image would put exactly this share inside the box."""
    boxes = np.asarray(boxes)
    area = (boxes[:, 2] - boxes[:, 0] + 1) * (boxes[:, 3] - boxes[:, 1] + 1) / (size[0] * size[1])
    return np.where(_valid(boxes), area, np.nan)


def _mean(values: np.ndarray) -> float:
    values = values[np.isfinite(values)]
    return round(float(values.mean()), 4) if len(values) else float("nan")


def box_mass_summary(
    mass: np.ndarray,
    correct: np.ndarray,
    labels: np.ndarray | None = None,
    class_names=None,
    area: np.ndarray | None = None,
) -> dict:
    """Mean box mass over all images, the correctly classified ones and the mistakes, with the
    mean box area share (what looking everywhere would score) and, given labels, per class
    ({name: mean}). Images without a box or heat-map (NaN) are left out; "images" counts the rest."""
    mass, correct = np.asarray(mass, np.float64), np.asarray(correct, bool)
    summary = {
        "images": int(np.isfinite(mass).sum()),
        "all": _mean(mass),
        "correct": _mean(mass[correct]),
        "mistakes": _mean(mass[~correct]),
    }
    if area is not None:
        summary["box_area"] = _mean(np.where(np.isfinite(mass), np.asarray(area, np.float64), np.nan))
    if labels is not None:
        labels = np.asarray(labels)
        names = class_names or [str(c) for c in range(int(labels.max()) + 1)]
        summary["per_class"] = {names[c]: _mean(mass[labels == c]) for c in np.unique(labels)}
    return summary
