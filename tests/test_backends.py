"""fit() on the JAX and PyTorch backends (no tf.data: PackedBatches), augmenting on the host or
inside the train step, pause and resume; skipped where the backend is not installed."""

import textwrap

import pytest
from conftest import run_on_backend

pytestmark = pytest.mark.every_backend  # the JAX leg runs this file too (make test-jax)

SCRIPT = textwrap.dedent(
    """
    import json, sys
    import numpy as np
    import tinylib
    from tinylib.models import resnet10
    from tinylib.train import TrainingData, fit, recipe

    rng = np.random.default_rng(0)
    images, labels = rng.integers(0, 256, (96, 64, 64, 3), dtype=np.uint8), rng.integers(0, 4, 96)
    data = TrainingData(images[:64], labels[:64], images[64:], labels[64:], ("a", "b", "c", "d"))
    plan = recipe("demo", epochs=3, batch_size=16, augment=sys.argv[3])
    where = dict(augment_on=sys.argv[2], verbose=0)
    paused = fit(resnet10(width=8, stem="imagenet", num_classes=4), data, plan, sys.argv[1], max_minutes=0, **where)
    done = fit(resnet10(width=8, stem="imagenet", num_classes=4), data, plan, sys.argv[1], **where)
    print(json.dumps({"paused": paused, "done": done}))
    """
)


@pytest.mark.parametrize("backend", ["jax", "torch"])
@pytest.mark.parametrize(
    ("augment_on", "preset"), [("host", "flip_crop"), ("device", "flip_crop"), ("device", "strong")]
)
def test_fit_pauses_and_resumes_on_another_backend(backend, augment_on, preset, tmp_path):
    _, report = run_on_backend(backend, SCRIPT, str(tmp_path / "run"), augment_on, preset, timeout=600)
    assert report["paused"]["status"] == "paused" and report["paused"]["epochs_done"] == 1
    done = report["done"]
    assert done["status"] == "complete" and done["epochs_done"] == 3 and done["versions"]["backend"] == backend
    assert done["val"]["images"] == 32 and done["device_plan"]["augment_on"].startswith(augment_on)
