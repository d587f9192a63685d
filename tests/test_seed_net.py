"""seed_net against docs/seed_model.md, written out by hand from its table of layers."""

import keras
import numpy as np
import pytest

from tinylib.models import count_flops, describe, seed_net, weighted_depth

pytestmark = [pytest.mark.backend, pytest.mark.versions]

# (layer name, output shape without batch) in the spec's order, convolutions and the layers
# that change shape; every name and size is read off docs/seed_model.md.
SPEC = [
    ("conv_1", (64, 64, 32)), ("norm_1", (64, 64, 32)),
    ("conv_2", (64, 64, 64)), ("norm_2", (64, 64, 64)),
    ("conv_3", (64, 64, 128)), ("norm_3", (64, 64, 128)),
    ("conv_4", (64, 64, 256)), ("norm_4", (64, 64, 256)),
    ("con_2", (64, 64, 288)), ("pool_2", (32, 32, 288)),
    ("BN1_conv_1x1", (32, 32, 128)), ("BN1_norm_1", (32, 32, 128)),
    ("conv_6", (32, 32, 128)), ("norm_6", (32, 32, 128)),
    ("conv_7", (32, 32, 256)), ("norm_7", (32, 32, 256)), ("pool_7", (16, 16, 256)),
    ("BN2_conv_1x1", (16, 16, 128)), ("BN2_norm_2", (16, 16, 128)),
    ("conv_8", (16, 16, 256)), ("norm_8", (16, 16, 256)),
    ("conv_9", (16, 16, 512)), ("conv_9a", (16, 16, 512)), ("norm_9", (16, 16, 512)), ("pool_9", (8, 8, 512)),
    ("BN3_conv_1x1", (8, 8, 256)), ("BN3_norm_3", (8, 8, 256)),
    ("conv_10", (8, 8, 256)), ("norm_10", (8, 8, 256)),
    ("conv_11", (8, 8, 512)), ("conv_11a", (8, 8, 512)), ("norm_11", (8, 8, 512)),
    ("con_5", (8, 8, 768)), ("pool_5", (4, 4, 768)),
    ("BN4_conv_1x1", (4, 4, 512)), ("BN4_norm_4", (4, 4, 512)),
    ("conv_12", (4, 4, 256)), ("conv_12a", (4, 4, 256)), ("norm_12", (4, 4, 256)),
    ("conv_13", (4, 4, 256)), ("norm_13", (4, 4, 256)), ("pool_13", (2, 2, 256)),
    ("conv_flat", (1, 1, 200)), ("norm_flat", (1, 1, 200)), ("flatten", (200,)), ("softmax", (200,)),
]  # fmt: skip
KERNELS = {
    "conv_9": (3, 1),
    "conv_9a": (1, 3),
    "conv_11": (3, 1),
    "conv_11a": (1, 3),
    "conv_12": (3, 1),
    "conv_12a": (1, 3),
}
KERNELS |= {
    "BN1_conv_1x1": (1, 1),
    "BN2_conv_1x1": (1, 1),
    "BN3_conv_1x1": (1, 1),
    "BN4_conv_1x1": (1, 1),
    "conv_flat": (2, 2),
}


@pytest.fixture(scope="module")
def model():
    return seed_net()


def test_totals(model):
    trainable = sum(int(np.prod(v.shape)) for v in model.trainable_weights)
    frozen = sum(int(np.prod(v.shape)) for v in model.non_trainable_weights)
    assert (model.count_params(), trainable, frozen) == (6_069_248, 6_060_976, 8_272)


def test_every_layer_shape_and_order(model):
    shapes = {layer.name: tuple(layer.output.shape[1:]) for layer in model.layers}
    assert [(name, shapes.get(name)) for name, _ in SPEC] == SPEC
    order = [layer.name for layer in model.layers]
    assert [order.index(name) for name, _ in SPEC] == sorted(order.index(name) for name, _ in SPEC)
    assert model.output_shape == (None, 200)


def test_every_convolution_as_in_the_original(model):
    convs = [layer for layer in model.layers if isinstance(layer, keras.layers.Conv2D)]
    assert len(convs) == 20
    for conv in convs:
        assert conv.use_bias is False
        assert conv.strides == (1, 1)
        assert conv.padding == ("valid" if conv.name == "conv_flat" else "same")
        assert conv.kernel_size == KERNELS.get(conv.name, (3, 3))
        assert isinstance(conv.kernel_initializer, keras.initializers.GlorotNormal)
        assert conv.kernel_regularizer.get_config()["l2"] == pytest.approx(5e-4)


def test_concatenations_carry_the_early_activations(model):
    def sources(name):
        return [t._keras_history.operation.name for t in model.get_layer(name)._inbound_nodes[0].input_tensors]

    assert sources("con_2") == ["relu_4", "relu_1"]
    assert sources("con_5") == ["BN3_relu_3", "relu_11"]
    assert sources("norm_9") == ["conv_9a"] and sources("conv_9a") == ["conv_9"]  # no BN/ReLU inside the pair


def test_cost_and_depth(model):
    assert count_flops(model) == pytest.approx(2.61e9, rel=0.01)  # "about 2.6 G" in the spec
    assert weighted_depth(model) == 20
    assert "seed_net" in str(describe(model))


def test_other_class_counts_change_only_the_head():
    small = seed_net(num_classes=10)
    assert small.output_shape == (None, 10)
    assert small.get_layer("conv_flat").kernel.shape == (2, 2, 256, 10)
