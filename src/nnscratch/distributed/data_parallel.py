"""Data-parallel training: what ``fit`` does differently when several ranks share it.

One training step of the global batch ``B`` (rows ``start:stop`` of the epoch's shuffled
order, the same on every rank), on rank ``r`` of ``R``::

    rows r·B // R  to  (r+1)·B // R                  this rank's n_r rows (maybe none)
    forward, loss, backward on them                  g_r = ∇ (mean loss over the n_r rows)
    g = Σ_r (n_r / B) · g_r                          one Allreduce of one flat buffer
    g += ∇ regularization                            once, after the reduction
    the optimizer's update with g                    identical on every rank

Σ_r (n_r / B) · g_r is the gradient of the mean loss over the B rows, the one a single
process computes, so the ranks stay on the weights that process would reach. The
reduction is the optimizer's (:attr:`Optimizer.reduce_gradients`, called at the start of
``step``), so a ``train_step`` that a user overrides cannot skip it — Horovod's
``DistributedOptimizer`` pattern.

Layers that see the batch as a whole are told about the shard too: BatchNorm sums its
statistics over every rank (:class:`BatchStats`, PyTorch's ``SyncBatchNorm``); Dropout
draws the global batch's mask, as one process would, and keeps its rows.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np

from ..layers.dropout import Dropout
from ..layers.norm import _BatchNorm
from ..parameter import Parameter
from ._world import World

if TYPE_CHECKING:
    from ..model import Sequential


class Shard:
    """This rank's rows of each global batch, and the reductions around one step.

    Attributes
    ----------
    lo, hi : int
        This rank's rows of the current global batch, counted from its first row.
    total : int
        The global batch's size B.
    weight : float
        n_r / B, this rank's share of the batch: what its gradient is weighted by.
    """

    def __init__(self, world: World, model: Sequential, log_keys: list[str]) -> None:
        self.world = world
        self.model = model
        self.lo = self.hi = self.total = 0
        self.weight = 1.0 / world.size
        self.keys = log_keys
        self._logs = np.zeros(len(log_keys) + 1)  # Σ n_r · value per key, then Σ n_r
        assert model.optimizer is not None
        self.reducer = GradientReducer(world, self, model.optimizer.params,
                                       model._add_regularization_grads)

    def rows(self, start: int, stop: int) -> tuple[int, int]:
        """This rank's part ``(start', stop')`` of the global batch ``start:stop``."""
        b, r, size = stop - start, self.world.rank, self.world.size
        self.lo, self.hi, self.total = b * r // size, b * (r + 1) // size, b
        self.weight = (self.hi - self.lo) / b
        return start + self.lo, start + self.hi

    def step(self, train_step: Callable[[np.ndarray, np.ndarray], dict[str, float]],
             xb: np.ndarray, yb: np.ndarray) -> dict[str, float]:
        """Run ``train_step`` on this rank's rows; returns the global batch's logs."""
        reducer = self.reducer
        reducer.calls = 0
        logs = train_step(xb, yb) if len(xb) else self._idle_step(xb)
        if reducer.calls == 0:  # no step here (a non-finite loss): join the reduction
            reducer.reduce(skip=True)
        return self._global_logs(logs, len(xb))

    def _idle_step(self, xb: np.ndarray) -> dict[str, float]:
        """A rank without rows in this batch still takes part: its (empty) forward and
        backward join BatchNorm's reductions and advance Dropout's generator, and its
        zero gradient, of weight 0, joins the gradients' reduction."""
        model, opt = self.model, self.model.optimizer
        assert opt is not None
        opt.zero_grad()
        out = model.forward(xb)  # (0, K)
        model._backward_params(np.zeros_like(out), model._first_trainable())
        opt.step()
        return {}

    def _global_logs(self, logs: dict[str, float], n: int) -> dict[str, float]:
        """The mean over the global batch of each of this step's values (Σ n_r · v_r / B):
        the loss and the metrics that are means over samples (accuracy). Keys that a
        user's ``train_step`` adds beyond those stay this rank's own values."""
        buf, keys = self._logs, self.keys
        for i, key in enumerate(keys):
            buf[i] = logs.get(key, 0.0) * n if n else 0.0
        buf[-1] = n
        self.world.allreduce(buf)
        total = buf[-1]
        out = {key: float(buf[i] / total) for i, key in enumerate(keys)}
        if not math.isfinite(out["loss"]):
            return {"loss": out["loss"]}
        for key, value in logs.items():
            out.setdefault(key, value)
        return out


class GradientReducer:
    """``g = Σ_r w_r g_r`` in place in every bound gradient, then the regularization
    gradients; installed as the optimizer's ``reduce_gradients``.

    The gradients travel in one contiguous buffer (one Allreduce per step, not one per
    parameter); its last entry counts the ranks that took no step, so that a non-finite
    loss on one rank stops the update on all of them.
    """

    def __init__(self, world: World, shard: Shard, params: list[Parameter],
                 add_regularization_grads: Callable[[], None]) -> None:
        self.world, self.shard, self.params = world, shard, params
        self.add_regularization_grads = add_regularization_grads  # the model's own
        self.sizes = [p.grad.size for p in params]
        dtype = params[0].grad.dtype if params else np.float64
        self.buf = np.empty(sum(self.sizes) + 1, dtype=dtype)
        self.calls = 0

    def __call__(self) -> bool:
        """Reduce; False when some rank took no step (no rank updates then)."""
        self.calls += 1
        return self.reduce(skip=False)

    def reduce(self, skip: bool) -> bool:
        buf, w, off = self.buf, self.shard.weight, 0
        for p, n in zip(self.params, self.sizes):
            np.multiply(p.grad.reshape(-1), w, out=buf[off:off + n])
            off += n
        buf[-1] = 1.0 if skip else 0.0
        self.world.allreduce(buf)
        if buf[-1] != 0:
            return False
        off = 0
        for p, n in zip(self.params, self.sizes):
            p.grad[...] = buf[off:off + n].reshape(p.grad.shape)
            off += n
        self.add_regularization_grads()  # once, on the reduced gradient
        return True


