import importlib.util
import os
import subprocess
import sys

import keras
import numpy as np
import pytest

from tinylib.models import residual_block, resnet, resnet10, resnet18, resnet34

pytestmark = [pytest.mark.backend, pytest.mark.versions, pytest.mark.every_backend]


def _block_params(inputs, outputs, stride):
    params = 9 * inputs * outputs + 4 * outputs + 9 * outputs * outputs + 4 * outputs
    if stride != 1 or inputs != outputs:
        params += inputs * outputs + 4 * outputs
    return params


def _expected_resnet18_params(width, num_classes):
    """Counted by hand from the paper's ResNet-18 with a 3x3 stem (BN: 4 numbers/channel)."""
    total = 27 * width + 4 * width
    inputs = width
    for stage in range(4):
        outputs = width * 2**stage
        for block in range(2):
            total += _block_params(inputs, outputs, 2 if stage and not block else 1)
            inputs = outputs
    return total + inputs * num_classes + num_classes


@pytest.mark.parametrize("width", [8, 64])
def test_resnet18_parameter_count(width):
    model = resnet18(width=width, num_classes=200)
    assert model.count_params() == _expected_resnet18_params(width, 200)


@pytest.mark.parametrize(("builder", "depth"), [(resnet10, 10), (resnet18, 18), (resnet34, 34)])
@pytest.mark.parametrize("stem", ["cifar", "imagenet"])
def test_shapes_and_depth(builder, depth, stem):
    model = builder(width=8, stem=stem, num_classes=7)
    assert model.input_shape == (None, 64, 64, 3)
    assert model.output_shape == (None, 7)
    convs = [layer for layer in model.layers if isinstance(layer, keras.layers.Conv2D) and "shortcut" not in layer.name]
    assert len(convs) + 1 == depth  # weighted layers: convolutions + the classifier
    last_stage = model.get_layer("pool").input.shape
    assert tuple(last_stage[1:]) == ((8, 8, 64) if stem == "cifar" else (2, 2, 64))


def test_outputs_are_probabilities():
    model = resnet10(width=8, num_classes=5, stem="imagenet")
    probabilities = keras.ops.convert_to_numpy(model(np.random.rand(3, 64, 64, 3).astype("float32")))
    np.testing.assert_allclose(probabilities.sum(axis=1), 1.0, rtol=1e-5)


@pytest.mark.parametrize("preact", [False, True])
def test_zero_init_block_is_the_identity(preact):
    inputs = keras.Input((8, 8, 16))
    block = keras.Model(inputs, residual_block(inputs, 16, preact=preact, zero_init=True))
    x = np.random.rand(2, 8, 8, 16).astype("float32")  # non-negative, like a ReLU output
    np.testing.assert_allclose(keras.ops.convert_to_numpy(block(x, training=False)), x, atol=1e-6)
    assert not any("shortcut" in layer.name for layer in block.layers)


@pytest.mark.parametrize("preact", [False, True])
def test_projection_shortcut_when_shape_changes(preact):
    inputs = keras.Input((16, 16, 8))
    block = keras.Model(inputs, residual_block(inputs, 32, stride=2, preact=preact, name="b"))
    assert block.output_shape == (None, 8, 8, 32)
    assert block.get_layer("b_shortcut_conv").kernel.shape == (1, 1, 8, 32)


def test_bad_arguments_are_refused():
    with pytest.raises(ValueError, match="depth must be one of"):
        resnet(depth=50)
    with pytest.raises(ValueError, match="stem must be one of"):
        resnet(stem="tiny")
    with pytest.raises(ValueError, match="width and num_classes"):
        resnet(width=0)


def test_preact_variant_builds_with_dropout():
    model = resnet18(width=8, preact=True, dropout=0.2, num_classes=3)
    assert model.get_layer("final_bn") is not None and model.get_layer("dropout").rate == 0.2


@pytest.mark.parametrize("backend", ["jax", "torch"])
def test_builds_on_other_backends(backend):
    if importlib.util.find_spec(backend) is None:
        pytest.skip(
            f"{backend} is not installed here; the model code is pure Keras 3 and is checked on it where present"
        )
    code = (
        "import numpy as np; from tinylib.models import seed_net, resnet, plain_net, bottleneck_block; "
        "models = [seed_net(4)] + [resnet(depth=d, width=8, num_classes=4, preact=d == 34) for d in (10, 18, 34)]; "
        "models += [plain_net(depth=18, width=8, num_classes=4)]; "
        "print({tuple(m(np.zeros((2, 64, 64, 3), 'float32')).shape) for m in models})"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        env={**os.environ, "KERAS_BACKEND": backend},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    assert "{(2, 4)}" in result.stdout
