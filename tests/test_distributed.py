"""Data-parallel training under ``mpiexec``: the same weights as one process.

Each launch runs tests/distributed_checks.py on 2 or 3 ranks (a launch costs about a
second, so one launch runs every case); this process trains the same cases alone and
compares. The MLP holds BatchNorm, Dropout and an L2 penalty; the CNN BatchNorm2D; the
batch sizes leave a last batch with fewer rows than ranks, so one rank has none.
"""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

import distributed_checks as checks

HERE = Path(__file__).parent
TOLERANCE = 1e-10  # relative, float64, after several epochs


def find_mpiexec() -> str | None:
    """The mpiexec beside this Python (the mpich wheel puts it there), else on PATH."""
    beside = Path(sys.executable).parent / "mpiexec"
    if beside.exists():
        return str(beside)
    return shutil.which("mpiexec")


MPIEXEC = find_mpiexec()
pytestmark = [
    pytest.mark.skipif(importlib.util.find_spec("mpi4py") is None,
                       reason="mpi4py is not installed (pip install mpi4py mpich)"),
    pytest.mark.skipif(MPIEXEC is None,
                       reason="no mpiexec beside Python or on PATH (pip install mpich)"),
]


def command(ranks: int, *args: str) -> tuple[list[str], dict[str, str]]:
    """``mpiexec -n ranks python args...`` and its environment: one BLAS thread a rank."""
    env = {**os.environ, "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1",
           "PYTHONPATH": os.pathsep.join([str(HERE.parent / "src"), str(HERE),
                                          os.environ.get("PYTHONPATH", "")])}
    return [str(MPIEXEC), "-n", str(ranks), sys.executable, *args], env


def launch(ranks: int, *args: str, timeout: float = 90) -> subprocess.CompletedProcess[str]:
    cmd, env = command(ranks, *args)
    return subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=timeout)


def run_checks(out: Path, ranks: int, *args: str) -> None:
    out.mkdir(parents=True, exist_ok=True)
    proc = launch(ranks, str(HERE / "distributed_checks.py"), str(out), *args)
    assert proc.returncode == 0, proc.stdout + proc.stderr


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> dict[int, Path]:
    """Every case trained on 2 and on 3 ranks; the 3-rank run also resumes the 2-rank
    run's checkpoint."""
    base = tmp_path_factory.mktemp("mpi")
    run_checks(base / "2", 2, "train")
    run_checks(base / "3", 3, "train")
    run_checks(base / "3r", 3, "resume", str(base / "2" / "resume-2.npz"))
    return {2: base / "2", 3: base / "3", 33: base / "3r"}


@pytest.fixture(scope="module")
def alone() -> dict[str, dict[str, np.ndarray]]:
    """The same cases in this one process (rank 0's seeds)."""
    out = {name: checks.result(checks.train(name, 10)[0]) for name in checks.cases(0)}
    out["whole"] = checks.result(checks.train("mlp_adam", 10, checks.RESUME_EPOCHS)[0])
    return out


def load(path: Path) -> dict[str, np.ndarray]:
    with np.load(path) as f:
        return dict(f)


def relative_error(a: dict[str, np.ndarray], b: dict[str, np.ndarray]) -> float:
    """max |a − b| / max |b|, the largest over every array."""
    assert sorted(a) == sorted(b)
    return max(float(np.abs(a[k] - b[k]).max() / max(np.abs(b[k]).max(), 1e-300))
               for k in b)


@pytest.mark.parametrize("ranks", [2, 3])
@pytest.mark.parametrize("name", list(checks.cases(0)))
def test_same_weights_and_history_as_one_process(runs, alone, ranks, name):
    results = [load(runs[ranks] / f"{name}-rank{r}.npz") for r in range(ranks)]
    for r, other in enumerate(results[1:], 1):  # bit for bit the same on every rank
        for key in results[0]:
            np.testing.assert_array_equal(other[key], results[0][key], err_msg=f"rank {r}")
    error = relative_error(results[0], alone[name])
    print(f"{name} on {ranks} ranks: max relative error {error:.2e}")
    assert error <= TOLERANCE


