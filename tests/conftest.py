"""Shared test fixtures: where the real datasets are, and torch when it is installed."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

REPO = Path(__file__).resolve().parents[1]


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
