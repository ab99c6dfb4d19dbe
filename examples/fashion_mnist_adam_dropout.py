"""Fashion-MNIST with the modern recipe: ReLU MLP, Adam, Dropout and early stopping.

784 → 256 → 128 → 10 with ReLU and Dropout(0.2) after each hidden layer, the fused
softmax + cross-entropy, Adam (η = 1e-3, decayed to 0 along a cosine over the 20 epochs)
on mini-batches of 128. The last 10% of the training images are held out
(``validation_split``, taken before shuffling as Keras does) and ``EarlyStopping``
watches their loss, stopping after 5 epochs without improvement and putting back the
best epoch's weights. The test set is used once, at the end: 89.4–89.6% accuracy over
seeds 0–4 (scikit-learn's ``MLPClassifier`` gets 87–88%, and without the decay this
network stops early at about 88%). A patience of 4 is too short here: seed 0's
validation loss stalls for four epochs (7–11) while the rate is still high, and stopping
there leaves 88.2%. An epoch takes 4–5 s on a machine that is not busy.

    python examples/fashion_mnist_adam_dropout.py            # the full run
    python examples/fashion_mnist_adam_dropout.py --fast     # a 5-epoch smoke run

``--fast`` trains on the 8×8 digits (or on 6,000 Fashion-MNIST images when scikit-learn,
which ships the digits, is absent).
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np

import nnscratch as nn
from nnscratch.callbacks import EarlyStopping


def load(data_dir: str | None, fast: bool, seed: int) -> tuple[str, tuple, tuple]:
    """(name, (x_train, y_train), (x_test, y_test)) with pixels in [0, 1].

    The full run needs Fashion-MNIST. ``fast`` takes the digits (they train in a blink),
    or the first 6,000 Fashion-MNIST images without scikit-learn.
    """
    if fast:
        try:
            x, y = nn.load_digits()  # (1797, 64) pixels 0-16
        except ImportError:
            pass
        else:
            x_train, x_test, y_train, y_test = nn.train_test_split(
                x / 16, y, test_size=0.2, rng=seed, stratify=True)
            return "digits", (x_train, y_train), (x_test, y_test)
    (x_train, y_train), (x_test, y_test) = nn.load_fashion_mnist(data_dir, download=False)
    if fast:
        x_train, y_train = x_train[:6000], y_train[:6000]
    x_train = nn.flatten(x_train).astype(np.float32) / 255  # (60000, 784)
    x_test = nn.flatten(x_test).astype(np.float32) / 255  # (10000, 784)
    return "fashion-mnist", (x_train, y_train.astype(np.int64)), (x_test, y_test.astype(np.int64))


def build(n_inputs: int, hidden: list[int], dropout: float, learning_rate: float,
          seed: int) -> nn.Sequential:
    rng = np.random.default_rng(seed)  # one generator: weights, then dropout masks
    layers: list[nn.Layer] = []
    width = n_inputs
    for h in hidden:
        layers += [nn.Dense(width, h, init="he_uniform", rng=rng), nn.ReLU(),
                   nn.Dropout(dropout, rng=rng)]
        width = h
    layers.append(nn.Dense(width, 10, rng=rng))  # (N, 10) logits; softmax is in the loss
    return nn.Sequential(layers).use(nn.SoftmaxCrossEntropy(), nn.Adam(learning_rate))


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description="Fashion-MNIST MLP with Adam, Dropout and "
                                                 "early stopping")
    parser.add_argument("--data-dir", default=None,
                        help="folder with the four Fashion-MNIST IDX files (default: the "
                             "library's lookup: user cache, then the system dataset folder)")
    parser.add_argument("--hidden", type=int, nargs="+", default=[256, 128])
    parser.add_argument("--dropout", type=float, default=0.2)
    parser.add_argument("--lr", type=float, default=1e-3)
    parser.add_argument("--epochs", type=int, default=20)
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--patience", type=int, default=5)
    parser.add_argument("--schedule", choices=["cosine", "constant"], default="cosine",
                        help="learning rate over the epochs: a cosine decay to 0, or fixed")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", default="runs/examples")
    parser.add_argument("--verbose", type=int, default=2)
    parser.add_argument("--fast", action="store_true",
                        help="5 epochs on the digits (or on 6,000 Fashion-MNIST images)")
    args = parser.parse_args(argv)

    name, (x_train, y_train), (x_test, y_test) = load(args.data_dir, args.fast, args.seed)
    if args.fast:
        args.epochs = 5
    print(f"{name}: {len(x_train):,} training images (the last 10% for validation), "
          f"{len(x_test):,} test images")

    model = build(x_train.shape[1], args.hidden, args.dropout, args.lr, args.seed)
    stop = EarlyStopping(monitor="val_loss", patience=args.patience,
                         restore_best_weights=True)
    schedule = nn.schedules.CosineDecay(total=args.epochs) if args.schedule == "cosine" \
        else None
    t0 = time.perf_counter()
    model.fit(x_train, y_train, epochs=args.epochs, batch_size=args.batch_size,
              seed=args.seed, validation_split=0.1, callbacks=[stop], lr_schedule=schedule,
              verbose=args.verbose)
    seconds = time.perf_counter() - t0
    test = model.evaluate(x_test, y_test)
    epochs_run = len(model.history.epoch)
    print(f"test accuracy {test['accuracy']:.4f} (loss {test['loss']:.4f}) after "
          f"{epochs_run} epochs, best epoch {stop.best_epoch + 1}, {seconds:.1f} s")
    plot = None
    try:
        plot = Path(args.out) / "fashion_mnist_adam_dropout.png"
        model.history.plot(plot, title="Fashion-MNIST: Adam + Dropout + early stopping")
        print(f"saved {plot}")
    except ImportError as err:
        print(f"no plot: {err}")
        plot = None
    return {"dataset": name, "test_accuracy": test["accuracy"], "test_loss": test["loss"],
            "epochs_run": epochs_run, "best_epoch": stop.best_epoch, "seconds": seconds,
            "history": model.history, "model": model, "plot": plot}


if __name__ == "__main__":
    main()
