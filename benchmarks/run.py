"""Run the suite: every job in its own process, rounds alternated, medians reported.

``python -m benchmarks [--workloads W1,W2,W3] [--rounds 3] [--threads 2] [--smoke]``
"""

from __future__ import annotations

import argparse
import datetime as dt
import importlib.util
import json
import os
import platform
import subprocess
import sys
import tempfile
from pathlib import Path
from statistics import median
from typing import Any

from . import data, report
from .workloads import LEARNING_RATE, Workload, all_workloads, gemm_shapes, select

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
#: "nnscratch-ref" is nnscratch on its kernels' plain references (NNSCRATCH_REFERENCE=1):
#: its row says what the fast kernels buy
IMPLS = ("nnscratch", "nnscratch-ref", "torch", "sklearn32", "sklearn64")
#: Extra GEMM shapes for the machine's ceiling: large enough to reach BLAS peak.
CEILING_SHAPES = [(1024, 1024, 1024), (2048, 784, 128), (784, 2048, 128)]
THREAD_VARS = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS",
               "VECLIB_MAXIMUM_THREADS", "NUMEXPR_NUM_THREADS")


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__.splitlines()[0])
    p.add_argument("--workloads", default=None,
                   help="comma-separated, e.g. W1,W3 or W1-b64 (default: all)")
    p.add_argument("--impls", default=",".join(IMPLS),
                   help=f"comma-separated subset of {','.join(IMPLS)}")
    p.add_argument("--rounds", type=int, default=None, help="rounds (default 3; smoke 1)")
    p.add_argument("--threads", type=int, default=2, help="BLAS/torch threads for every job")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--smoke", action="store_true",
                   help="a tiny version (a few hundred images, one round) that checks the "
                        "harness runs; writes nothing into benchmarks/ unless --out says so")
    p.add_argument("--no-learn", action="store_true", help="skip the 5-epoch accuracy check")
    p.add_argument("--out", default=None,
                   help="folder for results.json and RESULTS.md (default: benchmarks/, or a "
                        "temporary folder with --smoke)")
    p.add_argument("--timeout", type=float, default=900, help="seconds allowed per job")
    return p.parse_args(argv)


def cpu_model() -> str:
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def available(impl: str) -> bool:
    mod = {"torch": "torch", "sklearn32": "sklearn", "sklearn64": "sklearn"}.get(impl)
    return mod is None or importlib.util.find_spec(mod) is not None


def run_job(job: dict[str, Any], threads: int, timeout: float) -> dict[str, Any]:
    """Run one job in a fresh interpreter with the thread counts pinned."""
    env = dict(os.environ)
    env.update({v: str(threads) for v in THREAD_VARS})
    env.pop("NNSCRATCH_REFERENCE", None)
    if job.get("impl") == "nnscratch-ref":
        env["NNSCRATCH_REFERENCE"] = "1"
    load = os.getloadavg()[0]
    try:
        proc = subprocess.run(
            [sys.executable, "-m", "benchmarks.worker", json.dumps(job)],
            cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout, check=False,
        )
    except subprocess.TimeoutExpired:
        return {"status": "failed", "reason": f"timed out after {timeout:g} s", "load": load}
    for line in reversed(proc.stdout.splitlines()):
        if line.startswith("RESULT "):
            return {**json.loads(line[7:]), "load": load}
    tail = (proc.stderr or proc.stdout).strip().splitlines()[-5:]
    return {"status": "failed", "reason": " | ".join(tail) or f"exit code {proc.returncode}",
            "load": load}


def applies(impl: str, w: Workload) -> bool:
    return not (impl.startswith("sklearn") and w.kind != "mlp")


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    rounds = args.rounds or (1 if args.smoke else 3)
    impls = [i.strip() for i in args.impls.split(",") if i.strip()]
    for i in impls:
        if i not in IMPLS:
            raise SystemExit(f"unknown implementation {i!r}; expected some of {IMPLS}")
    workloads = select(args.workloads, args.smoke)
    out_dir = Path(args.out) if args.out else (
        Path(tempfile.mkdtemp(prefix="nnscratch-bench-")) if args.smoke else HERE)
    out_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="nnscratch-bench-data-") as tmp:
        return _run(args, rounds, impls, workloads, out_dir, Path(tmp))


