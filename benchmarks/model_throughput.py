"""CPU training and inference throughput (images/s) of seed_net vs ResNet-18 at 64x64.

Run by hand (about 5 minutes on 2 cores):

    .venv/bin/python benchmarks/model_throughput.py [--batch 32] [--rounds 3] [--steps 4]

Both models train with the same optimiser (SGD, Nesterov momentum) on the same in-memory
random batches; rounds alternate between the models so machine noise hits both alike, and
the ratio is the number to compare. Results go to benchmarks/results/model_throughput.json.
"""

from __future__ import annotations

import argparse
import datetime
import json
import platform
import time
from pathlib import Path

import numpy as np

import tinylib  # noqa: F401  (sets TensorFlow's environment defaults before it is imported)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--steps", type=int, default=4, help="timed training steps per round")
    args = parser.parse_args()

    import keras
    import tensorflow as tf

    from tinylib.models import count_flops, resnet18, seed_net

    rng = np.random.default_rng(0)
    images = rng.random((args.batch, 64, 64, 3), dtype=np.float32)
    labels = rng.integers(0, 200, args.batch)
    data = tf.data.Dataset.from_tensors((images, labels)).repeat()
    models = {"seed_net": seed_net(), "resnet18": resnet18()}
    for model in models.values():
        model.compile(keras.optimizers.SGD(1e-3, momentum=0.9, nesterov=True), "sparse_categorical_crossentropy")
        model.fit(data, steps_per_epoch=2, epochs=1, verbose=0)  # build, trace, warm up
        model.predict_on_batch(images)
    train_seconds = {name: 0.0 for name in models}
    infer_seconds = {name: 0.0 for name in models}
    for _ in range(args.rounds):
        for name, model in models.items():
            started = time.perf_counter()
            model.fit(data, steps_per_epoch=args.steps, epochs=1, verbose=0)
            train_seconds[name] += time.perf_counter() - started
            started = time.perf_counter()
            for _ in range(args.steps):
                model.predict_on_batch(images)
            infer_seconds[name] += time.perf_counter() - started
    images_timed = args.rounds * args.steps * args.batch
    result = {
        "date": datetime.date.today().isoformat(),
        "machine": f"{platform.processor() or platform.machine()}, {platform.system()}",
        "tensorflow": tf.__version__,
        "keras": keras.__version__,
        "command": "python benchmarks/model_throughput.py " + " ".join(f"--{k} {v}" for k, v in vars(args).items()),
        "models": {
            name: {
                "parameters": int(model.count_params()),
                "macs_per_image": count_flops(model),
                "train_images_per_second": round(images_timed / train_seconds[name], 2),
                "inference_images_per_second": round(images_timed / infer_seconds[name], 2),
            }
            for name, model in models.items()
        },
    }
    seed, resnet = result["models"]["seed_net"], result["models"]["resnet18"]
    ratio = resnet["train_images_per_second"] / seed["train_images_per_second"]
    result["train_ratio_resnet18_over_seed_net"] = round(ratio, 2)
    output = Path(__file__).parent / "results" / "model_throughput.json"
    output.parent.mkdir(exist_ok=True)
    output.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
