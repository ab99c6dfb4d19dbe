"""What ``Sequential.fit`` checks before its first step, kept apart from the training loop,
and the checks of the arrays given to ``fit``, ``predict`` and ``evaluate``.

Each check names the argument, the rule and the value given, so that a mistake shows up
at once and in the user's words (``fit: validation_split must be a number, got '0.1'``)
rather than as an internal error in the middle of an epoch.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from ._checks import check_bool, check_int, check_number
from .callbacks import Callback, LearningRateScheduler
from .layers.base import Layer, Shape
from .layers.norm import _BatchNorm

if TYPE_CHECKING:
    from .model import Sequential
    from .network import Network


def check_fit_arguments(epochs: Any, batch_size: Any, shuffle: Any, validation_split: Any,
                        callbacks: Any, lr_schedule: Any, verbose: Any, drop_last: Any
                        ) -> list[Callback]:
    """Check fit's scalar arguments; returns the callbacks to add after History (the
    learning-rate scheduler first, then the user's).

    Raises
    ------
    TypeError
        An argument of the wrong kind: ``validation_split='0.1'``, ``callbacks=5``.
    ValueError
        A value out of range: ``epochs=0``, ``validation_split=1.5``, ``verbose=3``.
    """
    check_int("fit", "epochs", epochs)
    if batch_size is not None:
        check_int("fit", "batch_size", batch_size)
    check_bool("fit", "shuffle", shuffle)
    check_bool("fit", "drop_last", drop_last)
    check_number("fit", "validation_split", validation_split, 0.0, 1.0)
    if check_int("fit", "verbose", int(verbose) if isinstance(verbose, bool) else verbose,
                 minimum=0) > 2:
        raise ValueError(f"fit: verbose must be 0, 1 or 2, got {verbose!r}")
    items: list[Callback] = []
    if lr_schedule is not None:
        items.append(as_scheduler(lr_schedule))
    if callbacks is None:
        return items
    if isinstance(callbacks, (str, bytes, Callback)) or not isinstance(callbacks, Iterable):
        raise TypeError(f"fit: callbacks must be a list of Callback objects, got {callbacks!r}")
    for i, cb in enumerate(callbacks):
        if not isinstance(cb, Callback):
            raise TypeError(f"fit: callbacks[{i}] must be a Callback, got {cb!r}")
        items.append(cb)
    return items


def as_scheduler(lr_schedule: Any) -> Callback:
    """fit's ``lr_schedule`` as a LearningRateScheduler; errors name ``lr_schedule``."""
    if isinstance(lr_schedule, LearningRateScheduler):
        return lr_schedule
    try:
        return LearningRateScheduler(lr_schedule)
    except ValueError as err:  # an unknown schedule name
        raise ValueError(f"fit: lr_schedule: {err}") from None
    except TypeError as err:
        if isinstance(lr_schedule, str):  # a name whose class has required arguments
            raise TypeError(f"fit: lr_schedule={lr_schedule!r} needs arguments ({err}); pass "
                            "a schedule object, e.g. schedules.CosineDecay(total=20)") from None
        raise TypeError("fit: lr_schedule must be a Schedule, a schedule name or a function "
                        f"fn(epoch, lr), got {lr_schedule!r}") from None


def layer_input_shapes(layers: Sequence[Layer], sample_shape: Shape, name: str) -> list[Shape]:
    """The per-sample input shape of every layer for samples of ``sample_shape``.

    Raises
    ------
    ValueError
        Naming ``name`` (``"x"``, ``"validation_data x"``) and the first layer that cannot
        take such samples.
    """
    shapes, shape = [], tuple(sample_shape)
    for i, layer in enumerate(layers):
        shapes.append(shape)
        try:
            shape = layer.output_shape(shape)
        except ValueError as err:
            raise ValueError(f"fit: {name} has samples of shape {tuple(sample_shape)}, "
                             f"which layer {i} of {len(layers)} cannot take: {err}") from None
    return shapes


