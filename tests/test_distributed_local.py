"""nnscratch.distributed in one process: nothing changes, and what is missing is named.

These run without MPI; the launched tests are in tests/test_distributed.py.
"""

from __future__ import annotations

import importlib.util
import subprocess
import sys

import pytest

import nnscratch as nn
from nnscratch.distributed import launched_by_mpi


def run(code: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=60)


def test_import_nnscratch_does_not_import_mpi4py():
    done = run("import sys, nnscratch\nprint('mpi4py' in sys.modules)")
    assert done.stdout.strip() == "False", done.stderr


def test_one_process_is_one_rank():
    assert (nn.distributed.rank(), nn.distributed.size(), nn.distributed.is_main()) \
        == (0, 1, True)
    assert nn.distributed.world() is None


def test_init_without_mpi4py_says_what_to_install():
    done = run("import sys\nsys.modules['mpi4py'] = None\nimport nnscratch as nn\n"
               "nn.distributed.init()")
    assert done.returncode != 0
    last = done.stderr.strip().splitlines()[-1]
    assert last.startswith("ImportError: nnscratch.distributed needs mpi4py and an MPI "
                           "library: `pip install mpi4py mpich`"), last


@pytest.mark.skipif(importlib.util.find_spec("mpi4py") is None, reason="mpi4py is not installed")
def test_init_in_a_plain_process_changes_nothing():
    done = run("import nnscratch as nn, numpy as np\nnn.distributed.init()\n"
               "x = np.eye(4)\nm = nn.Sequential(nn.Dense(4, 2, rng=0)).use('mse')\n"
               "m.fit(x, x[:, :2], epochs=2, verbose=0, seed=0)\n"
               "print(nn.distributed.is_initialized(), nn.distributed.size(), "
               "nn.distributed.world())")
    assert done.stdout.split() == ["True", "1", "None"], done.stderr


@pytest.mark.parametrize(("env", "expected"), [
    ({}, False),
    ({"PMI_SIZE": "2", "PMI_RANK": "1"}, True),   # MPICH, Intel MPI, srun --mpi=pmi2
    ({"PMI_SIZE": "1", "PMI_RANK": "0"}, False),  # mpiexec -n 1: one process as before
    ({"OMPI_COMM_WORLD_SIZE": "4"}, True),        # Open MPI
])
def test_a_launcher_is_recognised_by_its_variables(monkeypatch, env, expected):
    for name in ("PMI_SIZE", "OMPI_COMM_WORLD_SIZE", "PMIX_RANK", "MV2_COMM_WORLD_SIZE"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    assert launched_by_mpi() is expected


def test_dropout_keeps_its_rows_of_the_global_batch_mask():
    # what each rank's Dropout does when data-parallel: draw the mask of the whole
    # global batch (as one process draws it) and use the rows of its own slice
    from types import SimpleNamespace

    import numpy as np

    x = np.ones((7, 5))
    whole = nn.Dropout(0.4, rng=3)(x)  # one process, the 7-row batch
    parts = []
    for lo, hi in ((0, 2), (2, 4), (4, 7), (7, 7)):  # 4 ranks, the last without rows
        drop = nn.Dropout(0.4, rng=3)
        drop._shard = SimpleNamespace(total=7, lo=lo, hi=hi)
        parts.append(drop(x[lo:hi]))
    np.testing.assert_array_equal(np.concatenate(parts), whole)
