"""A small CNN cross-validated by scikit-learn: ``cross_val_score`` on MNIST's t10k digits.

The network comes in through ``NNClassifier(module=small_cnn)``: scikit-learn sees rows of
784 pixels, like any estimator's X, and the network's first layer reshapes them into
28×28 images. ``module__channels`` is the builder's argument, visible to ``get_params``
and ``GridSearchCV``; every fold trains its own copy, built from ``random_state``.

    python examples/sklearn_mnist_cnn.py --data-dir DIR   # DIR holds the t10k-* files
"""

from __future__ import annotations

import argparse
import time
import warnings

import numpy as np
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import StratifiedKFold, cross_val_score

import nnscratch as nn
from nnscratch.data import load_mnist_split
from nnscratch.sklearn import NNClassifier


def small_cnn(n_outputs: int, rng: np.random.Generator, channels: int = 8) -> nn.Sequential:
    """Rows of 784 pixels → a 3×3 convolution and a 2×2 pool, twice → logits."""
    c = channels
    return nn.Sequential(                                     # x: (N, 784)
        nn.Reshape((1, 28, 28)),                              # (N, 1, 28, 28)
        nn.Conv2D(1, c, 3, padding=1, rng=rng), nn.ReLU(),    # (N, c, 28, 28)
        nn.MaxPool2D(2),                                      # (N, c, 14, 14)
        nn.Conv2D(c, 2 * c, 3, padding=1, rng=rng), nn.ReLU(),  # (N, 2c, 14, 14)
        nn.MaxPool2D(2),                                      # (N, 2c, 7, 7)
        nn.Flatten(),                                         # (N, 98c)
        nn.Dense(2 * c * 7 * 7, n_outputs, rng=rng),          # (N, 10) logits
    )


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description="cross_val_score of a CNN on MNIST t10k")
    parser.add_argument("--data-dir", default=None, help="folder with the t10k-* IDX files")
    parser.add_argument("--epochs", type=int, default=5, help="max_iter of each fold")
    parser.add_argument("--folds", type=int, default=3)
    parser.add_argument("--samples", type=int, default=10000, help="use the first N digits")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--fast", action="store_true", help="3,000 digits, 2 epochs")
    args = parser.parse_args(argv)
    samples, epochs = (3000, 2) if args.fast else (args.samples, args.epochs)

    images, labels = load_mnist_split("test", args.data_dir)
    x = images[:samples].reshape(-1, 28 * 28).astype(np.float32) / 255  # (N, 784)
    y = labels[:samples].astype(np.int64)
    clf = NNClassifier(module=small_cnn, module__channels=8, batch_size=64,
                       learning_rate_init=2e-3, max_iter=epochs, random_state=args.seed)
    folds = StratifiedKFold(args.folds, shuffle=True, random_state=args.seed)
    t0 = time.perf_counter()
    with warnings.catch_warnings():  # a few epochs on purpose: max_iter ends training
        warnings.simplefilter("ignore", ConvergenceWarning)
        scores = cross_val_score(clf, x, y, cv=folds)
    seconds = time.perf_counter() - t0
    print(f"MNIST t10k, {len(x):,} digits, {args.folds} folds, {epochs} epochs each: "
          f"accuracy {scores.mean():.4f} ± {scores.std():.4f} "
          f"({', '.join(f'{s:.4f}' for s in scores)}) in {seconds:.1f} s")
    return {"scores": scores, "seconds": seconds, "n_samples": len(x), "epochs": epochs}


if __name__ == "__main__":
    main()
