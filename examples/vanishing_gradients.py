"""Vanishing gradients, seen by LayerStats: a deep sigmoid network beside a ReLU one.

Two networks of the same shape — 2 inputs, 8 hidden layers of 32 units, 3 outputs — on
three interleaved spirals, trained with the same optimizer (plain SGD, η = 0.1), batches and epochs:

* sigmoid activations with Glorot initialisation: each layer multiplies the gradient by
  σ'(x) ≤ 1/4 on its way down, so the first layer's gradient is 1e-5 of the last's.
  :class:`~nnscratch.callbacks.LayerStats` says so in words, and the network barely
  learns;
* ReLU with He initialisation: ReLU's derivative is 1 where the unit is active and He's
  variance keeps the signal's size from layer to layer, so the gradient arrives at the
  first layer about as large as it left the last. No warning; the spirals are learned.

    python examples/vanishing_gradients.py               # 30 epochs, pictures in runs/
    python examples/vanishing_gradients.py --fast        # 10 epochs
"""

from __future__ import annotations

import argparse
import warnings
from pathlib import Path

import numpy as np

import nnscratch as nn
from nnscratch.callbacks import LayerStats, LayerStatsWarning

DEPTH, WIDTH = 8, 32


def build(activation: str, init: str, seed: int) -> nn.Sequential:
    """2 → 8 × 32 → 3: a Dense layer and ``activation`` per hidden layer, then logits."""
    rng = np.random.default_rng(seed)
    layers: list[nn.Layer] = []
    width = 2
    for _ in range(DEPTH):
        layers += [nn.Dense(width, WIDTH, init=init, rng=rng), nn.get_activation(activation)]
        width = WIDTH
    layers.append(nn.Dense(width, 3, rng=rng))  # (N, 3) logits
    return nn.Sequential(layers).use(nn.SoftmaxCrossEntropy(), nn.SGD(0.1))


def train(activation: str, init: str, data: tuple, epochs: int, seed: int
          ) -> tuple[nn.Sequential, LayerStats, list[str]]:
    """Fit one network with a LayerStats; returns it, the stats and the warnings' text."""
    x, y = data
    model, stats = build(activation, init, seed), LayerStats()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", LayerStatsWarning)
        model.fit(x, y, epochs=epochs, batch_size=32, seed=seed, verbose=0,
                  callbacks=[stats])
    said = [str(w.message) for w in caught if issubclass(w.category, LayerStatsWarning)]
    return model, stats, said


def weight_grad_norms(stats: LayerStats) -> np.ndarray:
    """The last window's gradient norm of each Dense layer's W, first layer first."""
    return np.array([record["norm"][-1] for key, record in stats.gradients.items()
                     if key.endswith(".W")])


def plot(runs: dict[str, tuple], path: Path) -> None:
    """Gradient norm by depth (log scale) and the training loss, both networks."""
    from nnscratch.callbacks.layer_stats_plot import _pyplot

    plt = _pyplot()
    fig, (left, right) = plt.subplots(1, 2, figsize=(9, 3.4))
    for name, (model, stats, _) in runs.items():
        norms = weight_grad_norms(stats)
        left.plot(np.arange(1, len(norms) + 1), norms, marker="o", label=name)
        right.plot(np.arange(1, len(model.history) + 1), model.history["loss"], label=name)
    left.set_yscale("log")
    left.set_xlabel("Dense layer (1 = first, next to the input)")
    left.set_title("gradient norm ||dL/dW||, last epoch")
    right.set_xlabel("epoch")
    right.set_title("training loss")
    for ax in (left, right):
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=80)
    plt.close(fig)


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description="Vanishing gradients seen by LayerStats")
    parser.add_argument("--epochs", type=int, default=30)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", default="runs/examples")
    parser.add_argument("--fast", action="store_true", help="10 epochs")
    args = parser.parse_args(argv)
    if args.fast:
        args.epochs = 10

    # data: x (600, 2) points on three spiral arms, y (600,) labels 0..2
    data = nn.make_spirals(200, 3, noise=0.2, rng=args.seed)
    runs = {
        "sigmoid, Glorot": train("sigmoid", "glorot_uniform", data, args.epochs, args.seed),
        "ReLU, He": train("relu", "he_normal", data, args.epochs, args.seed),
    }
    result: dict = {}
    for name, (model, stats, said) in runs.items():
        norms = weight_grad_norms(stats)
        accuracy = model.evaluate(*data)["accuracy"]
        print(f"{name}: accuracy {accuracy:.3f}; gradient norm first/last layer "
              f"{norms[0]:.2e} / {norms[-1]:.2e} (ratio {norms[0] / max(norms[-1], 1e-30):.1e})")
        for message in said:
            print(f"  warning: {message}")
        if not said:
            print("  no LayerStats warning")
        key = name.split(",")[0].lower()
        result[key] = {"accuracy": accuracy, "warnings": said, "grad_norms": norms,
                       "stats": stats}
    try:
        out = Path(args.out)
        plot(runs, out / "vanishing_gradients.png")
        for name, (_, stats, _) in runs.items():
            stats.plot(out / f"layer_stats_{name.split(',')[0].lower()}.png")
        print(f"saved {out / 'vanishing_gradients.png'} and the LayerStats plots beside it")
    except ImportError as err:
        print(f"no plot: {err}")
    return result


if __name__ == "__main__":
    main()
