"""What a model does to the plane: class regions (or a regression surface) of a model on
2-D inputs, with the points, as TensorFlow Playground draws it. The drawing is split into
a part computed per model state and a part drawn once, so that
:class:`~nnscratch.callbacks.DecisionBoundaryAnimation` can redraw it every few epochs."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from .._checks import check_int
from ..metrics import predicted_labels
from ._base import MARKERS, PathLike, figure_and_axes, finish, labels_of, name_of

_PAD = 0.1  # the plane shown reaches this fraction of the data's range past the points


@dataclass
class Boundary:
    """The picture's fixed parts: the grid the model is evaluated on, and what it shows.

    ``kind`` is ``"classes"`` (K > 1 outputs: the argmax's region), ``"probability"``
    (one output, 0/1 targets: p(class 1), with the p = 0.5 line) or ``"regression"``
    (one output, other targets: the output's value).
    """

    x: np.ndarray  # (N, 2) the points
    y: np.ndarray  # (N,) their labels or targets
    kind: str
    n_classes: int
    extent: tuple[float, float, float, float]  # x₁ from, to, x₂ from, to
    grid: np.ndarray  # (R·R, 2) in the model's dtype, row by row from the bottom
    resolution: int

    @classmethod
    def of(cls, model: Any, x: Any, y: Any, resolution: int, owner: str) -> Boundary:
        check_int(owner, "resolution", resolution, minimum=2, type_error=ValueError)
        x = np.asarray(x)
        if x.ndim != 2 or x.shape[1] != 2:
            raise ValueError(f"{owner}: expected 2-D points x of shape (N, 2), got "
                             f"{x.shape}; the boundary is drawn in the plane of two inputs")
        y = np.asarray(y)
        if len(y) != len(x):
            raise ValueError(f"{owner}: x has {len(x)} points, y has {len(y)} values")
        lo, hi = x.min(axis=0), x.max(axis=0)
        pad = _PAD * np.where(hi > lo, hi - lo, 1.0)
        lo, hi = lo - pad, hi + pad
        a, b = np.linspace(lo[0], hi[0], resolution), np.linspace(lo[1], hi[1], resolution)
        grid = np.stack(np.meshgrid(a, b), axis=-1).reshape(-1, 2).astype(model.dtype)
        n_out = model.predict(grid[:1]).shape[-1]
        binary = y.ndim == 1 or y.shape[1] == 1
        if n_out > 1:
            kind, y = "classes", labels_of(y, "y", owner)
        elif binary and np.all(np.isin(y, (0, 1))):
            kind, y = "probability", labels_of(y, "y", owner)
        else:
            kind, y = "regression", y.reshape(len(y)).astype(np.float64)
        n_classes = n_out if kind == "classes" else 2
        return cls(x, y, kind, n_classes, (lo[0], hi[0], lo[1], hi[1]), grid, resolution)

    def values(self, model: Any) -> np.ndarray:
        """(R, R) what the model says at each grid point: class, p(class 1) or output."""
        if self.kind == "probability" and hasattr(model, "predict_proba"):
            out = model.predict_proba(self.grid, batch_size=4096)
        else:
            out = model.predict(self.grid, batch_size=4096)
        if self.kind == "classes":
            out = predicted_labels(out)
        return np.asarray(out, dtype=np.float64).reshape(self.resolution, self.resolution)

    def score(self, model: Any) -> str:
        """Accuracy of the points' predicted classes, or their mean squared error."""
        out = model.predict(self.x.astype(model.dtype))
        if self.kind == "regression":
            return f"MSE {float(np.mean((out.reshape(len(out)) - self.y) ** 2)):.3g}"
        if self.kind == "probability" and hasattr(model, "predict_proba"):
            out = model.predict_proba(self.x.astype(model.dtype))
        return f"accuracy {100 * float(np.mean(predicted_labels(out) == self.y)):.1f} %"


def class_colors(n: int) -> np.ndarray:
    """(n, 4) RGBA colours from viridis, evenly spaced: their lightness rises with the
    class, so the classes stay apart printed in grey."""
    from matplotlib import colormaps

    return colormaps["viridis"](np.linspace(0.0, 0.92, max(n, 2)))[:n]


class Drawn:
    """The parts of a boundary picture that change with the model: the regions' image
    and, for one probability output, the p = 0.5 line."""

    def __init__(self, ax: Any, b: Boundary, image: Any) -> None:
        self.ax, self.b, self.image, self.line = ax, b, image, None

    def update(self, values: np.ndarray) -> None:
        """Show ``values`` (R, R), e.g. :meth:`Boundary.values` of a later model state."""
        self.image.set_data(values)
        if self.b.kind != "probability":
            return
        if self.line is not None:
            self.line.remove()
            self.line = None
        if values.min() < 0.5 < values.max():
            self.line = self.ax.contour(values, levels=[0.5], extent=self.b.extent,
                                        origin="lower", colors="black", linewidths=1.2)


def draw(ax: Any, b: Boundary, values: np.ndarray, class_names: Any = None) -> Drawn:
    """Draw the regions (or surface) and the points on ``ax``; the returned
    :class:`Drawn` redraws the regions for another model state."""
    from matplotlib.colors import ListedColormap

    if b.kind == "classes":
        colors = class_colors(b.n_classes)
        light = 0.55 * colors[:, :3] + 0.45  # the same colours, lighter, for the regions
        image = ax.imshow(values, origin="lower", extent=b.extent, aspect="auto",
                          cmap=ListedColormap(light), vmin=-0.5, vmax=b.n_classes - 0.5,
                          interpolation="nearest")
    elif b.kind == "probability":
        colors = class_colors(2)
        image = ax.imshow(values, origin="lower", extent=b.extent, aspect="auto",
                          cmap="cividis", vmin=0, vmax=1, alpha=0.55, interpolation="bilinear")
        ax.figure.colorbar(image, ax=ax, label="p(class 1)", fraction=0.046, pad=0.04)
    else:
        lo = float(min(values.min(), b.y.min()))
        hi = float(max(values.max(), b.y.max()))
        image = ax.imshow(values, origin="lower", extent=b.extent, aspect="auto",
                          cmap="viridis", vmin=lo, vmax=hi, interpolation="bilinear")
        ax.figure.colorbar(image, ax=ax, label="model output", fraction=0.046, pad=0.04)
        ax.scatter(b.x[:, 0], b.x[:, 1], c=b.y, cmap="viridis", vmin=lo, vmax=hi, s=18,
                   edgecolors="black", linewidths=0.6, label="targets")
    if b.kind != "regression":
        for k in range(b.n_classes):
            pts = b.x[b.y == k]
            ax.scatter(pts[:, 0], pts[:, 1], color=colors[k], marker=MARKERS[k % len(MARKERS)],
                       s=18, edgecolors="black", linewidths=0.5,
                       label=f"class {name_of(k, class_names, 'plot_decision_boundary')}")
        ax.legend(loc="upper right", fontsize=7, framealpha=0.8)
    ax.set_xlim(b.extent[0], b.extent[1])
    ax.set_ylim(b.extent[2], b.extent[3])
    ax.set(xlabel="x₁ (input 0)", ylabel="x₂ (input 1)")
    drawn = Drawn(ax, b, image)
    drawn.update(values)
    return drawn


def plot_decision_boundary(model: Any, x: Any, y: Any, path: PathLike | None = None,
                           ax: Any = None, *, resolution: int = 200, class_names: Any = None,
                           title: str | None = None) -> Any:
    """A model's class regions on 2-D inputs, with the points.

    Each point of a ``resolution`` × ``resolution`` grid over the points' range (10 %
    wider on every side) is coloured by the model's prediction there: the class for K > 1
    outputs, p(class 1) for one output and 0/1 targets (shaded, colour bar), the output
    itself for other targets (a regression surface). The points are drawn on top, each
    class with its own marker and colour.

    Parameters
    ----------
    model : Sequential
        A trained model on 2 input features.
    x : array of shape (N, 2)
    y : array of shape (N,), (N, 1) or (N, K)
        Labels, one-hot rows, or regression targets.
    path : path, optional
        Save the figure here as PNG (and close it in pyplot).
    ax : matplotlib Axes, optional
        Draw here instead of on a new figure.
    resolution : int
        Grid points per side.
    class_names : sequence or dict, optional
        ``class_names[k]`` is shown for class ``k`` in the legend.
    title : str, optional
        Defaults to the kind of picture and the accuracy (or MSE) on the points.

    Returns
    -------
    matplotlib Figure
    """
    b = Boundary.of(model, x, y, resolution, "plot_decision_boundary")
    fig, ax = figure_and_axes(ax, (5.4, 4.6))
    draw(ax, b, b.values(model), class_names)
    what = {"classes": "Decision regions", "probability": "Decision boundary",
            "regression": "Regression surface"}[b.kind]
    ax.set_title(title or f"{what} ({b.score(model)})")
    return finish(fig, path, layout=len(fig.axes) <= 2)