@pytest.mark.parametrize("ranks", [2, 3])
def test_a_memory_mapped_x_trains_like_the_array_in_memory(runs, ranks):
    for r in range(ranks):
        mapped, in_memory = (load(runs[ranks] / f"{k}-rank{r}.npz") for k in ("mmap", "mlp_sgd"))
        for key in in_memory:
            np.testing.assert_array_equal(mapped[key], in_memory[key], err_msg=key)


def test_rank_and_size(runs):
    info = [json.loads((runs[3] / f"info-rank{r}.json").read_text()) for r in range(3)]
    assert [(i["size"], i["is_main"]) for i in info] == [(3, True), (3, False), (3, False)]


def test_ranks_given_different_data_all_refuse_it_instead_of_waiting(runs):
    for r in range(3):
        info = json.loads((runs[3] / f"info-rank{r}.json").read_text())
        assert info["mismatch"] == (
            "fit: every rank must pass the same x, y and batch_size; the ranks have "
            "(samples, batches per epoch) [(40, 5), (41, 6), (42, 6)]")


def test_resume_on_the_same_rank_count_is_bit_for_bit(runs):
    for r in range(2):
        resumed, whole = (load(runs[2] / f"{k}-rank{r}.npz") for k in ("resumed", "whole"))
        for key in whole:
            np.testing.assert_array_equal(resumed[key], whole[key], err_msg=key)


def test_resume_on_another_rank_count_matches_to_rounding(runs, alone):
    for r in range(3):
        error = relative_error(load(runs[33] / f"resumed-rank{r}.npz"), alone["whole"])
        print(f"2-rank checkpoint resumed on 3 ranks: max relative error {error:.2e}")
        assert error <= TOLERANCE


def test_an_error_on_one_rank_ends_the_job_with_its_message(tmp_path):
    proc = launch(2, str(HERE / "distributed_checks.py"), str(tmp_path), "fail", timeout=60)
    assert proc.returncode != 0
    assert "rank 1 of 2" in proc.stderr and "rank one gave up on batch 2" in proc.stderr


def test_the_cli_under_mpiexec_trains_like_one_process(tmp_path, capsys):
    from nnscratch import cli

    args = ["train", "--epochs", "2", "--json", "--quiet"]
    proc = launch(2, "-m", "nnscratch", *args, "--out", str(tmp_path / "mpi"))
    assert proc.returncode == 0, proc.stderr
    lines = [line for line in proc.stdout.splitlines() if line.startswith("{")]
    assert len(lines) == 1, proc.stdout  # rank 0 alone reports
    assert (tmp_path / "mpi" / "model.npz").exists()
    assert cli.main([*args, "--out", str(tmp_path / "one")]) == 0
    alone = json.loads(capsys.readouterr().out.splitlines()[-1])
    together = json.loads(lines[0])
    for key in ("train_accuracy", "test_accuracy", "test_loss"):  # float32: rounding
        assert together[key] == pytest.approx(alone[key], rel=1e-4), key


def test_a_cli_error_under_mpiexec_is_reported_and_ends_the_job(tmp_path):
    proc = launch(2, "-m", "nnscratch", "train", "--dataset", "mnist", "--data-dir",
                  str(tmp_path / "missing"), "--out", str(tmp_path), timeout=60)
    assert proc.returncode == 1
    # rank 1 waits a second for rank 0 to report and end the job; on a busy machine
    # rank 0 may be later than that, and both say it
    assert 1 <= proc.stderr.count("nnscratch train: error: MNIST") <= 2, proc.stderr


def test_ctrl_c_under_mpiexec_stops_every_rank_and_says_what_was_kept(tmp_path):
    cmd, env = command(2, "-m", "nnscratch", "train", "--epochs", "5000", "--quiet",
                       "--checkpoint", "--out", str(tmp_path))
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)
    try:
        deadline = time.monotonic() + 60
        while not (tmp_path / "checkpoint.npz").exists():  # an epoch has ended
            assert proc.poll() is None and time.monotonic() < deadline, "training never began"
            time.sleep(0.1)
        proc.send_signal(signal.SIGINT)  # what a Ctrl-C in the terminal sends mpiexec
        out, err = proc.communicate(timeout=60)
    finally:
        proc.kill()
    assert proc.returncode == 130, (out, err)
    assert "nnscratch train: interrupted in epoch" in err and "--resume" in err, (out, err)
