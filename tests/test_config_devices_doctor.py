import numpy as np
import pytest

from tinylib import config, doctor
from tinylib.train import devices
from tinylib.workdir import Workdir

pytestmark = pytest.mark.versions


def test_profile_defaults_to_full(monkeypatch):
    monkeypatch.delenv("TINYLIB_PROFILE", raising=False)
    assert config.profile().name == "full"
    assert config.profile().dataset == "tiny-imagenet-200"


def test_profile_from_environment_and_argument(monkeypatch):
    monkeypatch.setenv("TINYLIB_PROFILE", " Quick ")
    assert config.profile().name == "quick"
    assert config.profile("full").name == "full"


def test_quick_profile_is_smaller_than_full():
    quick, full = config.profile("quick"), config.profile("full")
    assert quick.dataset == "synthetic"
    assert quick.synthetic_train_per_class < full.synthetic_train_per_class
    assert quick.model_width < full.model_width
    assert quick.epochs < full.epochs


def test_unknown_profile_says_what_to_use(monkeypatch):
    monkeypatch.setenv("TINYLIB_PROFILE", "fast")
    with pytest.raises(ValueError, match="use one of: full, quick"):
        config.profile()


def test_data_dir_follows_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("TINYLIB_DATA", str(tmp_path / "here"))
    assert config.data_dir() == tmp_path / "here"
    monkeypatch.delenv("TINYLIB_DATA")
    assert config.data_dir().name == "tinylib-data"


def test_seed_everything_repeats_numpy_and_keras():
    import keras

    def draw():
        devices.seed_everything(123)
        return np.random.rand(3), keras.ops.convert_to_numpy(keras.random.uniform((3,)))

    (numpy_a, keras_a), (numpy_b, keras_b) = draw(), draw()
    np.testing.assert_array_equal(numpy_a, numpy_b)
    np.testing.assert_array_equal(keras_a, keras_b)
    devices.seed_everything(124)
    assert not np.array_equal(np.random.rand(3), numpy_a)


def test_report_describes_this_machine(capsys):
    info = doctor.report()
    printed = capsys.readouterr().out
    assert info["keras"].startswith("3.")
    assert info["backend"] == "tensorflow"
    assert any(device.startswith("CPU") for device in info["devices"])
    assert info["colab"] is False
    for key in ("python", "tensorflow", "keras", "backend", "accelerator", "hint"):
        assert key in printed


def test_report_hints_at_gpu_runtime_on_colab_without_gpu(monkeypatch):
    monkeypatch.delenv("KAGGLE_KERNEL_RUN_TYPE", raising=False)
    monkeypatch.delenv("KAGGLE_URL_BASE", raising=False)
    monkeypatch.setenv("COLAB_RELEASE_TAG", "test")
    monkeypatch.setattr(devices, "devices", lambda: ("CPU:0",))
    info = doctor.report(print_report=False)
    assert info["colab"] is True
    assert any("Change runtime type" in hint for hint in info["hints"])


def test_report_hints_at_quick_profile_on_cpu_in_full_profile(monkeypatch):
    monkeypatch.setenv("TINYLIB_PROFILE", "full")
    monkeypatch.delenv("COLAB_RELEASE_TAG", raising=False)
    monkeypatch.setattr(devices, "devices", lambda: ("CPU:0",))
    assert any("TINYLIB_PROFILE=quick" in hint for hint in doctor.report(print_report=False)["hints"])


def test_report_names_a_gpu(monkeypatch):
    monkeypatch.setattr(devices, "devices", lambda: ("CPU:0", "GPU:0"))
    info = doctor.report(print_report=False)
    assert info["accelerator"] == "GPU"
    assert info["hints"] == []


@pytest.mark.parametrize(
    ("requirement", "name"),
    [
        ("tqdm>=4.66", "tqdm"),
        ('pytest>=8.0; extra == "dev"', "pytest"),
        ("Pillow[extra] (>=10)", "pillow"),
        ("keras", "keras"),
    ],
)
def test_requirement_name(requirement, name):
    assert doctor.requirement_name(requirement) == name


def test_missing_requirements_of_installed_tinylib_is_empty():
    assert doctor.missing_requirements() == []


def test_colab_install_never_touches_tensorflow_keras_numpy(monkeypatch):
    calls = []
    monkeypatch.setattr(
        doctor,
        "missing_requirements",
        lambda distribution="tinylib": ["tensorflow>=2.16", "numpy>=1.24", "tqdm>=4.66", "keras>=3.3"],
    )
    monkeypatch.setattr(doctor.subprocess, "run", lambda command, check: calls.append(command))
    assert doctor.install_missing_requirements() == ["tqdm>=4.66"]
    assert calls and calls[0][-1] == "tqdm>=4.66" and "tensorflow>=2.16" not in calls[0]


