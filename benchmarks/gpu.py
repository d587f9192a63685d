"""GPU benchmark for a machine with JAX (and/or PyTorch) but no TensorFlow and no internet.

    KERAS_BACKEND=jax python benchmarks/gpu.py [--zip ../shared/data/tiny-imagenet-20.zip] [--minutes 6]
    KERAS_BACKEND=jax python benchmarks/gpu.py --smoke      # a 1-minute check of the script on any CPU

Needs numpy, pillow, keras 3 and this repository (tinylib) importable; nothing is downloaded.
Reports, as JSON on stdout and in results/gpu.json:
  1. training img/s of resnet18 (width 64, 3x3 stem) and seed_net at 64x64, batch 256, in the
     precision `tinylib.runtime.use_precision()` picks (bfloat16 on A100/H100), fed from the
     packed uint8 cache, with flip_crop augmentation (a) on the host (PackedBatches) and (b) on
     the device, inside the compiled train step (`tinylib.train.on_device.AugmentingModel`,
     uint8 batches in: what `fit(augment_on="auto")` picks on a GPU);
  2. time to accuracy: resnet18 with the `fast` recipe (one-cycle, batch 512, augmentation on
     the device) on the real 20-class zip, val top-1 on every val image after each epoch,
     within --minutes.
"""

from __future__ import annotations

import argparse
import datetime
import json
import tempfile
import time
from pathlib import Path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--zip", default=str(Path(__file__).resolve().parents[1] / "shared/data/tiny-imagenet-20.zip"))
    parser.add_argument("--minutes", type=float, default=6.0, help="time budget of the time-to-accuracy run")
    parser.add_argument("--smoke", action="store_true", help="tiny sizes, to check the script on a CPU")
    args = parser.parse_args()
    if not Path(args.zip).is_file():
        args.zip = str(Path(__file__).resolve().parents[2] / "shared/data/tiny-imagenet-20.zip")

    import keras

    import tinylib
    from tinylib import runtime
    from tinylib.data import Augmenter, PackedBatches, prepare
    from tinylib.models import resnet18, seed_net
    from tinylib.train import TrainingData, evaluate, recipe
    from tinylib.train.on_device import AugmentingModel

    policy = runtime.use_precision()
    scratch = Path(tempfile.mkdtemp(prefix="tinylib-gpu-"))
    data = TrainingData.from_root(prepare(args.zip, scratch / "data", progress=False), progress=False)
    if args.smoke:
        data = data.subset(train=128, val=64)
    batch = 32 if args.smoke else 256
    result = {
        "date": datetime.date.today().isoformat(),
        "backend": keras.config.backend(),
        "devices": runtime.report(print_report=False)["devices"],
        "precision": policy,
        "tinylib": tinylib.__version__,
        "throughput": {},
    }

    def batches_for(size: int, preset: str, place: str):
        """Packed batches: augmented and scaled on the host, or raw uint8 for the device."""
        host = place == "host"
        return PackedBatches(data.train_images, data.train_labels, size, preset if host else "none",
                             data.num_classes, shuffle=True, one_hot=True, scale=host)  # fmt: skip

    def trainable(model, preset: str, place: str):
        if place == "host":
            return model
        wrapped = AugmentingModel(model, Augmenter(preset, data.num_classes, seed=0, jit=False))
        wrapped.build((None, 64, 64, 3))
        return wrapped

    for build in (resnet18, seed_net):
        for place in ("host", "device"):
            model = trainable(build(num_classes=data.num_classes), "flip_crop", place)
            model.compile(keras.optimizers.SGD(0.01, momentum=0.9), "categorical_crossentropy")
            batches = batches_for(batch, "flip_crop", place)
            steps = 2 if args.smoke else 20
            model.fit(batches, steps_per_epoch=steps, epochs=1, verbose=0)  # compile and warm up
            started = time.perf_counter()
            model.fit(batches, steps_per_epoch=steps, epochs=2, verbose=0)
            key = f"{model.name} (augment on {place})"
            result["throughput"][key] = round(2 * steps * batch / (time.perf_counter() - started), 1)
            print(json.dumps({key: result["throughput"][key]}), flush=True)

    plan = recipe("fast", epochs=1 if args.smoke else 30, batch_size=32 if args.smoke else 512)
    model = resnet18(num_classes=data.num_classes)
    trained = trainable(model, plan.augment, "device")
    steps = len(data.train_images) // plan.batch_size
    trained.compile(
        plan.make_optimizer(steps), keras.losses.CategoricalCrossentropy(label_smoothing=plan.label_smoothing)
    )
    batches = batches_for(plan.batch_size, plan.augment, "device")
    curve, started = [], time.perf_counter()
    for epoch in range(plan.epochs):
        trained.fit(batches, steps_per_epoch=steps, epochs=epoch + 1, initial_epoch=epoch, verbose=0)
        top1 = evaluate(model, data.val_images, data.val_labels, flip=plan.test_time_flip)["top1"]
        curve.append({"epoch": epoch + 1, "seconds": round(time.perf_counter() - started, 1), "val_top1": top1})
        print(json.dumps(curve[-1]), flush=True)
        if time.perf_counter() - started > 60 * args.minutes:
            break
    result["time_to_accuracy"] = {
        "model": model.name,
        "recipe": plan.name,
        "batch_size": plan.batch_size,
        "curve": curve,
    }
    output = Path(__file__).parent / "results" / ("gpu-smoke.json" if args.smoke else "gpu.json")
    output.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
