"""Pictures of what a network learned: each function draws on small data, the saved PNG
has the expected size and real content (not blank), the numbers drawn are the right ones,
and ``named_parameters`` names what a saved file holds."""

from __future__ import annotations

import numpy as np
import pytest

import nnscratch as nn
from nnscratch import plots
from nnscratch.plots._base import DPI
from nnscratch.plots.inside import GAP

plt = pytest.importorskip("matplotlib.pyplot", reason="plots need the plot extra (matplotlib)")
pytestmark = pytest.mark.usefixtures("close_figures")


def check_png(path, fig):
    """The file is a PNG of the figure's size at the saved resolution, with content: many
    distinct colours and not one flat colour."""
    from PIL import Image

    with Image.open(path) as im:
        assert im.format == "PNG"
        w, h = fig.get_size_inches() * DPI
        assert abs(im.size[0] - w) <= 1 and abs(im.size[1] - h) <= 1  # rounding
        pixels = np.asarray(im.convert("RGB"), dtype=np.float64)
    assert pixels.std() > 10  # not blank
    assert len(np.unique(pixels.reshape(-1, 3), axis=0)) > 20
    assert plt.get_fignums() == []  # saved figures are released


@pytest.fixture(scope="module")
def spirals_model():
    x, y = nn.make_spirals(40, n_classes=3, rng=0)
    model = nn.Sequential(nn.Dense(2, 24, rng=0), nn.Tanh(), nn.Dense(24, 3, rng=1)).use(
        nn.SoftmaxCrossEntropy(), nn.Adam(0.03))
    model.fit(x, y, epochs=30, batch_size=32, seed=0, verbose=0)
    return model, x, y


def small_cnn():
    return nn.Sequential(nn.Conv2D(1, 4, 3, rng=0), nn.ReLU(), nn.MaxPool2D(2),
                         nn.Conv2D(4, 6, 3, rng=1), nn.ReLU(), nn.Flatten(),
                         nn.Dense(6 * 3 * 3, 10, rng=2)).use(nn.SoftmaxCrossEntropy(),
                                                              nn.SGD(0.1))


# -- named_parameters -----------------------------------------------------------------------
def test_named_parameters_are_the_saved_files_keys(tmp_path):
    model = nn.Sequential(nn.Conv2D(1, 2, 3, rng=0), nn.BatchNorm2D(2), nn.ReLU(),
                          nn.Flatten(), nn.Dense(2 * 4 * 4, 3, rng=1),
                          nn.Dense(3, 2, bias=False, rng=2))
    model.use(nn.SoftmaxCrossEntropy(), nn.SGD(0.1))
    named = model.named_parameters()
    names = [name for name, _ in named]
    assert names == ["layers.0.W", "layers.0.b", "layers.1.gamma", "layers.1.beta",
                     "layers.4.W", "layers.4.b", "layers.5.W"]
    assert len(set(names)) == len(names)
    assert [p for _, p in named] == model.parameters()  # the same objects, same order
    model.save(tmp_path / "m.npz")
    with np.load(tmp_path / "m.npz") as f:
        saved = {k for k in f.files if k != "__nnscratch__"}
    state = model.state_dict()
    # the saved file holds every parameter under its name, plus BatchNorm's running state
    assert {k for k in saved if ".state." not in k} == set(names)
    assert {k for k in state if ".state." not in k} == set(names)
    assert saved == set(state)
    for name, p in named:
        assert state[name] is p.data
    assert nn.Sequential().named_parameters() == []


# -- plot_decision_boundary -----------------------------------------------------------------
def test_decision_boundary_colours_each_grid_point_by_the_predicted_class(spirals_model,
                                                                          tmp_path):
    model, x, y = spirals_model
    fig = plots.plot_decision_boundary(model, x, y, tmp_path / "b.png", resolution=40)
    check_png(tmp_path / "b.png", fig)
    ax = fig.axes[0]
    (image,) = ax.get_images()
    regions = np.asarray(image.get_array())
    assert regions.shape == (40, 40)
    assert set(np.unique(regions)) == {0, 1, 2}
    # the grid's corner points are predicted as the image says
    x0, x1, y0, y1 = image.get_extent()
    corners = np.array([[x0, y0], [x1, y1]], dtype=np.float32)
    np.testing.assert_array_equal(model.predict_classes(corners), [regions[0, 0],
                                                                   regions[-1, -1]])
    assert x0 < x[:, 0].min() and x1 > x[:, 0].max()  # the points lie inside
    assert ax.get_xlabel() and ax.get_ylabel() and "accuracy" in ax.get_title()
    assert [t.get_text() for t in ax.get_legend().get_texts()] == [
        "class 0", "class 1", "class 2"]


