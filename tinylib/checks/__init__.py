"""Exercise checkers: call a learner's function on tiny inputs and give friendly feedback.

Each checker prints what is right or what is wrong ("your block returns shape (None, 32, 32,
64); expected (None, 32, 32, 128)") and raises `ExerciseError` on a wrong answer, so a
notebook's check cell fails visibly. Checkers never print the answer itself.
`EXERCISES` lists every checker with the notebook whose exercise it checks.
"""

from tinylib.checks.analysis import check_confusion_matrix, check_top5_accuracy
from tinylib.checks.data import check_channel_stats, check_pad_crop, check_val_label
from tinylib.checks.feedback import ExerciseError, passed
from tinylib.checks.folders import check_centre_square, check_val_count
from tinylib.checks.gradcam import check_grad_cam_core
from tinylib.checks.improving import (
    check_class_weights,
    check_flip_average,
    check_label_smoothing,
    check_one_change,
)
from tinylib.checks.models import (
    check_bottleneck_block,
    check_conv_output_size,
    check_preact_block,
    check_residual_block,
)
from tinylib.checks.pipeline import check_tf_data_pipeline
from tinylib.checks.training import check_triangular, check_warmup_cosine

# checker -> the notebook (in notebooks/) whose exercise cell it checks
EXERCISES = {
    check_val_label: "01_loading_tiny_imagenet",
    check_pad_crop: "01_loading_tiny_imagenet",
    check_channel_stats: "01_loading_tiny_imagenet",
    check_tf_data_pipeline: "01_loading_tiny_imagenet",
    check_conv_output_size: "02_residual_architecture",
    check_residual_block: "02_residual_architecture",
    check_preact_block: "02_residual_architecture",
    check_bottleneck_block: "02_residual_architecture",
    check_triangular: "03_training_on_gpu",
    check_warmup_cosine: "03_training_on_gpu",
    check_top5_accuracy: "04_inspecting_hard_examples",
    check_confusion_matrix: "04_inspecting_hard_examples",
    check_grad_cam_core: "04_inspecting_hard_examples",
    check_one_change: "05_improving_the_baseline",
    check_label_smoothing: "05_improving_the_baseline",
    check_flip_average: "05_improving_the_baseline",
    check_class_weights: "05_improving_the_baseline",
    check_val_count: "06_your_own_images",
    check_centre_square: "06_your_own_images",
}

__all__ = ["EXERCISES", "ExerciseError", "passed", *(checker.__name__ for checker in EXERCISES)]
