"""The classic two-layer network, built from nnscratch pieces.

The "build your own neural network" article trains this on four rows of three inputs:
4 sigmoid hidden units, a sigmoid output, no biases, weights drawn uniformly from [0, 1),
the sum-of-squares loss and 1,500 gradient steps of size 1 (its update adds
``2 (y - ŷ) σ'`` straight to the weights). Here each of those is one argument.

    python examples/two_layer_xor.py            # prints predictions, saves xor_loss.png
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

import nnscratch as nn


def build(seed: int = 1) -> nn.Sequential:
    rng = np.random.default_rng(seed)
    uniform01 = nn.init.Uniform(0.0, 1.0)  # the article's np.random.rand
    return nn.Sequential(
        nn.Dense(3, 4, bias=False, init=uniform01, rng=rng),  # x (4, 3) @ W1 (3, 4)
        nn.Sigmoid(),
        nn.Dense(4, 1, bias=False, init=uniform01, rng=rng),  # (4, 4) @ W2 (4, 1)
        nn.Sigmoid(),
    ).use(nn.SumSquaredError(), nn.SGD(learning_rate=1.0))


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--iterations", type=int, default=1500)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--out", default="runs/examples", help="folder for the loss plot")
    parser.add_argument("--fast", action="store_true", help="(same run: it takes < 1 s)")
    args = parser.parse_args(argv)

    x, y = nn.make_xor()
    model = build(args.seed)
    model.fit(x, y, epochs=args.iterations, batch_size=None, verbose=0)  # full batch
    pred = model.predict(x)
    losses = np.array(model.history.iteration_loss)

    print("input      target  prediction")
    for xi, yi, pi in zip(x, y, pred):
        print(f"{xi}  {yi[0]:.0f}       {pi[0]:.4f}")
    print(f"loss: {losses[0]:.4f} -> {losses[-1]:.6f} after {len(losses)} iterations; "
          f"monotone decrease: {bool(np.all(np.diff(losses) <= 0))}")
    plot = None
    try:
        plot = Path(args.out) / "xor_loss.png"
        nn.plots.plot_cost(losses, plot, title="Two-layer network: sum-of-squares loss")
        print(f"saved {plot}")
    except ImportError as err:
        print(f"no plot: {err}")
        plot = None
    return {"losses": losses, "predictions": pred, "targets": y, "plot": plot}


if __name__ == "__main__":
    main()
