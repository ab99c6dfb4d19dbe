"""The command line on the real datasets: MNIST offline (t10k only), the cat photos and
Fashion-MNIST found by the default lookup; then ``evaluate`` on the saved models."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from conftest import last_json
from nnscratch.cli import main

# the scripts save plots, which stay open in pyplot
pytestmark = pytest.mark.usefixtures("close_figures")

DEBIAN_FASHION = Path("/usr/share/datasets/fashion-mnist")


def test_mnist_from_the_t10k_files_alone(mnist_t10k_dir, tmp_path, capsys):
    out = tmp_path / "mnist"
    assert main(["train", "--dataset", "mnist", "--data-dir", str(mnist_t10k_dir),
                 "--epochs", "1", "--quiet", "--json", "--out", str(out)]) == 0
    captured = capsys.readouterr()
    assert "note: mnist: no training files in" in captured.err
    assert "8,000 for training and 2,000 held out for testing" in captured.err
    result = last_json(captured.out)
    assert result["dataset"] == "mnist" and result["epochs"] == 1
    assert result["test_accuracy"] > 0.85  # one epoch of the default 784-256-10 MLP
    assert Path(result["model_path"]).is_file()

    # evaluate re-creates the same 2,000-image split from the seed stored in the model
    assert main(["evaluate", str(out / "model.npz"), "--data-dir", str(mnist_t10k_dir),
                 "--json"]) == 0
    evaluated = last_json(capsys.readouterr().out)
    assert evaluated["accuracy"] == pytest.approx(result["test_accuracy"])
    assert evaluated["loss"] == pytest.approx(result["test_loss"], rel=1e-5)


def test_mnist_without_the_training_files_and_no_data_dir_is_not_split(tmp_path, monkeypatch,
                                                                      capsys):
    # the 8,000/2,000 split is only for a folder the user named; the default lookup must
    # not silently train on the test set (here it finds nothing and may not download)
    monkeypatch.setenv("NNSCRATCH_DATA", str(tmp_path))
    import nnscratch.data.mnist as mnist

    def no_download(*args, **kwargs):
        raise OSError("offline")

    monkeypatch.setattr(mnist, "download_file", no_download)
    assert main(["train", "--dataset", "mnist", "--epochs", "1", "--quiet"]) == 1
    assert "download failed" in capsys.readouterr().err


def test_cats(cats_dir, tmp_path, capsys):
    pytest.importorskip("h5py", reason="the cat photos are HDF5 files")
    out = tmp_path / "cats"
    assert main(["train", "--dataset", "cats", "--data-dir", str(cats_dir), "--epochs", "50",
                 "--quiet", "--json", "--out", str(out)]) == 0
    result = last_json(capsys.readouterr().out)
    assert result["dataset"] == "cats" and result["batch_size"] is None  # full batch
    assert result["train_accuracy"] > 0.6 and result["test_accuracy"] > 0.3
    assert main(["evaluate", str(out / "model.npz"), "--data-dir", str(cats_dir),
                 "--json"]) == 0
    evaluated = last_json(capsys.readouterr().out)
    assert evaluated["accuracy"] == pytest.approx(result["test_accuracy"])


def test_fashion_mnist_found_without_data_dir(fashion_dir, tmp_path, monkeypatch, capsys):
    if fashion_dir.resolve() != DEBIAN_FASHION.resolve():
        pytest.skip("the default lookup finds Fashion-MNIST in the Debian folder, "
                    f"not at {fashion_dir}")
    # an empty per-user cache: the files can only come from the system folder
    monkeypatch.setenv("NNSCRATCH_DATA", str(tmp_path / "cache"))
    from nnscratch.data.mnist import load_mnist_split

    x, y = load_mnist_split("test", dataset="fashion-mnist", download=False)
    assert x.shape == (10_000, 28, 28) and y.shape == (10_000,)

    out = tmp_path / "fashion"
    assert main(["train", "--dataset", "fashion-mnist", "--epochs", "1", "--quiet", "--json",
                 "--out", str(out)]) == 0
    captured = capsys.readouterr()
    assert "note:" not in captured.err  # the real training split, nothing held out
    result = last_json(captured.out)
    assert result["dataset"] == "fashion-mnist" and result["test_accuracy"] > 0.75
    assert main(["evaluate", str(out / "model.npz"), "--json"]) == 0
    assert last_json(capsys.readouterr().out)["accuracy"] == pytest.approx(
        result["test_accuracy"])


def test_offline_mnist_trains_longer_by_default(mnist_t10k_dir):
    from nnscratch.recipes import prepare

    data = prepare("mnist", mnist_t10k_dir)
    assert (len(data.x_train), len(data.x_test)) == (8000, 2000)
    assert data.defaults["epochs"] == 20  # the 8,000 images need more passes than 60,000
    assert data.x_train.dtype == np.float32 and 0 <= data.x_train.min() <= data.x_train.max() <= 1
