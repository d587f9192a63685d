"""How big, costly and deep a model is: parameters, multiply-accumulates, depth, receptive field.

All analytic, from the layer graph of a functional Keras model (nothing is run), except
`gradient_norms`, which runs one backward pass to show how well gradients reach early layers.
"""

from __future__ import annotations

import dataclasses
import math
import os

import keras
import numpy as np

_WEIGHTED = (keras.layers.Conv2D, keras.layers.DepthwiseConv2D, keras.layers.Dense)
_SPATIAL = (keras.layers.Conv2D, keras.layers.DepthwiseConv2D, keras.layers.MaxPooling2D, keras.layers.AveragePooling2D)
_GLOBAL = (keras.layers.GlobalAveragePooling2D, keras.layers.GlobalMaxPooling2D, keras.layers.Flatten)


def _layers(model: keras.Model) -> list[keras.layers.Layer]:
    """Layers in topological order, nested models expanded."""
    found = []
    for layer in model.layers:
        found += _layers(layer) if isinstance(layer, keras.Model) else [layer]
    return found


def _parents(layer: keras.layers.Layer) -> list[keras.layers.Layer]:
    nodes = getattr(layer, "_inbound_nodes", [])
    return [tensor._keras_history.operation for tensor in nodes[0].input_tensors] if nodes else []


def count_flops(model: keras.Model) -> int:
    """Multiply-accumulates (MACs) for one image, over Conv2D, DepthwiseConv2D and Dense
    layers (BatchNorm, activations, pooling and additions are left out, as usual)."""
    total = 0
    for layer in _layers(model):
        if isinstance(layer, keras.layers.DepthwiseConv2D):
            height, width, channels = layer.output.shape[1:]
            total += height * width * math.prod(layer.kernel_size) * channels
        elif isinstance(layer, keras.layers.Conv2D):
            height, width, filters = layer.output.shape[1:]
            inputs = layer.input.shape[-1] // layer.groups
            total += height * width * math.prod(layer.kernel_size) * inputs * filters
        elif isinstance(layer, keras.layers.Dense):
            positions = math.prod(layer.input.shape[1:-1]) if len(layer.input.shape) > 2 else 1
            total += positions * layer.input.shape[-1] * layer.units
    return int(total)


def weighted_depth(model: keras.Model) -> int:
    """Weighted layers (convolutions and dense) on the longest input-to-output path: 18 for
    ResNet-18, whose 1x1 projection shortcuts lie on shorter paths."""
    depth: dict[str, int] = {}
    for layer in _layers(model):
        before = max((depth[parent.name] for parent in _parents(layer)), default=0)
        depth[layer.name] = before + isinstance(layer, _WEIGHTED)
    return max(depth.values())


def receptive_field(model: keras.Model) -> tuple[int, int]:
    """(height, width) in input pixels that one position of the last spatial feature map
    can see (before global pooling / flatten). It may exceed the 64-pixel image."""
    field: dict[str, tuple[float, float, float, float]] = {}  # name -> (rf_h, rf_w, jump_h, jump_w)
    last = (1, 1)
    for layer in _layers(model):
        parents = [field[parent.name] for parent in _parents(layer) if parent.name in field]
        rf_h, rf_w, jump_h, jump_w = np.max(parents, axis=0) if parents else (1, 1, 1, 1)
        if isinstance(layer, _GLOBAL):
            last = (int(rf_h), int(rf_w))
            continue
        if isinstance(layer, _SPATIAL):
            kernel = getattr(layer, "kernel_size", None) or layer.pool_size
            dilation = getattr(layer, "dilation_rate", (1, 1))
            rf_h += (kernel[0] - 1) * dilation[0] * jump_h
            rf_w += (kernel[1] - 1) * dilation[1] * jump_w
            jump_h, jump_w = jump_h * layer.strides[0], jump_w * layer.strides[1]
        field[layer.name] = (rf_h, rf_w, jump_h, jump_w)
        if len(getattr(layer, "output", None).shape or ()) == 4:
            last = (int(rf_h), int(rf_w))
    return last


@dataclasses.dataclass(frozen=True)
class Description:
    """One row of `describe`: sizes of a model for one image."""

    name: str
    parameters: int
    trainable: int
    macs: int
    depth: int
    receptive_field: tuple[int, int]

    def cells(self) -> list[str]:
        height, width = self.receptive_field
        field = f"{height}" if height == width else f"{height}x{width}"
        return [
            self.name,
            f"{self.parameters:,}",
            f"{self.trainable:,}",
            f"{self.macs / 1e9:.2f} G",
            str(self.depth),
            field,
        ]


