"""See inside an MNIST network: what its first layer looks for, which digits it gets
wrong, which it confuses, and its architecture, as pictures.

A 784 → 128 → 10 network (ReLU, softmax in the loss) trains for 15 epochs on 8,000 of
MNIST's 10,000 ``t10k`` digits (the split ``examples/mnist_mlp.py`` makes offline) and is
tested on the other 2,000 (about 96% right: 81 misclassified). Then:

- each hidden unit's 784 incoming weights, shown as a 28×28 image: the stroke and blob
  detectors the first layer learned (a little weight decay keeps them smooth enough to
  read: without it, pixels that are always 0 keep their random initial weights). The few
  tiles of pure noise are dead ReLUs: no digit switches them on, so no gradient ever
  reached their weights, and they still hold their random start;
- the misclassified test digits, captioned "true → predicted";
- the confusion matrix on the test digits;
- the network as a drawing: a box per layer with its output shape and parameters.

    python examples/see_inside_mnist.py --data-dir DIR     # DIR with the MNIST files
    python examples/see_inside_mnist.py --out docs/pictures  # the README's pictures
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

import nnscratch as nn
from nnscratch.recipes import prepare


def build(hidden: int, seed: int) -> nn.Sequential:
    rng = np.random.default_rng(seed)
    return nn.Sequential(
        nn.Dense(784, hidden, init="he_uniform", rng=rng),  # W (784, hidden): one image per unit
        nn.ReLU(),
        nn.Dense(hidden, 10, rng=rng),  # (N, 10) logits; softmax is in the loss
    ).use(nn.SoftmaxCrossEntropy(), nn.SGD(0.05, momentum=0.9, weight_decay=2e-3))


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description="Pictures of what an MNIST MLP learned")
    parser.add_argument("--data-dir", default=None,
                        help="folder with the MNIST IDX files (the t10k files suffice)")
    parser.add_argument("--hidden", type=int, default=128)
    parser.add_argument("--epochs", type=int, default=15)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", default="runs/see_inside_mnist")
    parser.add_argument("--fast", action="store_true", help="2 epochs")
    args = parser.parse_args(argv)
    if args.fast:
        args.epochs = 2

    # data: x (N, 784) float32 in [0, 1], y (N,) labels 0..9
    data = prepare("mnist", args.data_dir, seed=args.seed)
    if data.note:
        print(f"note: {data.note}", file=sys.stderr)
    x_train, y_train, x_test, y_test = data.x_train, data.y_train, data.x_test, data.y_test
    print(f"{len(x_train):,} training and {len(x_test):,} test digits")

    model = build(args.hidden, args.seed)
    t0 = time.perf_counter()
    model.fit(x_train, y_train, epochs=args.epochs, batch_size=64, seed=args.seed, verbose=0,
              validation_data=(x_test, y_test))
    seconds = time.perf_counter() - t0
    accuracy = model.evaluate(x_test, y_test)["accuracy"]
    predicted = model.predict_classes(x_test)  # (N,) labels
    wrong = int(np.sum(predicted != y_test))
    print(f"test accuracy {100 * accuracy:.2f} %: {wrong} of {len(y_test):,} test digits "
          f"misclassified ({args.epochs} epochs, {seconds:.1f} s)")
    cm = nn.metrics.confusion_matrix(y_test, predicted, num_classes=10)
    off = cm - np.diag(np.diag(cm))
    true, pred = np.unravel_index(off.argmax(), off.shape)
    print(f"most confused: {off[true, pred]} {true}s read as {pred}")

    out = Path(args.out)
    plots = {
        "weights": nn.plots.plot_weights(
            model.layers[0], max_images=64, path=out / "mnist_weights.png",
            title=f"First layer: weights into 64 of its {args.hidden} units "
                  "(black < 0 < white)"),
        "misclassified": nn.plots.plot_samples(
            x_test, y_test, predicted, only_errors=True, max_images=24, ncols=8,
            path=out / "mnist_misclassified.png",
            title=f"{wrong} of {len(y_test):,} test digits misclassified: the first 24 "
                  "(true → predicted)"),
        "confusion": nn.plots.plot_confusion_matrix(
            y_test, predicted, path=out / "mnist_confusion.png"),
        "model": nn.plots.plot_model(model, path=out / "mnist_model.png"),
    }
    paths = [out / f"mnist_{name}.png" for name in plots]
    print("saved " + ", ".join(map(str, paths)))
    return {"test_accuracy": accuracy, "misclassified": wrong, "confusion": cm,
            "most_confused": (int(true), int(pred)), "paths": paths, "model": model,
            "seconds": seconds, "n_train": len(x_train), "n_test": len(x_test)}


if __name__ == "__main__":
    main()
