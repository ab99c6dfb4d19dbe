"""The workloads of the benchmark suite and their FLOP counts.

W1  Fashion-MNIST MLP 784-128-10 (ReLU), batch 16, 64 and 256, one epoch of 60,000 images
W2  the small CNN Conv(1→16, 3×3, pad 1) ReLU MaxPool2 → Conv(16→32, 3×3, pad 1) ReLU
    MaxPool2 → Flatten → Dense(1568→10), batch 64, one pass over 10,000 images
W3  a deeper MLP 784-512-256-10 (ReLU), batch 128, one epoch

All train with softmax cross-entropy and plain SGD in float32.
"""

from __future__ import annotations

import itertools
from dataclasses import asdict, dataclass, field
from typing import Any

#: Learning rate of every timed run (plain SGD, no momentum).
LEARNING_RATE = 0.05


@dataclass(frozen=True)
class Workload:
    """One timed training pass.

    Attributes
    ----------
    name : str
        ``"W1-b64"`` and the like.
    kind : {"mlp", "cnn"}
    hidden : tuple of int
        MLP hidden widths (empty for the CNN).
    batch_size : int
    n_train : int
        Images per timed epoch.
    """

    name: str
    kind: str
    batch_size: int
    n_train: int
    hidden: tuple[int, ...] = field(default=())

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def mlp_layer_sizes(hidden: tuple[int, ...]) -> list[tuple[int, int]]:
    """``(in, out)`` of each Dense layer of a 784-...-10 MLP."""
    sizes = [784, *hidden, 10]
    return list(itertools.pairwise(sizes))


# Conv layers of W2 as (in_channels, out_channels, kernel, output height·width)
CNN_CONVS = ((1, 16, 3, 28 * 28), (16, 32, 3, 14 * 14))
CNN_DENSE = (32 * 7 * 7, 10)


def gemm_flops_per_sample(w: Workload) -> int:
    """Forward + backward GEMM FLOPs for one sample: 6 per multiply-accumulate.

    Each weight layer costs one GEMM forward (y = x W) and two backward (dL/dW and
    dL/dx), each 2·MACs FLOPs; the first layer's dL/dx is counted although training does
    not need it, as the issue's floor does. For a convolution the MACs are
    ``H_out·W_out · C_out · C_in · k²`` (the im2col GEMM).
    """
    if w.kind == "mlp":
        macs = sum(i * o for i, o in mlp_layer_sizes(w.hidden))
    else:
        macs = sum(hw * cout * cin * k * k for cin, cout, k, hw in CNN_CONVS)
        macs += CNN_DENSE[0] * CNN_DENSE[1]
    return 6 * macs


def gemm_shapes(w: Workload) -> list[tuple[int, int, int]]:
    """The (M, K, N) of every GEMM of one training step, for timing them alone."""
    b = w.batch_size
    shapes: list[tuple[int, int, int]] = []
    if w.kind == "mlp":
        layers = mlp_layer_sizes(w.hidden)
    else:
        layers = []
        for cin, cout, k, hw in CNN_CONVS:  # im2col: (B·HW, Cin·k²) @ (Cin·k², Cout)
            m, kk = b * hw, cin * k * k
            shapes += [(m, kk, cout), (kk, m, cout), (m, cout, kk)]
        layers = [CNN_DENSE]
    for i, o in layers:
        shapes += [(b, i, o), (i, b, o), (b, o, i)]  # y = xW, dW = xᵀG, dx = GWᵀ
    return shapes


def all_workloads(smoke: bool = False) -> dict[str, Workload]:
    """Every workload by name; ``smoke`` shrinks them to a few hundred images."""
    n_mlp, n_cnn = (1024, 256) if smoke else (60_000, 10_000)
    ws = [
        Workload("W1-b16", "mlp", 16, n_mlp, (128,)),
        Workload("W1-b64", "mlp", 64, n_mlp, (128,)),
        Workload("W1-b256", "mlp", 256, n_mlp, (128,)),
        Workload("W2", "cnn", 64, n_cnn),
        Workload("W3", "mlp", 128, n_mlp, (512, 256)),
    ]
    return {w.name: w for w in ws}


def select(names: str | None, smoke: bool = False) -> list[Workload]:
    """Workloads named by ``"W1,W3"`` (a prefix picks all batch sizes of W1)."""
    table = all_workloads(smoke)
    if not names:
        return list(table.values())
    chosen: list[Workload] = []
    for token in (t.strip() for t in names.split(",") if t.strip()):
        hits = [w for n, w in table.items() if n == token or n.split("-")[0] == token]
        if not hits:
            raise SystemExit(f"unknown workload {token!r}; expected one of {sorted(table)} "
                             "or a prefix such as W1")
        chosen += [w for w in hits if w not in chosen]
    return chosen
