"""Grad-CAM: shapes and scaling, the right place on a toy model, any tinylib model; box mass."""

import tinylib  # noqa: F401  first: it turns TensorFlow's oneDNN kernels off before keras loads TensorFlow

# isort: split
import keras
import numpy as np
import pytest

from tinylib import analysis
from tinylib.inference import predict_probabilities
from tinylib.models import resnet, seed_net

pytestmark = [pytest.mark.backend, pytest.mark.versions, pytest.mark.every_backend]

IMAGES = np.random.default_rng(0).integers(0, 256, (3, 64, 64, 3), dtype=np.uint8)


class QuadrantMasks(keras.layers.Layer):
    """Channel q keeps its input only inside quadrant q (0 top-left, 1 top-right, 2 bottom-left,
    3 bottom-right) and is zero elsewhere."""

    def call(self, x):
        mask = np.zeros((1, 64, 64, 4), np.float32)
        for quadrant in range(4):
            row, column = divmod(quadrant, 2)
            mask[0, 32 * row : 32 * (row + 1), 32 * column : 32 * (column + 1), quadrant] = 1
        return x * keras.ops.convert_to_tensor(mask)


def quadrant_model() -> keras.Model:
    """Class 0's logit depends only on the top-left quadrant, class 1's only on the bottom-right."""
    inputs = keras.Input((64, 64, 3))
    brightness = keras.layers.Conv2D(4, 1, use_bias=False, name="brightness")(inputs)  # 4 copies of the mean
    features = QuadrantMasks(name="features")(brightness)
    pooled = keras.layers.GlobalAveragePooling2D()(features)
    outputs = keras.layers.Dense(2, activation="softmax", name="classifier")(pooled)
    model = keras.Model(inputs, outputs)
    model.get_layer("brightness").set_weights([np.full((1, 1, 3, 4), 1 / 3, np.float32)])
    kernel = np.zeros((4, 2), np.float32)
    kernel[0, 0], kernel[3, 1] = 8.0, 8.0
    model.get_layer("classifier").set_weights([kernel, np.zeros(2, np.float32)])
    return model


def quadrant_shares(heatmaps: np.ndarray) -> np.ndarray:
    """(N, 4) share of each heat-map's mass in the quadrants top-left, top-right, bottom-left, bottom-right."""
    quadrants = heatmaps.reshape(len(heatmaps), 2, 32, 2, 32).sum(axis=(2, 4)).reshape(len(heatmaps), 4)
    return quadrants / quadrants.sum(axis=1, keepdims=True)


def test_grad_cam_lands_in_the_quadrant_the_logit_depends_on():
    model = quadrant_model()
    images = IMAGES.copy()
    images[0, 32:, 32:] = 255  # brighter bottom-right: class 1 predicted
    images[1, :32, :32] = 255  # brighter top-left: class 0 predicted
    assert predict_probabilities(model, images[:2]).argmax(axis=1).tolist() == [1, 0]
    shares = quadrant_shares(analysis.grad_cam(model, images, layer="features", classes=0))
    np.testing.assert_allclose(shares[:, 0], 1.0, atol=1e-6)  # all mass top-left, for every image
    predicted = quadrant_shares(analysis.grad_cam(model, images[:2], layer="features"))  # default: predicted class
    assert predicted[0, 3] == pytest.approx(1.0) and predicted[1, 0] == pytest.approx(1.0)
    per_image = quadrant_shares(analysis.grad_cam(model, images[:2], layer="features", classes=np.array([0, 1])))
    assert per_image[0, 0] == pytest.approx(1.0) and per_image[1, 3] == pytest.approx(1.0)


def test_grad_cam_is_the_weighted_feature_map_scaled_to_one():
    model = quadrant_model()
    heatmap = analysis.grad_cam(model, IMAGES[:1], layer="features", classes=0)[0]
    brightness = IMAGES[0, :32, :32].astype(np.float32).mean(axis=-1)
    np.testing.assert_allclose(heatmap[:32, :32], brightness / brightness.max(), atol=1e-5)
    assert np.all(heatmap[32:] == 0) and np.all(heatmap[:, 32:] == 0)


