"""An MLP on the 8×8 handwritten digits that ship with scikit-learn.

1,797 images of 64 pixels (0–16), 10 classes; 20% held out, stratified. One hidden layer
of 128 ReLUs, a linear output trained with the fused softmax + cross-entropy, mini-batch
SGD with momentum.

    python examples/digits_mlp.py
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import nnscratch as nn
from nnscratch.recipes import prepare


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description="MLP on the 8x8 digits")
    parser.add_argument("--epochs", type=int, default=40)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", default="runs/examples")
    parser.add_argument("--fast", action="store_true", help="(same run: it takes seconds)")
    args = parser.parse_args(argv)

    data = prepare("digits", seed=args.seed)  # pixels scaled to [0, 1], stratified split
    model = nn.Sequential(
        nn.Dense(64, 128, init="he_uniform", rng=args.seed),
        nn.ReLU(),
        nn.Dense(128, 10, rng=args.seed + 1),  # logits; softmax lives in the loss
    ).use(nn.SoftmaxCrossEntropy(), nn.SGD(learning_rate=0.02, momentum=0.9))
    print(model.summary())

    t0 = time.perf_counter()
    model.fit(data.x_train, data.y_train, epochs=args.epochs, batch_size=32, seed=args.seed,
              validation_data=(data.x_test, data.y_test), verbose=0)
    seconds = time.perf_counter() - t0
    train = model.evaluate(data.x_train, data.y_train)
    test = model.evaluate(data.x_test, data.y_test)
    print(f"train accuracy {train['accuracy']:.4f}, test accuracy {test['accuracy']:.4f} "
          f"({args.epochs} epochs, {seconds:.2f} s)")
    try:
        path = Path(args.out) / "digits_history.png"
        model.history.plot(path, title="Digits MLP")
        print(f"saved {path}")
    except ImportError as err:
        print(f"no plot: {err}")
    return {"train_accuracy": train["accuracy"], "test_accuracy": test["accuracy"],
            "seconds": seconds, "model": model}


if __name__ == "__main__":
    main()
