"""Plots people would rather look at than read: cost curves and training histories.

matplotlib is an optional extra (``pip install nnscratch[plot]``), imported only here and
only when a plot is drawn, with the non-interactive Agg backend so plots work on servers.
Each function returns the matplotlib Figure and, given ``path``, saves it as a PNG.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from ._checks import check_int


def _pyplot() -> Any:
    try:
        import matplotlib
    except ImportError:
        raise ImportError("plots need matplotlib: pip install 'nnscratch[plot]'") from None
    if "matplotlib.pyplot" not in __import__("sys").modules:
        matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


# below this many points a curve gets markers: one or a few points drawn as a bare line
# are invisible (a 1-epoch run is a single point)
_MARKERS_BELOW = 30


def _marker(n_points: int) -> str:
    return "o" if n_points < _MARKERS_BELOW else ""


def _finish(fig: Any, path: str | os.PathLike[str] | None) -> Any:
    """Lay out, and when ``path`` is given save as PNG and release the figure.

    A saved figure is closed in pyplot (the returned Figure stays usable, e.g. for another
    ``savefig``), so a training script that plots every run does not pile up open
    figures; without ``path`` it stays open for ``plt.show()`` or a notebook.
    """
    fig.tight_layout()
    if path is not None:
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        fig.savefig(path, dpi=110)
        _pyplot().close(fig)
    return fig


def _whole_number_ticks(ax: Any, xs: np.ndarray) -> None:
    """Tick the x axis at whole numbers only: epochs and iterations have no halves.

    A few points get a tick each (a single point also a window around it, where
    matplotlib would zoom in to fractions); more get matplotlib's integer ticks.
    """
    from matplotlib.ticker import MaxNLocator

    if len(xs) <= 10:
        ax.set_xticks(xs)
        if len(xs) == 1:
            ax.set_xlim(xs[0] - 1, xs[0] + 1)
    else:
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))


def plot_cost(
    costs: Sequence[float] | Mapping[str, Sequence[float]],
    path: str | os.PathLike[str] | None = None,
    *,
    xlabel: str = "iteration",
    ylabel: str = "cost",
    title: str = "Cost curve",
    every: int = 1,
    log_scale: bool = False,
) -> Any:
    """The cost per iteration (or epoch), as the articles plot it.

    Parameters
    ----------
    costs : sequence of float, or dict of label to sequence
        One curve, or several overlaid (e.g. one per learning rate).
    path : path, optional
        Save the figure here as PNG.
    every : int
        The x values count ``every`` iterations per point (the articles record the cost
        every 100 iterations).
    log_scale : bool
        Logarithmic y axis.
    """
    check_int("plot_cost", "every", every, type_error=ValueError)
    curves = costs if isinstance(costs, Mapping) else {"": costs}
    if not curves or any(len(values) == 0 for values in curves.values()):
        raise ValueError("plot_cost: expected at least one non-empty curve of costs")
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(6.4, 4.2))
    for label, values in curves.items():
        ys = np.asarray(values, dtype=float)
        ax.plot(np.arange(len(ys)) * every, ys, label=label or None, linewidth=1.6,
                marker=_marker(len(ys)), markersize=4)
    longest = max(len(values) for values in curves.values())
    _whole_number_ticks(ax, np.arange(longest) * every)
    ax.set(xlabel=xlabel, ylabel=ylabel, title=title)
    if log_scale:
        ax.set_yscale("log")
    ax.grid(alpha=0.3)
    if any(curves.keys()):
        ax.legend()
    return _finish(fig, path)


def plot_history(history: Any, path: str | os.PathLike[str] | None = None,
                 title: str = "Training history") -> Any:
    """Loss and each metric per epoch, training and validation side by side.

    ``history`` is a :class:`~nnscratch.callbacks.History`, a model (its ``.history``) or a
    dict of lists like Keras' ``History.history``. Short runs get a marker on every
    epoch (a 1-epoch run is one point) and the epoch axis is ticked at whole epochs.
    """
    plt = _pyplot()
    hist = getattr(history, "history", history)
    hist = getattr(hist, "history", hist)  # a model's History -> its dict
    names = [k for k in hist if not k.startswith("val_") and k not in ("lr", "seconds")]
    if not names:
        raise ValueError("plot_history: the history holds no values; call fit() first")
    fig, axes = plt.subplots(1, len(names), figsize=(5.2 * len(names), 4.0), squeeze=False)
    for ax, name in zip(axes[0], names):
        epochs = np.arange(1, len(hist[name]) + 1)
        marker = _marker(len(epochs))
        ax.plot(epochs, hist[name], label="train", linewidth=1.6, marker=marker,
                markersize=4)
        if f"val_{name}" in hist:
            ax.plot(epochs, hist[f"val_{name}"], label="validation", linewidth=1.6,
                    marker=marker, markersize=4)
        ax.set(xlabel="epoch", ylabel=name, title=name)
        _whole_number_ticks(ax, epochs)
        ax.grid(alpha=0.3)
        ax.legend()
    fig.suptitle(title)
    return _finish(fig, path)