def test_grad_cam_on_a_resnet_any_feature_layer_shape_and_scale():
    model = resnet(depth=10, width=8, stem="imagenet", num_classes=5)
    assert analysis.default_cam_layer(model) == "stage3_block1_out"  # 4x4; stage 4 is only 2x2
    assert analysis.feature_map_layers(model)[-1] == "stage4_block1_out"
    inside_a_block = "stage2_block1_relu1"  # a shortcut bypasses it: JAX's stateless head cannot start there
    if keras.config.backend() == "jax":
        with pytest.raises(ValueError, match="bypassed by a shortcut"):
            analysis.grad_cam(model, IMAGES, layer=inside_a_block)
        inside_a_block = "stage2_block1_out"
    for layer in ("stage4_block1_out", inside_a_block, None):
        heatmaps = analysis.grad_cam(model, IMAGES, layer=layer, batch_size=2)
        assert heatmaps.shape == (3, 64, 64) and heatmaps.dtype == np.float32
        peaks = heatmaps.max(axis=(1, 2))
        assert heatmaps.min() >= 0 and np.all(np.isclose(peaks, 1.0) | (peaks == 0)), (layer, peaks)
    with pytest.raises(ValueError, match="no such layer 'classifier'.*stage4_block1_out"):
        analysis.grad_cam(model, IMAGES, layer="classifier")


def test_grad_cam_on_the_seed_model_by_its_original_layer_name():
    model = seed_net(num_classes=4)
    assert analysis.default_cam_layer(model) == "relu_13"
    heatmaps = analysis.grad_cam(model, IMAGES[:2], layer="relu_13")
    assert heatmaps.shape == (2, 64, 64) and 0 <= heatmaps.min() and heatmaps.max() <= 1


def test_box_mass_and_area_by_hand():
    heatmaps = np.zeros((4, 4, 4))
    heatmaps[0, 0, 0], heatmaps[0, 3, 3] = 3.0, 1.0  # 3/4 of the mass at (x=0, y=0)
    heatmaps[1] = 1.0
    heatmaps[3] = 1.0
    boxes = np.array([[0, 0, 1, 1], [0, 0, 1, 1], [0, 0, 3, 3], [-1, -1, -1, -1]])
    mass = analysis.box_mass(heatmaps, boxes)
    np.testing.assert_allclose(mass[:2], [0.75, 4 / 16])
    assert np.isnan(mass[2]) and np.isnan(mass[3])  # all-zero heat-map; no box
    x_only = np.zeros((1, 4, 4))
    x_only[0, 0, 3] = 1.0  # row 0, column 3: x=3, y=0
    assert analysis.box_mass(x_only, np.array([[3, 0, 3, 0]]))[0] == 1.0
    assert analysis.box_mass(x_only, np.array([[0, 3, 0, 3]]))[0] == 0.0
    area = analysis.box_area_share(boxes, size=(4, 4))
    np.testing.assert_allclose(area[:3], [0.25, 0.25, 1.0])
    assert np.isnan(area[3])


def test_box_mass_summary_splits_correct_and_mistakes():
    mass = np.array([0.8, 0.6, 0.2, np.nan, 0.4])
    correct = np.array([True, True, False, False, False])
    labels = np.array([0, 1, 0, 1, 1])
    area = np.array([0.3, 0.3, 0.1, 0.9, 0.2])
    summary = analysis.box_mass_summary(mass, correct, labels, ["cat", "dog"], area)
    assert summary["images"] == 4
    assert summary["correct"] == 0.7 and summary["mistakes"] == 0.3 and summary["all"] == 0.5
    assert summary["box_area"] == 0.225  # images without a heat-map value are left out
    assert summary["per_class"] == {"cat": 0.5, "dog": 0.5}
