"""A memory-mapped training set is read, cast and checked one batch at a time."""

from __future__ import annotations

import tracemalloc

import numpy as np
import pytest

import nnscratch as nn


def model() -> nn.Sequential:
    return nn.Sequential(nn.Dense(8, 6, rng=0), nn.ReLU(), nn.Dense(6, 3, rng=1)).use(
        nn.SoftmaxCrossEntropy(), nn.SGD(0.1, momentum=0.9))


@pytest.fixture
def arrays(tmp_path):
    rng = np.random.default_rng(0)
    x = rng.standard_normal((90, 8))  # float64 on disk, float32 model: cast per batch
    np.save(tmp_path / "x.npy", x)
    return x, rng.integers(0, 3, 90), tmp_path / "x.npy"


@pytest.mark.parametrize("shuffle", [True, False])
def test_memory_mapped_x_trains_like_the_array_in_memory(arrays, shuffle):
    x, y, path = arrays
    kwargs = {"epochs": 3, "batch_size": 16, "seed": 3, "verbose": 0, "shuffle": shuffle}
    in_memory = model().fit(x, y, **kwargs)
    mapped = model().fit(np.load(path, mmap_mode="r"), y, **kwargs)
    for a, b in zip(in_memory.parameters(), mapped.parameters()):
        np.testing.assert_array_equal(a.data, b.data)
    assert in_memory.history.loss == mapped.history.loss


def test_a_non_finite_value_is_found_in_its_batch_and_named(arrays, tmp_path):
    x, y, _ = arrays
    x = x.copy()
    x[57, 3] = np.nan
    np.save(tmp_path / "bad.npy", x)
    with pytest.raises(ValueError, match=r"x contains NaN or infinity \(first at sample 57\)"):
        model().fit(np.load(tmp_path / "bad.npy", mmap_mode="r"), y, batch_size=16,
                    seed=0, verbose=0)


def test_fit_does_not_read_a_memory_mapped_x_whole(tmp_path):
    rng = np.random.default_rng(1)
    np.save(tmp_path / "big.npy", rng.standard_normal((16_000, 8)))  # 1 MiB as float64
    x = np.load(tmp_path / "big.npy", mmap_mode="r")
    y = rng.integers(0, 3, 16_000)
    m = model()
    tracemalloc.start()
    try:
        m.fit(x, y, batch_size=500, seed=0, verbose=0)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    # a float32 copy of x would be 512 KiB; the labels, the order and a batch are less
    assert peak < 400_000, f"fit allocated up to {peak:,} bytes"
