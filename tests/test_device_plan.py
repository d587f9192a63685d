"""The one device plan (`devices.plan`): every choice with its reason, taken by `fit` and
recorded in run.json; the steps-per-epoch formula and the installed-version lookup, one each."""

import keras
import numpy as np
import pytest

from tinylib import config, doctor
from tinylib.models import resnet10
from tinylib.train import TrainingData, devices, fit, recipe

T4 = ("CPU:0", "GPU:0 NVIDIA T4")


def test_plan_on_a_cpu_gives_every_choice_with_its_reason(monkeypatch):
    monkeypatch.setattr(devices, "devices", lambda: ("CPU:0",))
    chosen = devices.plan("flip_crop")
    assert chosen.device == ("CPU:0", "no GPU or TPU found")
    assert chosen.precision[0] == "float32" and chosen.jit_compile[0] is False
    assert chosen.augment_on[0] == "host" and chosen.replicas == 1
    assert chosen.strategy == ("_DefaultDistributionStrategy", "one device: TensorFlow's default strategy")
    assert all(reason for _, reason in (chosen.device, chosen.precision, chosen.jit_compile, chosen.augment_on))
    record = chosen.record()
    assert set(record) == {"device", "precision", "jit_compile", "strategy", "augment_on", "replicas"}
    assert record["precision"] == "float32 (no accelerator: mixed precision brings no speed-up on CPUs)"


def test_plan_on_a_t4_augments_on_device_in_float16_with_xla_except_for_mixup(monkeypatch):
    monkeypatch.setattr(devices, "devices", lambda: T4)
    plain = devices.plan("flip_crop")
    assert plain.device == ("GPU:0 NVIDIA T4", "the first accelerator Keras sees")
    assert (plain.precision[0], plain.jit_compile[0], plain.augment_on[0]) == ("mixed_float16", True, "device")
    strong = devices.plan("strong")
    assert strong.jit_compile == (False, "MixUp draws from a Beta distribution, which has no XLA kernel in TensorFlow")
    on_host = devices.plan("strong", augment_on="host", xla=False, precision="float32")
    assert on_host.augment_on == ("host", "chosen by the caller")
    assert on_host.jit_compile == (False, "chosen by the caller")
    assert on_host.precision == ("float32", "chosen by the caller")


def test_plan_refuses_a_precision_that_does_not_exist():
    with pytest.raises(ValueError, match="precision must be one of auto, float32"):
        devices.plan(precision="float8")


def test_fit_refuses_a_plan_whose_precision_the_model_was_not_built_under(tmp_path, monkeypatch):
    images = np.zeros((8, 64, 64, 3), np.uint8)
    data = TrainingData(images, np.arange(8) % 2, images[:4], np.arange(4) % 2, ("a", "b"))
    chosen = devices.plan(precision="mixed_bfloat16")
    with pytest.raises(ValueError, match=r"call devices.use_precision\('mixed_bfloat16'\) before building"):
        model = resnet10(width=8, stem="imagenet", num_classes=2)
        fit(model, data, recipe("demo", epochs=1), tmp_path, device_plan=chosen)
    assert not (tmp_path / "run.json").exists()
    assert keras.mixed_precision.global_policy().name == "float32"


def test_steps_per_epoch_is_whole_batches_of_the_epoch_share_and_at_least_one():
    assert recipe("baseline", batch_size=32).steps_per_epoch(1000) == 31
    assert recipe("seed", batch_size=100).steps_per_epoch(1000) == 5  # epoch_fraction 0.5
    assert recipe("baseline", batch_size=128).steps_per_epoch(10) == 1


def test_one_installed_version_lookup_for_doctor_and_run_records():
    assert config.installed_version("no-such-distribution-xyz") is None
    assert config.installed_version("no-such-distribution-xyz", "keras") == keras.__version__
    assert doctor.version("keras") == devices.versions()["keras"] == keras.__version__
