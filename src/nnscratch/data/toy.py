"""Small built-in datasets: the articles' XOR-like toy set, spirals, and the 8×8 digits."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np

from .._rng import as_rng


def make_xor(dtype: np.typing.DTypeLike = np.float32) -> tuple[np.ndarray, np.ndarray]:
    """The four-row, three-input toy set of the classic two-layer network article.

    The third input is always 1 (a bias input); the target is the XOR of the first two.

    Returns
    -------
    x : ndarray of shape (4, 3)
    y : ndarray of shape (4, 1)
    """
    x = np.array([[0, 0, 1], [0, 1, 1], [1, 0, 1], [1, 1, 1]], dtype=dtype)
    y = np.array([[0], [1], [1], [0]], dtype=dtype)
    return x, y


def make_spirals(
    n_samples: int = 100,
    n_classes: int = 3,
    noise: float = 0.2,
    rng: np.random.Generator | int | None = None,
    dtype: np.typing.DTypeLike = np.float32,
) -> tuple[np.ndarray, np.ndarray]:
    """Interleaved 2-D spirals, one arm per class: not linearly separable.

    Parameters
    ----------
    n_samples : int
        Points per class.
    n_classes : int
        Number of arms (classes), ≥ 2.
    noise : float
        Standard deviation of the angular noise.
    rng : Generator, int or None

    Returns
    -------
    x : ndarray of shape (n_samples · n_classes, 2)
    y : ndarray of shape (n_samples · n_classes,), int64 labels
    """
    if n_samples < 1 or n_classes < 2:
        raise ValueError(f"make_spirals: need n_samples >= 1 and n_classes >= 2, "
                         f"got {n_samples}, {n_classes}")
    if noise < 0:
        raise ValueError(f"make_spirals: noise must be >= 0, got {noise!r}")
    gen = as_rng(rng)
    r = np.tile(np.linspace(0.0, 1.0, n_samples), n_classes)  # (K·n,)
    labels = np.repeat(np.arange(n_classes), n_samples)
    t = (labels * 4.0 + r * 4.0) + gen.normal(0.0, noise, size=r.shape)
    x = np.stack([r * np.sin(t), r * np.cos(t)], axis=1).astype(dtype)
    return x, labels.astype(np.int64)


def _sklearn_digits_file() -> Path | None:
    spec = importlib.util.find_spec("sklearn")
    if spec is None or not spec.submodule_search_locations:
        return None
    path = Path(next(iter(spec.submodule_search_locations))) / "datasets" / "data" / "digits.csv.gz"
    return path if path.exists() else None


def load_digits(dtype: np.typing.DTypeLike = np.float32) -> tuple[np.ndarray, np.ndarray]:
    """The 8×8 handwritten digits (1,797 images, 10 classes) that ship inside scikit-learn.

    Pixel values are integers 0–16. Needs the ``digits`` extra
    (``pip install nnscratch[digits]``); the CSV file is read directly, without importing
    scikit-learn.

    Returns
    -------
    x : ndarray of shape (1797, 64)
    y : ndarray of shape (1797,), int64 labels 0–9
    """
    path = _sklearn_digits_file()
    if path is None:
        raise ImportError("load_digits needs scikit-learn, which ships the digits data: "
                          "pip install 'nnscratch[digits]'")
    table = np.loadtxt(path, delimiter=",", dtype=np.float64)
    if table.ndim != 2 or table.shape[1] != 65:
        raise ValueError(f"{path}: expected 65 columns (64 pixels and a label), "
                         f"got shape {table.shape}")
    return table[:, :64].astype(dtype), table[:, 64].astype(np.int64)
