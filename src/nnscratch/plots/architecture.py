"""The architecture as a drawing: one box per layer, with its output shape and parameter
count, drawn by matplotlib alone (no Graphviz binary to install)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ..layers.base import implied_input_shape
from ._base import PathLike, figure_and_axes, finish

# fills by what a layer does; their lightness differs, so they stay apart in grey print
_FILL_TRAINED = "#9ecae1"  # layers with parameters
_FILL_PLAIN = "#f0f0f0"  # activations, pooling, reshaping, dropout
_FILL_INPUT = "#ffffff"
#: Characters of a layer's repr that fit beside its shape in a box.
_NAME_FITS = 40


def _shape_text(shape: Sequence[int | None] | None) -> str:
    if shape is None:
        return "?"
    return "(N, " + ", ".join("?" if d is None else str(d) for d in shape) + ")"


def layer_rows(model: Any, input_shape: Sequence[int] | None = None
               ) -> list[tuple[str, str, int]]:
    """``(layer, output shape, parameter count)`` per layer, after an ``Input`` row: what
    :meth:`Sequential.summary` lists, for drawing."""
    shape = tuple(input_shape) if input_shape else model.input_shape
    if shape is None and model.layers:
        shape = implied_input_shape(model.layers[0])
    rows = [("Input", _shape_text(shape), 0)]
    for layer in model.layers:
        if shape is not None:
            try:
                shape = layer.output_shape(shape)
            except ValueError:
                shape = None
        rows.append((repr(layer), _shape_text(shape),
                     sum(p.size for p in layer.parameters())))
    return rows


def plot_model(model: Any, input_shape: Sequence[int] | None = None,
               path: PathLike | None = None, ax: Any = None, *,
               title: str | None = None) -> Any:
    """The network as a column of boxes, input at the top: each box names its layer, the
    shape of what it outputs and how many parameters it trains; arrows show the data
    flowing down.

    Parameters
    ----------
    model : Sequential or Network
    input_shape : tuple, optional
        The per-sample input shape, e.g. ``(1, 28, 28)``; by default the one ``fit``
        recorded, or what the first layer implies.
    path : path, optional
        Save the figure here as PNG (and close it in pyplot).
    ax : matplotlib Axes, optional
        Draw here instead of on a new figure.
    title : str, optional
        Defaults to the class name and the total parameter count.

    Returns
    -------
    matplotlib Figure
    """
    rows = layer_rows(model, input_shape)
    n = len(rows)
    fig, ax = figure_and_axes(ax, (5.6, 0.62 * n + 0.9))
    box_h, gap = 0.62, 0.38  # in row units: box height and the arrow between boxes
    for k, (name, shape, count) in enumerate(rows):
        y = -k
        fill = _FILL_INPUT if k == 0 else _FILL_TRAINED if count else _FILL_PLAIN
        ax.add_patch(_box(y, box_h, fill, dashed=k == 0))
        if len(name) > _NAME_FITS:  # the rest of a long repr is in model.summary()
            name = name[:_NAME_FITS - 2] + "…)"
        ax.text(-0.47, y, name, ha="left", va="center", fontsize=8.5,
                fontweight="bold" if count else "normal", family="monospace")
        ax.text(0.47, y + 0.12, shape, ha="right", va="center", fontsize=8)
        if k:
            ax.text(0.47, y - 0.15, f"{count:,} params" if count else "no parameters",
                    ha="right", va="center", fontsize=7.5, color="#404040")
            ax.annotate("", xy=(0, y + box_h / 2), xytext=(0, y + box_h / 2 + gap),
                        arrowprops={"arrowstyle": "-|>", "color": "#404040", "lw": 1.2})
    ax.set_xlim(-0.52, 0.52)
    ax.set_ylim(-(n - 1) - 0.5, 0.5)
    ax.set_axis_off()
    total = sum(count for _, _, count in rows)
    ax.set_title(title or f"{type(model).__name__}: {len(rows) - 1} layers, "
                          f"{total:,} parameters", fontsize=10)
    return finish(fig, path, layout=fig.axes == [ax])


def _box(y: float, height: float, fill: str, dashed: bool) -> Any:
    from matplotlib.patches import FancyBboxPatch

    return FancyBboxPatch((-0.49, y - height / 2), 0.98, height,
                          boxstyle="round,pad=0,rounding_size=0.08", facecolor=fill,
                          edgecolor="#404040", linewidth=1.0,
                          linestyle="--" if dashed else "-", mutation_aspect=1)
