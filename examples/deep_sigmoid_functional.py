"""The deep network of the "functional" article, given by ``layer_dims``.

The article writes ``initialize_parameters_deep``, ``L_model_forward``, ``compute_cost``,
``L_model_backward`` and ``update_parameters`` by hand. Each is one nnscratch piece:

* ``Dense`` layers whose weights are the article's ``randn(n_l, n_{l-1}) * 0.01`` drawn
  after ``np.random.seed(3)`` — the very same numbers, transposed to our (in, out) layout —
  and zero biases;
* sigmoid activations on every layer ("deep sigmoid"; pass ``hidden="relu"`` for the
  ReLU variant);
* binary cross-entropy, full-batch gradient descent, the cost recorded every iteration.

It runs on the cat-vs-non-cat images when they are found (``--data-dir``), else on a
small synthetic two-class set so it always runs. Deep sigmoid stacks started at 0.01
scale learn slowly — their gradients shrink by σ' ≤ 1/4 per layer — so the cost sits near
log 2 = 0.693 for a while before it falls: the plot shows the plateau.

    python examples/deep_sigmoid_functional.py --data-dir ../shared/data/catvnoncat
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

import nnscratch as nn


def article_init(seed: int = 3) -> nn.init.Initializer:
    """``W = randn(n_l, n_{l-1}) * 0.01`` from one legacy RandomState seeded like the
    article's ``np.random.seed(3)``, drawn layer after layer in the same order."""
    legacy = np.random.RandomState(seed)

    def init(shape, fan_in, fan_out, rng):  # type: ignore[no-untyped-def]
        n_in, n_out = shape
        return (legacy.randn(n_out, n_in) * 0.01).T  # article's (n_l, n_{l-1}) -> (in, out)

    return init


def L_layer_model(
    X: np.ndarray,
    Y: np.ndarray,
    layer_dims: list[int],
    learning_rate: float = 0.0075,
    num_iterations: int = 3000,
    hidden: str = "sigmoid",
    seed: int = 3,
) -> tuple[nn.Sequential, list[float]]:
    """Train the deep network and return it with its cost per iteration.

    Parameters
    ----------
    X : ndarray of shape (N, layer_dims[0])
        Samples in rows (the article keeps them in columns: pass ``X.T``).
    Y : ndarray of shape (N, 1)
        0/1 labels.
    layer_dims : list of int
        Sizes of every layer, input first, e.g. ``[12288, 20, 7, 5, 1]``.
    """
    init = article_init(seed)
    model = nn.Sequential()
    for i in range(1, len(layer_dims)):
        model.add(nn.Dense(layer_dims[i - 1], layer_dims[i], init=init))
        last = i == len(layer_dims) - 1
        model.add(nn.Sigmoid() if last else nn.get_activation(hidden))
    model.use(nn.BinaryCrossEntropy(), nn.SGD(learning_rate))
    model.fit(X, Y, epochs=num_iterations, batch_size=None, verbose=0)
    return model, list(model.history.iteration_loss)


def load_data(data_dir: str | None) -> tuple[np.ndarray, ...]:
    """Cat images flattened and scaled to [0, 1], or a synthetic two-class set."""
    if data_dir and (Path(data_dir) / "train_catvnoncat.h5").exists():
        (xtr, ytr), (xte, yte), _ = nn.data.load_cats(data_dir)
        return (xtr.reshape(len(xtr), -1) / 255.0, ytr.reshape(-1, 1),
                xte.reshape(len(xte), -1) / 255.0, yte.reshape(-1, 1))
    x, y = nn.make_spirals(150, 2, noise=0.1, rng=0)
    x = np.hstack([x, x**2, x[:, :1] * x[:, 1:]])  # polynomial features, 5 inputs
    idx = np.random.default_rng(0).permutation(len(x))
    tr, te = idx[:240], idx[240:]
    return x[tr], y[tr].reshape(-1, 1), x[te], y[te].reshape(-1, 1)


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description="Deep sigmoid network from layer_dims")
    parser.add_argument("--data-dir", default=None, help="folder with the cat HDF5 files")
    parser.add_argument("--iterations", type=int, default=None)
    parser.add_argument("--hidden", default="sigmoid", choices=["sigmoid", "relu", "tanh"])
    parser.add_argument("--out", default="runs/examples")
    parser.add_argument("--fast", action="store_true", help="fewer iterations, for tests")
    args = parser.parse_args(argv)

    xtr, ytr, xte, yte = load_data(args.data_dir)
    cats = xtr.shape[1] == 12288
    layer_dims = [xtr.shape[1], 20, 7, 5, 1] if cats else [xtr.shape[1], 16, 8, 1]
    # the article's rate for the cat images; the small synthetic set needs large steps to
    # get through the plateau that 0.01-scaled sigmoid layers start on
    lr = 0.0075 if cats else 10.0
    iterations = args.iterations or (1000 if args.fast else 3000)
    model, costs = L_layer_model(xtr, ytr, layer_dims, lr, iterations, hidden=args.hidden)
    train_acc = model.evaluate(xtr, ytr)["accuracy"]
    test_acc = model.evaluate(xte, yte)["accuracy"]
    for i in range(0, len(costs), max(1, len(costs) // 10)):
        print(f"cost after iteration {i}: {costs[i]:.6f}")
    print(f"layer_dims {layer_dims}, {args.hidden} hidden layers: train accuracy "
          f"{train_acc:.3f}, test accuracy {test_acc:.3f}")
    try:
        path = Path(args.out) / "deep_sigmoid_cost.png"
        nn.plots.plot_cost(costs, path, title=f"Deep network {layer_dims}: cost")
        print(f"saved {path}")
    except ImportError as err:
        print(f"no plot: {err}")
    return {"costs": costs, "train_accuracy": train_acc, "test_accuracy": test_acc,
            "layer_dims": layer_dims, "model": model}


if __name__ == "__main__":
    main()
