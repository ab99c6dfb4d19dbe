"""A small convolutional network on Fashion-MNIST (or MNIST): 28×28 greyscale images.

Two 3×3 convolutions with max pooling, then one dense layer — 20,490 weights, a tenth
of the 784-256-10 MLP's 203,530 — trained with Adam under a cosine learning-rate decay.
It beats the MLP (about 88–89% on Fashion-MNIST) because a convolution looks at
neighbouring pixels together and reuses the same small filters all over the image.

    python examples/fashion_mnist_cnn.py                       # full Fashion-MNIST
    python examples/fashion_mnist_cnn.py --dataset mnist --data-dir DIR

MNIST from a folder holding only the t10k files is split, stratified and seeded, into
8,000 training and 2,000 held-out test digits.

With other work on the machine, several BLAS threads can make training many times slower
(they wait for each other); ``--threads 1`` limits them (needs threadpoolctl).
"""

from __future__ import annotations

import argparse
import contextlib
from pathlib import Path

import numpy as np

import nnscratch as nn
from nnscratch.data import load_mnist_split, train_test_split


def build(seed: int) -> nn.Sequential:
    rng = np.random.default_rng(seed)
    return nn.Sequential(                                      # x: (N, 1, 28, 28)
        nn.Conv2D(1, 16, 3, padding=1, rng=rng), nn.ReLU(),    # (N, 16, 28, 28)
        nn.MaxPool2D(2),                                       # (N, 16, 14, 14)
        nn.Conv2D(16, 32, 3, padding=1, rng=rng), nn.ReLU(),   # (N, 32, 14, 14)
        nn.MaxPool2D(2),                                       # (N, 32, 7, 7)
        nn.Flatten(),                                          # (N, 1568)
        nn.Dense(32 * 7 * 7, 10, rng=rng),                     # (N, 10) logits
    )


def load(dataset: str, data_dir: str | None, seed: int
         ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """uint8 images (N, 28, 28) and labels: x_train, y_train, x_test, y_test."""
    if dataset == "fashion-mnist":
        (x_train, y_train), (x_test, y_test) = nn.load_fashion_mnist(data_dir)
        return x_train, y_train, x_test, y_test
    x_test, y_test = load_mnist_split("test", data_dir)
    try:
        x_train, y_train = load_mnist_split("train", data_dir)
    except OSError:  # only the t10k files: train on 8,000 of them, test on the other 2,000
        x_train, x_test, y_train, y_test = train_test_split(
            x_test, y_test, test_size=2000, rng=seed, stratify=True)
    return x_train, y_train, x_test, y_test


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description="CNN on Fashion-MNIST or MNIST")
    parser.add_argument("--dataset", default="fashion-mnist", choices=["fashion-mnist", "mnist"])
    parser.add_argument("--data-dir", default=None,
                        help="folder with the IDX files (Fashion-MNIST: default lookup)")
    parser.add_argument("--epochs", type=int, default=None,
                        help="default: 10 for both datasets")
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--lr", type=float, default=2e-3, help="Adam's peak learning rate")
    parser.add_argument("--threads", type=int, default=None,
                        help="limit the BLAS threads (e.g. 1 on a busy machine)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", default="runs/examples")
    parser.add_argument("--fast", action="store_true",
                        help="train on 4,000 images for 1 epoch, test on 2,000")
    args = parser.parse_args(argv)
    epochs = args.epochs or 10

    x_train, y_train, x_test, y_test = load(args.dataset, args.data_dir, args.seed)
    if args.fast:
        x_train, y_train, x_test, y_test = x_train[:4000], y_train[:4000], x_test[:2000], \
            y_test[:2000]
        epochs = 1
    x_train = nn.to_nchw(x_train).astype(np.float32) / 255  # (N, 1, 28, 28) in [0, 1]
    x_test = nn.to_nchw(x_test).astype(np.float32) / 255
    y_train, y_test = y_train.astype(np.int64), y_test.astype(np.int64)
    print(f"{args.dataset}: {len(x_train):,} training and {len(x_test):,} test images")

    model = build(args.seed).use(nn.SoftmaxCrossEntropy(), nn.Adam(args.lr))
    print(model.summary((1, 28, 28)))
    schedule = nn.schedules.CosineDecay(total=epochs, learning_rate=args.lr)

    limit: contextlib.AbstractContextManager = contextlib.nullcontext()
    if args.threads:
        try:
            from threadpoolctl import threadpool_limits
        except ImportError:
            parser.error("--threads needs threadpoolctl: pip install threadpoolctl "
                         "(it comes with the 'all' extra)")
        limit = threadpool_limits(args.threads, user_api="blas")
    with limit:
        model.fit(x_train, y_train, epochs=epochs, batch_size=args.batch_size,
                  seed=args.seed, lr_schedule=schedule, verbose=2)
        test = model.evaluate(x_test, y_test)
    per_epoch = model.history.seconds
    print(f"test accuracy {test['accuracy']:.4f} after {epochs} epochs; seconds per epoch: "
          + ", ".join(f"{s:.1f}" for s in per_epoch) + f" (mean {np.mean(per_epoch):.1f})")
    try:
        path = Path(args.out) / f"{args.dataset}_cnn_history.png"
        model.history.plot(path, title=f"{args.dataset} CNN")
        print(f"saved {path}")
    except ImportError as err:
        print(f"no plot: {err}")
    return {"test_accuracy": test["accuracy"], "test_loss": test["loss"], "epochs": epochs,
            "seconds_per_epoch": per_epoch, "n_train": len(x_train), "n_test": len(x_test),
            "model": model}


if __name__ == "__main__":
    main()