def test_decision_boundary_of_one_probability_and_of_a_regression(tmp_path):
    x, y = nn.make_spirals(30, n_classes=2, rng=1)
    model = nn.Sequential(nn.Dense(2, 8, rng=0), nn.Tanh(), nn.Dense(8, 1, rng=1),
                          nn.Sigmoid()).use(nn.BinaryCrossEntropy(), nn.Adam(0.05))
    model.fit(x, y.reshape(-1, 1), epochs=10, verbose=0, seed=0)
    fig = plots.plot_decision_boundary(model, x, y, tmp_path / "p.png", resolution=30)
    check_png(tmp_path / "p.png", fig)
    p = np.asarray(fig.axes[0].get_images()[0].get_array())
    assert 0 <= p.min() < 0.5 < p.max() <= 1  # probabilities, split by the p = 0.5 line
    assert len(fig.axes[0].collections) >= 3  # the line and the two classes' points
    assert fig.axes[1].get_ylabel() == "p(class 1)"  # the colour bar
    assert fig.axes[0].get_title().startswith("Decision boundary")

    target = (x[:, :1] ** 2).astype(np.float32)
    reg = nn.Sequential(nn.Dense(2, 8, rng=0), nn.Tanh(), nn.Dense(8, 1, rng=1)).use(
        nn.MSE(), nn.Adam(0.05))
    reg.fit(x, target, epochs=5, verbose=0, seed=0)
    _, ax = plt.subplots()
    fig = plots.plot_decision_boundary(reg, x, target, ax=ax, resolution=20)
    assert fig is ax.figure
    assert ax.get_title().startswith("Regression surface (MSE")
    surface = np.asarray(ax.get_images()[0].get_array())
    assert surface.shape == (20, 20) and np.ptp(surface) > 0


def test_decision_boundary_refuses_inputs_that_are_not_2d(spirals_model):
    model, x, y = spirals_model
    with pytest.raises(ValueError, match=r"expected 2-D points x of shape \(N, 2\), got "
                                         r"\(4, 3\)"):
        plots.plot_decision_boundary(model, np.zeros((4, 3)), y[:4])
    with pytest.raises(ValueError, match="x has 120 points, y has 5 values"):
        plots.plot_decision_boundary(model, x, y[:5])


# -- plot_confusion_matrix --------------------------------------------------------------------
@pytest.mark.parametrize("normalize", [None, "true", "pred", "all"])
@pytest.mark.parametrize("labels", [None, [2, 0, 1], [1, 3]])
def test_confusion_matrix_means_what_scikit_learn_means(normalize, labels):
    metrics = pytest.importorskip("sklearn.metrics")
    rng = np.random.default_rng(0)
    y_true = rng.integers(0, 4, 60)
    y_pred = np.where(rng.random(60) < 0.6, y_true, rng.integers(0, 4, 60))
    fig = plots.plot_confusion_matrix(y_true, y_pred, labels=labels, normalize=normalize)
    expected = metrics.confusion_matrix(y_true, y_pred, labels=labels, normalize=normalize)
    drawn = np.asarray(fig.axes[0].get_images()[0].get_array())
    np.testing.assert_allclose(drawn, expected)
    k = len(expected)
    texts = [t.get_text() for t in fig.axes[0].texts]
    assert len(texts) == k * k
    assert texts[0] == (f"{expected[0, 0]:.2f}" if normalize else str(expected[0, 0]))


