"""What a CPU-sized ResNet gets wrong on real Tiny ImageNet data: top-1, confused pairs, Grad-CAM box mass.

Run by hand (about 5-10 minutes on 2 cores):

    .venv/bin/python benchmarks/hard_examples_real.py [--zip ../shared/data/tiny-imagenet-20.zip] [--epochs 8]

Prepares the real 20-class zip into a temporary folder outside the repository, trains a
ResNet-10 (width 16, 7x7/2 "imagenet" stem) with `recipe("baseline", epochs=8)` through
`tinylib.train.fit`, then analyses its best checkpoint on all 1,000 val images with
`tinylib.analysis`: top-1/top-5, ECE, test-time flip, the five most confused pairs (names
from words.txt), and Grad-CAM box mass (share of the heat-map inside the annotated box) for
correct predictions vs mistakes, at the default layer and at the last (2x2) stage. Writes
benchmarks/results/hard_examples_real.json and prints it; the HTML report is written next to
the temporary work folder to check that it builds on real data.
"""

from __future__ import annotations

import argparse
import datetime
import json
import platform
import tempfile
import time
from pathlib import Path

import tinylib
from tinylib import doctor
from tinylib.train import devices


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--zip", default=str(Path(__file__).resolve().parents[2] / "shared/data/tiny-imagenet-20.zip"))
    parser.add_argument("--epochs", type=int, default=8)
    args = parser.parse_args()
    if not Path(args.zip).is_file():
        raise SystemExit(f"no zip at {args.zip}: pass --zip PATH (the 20-class zip in the official layout)")

    from tinylib import analysis
    from tinylib.data import prepare
    from tinylib.models import resnet
    from tinylib.report import write_report
    from tinylib.train import TrainingData, fit, recipe
    from tinylib.workdir import Workdir

    scratch = Path(tempfile.mkdtemp(prefix="tinylib-hard-examples-"))
    root = prepare(args.zip, scratch / "data", progress=False)
    data = TrainingData.from_root(root, progress=False)
    devices.seed_everything(0)
    model = resnet(depth=10, width=16, stem="imagenet", num_classes=data.num_classes)
    workdir = scratch / "run"
    run = fit(model, data, recipe("baseline", epochs=args.epochs), workdir, verbose=2)

    started = time.perf_counter()
    best = Workdir(workdir).load_model("best")
    result = analysis.predictions(best, data, progress=False)
    flip = analysis.test_time_flip_gain(best, result.images, result.labels)
    pairs = analysis.confused_pairs(result, top=5)
    per_class = analysis.per_class_accuracy(result)
    order = per_class.argsort()
    area = analysis.box_area_share(result.boxes)
    grad_cam = {}
    for layer in (analysis.default_cam_layer(best), "stage4_block1_out"):
        heatmaps = analysis.grad_cam(best, result.images, layer)
        mass = analysis.box_mass(heatmaps, result.boxes)
        summary = analysis.box_mass_summary(mass, result.correct, area=area)
        grad_cam[layer] = {key: summary[key] for key in ("images", "correct", "mistakes", "all", "box_area")}
        grad_cam[layer]["feature_map"] = list(best.get_layer(layer).output.shape[1:3])
    report = write_report(workdir, data, model=best, progress=False)
    analysis_seconds = round(time.perf_counter() - started, 1)

    report_info = doctor.report(print_report=False)
    results = {
        "command": f".venv/bin/python benchmarks/hard_examples_real.py --epochs {args.epochs}",
        "date": datetime.date.today().isoformat(),
        "machine": f"{platform.processor() or platform.machine()}, {run['hardware']}",
        "versions": {key: report_info[key] for key in ("python", "tensorflow", "keras", "backend", "tinylib")},
        "data": f"{Path(args.zip).name}: {len(data.train_images)} train / {len(data.val_images)} val images, "
        f"{data.num_classes} classes",
        "model": f"{best.name} ({run['parameters']:,} parameters), resnet(depth=10, width=16, stem='imagenet')",
        "recipe": f"baseline, epochs={args.epochs}, batch {run['recipe']['batch_size']}",
        "train_wall_seconds": run["wall_seconds"],
        "train_images_per_second": run["images_per_second"],
        "analysis_seconds": analysis_seconds,
        "val_best_checkpoint": result.summary(),
        "val_last_epoch": run["val"],
        "test_time_flip": flip,
        "confused_pairs": [
            {"true": p.true_name, "predicted": p.predicted_name, "count": p.count, "share_of_true": round(p.share, 3)}
            for p in pairs
        ],
        "best_classes": {result.class_names[c]: round(float(per_class[c]), 3) for c in order[::-1][:3]},
        "worst_classes": {result.class_names[c]: round(float(per_class[c]), 3) for c in order[:3]},
        "grad_cam_box_mass": grad_cam,
        "report_bytes": report.stat().st_size,
    }
    output = Path(__file__).resolve().parent / "results" / "hard_examples_real.json"
    output.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n")
    print(json.dumps(results, indent=2, ensure_ascii=False))
    print(f"written: {output}; report: {report}; tinylib {tinylib.__version__}")


if __name__ == "__main__":
    main()