def batching(layers: Sequence[Layer], sample_shape: Shape, n: int, batch_size: int | None,
             drop_last: bool) -> tuple[int, int]:
    """(batch size, batches per epoch) for ``n`` training samples.

    Raises
    ------
    ValueError
        ``drop_last`` would leave no batch, or a BatchNorm layer would meet a batch with
        one value per channel (a one-sample batch of flat features), where batch
        statistics do not exist; the message suggests ``drop_last=True``.
    """
    if batch_size is None:
        bs, n_batches = n, 1
    elif drop_last:
        if batch_size > n:
            raise ValueError(f"fit: drop_last=True with batch_size={batch_size} leaves no "
                             f"batch of the {n} training samples")
        bs, n_batches = batch_size, n // batch_size
    else:
        bs = min(batch_size, n)
        n_batches = -(-n // bs)
    smallest = bs if drop_last else n - (n_batches - 1) * bs
    shapes = layer_input_shapes(layers, sample_shape, "x")
    for i, (layer, shape) in enumerate(zip(layers, shapes)):
        per_channel = smallest * math.prod(d or 1 for d in shape[1:])  # (N, C, ...): N·H·W
        if isinstance(layer, _BatchNorm) and per_channel < 2:
            what = f"{layer} (layer {i}) cannot compute batch statistics"
            if bs > 1:
                raise ValueError(
                    f"fit: {n} training samples in batches of {batch_size} leave a last "
                    f"batch of 1 sample, on which {what}; pass drop_last=True to skip it, "
                    "or another batch_size")
            samples = f"{n} sample" + ("s" if n != 1 else "")
            raise ValueError(f"fit: every training batch holds 1 sample ({samples}, "
                             f"batch_size={batch_size}), on which {what}; use batches of "
                             "at least 2 samples")
    return bs, n_batches


def check_probability_targets(loss: Any, y: np.ndarray, name: str) -> None:
    """Cross-entropy targets are probabilities: for softmax outputs each (N, K) row has
    entries >= 0 summing to 1 (within about √eps of the dtype); for sigmoid outputs each
    entry is in [0, 1]. Other losses take any real targets."""
    kind = getattr(loss, "output", "identity")
    if kind == "softmax" and y.ndim == 2 and y.shape[1] > 1:
        tol = 1e-8 if y.dtype == np.float64 else 1e-4
        sums = y.sum(axis=1, dtype=np.float64)  # (N,)
        bad = np.flatnonzero((y < 0).any(axis=1) | (np.abs(sums - 1) > tol))
        if bad.size:
            i = int(bad[0])
            row = ", ".join(f"{v:.6g}" for v in y[i, :8]) + (", ..." if y.shape[1] > 8 else "")
            raise ValueError(
                f"{name}: for {loss} each one-hot / probability row must have entries >= 0 "
                f"summing to 1, but row {i} is [{row}] (sum {sums[i]:.6g}); {bad.size} of "
                f"{len(y)} rows are not")
    elif kind == "sigmoid" and y.size and not (y.min() >= 0 and y.max() <= 1):
        raise ValueError(f"{name}: {loss} takes targets in [0, 1], got values in "
                         f"[{y.min()}, {y.max()}]")


# -- the arrays given to fit, predict and evaluate --------------------------------------
def fit_arrays(model: Sequential, x: Any, y: Any, validation_data: Any,
               validation_split: float
               ) -> tuple[np.ndarray, np.ndarray, tuple[np.ndarray, np.ndarray] | None]:
    """fit's training and validation arrays, checked and split: x, y, (x_val, y_val).

    A memory-mapped ``x`` (``np.load(path, mmap_mode="r")``) is neither cast nor
    scanned here, which would read all of it: :func:`batch_converter` does both for each
    batch, so that a process reads only the rows it trains on.
    """
    x = as_input(model, x, "fit: x", check_finite=not isinstance(x, np.memmap),
                 cast=not isinstance(x, np.memmap))
    y = as_target(model, y, len(x), "fit: y")
    layer_input_shapes(model.layers, x.shape[1:], "x")
    if validation_split:
        n_val = round(len(x) * validation_split)
        if n_val == 0 or n_val == len(x):
            raise ValueError(f"fit: validation_split={validation_split} leaves "
                             f"{len(x) - n_val} training and {n_val} validation samples")
        if validation_data is not None:
            raise ValueError("fit: give validation_data or validation_split, not both")
        return x[:-n_val], y[:-n_val], (x[-n_val:], y[-n_val:])
    if validation_data is None:
        return x, y, None
    if not (isinstance(validation_data, (tuple, list)) and len(validation_data) == 2):
        raise TypeError("fit: validation_data must be a pair (x_val, y_val), got "
                        f"{type(validation_data).__name__}")
    x_val = as_input(model, validation_data[0], "fit: validation_data x")
    y_val = as_target(model, validation_data[1], len(x_val), "fit: validation_data y")
    layer_input_shapes(model.layers, x_val.shape[1:], "validation_data x")
    if y_val.ndim == y.ndim and y_val.shape[1:] != y.shape[1:]:
        raise ValueError(f"fit: validation_data y has targets of shape {y_val.shape[1:]},"
                         f" y has {y.shape[1:]}")
    return x, y, (x_val, y_val)


def as_input(model: Network, x: Any, name: str, check_finite: bool = True,
             cast: bool = True) -> np.ndarray:
    """``x`` as an array of samples in the model's dtype (unless not ``cast``); errors
    name ``name``."""
    x = np.asarray(x)
    if x.ndim == 0:
        raise ValueError(f"{name} must be an array of samples, got a scalar")
    if np.iscomplexobj(x):
        raise TypeError(f"{name} must be real, got complex dtype {x.dtype}")
    if not (np.issubdtype(x.dtype, np.number) or x.dtype == bool):
        raise ValueError(f"{name} must be numeric, got dtype {x.dtype}")
    if len(x) == 0:
        raise ValueError(f"{name} is empty")
    dt = model.dtype
    if cast and x.dtype != dt:
        x = x.astype(dt)
    if check_finite:
        refuse_non_finite(x, name)
    return x


def batch_converter(model: Network, x: Any) -> Callable[[np.ndarray, Any], np.ndarray] | None:
    """For a memory-mapped ``x``, the function that casts a batch of it to the model's
    dtype and refuses NaN or infinity in it, naming the sample; None for other arrays,
    which ``fit`` casts and checks whole before training."""
    if not isinstance(x, np.memmap):
        return None
    dt = model.dtype

    def convert(xb: np.ndarray, rows: Any) -> np.ndarray:
        """``rows``: the batch's sample indices, or the first one's."""
        xb = np.array(xb, dtype=dt)  # (B, ...) read from the file, in memory
        if isinstance(rows, np.ndarray):  # shuffled: the gathered rows' sample numbers
            refuse_non_finite(xb, "fit: x", samples=rows)
        else:
            refuse_non_finite(xb, "fit: x", offset=rows)
        return xb

    return convert


def as_target(model: Sequential, y: Any, n: int, name: str) -> np.ndarray:
    """``y`` checked against ``n`` samples, the loss and the model's outputs."""
    y = np.asarray(y)
    if y.ndim == 0 or len(y) != n:
        raise ValueError(f"{name} has {0 if y.ndim == 0 else len(y)} samples but x has {n}")
    if np.issubdtype(y.dtype, np.floating):
        if not np.isfinite(y).all():
            raise ValueError(f"{name} contains NaN or infinity")
        if y.dtype != model.dtype:
            y = y.astype(model.dtype)
    elif y.dtype == bool:
        y = y.astype(model.dtype)
    elif not np.issubdtype(y.dtype, np.integer):
        raise ValueError(f"{name} must be real numbers, got dtype {y.dtype}")
    check_probability_targets(model.loss, y, name)
    out = model._output_shape_or_none()
    k = out[-1] if out and len(out) == 1 else None
    if k is not None and k > 1 and y.ndim == 1 and np.issubdtype(y.dtype, np.integer):
        lo, hi = int(y.min()), int(y.max())
        if lo < 0 or hi >= k:
            raise ValueError(f"{name}: class labels must be in [0, {k - 1}] for a model "
                             f"with {k} outputs, got values in [{lo}, {hi}]")
    return y


def refuse_non_finite(x: np.ndarray, name: str, offset: int = 0,
                      samples: np.ndarray | None = None) -> None:
    """Raise a ValueError naming the first sample of ``x`` holding NaN or infinity
    (numbered from ``offset``, for a chunk of a larger array, or by ``samples``, the
    sample number of each row, for a gathered batch).

    The row sums ``x @ 1`` (a matrix-vector product, several times faster than
    ``np.isfinite(x).all()`` and with no boolean temporary) are all finite when every
    entry is; a NaN or an infinity makes its row's sum NaN or infinite. Only when a sum
    is not finite (or it overflowed) does the exact elementwise check decide.
    """
    if not np.issubdtype(x.dtype, np.inexact) or x.size == 0:
        return
    rows = x.reshape(len(x), -1)
    if rows.dtype in (np.float32, np.float64):
        with np.errstate(over="ignore", invalid="ignore"):  # inf - inf is the point here
            sums = rows @ np.ones(rows.shape[1], dtype=rows.dtype)  # (N,)
        if np.isfinite(sums).all():
            return
    finite_rows = np.isfinite(rows).all(axis=1)  # (N,)
    if not finite_rows.all():
        bad = int(np.argmin(finite_rows))
        sample = offset + bad if samples is None else int(samples[bad])
        raise ValueError(f"{name} contains NaN or infinity (first at sample {sample})")