def test_confusion_matrix_shows_class_names_and_takes_model_outputs(tmp_path):
    y_true = np.array([0, 0, 1, 1, 2, 2])
    scores = np.eye(3)[[0, 1, 1, 1, 2, 0]]  # (N, K) outputs: argmax
    names = ["cat", "dog", "bird"]
    fig = plots.plot_confusion_matrix(y_true, scores, class_names=names,
                                      path=tmp_path / "cm.png")
    check_png(tmp_path / "cm.png", fig)
    ax = fig.axes[0]
    assert [t.get_text() for t in ax.get_xticklabels()] == names
    assert [t.get_text() for t in ax.get_yticklabels()] == names
    assert (ax.get_xlabel(), ax.get_ylabel()) == ("predicted class", "true class")
    assert "accuracy 66.7 %" in ax.get_title()
    with pytest.raises(ValueError, match="normalize must be one of"):
        plots.plot_confusion_matrix(y_true, scores, normalize="rows")
    with pytest.raises(ValueError, match="y_true has 6 samples, y_pred 2"):
        plots.plot_confusion_matrix(y_true, [0, 1])


# -- plot_samples -----------------------------------------------------------------------------
def test_samples_mark_the_errors_and_show_only_them_when_asked(tmp_path):
    rng = np.random.default_rng(0)
    x = rng.random((12, 784)).astype(np.float32)  # flat MNIST-like rows: 28×28
    y = np.arange(12) % 10
    pred = y.copy()
    pred[[1, 5, 7]] = [4, 4, 4]
    fig = plots.plot_samples(x, y, pred, path=tmp_path / "s.png")
    check_png(tmp_path / "s.png", fig)
    shown = [ax for ax in fig.axes if ax.get_images()]
    assert len(shown) == 12
    assert shown[0].get_images()[0].get_array().shape == (28, 28)
    assert [ax.get_title() for ax in shown[:3]] == ["0", "1 → 4", "2"]
    assert fig._suptitle.get_text() == ("12 of 12 samples, 3 misclassified in all "
                                        "(caption: true → predicted)")

    names = [f"digit {k}" for k in range(10)]
    fig = plots.plot_samples(x.reshape(12, 1, 28, 28), y, np.eye(10)[pred],
                             class_names=names, only_errors=True)
    titles = [ax.get_title() for ax in fig.axes if ax.get_images()]
    assert titles == ["digit 1 → digit 4", "digit 5 → digit 4", "digit 7 → digit 4"]
    assert fig._suptitle.get_text().startswith("Misclassified: 3 of 12 samples (caption")
    fig = plots.plot_samples(x, y, pred, only_errors=True, max_images=2)
    assert len([ax for ax in fig.axes if ax.get_images()]) == 2
    # a long title is wrapped to the figure's width
    assert "Misclassified: 3 of 12 samples, the first 2 shown" in \
        fig._suptitle.get_text().replace("\n", " ")


def test_samples_draw_colour_photos_and_name_bad_input(tmp_path):
    photos = np.random.default_rng(1).integers(0, 256, (5, 16, 16, 3), dtype=np.uint8)
    fig = plots.plot_samples(photos, np.array([1, 0, 1, 1, 0]), class_names=["non-cat", "cat"],
                             path=tmp_path / "c.png")
    check_png(tmp_path / "c.png", fig)
    first = next(ax for ax in fig.axes if ax.get_images())
    assert first.get_images()[0].get_array().shape == (16, 16, 3)
    assert first.get_title() == "cat"
    flat = photos.reshape(5, -1)  # 768 = 16·16·3: three channels last
    fig = plots.plot_samples(flat, [0] * 5)
    assert fig.axes[0].get_images()[0].get_array().shape == (16, 16, 3)
    with pytest.raises(ValueError, match="only_errors=True needs y_pred"):
        plots.plot_samples(photos, [0] * 5, only_errors=True)
    with pytest.raises(ValueError, match="cannot tell the image shape of rows of 10 values"):
        plots.plot_samples(np.zeros((2, 10)), [0, 1])
    with pytest.raises(ValueError, match="x has 5 images, y_true 4 labels"):
        plots.plot_samples(photos, [0] * 4)


# -- plot_weights and plot_feature_maps -------------------------------------------------------
def tile(image, i, cols, h, w):
    """Tile ``i`` of a montage of (h, w) tiles, ``cols`` to a row."""
    r, c = divmod(i, cols)
    return image[r * (h + GAP):r * (h + GAP) + h, c * (w + GAP):c * (w + GAP) + w]


