"""TensorFlow Playground on the spirals: watch the decision boundary bend as the network
learns, for tanh against ReLU and one hidden layer against three.

Three interleaved spirals of 2-D points are the classic set a straight line cannot split.
Four small networks, trained the same way (Adam, mini-batches of 32, the same seeds),
differ only in their activation and depth; each run writes an animated GIF of its class
regions every few epochs, and at the end one picture shows the four final boundaries and
one compares their loss curves.

What to look for: with one hidden layer of 8 units, 60 epochs leave the arms' tips on the
wrong side (about 81% with tanh, 91% with ReLU); three such layers follow the arms almost
everywhere (98-99%). tanh bends its regions into smooth curves; ReLU's are made of straight
pieces (a ReLU network is piecewise linear), and each layer multiplies the pieces.

    python examples/spirals_playground.py            # 4 GIFs + 2 PNGs in runs/spirals
    python examples/spirals_playground.py --out docs/pictures   # the README's pictures
    python examples/spirals_playground.py --fast     # a few epochs, coarse frames
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np

import nnscratch as nn

ACTIVATIONS = {"tanh": nn.Tanh, "relu": nn.ReLU}


def build(activation: str, hidden_layers: int, width: int, seed: int) -> nn.Sequential:
    """2 inputs → ``hidden_layers`` × (Dense(width) + activation) → 3 logits."""
    rng = np.random.default_rng(seed)
    init = "he_uniform" if activation == "relu" else "glorot_uniform"
    layers: list[nn.Layer] = []
    fan_in = 2
    for _ in range(hidden_layers):
        layers += [nn.Dense(fan_in, width, init=init, rng=rng), ACTIVATIONS[activation]()]
        fan_in = width
    layers.append(nn.Dense(fan_in, 3, rng=rng))  # (N, 3) logits; softmax is in the loss
    return nn.Sequential(layers).use(nn.SoftmaxCrossEntropy(), nn.Adam(0.01))


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description="Decision boundaries on the spirals")
    parser.add_argument("--epochs", type=int, default=60)
    parser.add_argument("--every", type=int, default=3, help="a GIF frame every N epochs")
    parser.add_argument("--width", type=int, default=8, help="units per hidden layer")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", default="runs/spirals")
    parser.add_argument("--fast", action="store_true", help="6 epochs, coarse frames")
    args = parser.parse_args(argv)
    resolution = 100
    if args.fast:
        args.epochs, args.every, resolution = 6, 3, 24

    # data: x (300, 2) points, y (300,) labels 0..2, 100 per spiral arm
    x, y = nn.make_spirals(100, n_classes=3, noise=0.15, rng=args.seed)
    out = Path(args.out)
    runs: dict[str, nn.Sequential] = {}
    result: dict = {"accuracy": {}, "gifs": [], "plots": []}
    for activation in ("tanh", "relu"):
        for depth in (1, 3):
            name = f"{activation}, {depth} hidden layer{'s' if depth > 1 else ''}"
            model = build(activation, depth, args.width, args.seed)
            gif = out / f"spirals_{activation}_{depth}.gif"
            movie = nn.callbacks.DecisionBoundaryAnimation(
                x, y, gif, every=args.every, resolution=resolution, dpi=64,
                figsize=(4.2, 3.6))
            t0 = time.perf_counter()
            model.fit(x, y, epochs=args.epochs, batch_size=32, seed=args.seed, verbose=0,
                      callbacks=[movie])
            accuracy = model.evaluate(x, y)["accuracy"]
            print(f"{name:<24} accuracy {100 * accuracy:5.1f} %  loss "
                  f"{model.history['loss'][-1]:.3f}  ({movie.frames} frames, "
                  f"{time.perf_counter() - t0:.1f} s) -> {gif}")
            runs[name] = model
            result["accuracy"][name] = accuracy
            result["gifs"].append(gif)

    import matplotlib  # the plot extra

    matplotlib.use("Agg")  # pictures go to files; no window
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(2, 2, figsize=(9, 7.6))
    for ax, (name, model) in zip(axes.flat, runs.items()):
        nn.plots.plot_decision_boundary(model, x, y, ax=ax, resolution=resolution,
                                        title=f"{name}: {100 * result['accuracy'][name]:.0f} %")
    fig.suptitle(f"Spirals after {args.epochs} epochs: tanh vs ReLU, 1 vs 3 hidden layers")
    fig.tight_layout()
    path = out / "spirals_boundaries.png"
    fig.savefig(path, dpi=90)
    plt.close(fig)
    result["plots"].append(path)
    path = out / "spirals_loss.png"
    nn.plots.plot_histories(runs, "loss", path, title="Spirals: training loss per epoch")
    result["plots"].append(path)
    print("saved " + ", ".join(map(str, result["plots"])))
    result["models"] = runs
    return result


if __name__ == "__main__":
    main()
