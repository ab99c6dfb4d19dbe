"""The training-toolkit examples: fast modes in the default tier, the full Fashion-MNIST
accuracy run in the slow tier."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from conftest import run_example


def test_optimizers_compare_fast(tmp_path):
    r = run_example("optimizers_compare", "--fast", "--out", str(tmp_path))
    curves = r["curves"]
    assert len(curves) == 4
    assert [label.split()[0] for label in curves] == ["SGD", "momentum", "RMSProp", "Adam"]
    lengths = {len(c) for c in curves.values()}
    assert len(lengths) == 1 and lengths.pop() >= 10  # the same batches for every optimizer
    for label, curve in curves.items():
        assert curve[-1] < 0.5 * curve[0], label
        assert r["test_accuracy"][label] > 0.85, label
    # every adaptive or momentum method ends below plain SGD at the same learning budget
    sgd = r["final_loss"]["SGD (η=0.05)"]
    assert all(loss < sgd for label, loss in r["final_loss"].items() if label != "SGD (η=0.05)")
    if r["plot"] is not None:
        assert Path(r["plot"]).stat().st_size > 1000
        assert [p.name for p in tmp_path.iterdir()] == ["optimizers_compare.png"]


def test_fashion_mnist_adam_dropout_fast(tmp_path):
    r = run_example("fashion_mnist_adam_dropout", "--fast", "--verbose", "0",
                    "--out", str(tmp_path))
    assert r["test_accuracy"] > 0.85
    h = r["history"]
    assert {"loss", "accuracy", "val_loss", "val_accuracy"} <= set(h.keys())
    assert 1 <= r["epochs_run"] <= 5
    # early stopping put back the weights of the best validation epoch
    assert r["best_epoch"] == int(np.argmin(h["val_loss"]))
    model = r["model"]
    assert sum(type(layer).__name__ == "Dropout" for layer in model.layers) == 2
    assert not any(layer.training for layer in model.layers)


@pytest.mark.slow
def test_fashion_mnist_adam_dropout_reaches_89_percent(tmp_path, fashion_dir):
    r = run_example("fashion_mnist_adam_dropout", "--data-dir", str(fashion_dir),
                    "--verbose", "0", "--out", str(tmp_path))
    assert r["dataset"] == "fashion-mnist"
    assert r["test_accuracy"] >= 0.89, r["test_accuracy"]


@pytest.mark.slow
def test_optimizers_compare_on_fashion_mnist(tmp_path, fashion_dir):
    r = run_example("optimizers_compare", "--data-dir", str(fashion_dir), "--train-size",
                    "10000", "--epochs", "2", "--out", str(tmp_path))
    assert r["dataset"] == "fashion-mnist"
    for label, curve in r["curves"].items():
        assert curve[-1] < curve[0], label
        assert r["test_accuracy"][label] > 0.7, label