def test_dense_weights_are_one_tile_per_unit(tmp_path):
    layer = nn.Dense(784, 20, rng=0)
    fig = plots.plot_weights(layer, path=tmp_path / "w.png")
    check_png(tmp_path / "w.png", fig)
    (image,) = fig.axes[0].get_images()
    montage = np.asarray(image.get_array())
    cols = 7  # 20 tiles about twice as wide as tall: 3 rows of 7
    assert montage.shape == (3 * (28 + GAP) - GAP, cols * (28 + GAP) - GAP, 3)
    w3 = layer.W.data[:, 3].reshape(28, 28)  # unit 3's incoming weights, as the input image
    expected = (w3 / np.abs(w3).max() + 1) / 2  # its own scale: -max black, +max white
    np.testing.assert_allclose(tile(montage, 3, cols, 28, 28)[..., 0], expected, atol=1e-6)
    assert np.all(tile(montage, 20, cols, 28, 28) == 1)  # past the last unit: blank
    assert "weights into each unit (all 20)" in fig.axes[0].get_title()
    fig = plots.plot_weights(nn.Dense(12, 5, rng=0), image_shape=(3, 4), max_images=2)
    assert fig.axes[0].get_images()[0].get_array().shape == (3, 2 * 4 + GAP, 3)
    with pytest.raises(ValueError, match="image_shape \\(5, 5\\) holds 25 values, the layer "
                                         "takes 12"):
        plots.plot_weights(nn.Dense(12, 5, rng=0), image_shape=(5, 5))
    with pytest.raises(TypeError, match="expected a Dense or Conv2D layer, got ReLU"):
        plots.plot_weights(nn.ReLU())


def test_conv_filters_grey_colour_and_per_channel(tmp_path):
    fig = plots.plot_weights(nn.Conv2D(1, 6, 5, rng=0), path=tmp_path / "f.png")
    check_png(tmp_path / "f.png", fig)
    # 6 tiles of 5×5: 2 rows of 4
    assert fig.axes[0].get_images()[0].get_array().shape == (2 * 7 - 2, 4 * 7 - 2, 3)
    conv = nn.Conv2D(3, 4, 3, rng=0)
    fig = plots.plot_weights(conv)
    montage = np.asarray(fig.axes[0].get_images()[0].get_array())
    assert montage.shape == (2 * 5 - 2, 3 * 5 - 2, 3)  # 4 colour tiles: 2 rows of 3
    w1 = conv.W.data[1].transpose(1, 2, 0)  # filter 1 as an RGB image
    np.testing.assert_allclose(tile(montage, 1, 3, 3, 3), (w1 / np.abs(w1).max() + 1) / 2,
                               atol=1e-6)
    fig = plots.plot_weights(nn.Conv2D(4, 5, 3, rng=0))  # a row per filter, a column per channel
    ax = fig.axes[0]
    assert ax.get_images()[0].get_array().shape == (5 * 5 - 2, 4 * 5 - 2, 3)
    assert [t.get_text() for t in ax.get_yticklabels()] == [f"filter {o}" for o in range(5)]


def test_feature_maps_show_each_conv_layers_output(tmp_path):
    model = small_cnn()
    model.train()
    image = np.random.default_rng(0).random((1, 12, 12)).astype(np.float32)
    fig = plots.plot_feature_maps(model, image, path=tmp_path / "fm.png", max_maps=4)
    check_png(tmp_path / "fm.png", fig)
    maps = [ax.get_images()[0].get_array() for ax in fig.axes if ax.get_images()]
    assert len(maps) == 1 + 4 + 4  # the input, 4 of layer 0's channels, 4 of layer 3's
    np.testing.assert_allclose(maps[1], model.layers[0].forward(image[None])[0, 0], rtol=1e-6)
    assert maps[5].shape == (3, 3)  # 12 -3+1 = 10, pooled 5, -3+1 = 3
    assert all(layer.training for layer in model.layers)  # put back in training mode
    with pytest.raises(ValueError, match="has no Conv2D layer"):
        plots.plot_feature_maps(nn.Sequential(nn.Dense(4, 2)), np.zeros((1, 2, 2)))


