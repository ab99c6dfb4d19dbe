"""An MLP on Fashion-MNIST: ten kinds of clothing in 28×28 greyscale.

60,000 training and 10,000 test images, the same format as MNIST but much harder to
tell apart (shirts, T-shirts, pullovers and coats). One hidden layer of 256 ReLUs, the
fused softmax + cross-entropy, mini-batches of 128 and SGD with Nesterov momentum under
a cosine learning-rate decay. scikit-learn's ``MLPClassifier`` gets about 87–88% here.

    python examples/fashion_mnist_mlp.py                 # finds the files by the default lookup
    python examples/fashion_mnist_mlp.py --data-dir DIR  # or in DIR
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np

import nnscratch as nn


def build(hidden: int, learning_rate: float, seed: int) -> nn.Sequential:
    rng = np.random.default_rng(seed)
    return nn.Sequential(
        nn.Dense(784, hidden, init="he_uniform", rng=rng),  # (N, 784) @ (784, 256)
        nn.ReLU(),
        nn.Dense(hidden, 10, rng=rng),  # (N, 10) logits; softmax is in the loss
    ).use(nn.SoftmaxCrossEntropy(), nn.SGD(learning_rate, momentum=0.9, nesterov=True))


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description="MLP on Fashion-MNIST")
    parser.add_argument("--data-dir", default=None,
                        help="folder with the four Fashion-MNIST IDX files (default: the "
                             "library's lookup: user cache, then the system dataset folder)")
    parser.add_argument("--hidden", type=int, default=256)
    parser.add_argument("--epochs", type=int, default=15)
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--lr", type=float, default=0.05)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--validation", type=int, default=0,
                        help="hold out this many training images and report accuracy on "
                             "them instead of on the test set (for tuning)")
    parser.add_argument("--out", default="runs/examples")
    parser.add_argument("--fast", action="store_true",
                        help="train on 10,000 images for 2 epochs")
    args = parser.parse_args(argv)

    (x_train, y_train), (x_test, y_test) = nn.load_fashion_mnist(args.data_dir)
    x_train = nn.flatten(x_train).astype(np.float32) / 255  # (60000, 784) in [0, 1]
    x_test = nn.flatten(x_test).astype(np.float32) / 255  # (10000, 784)
    y_train, y_test = y_train.astype(np.int64), y_test.astype(np.int64)
    if args.validation:  # tune on part of the training set; the test set stays unseen
        x_train, x_test, y_train, y_test = nn.train_test_split(
            x_train, y_train, test_size=args.validation, rng=args.seed, stratify=True)
    if args.fast:
        x_train, y_train, args.epochs = x_train[:10_000], y_train[:10_000], 2
    held_out = "validation" if args.validation else "test"
    print(f"{len(x_train):,} training and {len(x_test):,} {held_out} images")

    model = build(args.hidden, args.lr, args.seed)
    schedule = nn.schedules.CosineDecay(total=args.epochs, learning_rate=args.lr)
    t0 = time.perf_counter()
    model.fit(x_train, y_train, epochs=args.epochs, batch_size=args.batch_size,
              seed=args.seed, lr_schedule=schedule, verbose=2)
    seconds = time.perf_counter() - t0

    train = model.evaluate(x_train, y_train)
    test = model.evaluate(x_test, y_test)
    print(f"train accuracy {train['accuracy']:.4f}, {held_out} accuracy {test['accuracy']:.4f}"
          f" ({args.epochs} epochs, {seconds:.1f} s)")
    predicted = model.predict_classes(x_test)
    for k, name in enumerate(nn.data.FASHION_MNIST_CLASSES):  # the hard classes stand out
        print(f"  {name:<12} {np.mean(predicted[y_test == k] == k):.3f}")
    try:
        path = Path(args.out) / "fashion_mnist_history.png"
        model.history.plot(path, title="Fashion-MNIST MLP")
        print(f"saved {path}")
    except ImportError as err:
        print(f"no plot: {err}")
    return {"train_accuracy": train["accuracy"], "test_accuracy": test["accuracy"],
            "seconds": seconds, "n_train": len(x_train), "n_test": len(x_test),
            "model": model}


if __name__ == "__main__":
    main()
