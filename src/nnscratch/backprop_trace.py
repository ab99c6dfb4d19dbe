"""A glass-box backprop record: every number of one forward and backward pass, with the
chain-rule step that produced it.

``nn.trace(model, x, y)`` runs the model's own layers and loss on a few samples, one
layer at a time, and keeps for each layer its input x and output y, the gradient dL/dy
that arrives from above, the parameter gradients dL/dW and dL/db it adds and the dL/dx it
passes down, each beside its rule (``dL/dW = xᵀ · dL/dy``). It is the derivation the
articles do by hand, with the numbers::

    >>> t = nn.trace(model, x[:2], y[:2])     # doctest: +SKIP
    >>> print(t)                               # readable tables
    >>> t.to_markdown()                        # the same, for a notebook or a README
    >>> t.layers[0].arrays["dL/dW"]            # the arrays themselves

Because the trace calls each layer's ``forward`` and ``backward`` (not a copy of the
math), its arrays are bit for bit those of ``model.backward``. It leaves the model as it
found it: gradients, training mode, BatchNorm's running statistics and Dropout's
generator are restored afterwards.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ._fit_checks import as_input, as_target
from .layers.activations import Identity, LeakyReLU, ReLU, Sigmoid, Softmax, Tanh
from .layers.base import Layer
from .layers.conv import Conv2D
from .layers.dense import Dense
from .layers.dropout import Dropout
from .layers.flatten import Flatten
from .layers.norm import _BatchNorm
from .layers.pool import AvgPool2D, GlobalAvgPool2D, MaxPool2D
from .losses import (
    MSE,
    BinaryCrossEntropy,
    CategoricalCrossEntropy,
    Loss,
    SoftmaxCrossEntropy,
    SumSquaredError,
)
from .network import Network

#: A trace prints every array; above this many numbers in one array it refuses.
MAX_ENTRIES = 256

# (forward rule, {gradient name: its rule}) per layer class; dL/dy is always "from above"
_RULES: list[tuple[type, str, dict[str, str]]] = [
    (Dense, "y = x · W + b", {"dL/dW": "dL/dW = xᵀ · dL/dy",
                              "dL/db": "dL/db = Σₙ dL/dy  (sum over the samples)",
                              "dL/dx": "dL/dx = dL/dy · Wᵀ"}),
    (Conv2D, "y = W ⋆ x + b  (cross-correlation; as a GEMM: Y = W_mat · cols + b)",
     {"dL/dW": "dL/dW = dL/dY · colsᵀ, reshaped to (F, C, kH, kW)",
      "dL/db": "dL/db = Σ over samples and positions of dL/dy, per output channel",
      "dL/dx": "dL/dx = col2im(W_matᵀ · dL/dY)"}),
    (ReLU, "y = max(x, 0)", {"dL/dx": "dL/dx = dL/dy ⊙ [x > 0]"}),
    (LeakyReLU, "y = x where x > 0, else a·x",
     {"dL/dx": "dL/dx = dL/dy ⊙ (1 where x > 0, else a)"}),
    (Sigmoid, "y = 1 / (1 + e^(−x))", {"dL/dx": "dL/dx = dL/dy ⊙ y ⊙ (1 − y)"}),
    (Tanh, "y = tanh(x)", {"dL/dx": "dL/dx = dL/dy ⊙ (1 − y²)"}),
    (Softmax, "y = e^x / Σⱼ e^xⱼ", {"dL/dx": "dL/dx = y ⊙ (dL/dy − Σⱼ dL/dyⱼ · yⱼ)"}),
    (Identity, "y = x", {"dL/dx": "dL/dx = dL/dy"}),
    (Dropout, "y = x ⊙ m / (1 − p) in training (m: the kept entries), y = x in evaluation",
     {"dL/dx": "dL/dx = dL/dy ⊙ m / (1 − p)  (dL/dy in evaluation)"}),
    (Flatten, "y = x reshaped to (N, features)", {"dL/dx": "dL/dx = dL/dy reshaped back"}),
    (_BatchNorm, "y = γ · x̂ + β,  x̂ = (x − μ) / √(σ² + ε)  (μ, σ²: the batch's in training, "
     "the running ones in evaluation; per channel)",
     {"dL/dgamma": "dL/dγ = Σ dL/dy ⊙ x̂  (over the samples and positions of a channel)",
      "dL/dbeta": "dL/dβ = Σ dL/dy",
      "dL/dx": "dL/dx = γ / √(σ² + ε) · (dL/dy − dL/dβ / m − x̂ · dL/dγ / m) in training "
               "(m values per channel); γ / √(σ² + ε) · dL/dy in evaluation"}),
    (MaxPool2D, "y = the largest x of each window",
     {"dL/dx": "dL/dx = dL/dy routed to the position of each window's maximum"}),
    (AvgPool2D, "y = the mean of each kH×kW window",
     {"dL/dx": "dL/dx = dL/dy / (kH·kW) added to every position of its window"}),
    (GlobalAvgPool2D, "y[n, c] = mean over i, j of x[n, c, i, j]",
     {"dL/dx": "dL/dx[n, c, i, j] = dL/dy[n, c] / (H·W)"}),
]

_LOSS_RULES: list[tuple[type, str, str]] = [
    (SoftmaxCrossEntropy, "L = −(1/N) Σₙ Σₖ yₙₖ log softmax(z)ₙₖ",
     "dL/dz = (softmax(z) − y) / N"),
    (MSE, "L = mean((ŷ − y)²)", "dL/dŷ = 2 (ŷ − y) / n  (n: number of entries)"),
    (SumSquaredError, "L = Σ (ŷ − y)²", "dL/dŷ = 2 (ŷ − y)"),
    (BinaryCrossEntropy, "L = −mean(y log ŷ + (1 − y) log(1 − ŷ))",
     "dL/dŷ = (ŷ − y) / (ŷ (1 − ŷ)) / n"),
    (CategoricalCrossEntropy, "L = −(1/N) Σₙ Σₖ yₙₖ log pₙₖ", "dL/dp = −y / p / N"),
]


@dataclass
class LayerTrace:
    """One layer's part of a :class:`Trace`.

    Attributes
    ----------
    index : int
    layer : str
        The layer's description, ``"Dense(3→2)"``.
    rule : str
        The forward rule, ``"y = x · W + b"``.
    arrays : dict of str to ndarray
        ``"x"``, the parameters by name (``"W"``, ``"b"``), ``"y"``, ``"dL/dy"``, the
        parameter gradients (``"dL/dW"``, ``"dL/db"``) and ``"dL/dx"``: copies, in the
        model's dtype, bit for bit what its own passes compute.
    rules : dict of str to str
        The rule of each array that has one (``"dL/dW": "dL/dW = xᵀ · dL/dy"``).
    """

    index: int
    layer: str
    rule: str
    arrays: dict[str, np.ndarray] = field(default_factory=dict)
    rules: dict[str, str] = field(default_factory=dict)


@dataclass
class Trace:
    """What :func:`trace` returns: the forward pass, the loss and the backward pass.

    ``print(trace)`` shows readable tables; :meth:`to_markdown` the same in Markdown.

    Attributes
    ----------
    model : str
    training : bool
        The mode the trace ran in.
    x, y : ndarray
        The samples and their targets.
    loss : str
    loss_value : float
    loss_rule, loss_grad_rule : str
    loss_grad : ndarray
        dL/d(output), what the loss's ``backward`` returned.
    layers : list of LayerTrace
        In forward order.
    precision : int
        Significant digits shown.
    """

    model: str
    training: bool
    x: np.ndarray
    y: np.ndarray
    loss: str
    loss_value: float
    loss_rule: str
    loss_grad_rule: str
    loss_grad: np.ndarray
    layers: list[LayerTrace]
    precision: int = 4

    def _header(self) -> list[str]:
        mode = "training" if self.training else "evaluation"
        return [f"Backprop trace of {self.model} on {len(self.x)} sample(s), {mode} mode"]

    def _tables(self) -> list[tuple[str, list[tuple[str, str, str, np.ndarray]]]]:
        """(title, rows of (quantity, shape, rule, values)) in the order of the derivation."""
        out = []
        for lt in self.layers:
            rows = [("x", "input" if lt.index == 0 else f"y of layer {lt.index - 1}")]
            rows += [(k, "parameter") for k in lt.arrays
                     if k not in ("x", "y") and not k.startswith("dL/")]
            rows += [("y", lt.rule)]
            out.append((f"forward, layer {lt.index}: {lt.layer}",
                        [(k, _shape(lt.arrays[k]), r, lt.arrays[k]) for k, r in rows]))
        out.append((f"loss: {self.loss} = {self.loss_value:.{self.precision}g}",
                    [("L", "()", self.loss_rule, np.asarray(self.loss_value)),
                     ("dL/dy", _shape(self.loss_grad), self.loss_grad_rule, self.loss_grad)]))
        for lt in reversed(self.layers):
            above = "from the loss" if lt.index == len(self.layers) - 1 \
                else f"dL/dx of layer {lt.index + 1}"
            rows = [(k, lt.rules.get(k, above if k == "dL/dy" else ""))
                    for k in lt.arrays if k.startswith("dL/")]
            out.append((f"backward, layer {lt.index}: {lt.layer}",
                        [(k, _shape(lt.arrays[k]), r, lt.arrays[k]) for k, r in rows]))
        return out

    def __str__(self) -> str:
        lines = self._header()
        for title, rows in self._tables():
            lines += ["", f"== {title}"]
            table = [("", "shape", "rule", "values")] + [
                (q, s, r, _format(v, self.precision)) for q, s, r, v in rows]
            widths = [max(len(line) for row in table for line in row[c].split("\n"))
                      for c in range(3)]
            for row in table:
                values = row[3].split("\n")
                for j, value_line in enumerate(values):
                    cells = row[:3] if j == 0 else ("", "", "")
                    lines.append("  " + "  ".join(f"{c:<{w}}" for c, w in zip(cells, widths))
                                 + "  " + value_line)
        return "\n".join(lines)

    def to_markdown(self) -> str:
        """The trace as Markdown: a heading and a table per step, matrices row by row."""
        out = [f"### {self._header()[0]}"]
        for title, rows in self._tables():
            out += ["", f"**{title}**", "", "| | shape | rule | values |",
                    "|---|---|---|---|"]
            for q, s, r, v in rows:
                shown = _format(v, self.precision).replace("\n", "<br>")
                out.append(f"| {q} | {s} | {r} | {shown} |")
        return "\n".join(out) + "\n"

    def _repr_markdown_(self) -> str:  # notebooks show the Markdown
        return self.to_markdown()


def _shape(a: np.ndarray) -> str:
    """``(2, 3)``; an array of more axes is shown one row per entry of its first axis."""
    shape = str(tuple(a.shape))
    return f"{shape} as {a.shape[0]} rows" if a.ndim > 2 else shape


def _format(a: np.ndarray, precision: int) -> str:
    """Rows of an array; more than two axes are shown as (N, rest)."""
    a = np.asarray(a) + 0  # shows −0.0 (a ReLU's zeroed negative gradient) as 0
    if a.ndim > 2:
        a = a.reshape(a.shape[0], -1)
    if a.ndim == 0:
        return f"{float(a):.{precision}g}"
    return np.array2string(a, precision=precision, floatmode="maxprec", separator="  ",
                           max_line_width=10_000, threshold=10_000)


def _rules(layer: Layer) -> tuple[str, dict[str, str]]:
    for cls, rule, grads in _RULES:
        if isinstance(layer, cls):
            return rule, grads
    name = type(layer).__name__
    return f"y = {name}.forward(x)", {"dL/dx": f"dL/dx = {name}.backward(dL/dy)"}


def _loss_rules(loss: Loss) -> tuple[str, str]:
    for cls, rule, grad in _LOSS_RULES:
        if isinstance(loss, cls):
            return rule, grad
    name = type(loss).__name__
    return f"L = {name}.forward(ŷ, y)", f"dL/dŷ = {name}.backward()"


def _check_size(what: str, a: np.ndarray | tuple[int, ...], max_entries: int) -> None:
    shape = a if isinstance(a, tuple) else a.shape
    size = int(np.prod(shape))
    if size > max_entries:
        raise ValueError(
            f"trace: {what} has shape {tuple(shape)}, {size:,} numbers, too many to print "
            f"(max_entries={max_entries}): a trace shows every number of the pass, for a "
            "small network on a few samples (a Dense(4, 3) layer, 2 samples); pass fewer "
            "samples, trace a smaller network, or raise max_entries")


def trace(model: Network, x: Any, y: Any, loss: Loss | None = None, training: bool = False,
          max_entries: int = MAX_ENTRIES, precision: int = 4) -> Trace:
    """Record one forward and backward pass of ``model`` on ``(x, y)``, with the rules.

    Parameters
    ----------
    model : Sequential or Network
    x : ndarray of shape (N, ...)
        A few samples (cast to the model's dtype, as ``fit`` does).
    y : ndarray of shape (N,) or (N, K)
        Their targets.
    loss : Loss, optional
        Default: the model's (set by ``use``).
    training : bool, default False
        Trace in training mode (Dropout drops, BatchNorm uses the batch's statistics)
        rather than evaluation mode. The model's modes are restored afterwards.
    max_entries : int, default 256
        Refuse any array larger than this: the trace is for reading.
    precision : int, default 4
        Significant digits shown by ``print`` and :meth:`Trace.to_markdown`; the arrays
        keep every bit.

    Returns
    -------
    Trace

    Raises
    ------
    ValueError
        No loss, a shape the model refuses, or an array too large to print (names the
        layer, the array, its shape and the limit).
    """
    if loss is None:
        loss = getattr(model, "loss", None)
        if loss is None:
            raise ValueError("trace: the model has no loss; call model.use(loss) or pass "
                             "loss=")
    chosen: Loss = loss
    if not model.layers:
        raise ValueError("trace: the model has no layers")
    x = as_input(model, x, "x")
    if getattr(model, "loss", None) is chosen:  # checked against the loss as fit checks it
        y = as_target(model, y, len(x), "y")  # type: ignore[arg-type]
    else:
        y = np.asarray(y)
        y = y.astype(model.dtype) if y.dtype.kind in "fb" else y
    _check_size("x", x, max_entries)
    for i, layer in enumerate(model.layers):
        for p in layer.parameters():
            _check_size(f"layer {i} ({layer}) parameter {p.name}", p.data, max_entries)
    saved_grads = [p.grad.copy() for p in model.parameters()]
    saved_state = {k: np.copy(v) for k, v in model.state_dict().items() if ".state." in k}
    modes = [layer.training for layer in model.layers]
    model.train(training)
    try:
        return _run(model, x, y, chosen, training, max_entries, precision)
    finally:
        for layer, mode in zip(model.layers, modes):
            layer.training = mode
        for p, g in zip(model.parameters(), saved_grads):
            p.grad[...] = g
        for i, layer in enumerate(model.layers):
            prefix = f"layers.{i}.state."
            own = {k[len(prefix):]: v for k, v in saved_state.items() if k.startswith(prefix)}
            if own:
                layer.load_state_arrays(own)


def _run(model: Network, x: np.ndarray, y: np.ndarray, loss: Loss, training: bool,
         max_entries: int, precision: int) -> Trace:
    records = []
    h = x
    for i, layer in enumerate(model.layers):
        rule, grad_rules = _rules(layer)
        lt = LayerTrace(i, repr(layer), rule, rules=dict(grad_rules))
        lt.arrays["x"] = h.copy()
        for p in layer.parameters():
            lt.arrays[p.name] = p.data.copy()
        h = layer.forward(h)
        _check_size(f"the output of layer {i} ({layer})", h, max_entries)
        lt.arrays["y"] = h.copy()
        records.append(lt)
    value = loss.forward(h, y)
    grad = loss.backward()
    loss_grad = grad.copy()
    for p in model.parameters():
        p.zero_grad()
    for i in range(len(model.layers) - 1, -1, -1):
        layer, lt = model.layers[i], records[i]
        lt.arrays["dL/dy"] = grad.copy()
        grad = layer.backward(grad)
        for p in layer.parameters():
            key = f"dL/d{p.name}"
            lt.arrays[key] = p.grad.copy()
            lt.rules.setdefault(key, f"dL/d{p.name} = {type(layer).__name__}.backward")
        lt.arrays["dL/dx"] = grad.copy()
        lt.rules = {k: r for k, r in lt.rules.items() if k in lt.arrays}
    rule, grad_rule = _loss_rules(loss)
    return Trace(repr(model), training, x.copy(), np.asarray(y).copy(), repr(loss),
                 float(value), rule, grad_rule, loss_grad, records, precision)
