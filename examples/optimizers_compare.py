"""SGD, momentum, RMSProp and Adam on the same network, the same data, the same start.

One MLP (784 → 128 → 10, ReLU) on Fashion-MNIST — or on the 8×8 digits when the
Fashion-MNIST files are absent — trained four times from the same initial weights and
with the same batches; only the optimizer changes. One figure overlays their training
loss curves (per iteration, averaged over windows so the trend shows through the
mini-batch noise).

    python examples/optimizers_compare.py            # 60,000 images, 5 epochs each
    python examples/optimizers_compare.py --fast     # seconds: on the digits
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

import nnscratch as nn

#: name -> optimizer factory; rates are each method's usual starting point
OPTIMIZERS: dict[str, Callable[[], nn.Optimizer]] = {
    "SGD (η=0.05)": lambda: nn.SGD(0.05),
    "momentum 0.9 (η=0.05)": lambda: nn.SGD(0.05, momentum=0.9),
    "RMSProp (η=1e-3)": lambda: nn.RMSProp(1e-3),
    "Adam (η=1e-3)": lambda: nn.Adam(1e-3),
}


def load(data_dir: str | None, n_train: int, fast: bool, seed: int
         ) -> tuple[str, tuple, tuple]:
    """(name, (x_train, y_train), (x_test, y_test)) with pixels in [0, 1].

    Fashion-MNIST (its first ``n_train`` training images), or the digits when its files
    are absent. ``fast`` prefers the digits, which train in a blink.
    """
    if fast:
        try:
            return _digits(seed)
        except ImportError:  # no scikit-learn: a slice of Fashion-MNIST instead
            pass
    try:
        (x_train, y_train), (x_test, y_test) = nn.load_fashion_mnist(data_dir, download=False)
    except OSError:
        return _digits(seed)
    x_train = nn.flatten(x_train[:n_train]).astype(np.float32) / 255  # (n, 784)
    x_test = nn.flatten(x_test).astype(np.float32) / 255  # (10000, 784)
    return ("fashion-mnist", (x_train, y_train[:n_train].astype(np.int64)),
            (x_test, y_test.astype(np.int64)))


def _digits(seed: int) -> tuple[str, tuple, tuple]:
    x, y = nn.load_digits()  # (1797, 64) pixels 0-16
    x_train, x_test, y_train, y_test = nn.train_test_split(x / 16, y, test_size=0.2,
                                                           rng=seed, stratify=True)
    return "digits", (x_train, y_train), (x_test, y_test)


def build(n_inputs: int, hidden: int, optimizer: nn.Optimizer, seed: int) -> nn.Sequential:
    rng = np.random.default_rng(seed)  # the same seed: the same initial weights every time
    return nn.Sequential(
        nn.Dense(n_inputs, hidden, init="he_uniform", rng=rng),  # (N, 784) @ (784, 128)
        nn.ReLU(),
        nn.Dense(hidden, 10, rng=rng),  # (N, 10) logits; softmax is in the loss
    ).use(nn.SoftmaxCrossEntropy(), optimizer)


def smooth(values: list[float], window: int) -> np.ndarray:
    """Means of consecutive windows of ``window`` values (the last partial one dropped)."""
    v = np.asarray(values, dtype=float)
    n = len(v) // window
    return v[: n * window].reshape(n, window).mean(axis=1)  # (n,)


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description="Compare SGD, momentum, RMSProp and Adam")
    parser.add_argument("--data-dir", default=None)
    parser.add_argument("--train-size", type=int, default=60_000)
    parser.add_argument("--hidden", type=int, default=128)
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--window", type=int, default=100,
                        help="iterations averaged per point of the curves")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", default="runs/examples")
    parser.add_argument("--fast", action="store_true",
                        help="10 epochs on the digits (or on 3,000 Fashion-MNIST images)")
    args = parser.parse_args(argv)
    if args.fast:
        args.train_size, args.epochs, args.window = 3000, 10, 10

    name, (x_train, y_train), (x_test, y_test) = load(args.data_dir, args.train_size,
                                                      args.fast, args.seed)
    print(f"{name}: {len(x_train):,} training and {len(x_test):,} test images, "
          f"{args.epochs} epochs of batches of {args.batch_size}")
    curves, final_loss, test_accuracy, seconds = {}, {}, {}, {}
    for label, make in OPTIMIZERS.items():
        model = build(x_train.shape[1], args.hidden, make(), args.seed)
        t0 = time.perf_counter()
        model.fit(x_train, y_train, epochs=args.epochs, batch_size=args.batch_size,
                  seed=args.seed, verbose=0)
        seconds[label] = time.perf_counter() - t0
        curves[label] = smooth(model.history.iteration_loss, args.window)
        final_loss[label] = model.history["loss"][-1]
        test_accuracy[label] = model.evaluate(x_test, y_test)["accuracy"]
        print(f"  {label:<24} last-epoch loss {final_loss[label]:.4f}   test accuracy "
              f"{test_accuracy[label]:.4f}   {seconds[label]:.1f} s")

    plot = None
    try:
        from nnscratch.plots import plot_cost

        plot = Path(args.out) / "optimizers_compare.png"
        plot_cost(curves, plot, every=args.window, ylabel="training loss",
                  title=f"Optimizers on {name}: same network, same start", log_scale=True)
        print(f"saved {plot}")
    except ImportError as err:
        print(f"no plot: {err}")
    return {"dataset": name, "curves": curves, "final_loss": final_loss,
            "test_accuracy": test_accuracy, "seconds": seconds, "plot": plot}


if __name__ == "__main__":
    main()
