"""Residual networks for 64x64 images, and their plain twins, as small functional builders.

Pure `keras`: every builder works on the TensorFlow, JAX and PyTorch backends. Models take
float32 images in [0, 1], shape (batch, 64, 64, 3), and return float32 class probabilities
(batch, num_classes) (the softmax stays float32 under mixed precision).
"""

from __future__ import annotations

import keras
from keras import layers

BLOCKS_PER_STAGE = {10: (1, 1, 1, 1), 18: (2, 2, 2, 2), 34: (3, 4, 6, 3)}
STEMS = ("cifar", "imagenet")


def _conv(filters: int, kernel: int, stride: int = 1, name: str | None = None) -> layers.Conv2D:
    return layers.Conv2D(
        filters, kernel, strides=stride, padding="same", use_bias=False, kernel_initializer="he_normal", name=name
    )


def residual_block(
    x, filters: int, stride: int = 1, preact: bool = False, zero_init: bool = False, name: str = "block"
):
    """The basic two-convolution residual block (He et al. 2016): output = F(x) + shortcut(x).

    x: tensor (batch, H, W, C). Returns (batch, H/stride, W/stride, filters).
    The shortcut is the identity when shape is kept, else a strided 1x1 convolution
    (a "projection"). preact=False is the original post-activation block
    (conv-BN-ReLU-conv-BN, add, ReLU); preact=True the pre-activation variant
    (BN-ReLU-conv-BN-ReLU-conv, add). zero_init=True starts the last BatchNorm scale at 0,
    (pre-activation: the last kernel), so a fresh block passes its input straight through:
    ReLU(x) post-activation, x pre-activation (identity shortcuts only).
    """
    last_gamma = "zeros" if zero_init else "ones"
    needs_projection = stride != 1 or x.shape[-1] != filters
    if preact:
        y = layers.BatchNormalization(name=f"{name}_preact_bn")(x)
        y = layers.Activation("relu", name=f"{name}_preact_relu")(y)
        shortcut = _conv(filters, 1, stride, f"{name}_shortcut_conv")(y) if needs_projection else x
        y = _conv(filters, 3, stride, f"{name}_conv1")(y)
        y = layers.BatchNormalization(name=f"{name}_bn1")(y)
        y = layers.Activation("relu", name=f"{name}_relu1")(y)
        conv2 = _conv(filters, 3, 1, f"{name}_conv2")
        if zero_init:  # no BatchNorm after the last conv here: start its kernel at zero
            conv2.kernel_initializer = keras.initializers.Zeros()
        y = conv2(y)
        return layers.Add(name=f"{name}_add")([shortcut, y])
    shortcut = x
    if needs_projection:
        shortcut = _conv(filters, 1, stride, f"{name}_shortcut_conv")(x)
        shortcut = layers.BatchNormalization(name=f"{name}_shortcut_bn")(shortcut)
    y = _conv(filters, 3, stride, f"{name}_conv1")(x)
    y = layers.BatchNormalization(name=f"{name}_bn1")(y)
    y = layers.Activation("relu", name=f"{name}_relu1")(y)
    y = _conv(filters, 3, 1, f"{name}_conv2")(y)
    y = layers.BatchNormalization(gamma_initializer=last_gamma, name=f"{name}_bn2")(y)
    y = layers.Add(name=f"{name}_add")([shortcut, y])
    return layers.Activation("relu", name=f"{name}_out")(y)


def _stem(x, width: int, stem: str, preact: bool):
    if stem == "cifar":  # keep 64x64: the expensive, accurate choice for small images
        x = _conv(width, 3, 1, "stem_conv")(x)
    else:  # "imagenet": 7x7/2 conv + 3x3/2 max-pool, 64x64 -> 16x16, ~16x cheaper
        x = _conv(width, 7, 2, "stem_conv")(x)
    if not preact or stem == "imagenet":
        x = layers.BatchNormalization(name="stem_bn")(x)
        x = layers.Activation("relu", name="stem_relu")(x)
    if stem == "imagenet":
        x = layers.MaxPooling2D(3, strides=2, padding="same", name="stem_pool")(x)
    return x


def bottleneck_block(x, filters: int, stride: int = 1, expansion: int = 4, name: str = "bottleneck"):
    """The bottleneck block of ResNet-50 and deeper: 1x1 (filters) -> 3x3 (filters, stride)
    -> 1x1 (expansion x filters), BN after each, add the shortcut, ReLU.
    Returns (B, H/stride, W/stride, expansion * filters); cheaper than two 3x3 at that width."""
    outputs = filters * expansion
    shortcut = x
    if stride != 1 or x.shape[-1] != outputs:
        shortcut = _conv(outputs, 1, stride, f"{name}_shortcut_conv")(x)
        shortcut = layers.BatchNormalization(name=f"{name}_shortcut_bn")(shortcut)
    y = x
    for index, (width, kernel, step) in enumerate(((filters, 1, 1), (filters, 3, stride), (outputs, 1, 1)), start=1):
        y = _conv(width, kernel, step, f"{name}_conv{index}")(y)
        y = layers.BatchNormalization(name=f"{name}_bn{index}")(y)
        if index < 3:
            y = layers.Activation("relu", name=f"{name}_relu{index}")(y)
    y = layers.Add(name=f"{name}_add")([shortcut, y])
    return layers.Activation("relu", name=f"{name}_out")(y)


