"""LayerStats: what each layer's activations and gradients do during training.

The numbers that tell a healthy network from a sick one, per layer and over time:

* activations (every layer's output, on the training batches): mean, standard deviation,
  the fraction of entries that are exactly zero, and the fraction of **dead units** —
  units (features of a dense output, channels of an image) that were zero on every sample
  of the window. A healthy ReLU layer has about half its entries at zero but few dead
  units: a dead unit passes no gradient and never learns again;
* gradients, per parameter: the norm ||dL/dθ||₂ and the standard deviation of its
  entries, each the mean over the window's steps (computed in the parameter's dtype);
* the update-to-weight ratio ||θ_after − θ_before||₂ / ||θ_before||₂ of each step, the
  mean over the window: around 1e-3 is the usual rule of thumb; much smaller learns
  nothing, much larger is unstable.

A window is an epoch (``every=None``) or ``every`` optimizer steps. Activations are
measured through forward hooks (:mod:`nnscratch.hooks`) attached for the duration of
``fit`` and only in training mode, so validation batches are not counted.

Warnings (a :class:`LayerStatsWarning`, each kind once per layer or parameter):

* vanishing gradients: the first weight's gradient norm below ``vanishing_ratio``
  (default 1e-3) times the last weight's — the first layers barely learn;
* exploding gradients: the first weight's gradient norm above ``exploding_ratio``
  (default 1e3) times the last weight's, or a parameter's gradient norm grown by
  ``exploding_ratio`` since the first window;
* dead units: more than ``dead_threshold`` (default 0.5) of a layer's units dead.

"First" and "last" weight are the first parameters of the first and last layers that
have parameters (``W`` of a Dense or Conv2D layer).
"""

from __future__ import annotations

import math
import os
import warnings
from typing import Any, ClassVar

import numpy as np

from .._params import Bool, Declared, Int, Number, OrNone, Rule
from ..hooks import HookHandle, register_forward_hook
from ..layers.base import Layer
from .base import Callback

ACTIVATION_STATS = ("mean", "std", "zero_fraction", "dead_fraction")
GRADIENT_STATS = ("norm", "std", "update_ratio")


class LayerStatsWarning(UserWarning):
    """A LayerStats diagnosis: vanishing or exploding gradients, dead units."""


class _ActivationWindow:
    """Running sums over one window of one layer's outputs."""

    def __init__(self) -> None:
        self.count = 0  # entries seen
        self.total = 0.0
        self.total_sq = 0.0
        self.zeros = 0
        self.alive: np.ndarray | None = None  # (units,): nonzero at least once

    def add(self, y: np.ndarray) -> None:
        y64 = y.astype(np.float64, copy=False)
        self.count += y.size
        self.total += float(y64.sum())
        self.total_sq += float(np.vdot(y64, y64))
        nonzero = y != 0
        self.zeros += y.size - int(np.count_nonzero(nonzero))
        if y.ndim >= 2:  # units: axis 1 (features, or channels of an image)
            other = (0, *range(2, y.ndim))
            alive = nonzero.any(axis=other)
        else:  # (N,): one unit
            alive = nonzero.any(keepdims=True)
        self.alive = alive if self.alive is None or self.alive.shape != alive.shape \
            else self.alive | alive

    def summary(self) -> dict[str, float]:
        n = self.count
        mean = self.total / n
        var = max(self.total_sq / n - mean * mean, 0.0)
        assert self.alive is not None
        return {"mean": mean, "std": math.sqrt(var), "zero_fraction": self.zeros / n,
                "dead_fraction": 1.0 - float(self.alive.mean())}


