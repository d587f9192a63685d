"""Models for 64x64 images: the original seed model, ResNets and their plain twins, and
tools that measure them (parameters, multiply-accumulates, depth, receptive field)."""

from tinylib.models.measure import (
    count_flops,
    describe,
    gradient_norms,
    plot_diagram,
    receptive_field,
    weighted_depth,
)
from tinylib.models.resnet import (
    BLOCKS_PER_STAGE,
    bottleneck_block,
    plain_block,
    plain_net,
    residual_block,
    resnet,
    resnet10,
    resnet18,
    resnet34,
)
from tinylib.models.seed import seed_net

__all__ = [
    "BLOCKS_PER_STAGE",
    "bottleneck_block",
    "count_flops",
    "describe",
    "gradient_norms",
    "plain_block",
    "plain_net",
    "plot_diagram",
    "receptive_field",
    "residual_block",
    "resnet",
    "resnet10",
    "resnet18",
    "resnet34",
    "seed_net",
    "weighted_depth",
]
