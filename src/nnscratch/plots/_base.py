"""What every plot shares: pyplot on the Agg backend, a new figure or the caller's axes,
saving and releasing, whole-number epoch ticks, markers on short series, label checks."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

import numpy as np

PathLike = str | os.PathLike[str]

#: Saved pictures are drawn at this resolution: text stays readable at 100 dpi.
DPI = 110

# below this many points a curve gets markers: one or a few points drawn as a bare line
# are invisible (a 1-epoch run is a single point)
_MARKERS_BELOW = 30

#: Markers and line styles that tell curves apart once printed in grey.
MARKERS = ("o", "s", "^", "D", "v", "P", "X", "*")
LINESTYLES = ("-", "--", "-.", ":")


def pyplot() -> Any:
    """matplotlib.pyplot, on the non-interactive Agg backend unless pyplot is already up."""
    try:
        import matplotlib
    except ImportError:
        raise ImportError("plots need matplotlib: pip install 'nnscratch[plot]'") from None
    if "matplotlib.pyplot" not in sys.modules:
        matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def marker(n_points: int, i: int = 0) -> str:
    """The ``i``-th marker for a curve of ``n_points`` points, or none on a long curve."""
    return MARKERS[i % len(MARKERS)] if n_points < _MARKERS_BELOW else ""


def figure_and_axes(ax: Any, figsize: tuple[float, float]) -> tuple[Any, Any]:
    """``(figure, axes)``: the caller's axes and their figure, or a new figure."""
    if ax is not None:
        return ax.figure, ax
    return pyplot().subplots(figsize=figsize)


def finish(fig: Any, path: PathLike | None, layout: bool = True) -> Any:
    """Lay out, and when ``path`` is given save as PNG and release the figure.

    A saved figure is closed in pyplot (the returned Figure stays usable, e.g. for another
    ``savefig``), so a training script that plots every run does not pile up open
    figures; without ``path`` it stays open for ``plt.show()`` or a notebook.
    ``layout=False`` leaves the layout of a figure the caller made (``ax=``) alone.
    """
    if layout:
        fig.tight_layout()
    if path is not None:
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        fig.savefig(path, dpi=DPI)
        pyplot().close(fig)
    return fig


def whole_number_ticks(ax: Any, xs: np.ndarray) -> None:
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


def labels_of(y: Any, name: str, owner: str) -> np.ndarray:
    """Integer class labels (N,) from labels, a label column, one-hot rows or, for
    predictions, scores (N, K) (argmax) or one probability per sample (> 0.5)."""
    y = np.asarray(y)
    if y.ndim == 2 and y.shape[1] > 1:
        return y.argmax(axis=1)
    if y.ndim == 2 and y.shape[1] == 1:
        y = y[:, 0]
    if y.ndim != 1:
        raise ValueError(f"{owner}: {name} must be labels of shape (N,), (N, 1) or scores "
                         f"of shape (N, K), got shape {y.shape}")
    if np.issubdtype(y.dtype, np.floating) and np.any(np.mod(y, 1) != 0):
        return (y > 0.5).astype(np.int64)  # probabilities of the positive class
    return y.astype(np.int64)


def name_of(label: Any, class_names: Any, who: str = "plot") -> str:
    """What a class is called in a picture: its name when given, else its label.

    Raises
    ------
    ValueError
        ``class_names`` has no name for ``label`` (names ``who``, the plotting function).
    """
    if class_names is None:
        return str(label)
    try:
        return str(class_names[label if isinstance(class_names, dict) else int(label)])
    except (IndexError, KeyError, TypeError, ValueError):
        plain = label.item() if isinstance(label, np.generic) else label
        raise ValueError(f"{who}: class_names has no name for class {plain!r} "
                         f"({len(class_names)} names given)") from None


def wrap(text: str, fig: Any, fontsize: float = 10) -> str:
    """``text`` broken into lines that fit the figure's width (a title over a narrow
    grid of images would run off both sides)."""
    import textwrap

    # an average character is about half an em wide: fontsize / 2 points, 72 points an inch
    chars = max(20, int(fig.get_figwidth() * 72 / (0.55 * fontsize)))
    return "\n".join(textwrap.fill(line, chars) for line in text.split("\n"))
