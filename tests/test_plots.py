"""Plots: PNG files that hold the curves asked for, figures released after saving, and
clear errors for empty or malformed input."""

from __future__ import annotations

import sys
import warnings

import numpy as np
import pytest

import nnscratch as nn
from nnscratch import plots

plt = pytest.importorskip("matplotlib.pyplot", reason="plots need the plot extra (matplotlib)")

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def test_cost_curve_is_saved_as_png_with_iterations_on_x(tmp_path):
    costs = [0.69, 0.58, 0.47, 0.41]
    fig = plots.plot_cost(costs, tmp_path / "sub" / "cost.png", every=100)
    assert (tmp_path / "sub" / "cost.png").read_bytes()[:8] == PNG_MAGIC
    (line,) = fig.axes[0].get_lines()
    np.testing.assert_array_equal(line.get_xdata(), [0, 100, 200, 300])
    np.testing.assert_allclose(line.get_ydata(), costs)
    assert fig.axes[0].get_legend() is None  # one unnamed curve needs no legend


def test_several_learning_rates_overlay_with_a_legend(tmp_path):
    curves = {"lr=0.01": [1.0, 0.5], "lr=0.001": [1.0, 0.9, 0.8], "lr=0.0001": [1.0, 0.99]}
    fig = plots.plot_cost(curves, tmp_path / "lrs.png", log_scale=True)
    ax = fig.axes[0]
    assert [t.get_text() for t in ax.get_legend().get_texts()] == list(curves)
    assert [len(line.get_ydata()) for line in ax.get_lines()] == [2, 3, 2]
    assert ax.get_yscale() == "log"


def test_history_plot_has_one_panel_per_metric_with_validation(tmp_path):
    x, y = nn.make_spirals(60, n_classes=3, rng=0)
    model = nn.Sequential(nn.Dense(2, 16, rng=0), nn.ReLU(), nn.Dense(16, 3, rng=1)).use(
        nn.SoftmaxCrossEntropy(), nn.Adam(0.01))
    model.fit(x, y, epochs=4, batch_size=32, seed=0, verbose=0, validation_split=0.2)
    fig = model.history.plot(tmp_path / "history.png", title="spirals")
    assert (tmp_path / "history.png").read_bytes()[:8] == PNG_MAGIC
    assert [ax.get_title() for ax in fig.axes] == ["loss", "accuracy"]
    for ax, name in zip(fig.axes, ["loss", "accuracy"]):
        train, val = ax.get_lines()
        np.testing.assert_allclose(train.get_ydata(), model.history[name])
        np.testing.assert_allclose(val.get_ydata(), model.history[f"val_{name}"])
        np.testing.assert_array_equal(train.get_xdata(), [1, 2, 3, 4])
    # a model, its History and the plain dict all draw the same panels
    for source in (model, model.history.history):
        assert len(plots.plot_history(source).axes) == 2
    plt.close("all")


def test_saved_figures_are_closed_so_many_runs_do_not_pile_up(tmp_path):
    plt.close("all")
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # matplotlib warns past 20 open figures
        for i in range(25):
            fig = plots.plot_cost([1.0, 0.5], tmp_path / f"run{i}.png")
    assert plt.get_fignums() == []
    fig.savefig(tmp_path / "again.png")  # the returned figure is still usable
    assert (tmp_path / "again.png").stat().st_size > 0
    open_fig = plots.plot_cost([1.0, 0.5])  # no path: left open for show() / notebooks
    assert plt.get_fignums() == [open_fig.number]
    plt.close("all")


def test_bad_input_is_named():
    with pytest.raises(ValueError, match="plot_cost: expected at least one non-empty"):
        plots.plot_cost([])
    with pytest.raises(ValueError, match="plot_cost: expected at least one non-empty"):
        plots.plot_cost({"a": [1.0], "b": []})
    with pytest.raises(ValueError, match="every must be a positive integer, got 0"):
        plots.plot_cost([1.0], every=0)
    with pytest.raises(ValueError, match="holds no values; call fit"):
        plots.plot_history(nn.History())


def test_missing_matplotlib_says_which_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    with pytest.raises(ImportError, match=r"pip install 'nnscratch\[plot\]'"):
        plots.plot_cost([1.0, 0.5])


@pytest.mark.parametrize("n_epochs", [1, 2, 3, 7])
def test_short_runs_show_markers_and_whole_epoch_ticks(n_epochs, tmp_path):
    # one epoch is one point: without a marker the panel is blank
    hist = {"loss": list(np.linspace(1.0, 0.5, n_epochs)),
            "val_loss": list(np.linspace(1.1, 0.6, n_epochs))}
    fig = plots.plot_history(hist, tmp_path / "h.png")
    ax = fig.axes[0]
    for line in ax.get_lines():
        assert line.get_marker() == "o" and line.get_markersize() > 0
        np.testing.assert_array_equal(line.get_xdata(), np.arange(1, n_epochs + 1))
    fig.canvas.draw()
    ticks = [t for t in ax.get_xticks() if ax.get_xlim()[0] <= t <= ax.get_xlim()[1]]
    assert ticks and all(float(t).is_integer() for t in ticks), ticks
    (cost_line,) = plots.plot_cost([0.7] * n_epochs).axes[0].get_lines()
    assert cost_line.get_marker() == "o"
    plt.close("all")


def test_long_runs_are_drawn_as_plain_lines():
    fig = plots.plot_history({"loss": list(np.linspace(1.0, 0.1, 100))})
    assert fig.axes[0].get_lines()[0].get_marker() in ("", "None")
    plt.close("all")
