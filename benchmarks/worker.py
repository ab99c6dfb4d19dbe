"""One benchmark job in its own process: ``python -m benchmarks.worker '<json job>'``.

The parent sets the BLAS/OpenMP thread counts in the environment before this process
starts, so NumPy's OpenBLAS and PyTorch's pool never share a process. The job's result is
printed as one line ``RESULT {json}``.

Jobs (``task``):

* ``train``   time one epoch of a workload with one implementation, then ``predict``;
* ``learn``   train W1 for several epochs and report test accuracy;
* ``gemm``    time float32 ``np.matmul`` on the workloads' GEMM shapes;
* ``info``    versions, BLAS configuration.
"""

from __future__ import annotations

import json
import os
import resource
import sys
import time
import warnings
from pathlib import Path
from statistics import median
from typing import Any

import numpy as np

from .data import load_float
from .workloads import CNN_CONVS, CNN_DENSE, Workload, mlp_layer_sizes

WARMUP_BATCHES = 20
PREDICT_REPEATS = 5


# -- shared initial weights ----------------------------------------------------------------
def initial_weights(w: Workload, seed: int) -> list[np.ndarray]:
    """Weights and biases, layer by layer, drawn like PyTorch's default initialisation
    (uniform in ±1/√fan_in), in nnscratch's layouts: Dense W (in, out), Conv W
    (out, in, kH, kW)."""
    rng = np.random.default_rng(seed)
    arrays: list[np.ndarray] = []

    def uniform(shape: tuple[int, ...], fan_in: int) -> np.ndarray:
        bound = 1.0 / np.sqrt(fan_in)
        return rng.uniform(-bound, bound, shape).astype(np.float32)

    if w.kind == "mlp":
        for i, o in mlp_layer_sizes(w.hidden):
            arrays += [uniform((i, o), i), uniform((o,), i)]
    else:
        for cin, cout, k, _ in CNN_CONVS:
            arrays += [uniform((cout, cin, k, k), cin * k * k), uniform((cout,), cin * k * k)]
        i, o = CNN_DENSE
        arrays += [uniform((i, o), i), uniform((o,), i)]
    return arrays


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def current_rss_mb() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


# -- nnscratch -------------------------------------------------------------------------------
def nnscratch_model(w: Workload, weights: list[np.ndarray], lr: float) -> Any:
    import nnscratch as nn

    if w.kind == "mlp":
        layers: list[Any] = []
        sizes = mlp_layer_sizes(w.hidden)
        for j, (i, o) in enumerate(sizes):
            layers.append(nn.Dense(i, o))
            if j < len(sizes) - 1:
                layers.append(nn.ReLU())
    else:
        from nnscratch import Conv2D, Flatten, MaxPool2D  # the convolution issue's layers

        (c1, c2), (i, o) = CNN_CONVS, CNN_DENSE
        layers = [Conv2D(c1[0], c1[1], 3, padding=1), nn.ReLU(), MaxPool2D(2),
                  Conv2D(c2[0], c2[1], 3, padding=1), nn.ReLU(), MaxPool2D(2),
                  Flatten(), nn.Dense(i, o)]
    model = nn.Sequential(layers).use(nn.SoftmaxCrossEntropy(), nn.SGD(lr))
    set_nnscratch_weights(model, weights)
    return model


def set_nnscratch_weights(model: Any, weights: list[np.ndarray]) -> None:
    params = model.parameters()
    assert len(params) == len(weights), (len(params), len(weights))
    for p, a in zip(params, weights):
        p.assign(a)


def train_nnscratch(w: Workload, x: np.ndarray, y: np.ndarray, xt: np.ndarray,
                    weights: list[np.ndarray], lr: float, seed: int) -> dict[str, Any]:
    model = nnscratch_model(w, weights, lr)
    nwarm = min(len(x), WARMUP_BATCHES * w.batch_size)
    model.fit(x[:nwarm], y[:nwarm], epochs=1, batch_size=w.batch_size, verbose=0, seed=seed + 1)
    set_nnscratch_weights(model, weights)
    rss0 = current_rss_mb()
    t0 = time.perf_counter()
    model.fit(x, y, epochs=1, batch_size=w.batch_size, verbose=0, seed=seed)
    seconds = time.perf_counter() - t0
    pred = []
    for _ in range(PREDICT_REPEATS):
        t1 = time.perf_counter()
        model.predict(xt)
        pred.append(time.perf_counter() - t1)
    return {"seconds": seconds, "predict_seconds": median(pred), "rss_before_mb": rss0}


