"""Preprocessing and batching: flatten, scale, standardize, one-hot, split, iterate.

Shapes follow one vocabulary: samples along the first axis, ``(n_samples, ...)``.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, overload

import numpy as np

from .._rng import as_rng


def _n_samples(x: np.ndarray, what: str) -> int:
    if x.ndim == 0:
        raise ValueError(f"{what} must have a sample axis, got a scalar")
    return int(x.shape[0])


def _check_same_length(x: np.ndarray, y: np.ndarray | None) -> None:
    if y is not None and len(y) != len(x):
        raise ValueError(f"x and y must have the same number of samples, got {len(x)} and {len(y)}")


def _is_int(value: Any) -> bool:
    return isinstance(value, (int, np.integer)) and not isinstance(value, (bool, np.bool_))


def flatten(x: np.ndarray) -> np.ndarray:
    """Flatten every sample: ``(N, d1, d2, ...)`` -> ``(N, d1 * d2 * ...)``.

    A view when the layout allows (no copy for contiguous arrays). A 1-D input becomes
    one feature per sample, ``(N, 1)``.

    Examples
    --------
    >>> flatten(np.zeros((10, 28, 28))).shape
    (10, 784)
    """
    x = np.asarray(x)
    n = _n_samples(x, "x")
    return x.reshape(n, -1) if n else x.reshape(0, int(np.prod(x.shape[1:], dtype=np.int64)))


def normalize(
    x: np.ndarray, scale: float = 255.0, dtype: np.typing.DTypeLike = np.float32
) -> np.ndarray:
    """Scale to [0, 1]: ``x / scale`` as ``dtype`` (float32 by default).

    ``scale=255`` maps 8-bit pixels to [0, 1], as in the classic articles.

    Examples
    --------
    >>> normalize(np.array([0, 51, 255], dtype=np.uint8))
    array([0. , 0.2, 1. ], dtype=float32)
    """
    dt = np.dtype(dtype)
    if not np.issubdtype(dt, np.floating):
        raise ValueError(f"dtype must be a floating type, got {dt}")
    if not np.isfinite(scale) or scale <= 0:
        raise ValueError(f"scale must be a finite number > 0, got {scale!r}")
    out = np.asarray(x, dtype=dt)
    return np.divide(out, np.asarray(scale, dtype=dt), dtype=dt)


class Standardizer:
    """Zero mean, unit variance with statistics from the training set.

    ``z = (x - mean) / sqrt(var + eps)``, where mean and var come from :meth:`fit`,
    per feature (``axis=0``) or over all values (``axis=None``). Fitting on the
    training set alone and applying the same statistics to the test set keeps test
    information out of training.

    Parameters
    ----------
    eps : float, default 1e-8
        Added to the variance so constant features map to 0 instead of dividing by 0.
    axis : 0 or None, default 0
        0: one mean/std per feature (each trailing position); None: one for everything.

    Attributes
    ----------
    mean_, std_ : ndarray of shape x.shape[1:] (axis=0) or () (axis=None)

    Examples
    --------
    >>> x_train = np.array([[0.0, 10.0], [2.0, 10.0]])
    >>> s = Standardizer().fit(x_train)
    >>> s.transform(np.array([[1.0, 10.0]]))
    array([[0., 0.]])
    """

    def __init__(self, eps: float = 1e-8, axis: int | None = 0) -> None:
        if not np.isfinite(eps) or eps < 0:
            raise ValueError(f"eps must be a finite number >= 0, got {eps!r}")
        if axis not in (0, None):
            raise ValueError(f"axis must be 0 or None, got {axis!r}")
        self.eps = float(eps)
        self.axis = axis
        self.mean_: np.ndarray | None = None
        self.std_: np.ndarray | None = None

    def fit(self, x: np.ndarray) -> Standardizer:
        """Learn mean and standard deviation from ``x`` of shape (n_samples, ...)."""
        x = np.asarray(x)
        if _n_samples(x, "x") == 0:
            raise ValueError("Standardizer.fit() needs at least one sample, got 0")
        x64 = x.astype(np.float64, copy=False)  # accumulate in float64: uint8 sums overflow
        self.mean_ = x64.mean(axis=self.axis)
        self.std_ = np.sqrt(x64.var(axis=self.axis) + self.eps)
        return self

    def transform(self, x: np.ndarray, dtype: np.typing.DTypeLike | None = None) -> np.ndarray:
        """Apply the fitted statistics.

        ``dtype`` defaults to x's floating dtype, or float32 for integer input.
        """
        if self.mean_ is None or self.std_ is None:
            raise RuntimeError("Standardizer.transform() called before fit()")
        x = np.asarray(x)
        if self.axis == 0 and x.shape[1:] != self.mean_.shape:
            raise ValueError(
                f"Standardizer was fitted on samples of shape {self.mean_.shape}, "
                f"got x of shape {x.shape}"
            )
        dt = _float_dtype(x, dtype)
        return ((x - self.mean_) / self.std_).astype(dt, copy=False)

    def fit_transform(self, x: np.ndarray, dtype: np.typing.DTypeLike | None = None) -> np.ndarray:
        return self.fit(x).transform(x, dtype)

    def inverse_transform(self, z: np.ndarray) -> np.ndarray:
        """Undo :meth:`transform`: ``z * std + mean``."""
        if self.mean_ is None or self.std_ is None:
            raise RuntimeError("Standardizer.inverse_transform() called before fit()")
        z = np.asarray(z)
        return (z * self.std_ + self.mean_).astype(_float_dtype(z, None), copy=False)

    def __repr__(self) -> str:
        return f"Standardizer(eps={self.eps!r}, axis={self.axis!r})"


def _float_dtype(x: np.ndarray, dtype: np.typing.DTypeLike | None) -> np.dtype:
    if dtype is not None:
        dt = np.dtype(dtype)
        if not np.issubdtype(dt, np.floating):
            raise ValueError(f"dtype must be a floating type, got {dt}")
        return dt
    return x.dtype if np.issubdtype(x.dtype, np.floating) else np.dtype(np.float32)


@overload
def standardize(
    x_train: np.ndarray, x_test: None = None, eps: float = ..., axis: int | None = ...
) -> np.ndarray: ...
@overload
def standardize(
    x_train: np.ndarray, x_test: np.ndarray, eps: float = ..., axis: int | None = ...
) -> tuple[np.ndarray, np.ndarray]: ...
def standardize(
    x_train: np.ndarray,
    x_test: np.ndarray | None = None,
    eps: float = 1e-8,
    axis: int | None = 0,
) -> np.ndarray | tuple[np.ndarray, np.ndarray]:
    """Standardize with the training set's statistics (see :class:`Standardizer`).

    Returns ``x_train`` standardized, or ``(x_train, x_test)`` both scaled with the
    statistics of ``x_train`` when ``x_test`` is given.

    Examples
    --------
    >>> a, b = standardize(np.array([[1.0], [3.0]]), np.array([[5.0]]))
    >>> a.ravel().round(6), b.ravel().round(6)
    (array([-1.,  1.]), array([3.]))
    """
    scaler = Standardizer(eps=eps, axis=axis).fit(x_train)
    if x_test is None:
        return scaler.transform(x_train)
    return scaler.transform(x_train), scaler.transform(x_test)


def one_hot(
    labels: np.ndarray, num_classes: int | None = None, dtype: np.typing.DTypeLike = np.float32
) -> np.ndarray:
    """Encode integer labels as one-hot rows.

    Parameters
    ----------
    labels : array of int, shape (N,) (any shape works; a class axis is appended)
    num_classes : int, optional
        Defaults to ``labels.max() + 1``.
    dtype : default float32

    Returns
    -------
    ndarray of shape labels.shape + (num_classes,)

    Raises
    ------
    ValueError
        Non-integer labels, or a label outside ``[0, num_classes)``.

    Examples
    --------
    >>> one_hot(np.array([0, 2]), 3)
    array([[1., 0., 0.],
           [0., 0., 1.]], dtype=float32)
    """
    y = np.asarray(labels)
    if y.dtype.kind == "f":
        if not np.all(np.isfinite(y)) or not np.array_equal(y, np.round(y)):
            raise ValueError("labels must be integers, got non-integral floats")
        y = y.astype(np.int64)
    elif y.dtype.kind not in "iub":
        raise ValueError(f"labels must be integers, got dtype {y.dtype}")
    if num_classes is None:
        if y.size == 0:
            raise ValueError("num_classes is needed when labels is empty")
        num_classes = int(y.max()) + 1
    elif not _is_int(num_classes) or num_classes < 1:
        raise ValueError(f"num_classes must be a positive integer, got {num_classes!r}")
    if y.size and (y.min() < 0 or y.max() >= num_classes):
        raise ValueError(
            f"labels must be in [0, {num_classes}), got values in "
            f"[{int(y.min())}, {int(y.max())}]"
        )
    out = np.zeros((*y.shape, int(num_classes)), dtype=dtype)
    np.put_along_axis(out, y.astype(np.intp)[..., None], 1, axis=-1)
    return out


def _resolve_test_count(test_size: float | int, n: int) -> int:
    if _is_int(test_size):
        n_test = int(test_size)
        if not 1 <= n_test <= n - 1:
            raise ValueError(
                f"test_size={test_size} must be between 1 and n_samples - 1 = {n - 1}"
            )
        return n_test
    if isinstance(test_size, (float, np.floating)) and 0.0 < test_size < 1.0:
        n_test = int(np.ceil(test_size * n))
        if not 1 <= n_test <= n - 1:
            raise ValueError(
                f"test_size={test_size} with {n} samples leaves {n - n_test} for training "
                f"and {n_test} for testing; both need at least 1"
            )
        return n_test
    raise ValueError(
        f"test_size must be a float in (0, 1) or an int count, got {test_size!r}"
    )


def _stratified_test_counts(
    counts: np.ndarray, n_test: int, gen: np.random.Generator
) -> np.ndarray:
    """Share ``n_test`` among classes in proportion to ``counts`` (largest remainders)."""
    exact = counts * (n_test / counts.sum())
    take = np.floor(exact).astype(np.int64)
    left = n_test - int(take.sum())
    if left:
        remainder = exact - take
        # largest remainder first; ties broken at random, not by class order
        order = np.lexsort((gen.random(len(counts)), -remainder))
        room = take < counts
        order = order[room[order]]
        take[order[:left]] += 1
    return take


def train_test_split(
    x: np.ndarray,
    y: np.ndarray | None = None,
    test_size: float | int = 0.2,
    *,
    rng: np.random.Generator | int | None = None,
    stratify: bool | np.ndarray = False,
    shuffle: bool = True,
) -> tuple[np.ndarray, ...]:
    """Split arrays into random train and test subsets (scikit-learn's semantics).

    Parameters
    ----------
    x : ndarray of shape (n_samples, ...)
    y : ndarray of shape (n_samples, ...), optional
    test_size : float in (0, 1) or int, default 0.2
        Fraction of the samples (rounded up) or their number in the test set.
    rng : numpy Generator, int or None
        Seed or generator for the shuffle; the same seed gives the same split.
    stratify : bool or array of shape (n_samples,), default False
        ``True`` keeps the class proportions of ``y`` in both parts; an array keeps
        the proportions of those labels instead. Needs ``shuffle=True``.
    shuffle : bool, default True
        Without shuffling the last ``n_test`` samples are the test set.

    Returns
    -------
    x_train, x_test, y_train, y_test
        (or ``x_train, x_test`` when ``y`` is None)

    Examples
    --------
    >>> x, y = np.arange(20).reshape(10, 2), np.array([0] * 5 + [1] * 5)
    >>> x_tr, x_te, y_tr, y_te = train_test_split(x, y, 0.4, rng=0, stratify=True)
    >>> len(x_tr), np.bincount(y_te)
    (6, array([2, 2]))
    """
    x = np.asarray(x)
    n = _n_samples(x, "x")
    if y is not None:
        y = np.asarray(y)
        _check_same_length(x, y)
    if n < 2:
        raise ValueError(f"train_test_split needs at least 2 samples, got {n}")
    n_test = _resolve_test_count(test_size, n)

    strata: np.ndarray | None
    if isinstance(stratify, (bool, np.bool_)):
        if stratify and y is None:
            raise ValueError("stratify=True needs y (or pass the labels to stratify by)")
        strata = y if stratify else None
    else:
        strata = np.asarray(stratify)
        if strata.shape[:1] != (n,):
            raise ValueError(
                f"stratify must be a bool or labels of shape ({n},), got shape {strata.shape}"
            )
    if strata is not None and strata.ndim != 1:
        raise ValueError(f"stratify labels must be of shape ({n},), got shape {strata.shape}")
    if strata is not None and not shuffle:
        raise ValueError("stratify needs shuffle=True")

    gen = as_rng(rng)
    if not shuffle:
        train_idx, test_idx = np.arange(n - n_test), np.arange(n - n_test, n)
    elif strata is None:
        perm = gen.permutation(n)
        train_idx, test_idx = perm[n_test:], perm[:n_test]
    else:
        classes, inverse, counts = np.unique(strata, return_inverse=True, return_counts=True)
        if counts.min() < 2:
            raise ValueError(
                f"stratify: class {classes[np.argmin(counts)].item()!r} has only "
                f"{counts.min()} sample; every class needs at least 2"
            )
        take = _stratified_test_counts(counts, n_test, gen)
        test_parts, train_parts = [], []
        for k in range(len(classes)):
            members = gen.permutation(np.flatnonzero(inverse == k))
            test_parts.append(members[: take[k]])
            train_parts.append(members[take[k] :])
        # shuffle again so the parts are not grouped by class
        train_idx = gen.permutation(np.concatenate(train_parts))
        test_idx = gen.permutation(np.concatenate(test_parts))

    if y is None:
        return x[train_idx], x[test_idx]
    return x[train_idx], x[test_idx], y[train_idx], y[test_idx]


class Batches:
    """Mini-batches over ``(x, y)``, reshuffled at the start of every epoch.

    Iterating once is one epoch. The generator is created once from ``rng``, so each
    epoch gets a new order and a seeded run repeats exactly. Only an index
    permutation is drawn per epoch; each batch gathers its own rows, so the dataset
    is never copied as a whole.

    Use :func:`batches` to create one.
    """

    def __init__(
        self,
        x: np.ndarray,
        y: np.ndarray | None,
        batch_size: int,
        shuffle: bool,
        rng: np.random.Generator | int | None,
        drop_last: bool,
    ) -> None:
        self.x = np.asarray(x)
        self.y = None if y is None else np.asarray(y)
        n = _n_samples(self.x, "x")
        _check_same_length(self.x, self.y)
        if not _is_int(batch_size) or batch_size < 1:
            raise ValueError(f"batch_size must be a positive integer, got {batch_size!r}")
        if not isinstance(shuffle, (bool, np.bool_)):
            raise ValueError(f"shuffle must be True or False, got {shuffle!r}")
        if not isinstance(drop_last, (bool, np.bool_)):
            raise ValueError(f"drop_last must be True or False, got {drop_last!r}")
        self.n_samples = n
        self.batch_size = int(batch_size)
        self.shuffle = bool(shuffle)
        self.drop_last = bool(drop_last)
        self.rng = as_rng(rng)

    def __len__(self) -> int:
        """Batches per epoch."""
        if self.drop_last:
            return self.n_samples // self.batch_size
        return -(-self.n_samples // self.batch_size)

    def __iter__(self) -> Iterator[Any]:
        n, bs = self.n_samples, self.batch_size
        stop = n - n % bs if self.drop_last else n
        order = self.rng.permutation(n) if self.shuffle else None
        for start in range(0, stop, bs):
            if order is None:
                sl = slice(start, start + bs)  # views, no copy at all
                xb = self.x[sl]
                yb = None if self.y is None else self.y[sl]
            else:
                idx = order[start : start + bs]
                xb = self.x[idx]  # (B, ...) gathered for this batch only
                yb = None if self.y is None else self.y[idx]
            yield xb if yb is None else (xb, yb)

    def __repr__(self) -> str:
        return (
            f"Batches(n_samples={self.n_samples}, batch_size={self.batch_size}, "
            f"shuffle={self.shuffle}, drop_last={self.drop_last})"
        )


def batches(
    x: np.ndarray,
    y: np.ndarray | None = None,
    batch_size: int = 32,
    shuffle: bool = True,
    rng: np.random.Generator | int | None = None,
    drop_last: bool = False,
) -> Batches:
    """Iterate over mini-batches, reshuffling every epoch.

    Parameters
    ----------
    x : ndarray of shape (n_samples, ...)
    y : ndarray of shape (n_samples, ...), optional
    batch_size : int, default 32
    shuffle : bool, default True
        Draw a new order at the start of every epoch (every ``for`` loop over it).
    rng : numpy Generator, int or None
        Seed or generator; the same seed gives the same sequence of epochs.
    drop_last : bool, default False
        Skip the last batch when it is smaller than ``batch_size``.

    Returns
    -------
    Batches
        A re-iterable with ``len()`` = batches per epoch, yielding ``(x_batch,
        y_batch)`` (or ``x_batch`` alone when ``y`` is None).

    Examples
    --------
    >>> loader = batches(np.arange(10), np.arange(10), batch_size=4, rng=0)
    >>> len(loader), [len(xb) for xb, yb in loader]
    (3, [4, 4, 2])
    """
    return Batches(x, y, batch_size, shuffle, rng, drop_last)