class Table(list):
    """Rows of `Description`; prints as aligned text and renders as HTML in notebooks."""

    HEADER = ["model", "parameters", "trainable", "MACs/image", "depth", "receptive field (px)"]

    def __str__(self) -> str:
        rows = [self.HEADER, *(row.cells() for row in self)]
        widths = [max(len(row[i]) for row in rows) for i in range(len(self.HEADER))]
        return "\n".join(
            "  ".join(cell.rjust(w) if i else cell.ljust(w) for i, (cell, w) in enumerate(zip(row, widths)))
            for row in rows
        )

    def _repr_html_(self) -> str:
        head = "".join(f"<th>{cell}</th>" for cell in self.HEADER)
        body = "".join("<tr>" + "".join(f"<td>{cell}</td>" for cell in row.cells()) + "</tr>" for row in self)
        return f"<table><tr>{head}</tr>{body}</table>"


def describe(*models: keras.Model) -> Table:
    """A compact comparison table: parameters, MACs per image, weighted depth, receptive field."""
    return Table(
        Description(
            name=model.name,
            parameters=int(model.count_params()),
            trainable=int(sum(math.prod(v.shape) for v in model.trainable_weights)),
            macs=count_flops(model),
            depth=weighted_depth(model),
            receptive_field=receptive_field(model),
        )
        for model in models
    )


def plot_diagram(model: keras.Model, path: str | os.PathLike) -> str | None:
    """Draw the layer graph to `path` (PNG) with keras.utils.plot_model. Returns the path, or
    None (with a one-line note) when pydot or Graphviz is missing."""
    try:
        keras.utils.plot_model(model, to_file=str(path), show_shapes=True, show_layer_names=True, dpi=60)
    except (ImportError, OSError) as error:
        print(f"diagram skipped: {error} Graphviz is needed too (`apt install graphviz` or `brew install graphviz`).")
        return None
    return str(path)


def gradient_norms(
    model: keras.Model, images: np.ndarray, labels: np.ndarray, shortcuts: bool = False
) -> dict[str, float]:
    """L2 norm of the loss gradient for every convolution and dense kernel, input side first.
    Projection shortcuts (layers named "*shortcut*") are left out unless shortcuts=True, so
    the entries follow the main path of a ResNet and its plain twin alike.

    images: float32 (B, 64, 64, 3) in [0, 1]; labels: int (B,). One forward/backward pass in
    training mode (BatchNorm uses batch statistics) with sparse categorical cross-entropy.
    Works on the TensorFlow, JAX and PyTorch backends.
    """
    kernels = [
        layer
        for layer in _layers(model)
        if isinstance(layer, _WEIGHTED) and (shortcuts or "shortcut" not in layer.name)
    ]
    images = np.asarray(images, np.float32)
    labels = np.asarray(labels)

    def loss_of(outputs):
        return keras.ops.mean(keras.losses.sparse_categorical_crossentropy(labels, outputs))

    backend = keras.config.backend()
    if backend == "tensorflow":
        import tensorflow as tf

        with tf.GradientTape() as tape:
            loss = loss_of(model(images, training=True))
        gradients = tape.gradient(loss, [layer.kernel.value for layer in kernels])
    elif backend == "jax":
        import jax

        trainable = [v.value for v in model.trainable_variables]
        frozen = [v.value for v in model.non_trainable_variables]
        positions = {id(v): i for i, v in enumerate(model.trainable_variables)}

        def loss_fn(values):
            outputs, _ = model.stateless_call(values, frozen, images, training=True)
            return loss_of(outputs)

        all_gradients = jax.grad(loss_fn)(trainable)
        gradients = [all_gradients[positions[id(layer.kernel)]] for layer in kernels]
    elif backend == "torch":
        import torch

        loss = loss_of(model(images, training=True))
        gradients = torch.autograd.grad(loss, [layer.kernel.value for layer in kernels])
    else:
        raise NotImplementedError(f"gradient_norms does not support the {backend!r} backend")
    return {layer.name: float(np.linalg.norm(keras.ops.convert_to_numpy(g))) for layer, g in zip(kernels, gradients)}
