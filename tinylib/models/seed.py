"""The original notebook's model, rebuilt exactly (docs/seed_model.md): the starting point.

A wide, concatenation-based CNN: a full-resolution stem whose output is concatenated with its
first activation, four "bottleneck" groups with 1x1 reductions and asymmetric 3x1/1x3
convolution pairs, a second concatenation, and a 2x2 valid convolution head. With 200 classes
it has 6,069,248 parameters (6,060,976 trainable, 8,272 non-trainable) and costs about 2.6 G
multiply-accumulates per 64x64 image.
"""

from __future__ import annotations

import keras
from keras import layers, regularizers

WEIGHT_DECAY = 5e-4  # the original's L2 factor on every convolution kernel


def _conv(filters: int, kernel: tuple[int, int] | int, name: str, padding: str = "same") -> layers.Conv2D:
    return layers.Conv2D(
        filters,
        kernel,
        padding=padding,
        use_bias=False,
        kernel_initializer="glorot_normal",
        kernel_regularizer=regularizers.L2(WEIGHT_DECAY),
        name=name,
    )


def _cbr(x, filters: int, kernel, conv_name: str, norm_name: str, relu_name: str):
    """Conv2D -> BatchNormalization -> ReLU with the original layer names."""
    x = _conv(filters, kernel, conv_name)(x)
    x = layers.BatchNormalization(name=norm_name)(x)
    return layers.Activation("relu", name=relu_name)(x)


def _asymmetric(x, filters: int, number: str):
    """conv_N (3x1) -> conv_Na (1x3) -> norm_N -> ReLU: no BN/ReLU between the pair."""
    x = _conv(filters, (3, 1), f"conv_{number}")(x)
    x = _conv(filters, (1, 3), f"conv_{number}a")(x)
    x = layers.BatchNormalization(name=f"norm_{number}")(x)
    return layers.Activation("relu", name=f"relu_{number}")(x)


def seed_net(num_classes: int = 200, input_shape: tuple[int, int, int] = (64, 64, 3)) -> keras.Model:
    """The reference notebook's model: float32 images in [0, 1] (B, 64, 64, 3) -> float32
    softmax probabilities (B, num_classes). Layer names follow the original summary."""
    inputs = keras.Input(shape=input_shape, name="image")
    # stem, at full resolution; `a` is carried to the first concatenation
    a = _cbr(inputs, 32, 3, "conv_1", "norm_1", "relu_1")
    x = _cbr(a, 64, 3, "conv_2", "norm_2", "relu_2")
    x = _cbr(x, 128, 3, "conv_3", "norm_3", "relu_3")
    x = _cbr(x, 256, 3, "conv_4", "norm_4", "relu_4")
    x = layers.Concatenate(name="con_2")([x, a])
    x = layers.MaxPooling2D(2, name="pool_2")(x)  # 32x32x288
    # bottleneck 1
    x = _cbr(x, 128, 1, "BN1_conv_1x1", "BN1_norm_1", "BN1_relu_1")
    x = _cbr(x, 128, 3, "conv_6", "norm_6", "relu_6")
    x = _cbr(x, 256, 3, "conv_7", "norm_7", "relu_7")
    x = layers.MaxPooling2D(2, name="pool_7")(x)  # 16x16x256
    # bottleneck 2
    x = _cbr(x, 128, 1, "BN2_conv_1x1", "BN2_norm_2", "BN2_relu_2")
    x = _cbr(x, 256, 3, "conv_8", "norm_8", "relu_8")
    x = _asymmetric(x, 512, "9")
    x = layers.MaxPooling2D(2, name="pool_9")(x)  # 8x8x512
    # bottleneck 3; `b` is carried to the second concatenation
    b = _cbr(x, 256, 1, "BN3_conv_1x1", "BN3_norm_3", "BN3_relu_3")
    x = _cbr(b, 256, 3, "conv_10", "norm_10", "relu_10")
    x = _asymmetric(x, 512, "11")
    x = layers.Concatenate(name="con_5")([b, x])
    x = layers.MaxPooling2D(2, name="pool_5")(x)  # 4x4x768
    # bottleneck 4
    x = _cbr(x, 512, 1, "BN4_conv_1x1", "BN4_norm_4", "BN4_relu_4")
    x = _asymmetric(x, 256, "12")
    x = _cbr(x, 256, 3, "conv_13", "norm_13", "relu_13")
    x = layers.MaxPooling2D(2, name="pool_13")(x)  # 2x2x256
    # head: a 2x2 valid convolution is the classifier
    x = _conv(num_classes, 2, "conv_flat", padding="valid")(x)
    x = layers.BatchNormalization(name="norm_flat")(x)
    x = layers.Flatten(name="flatten")(x)
    outputs = layers.Activation("softmax", dtype="float32", name="softmax")(x)
    return keras.Model(inputs, outputs, name="seed_net")
