"""Batch normalisation over (N, D) features and (N, C, H, W) channels."""

from __future__ import annotations

import math
from typing import Any, ClassVar

import numpy as np

from .._dtype import resolve_dtype
from .._params import Bool, Number, OrNone, Rule
from ..parameter import Parameter
from .base import SIZE, ArraySpec, Layer, Shape, check_float, config_int


class _BatchNorm(Layer):
    """Shared implementation: statistics per channel (axis 1) over every other axis."""

    _registered = False
    #: Accepted input ranks and how to describe them in errors.
    _ndims: tuple[int, ...] = ()
    #: The input shapes accepted, for errors; ``{C}`` stands for ``num_features``.
    _shape_text: ClassVar[str] = ""
    #: Data-parallel training (:mod:`nnscratch.distributed`) sets this to the reducer of
    #: the batch statistics over every rank (SyncBatchNorm); None in one process.
    _sync: Any = None

    num_features: int
    momentum: float | None
    eps: float
    affine: bool
    constraints: ClassVar[dict[str, Rule]] = {
        "num_features": SIZE,
        "momentum": OrNone(Number(0.0, 1.0, hi_open=False)),
        "eps": Number(0.0, lo_open=True),
        "affine": Bool(),
    }

    def __init__(
        self,
        num_features: int,
        momentum: float | None = 0.1,
        eps: float = 1e-5,
        affine: bool = True,
        dtype: np.typing.DTypeLike | None = None,
    ) -> None:
        self.set_params(num_features=num_features, momentum=momentum, eps=eps, affine=affine)
        self._expected = self._shape_text.format(C=num_features)
        dt = resolve_dtype(dtype)
        c = self.num_features
        self.gamma: Parameter | None = None
        self.beta: Parameter | None = None
        if self.affine:
            self.gamma = Parameter(np.ones(c, dtype=dt), name="gamma", regularize=False)
            self.beta = Parameter(np.zeros(c, dtype=dt), name="beta", regularize=False)
        self.running_mean = np.zeros(c, dtype=dt)  # (C,)
        self.running_var = np.ones(c, dtype=dt)  # (C,)
        self.num_batches_tracked = 0
        self._xhat: np.ndarray | None = None
        self._inv_std: np.ndarray | None = None
        self._trained = True  # mode of the last forward, which backward must follow

    # -- helpers ---------------------------------------------------------------------------
    def _check(self, x: np.ndarray) -> np.ndarray:
        x = check_float(self, x)
        if x.ndim not in self._ndims or x.shape[1] != self.num_features:
            raise ValueError(f"{self}: expected input of shape {self._expected}, "
                             f"got {tuple(x.shape)}")
        if x.dtype != self.running_mean.dtype:
            x = x.astype(self.running_mean.dtype)
        return x

    @staticmethod
    def _axes(x: np.ndarray) -> tuple[int, ...]:
        return (0, *range(2, x.ndim))  # every axis but the channel axis

    def _bcast(self, x: np.ndarray) -> tuple[int, ...]:
        return (1, self.num_features) + (1,) * (x.ndim - 2)  # (1, C, 1, ...)

    # -- the protocol ------------------------------------------------------------------------
    def forward(self, x: np.ndarray) -> np.ndarray:
        """Normalise per channel with batch (training) or running (evaluation) statistics.

        Parameters
        ----------
        x : ndarray of shape (N, C) or (N, C, ...)

        Returns
        -------
        ndarray of the same shape: γ · x̂ + β
        """
        x = self._check(x)
        axes, shape = self._axes(x), self._bcast(x)
        if self.training and self._sync is not None:  # the global batch's statistics
            mean, xhat, var, n = self._sync.moments(self, x, axes, shape)
            self._update_running(mean, var, n)
        elif self.training:
            n = x.size // self.num_features  # values per channel
            if n < 2:
                raise ValueError(f"{self}: expected more than 1 value per channel when "
                                 f"training, got input of shape {tuple(x.shape)}")
            mean = x.mean(axis=axes)  # (C,)
            xhat = x - mean.reshape(shape)  # centred; becomes x̂ in place below
            var = np.square(xhat).mean(axis=axes)  # (C,) biased, used to normalise
            self._update_running(mean, var, n)
        else:
            mean, var = self.running_mean, self.running_var
            xhat = x - mean.reshape(shape)
        inv_std = 1.0 / np.sqrt(var + self.eps)  # (C,)
        xhat *= inv_std.reshape(shape)
        self._xhat, self._inv_std, self._trained = xhat, inv_std, self.training
        if self.gamma is None or self.beta is None:
            return xhat.copy()
        y = xhat * self.gamma.data.reshape(shape)
        y += self.beta.data.reshape(shape)
        return y

    def _update_running(self, mean: np.ndarray, var: np.ndarray, n: int) -> None:
        """Exponential (or, with momentum None, cumulative) averages of the batch
        statistics; the variance is the unbiased one, n / (n − 1) times the batch's."""
        self.num_batches_tracked += 1
        f = self.momentum if self.momentum is not None else 1.0 / self.num_batches_tracked
        self.running_mean *= 1.0 - f
        self.running_mean += f * mean
        self.running_var *= 1.0 - f
        self.running_var += (f * n / (n - 1)) * var

    def backward(self, grad_out: np.ndarray) -> np.ndarray:
        """Backpropagate through y = γ x̂ + β.

        Parameters
        ----------
        grad_out : ndarray of the input's shape
            dL/dy.

        Returns
        -------
        ndarray of the input's shape
            dL/dx (see the class Notes for both modes).
        """
        xhat = self._need("_xhat")
        inv_std = self._need("_inv_std")
        if grad_out.shape != xhat.shape:
            raise ValueError(f"{self}.backward: expected grad_out of shape {xhat.shape}, "
                             f"got {tuple(grad_out.shape)}")
        axes, shape = self._axes(xhat), self._bcast(xhat)
        dbeta = grad_out.sum(axis=axes)  # (C,)
        n_, c = xhat.shape[:2]
        rest = (n_, c, math.prod(xhat.shape[2:]))  # not -1: n_ may be 0 (an empty shard)
        dgamma = np.einsum("ncl,ncl->c", grad_out.reshape(rest),
                           xhat.reshape(rest))  # (C,) Σ G ⊙ x̂ without a temporary
        scale = inv_std
        if self.gamma is not None and self.beta is not None:
            self.gamma.grad += dgamma
            self.beta.grad += dbeta
            scale = self.gamma.data * inv_std  # (C,) γ / σ
        if not self._trained:  # statistics are constants: a per-channel affine map
            return grad_out * scale.reshape(shape)
        n = xhat.size // self.num_features
        if self._sync is not None:  # the global batch's sums, in this rank's scale
            dbeta, dgamma, n = self._sync.grad_sums(dbeta, dgamma)
        dx = grad_out - (dbeta / n).reshape(shape)
        dx -= xhat * (dgamma / n).reshape(shape)
        dx *= scale.reshape(shape)
        return dx

    def parameters(self) -> list[Parameter]:
        return [] if self.gamma is None or self.beta is None else [self.gamma, self.beta]

    # -- description and state ---------------------------------------------------------------
    def _check_shape(self, input_shape: Shape) -> Shape:
        if (len(input_shape) + 1 not in self._ndims
                or input_shape[0] not in (None, self.num_features)):
            raise ValueError(f"{self}: expected input of shape {self._expected}, got "
                             f"(N, {', '.join(str(d) for d in input_shape)})")
        return input_shape

    def output_shape(self, input_shape: Shape) -> Shape:
        return self._check_shape(input_shape)

    @classmethod
    def array_specs(cls, config: dict[str, Any]) -> dict[str, ArraySpec]:
        """``gamma`` and ``beta`` (when affine) and the running statistics, all (C,)."""
        c = config_int(cls.__name__, config, "num_features")
        specs = {"gamma": ArraySpec((c,)), "beta": ArraySpec((c,))} \
            if bool(config.get("affine", True)) else {}
        specs.update({"state.running_mean": ArraySpec((c,)),
                      "state.running_var": ArraySpec((c,)),
                      "state.num_batches_tracked": ArraySpec((), "iu")})
        return specs

    def astype(self, dtype: np.typing.DTypeLike) -> Layer:
        super().astype(dtype)
        self.running_mean = self.running_mean.astype(dtype)
        self.running_var = self.running_var.astype(dtype)
        return self

    def state_arrays(self) -> dict[str, np.ndarray]:
        """Copies of the running statistics (saved with the weights)."""
        return {
            "running_mean": self.running_mean.copy(),
            "running_var": self.running_var.copy(),
            "num_batches_tracked": np.array(self.num_batches_tracked, dtype=np.int64),
        }

    def load_state_arrays(self, arrays: dict[str, np.ndarray]) -> None:
        """Copy saved running statistics into this layer (shapes must match)."""
        expected = {"running_mean", "running_var", "num_batches_tracked"}
        missing = {"running_mean", "running_var"} - set(arrays)
        unexpected = set(arrays) - expected
        if missing or unexpected:
            raise ValueError(f"{self}: saved state has keys {sorted(arrays)}, "
                             f"expected {sorted(expected)}")
        for name in ("running_mean", "running_var"):
            value = np.asarray(arrays[name])
            if value.shape != (self.num_features,):
                raise ValueError(f"{self}: saved {name} has shape {value.shape}, "
                                 f"expected ({self.num_features},)")
            getattr(self, name)[...] = value
        if "num_batches_tracked" in arrays:
            self.num_batches_tracked = int(arrays["num_batches_tracked"])


