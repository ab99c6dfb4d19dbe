"""Logistic regression as a single neuron: cat or not cat.

The "logistic regression with a neural network mindset" article flattens each 64×64×3
photo to 12,288 values, divides by 255, starts from w = 0 and b = 0, and runs 2,000 steps
of full-batch gradient descent (learning rate 0.005) on the cross-entropy cost of
σ(x·w + b), printing the cost every 100 iterations. It ends near 99% train and 70% test
accuracy: 209 photos are far too few for 12,289 parameters, and the model overfits.

Besides the cost curve it draws the test photos it gets wrong, and with
``--learning-rates`` the runs' cost curves side by side (the article's learning-rate
picture): too large a rate zigzags, too small a rate crawls.

    python examples/cat_classifier.py                        # the article's run + plots
    python examples/cat_classifier.py --learning-rates 0.01,0.001,0.0001   # compared
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np

import nnscratch as nn


class PrintCost(nn.Callback):
    """Print the cost every ``every`` iterations, as the article does."""

    def __init__(self, every: int = 100) -> None:
        self.every = every

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        if epoch % self.every == 0 and logs is not None:
            print(f"Cost after iteration {epoch}: {logs['loss']:f}")


def load(data_dir: str | None) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    (x_train, y_train), (x_test, y_test), _ = nn.load_cats(data_dir)
    # (N, 64, 64, 3) uint8 -> (N, 12288) in [0, 1]; labels as a (N, 1) column of 0/1
    x_train = nn.flatten(x_train).astype(np.float64) / 255.0  # (209, 12288)
    x_test = nn.flatten(x_test).astype(np.float64) / 255.0  # (50, 12288)
    return x_train, y_train.reshape(-1, 1), x_test, y_test.reshape(-1, 1)


def logistic_regression(n_features: int) -> nn.Sequential:
    """σ(x @ w + b) with w and b starting at zero, in float64 like the article's NumPy."""
    return nn.Sequential(
        nn.Dense(n_features, 1, init="zeros"),  # x (N, 12288) @ w (12288, 1) + b (1,)
        nn.Sigmoid(),
        dtype=np.float64,
    )


def train(x: np.ndarray, y: np.ndarray, iterations: int, learning_rate: float,
          print_every: int = 0) -> nn.Sequential:
    model = logistic_regression(x.shape[1])
    model.use(nn.BinaryCrossEntropy(), nn.SGD(learning_rate))
    callbacks = [PrintCost(print_every)] if print_every else []
    # batch_size=None: one gradient step on all 209 photos per "epoch" = per iteration
    return model.fit(x, y, epochs=iterations, batch_size=None, callbacks=callbacks, verbose=0)


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description="Single-neuron cat classifier")
    parser.add_argument("--data-dir", default=None,
                        help="folder with train_catvnoncat.h5 and test_catvnoncat.h5 "
                             "(default: the library's data folder)")
    parser.add_argument("--iterations", type=int, default=2000)
    parser.add_argument("--learning-rate", type=float, default=0.005)
    parser.add_argument("--learning-rates", default=None,
                        help="comma-separated rates whose cost curves are overlaid in one plot")
    parser.add_argument("--out", default="runs/examples", help="folder for the plots")
    parser.add_argument("--fast", action="store_true", help="200 iterations instead of 2,000")
    args = parser.parse_args(argv)
    iterations = 200 if args.fast else args.iterations

    try:
        x_train, y_train, x_test, y_test = load(args.data_dir)
    except (FileNotFoundError, ImportError) as err:  # no data yet, or no h5py: say what to do
        raise SystemExit(f"cat_classifier: {err} (here: --data-dir DIR)") from None
    print(f"{len(x_train)} training and {len(x_test)} test photos of "
          f"{x_train.shape[1]:,} values each; {int(y_train.sum())} training cats")

    t0 = time.perf_counter()
    model = train(x_train, y_train, iterations, args.learning_rate, print_every=100)
    seconds = time.perf_counter() - t0
    train_acc = model.evaluate(x_train, y_train)["accuracy"]
    test_acc = model.evaluate(x_test, y_test)["accuracy"]
    costs = np.array(model.history.iteration_loss)
    print(f"train accuracy: {100 * train_acc:.2f} %")
    print(f"test accuracy: {100 * test_acc:.2f} %   ({iterations} iterations, {seconds:.1f} s)")

    result: dict = {"train_accuracy": train_acc, "test_accuracy": test_acc, "costs": costs,
                    "seconds": seconds, "model": model, "plots": []}
    runs: dict[str, nn.History] = {}
    if args.learning_rates:
        for lr in (float(s) for s in args.learning_rates.split(",") if s.strip()):
            other = train(x_train, y_train, iterations, lr)
            runs[f"learning rate {lr:g}"] = other.history
            print(f"learning rate {lr:g}: final cost {other.history['loss'][-1]:.4f}, "
                  f"train {100 * other.evaluate(x_train, y_train)['accuracy']:.1f} %, "
                  f"test {100 * other.evaluate(x_test, y_test)['accuracy']:.1f} %")
    result["curves"] = {name: np.array(h["loss"]) for name, h in runs.items()}
    try:
        out = Path(args.out)
        path = out / "cat_cost.png"
        nn.plots.plot_cost(costs, path, title=f"Cat classifier, learning rate "
                                              f"{args.learning_rate:g}")
        result["plots"].append(path)
        # (N, 12288) rows are 64×64×3 photos flattened: plot_samples reshapes them back
        predicted = model.predict_classes(x_test)
        path = out / "cat_misclassified.png"
        nn.plots.plot_samples(x_test, y_test, predicted, class_names=["non-cat", "cat"],
                              only_errors=True, max_images=16, ncols=8, path=path)
        result["plots"].append(path)
        if runs:  # full batch: one epoch is one iteration
            path = out / "cat_learning_rates.png"
            nn.plots.plot_histories(runs, "loss", path, xlabel="iteration",
                                    title="Cat classifier: cost per learning rate")
            result["plots"].append(path)
        print("saved " + ", ".join(map(str, result["plots"])))
    except ImportError as err:
        print(f"no plot: {err}")
    return result


if __name__ == "__main__":
    main()
