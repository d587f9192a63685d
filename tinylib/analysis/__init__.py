"""What a trained model gets right and wrong: predictions, metrics, hard examples, Grad-CAM.

`predictions(model_or_workdir, data)` runs the model once over a labelled split; the metrics
(`top_k_accuracy`, `per_class_accuracy`, `per_class_report`, `confused_pairs`, `hardest_examples`,
`reliability_table`, ...) take its result, or plain (probabilities, labels) arrays; `grad_cam`
and `box_mass` ask whether the network looks at the object.
"""

from tinylib.analysis.gradcam import (
    box_area_share,
    box_mass,
    box_mass_summary,
    default_cam_layer,
    feature_gradients,
    feature_map_layers,
    grad_cam,
)
from tinylib.analysis.metrics import (
    ConfusedPair,
    Reliability,
    class_weights_from_errors,
    confidently_wrong,
    confused_pairs,
    confusion_matrix,
    expected_calibration_error,
    hardest_examples,
    least_confident_correct,
    per_class_accuracy,
    per_example_loss,
    reliability_table,
    top_k_accuracy,
)
from tinylib.analysis.per_class import ClassScores, confusable_order, per_class_report
from tinylib.analysis.predictions import Predictions, predictions, test_time_flip_gain

__all__ = [
    "ClassScores",
    "ConfusedPair",
    "Predictions",
    "Reliability",
    "box_area_share",
    "box_mass",
    "box_mass_summary",
    "class_weights_from_errors",
    "confidently_wrong",
    "confusable_order",
    "confused_pairs",
    "confusion_matrix",
    "default_cam_layer",
    "feature_gradients",
    "expected_calibration_error",
    "feature_map_layers",
    "grad_cam",
    "hardest_examples",
    "least_confident_correct",
    "per_class_accuracy",
    "per_class_report",
    "per_example_loss",
    "predictions",
    "reliability_table",
    "test_time_flip_gain",
    "top_k_accuracy",
]