# -- PyTorch ---------------------------------------------------------------------------------
def torch_model(w: Workload, weights: list[np.ndarray]) -> Any:
    from torch import nn

    if w.kind == "mlp":
        mods: list[Any] = []
        sizes = mlp_layer_sizes(w.hidden)
        for j, (i, o) in enumerate(sizes):
            mods.append(nn.Linear(i, o))
            if j < len(sizes) - 1:
                mods.append(nn.ReLU())
    else:
        (c1, c2), (i, o) = CNN_CONVS, CNN_DENSE
        mods = [nn.Conv2d(c1[0], c1[1], 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                nn.Conv2d(c2[0], c2[1], 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                nn.Flatten(), nn.Linear(i, o)]
    model = nn.Sequential(*mods)
    set_torch_weights(model, weights)
    return model


def set_torch_weights(model: Any, weights: list[np.ndarray]) -> None:
    import torch

    params = list(model.parameters())
    assert len(params) == len(weights)
    with torch.no_grad():
        for p, a in zip(params, weights):
            if a.ndim == 2:  # Dense (in, out) -> Linear weight (out, in)
                a = a.T
            p.copy_(torch.from_numpy(np.ascontiguousarray(a)))


def torch_epoch(model: Any, opt: Any, X: Any, Y: Any, order: np.ndarray, bs: int) -> float:
    """One epoch in the usual eager loop; returns the mean loss."""
    import torch

    loss_fn = torch.nn.CrossEntropyLoss()
    perm = torch.from_numpy(order)
    total = 0.0
    for start in range(0, len(order), bs):
        idx = perm[start:start + bs]
        xb, yb = X.index_select(0, idx), Y.index_select(0, idx)
        opt.zero_grad()
        loss = loss_fn(model(xb), yb)
        loss.backward()
        opt.step()
        total += loss.item() * len(idx)
    return total / len(order)


def train_torch(w: Workload, x: np.ndarray, y: np.ndarray, xt: np.ndarray,
                weights: list[np.ndarray], lr: float, seed: int) -> dict[str, Any]:
    import torch

    X, Y, XT = torch.from_numpy(x), torch.from_numpy(y), torch.from_numpy(xt)
    model = torch_model(w, weights)
    opt = torch.optim.SGD(model.parameters(), lr=lr)
    nwarm = min(len(x), WARMUP_BATCHES * w.batch_size)
    torch_epoch(model, opt, X, Y, np.random.default_rng(seed + 1).permutation(nwarm),
                w.batch_size)
    set_torch_weights(model, weights)
    order = np.random.default_rng(seed).permutation(len(x))  # nnscratch's first epoch order
    rss0 = current_rss_mb()
    t0 = time.perf_counter()
    torch_epoch(model, opt, X, Y, order, w.batch_size)
    seconds = time.perf_counter() - t0
    model.eval()
    pred = []
    for _ in range(PREDICT_REPEATS):
        t1 = time.perf_counter()
        with torch.no_grad():
            model(XT)
        pred.append(time.perf_counter() - t1)
    return {"seconds": seconds, "predict_seconds": median(pred), "rss_before_mb": rss0}


# -- scikit-learn ------------------------------------------------------------------------------
def sklearn_model(w: Workload, lr: float, seed: int) -> Any:
    from sklearn.neural_network import MLPClassifier

    return MLPClassifier(
        hidden_layer_sizes=w.hidden, activation="relu", solver="sgd", momentum=0.0,
        nesterovs_momentum=False, learning_rate_init=lr, batch_size=w.batch_size,
        alpha=0.0, max_iter=1, shuffle=True, random_state=seed,
    )


def train_sklearn(w: Workload, x: np.ndarray, y: np.ndarray, xt: np.ndarray,
                  lr: float, seed: int, dtype: type) -> dict[str, Any]:
    from sklearn.exceptions import ConvergenceWarning

    x, xt = x.astype(dtype), xt.astype(dtype)
    warnings.simplefilter("ignore", ConvergenceWarning)
    nwarm = min(len(x), WARMUP_BATCHES * w.batch_size)
    sklearn_model(w, lr, seed + 1).fit(x[:nwarm], y[:nwarm])
    clf = sklearn_model(w, lr, seed)
    rss0 = current_rss_mb()
    t0 = time.perf_counter()
    clf.fit(x, y)
    seconds = time.perf_counter() - t0
    pred = []
    for _ in range(PREDICT_REPEATS):
        t1 = time.perf_counter()
        clf.predict_proba(xt)
        pred.append(time.perf_counter() - t1)
    return {"seconds": seconds, "predict_seconds": median(pred), "rss_before_mb": rss0,
            "dtype": str(clf.coefs_[0].dtype)}


# -- tasks -------------------------------------------------------------------------------------
def task_train(job: dict[str, Any]) -> dict[str, Any]:
    w = Workload(**{**job["workload"], "hidden": tuple(job["workload"]["hidden"])})
    impl, seed, lr = job["impl"], job["seed"], job["lr"]
    if impl == "nnscratch-ref":  # the parent set NNSCRATCH_REFERENCE=1 for this process
        import nnscratch

        if not nnscratch.kernels.is_reference():
            return {"status": "failed", "reason": "the reference switch is off"}
        impl = "nnscratch"
    if impl == "nnscratch" and w.kind == "cnn":
        try:
            from nnscratch import Conv2D, Flatten, MaxPool2D  # noqa: F401
        except ImportError as err:
            return {"status": "unavailable", "reason": f"nnscratch CNN layers: {err}"}
    images = w.kind == "cnn"
    x, y, xt, _ = load_float(Path(job["cache"]), w.n_train, job["n_predict"], images=images)
    weights = initial_weights(w, seed)
    if impl == "nnscratch":
        res = train_nnscratch(w, x, y, xt, weights, lr, seed)
    elif impl == "torch":
        import torch

        torch.set_num_threads(job["threads"])
        res = train_torch(w, x, y, xt, weights, lr, seed)
    elif impl in ("sklearn32", "sklearn64"):
        res = train_sklearn(w, x, y, xt, lr, seed,
                            np.float32 if impl == "sklearn32" else np.float64)
    else:
        raise SystemExit(f"unknown implementation {impl!r}")
    return {"status": "ok", **res, "peak_rss_mb": peak_rss_mb()}


def task_learn(job: dict[str, Any]) -> dict[str, Any]:
    w = Workload(**{**job["workload"], "hidden": tuple(job["workload"]["hidden"])})
    impl, seed, lr, epochs = job["impl"], job["seed"], job["lr"], job["epochs"]
    x, y, xt, yt = load_float(Path(job["cache"]), w.n_train, None)
    weights = initial_weights(w, seed)
    t0 = time.perf_counter()
    if impl == "nnscratch":
        model = nnscratch_model(w, weights, lr)
        model.fit(x, y, epochs=epochs, batch_size=w.batch_size, verbose=0, seed=seed)
        acc = float(np.mean(model.predict(xt).argmax(axis=1) == yt))
    else:
        import torch

        torch.set_num_threads(job["threads"])
        model = torch_model(w, weights)
        opt = torch.optim.SGD(model.parameters(), lr=lr)
        X, Y = torch.from_numpy(x), torch.from_numpy(y)
        rng = np.random.default_rng(seed)  # the same sequence of epoch orders as fit's
        for _ in range(epochs):
            torch_epoch(model, opt, X, Y, rng.permutation(len(x)), w.batch_size)
        model.eval()
        with torch.no_grad():
            out = model(torch.from_numpy(xt)).numpy()
        acc = float(np.mean(out.argmax(axis=1) == yt))
    return {"status": "ok", "test_accuracy": acc, "seconds": time.perf_counter() - t0}


def time_matmul(m: int, k: int, n: int, min_seconds: float) -> float:
    """Best seconds of one float32 (m, k) @ (k, n) into a preallocated output."""
    rng = np.random.default_rng(0)
    a = rng.standard_normal((m, k), dtype=np.float32)
    b = rng.standard_normal((k, n), dtype=np.float32)
    c = np.empty((m, n), dtype=np.float32)
    np.matmul(a, b, out=c)
    reps = max(1, int(2e8 / (2 * m * k * n + 1)))  # about 0.2 GFLOP per timing
    best, spent = float("inf"), 0.0
    while spent < min_seconds:
        t0 = time.perf_counter()
        for _ in range(reps):
            np.matmul(a, b, out=c)
        dt = time.perf_counter() - t0
        best, spent = min(best, dt / reps), spent + dt
    return best


def task_gemm(job: dict[str, Any]) -> dict[str, Any]:
    """Seconds per GEMM shape (best of several timings); the ceiling is the best rate."""
    out: dict[str, float] = {}
    for m, k, n in [tuple(s) for s in job["shapes"]]:
        out[f"{m}x{k}x{n}"] = time_matmul(m, k, n, job["min_seconds"])
    rates = [2 * np.prod([int(d) for d in key.split("x")]) / t for key, t in out.items()]
    return {"status": "ok", "seconds": out, "ceiling_flops": float(max(rates))}


def task_info(job: dict[str, Any]) -> dict[str, Any]:
    import platform

    info: dict[str, Any] = {"python": platform.python_version(), "numpy": np.__version__}
    try:
        import nnscratch

        info["nnscratch"] = nnscratch.__version__
    except ImportError:
        pass
    for mod in ("torch", "sklearn", "threadpoolctl"):
        try:
            info[mod] = __import__(mod).__version__
        except ImportError:
            info[mod] = None
    try:
        cfg = np.show_config(mode="dicts")
        blas = cfg["Build Dependencies"]["blas"]
        info["numpy_blas"] = f"{blas.get('name')} {blas.get('version', '')}".strip()
    except Exception:
        info["numpy_blas"] = None
    try:
        from threadpoolctl import threadpool_info

        info["threadpools"] = [
            {k: p.get(k) for k in ("internal_api", "version", "num_threads",
                                    "threading_layer", "architecture")}
            for p in threadpool_info()
        ]
    except ImportError:
        info["threadpools"] = None
    return {"status": "ok", **info}


TASKS = {"train": task_train, "learn": task_learn, "gemm": task_gemm, "info": task_info}


def main(argv: list[str]) -> None:
    job = json.loads(argv[0])
    result = TASKS[job["task"]](job)
    print("RESULT " + json.dumps(result), flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