@pytest.mark.parametrize(
    ("found", "policy"),
    [
        (["CPU:0"], "float32"),
        (["CPU:0", "GPU:0 Tesla T4"], "mixed_float16"),
        (["CPU:0", "GPU:0 Tesla V100-SXM2-16GB"], "mixed_float16"),
        (["CPU:0", "GPU:0 NVIDIA A100-SXM4-40GB"], "mixed_bfloat16"),
        (["CPU:0", "GPU:0 NVIDIA H100 80GB HBM3"], "mixed_bfloat16"),
        (["CPU:0", "TPU:0"], "mixed_bfloat16"),
    ],
)
def test_precision_policy_per_device(found, policy):
    chosen, reason = devices.precision_policy(found)
    assert chosen == policy and reason


def test_report_says_which_precision_and_why(capsys):
    info = doctor.report()
    assert info["precision"].startswith("float32 (no accelerator")
    assert "precision" in capsys.readouterr().out


def test_use_precision_sets_the_keras_policy_and_models_keep_float32_outputs():
    import keras

    from tinylib.models import resnet10

    try:
        assert devices.use_precision("mixed_bfloat16") == "mixed_bfloat16"
        model = resnet10(width=8, num_classes=3, stem="imagenet")
        assert model.get_layer("stem_conv").compute_dtype == "bfloat16"
        assert model.output.dtype == "float32"
    finally:
        keras.mixed_precision.set_global_policy("float32")
    assert devices.use_precision() == "float32"


def test_strategy_on_this_machine_is_the_one_device_default(monkeypatch):
    import tensorflow as tf

    monkeypatch.delenv("TF_CONFIG", raising=False)
    strategy = devices.strategy()
    assert strategy.num_replicas_in_sync == 1 and strategy is tf.distribute.get_strategy()


def test_multi_worker_config_after_tensorflow_started_says_to_call_strategy_first(monkeypatch):
    import tensorflow as tf

    tf.config.list_logical_devices()  # TensorFlow has started in this process
    devices._multi_worker_strategy.cache_clear()
    monkeypatch.setenv(
        "TF_CONFIG", '{"cluster": {"worker": ["127.0.0.1:1", "127.0.0.1:2"]}, "task": {"type": "worker", "index": 0}}'
    )
    with pytest.raises(RuntimeError, match=r"call tinylib.train.devices.strategy\(\) first"):
        devices.strategy()


@pytest.mark.parametrize(
    "found, replicas, expected",
    [
        (["CPU:0"], 1, devices.CPU_XLA),
        (["CPU:0", "GPU:0 Tesla T4"], 1, True),
        (["CPU:0", "TPU:0"], 1, True),
        (["CPU:0", "GPU:0 Tesla T4", "GPU:1 Tesla T4"], 2, False),
    ],
)
def test_jit_compile_per_device(found, replicas, expected):
    chosen, reason = devices.jit_compile(found, replicas)
    assert chosen is expected and reason


def test_report_says_whether_xla_is_on_and_why(capsys):
    info = doctor.report()
    assert info["jit_compile"].startswith(f"{devices.CPU_XLA} (CPU: XLA measured")
    assert "jit_compile" in capsys.readouterr().out


def test_platform_tells_kaggle_from_colab_and_local(monkeypatch, tmp_path):
    for name in ("KAGGLE_KERNEL_RUN_TYPE", "KAGGLE_URL_BASE", "COLAB_RELEASE_TAG"):
        monkeypatch.delenv(name, raising=False)
    assert config.platform() == "local"
    monkeypatch.setenv("COLAB_RELEASE_TAG", "release-colab_20261101")
    assert config.platform() == "colab"
    monkeypatch.setenv("KAGGLE_KERNEL_RUN_TYPE", "Interactive")  # Kaggle's image sets Colab's variable too
    assert config.platform() == "kaggle"
    monkeypatch.setattr(config, "KAGGLE_WORKING", tmp_path / "kaggle" / "working")
    assert Workdir.named("run-1").path == tmp_path / "kaggle" / "working" / "runs" / "run-1"
    assert (tmp_path / "kaggle" / "working" / "runs" / "run-1").is_dir()
    info = doctor.report(print_report=False)
    assert info["platform"] == "kaggle" and not any("Drive" in hint for hint in info["hints"])


def test_profile_is_the_one_source_of_sizes():
    quick = config.profile("quick")
    assert quick.synthetic_sizes() == {"num_classes": 10, "train_per_class": 100, "val_per_class": 20,
                                       "test_per_class": 2}  # fmt: skip
    assert quick.model_size() == {"depth": 10, "width": 16, "stem": "imagenet"}
    assert config.profile("full").demo_length() == {"epochs": 12, "batch_size": 64}


def test_report_says_plainly_that_tpus_are_not_supported(monkeypatch):
    monkeypatch.setattr(devices, "devices", lambda: ("CPU:0", "TPU:0"))
    info = doctor.report(print_report=False)
    assert info["accelerator"] == "TPU"
    assert info["hints"] == [
        "TPUs are not supported by this kit (it is tested on CPUs and GPUs): "
        "choose a GPU runtime (Colab: Runtime > Change runtime type > T4 GPU)."
    ]
