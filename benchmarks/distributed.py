"""Data parallelism on this machine, measured, and on more hosts, modelled.

``python -m benchmarks.distributed [--rounds 3] [--smoke] [--out DIR]``

Measured: one training epoch of the MLP (W1-b64) and the CNN (W2), each configuration
in fresh processes, rounds alternated, medians: one rank with 1 BLAS thread, one rank
with 2 threads, and two ranks (``mpiexec -n 2``) with one thread each; the time each
step spends in the allreduces (waiting for the slower rank included); the parallel
efficiency T(1 rank, 1 thread) / (2 · T(2 ranks)).

Modelled, not measured: hosts like this one joined by a network, a ring allreduce of the
float32 gradients per step (see :func:`modelled_step`).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import math
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from statistics import median
from typing import Any

import numpy as np

from . import data
from .workloads import LEARNING_RATE, Workload, all_workloads

HERE = Path(__file__).resolve().parent
THREAD_VARS = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")
#: (label, ranks, BLAS threads per rank)
CONFIGS = (("1 rank × 1 thread", 1, 1), ("1 rank × 2 threads", 1, 2),
           ("2 ranks × 1 thread", 2, 1))
#: The modelled networks: (label, bandwidth in bytes/s, latency per message in s).
#: 10 Gb/s Ethernet through TCP: ~50 µs a message; 100 Gb/s with RDMA: ~5 µs.
NETWORKS = (("10 Gb/s", 10e9 / 8, 50e-6), ("100 Gb/s", 100e9 / 8, 5e-6))
HOSTS = (1, 2, 4, 8, 16, 32, 64)


def workloads(smoke: bool) -> list[Workload]:
    table = all_workloads()
    mlp, cnn = table["W1-b64"], table["W2"]
    n_mlp, n_cnn = (1024, 256) if smoke else (20_000, 2_000)
    return [Workload(mlp.name, mlp.kind, mlp.batch_size, n_mlp, mlp.hidden),
            Workload(cnn.name, cnn.kind, cnn.batch_size, n_cnn)]


# -- the worker: one configuration, one epoch ------------------------------------------------
def worker(job: dict[str, Any]) -> None:
    """Train one epoch as the job says; rank 0 prints its timings as one JSON line."""
    import nnscratch as nn
    from nnscratch.distributed import _world

    from .worker import initial_weights, nnscratch_model

    nn.distributed.init()
    spent = [0.0]
    if _world.WORLD is not None:  # time every allreduce of the run
        world, reduce = _world.WORLD, _world.WORLD.allreduce

        def timed(buf: np.ndarray) -> np.ndarray:
            t0 = time.perf_counter()
            out = reduce(buf)
            spent[0] += time.perf_counter() - t0
            return out

        world.allreduce = timed  # type: ignore[method-assign]
    w = Workload(**{**job["workload"], "hidden": tuple(job["workload"]["hidden"])})
    from .data import load_float

    x, y, _, _ = load_float(Path(job["cache"]), w.n_train, 1, images=w.kind == "cnn")
    model = nnscratch_model(w, initial_weights(w, 0), LEARNING_RATE)
    warm = min(len(x), 10 * w.batch_size)
    model.fit(x[:warm], y[:warm], batch_size=w.batch_size, verbose=0, seed=1)
    spent[0] = 0.0
    t0 = time.perf_counter()
    model.fit(x, y, batch_size=w.batch_size, verbose=0, seed=0)
    seconds = time.perf_counter() - t0
    grads = sum(p.data.size for p in model.parameters())
    alone = math.nan
    if _world.WORLD is not None:  # the gradients' allreduce by itself, ranks in step
        buf = np.zeros(grads + 1, dtype=np.float32)
        _world.WORLD.comm.Barrier()
        t0 = time.perf_counter()
        for _ in range(50):
            reduce(buf)
        alone = (time.perf_counter() - t0) / 50
    if nn.distributed.is_main():
        print(json.dumps({"seconds": seconds, "allreduce_seconds": spent[0],
                          "steps": -(-len(x) // w.batch_size), "parameters": grads,
                          "allreduce_alone_seconds": alone}))


def find_mpiexec() -> str | None:
    beside = Path(sys.executable).parent / "mpiexec"
    return str(beside) if beside.exists() else shutil.which("mpiexec")


def launch(job: dict[str, Any], ranks: int, threads: int, timeout: float) -> dict[str, Any]:
    env = {**os.environ, **{v: str(threads) for v in THREAD_VARS}}
    env["PYTHONPATH"] = os.pathsep.join([str(HERE.parent), env.get("PYTHONPATH", "")])
    cmd = [sys.executable, "-m", "benchmarks.distributed", "--worker", json.dumps(job)]
    if ranks > 1:
        mpiexec = find_mpiexec()
        if mpiexec is None:
            raise SystemExit("no mpiexec beside Python or on PATH: pip install mpi4py mpich")
        cmd = [mpiexec, "-n", str(ranks), *cmd]
    load = os.getloadavg()[0]
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=timeout,
                          cwd=HERE.parent)
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(cmd[:4])}... failed:\n{proc.stderr[-2000:]}")
    return {**json.loads(proc.stdout.strip().splitlines()[-1]), "load": load}


# -- the model ------------------------------------------------------------------------------
def modelled_step(compute: float, grad_bytes: float, hosts: int, bandwidth: float,
                  latency: float) -> float:
    """Seconds per step on ``hosts`` hosts: a model, not a measurement.

    ``compute / N`` (the global batch split evenly, no fixed cost per step) plus a ring
    allreduce of the gradients: 2(N − 1) messages, each moving 1/N of them, so
    ``2(N − 1)·α + 2(N − 1)/N · S / β`` (Patarasuk & Yuan 2009), with no overlap of
    communication and computation.
    """
    if hosts == 1:
        return compute
    n = hosts
    return compute / n + 2 * (n - 1) * latency + 2 * (n - 1) / n * grad_bytes / bandwidth


def model_rows(name: str, compute: float, grad_bytes: float) -> list[dict[str, Any]]:
    rows = []
    for label, bandwidth, latency in NETWORKS:
        for n in HOSTS:
            step = modelled_step(compute, grad_bytes, n, bandwidth, latency)
            rows.append({"workload": name, "network": label, "hosts": n,
                         "step_ms": step * 1e3, "speedup": compute / step,
                         "efficiency": compute / step / n})
    return rows


# -- the run --------------------------------------------------------------------------------
def run(args: argparse.Namespace) -> dict[str, Any]:
    rounds = args.rounds or (1 if args.smoke else 3)
    results: dict[str, Any] = {"date": dt.datetime.now(dt.timezone.utc).strftime(
        "%Y-%m-%d %H:%M UTC"), "rounds": rounds, "cpus": os.cpu_count(), "workloads": []}
    with tempfile.TemporaryDirectory(prefix="nnscratch-bench-mpi-") as tmp:
        results["data"] = data.prepare(Path(tmp), args.smoke)
        for w in workloads(args.smoke):
            job = {"workload": w.as_dict(), "cache": tmp}
            runs: dict[str, list[dict[str, Any]]] = {label: [] for label, _, _ in CONFIGS}
            for _ in range(rounds):  # alternated, so that a busy spell hits every one
                for label, ranks, threads in CONFIGS:
                    runs[label].append(launch(job, ranks, threads, args.timeout))
            entry = summarise(w, runs)
            results["workloads"].append(entry)
            print(json.dumps({k: v for k, v in entry.items() if k != "model"}), flush=True)
    return results


def summarise(w: Workload, runs: dict[str, list[dict[str, Any]]]) -> dict[str, Any]:
    med = {label: median(r["seconds"] for r in rs) for label, rs in runs.items()}
    two = runs["2 ranks × 1 thread"]
    share = median(r["allreduce_seconds"] / r["seconds"] for r in two)
    steps, params = two[0]["steps"], two[0]["parameters"]
    # one host's step, the model's compute: the faster way one process uses this machine
    compute = min(med["1 rank × 1 thread"], med["1 rank × 2 threads"]) / steps
    return {
        "workload": w.name, "kind": w.kind, "images": w.n_train, "batch": w.batch_size,
        "steps": steps, "parameters": params, "seconds": med,
        "allreduce_share": share,
        "allreduce_ms_per_step": median(r["allreduce_seconds"] for r in two) / steps * 1e3,
        "allreduce_alone_ms": median(r["allreduce_alone_seconds"] for r in two) * 1e3,
        "efficiency": med["1 rank × 1 thread"] / (2 * med["2 ranks × 1 thread"]),
        "vs_threads": med["1 rank × 2 threads"] / med["2 ranks × 1 thread"],
        "model": model_rows(w.name, compute, 4 * params),
        "compute_ms_per_step": compute * 1e3,
        "load": [r["load"] for rs in runs.values() for r in rs],
    }


def markdown(results: dict[str, Any]) -> str:
    lines = ["# Data parallelism: measured on this machine, modelled beyond it", "",
             "Generated by `python -m benchmarks.distributed`: one epoch per run, every "
             "configuration in fresh processes, "
             f"{results['rounds']} rounds alternated, medians; {results['cpus']} CPUs "
             f"shared with other work (1-minute load average when the runs started: "
             f"{_load_range(results)}); {results['data']}; {results['date']}.", "",
             "| workload | images | 1 rank × 1 thread s | 1 rank × 2 threads s | "
             "2 ranks × 1 thread s | allreduce share | allreduce ms/step | "
             "gradients' allreduce alone ms | efficiency | 2 ranks ÷ 2 threads |",
             "|---|---|---|---|---|---|---|---|---|---|"]
    for e in results["workloads"]:
        s = e["seconds"]
        lines.append(
            f"| {e['workload']} ({e['kind']}, batch {e['batch']}) | {e['images']:,} | "
            f"{s['1 rank × 1 thread']:.3f} | {s['1 rank × 2 threads']:.3f} | "
            f"{s['2 ranks × 1 thread']:.3f} | {e['allreduce_share']:.1%} | "
            f"{e['allreduce_ms_per_step']:.3f} | {e['allreduce_alone_ms']:.3f} | "
            f"{e['efficiency']:.2f} | "
            f"{e['vs_threads']:.2f} |")
    lines += ["", "Efficiency: T(1 rank × 1 thread) / (2 × T(2 ranks × 1 thread)). "
              "`2 ranks ÷ 2 threads`: the speed of two ranks relative to one rank using "
              "both cores through BLAS (above 1: the ranks are faster). The allreduce "
              "time in training includes waiting for the slower rank; `alone` is one "
              "allreduce of the gradients' size with both ranks ready (50 in a row).", "",
              "## A model, not a measurement: more hosts", "",
              "Step time(N) = compute / N + 2(N − 1)·α + 2(N − 1)/N · S / β: each host "
              "like this one (compute = its faster one-rank step above), the global batch "
              "split evenly with no fixed cost per step, a ring allreduce of the float32 "
              "gradients (S bytes) with no overlap; α = 50 µs at 10 Gb/s (TCP), 5 µs at "
              "100 Gb/s (RDMA). Speedup = compute / step time.", ""]
    for e in results["workloads"]:
        lines += [f"**{e['workload']}**: compute {e['compute_ms_per_step']:.3f} ms per "
                  f"step, gradients {4 * e['parameters'] / 1e3:,.0f} kB", "",
                  "| hosts | " + " | ".join(f"{net} step ms | speedup"
                                            for net, _, _ in NETWORKS) + " |",
                  "|---|" + "---|---|" * len(NETWORKS)]
        for n in HOSTS:
            cells = []
            for net, _, _ in NETWORKS:
                row = next(r for r in e["model"] if r["hosts"] == n and r["network"] == net)
                cells.append(f"{row['step_ms']:.3f} | {row['speedup']:.2f}")
            lines.append(f"| {n} | " + " | ".join(cells) + " |")
        lines.append("")
    return "\n".join(lines)


def _load_range(results: dict[str, Any]) -> str:
    loads = [x for e in results["workloads"] for x in e["load"]]
    return f"median {median(loads):.1f}, max {max(loads):.1f}" if loads else "unknown"


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m benchmarks.distributed",
                                description=__doc__.splitlines()[0])
    p.add_argument("--rounds", type=int, default=None, help="rounds (default 3; smoke 1)")
    p.add_argument("--smoke", action="store_true", help="a few hundred images, one round")
    p.add_argument("--out", default=None, help="folder for distributed.json and "
                   "DISTRIBUTED.md (default: benchmarks/, or nowhere with --smoke)")
    p.add_argument("--timeout", type=float, default=600, help="seconds allowed per run")
    p.add_argument("--worker", default=None, help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.worker:
        worker(json.loads(args.worker))
        return 0
    results = run(args)
    out = Path(args.out) if args.out else (None if args.smoke else HERE)
    text = markdown(results)
    if out is not None:
        out.mkdir(parents=True, exist_ok=True)
        (out / "distributed.json").write_text(json.dumps(results, indent=1))
        (out / "DISTRIBUTED.md").write_text(text + "\n")
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
