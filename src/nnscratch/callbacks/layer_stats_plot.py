"""The picture of :class:`~nnscratch.callbacks.LayerStats`: one line per layer, over steps.

matplotlib is imported here, when a picture is drawn (``pip install 'nnscratch[plot]'``).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from .layer_stats import LayerStats


def _pyplot() -> Any:
    try:
        import matplotlib
    except ImportError:
        raise ImportError("LayerStats.plot needs matplotlib: pip install 'nnscratch[plot]'"
                          ) from None
    if "matplotlib.pyplot" not in sys.modules:
        matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def plot_layer_stats(stats: LayerStats, path: str | os.PathLike[str] | None = None) -> Any:
    """Four panels over the optimizer steps: activation std and dead-unit fraction per
    layer, gradient norm and update-to-weight ratio per weight (log scales).

    The activation panels show the layers without parameters (the activations' outputs)
    when there are any, else every layer; the gradient panels the weights (``.W``), not
    the biases. Colours run from the first layer (dark) to the last (light).

    Returns the Figure; given ``path``, saves it as PNG and closes it in pyplot.
    """
    if not stats.steps:
        raise ValueError("LayerStats.plot: nothing recorded yet; pass the callback to fit "
                         "and train at least one window")
    plt = _pyplot()
    steps = np.asarray(stats.steps)
    marker = "o" if len(steps) < 30 else ""
    fig, axes = plt.subplots(2, 2, figsize=(10, 6.5))
    panels = [
        (axes[0, 0], stats.activations, "std", "activation std", False),
        (axes[0, 1], stats.activations, "dead_fraction", "fraction of dead units", False),
        (axes[1, 0], stats.gradients, "norm", "gradient norm ||dL/dθ||", True),
        (axes[1, 1], stats.gradients, "update_ratio", "update / weight ratio", True),
    ]
    with_params = {key.rsplit(".", 1)[0] for key in stats.gradients}
    act_keys = [k for k in stats.activations if k not in with_params] or list(stats.activations)
    weight_keys = [k for k in stats.gradients if k.endswith(".W")] or list(stats.gradients)
    for ax, records, stat, title, log in panels:
        keys = act_keys if records is stats.activations else weight_keys
        colors = plt.cm.viridis(np.linspace(0.0, 0.85, max(len(keys), 1)))
        for color, key in zip(colors, keys):
            record = records[key]
            label = f"{key} {stats.layers.get(key, '')}".strip() \
                if records is stats.activations else key
            values = np.asarray(record[stat], dtype=np.float64)
            if log:
                values = np.where(values > 0, values, np.nan)
            ax.plot(steps[:len(values)], values, marker=marker, markersize=3, label=label,
                    color=color)
        if log:
            ax.set_yscale("log")
        ax.set_title(title)
        ax.set_xlabel("optimizer step")
        ax.grid(alpha=0.3)
    axes[0, 1].set_ylim(-0.02, 1.02)
    handles, labels = axes[0, 0].get_legend_handles_labels()
    axes[0, 0].legend(handles, labels, fontsize=7, loc="best")
    axes[1, 0].legend(fontsize=7, loc="best")
    fig.tight_layout()
    if path is not None:
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        fig.savefig(path, dpi=90)
        plt.close(fig)
    return fig
