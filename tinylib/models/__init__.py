"""Models for 64x64 images: the original seed model, ResNets and their plain twins, and
tools that measure them (parameters, multiply-accumulates, depth, receptive field)."""

import tinylib.data.keras_settings  # noqa: F401  first: channels-last whatever ~/.keras/keras.json says
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

NAMES = ("seed_net", "resnet10", "resnet18", "resnet34", "plain18", "plain34")


def build(name: str, num_classes: int = 200, width: int | None = None, stem: str | None = None):
    """A model by name (one of NAMES) for `tinylib train`: "seed_net" has a fixed shape; the
    ResNets and plain nets take `width` (default 64) and `stem` (default "cifar")."""
    options = {key: value for key, value in (("width", width), ("stem", stem)) if value is not None}
    if name == "seed_net":
        return seed_net(num_classes)
    if name.startswith("resnet") and name[6:].isdigit():
        return resnet(depth=int(name[6:]), num_classes=num_classes, **options)
    if name.startswith("plain") and name[5:].isdigit():
        return plain_net(depth=int(name[5:]), num_classes=num_classes, **options)
    raise ValueError(f"unknown model {name!r}; choose one of {', '.join(NAMES)}")


__all__ = [
    "BLOCKS_PER_STAGE",
    "NAMES",
    "build",
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
