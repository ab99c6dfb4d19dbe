"""Shared test fixtures and helpers: where the real datasets are, torch when it is installed,
and what several test files use (a toy dataset, running an example script, reading a
command's JSON line, writing a raw model file). Test files import the helpers with
``from conftest import ...``."""

from __future__ import annotations

import importlib.util
import json
import os
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np
import pytest

REPO = Path(__file__).resolve().parents[1]
EXAMPLES = REPO / "examples"


def shared_data_dir() -> Path:
    """The read-only shared data folder: $NNSCRATCH_SHARED_DATA, else ../shared/data."""
    env = os.environ.get("NNSCRATCH_SHARED_DATA")
    return Path(env) if env else REPO.parent / "shared" / "data"


def fashion_mnist_dir() -> Path:
    """Full Fashion-MNIST: $NNSCRATCH_FASHION_MNIST, else the Debian package's folder."""
    env = os.environ.get("NNSCRATCH_FASHION_MNIST")
    return Path(env) if env else Path("/usr/share/datasets/fashion-mnist")


def require_data(path: Path, what: str) -> Path:
    """Return ``path`` or skip the test, saying what is missing and how to get it."""
    if not path.exists():
        pytest.skip(f"{what} not found at {path} (set NNSCRATCH_SHARED_DATA / "
                    "NNSCRATCH_FASHION_MNIST, or install Debian's dataset-fashion-mnist)")
    return path


@pytest.fixture
def mnist_t10k_dir() -> Path:
    return require_data(shared_data_dir() / "mnist-t10k", "MNIST t10k files")


@pytest.fixture
def cats_dir() -> Path:
    return require_data(shared_data_dir() / "catvnoncat", "cat-vs-non-cat HDF5 files")


@pytest.fixture
def fashion_dir() -> Path:
    return require_data(fashion_mnist_dir(), "Fashion-MNIST IDX files")


@pytest.fixture
def torch():
    """The torch module, or skip: reference tests need ``pip install torch==2.13.0``."""
    return pytest.importorskip("torch", reason="PyTorch reference tests need torch==2.13.0")


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(0)


@pytest.fixture
def close_figures():
    """Close pyplot's figures after the test: scripts that save plots leave them registered
    with pyplot, past 20 open figures matplotlib warns, and warnings are errors here."""
    yield
    if "matplotlib.pyplot" in sys.modules:
        sys.modules["matplotlib.pyplot"].close("all")


# -- helpers several test files use --------------------------------------------------------
def blobs(n: int = 90, seed: int = 0, noise: float = 0.5) -> tuple[np.ndarray, np.ndarray]:
    """Three Gaussian blobs in 4 features: x of shape (n, 4) float32, labels y of shape (n,)
    (n // 3 of each class, in order). Centres at 2·e_0, 2·e_1, 2·e_2; ``noise`` is the
    standard deviation around them."""
    rng = np.random.default_rng(seed)
    y = np.repeat(np.arange(3), n // 3)
    centers = np.array([[2, 0, 0, 0], [0, 2, 0, 0], [0, 0, 2, 0]], dtype=np.float32)
    return (centers[y] + noise * rng.standard_normal((len(y), 4))).astype(np.float32), y


def load_example(name: str) -> ModuleType:
    """The script ``examples/<name>.py`` imported as a module (its main() not run)."""
    spec = importlib.util.spec_from_file_location(name, EXAMPLES / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def run_example(name: str, *argv: str) -> Any:
    """Run ``examples/<name>.py``'s ``main(argv)`` in this process; returns its result."""
    return load_example(name).main(list(argv))


def last_json(text: str) -> dict:
    """The JSON object on the last line of a command's output."""
    return json.loads(text.strip().splitlines()[-1])


def write_model(path: Any, header: dict, arrays: dict[str, np.ndarray]) -> Any:
    """Write a raw model file: ``header`` as its JSON entry, ``arrays`` beside it."""
    np.savez(path, **{"__nnscratch__": np.array(json.dumps(header)), **arrays})
    return path
