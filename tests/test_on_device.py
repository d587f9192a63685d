"""Augmentation inside the train step (`fit(augment_on="device")`, `on_device.AugmentingModel`)."""

from __future__ import annotations

import keras
import numpy as np
import pytest
from conftest import random_data

from tinylib.data.augment import Augmenter
from tinylib.models import resnet10
from tinylib.train import devices, fit, recipe
from tinylib.train.on_device import AugmentingModel
from tinylib.workdir import Workdir

pytestmark = [pytest.mark.backend, pytest.mark.versions]

RNG = np.random.default_rng(0)
IMAGES = RNG.integers(0, 256, (8, 64, 64, 3), dtype=np.uint8)


def _wrapper(preset: str = "flip_crop", seed: int = 0) -> AugmentingModel:
    keras.utils.set_random_seed(0)
    wrapper = AugmentingModel(resnet10(width=8, stem="imagenet", num_classes=4), Augmenter(preset, 4, seed, jit=False))
    wrapper.build((None, 64, 64, 3))
    return wrapper


def test_inference_only_scales_and_matches_the_plain_model():
    wrapper = _wrapper()
    np.testing.assert_array_equal(np.asarray(wrapper.augment(IMAGES)), IMAGES.astype(np.float32) / 255.0)
    expected = np.asarray(wrapper.inner(IMAGES.astype(np.float32) / 255.0, training=False))
    np.testing.assert_array_equal(np.asarray(wrapper(IMAGES, training=False)), expected)


@pytest.mark.parametrize("preset", ["flip_crop", "strong"])
def test_training_augments_and_repeats_under_a_seed(preset):
    first, again, other = _wrapper(preset), _wrapper(preset), _wrapper(preset, seed=1)
    augmented = np.asarray(first.augment(IMAGES, training=True))
    assert augmented.dtype == np.float32 and augmented.shape == IMAGES.shape
    assert 0 <= augmented.min() and augmented.max() <= 1
    assert not np.allclose(augmented, IMAGES / 255.0)
    np.testing.assert_array_equal(augmented, np.asarray(again.augment(IMAGES, training=True)))
    assert not np.allclose(augmented, np.asarray(other.augment(IMAGES, training=True)))


def test_strong_mixes_the_labels_like_the_images():
    wrapper = _wrapper("strong")
    wrapper.augment(IMAGES, training=True)
    labels = np.eye(4, dtype=np.float32)[RNG.integers(0, 4, len(IMAGES))]
    mixed = np.asarray(wrapper._mixed(labels))
    np.testing.assert_allclose(mixed.sum(axis=1), 1, atol=1e-5)
    assert not np.array_equal(mixed, labels)  # MixUp or CutMix moved some label mass


def test_validation_is_the_same_as_for_the_plain_model():
    wrapper = _wrapper()
    labels = np.eye(4, dtype=np.float32)[RNG.integers(0, 4, len(IMAGES))]
    wrapper.compile(loss="categorical_crossentropy", metrics=["accuracy"])
    wrapper.inner.compile(loss="categorical_crossentropy", metrics=["accuracy"])
    on_device = wrapper.evaluate(IMAGES, labels, verbose=0, return_dict=True)
    plain = wrapper.inner.evaluate(IMAGES.astype(np.float32) / 255.0, labels, verbose=0, return_dict=True)
    for key in plain:
        assert on_device[key] == pytest.approx(plain[key], abs=1e-6)


def test_auto_is_host_on_a_cpu_and_a_wrong_place_is_refused():
    assert devices.augment_place("auto", ("CPU:0",))[0] == "host"
    assert devices.augment_place("auto", ("CPU:0", "GPU:0 NVIDIA T4"))[0] == "device"
    assert devices.augment_place("device") == ("device", "chosen by the caller")
    with pytest.raises(ValueError, match="augment_on"):
        devices.augment_place("gpu")


@pytest.mark.end_to_end
def test_fit_on_device_trains_resumes_and_saves_the_plain_model(tmp_path):
    data = random_data(64, 32)
    plan = recipe("demo", epochs=2, batch_size=16).replace(augment="strong")
    model = resnet10(width=8, stem="imagenet", num_classes=4)
    before = [w.copy() for w in model.get_weights()]
    paused = fit(model, data, plan, tmp_path, max_minutes=0, verbose=0, augment_on="device")
    assert paused["status"] == "paused" and paused["device_plan"]["augment_on"].startswith("device")
    done = fit(resnet10(width=8, stem="imagenet", num_classes=4), data, plan, tmp_path, verbose=0, augment_on="device")
    assert done["status"] == "complete" and done["val"]["images"] == 32
    assert [row["epoch"] for row in Workdir(tmp_path).history()] == ["0", "1"]
    assert any(not np.array_equal(a, b) for a, b in zip(before, model.get_weights()))
    for name in ("best.keras", "last.keras"):  # the plain model, loadable without tinylib's wrapper
        saved = keras.models.load_model(tmp_path / name)
        assert saved.name == model.name and saved.input.dtype == "float32"