def plain_block(x, filters: int, stride: int = 1, name: str = "block"):
    """A residual block without its skip: conv-BN-ReLU-conv-BN-ReLU, (B, H/stride, W/stride, filters).
    Stacking these gives the "plain" network of the degradation experiment."""
    y = _conv(filters, 3, stride, f"{name}_conv1")(x)
    y = layers.BatchNormalization(name=f"{name}_bn1")(y)
    y = layers.Activation("relu", name=f"{name}_relu1")(y)
    y = _conv(filters, 3, 1, f"{name}_conv2")(y)
    y = layers.BatchNormalization(name=f"{name}_bn2")(y)
    return layers.Activation("relu", name=f"{name}_out")(y)


def _check(depth: int, width: int, stem: str, num_classes: int) -> None:
    if depth not in BLOCKS_PER_STAGE:
        raise ValueError(f"depth must be one of {sorted(BLOCKS_PER_STAGE)}, got {depth}")
    if stem not in STEMS:
        raise ValueError(f"stem must be one of {STEMS}, got {stem!r}")
    if width < 1 or num_classes < 1:
        raise ValueError(f"width and num_classes must be positive, got width={width}, num_classes={num_classes}")


def _network(block, depth, width, stem, num_classes, dropout, input_shape, name, preact=False) -> keras.Model:
    """Stem, four stages of `block(x, filters, stride, name=...)` with widths (w, 2w, 4w, 8w)
    and strides (1, 2, 2, 2), global average pooling, (dropout,) softmax classifier."""
    inputs = keras.Input(shape=input_shape, name="image")
    x = _stem(inputs, width, stem, preact)
    for stage, blocks in enumerate(BLOCKS_PER_STAGE[depth]):
        for index in range(blocks):
            stride = 2 if stage > 0 and index == 0 else 1
            x = block(x, width * 2**stage, stride, name=f"stage{stage + 1}_block{index + 1}")
    if preact:
        x = layers.BatchNormalization(name="final_bn")(x)
        x = layers.Activation("relu", name="final_relu")(x)
    x = layers.GlobalAveragePooling2D(name="pool")(x)
    if dropout:
        x = layers.Dropout(dropout, name="dropout")(x)
    outputs = layers.Dense(num_classes, activation="softmax", dtype="float32", name="classifier")(x)
    return keras.Model(inputs, outputs, name=name)


def resnet(
    depth: int = 18,
    width: int = 64,
    preact: bool = False,
    stem: str = "cifar",
    num_classes: int = 200,
    dropout: float = 0.0,
    zero_init: bool = True,
    input_shape: tuple[int, int, int] = (64, 64, 3),
    name: str | None = None,
) -> keras.Model:
    """A ResNet-{10,18,34} for 64x64 images: stem, four stages of basic residual blocks
    with widths (w, 2w, 4w, 8w) and strides (1, 2, 2, 2), global average pooling, softmax.

    width=64 is the paper's ResNet; narrow widths (8-32) are what a CPU can train.
    stem="cifar" (3x3, stride 1) keeps full resolution (~2.2 G multiply-adds per image for
    ResNet-18 at width 64); stem="imagenet" (7x7/2 + max-pool) is ~16x cheaper.
    zero_init starts every residual branch at zero (Goyal et al. 2017), see `residual_block`.
    """
    _check(depth, width, stem, num_classes)

    def block(x, filters, stride, name):
        return residual_block(x, filters, stride, preact, zero_init, name=name)

    name = name or f"resnet{depth}{'_preact' if preact else ''}_w{width}"
    return _network(block, depth, width, stem, num_classes, dropout, input_shape, name, preact)


def plain_net(
    depth: int = 18,
    width: int = 64,
    stem: str = "cifar",
    num_classes: int = 200,
    dropout: float = 0.0,
    input_shape: tuple[int, int, int] = (64, 64, 3),
    name: str | None = None,
) -> keras.Model:
    """The post-activation `resnet` with every skip connection removed: same layers, same
    depth, same width (and no projection convolutions), for the degradation experiment."""
    _check(depth, width, stem, num_classes)
    return _network(
        plain_block, depth, width, stem, num_classes, dropout, input_shape, name or f"plain{depth}_w{width}"
    )


def resnet10(**kwargs) -> keras.Model:
    """ResNet-10: one basic block per stage (see `resnet` for the arguments)."""
    return resnet(depth=10, **kwargs)


def resnet18(**kwargs) -> keras.Model:
    """ResNet-18: two basic blocks per stage (see `resnet` for the arguments)."""
    return resnet(depth=18, **kwargs)


def resnet34(**kwargs) -> keras.Model:
    """ResNet-34: 3, 4, 6, 3 basic blocks per stage (see `resnet` for the arguments)."""
    return resnet(depth=34, **kwargs)
