"""Tiny benchmarks behind two per-device choices of `fit`: XLA on or off (`devices.jit_compile`)
and augmentation on the host or on the device (`fit(augment_on=...)`).

    python benchmarks/device_choices.py xla [--rounds 5]       # ResNet-10 width 16, batch 64
    python benchmarks/device_choices.py augment [--rounds 5]   # the same, fed by the packed pipeline

Both alternate the contenders round by round (a shared or throttled machine drifts) and print
images/s per round, the median of each, and the ratio.
"""

from __future__ import annotations

import argparse
import statistics
import time

import keras
import numpy as np


def _model(jit: bool, wrap=None) -> keras.Model:
    from tinylib.models import resnet10

    keras.utils.set_random_seed(0)
    model = resnet10(width=16, stem="imagenet", num_classes=10)
    trained = wrap(model) if wrap else model
    trained.compile(
        optimizer=keras.optimizers.SGD(0.01, momentum=0.9), loss="categorical_crossentropy", jit_compile=jit
    )
    return trained


def _rounds(contenders: dict, rounds: int, seconds_per_round) -> dict[str, list[float]]:
    results: dict[str, list[float]] = {name: [] for name in contenders}
    for run in contenders.values():  # warm-up: tracing and compiling are not measured
        run()
    for index in range(rounds):
        for name, run in contenders.items():
            images, seconds = seconds_per_round(run)
            results[name].append(images / seconds)
            print(f"round {index + 1} {name:>12}: {images / seconds:8.1f} img/s", flush=True)
    return results


def _summary(results: dict[str, list[float]]) -> None:
    medians = {name: statistics.median(values) for name, values in results.items()}
    names = list(medians)
    for name in names:
        print(f"median {name:>12}: {medians[name]:8.1f} img/s")
    print(f"ratio {names[1]} / {names[0]}: {medians[names[1]] / medians[names[0]]:.2f}")


def xla(rounds: int = 5, steps: int = 20, batch: int = 64) -> dict[str, list[float]]:
    """Train steps of a ResNet-10 (width 16) on fixed float32 batches, XLA off vs on."""
    rng = np.random.default_rng(0)
    x = keras.ops.convert_to_tensor(rng.random((batch, 64, 64, 3), dtype=np.float32))
    y = keras.ops.convert_to_tensor(np.eye(10, dtype=np.float32)[rng.integers(0, 10, batch)])
    models = {"xla off": _model(False), "xla on": _model(True)}

    def contender(model):
        return lambda count=2: [model.train_on_batch(x, y) for _ in range(count)]

    def measure(run):
        started = time.perf_counter()
        run(steps)
        return steps * batch, time.perf_counter() - started

    results = _rounds({name: contender(model) for name, model in models.items()}, rounds, measure)
    _summary(results)
    return results


def augment(rounds: int = 5, steps: int = 20, batch: int = 64, preset: str = "flip_crop") -> dict[str, list[float]]:
    """`fit`'s two training paths on 2,048 random uint8 images: augmentation in tf.data
    (host) vs inside the train step (device), XLA as `devices.jit_compile()` chooses."""
    from tinylib.data import batches
    from tinylib.data.augment import Augmenter
    from tinylib.train import devices
    from tinylib.train.on_device import AugmentingModel

    rng = np.random.default_rng(0)
    images, labels = rng.integers(0, 256, (2048, 64, 64, 3), dtype=np.uint8), rng.integers(0, 10, 2048)
    common = dict(num_classes=10, one_hot=True, shuffle=True, repeat=True)
    jit = devices.jit_compile()[0] and preset != "strong"
    host = (_model(jit), batches(images, labels, batch_size=batch, augment=preset, **common))
    device = (
        _model(jit, lambda model: AugmentingModel(model, Augmenter(preset, 10, jit=False))),
        batches(images, labels, batch_size=batch, scale=False, **common),
    )

    def contender(model, data):
        return lambda count=2: model.fit(data, steps_per_epoch=count, epochs=1, verbose=0)

    def measure(run):
        started = time.perf_counter()
        run(steps)
        return steps * batch, time.perf_counter() - started

    results = _rounds({"host": contender(*host), "device": contender(*device)}, rounds, measure)
    _summary(results)
    return results


def main(argv: list[str] | None = None) -> None:
    """Command line: `python benchmarks/device_choices.py {xla,augment} [--rounds N] [--preset P]`."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("which", choices=("xla", "augment"))
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--preset", default="flip_crop")
    args = parser.parse_args(argv)
    if args.which == "xla":
        xla(args.rounds, args.steps)
    else:
        augment(args.rounds, args.steps, preset=args.preset)


if __name__ == "__main__":
    main()