class BatchStats:
    """SyncBatchNorm: a BatchNorm layer's batch statistics over every rank's rows.

    Notes
    -----
    Forward, with m the values per channel over all ranks::

        μ = Σ_ranks Σ x / m,   σ² = Σ_ranks Σ (x − μ)² / m        (two Allreduces)

    Backward needs Σ G and Σ G ⊙ x̂ over the global batch, with G = dL/dy of the global
    mean loss. Rank r's G is that of its own mean loss, so the global sums are
    Σ_r w_r Σ G_r (one Allreduce), divided by w_r to stay in rank r's scale, which the
    gradient reduction multiplies by w_r again.
    """

    def __init__(self, world: World, shard: Shard) -> None:
        self.world, self.shard = world, shard
        self.m = 0

    def moments(self, layer: _BatchNorm, x: np.ndarray, axes: tuple[int, ...],
                shape: tuple[int, ...]) -> tuple[np.ndarray, np.ndarray, np.ndarray, int]:
        """(μ, x − μ, σ², m) of the global batch."""
        c = layer.num_features
        buf = np.empty(c + 1, dtype=x.dtype)
        x.sum(axis=axes, out=buf[:c])
        buf[c] = x.size // c
        self.world.allreduce(buf)
        m = self.m = int(buf[c])
        if m < 2:
            raise ValueError(f"{layer}: expected more than 1 value per channel when "
                             f"training, got {m} over all ranks")
        mean = buf[:c] / m  # (C,)
        centred = x - mean.reshape(shape)
        sq = np.square(centred).sum(axis=axes)  # (C,)
        var = self.world.allreduce(np.ascontiguousarray(sq)) / m
        return mean, centred, var, m

    def grad_sums(self, dbeta: np.ndarray, dgamma: np.ndarray
                  ) -> tuple[np.ndarray, np.ndarray, int]:
        """(Σ G, Σ G ⊙ x̂) of the global batch in this rank's scale, and m."""
        c, w = len(dbeta), self.shard.weight
        buf = np.concatenate([dbeta * w, dgamma * w])  # (2C,)
        self.world.allreduce(buf)
        w = w or 1.0  # a rank without rows has no dx to scale
        return buf[:c] / w, buf[c:] / w, self.m


# -- fit's part: set up, tear down ---------------------------------------------------------
def main_rank_view(world: World, verbose: int, callbacks: list[Any]) -> tuple[int, list[Any]]:
    """Only rank 0 prints and writes: the others train silent, without the callbacks that
    write files (``main_rank_only``: ModelCheckpoint, CSVLogger)."""
    if world.rank == 0:
        return verbose, callbacks
    return 0, [cb for cb in callbacks if not getattr(cb, "main_rank_only", False)]


def begin_fit(world: World, model: Sequential, rng: np.random.Generator,
              log_keys: list[str], n_samples: int, n_batches: int) -> Shard:
    """Make every rank start where rank 0 is, and install the reductions.

    Raises
    ------
    ValueError
        On every rank, when the ranks were given different numbers of samples or would
        take different numbers of steps (each must pass the same ``x``, ``y`` and
        ``batch_size``), rather than leave some of them waiting for the others' steps.
    """
    seen = world.comm.allgather((n_samples, n_batches))
    if len(set(seen)) > 1:
        raise ValueError("fit: every rank must pass the same x, y and batch_size; the ranks "
                         f"have (samples, batches per epoch) {seen}")
    # the shuffling generator: rank 0's, so every rank draws the same order
    rng.bit_generator.state = world.comm.bcast(rng.bit_generator.state, root=0)
    broadcast_model(world, model)
    shard = Shard(world, model, log_keys)
    assert model.optimizer is not None
    model.optimizer.reduce_gradients = shard.reducer
    for layer in model.layers:
        if isinstance(layer, _BatchNorm):
            layer._sync = BatchStats(world, shard)
        elif isinstance(layer, Dropout):
            layer._shard = shard
    return shard


def end_fit(model: Sequential) -> None:
    """Remove what :func:`begin_fit` installed."""
    if model.optimizer is not None:
        model.optimizer.reduce_gradients = None
    for layer in model.layers:
        if isinstance(layer, _BatchNorm):
            layer._sync = None
        elif isinstance(layer, Dropout):
            layer._shard = None


def broadcast_model(world: World, model: Sequential) -> None:
    """Rank 0's weights and layer state (BatchNorm's statistics, Dropout's generator)
    on every rank."""
    for p in model.parameters():
        data = np.ascontiguousarray(p.data)
        world.comm.Bcast(data, root=0)
        if data is not p.data:
            p.data[...] = data
    states = world.comm.bcast([layer.state_arrays() for layer in model.layers], root=0)
    if world.rank != 0:
        for layer, state in zip(model.layers, states):
            if state:
                layer.load_state_arrays(state)


def predict_sharded(world: World, model: Any, x: np.ndarray, batch_size: int | None
                    ) -> np.ndarray:
    """``model.predict(x)`` with each rank predicting its contiguous share of the rows and
    every rank receiving all of them, in order (what ``evaluate`` reduces)."""
    n, r, size = len(x), world.rank, world.size
    lo, hi = n * r // size, n * (r + 1) // size
    out = model.predict(x[lo:hi], batch_size) if hi > lo else None
    return np.concatenate([p for p in world.comm.allgather(out) if p is not None])
