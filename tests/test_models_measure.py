import keras
import numpy as np
import pytest

from tinylib.models import (
    count_flops,
    describe,
    gradient_norms,
    plain_net,
    plot_diagram,
    receptive_field,
    resnet,
    resnet10,
    resnet18,
    resnet34,
    seed_net,
    weighted_depth,
)

pytestmark = pytest.mark.backend


@pytest.mark.versions
def test_count_flops_by_hand():
    inputs = keras.Input((8, 8, 2))
    x = keras.layers.Conv2D(4, 3, padding="same")(inputs)  # 8*8 positions * 3*3*2 * 4
    x = keras.layers.DepthwiseConv2D(3, strides=2, padding="same")(x)  # 4*4 * 3*3 * 4
    x = keras.layers.GlobalAveragePooling2D()(x)
    outputs = keras.layers.Dense(3)(x)  # 4 * 3
    assert count_flops(keras.Model(inputs, outputs)) == 8 * 8 * 9 * 2 * 4 + 4 * 4 * 9 * 4 + 4 * 3


@pytest.mark.versions
def test_resnet18_costs_about_2_2_giga_macs():
    assert count_flops(resnet18()) == pytest.approx(2.22e9, rel=0.01)
    assert count_flops(resnet18(stem="imagenet")) < count_flops(resnet18()) / 10


@pytest.mark.versions
@pytest.mark.parametrize(("builder", "depth"), [(resnet10, 10), (resnet18, 18), (resnet34, 34)])
def test_weighted_depth_skips_projection_shortcuts(builder, depth):
    assert weighted_depth(builder(width=8)) == depth
    assert weighted_depth(plain_net(depth=depth, width=8)) == depth


@pytest.mark.versions
def test_receptive_field_by_hand():
    inputs = keras.Input((64, 64, 3))
    x = inputs
    for _ in range(3):
        x = keras.layers.Conv2D(2, 3, padding="same")(x)
    assert receptive_field(keras.Model(inputs, x)) == (7, 7)
    # 3x3 stem: 3; then per stage two 3x3 convs, the first strided from stage 2: 49 in all
    assert receptive_field(resnet10(width=8)) == (49, 49)
    # 7x7/2 stem -> 7, 3x3/2 pool -> 11, then +8 +8, +8 +16, +16 +32, +32 +64
    assert receptive_field(resnet10(width=8, stem="imagenet")) == (195, 195)


@pytest.mark.versions
def test_receptive_field_of_asymmetric_kernels():
    inputs = keras.Input((16, 16, 1))
    x = keras.layers.Conv2D(1, (3, 1), padding="same")(inputs)
    assert receptive_field(keras.Model(inputs, x)) == (3, 1)


@pytest.mark.versions
def test_describe_table():
    table = describe(seed_net(), resnet18())
    text = str(table)
    assert text.splitlines()[0].split()[:2] == ["model", "parameters"]
    assert "6,069,248" in text and "2.61 G" in text and "2.22 G" in text
    assert table[1].depth == 18 and table[0].receptive_field[0] > 64
    assert "<table>" in table._repr_html_()


@pytest.mark.versions
def test_plot_diagram_says_when_graphviz_is_missing(monkeypatch, tmp_path, capsys):
    def missing(*args, **kwargs):
        raise ImportError("You must install pydot (`pip install pydot`) for `plot_model` to work.")

    monkeypatch.setattr(keras.utils, "plot_model", missing)
    assert plot_diagram(resnet10(width=8), tmp_path / "model.png") is None
    assert capsys.readouterr().out.startswith("diagram skipped:")


@pytest.mark.versions
def test_plain_net_is_resnet_without_skips():
    res, plain = resnet(depth=18, width=8), plain_net(depth=18, width=8)
    assert not any(isinstance(layer, keras.layers.Add) for layer in plain.layers)
    shortcuts = sum(layer.count_params() for layer in res.layers if "shortcut" in layer.name)
    assert plain.count_params() == res.count_params() - shortcuts


@pytest.mark.versions
@pytest.mark.parametrize(("depth", "factor"), [(18, 1.3), (34, 2.0)])
def test_plain_nets_spread_gradients_far_more_unevenly_at_init(depth, factor):
    """With BatchNorm, gradients do not vanish in a plain net: they grow towards the input
    (He et al. 2016, sec. 4.1; Yang et al. 2019). The residual twin keeps them far more even."""
    rng = np.random.default_rng(0)
    images, labels = rng.random((16, 64, 64, 3), dtype=np.float32), np.arange(16) % 10

    def first_over_last_conv(model):
        norms = list(gradient_norms(model, images, labels).values())
        return norms[0] / norms[-2]  # the last entry is the classifier

    keras.utils.set_random_seed(0)
    residual = first_over_last_conv(resnet(depth=depth, width=8, stem="imagenet", num_classes=10, zero_init=False))
    keras.utils.set_random_seed(0)
    plain = first_over_last_conv(plain_net(depth=depth, width=8, stem="imagenet", num_classes=10))
    print(f"depth {depth}: first/last conv gradient norm, plain {plain:.1f}, residual {residual:.1f}")
    assert plain > factor * residual


@pytest.mark.versions
def test_gradient_norms_cover_every_kernel_in_order():
    model = resnet10(width=8, stem="imagenet", num_classes=4)
    norms = gradient_norms(model, np.zeros((2, 64, 64, 3), np.float32), np.array([0, 1]))
    assert list(norms)[0] == "stem_conv" and list(norms)[-1] == "classifier"
    weighted = [layer for layer in model.layers if isinstance(layer, (keras.layers.Conv2D, keras.layers.Dense))]
    assert len(norms) == len([layer for layer in weighted if "shortcut" not in layer.name]) == 10
    assert len(gradient_norms(model, np.zeros((2, 64, 64, 3), np.float32), np.array([0, 1]), shortcuts=True)) == 13
    assert all(np.isfinite(value) and value >= 0 for value in norms.values())


@pytest.mark.parametrize(
    "build",
    [
        lambda: seed_net(num_classes=10),
        # These two prove the .keras format under the installed Keras (the Colab leg); the
        # others add architectures, not versions.
        pytest.param(lambda: resnet10(width=8, num_classes=5), marks=pytest.mark.versions),
        pytest.param(lambda: resnet18(width=8, num_classes=5, preact=True, dropout=0.1), marks=pytest.mark.versions),
        lambda: resnet34(width=8, num_classes=5, stem="imagenet"),
        lambda: plain_net(depth=18, width=8, num_classes=5),
    ],
    ids=["seed_net", "resnet10", "resnet18_preact", "resnet34_imagenet", "plain18"],
)
def test_keras_file_round_trip_in_safe_mode(build, tmp_path):
    model = build()
    model.save(tmp_path / "model.keras")
    loaded = keras.models.load_model(tmp_path / "model.keras", safe_mode=True)
    x = np.random.default_rng(0).random((2, 64, 64, 3), dtype=np.float32)
    np.testing.assert_allclose(loaded.predict(x, verbose=0), model.predict(x, verbose=0), atol=1e-5)
    assert [layer.name for layer in loaded.layers] == [layer.name for layer in model.layers]