# -- plot_model -------------------------------------------------------------------------------
def test_model_drawing_has_a_box_per_layer_with_shape_and_parameters(tmp_path):
    model = small_cnn()
    fig = plots.plot_model(model, (1, 12, 12), path=tmp_path / "m.png")
    check_png(tmp_path / "m.png", fig)
    texts = [t.get_text() for t in fig.axes[0].texts]
    assert "Input" in texts and "(N, 1, 12, 12)" in texts
    assert "Conv2D(1→4, 3×3, stride=1, pad=0)" in texts
    assert "(N, 4, 10, 10)" in texts and "40 params" in texts
    assert "(N, 10)" in texts and "550 params" in texts
    assert texts.count("no parameters") == 4
    assert fig.axes[0].get_title() == "Sequential: 7 layers, 812 parameters"  # 40 + 222 + 550
    assert len(fig.axes[0].patches) == 8  # the input and 7 layers
    long = nn.Sequential(nn.Dense(4, 3, kernel_regularizer=nn.regularizers.L2(0.01)))
    (name,) = [t.get_text() for t in plots.plot_model(long).axes[0].texts
               if t.get_text().startswith("Dense")]
    assert name.startswith("Dense(4→3, kernel_regularizer=") and name.endswith("…)")
    assert len(name) == 40  # what fits beside the shape; the rest is in summary()


# -- plot_histories ---------------------------------------------------------------------------
def test_histories_side_by_side_with_whole_epochs_and_markers(tmp_path):
    h1 = {"loss": [1.0, 0.6, 0.4], "val_loss": [1.1, 0.8, 0.7]}
    h2 = nn.History()
    for e, v in enumerate([1.0, 0.9, 0.85, 0.8]):
        h2.on_epoch_end(e, {"loss": v, "val_loss": v + 0.1})
    fig = plots.plot_histories({"lr=0.1": h1, "lr=0.01": h2}, path=tmp_path / "h.png")
    check_png(tmp_path / "h.png", fig)
    ax = fig.axes[0]
    lines = ax.get_lines()
    assert [line.get_label() for line in lines] == [
        "lr=0.1", "lr=0.1 (validation)", "lr=0.01", "lr=0.01 (validation)"]
    np.testing.assert_array_equal(lines[2].get_xdata(), [1, 2, 3, 4])
    assert lines[0].get_marker() != lines[2].get_marker()  # told apart in grey print
    assert list(ax.get_xticks()) == [1, 2, 3, 4]
    assert (ax.get_xlabel(), ax.get_ylabel()) == ("epoch", "loss")
    fig = plots.plot_histories({"a": h1, "b": h2}, validation=False)
    assert len(fig.axes[0].get_lines()) == 2
    long = {"run": {"accuracy": list(np.linspace(0.1, 0.9, 50))}}
    fig = plots.plot_histories(long, "accuracy")
    (line,) = fig.axes[0].get_lines()
    assert line.get_markevery() == 5  # a long series: a marker every tenth of it
    assert all(float(t).is_integer() for t in fig.axes[0].get_xticks())
    with pytest.raises(ValueError, match="run 'b' has no 'accuracy' values; it has "
                                         r"\['loss', 'val_loss'\]"):
        plots.plot_histories({"a": {"accuracy": [1.0]}, "b": h2}, "accuracy")
    with pytest.raises(ValueError, match="expected at least one run"):
        plots.plot_histories({})


def test_single_panel_plots_draw_into_the_callers_axes(spirals_model, tmp_path):
    model, x, y = spirals_model
    fig, axes = plt.subplots(2, 3, figsize=(12, 7))
    draws = [
        lambda ax: plots.plot_cost([1.0, 0.5, 0.3], ax=ax),
        lambda ax: plots.plot_histories({"run": model}, ax=ax),
        lambda ax: plots.plot_decision_boundary(model, x, y, ax=ax, resolution=20),
        lambda ax: plots.plot_confusion_matrix(y, model.predict(x), ax=ax),
        lambda ax: plots.plot_model(model, ax=ax),
    ]
    for ax, draw in zip(axes.flat, draws):
        assert draw(ax) is fig
        assert ax.get_title()  # each drew its panel there
    assert plt.get_fignums() == [fig.number]  # and made no figure of its own
    fig.savefig(tmp_path / "dashboard.png", dpi=DPI)
    plt.close(fig)
    check_png(tmp_path / "dashboard.png", fig)


def test_a_class_without_a_name_is_named_in_the_error():
    with pytest.raises(ValueError, match=r"plot_confusion_matrix: class_names has no name "
                                         r"for class 1 \(1 names given\)"):
        plots.plot_confusion_matrix([0, 1, 2], [0, 1, 2], class_names=["a"])
