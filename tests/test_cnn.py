"""The convolutional network end to end: the example's accuracy on Fashion-MNIST and MNIST,
training through ``fit`` step for step against PyTorch, and the ``--model cnn`` command line
path from training to ``evaluate`` and ``predict``."""

from __future__ import annotations

import contextlib
import importlib.util
import io
import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from conftest import run_example
from nnscratch import (
    AvgPool2D,
    Conv2D,
    Dense,
    Flatten,
    MaxPool2D,
    ReLU,
    Sequential,
    SoftmaxCrossEntropy,
)

HAVE_THREADPOOLCTL = importlib.util.find_spec("threadpoolctl") is not None
# One BLAS thread: on a shared 2-core machine two OpenBLAS threads that wait for each
# other made an epoch 5-15 times slower than one (measured).
ONE_THREAD = ["--threads", "1"] if HAVE_THREADPOOLCTL else []


def one_blas_thread() -> contextlib.AbstractContextManager[Any]:
    if not HAVE_THREADPOOLCTL:
        return contextlib.nullcontext()
    from threadpoolctl import threadpool_limits

    return threadpool_limits(1, user_api="blas")


def run_cnn_example(*argv: str) -> dict:
    return run_example("fashion_mnist_cnn", *argv, *ONE_THREAD)


# -- the example ---------------------------------------------------------------------------
def test_example_fast(fashion_dir, tmp_path):
    # 4,000 images, one epoch (about 4 s of training): far above the 10% of guessing
    r = run_cnn_example("--fast", "--data-dir", str(fashion_dir), "--out", str(tmp_path))
    assert (r["n_train"], r["n_test"], r["epochs"]) == (4000, 2000, 1)
    assert r["test_accuracy"] > 0.65
    assert len(r["seconds_per_epoch"]) == 1 and r["seconds_per_epoch"][0] > 0


@pytest.mark.slow
def test_example_reaches_91_percent_on_fashion_mnist(fashion_dir, tmp_path):
    # the default run: 60,000 images, 10 epochs of Adam with cosine decay (91.2%; after 6
    # epochs 90.7%). About 3 min on two idle cores at 17 s an epoch, but 10-20 min when
    # other work shares them. The 784-256-10 MLP gets 88-89%.
    r = run_cnn_example("--data-dir", str(fashion_dir), "--out", str(tmp_path))
    assert (r["n_train"], r["n_test"]) == (60_000, 10_000)
    assert r["test_accuracy"] >= 0.91


@pytest.mark.slow
def test_example_reaches_98_percent_on_held_out_mnist(mnist_t10k_dir, tmp_path):
    # trained on 8,000 of the t10k digits, tested on the other 2,000 (stratified, seeded):
    # 98.3% after the default 10 epochs (97.65% after 5); about 3 s an epoch on idle cores
    r = run_cnn_example("--dataset", "mnist", "--data-dir", str(mnist_t10k_dir),
                    "--out", str(tmp_path))
    assert (r["n_train"], r["n_test"]) == (8000, 2000)
    assert r["test_accuracy"] >= 0.98


# -- training through fit against PyTorch --------------------------------------------------
def rel_error(ours: np.ndarray, theirs: Any) -> float:
    """‖ours − theirs‖ / ‖theirs‖ over the whole array."""
    ref = theirs.detach().double().numpy()
    diff = np.linalg.norm(np.asarray(ours, dtype=np.float64) - ref)
    return float(diff / np.linalg.norm(ref)) if diff else 0.0


def tiny_cnn(dtype: type) -> list:
    """(N, 2, 12, 12) -> 3 logits, through every layer kind and an overlapping pool."""
    return [
        Conv2D(2, 3, 3, stride=1, padding=1, bias_init="he_uniform", rng=1, dtype=dtype),
        ReLU(),                                          # (N, 3, 12, 12)
        MaxPool2D(2),                                    # (N, 3, 6, 6)
        Conv2D(3, 4, 2, stride=2, bias_init="he_uniform", rng=2, dtype=dtype),
        ReLU(),                                          # (N, 4, 3, 3)
        AvgPool2D(2, stride=1),                          # (N, 4, 2, 2): windows overlap
        Flatten(),                                       # (N, 16)
        Dense(16, 3, rng=3, dtype=dtype),                # (N, 3)
    ]


