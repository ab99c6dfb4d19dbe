"""What a network learned, seen as images: a layer's weights, and what each convolution
layer makes of one input."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from .._checks import check_int
from ..layers.conv import Conv2D
from ..layers.dense import Dense
from ._base import PathLike, finish, pyplot
from .classification import _square


def _grid(n: int, max_cols: int) -> tuple[int, int]:
    """(rows, cols) of a grid of ``n`` tiles about twice as wide as tall."""
    cols = max(1, min(n, max_cols, int(np.ceil(np.sqrt(2 * n)))))
    return int(np.ceil(n / cols)), cols


def _tiles(tiles: np.ndarray, title: str, path: PathLike | None, cols: int | None = None,
           row_labels: Sequence[str] | None = None) -> Any:
    """Draw weight tiles (n, h, w) or (n, h, w, 3), each on its own symmetric scale:
    black is its most negative value, white its most positive, mid-grey zero."""
    n = len(tiles)
    rows, cols = _grid(n, 16) if cols is None else (int(np.ceil(n / cols)), cols)
    tile = 0.75 if max(tiles.shape[1:3]) > 8 else 0.45
    fig, axes = pyplot().subplots(rows, cols, figsize=(tile * cols + 0.6, tile * rows + 0.7),
                                  squeeze=False)
    for ax in axes.flat:
        ax.set_axis_off()
    for i, ax in enumerate(axes.flat[:n]):
        w = tiles[i].astype(np.float64)
        scale = float(np.abs(w).max()) or 1.0
        if w.ndim == 3:  # colour: -scale..scale -> 0..1 per channel
            ax.imshow((w / scale + 1) / 2, interpolation="nearest")
        else:
            ax.imshow(w, cmap="gray", vmin=-scale, vmax=scale, interpolation="nearest")
        if row_labels is not None and i % cols == 0:
            ax.set_axis_on()
            ax.set_xticks([])
            ax.set_yticks([])
            ax.set_ylabel(row_labels[i // cols], fontsize=8)
    fig.suptitle(title, fontsize=10)
    return finish(fig, path)


def plot_weights(layer: Any, image_shape: Sequence[int] | None = None,
                 path: PathLike | None = None, *, max_images: int = 128,
                 title: str | None = None) -> Any:
    """A layer's weights as images.

    A :class:`~nnscratch.Dense` layer's ``W`` of shape (D_in, D_out) gives one image per
    unit: the D_in weights coming into it, reshaped to the input image (the first layer of
    an MNIST MLP shows stroke and blob detectors). A :class:`~nnscratch.Conv2D` layer's
    ``W`` of shape (C_out, C_in, kH, kW) gives one image per filter (in colour for
    C_in = 3) or, for other C_in, a row per filter and a column per input channel.

    Each image has its own scale: black its most negative weight, white its most
    positive, mid-grey zero (readable in grey print).

    Parameters
    ----------
    layer : Dense or Conv2D
    image_shape : tuple, optional
        ``(H, W)`` or ``(H, W, 3)`` of a Dense layer's input; by default a square
        (784 = 28×28) or a square with three channels (12,288 = 64×64×3).
    path : path, optional
        Save the figure here as PNG (and close it in pyplot).
    max_images : int
        Draw at most this many units or filters (rows for C_in ∉ {1, 3}).
    title : str, optional

    Returns
    -------
    matplotlib Figure
    """
    check_int("plot_weights", "max_images", max_images, type_error=ValueError)
    if isinstance(layer, Dense):
        w = layer.W.data  # (D_in, D_out)
        shape = tuple(image_shape) if image_shape is not None else \
            _square(w.shape[0], f"plot_weights({layer})")
        if int(np.prod(shape)) != w.shape[0]:
            raise ValueError(f"plot_weights({layer}): image_shape {shape} holds "
                             f"{int(np.prod(shape))} values, the layer takes {w.shape[0]}")
        n = min(w.shape[1], max_images)
        tiles = w[:, :n].T.reshape(n, *shape)  # (n, H, W[, 3]): unit j's incoming weights
        shown = f"the first {n} of {w.shape[1]}" if n < w.shape[1] else f"all {n}"
        return _tiles(tiles, title or f"{layer}: weights into each unit ({shown})", path)
    if isinstance(layer, Conv2D):
        w = layer.W.data  # (C_out, C_in, kH, kW)
        c_out, c_in = w.shape[:2]
        n = min(c_out, max_images)
        head = title or f"{layer}: filters"
        if c_in in (1, 3):
            tiles = w[:n, 0] if c_in == 1 else w[:n].transpose(0, 2, 3, 1)
            return _tiles(tiles, f"{head} ({n} of {c_out})", path)
        cols = min(c_in, 16)
        tiles = w[:n, :cols].reshape(n * cols, *w.shape[2:])  # row o: filter o, per channel
        return _tiles(tiles, f"{head}: a row per filter ({n} of {c_out}), a column per "
                             f"input channel ({cols} of {c_in})", path, cols=cols,
                      row_labels=[f"filter {o}" for o in range(n)])
    raise TypeError(f"plot_weights: expected a Dense or Conv2D layer, got {layer!r}")


def plot_feature_maps(model: Any, x_one: Any, path: PathLike | None = None, *,
                      max_maps: int = 8, title: str | None = None) -> Any:
    """What each convolution layer outputs for one image: the input, then a row per
    :class:`~nnscratch.Conv2D` layer with its first ``max_maps`` channels.

    Parameters
    ----------
    model : Sequential
        A network with at least one Conv2D layer.
    x_one : array of shape (C, H, W), (1, C, H, W) or (H, W)
        One image, as the model takes it.
    path : path, optional
        Save the figure here as PNG (and close it in pyplot).
    max_maps : int
        Channels shown per layer.
    title : str, optional

    Returns
    -------
    matplotlib Figure

    Notes
    -----
    The model runs in evaluation mode (Dropout off, BatchNorm on its running statistics)
    and is put back in the mode it was in. Each map has its own colour scale (viridis,
    whose lightness rises with the value).
    """
    check_int("plot_feature_maps", "max_maps", max_maps, type_error=ValueError)
    x = np.asarray(x_one, dtype=model.dtype)
    if x.ndim == 2:
        x = x[None]
    if x.ndim == 3:
        x = x[None]
    if x.ndim != 4 or len(x) != 1:
        raise ValueError(f"plot_feature_maps: expected one image of shape (C, H, W), "
                         f"(1, C, H, W) or (H, W), got {np.shape(x_one)}")
    convs = [i for i, layer in enumerate(model.layers) if isinstance(layer, Conv2D)]
    if not convs:
        raise ValueError(f"plot_feature_maps: the model has no Conv2D layer: {model!r:.200}")
    maps = []
    was_training = [layer.training for layer in model.layers]
    model.eval()
    try:
        out = x
        for i, layer in enumerate(model.layers[:convs[-1] + 1]):
            out = layer.forward(out)
            if i in convs:
                maps.append((i, out[0]))  # (C_out, H', W')
    finally:
        for layer, mode in zip(model.layers, was_training):
            layer.training = mode
    cols = max(2, min(max_maps, max(len(m) for _, m in maps)))
    rows = 1 + len(maps)
    fig, axes = pyplot().subplots(rows, cols, figsize=(1.3 * cols + 0.8, 1.45 * rows + 0.5),
                                  squeeze=False)
    for ax in axes.flat:
        ax.set_axis_off()
    image = x[0].transpose(1, 2, 0) if x.shape[1] == 3 else x[0, 0]
    if image.ndim == 3:
        image = (image - image.min()) / (np.ptp(image) or 1.0)
    axes[0, 0].imshow(image, cmap="gray_r" if image.ndim == 2 else None)
    axes[0, 0].set_title("input", fontsize=8)
    for row, (i, m) in enumerate(maps, start=1):
        for c in range(min(cols, len(m))):
            ax = axes[row, c]
            ax.imshow(m[c], cmap="viridis", interpolation="nearest")
            ax.set_title(f"channel {c}", fontsize=7)
        ax = axes[row, 0]
        ax.set_axis_on()
        ax.set_xticks([])
        ax.set_yticks([])
        ax.set_ylabel(f"layer {i}\n{m.shape[0]}×{m.shape[1]}×{m.shape[2]}", fontsize=7)
    fig.suptitle(title or "Feature maps: each Conv2D layer's output for one image "
                          "(each map on its own scale)", fontsize=9)
    return finish(fig, path)
