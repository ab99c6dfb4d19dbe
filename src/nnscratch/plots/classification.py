"""How a classifier does, sample by sample: the confusion matrix and a grid of images with
their true and predicted labels."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from .._checks import check_int
from ._base import PathLike, figure_and_axes, finish, labels_of, name_of, pyplot, wrap

_NORMALIZE = (None, "true", "pred", "all")


def confusion_counts(y_true: Any, y_pred: Any, labels: Sequence[int] | None = None,
                     normalize: str | None = None) -> tuple[np.ndarray, np.ndarray]:
    """``(matrix, labels)``: C[i, j] counts samples of class ``labels[i]`` predicted as
    ``labels[j]``, as :func:`sklearn.metrics.confusion_matrix` defines it.

    ``labels`` selects and orders the classes (samples whose true or predicted class is
    not among them are left out); by default every class that occurs in either.
    ``normalize`` divides by the row sums (``"true"``: each row is recall), the column
    sums (``"pred"``: each column is precision) or the total (``"all"``); an empty row or
    column gives zeros.
    """
    truth = labels_of(y_true, "y_true", "plot_confusion_matrix")
    pred = labels_of(y_pred, "y_pred", "plot_confusion_matrix")
    if len(truth) != len(pred):
        raise ValueError(f"plot_confusion_matrix: y_true has {len(truth)} samples, "
                         f"y_pred {len(pred)}")
    if normalize not in _NORMALIZE:
        raise ValueError(f"plot_confusion_matrix: normalize must be one of {_NORMALIZE}, "
                         f"got {normalize!r}")
    classes = np.union1d(truth, pred) if labels is None else np.asarray(labels)
    if classes.size == 0:
        raise ValueError("plot_confusion_matrix: no samples and no labels to draw")
    if labels is not None and len(np.unique(classes)) != len(classes):
        raise ValueError(f"plot_confusion_matrix: labels must be distinct, got {list(labels)}")
    keep = np.isin(truth, classes) & np.isin(pred, classes)
    order = np.argsort(classes)  # a label's row: its place in `labels`, found by search
    rows = order[np.searchsorted(classes, truth[keep], sorter=order)]
    cols = order[np.searchsorted(classes, pred[keep], sorter=order)]
    counts = np.zeros((len(classes), len(classes)), dtype=np.int64)
    np.add.at(counts, (rows, cols), 1)
    if normalize is None:
        return counts, classes
    axis = {"true": 1, "pred": 0, "all": None}[normalize]
    sums = counts.sum(axis=axis, keepdims=axis is not None)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.nan_to_num(counts / sums), classes


def plot_confusion_matrix(y_true: Any, y_pred: Any, labels: Sequence[int] | None = None,
                          class_names: Any = None, normalize: str | None = None,
                          path: PathLike | None = None, ax: Any = None, *,
                          title: str | None = None, cmap: str = "Blues") -> Any:
    """The confusion matrix as a picture: rows are the true classes, columns the
    predicted ones, each cell shaded by its value and labelled with it.

    Parameters
    ----------
    y_true : array of shape (N,), (N, 1) or (N, K)
        True labels (a one-hot row counts as its argmax).
    y_pred : array of shape (N,), (N, 1) or (N, K)
        Predicted labels, or the model's outputs: scores (N, K) count as their argmax,
        one probability per sample as ``p > 0.5``.
    labels : sequence of int, optional
        The classes to show, in this order, as in scikit-learn: samples of other classes
        are left out. By default every class found in ``y_true`` or ``y_pred``.
    class_names : sequence or dict, optional
        ``class_names[k]`` is shown for class ``k`` (e.g. the 10 Fashion-MNIST names).
    normalize : {None, "true", "pred", "all"}
        As in scikit-learn: counts, or divided by each row's total (recall per class), each
        column's total (precision per class) or the grand total.
    path : path, optional
        Save the figure here as PNG (and close it in pyplot).
    ax : matplotlib Axes, optional
        Draw here instead of on a new figure.
    title : str, optional
    cmap : str
        A sequential colour map; the default's lightness rises with the value, so the
        picture reads the same printed in grey.

    Returns
    -------
    matplotlib Figure
    """
    matrix, classes = confusion_counts(y_true, y_pred, labels, normalize)
    k = len(classes)
    names = [name_of(c, class_names, "plot_confusion_matrix") for c in classes]
    side = min(max(4.0, 0.45 * k + 2.0), 12.0)
    fig, ax = figure_and_axes(ax, (side + 1.0, side))
    vmax = 1.0 if normalize else max(int(matrix.max()), 1)
    image = ax.imshow(matrix, cmap=cmap, vmin=0, vmax=vmax, interpolation="nearest")
    fig.colorbar(image, ax=ax, fraction=0.046, pad=0.04,
                 label="fraction" if normalize else "samples")
    if k <= 30:  # beyond that the numbers no longer fit in the cells
        size = 9 if k <= 12 else 7
        for i in range(k):
            for j in range(k):
                value = matrix[i, j]
                text = f"{value:.2f}" if normalize else f"{int(value)}"
                dark = value > vmax / 2  # white text on the dark half of the map
                ax.text(j, i, text, ha="center", va="center", fontsize=size,
                        color="white" if dark else "black")
    ax.set_xticks(range(k), names, rotation=45 if max(map(len, names)) > 2 else 0,
                  ha="right" if max(map(len, names)) > 2 else "center")
    ax.set_yticks(range(k), names)
    ax.set(xlabel="predicted class", ylabel="true class")
    truth = labels_of(y_true, "y_true", "plot_confusion_matrix")
    n = len(truth)
    accuracy = float(np.mean(truth == labels_of(y_pred, "y_pred", "plot_confusion_matrix")))
    shown = {None: "", "true": ", normalized by true class", "pred":
             ", normalized by predicted class", "all": ", normalized by total"}[normalize]
    ax.set_title(title or f"Confusion matrix ({n:,} samples, accuracy "
                          f"{100 * accuracy:.1f} %{shown})")
    return finish(fig, path, layout=len(fig.axes) <= 2)


def as_images(x: Any, image_shape: Sequence[int] | None, owner: str) -> np.ndarray:
    """Images ready for ``imshow``: (N, H, W) grey or (N, H, W, 3) colour, scaled to 0..1.

    Takes (N, H, W), (N, C, H, W) or (N, H, W, C) with C = 1 or 3, or flat rows (N, D)
    with ``image_shape`` ((H, W), (H, W, 3) or (3, H, W)) or, by default, a square
    H = W = √D (MNIST's 784) or √(D/3) with three channels last (the flattened cat
    photos' 12,288).
    """
    x = np.asarray(x)
    if x.ndim == 2:
        shape = tuple(image_shape) if image_shape is not None else _square(x.shape[1], owner)
        if int(np.prod(shape)) != x.shape[1]:
            raise ValueError(f"{owner}: image_shape {shape} holds {int(np.prod(shape))} "
                             f"values, but each row of x has {x.shape[1]}")
        x = x.reshape(len(x), *shape)
    if x.ndim == 4 and x.shape[1] in (1, 3) and x.shape[-1] not in (1, 3):
        x = x.transpose(0, 2, 3, 1)  # (N, C, H, W) -> (N, H, W, C)
    if x.ndim == 4 and x.shape[-1] == 1:
        x = x[..., 0]
    if x.ndim not in (3, 4) or (x.ndim == 4 and x.shape[-1] != 3):
        raise ValueError(f"{owner}: expected images of shape (N, H, W), (N, C, H, W) or "
                         f"(N, H, W, C) with C = 1 or 3, or rows (N, D), got {np.shape(x)}")
    x = x.astype(np.float32)
    lo, hi = float(x.min(initial=0.0)), float(x.max(initial=1.0))
    return (x - lo) / (hi - lo) if hi > lo else np.zeros_like(x)


def _square(d: int, owner: str) -> tuple[int, ...]:
    side = round(float(np.sqrt(d)))
    if side * side == d:
        return (side, side)
    side = round(float(np.sqrt(d / 3)))
    if 3 * side * side == d:
        return (side, side, 3)
    raise ValueError(f"{owner}: cannot tell the image shape of rows of {d} values; "
                     "pass image_shape=(H, W)")


def plot_samples(x: Any, y_true: Any, y_pred: Any = None, class_names: Any = None,
                 only_errors: bool = False, path: PathLike | None = None, *,
                 max_images: int = 25, ncols: int | None = None,
                 image_shape: Sequence[int] | None = None, title: str | None = None) -> Any:
    """A grid of images with their true labels and, given ``y_pred``, the predictions;
    a wrong prediction gets a thick red frame and a bold "true → predicted" caption.

    Parameters
    ----------
    x : array of shape (N, H, W), (N, C, H, W), (N, H, W, C) or (N, D)
        Images (grey or colour; any range, scaled to 0..1 for display). Flat rows are
        reshaped to squares (see ``image_shape``).
    y_true : array of shape (N,), (N, 1) or (N, K)
        True labels.
    y_pred : array of shape (N,), (N, 1) or (N, K), optional
        Predicted labels or the model's outputs (argmax of K scores, ``p > 0.5`` of one).
    class_names : sequence or dict, optional
        ``class_names[k]`` is shown for class ``k``.
    only_errors : bool
        Show only the misclassified samples (needs ``y_pred``).
    path : path, optional
        Save the figure here as PNG (and close it in pyplot).
    max_images : int
        Show at most this many, the first ones in order.
    ncols : int, optional
        Images per row; by default about √max_images.
    image_shape : tuple, optional
        ``(H, W)``, ``(H, W, 3)`` or ``(3, H, W)`` of flat rows.
    title : str, optional

    Returns
    -------
    matplotlib Figure
    """
    check_int("plot_samples", "max_images", max_images, type_error=ValueError)
    x = np.asarray(x)
    if x.ndim not in (2, 3, 4):
        raise ValueError(f"plot_samples: expected images of shape (N, H, W), (N, C, H, W) "
                         f"or (N, H, W, C), or rows (N, D), got {x.shape}")
    truth = labels_of(y_true, "y_true", "plot_samples")
    pred = None if y_pred is None else labels_of(y_pred, "y_pred", "plot_samples")
    for name, values in (("y_true", truth), ("y_pred", pred)):
        if values is not None and len(values) != len(x):
            raise ValueError(f"plot_samples: x has {len(x)} images, {name} "
                             f"{len(values)} labels")
    if only_errors and pred is None:
        raise ValueError("plot_samples: only_errors=True needs y_pred")
    wrong = np.zeros(len(truth), bool) if pred is None else truth != pred
    chosen = np.flatnonzero(wrong) if only_errors else np.arange(len(x))
    shown = chosen[:max_images]
    images = as_images(x[shown], image_shape, "plot_samples")  # only those drawn
    cols = ncols or max(1, min(len(shown), int(np.ceil(np.sqrt(max_images)))))
    rows = max(1, int(np.ceil(len(shown) / cols)))
    fig, axes = pyplot().subplots(rows, cols, figsize=(1.45 * cols + 0.3, 1.65 * rows + 0.6),
                                  squeeze=False)
    for ax in axes.flat:
        ax.set_axis_off()
    for ax, image, i in zip(axes.flat, images, shown):
        ax.set_axis_on()
        ax.imshow(image, cmap="gray_r" if images.ndim == 3 else None, vmin=0, vmax=1,
                  interpolation="nearest")
        ax.set_xticks([])
        ax.set_yticks([])
        caption = name_of(truth[i], class_names, "plot_samples")
        if pred is not None and wrong[i]:
            caption = f"{caption} → {name_of(pred[i], class_names, 'plot_samples')}"
            ax.set_title(caption, fontsize=9, color="#b00020", fontweight="bold")
            for spine in ax.spines.values():
                spine.set(color="#b00020", linewidth=3)
        else:
            ax.set_title(caption, fontsize=9)
    if len(shown) == 0:
        axes.flat[0].text(0.5, 0.5, "no misclassified samples" if only_errors else
                          "no samples", ha="center", va="center",
                          transform=axes.flat[0].transAxes)
    n_wrong, n = int(wrong.sum()), len(truth)
    if only_errors:
        head = f"Misclassified: {n_wrong:,} of {n:,} samples"
        head += f", the first {len(shown)} shown" if len(shown) < n_wrong else ""
    else:
        head = f"{len(shown):,} of {n:,} samples"
        head += f", {n_wrong:,} misclassified in all" if pred is not None else ""
    caption = " (caption: true → predicted)" if pred is not None else " (caption: label)"
    fig.suptitle(wrap(title or head + caption, fig), fontsize=10)
    return finish(fig, path)
