"""The layer-by-layer network: add, use, fit, predict.

The "neural network from scratch in Python" article builds its network one layer at a
time — fully connected layers, each followed by its own tanh activation layer — trains
it with the mean squared error against one-hot targets, one sample per gradient step, on
only the first 1,000 MNIST training images (784-100-50-10, 35 epochs, learning rate 0.1),
and still gets most digits right. Here the same network is written with method chaining,
then trained again with a softmax output and the cross-entropy loss, which suits class
probabilities better than squared error on tanh outputs. Accuracy is measured on held-out
images the network never saw (the 10,000 test images, or 2,000 of them offline).

    python examples/mnist_tanh_network.py --data-dir DIR   # DIR: MNIST files (t10k is enough)
"""

from __future__ import annotations

import argparse
import sys
import time

import numpy as np

import nnscratch as nn
from nnscratch.recipes import prepare


def tanh_network(seed: int) -> nn.Sequential:
    rng = np.random.default_rng(seed)
    return (nn.Sequential()
            .add(nn.Dense(28 * 28, 100, rng=rng))  # (1, 784) @ (784, 100)
            .add(nn.Tanh())
            .add(nn.Dense(100, 50, rng=rng))
            .add(nn.Tanh())
            .add(nn.Dense(50, 10, rng=rng))
            .add(nn.Tanh())  # ten outputs in (-1, 1), fitted to the one-hot rows
            .use(nn.MSE(), nn.SGD(0.1)))


def softmax_network(seed: int) -> nn.Sequential:
    rng = np.random.default_rng(seed)
    return (nn.Sequential()
            .add(nn.Dense(28 * 28, 100, rng=rng))
            .add(nn.Tanh())
            .add(nn.Dense(100, 50, rng=rng))
            .add(nn.Tanh())
            .add(nn.Dense(50, 10, rng=rng))
            .add(nn.Softmax())  # ten probabilities summing to 1
            # MSE over ten outputs scales its gradient by 2/10; cross-entropy does not, so
            # the same step size is 0.1 × 2/10 (0.1 itself makes per-sample steps diverge)
            .use(nn.CategoricalCrossEntropy(), nn.SGD(0.02)))


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description="Tanh network built layer by layer")
    parser.add_argument("--data-dir", default=None,
                        help="folder with the MNIST IDX files; with only the t10k files the "
                             "10,000 test images are split 8,000 / 2,000 "
                             "(default: the library's data folder)")
    parser.add_argument("--samples", type=int, default=1000, help="training images used")
    parser.add_argument("--epochs", type=int, default=35)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--fast", action="store_true", help="3 epochs instead of 35")
    args = parser.parse_args(argv)
    epochs = 3 if args.fast else args.epochs

    data = prepare("mnist", args.data_dir, seed=args.seed)  # (N, 784) in [0, 1]
    if data.note:
        print(f"note: {data.note}", file=sys.stderr)
    x_train, y_train = data.x_train[: args.samples], data.y_train[: args.samples]
    targets = nn.one_hot(y_train, 10)  # (1000, 10), the article's to_categorical
    print(f"training on {len(x_train)} images, testing on {len(data.x_test)} held-out images")

    results: dict = {}
    for name, build in (("tanh + MSE", tanh_network), ("softmax + cross-entropy",
                                                       softmax_network)):
        t0 = time.perf_counter()
        model = build(args.seed).fit(x_train, targets, epochs=epochs, batch_size=1,
                                     seed=args.seed, verbose=0)  # one sample per step
        seconds = time.perf_counter() - t0
        train_acc = model.evaluate(x_train, targets)["accuracy"]
        test_acc = model.evaluate(data.x_test, nn.one_hot(data.y_test, 10))["accuracy"]
        print(f"{name:<24} train accuracy {train_acc:.4f}   test accuracy {test_acc:.4f}   "
              f"({epochs} epochs, {seconds:.1f} s)")
        print(f"{'':<24} first test digits {data.y_test[:5].tolist()} predicted as "
              f"{model.predict_classes(data.x_test[:5]).tolist()}")
        results[name] = {"train_accuracy": train_acc, "test_accuracy": test_acc,
                         "seconds": seconds, "losses": model.history["loss"]}
    return results


if __name__ == "__main__":
    main()
