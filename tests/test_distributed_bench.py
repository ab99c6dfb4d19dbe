"""The data-parallel benchmark: its cost model by hand, and (slow tier) the whole run."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))  # benchmarks/ is a package at the repository root

from benchmarks.distributed import find_mpiexec, model_rows, modelled_step  # noqa: E402


def test_ring_allreduce_model_by_hand():
    # 4 hosts, 8 ms of compute, 4 MB of gradients at 1 GB/s with 10 µs a message:
    # 8/4 ms + 2·3 messages · 10 µs + 2·3/4 · 4 MB / 1 GB/s = 2 + 0.06 + 6 ms
    assert modelled_step(8e-3, 4e6, 4, 1e9, 10e-6) == pytest.approx(8.06e-3)
    assert modelled_step(8e-3, 4e6, 1, 1e9, 10e-6) == 8e-3  # one host: no allreduce


def test_the_model_shows_where_more_hosts_stop_paying():
    rows = [r for r in model_rows("W", 1e-3, 4e5) if r["network"] == "10 Gb/s"]
    speedups = [r["speedup"] for r in rows]
    best = speedups.index(max(speedups))
    assert 0 < best < len(speedups) - 1  # rises, peaks, then falls: the latency term wins


@pytest.mark.slow
@pytest.mark.skipif(importlib.util.find_spec("mpi4py") is None or find_mpiexec() is None,
                    reason="needs mpi4py and mpiexec (pip install mpi4py mpich)")
def test_the_benchmark_runs(tmp_path):
    proc = subprocess.run([sys.executable, "-m", "benchmarks.distributed", "--smoke",
                           "--out", str(tmp_path)], cwd=REPO, capture_output=True,
                          text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    text = (tmp_path / "DISTRIBUTED.md").read_text()
    assert "| W1-b64 (mlp, batch 64) |" in text and "A model, not a measurement" in text