class BatchNorm1D(_BatchNorm):
    """Batch normalisation of features, like ``torch.nn.BatchNorm1d``.

    Parameters
    ----------
    num_features : int
        D, the number of features (channels) C.
    momentum : float in [0, 1] or None, default 0.1
        Weight of the new batch in the running statistics (PyTorch's convention; Keras's
        ``momentum=0.99`` is 1 − this). None keeps a cumulative average instead.
    eps : float > 0, default 1e-5
        Added to the variance.
    affine : bool, default True
        Learn a scale ``gamma`` (starts at 1) and a shift ``beta`` (starts at 0).
    dtype : float32 or float64, optional
        Parameter and running-statistics dtype (default: the library default).

    Attributes
    ----------
    gamma, beta : Parameter of shape (C,) or None
        Learnable scale and shift, with ``regularize=False``.
    running_mean, running_var : ndarray of shape (C,)
        Running statistics used in evaluation mode; saved with the weights.

    Shape
    -----
    x : ndarray of shape (N, C) or (N, C, L) -> y : same shape. Statistics are per
    feature, over the batch (and L).

    Notes
    -----
    In training mode, with the batch mean μ and the biased batch variance σ² per channel
    over the m = N (or N·L) values::

        x̂ = (x − μ) / √(σ² + ε),   y = γ x̂ + β
        running_mean ← (1 − momentum) · running_mean + momentum · μ
        running_var  ← (1 − momentum) · running_var  + momentum · σ² · m / (m − 1)

    (the running variance uses the unbiased estimate, as PyTorch does). Backward, with
    G = dL/dy, Σ over the m values of a channel::

        dL/dβ = Σ G,   dL/dγ = Σ G ⊙ x̂
        dL/dx = γ / √(σ² + ε) · (G − dL/dβ / m − x̂ · dL/dγ / m)

    which accounts for μ and σ² depending on every x of the batch. In evaluation mode the
    running statistics replace μ and σ² and are constants, so
    dL/dx = γ / √(running_var + ε) · G (dL/dγ and dL/dβ as above).

    References
    ----------
    Ioffe & Szegedy, "Batch normalization: Accelerating deep network training by reducing
    internal covariate shift", ICML 2015, arXiv:1502.03167.

    Examples
    --------
    >>> import numpy as np
    >>> bn = BatchNorm1D(3)
    >>> x = np.random.default_rng(0).normal(5.0, 2.0, size=(64, 3)).astype(np.float32)
    >>> y = bn(x)                                # training: batch statistics
    >>> bool(np.allclose(y.mean(axis=0), 0, atol=1e-5)), y.dtype
    (True, dtype('float32'))
    >>> bn.running_mean.round(1)                 # 0.9 · 0 + 0.1 · (≈ 5)
    array([0.5, 0.5, 0.5], dtype=float32)
    >>> y_eval = bn.eval()(x)                    # evaluation: running statistics
    """

    _ndims = (2, 3)
    _shape_text = "(N, {C}) or (N, {C}, L)"


class BatchNorm2D(_BatchNorm):
    """Batch normalisation of image channels, like ``torch.nn.BatchNorm2d``.

    The parameters, attributes and equations are those of :class:`BatchNorm1D`, with the
    statistics of each channel taken over the batch and both spatial axes
    (m = N·H·W values).

    Shape
    -----
    x : ndarray of shape (N, C, H, W) -> y : same shape.

    Examples
    --------
    >>> import numpy as np
    >>> bn = BatchNorm2D(16)
    >>> bn(np.ones((8, 16, 5, 5), dtype=np.float32)).shape   # after a Conv2D(…, 16, …)
    (8, 16, 5, 5)

    References
    ----------
    Ioffe & Szegedy, "Batch normalization: Accelerating deep network training by reducing
    internal covariate shift", ICML 2015, arXiv:1502.03167.
    """

    _ndims = (4,)
    _shape_text = "(N, {C}, H, W)"