def _run(args: argparse.Namespace, rounds: int, impls: list[str], workloads: list[Workload],
         out_dir: Path, cache: Path) -> int:
    source = data.prepare(cache, args.smoke)
    n_predict = 1000 if args.smoke else 10_000
    common = {"cache": str(cache), "threads": args.threads, "seed": args.seed,
              "lr": LEARNING_RATE, "n_predict": n_predict}
    say = print

    say(f"nnscratch benchmarks: {len(workloads)} workloads × {impls}, {rounds} rounds, "
        f"{args.threads} threads, data: {source}")
    info = run_job({"task": "info"}, args.threads, args.timeout)
    shapes = sorted({s for w in workloads for s in gemm_shapes(w)} | set(CEILING_SHAPES))
    gemm_runs: list[dict[str, Any]] = []
    runs: dict[str, dict[str, list[dict[str, Any]]]] = {w.name: {} for w in workloads}
    for r in range(rounds):
        g = run_job({"task": "gemm", "shapes": shapes,
                     "min_seconds": 0.05 if args.smoke else 0.3}, args.threads, args.timeout)
        gemm_runs.append(g)
        for w in workloads:
            for impl in impls:
                if not applies(impl, w):
                    continue
                if not available(impl):
                    res: dict[str, Any] = {"status": "unavailable", "reason": "not installed"}
                else:
                    res = run_job({"task": "train", "impl": impl, "workload": w.as_dict(),
                                   **common}, args.threads, args.timeout)
                runs[w.name].setdefault(impl, []).append(res)
                shown = (f"{res['seconds']:.3f} s" if res.get("status") == "ok"
                         else f"{res.get('status')}: {res.get('reason', '')}")
                say(f"  round {r + 1}/{rounds}  {w.name:8s} {impl:10s} {shown}"
                    f"   (load {res.get('load', 0):.1f})")
        # results so far, so that an interrupted run still leaves its completed rounds
        write(args, r + 1, impls, workloads, out_dir, source, info, runs, gemm_runs, {})

    learn: dict[str, Any] = {}
    if not args.no_learn and "torch" in impls and available("torch"):
        table = all_workloads(args.smoke)
        w1 = table["W1-b64"]
        epochs = 1 if args.smoke else 5
        for impl in ("nnscratch", "torch"):
            learn[impl] = run_job({"task": "learn", "impl": impl, "workload": w1.as_dict(),
                                   "epochs": epochs, **common}, args.threads, args.timeout)
            say(f"  learning check  {impl:10s} {learn[impl]}")
        learn["epochs"] = epochs
    doc = write(args, rounds, impls, workloads, out_dir, source, info, runs, gemm_runs, learn)
    say(report.table(doc))
    say(f"wrote {out_dir / 'results.json'} and {out_dir / 'RESULTS.md'}")
    return 0 if all_ok(runs) else 1


def write(args: argparse.Namespace, rounds: int, impls: list[str], workloads: list[Workload],
          out_dir: Path, source: str, info: dict[str, Any],
          runs: dict[str, dict[str, list[dict[str, Any]]]], gemm_runs: list[dict[str, Any]],
          learn: dict[str, Any]) -> dict[str, Any]:
    """Summarize and write results.json and RESULTS.md; returns the document."""
    meta = {
        "date": dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "cpu": cpu_model(), "cpu_count": os.cpu_count(), "threads": args.threads,
        "rounds": rounds, "smoke": args.smoke, "data": source, "learning_rate": LEARNING_RATE,
        "info": info, "load_average_during_jobs": load_stats(runs),
    }
    doc = {"meta": meta, "workloads": summarize(workloads, runs, gemm_runs, impls),
           "learning": learn, "gemm": gemm_runs}
    (out_dir / "results.json").write_text(json.dumps(doc, indent=2) + "\n")
    results = out_dir / "RESULTS.md"
    kept = report.kept_notes(results.read_text() if results.exists() else "")
    results.write_text(report.markdown(doc) + kept)
    return doc


def load_stats(runs: dict[str, dict[str, list[dict[str, Any]]]]) -> dict[str, float]:
    loads = [r["load"] for per in runs.values() for rs in per.values() for r in rs if "load" in r]
    return {"median": median(loads), "max": max(loads)} if loads else {}


def all_ok(runs: dict[str, dict[str, list[dict[str, Any]]]]) -> bool:
    return all(r.get("status") in ("ok", "unavailable")
               for per in runs.values() for rs in per.values() for r in rs)


def summarize(workloads: list[Workload], runs: dict[str, dict[str, list[dict[str, Any]]]],
              gemm_runs: list[dict[str, Any]], impls: list[str]) -> dict[str, Any]:
    """Medians per implementation, ratios round by round, and the GEMM floor."""
    from .workloads import gemm_flops_per_sample

    ok_gemm = [g for g in gemm_runs if g.get("status") == "ok"]
    ceiling = max((g["ceiling_flops"] for g in ok_gemm), default=float("nan"))
    out: dict[str, Any] = {}
    for w in workloads:
        flops = gemm_flops_per_sample(w) * w.n_train
        steps = -(-w.n_train // w.batch_size)
        # the same GEMMs alone, at this workload's shapes (best over rounds)
        shape_time = min((sum(g["seconds"][f"{m}x{k}x{n}"] for m, k, n in gemm_shapes(w))
                          for g in ok_gemm), default=float("nan")) * steps
        entry: dict[str, Any] = {"workload": w.as_dict(), "gemm_flops": flops,
                                 "floor_seconds": flops / ceiling,
                                 "gemm_at_shapes_seconds": shape_time, "impls": {}}
        per = runs[w.name]
        for impl, rs in per.items():
            ok = [r for r in rs if r.get("status") == "ok"]
            if not ok:
                entry["impls"][impl] = {"status": rs[0].get("status") if rs else "missing",
                                        "reason": rs[0].get("reason") if rs else ""}
                continue
            secs = [r["seconds"] for r in ok]
            entry["impls"][impl] = {
                "status": "ok", "rounds": secs, "median_seconds": median(secs),
                "min_seconds": min(secs),
                "predict_seconds": median(r["predict_seconds"] for r in ok),
                "peak_rss_mb": max(r["peak_rss_mb"] for r in ok),
                "rss_before_mb": median(r["rss_before_mb"] for r in ok),
                "vs_floor": median(secs) / entry["floor_seconds"],
            }
        base = per.get("nnscratch", [])
        for other in impls:
            if other == "nnscratch" or other not in per:
                continue
            pairs = [a["seconds"] / b["seconds"] for a, b in zip(base, per[other])
                     if a.get("status") == "ok" and b.get("status") == "ok"]
            if pairs:  # nnscratch time ÷ other's time, round by round, then the median
                entry["impls"]["nnscratch"][f"ratio_to_{other}"] = median(pairs)
        out[w.name] = entry
    return out
