"""Curves over training: the cost per iteration, one run's history, several runs side by
side."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from .._checks import check_int
from ._base import LINESTYLES, PathLike, figure_and_axes, finish, marker, pyplot, whole_number_ticks


def plot_cost(
    costs: Sequence[float] | Mapping[str, Sequence[float]],
    path: PathLike | None = None,
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
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(6.4, 4.2))
    for label, values in curves.items():
        ys = np.asarray(values, dtype=float)
        ax.plot(np.arange(len(ys)) * every, ys, label=label or None, linewidth=1.6,
                marker=marker(len(ys)), markersize=4)
    longest = max(len(values) for values in curves.values())
    whole_number_ticks(ax, np.arange(longest) * every)
    ax.set(xlabel=xlabel, ylabel=ylabel, title=title)
    if log_scale:
        ax.set_yscale("log")
    ax.grid(alpha=0.3)
    if any(curves.keys()):
        ax.legend()
    return finish(fig, path)


def plot_history(history: Any, path: PathLike | None = None,
                 title: str = "Training history") -> Any:
    """Loss and each metric per epoch, training and validation side by side.

    ``history`` is a :class:`~nnscratch.callbacks.History`, a model (its ``.history``) or a
    dict of lists like Keras' ``History.history``. Short runs get a marker on every
    epoch (a 1-epoch run is one point) and the epoch axis is ticked at whole epochs.
    """
    plt = pyplot()
    hist = _history_dict(history)
    names = [k for k in hist if not k.startswith("val_") and k not in ("lr", "seconds")]
    if not names:
        raise ValueError("plot_history: the history holds no values; call fit() first")
    fig, axes = plt.subplots(1, len(names), figsize=(5.2 * len(names), 4.0), squeeze=False)
    for ax, name in zip(axes[0], names):
        epochs = np.arange(1, len(hist[name]) + 1)
        mark = marker(len(epochs))
        ax.plot(epochs, hist[name], label="train", linewidth=1.6, marker=mark,
                markersize=4)
        if f"val_{name}" in hist:
            ax.plot(epochs, hist[f"val_{name}"], label="validation", linewidth=1.6,
                    marker=mark, markersize=4)
        ax.set(xlabel="epoch", ylabel=name, title=name)
        whole_number_ticks(ax, epochs)
        ax.grid(alpha=0.3)
        ax.legend()
    fig.suptitle(title)
    return finish(fig, path)


def plot_histories(histories: Mapping[str, Any], metric: str = "loss",
                   path: PathLike | None = None, ax: Any = None, *,
                   validation: bool | None = None, title: str | None = None,
                   xlabel: str = "epoch", log_scale: bool = False) -> Any:
    """Several runs' ``metric`` per epoch on one set of axes: learning rates, optimizers,
    activations side by side, the comparison every article draws by hand.

    Parameters
    ----------
    histories : dict of str to History, model or dict of lists
        The runs by the name shown in the legend: ``{"lr=0.1": h1, "lr=0.01": h2}``.
    metric : str
        A key of every history: ``"loss"``, ``"accuracy"``, ``"val_loss"``, ...
    path : path, optional
        Save the figure here as PNG (and close it in pyplot).
    ax : matplotlib Axes, optional
        Draw here instead of on a new figure.
    validation : bool, optional
        Also draw ``val_<metric>`` as a dashed curve in the run's colour. By default,
        when every run has it.
    title : str, optional
        Defaults to ``"<metric> per <xlabel>"``.
    xlabel : str
        What one step along x is: ``"iteration"`` for full-batch runs, where each epoch
        is one gradient step.
    log_scale : bool
        Logarithmic y axis (losses that span decades).

    Returns
    -------
    matplotlib Figure

    Raises
    ------
    ValueError
        No runs, or a run without ``metric`` (names the run and what it has).
    """
    runs = {name: _history_dict(h) for name, h in histories.items()}
    if not runs:
        raise ValueError("plot_histories: expected at least one run, got an empty dict")
    for name, hist in runs.items():
        if not hist.get(metric):
            raise ValueError(f"plot_histories: run {name!r} has no {metric!r} values; "
                             f"it has {sorted(k for k in hist if hist[k])}")
    val = f"val_{metric}"
    if validation is None:
        validation = not metric.startswith("val_") and all(val in h for h in runs.values())
    elif validation:
        missing = [name for name, h in runs.items() if val not in h]
        if missing:
            raise ValueError(f"plot_histories: validation=True but run {missing[0]!r} has "
                             f"no {val!r} values (pass validation data to fit)")
    fig, ax = figure_and_axes(ax, (6.4, 4.2))
    longest = 0
    for i, (name, hist) in enumerate(runs.items()):
        epochs = np.arange(1, len(hist[metric]) + 1)
        longest = max(longest, len(epochs))
        (line,) = ax.plot(epochs, hist[metric], label=name, linewidth=1.6, markersize=4,
                          marker=marker(len(epochs), i),
                          linestyle=LINESTYLES[i % len(LINESTYLES)] if not validation else "-")
        if validation:
            ax.plot(epochs, hist[val], label=f"{name} (validation)", linewidth=1.4,
                    markersize=4, marker=marker(len(epochs), i), linestyle="--",
                    color=line.get_color(), markerfacecolor="white")
    whole_number_ticks(ax, np.arange(1, longest + 1))
    ax.set(xlabel=xlabel, ylabel=metric, title=title or f"{metric} per {xlabel}")
    if log_scale:
        ax.set_yscale("log")
    ax.grid(alpha=0.3)
    ax.legend()
    return finish(fig, path, layout=fig.axes == [ax])


def _history_dict(history: Any) -> Mapping[str, list[float]]:
    """The dict of lists inside a model, a History or the dict itself."""
    hist = getattr(history, "history", history)
    hist = getattr(hist, "history", hist)  # a model's History -> its dict
    if not isinstance(hist, Mapping):
        raise TypeError(f"expected a History, a model or a dict of lists, got "
                        f"{type(history).__name__}")
    return hist
