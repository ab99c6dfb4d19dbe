"""Fashion-MNIST for the benchmarks, decoded once and handed to every worker as .npy.

The library's loader is used when it is there; otherwise a minimal IDX reader. Without
the dataset (a CI machine), ``--smoke`` runs on random images of the same shape.
"""

from __future__ import annotations

import gzip
import os
from pathlib import Path

import numpy as np

FASHION_DIRS = (
    os.environ.get("NNSCRATCH_FASHION_MNIST", ""),
    str(Path.home() / ".cache" / "nnscratch" / "fashion-mnist"),
    "/usr/share/datasets/fashion-mnist",
)
FILES = {
    "x_train": "train-images-idx3-ubyte",
    "y_train": "train-labels-idx1-ubyte",
    "x_test": "t10k-images-idx3-ubyte",
    "y_test": "t10k-labels-idx1-ubyte",
}


def read_idx(path: Path) -> np.ndarray:
    """An IDX file (gzipped or not) as a uint8 array of its declared shape."""
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rb") as f:
        raw = f.read()
    if raw[:3] != b"\x00\x00\x08":
        raise ValueError(f"{path.name}: bad magic number 0x{raw[:4].hex()}, expected "
                         "0x00000801 or 0x00000803 (unsigned bytes)")
    ndim = raw[3]
    dims = [int.from_bytes(raw[4 + 4 * i: 8 + 4 * i], "big") for i in range(ndim)]
    return np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * ndim).reshape(dims)


def _find(stem: str) -> Path | None:
    for folder in filter(None, FASHION_DIRS):
        for name in (stem + ".gz", stem):
            if (Path(folder) / name).exists():
                return Path(folder) / name
    return None


def load_uint8() -> dict[str, np.ndarray] | None:
    """The four arrays as uint8 images (N, 28, 28) and labels (N,), or None if absent."""
    try:
        from nnscratch.data import load_fashion_mnist

        (xtr, ytr), (xte, yte) = load_fashion_mnist(download=False)
        return {"x_train": xtr, "y_train": ytr, "x_test": xte, "y_test": yte}
    except Exception:  # not written yet, or no local copy: fall back to the files
        pass
    paths = {k: _find(stem) for k, stem in FILES.items()}
    if any(p is None for p in paths.values()):
        return None
    return {k: read_idx(p) for k, p in paths.items()}  # type: ignore[arg-type]


def synthetic(n_train: int, n_test: int, seed: int = 0) -> dict[str, np.ndarray]:
    """Random images and labels shaped like Fashion-MNIST (for smoke runs without data)."""
    rng = np.random.default_rng(seed)
    return {
        "x_train": rng.integers(0, 256, (n_train, 28, 28), dtype=np.uint8),
        "y_train": rng.integers(0, 10, n_train, dtype=np.uint8),
        "x_test": rng.integers(0, 256, (n_test, 28, 28), dtype=np.uint8),
        "y_test": rng.integers(0, 10, n_test, dtype=np.uint8),
    }


def prepare(cache: Path, smoke: bool) -> str:
    """Write the arrays as .npy into ``cache`` once; returns a description of the source."""
    cache.mkdir(parents=True, exist_ok=True)
    arrays = load_uint8()
    source = "Fashion-MNIST"
    if arrays is None:
        if not smoke:
            raise SystemExit("Fashion-MNIST not found (looked in "
                             f"{', '.join(filter(None, FASHION_DIRS))}); set "
                             "NNSCRATCH_FASHION_MNIST, or run with --smoke for random data")
        arrays, source = synthetic(2048, 1024), "random images (Fashion-MNIST not found)"
    for k, v in arrays.items():
        np.save(cache / f"{k}.npy", np.ascontiguousarray(v))
    return source


def load_float(cache: Path, n_train: int | None = None, n_test: int | None = None,
               images: bool = False) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """float32 inputs scaled to [0, 1] and int64 labels, flat (N, 784) or (N, 1, 28, 28)."""
    out = []
    for split, n in (("train", n_train), ("test", n_test)):
        x = np.load(cache / f"x_{split}.npy")[:n]
        y = np.load(cache / f"y_{split}.npy")[:n]
        shape = (len(x), 1, 28, 28) if images else (len(x), 784)
        xf = x.reshape(shape).astype(np.float32)
        xf *= np.float32(1 / 255)
        out += [xf, y.astype(np.int64)]
    return out[0], out[1], out[2], out[3]