class LayerStats(Callback, Declared):
    """Record per-layer activation and gradient statistics during ``fit``; warn when they
    show vanishing or exploding gradients or dead units.

    Parameters
    ----------
    every : int or None, default None
        Close a window (record one entry) every ``every`` optimizer steps; None: at the
        end of every epoch.
    vanishing_ratio : float, default 1e-3
        Warn when the first weight's gradient norm is below this times the last weight's.
    exploding_ratio : float, default 1e3
        Warn when the first weight's gradient norm is above this times the last weight's,
        or a parameter's gradient norm has grown by this factor since the first window.
    dead_threshold : float, default 0.5
        Warn when more than this fraction of a layer's units is dead.
    warn : bool, default True
        False: keep the diagnoses in :attr:`messages` without issuing warnings.

    Attributes
    ----------
    steps : list of int
        Optimizer steps done at the end of each window (the model's iteration count).
    epochs : list of int
        The epoch (0-based) each window ended in.
    layers : dict of str to str
        ``"layers.<i>"`` to the layer's description (``"Dense(784→128)"``).
    activations : dict of str to dict of str to list of float
        ``activations["layers.1"]["dead_fraction"]``: one value per window, for the keys
        ``mean``, ``std``, ``zero_fraction`` and ``dead_fraction``.
    gradients : dict of str to dict of str to list of float
        ``gradients["layers.0.W"]["norm"]``: one value per window, for the keys ``norm``,
        ``std`` and ``update_ratio``. Keys are those of :meth:`Sequential.state_dict`.
    messages : list of str
        The diagnoses, in order (issued as warnings too, unless ``warn=False``).

    Examples
    --------
    >>> stats = LayerStats()
    >>> model.fit(x, y, epochs=5, callbacks=[stats])             # doctest: +SKIP
    >>> stats.activations["layers.1"]["dead_fraction"]            # doctest: +SKIP
    [0.0, 0.0, 0.0078125, 0.0078125, 0.015625]
    >>> stats.plot("layer_stats.png")                             # doctest: +SKIP
    """

    every: int | None
    vanishing_ratio: float
    exploding_ratio: float
    dead_threshold: float
    warn: bool
    constraints: ClassVar[dict[str, Rule]] = {
        "every": OrNone(Int(1, type_error=ValueError)),
        "vanishing_ratio": Number(0.0, 1.0, lo_open=True, hi_open=True),
        "exploding_ratio": Number(1.0, math.inf, lo_open=True),
        "dead_threshold": Number(0.0, 1.0, lo_open=True, hi_open=True),
        "warn": Bool(),
    }

    def __init__(self, every: int | None = None, vanishing_ratio: float = 1e-3,
                 exploding_ratio: float = 1e3, dead_threshold: float = 0.5,
                 warn: bool = True) -> None:
        self.set_params(every=every, vanishing_ratio=vanishing_ratio,
                        exploding_ratio=exploding_ratio, dead_threshold=dead_threshold,
                        warn=warn)
        self.steps: list[int] = []
        self.epochs: list[int] = []
        self.layers: dict[str, str] = {}
        self.activations: dict[str, dict[str, list[float]]] = {}
        self.gradients: dict[str, dict[str, list[float]]] = {}
        self.messages: list[str] = []
        self._warned: set[tuple[str, str]] = set()
        self._handles: list[HookHandle] = []
        self._reset_window()

    # -- the hooks fit calls ------------------------------------------------------------
    def on_train_begin(self, logs: dict[str, Any] | None = None) -> None:
        self._detach()
        self._params = dict(self.model.named_parameters())
        # per parameter: the weights before the step (the difference after it), a row of
        # ones for the sum of the gradient as one dot product, the squared norm before
        self._before = {key: np.empty(p.data.size, p.data.dtype)
                        for key, p in self._params.items()}
        self._ones = {key: np.ones(p.data.size, p.data.dtype)
                      for key, p in self._params.items()}
        self._w_sq: dict[str, float] = {}
        for i, layer in enumerate(self.model.layers):
            key = f"layers.{i}"
            self.layers[key] = repr(layer)
            self._handles.append(register_forward_hook(layer, self._activation_hook(key)))
        self._epoch = 0
        self._reset_window()

    def on_epoch_begin(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        self._epoch = epoch

    def on_batch_begin(self, batch: int, logs: dict[str, Any] | None = None) -> None:
        for key, p in self._params.items():
            before = self._before[key]
            np.copyto(before, p.data.reshape(-1))
            self._w_sq[key] = float(np.dot(before, before))

    def on_batch_end(self, batch: int, logs: dict[str, Any] | None = None) -> None:
        if not math.isfinite((logs or {}).get("loss", 0.0)):
            return  # no step was taken
        # Dot products in the parameters' dtype (BLAS, no float64 copies): per step, this
        # is a few passes over the weights rather than a dozen
        for key, p in self._params.items():
            g = p.grad.reshape(-1)
            n = g.size
            g_sq = float(np.dot(g, g))
            g_mean = float(np.dot(g, self._ones[key])) / n
            diff = np.subtract(p.data.reshape(-1), self._before[key], out=self._before[key])
            step = math.sqrt(float(np.dot(diff, diff)))
            w_sq = self._w_sq[key]
            sums = self._grad_sums.setdefault(key, [0.0, 0.0, 0.0, 0])
            sums[0] += math.sqrt(g_sq)
            sums[1] += math.sqrt(max(g_sq / n - g_mean * g_mean, 0.0))
            if w_sq > 0:  # a bias at its zero start has no ratio
                sums[2] += step / math.sqrt(w_sq)
                sums[3] += 1
        self._window_steps += 1
        if self.every is not None and self._window_steps >= self.every:
            self._close_window()

    def on_epoch_end(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        if self.every is None:
            self._close_window()

    def on_train_end(self, logs: dict[str, Any] | None = None) -> None:
        self._detach()

    def on_exception(self, exception: BaseException) -> None:
        self._detach()  # a failed fit leaves the layers as they were, too

    # -- windows -------------------------------------------------------------------------
    def _activation_hook(self, key: str) -> Any:
        def hook(layer: Layer, x: np.ndarray, y: np.ndarray) -> None:
            if layer.training:  # not validation or predict
                self._act.setdefault(key, _ActivationWindow()).add(y)
        return hook

    def _reset_window(self) -> None:
        self._act: dict[str, _ActivationWindow] = {}
        self._grad_sums: dict[str, list[Any]] = {}  # norm, std, ratio sums; ratio count
        self._window_steps = 0

    def _close_window(self) -> None:
        if not self._window_steps:
            self._reset_window()
            return
        n = self._window_steps
        self.steps.append(int(self.model.training_state.iteration))
        self.epochs.append(self._epoch)
        for key, window in self._act.items():
            record = self.activations.setdefault(key, {k: [] for k in ACTIVATION_STATS})
            for name, value in window.summary().items():
                record[name].append(value)
        for key, (norm, std, ratio, n_ratio) in self._grad_sums.items():
            record = self.gradients.setdefault(key, {k: [] for k in GRADIENT_STATS})
            record["norm"].append(norm / n)
            record["std"].append(std / n)
            record["update_ratio"].append(ratio / n_ratio if n_ratio else math.nan)
        self._reset_window()
        self._diagnose()

    def _detach(self) -> None:
        for handle in self._handles:
            handle.remove()
        self._handles = []

    # -- diagnosis -----------------------------------------------------------------------
    def _first_last_weights(self) -> tuple[str, str] | None:
        """Keys of the first parameter of the first and the last layer that have some."""
        firsts: dict[str, str] = {}
        for key in self.gradients:
            firsts.setdefault(key.rsplit(".", 1)[0], key)
        keys = list(firsts.values())
        return (keys[0], keys[-1]) if len(keys) >= 2 else None

    def _where(self) -> str:
        return f"at step {self.steps[-1]} (epoch {self.epochs[-1] + 1})"

    def _diagnose(self) -> None:
        pair = self._first_last_weights()
        if pair is not None:
            first, last = pair
            g_first = self.gradients[first]["norm"][-1]
            g_last = self.gradients[last]["norm"][-1]
            if g_last > 0 and g_first < self.vanishing_ratio * g_last:
                self._say("vanishing", first, (
                    f"vanishing gradients {self._where()}: {first} ({self._layer_of(first)}) "
                    f"has gradient norm {g_first:.3g}, {g_first / g_last:.2g} times that of "
                    f"{last} ({self._layer_of(last)}), {g_last:.3g} (threshold "
                    f"vanishing_ratio={self.vanishing_ratio:g}); the first layers barely "
                    "learn. Saturating activations (sigmoid, tanh) in a deep stack do this; "
                    "try ReLU with He initialisation, or BatchNorm."))
            if g_last > 0 and g_first > self.exploding_ratio * g_last:
                self._say("exploding", first, (
                    f"exploding gradients {self._where()}: {first} ({self._layer_of(first)}) "
                    f"has gradient norm {g_first:.3g}, {g_first / g_last:.2g} times that of "
                    f"{last} ({self._layer_of(last)}), {g_last:.3g} (threshold "
                    f"exploding_ratio={self.exploding_ratio:g}); try a smaller learning "
                    "rate, a smaller initialisation, or gradient clipping (clipnorm)."))
        for key, record in self.gradients.items():
            start, now = record["norm"][0], record["norm"][-1]
            if start > 0 and now > self.exploding_ratio * start:
                self._say("growing", key, (
                    f"exploding gradients {self._where()}: {key} ({self._layer_of(key)}) has "
                    f"gradient norm {now:.3g}, {now / start:.2g} times its {start:.3g} of "
                    f"step {self.steps[0]} (threshold exploding_ratio="
                    f"{self.exploding_ratio:g}); try a smaller learning rate or gradient "
                    "clipping (clipnorm)."))
        for key, record in self.activations.items():
            dead = record["dead_fraction"][-1]
            if dead > self.dead_threshold:
                self._say("dead", key, (
                    f"dead units {self._where()}: {dead:.0%} of the units of {key} "
                    f"({self.layers.get(key, '?')}) were zero on every training sample of "
                    f"the window (threshold dead_threshold={self.dead_threshold:g}); they "
                    "pass no gradient. Try a smaller learning rate, He initialisation, or "
                    "LeakyReLU."))

    def _layer_of(self, param_key: str) -> str:
        return self.layers.get(param_key.rsplit(".", 1)[0], "?")

    def _say(self, kind: str, key: str, message: str) -> None:
        if (kind, key) in self._warned:
            return
        self._warned.add((kind, key))
        self.messages.append(message)
        if self.warn:
            warnings.warn(f"LayerStats: {message}", LayerStatsWarning, stacklevel=2)

    # -- the records as arrays, and a picture ------------------------------------------------
    def to_arrays(self) -> dict[str, np.ndarray]:
        """Every record as a float64 array, one entry per window, flat keys::

            {"steps": ..., "epochs": ..., "layers.1.activation.dead_fraction": ...,
             "layers.0.W.gradient.norm": ..., ...}
        """
        out = {"steps": np.asarray(self.steps, dtype=np.int64),
               "epochs": np.asarray(self.epochs, dtype=np.int64)}
        for key, record in self.activations.items():
            for name, values in record.items():
                out[f"{key}.activation.{name}"] = np.asarray(values, dtype=np.float64)
        for key, record in self.gradients.items():
            for name, values in record.items():
                out[f"{key}.gradient.{name}"] = np.asarray(values, dtype=np.float64)
        return out

    def plot(self, path: str | os.PathLike[str] | None = None) -> Any:
        """Draw the records per layer over the steps: activation std, zero and dead
        fractions, gradient norms and update ratios (log scale). Needs matplotlib.

        Returns the Figure; given ``path``, saves it as PNG and closes it in pyplot.
        """
        from .layer_stats_plot import plot_layer_stats

        return plot_layer_stats(self, path)

    def __repr__(self) -> str:
        return (f"LayerStats(every={self.every}, {len(self.steps)} windows, "
                f"{len(self.messages)} warnings)")