def train_both(torch: Any, dtype: type, epochs: int, batch_size: int | None
               ) -> tuple[list[float], list[float], float]:
    """The same SGD steps through ``fit`` and by hand in torch; returns the per-step losses
    of both and the worst relative error of any parameter after training."""
    F = torch.nn.functional
    g = np.random.default_rng(5)
    n, lr = 10, 0.1
    x = g.standard_normal((n, 2, 12, 12)).astype(dtype)
    x[:, :, ::3] = 0.0  # rows of exact zeros: ties in the max pool after the ReLU
    y = g.integers(0, 3, size=n)

    layers = tiny_cnn(dtype)
    params = [torch.tensor(p.data.copy(), requires_grad=True)
              for layer in layers for p in layer.parameters()]
    w1, b1, w2, b2, wd, bd = params
    model = Sequential(layers).use(SoftmaxCrossEntropy())
    before = [p.data.copy() for p in model.parameters()]
    model.fit(x, y, epochs=epochs, batch_size=batch_size, learning_rate=lr, shuffle=False,
              verbose=0)

    tx, ty = torch.tensor(x), torch.tensor(y)
    bs = n if batch_size is None else batch_size
    torch_losses = []
    for _ in range(epochs):
        for start in range(0, n, bs):  # in order, the last partial batch kept
            h = F.max_pool2d(F.relu(F.conv2d(tx[start:start + bs], w1, b1, padding=1)), 2)
            h = F.avg_pool2d(F.relu(F.conv2d(h, w2, b2, stride=2)), 2, stride=1)
            loss = F.cross_entropy(torch.flatten(h, 1) @ wd + bd, ty[start:start + bs])
            loss.backward()
            with torch.no_grad():  # torch.optim.SGD's step, without importing torch.optim
                for p in params:
                    p.add_(p.grad, alpha=-lr)
                    p.grad = None
            torch_losses.append(loss.item())

    ours = model.parameters()
    assert min(float(np.abs(p.data - b).max()) for p, b in zip(ours, before)) > 1e-3, \
        "every parameter must have moved, or equal weights prove nothing"
    error = max(rel_error(p.data, t) for p, t in zip(ours, params, strict=True))
    return list(model.history.iteration_loss), torch_losses, error


@pytest.mark.torch
@pytest.mark.parametrize("epochs, batch_size", [(10, None), (3, 4)],
                         ids=["full_batch_10_steps", "batches_4_4_2_9_steps"])
def test_small_cnn_trained_through_fit_matches_torch(torch, epochs, batch_size):
    ours, theirs, error = train_both(torch, np.float64, epochs, batch_size)
    assert len(ours) == len(theirs) == (10 if batch_size is None else 9)
    assert np.allclose(ours, theirs, rtol=1e-9, atol=0)
    assert error < 1e-6


@pytest.mark.torch
def test_small_cnn_trained_through_fit_matches_torch_float32(torch):
    ours, theirs, error = train_both(torch, np.float32, 10, None)
    assert np.allclose(ours, theirs, rtol=1e-4, atol=0)
    assert error < 1e-4


# -- the command line ----------------------------------------------------------------------
def cli(*argv: str) -> tuple[int, str]:
    from nnscratch.cli import main

    out = io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(io.StringIO()), \
            one_blas_thread():
        code = main(list(argv))
    return code, out.getvalue()


@pytest.fixture(scope="module")
def cli_cnn(tmp_path_factory) -> tuple[Path, dict]:
    """``nnscratch train --model cnn`` for one epoch on the 8,000 offline MNIST digits."""
    from conftest import require_data, shared_data_dir

    data_dir = require_data(shared_data_dir() / "mnist-t10k", "MNIST t10k files")
    out = tmp_path_factory.mktemp("cli_cnn")
    code, text = cli("train", "--dataset", "mnist", "--data-dir", str(data_dir),
                     "--model", "cnn", "--epochs", "1", "--quiet", "--json", "--out", str(out))
    assert code == 0
    return data_dir, json.loads(text.strip().splitlines()[-1])


@pytest.mark.slow  # the fixture trains for 15-60 s on two busy cores
def test_cli_trains_a_cnn(cli_cnn):
    _, result = cli_cnn
    assert result["dataset"] == "mnist" and result["epochs"] == 1
    assert result["batch_size"] == 64
    assert result["test_accuracy"] > 0.9  # one epoch of the recipe: Adam at 2e-3
    assert Path(result["model_path"]).is_file()


@pytest.mark.slow
def test_cli_predict_takes_raw_images(cli_cnn, tmp_path):
    from nnscratch.data import load_mnist_split, train_test_split
    from nnscratch.io import load

    data_dir, result = cli_cnn
    x, y = load_mnist_split("test", data_dir)
    _, x_test, _, y_test = train_test_split(x, y, test_size=2000, rng=0, stratify=True)
    images = tmp_path / "digits.npy"
    np.save(images, x_test[:50])  # (50, 28, 28) uint8, as the loaders give them
    predicted = tmp_path / "predicted.npy"
    code, text = cli("predict", result["model_path"], str(images), "--output", str(predicted))
    assert code == 0
    classes = np.load(predicted)
    assert classes.shape == (50,)
    assert text.split() == [str(c) for c in classes]
    model = load(result["model_path"])
    expected = model.predict_classes(x_test[:50, None].astype(np.float32) / 255)
    np.testing.assert_array_equal(classes, expected)
    assert np.mean(classes == y_test[:50]) > 0.8

    one = tmp_path / "one.npy"
    np.save(one, x_test[0])  # a single (28, 28) image
    code, text = cli("predict", result["model_path"], str(one))
    assert code == 0 and text.split() == [str(classes[0])]


@pytest.mark.slow
def test_cli_evaluates_a_saved_cnn(cli_cnn):
    data_dir, result = cli_cnn
    code, text = cli("evaluate", result["model_path"], "--data-dir", str(data_dir), "--json")
    assert code == 0
    evaluated = json.loads(text.strip().splitlines()[-1])
    assert evaluated["accuracy"] == pytest.approx(result["test_accuracy"])
