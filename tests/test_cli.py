import os
import subprocess
import sys

import pytest

from tinylib.cli import main

pytestmark = pytest.mark.backend


def _tinylib(*args, **env):
    return subprocess.run(
        [sys.executable, "-m", "tinylib", *args], capture_output=True, text=True, env={**os.environ, **env}, timeout=600
    )


def test_version(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["--version"])
    assert exit_info.value.code == 0
    assert capsys.readouterr().out.startswith("tinylib 0.")


def test_env_command(capsys):
    assert main(["env"]) == 0
    out = capsys.readouterr().out
    assert "keras" in out and "backend" in out and "hint" in out


def test_data_synthetic_then_info(tmp_path, capsys):
    root = tmp_path / "set"
    assert (
        main(
            [
                "data",
                "synthetic",
                str(root),
                "--classes",
                "3",
                "--train-per-class",
                "4",
                "--val-per-class",
                "2",
                "--test-per-class",
                "1",
            ]
        )
        == 0
    )
    assert "classes=3, train=12, val=6, test=3" in capsys.readouterr().out
    assert main(["data", "info", str(root)]) == 0
    assert "solid red circle" in capsys.readouterr().out


def test_bad_dataset_is_one_clear_line(tmp_path):
    result = _tinylib("data", "info", str(tmp_path / "missing"))
    assert result.returncode == 2
    assert result.stderr.strip().splitlines()[-1].startswith("tinylib: error: no dataset folder at")
    assert "Traceback" not in result.stderr


@pytest.mark.end_to_end
def test_demo_on_the_real_sample(tmp_path, sample_root):
    import dataclasses

    from tinylib import config
    from tinylib.demo import run_demo

    profile = dataclasses.replace(config.profile("quick"), demo_width=8, demo_epochs=1, demo_batch_size=32)
    summary = run_demo(tmp_path / "demo", data_root=sample_root, profile=profile, verbose=0)
    assert summary["classes"] == 10 and summary["train_images"] == 300 and summary["val_images"] == 500
    assert 0.0 <= summary["val_top1"] <= summary["val_top5"] <= 1.0
    assert (tmp_path / "demo" / "mistakes.png").stat().st_size > 10_000


def test_export_and_predict_refuse_bad_input_in_one_line(tmp_path, capsys):
    missing = str(tmp_path / "missing")
    assert main(["export", missing]) == 2
    assert (
        capsys.readouterr().err.strip()
        == f"tinylib: error: no work folder at {missing}: pass the folder `tinylib train --workdir` wrote"
    )
    untrained = tmp_path / "untrained"
    untrained.mkdir()
    for command in (["export", str(untrained), "--format", "tflite"], ["predict", str(untrained), "cat.jpg"]):
        assert main(command) == 2
        error = capsys.readouterr().err.strip()
        assert len(error.splitlines()) == 1 and "train first: tinylib train" in error
    with pytest.raises(SystemExit) as exit_info:
        main(["export", str(untrained), "--format", "pickle"])
    assert exit_info.value.code == 2
    assert "invalid choice: 'pickle'" in capsys.readouterr().err


@pytest.mark.parametrize("command", ["export", "predict"])
def test_export_and_predict_help_states_the_contract(command, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main([command, "--help"])
    assert exit_info.value.code == 0
    text = " ".join(capsys.readouterr().out.split())
    assert "float32 (N, 64, 64, 3) RGB images in [0, 1]" in text and "(N, C) softmax probabilities" in text
