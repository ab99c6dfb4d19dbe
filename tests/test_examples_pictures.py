"""The picture examples: the spirals playground and see-inside-MNIST run in their fast
modes here and tell their stories in the full runs (marked slow; CI runs those too)."""

from __future__ import annotations

import numpy as np
import pytest

from conftest import run_example

pytest.importorskip("matplotlib", reason="the picture examples need the plot extra")
pytestmark = pytest.mark.usefixtures("close_figures")


def gif_frame_count(path):
    from PIL import Image

    with Image.open(path) as im:
        assert im.format == "GIF"
        return im.n_frames


def test_spirals_playground_fast(tmp_path, capsys):
    r = run_example("spirals_playground", "--fast", "--out", str(tmp_path))
    assert [p.name for p in r["gifs"]] == ["spirals_tanh_1.gif", "spirals_tanh_3.gif",
                                          "spirals_relu_1.gif", "spirals_relu_3.gif"]
    assert all(gif_frame_count(p) == 2 for p in r["gifs"])  # 6 epochs, a frame every 3
    assert [p.name for p in r["plots"]] == ["spirals_boundaries.png", "spirals_loss.png"]
    assert all(p.stat().st_size > 5000 for p in r["plots"])
    assert list(r["accuracy"]) == ["tanh, 1 hidden layer", "tanh, 3 hidden layers",
                                   "relu, 1 hidden layer", "relu, 3 hidden layers"]
    assert "relu, 3 hidden layers    accuracy" in capsys.readouterr().out


@pytest.mark.slow
def test_spirals_playground_depth_follows_the_arms(tmp_path):
    r = run_example("spirals_playground", "--out", str(tmp_path))
    acc = r["accuracy"]
    assert acc["tanh, 3 hidden layers"] > 0.95 and acc["relu, 3 hidden layers"] > 0.95
    assert acc["tanh, 1 hidden layer"] < acc["tanh, 3 hidden layers"] - 0.05
    assert acc["relu, 1 hidden layer"] < acc["relu, 3 hidden layers"] - 0.03
    assert all(gif_frame_count(p) == 20 for p in r["gifs"])  # 60 epochs, every 3
    assert all(p.stat().st_size < 300_000 for p in r["gifs"] + r["plots"])


def test_see_inside_mnist_fast(mnist_t10k_dir, tmp_path, capsys):
    r = run_example("see_inside_mnist", "--fast", "--data-dir", str(mnist_t10k_dir),
                    "--out", str(tmp_path))
    assert (r["n_train"], r["n_test"]) == (8000, 2000)
    assert r["test_accuracy"] >= 0.85
    cm = r["confusion"]
    assert cm.sum() == 2000 and cm.sum() - np.trace(cm) == r["misclassified"]
    assert [p.name for p in r["paths"]] == ["mnist_weights.png", "mnist_misclassified.png",
                                           "mnist_confusion.png", "mnist_model.png"]
    assert all(p.stat().st_size > 5000 for p in r["paths"])
    out = capsys.readouterr().out
    assert f"{r['misclassified']} of 2,000 test digits misclassified" in out
    assert "most confused:" in out


@pytest.mark.slow
def test_see_inside_mnist_full(mnist_t10k_dir, tmp_path):
    r = run_example("see_inside_mnist", "--data-dir", str(mnist_t10k_dir),
                    "--out", str(tmp_path))
    assert r["test_accuracy"] >= 0.94
    assert all(p.stat().st_size < 300_000 for p in r["paths"])
