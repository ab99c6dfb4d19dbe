"""What tests/test_distributed.py launches under ``mpiexec -n R``, and the models it shares
with the single-process reference the test computes itself.

``python distributed_checks.py OUT train``: every rank trains each case and writes its
weights and logs to ``OUT/<case>-rank<r>.npz``; the test compares them with one process.
``python distributed_checks.py OUT resume CKPT``: continue CKPT (written by another rank
count) to the end of the ``resume`` case. ``python distributed_checks.py OUT fail``: rank
1 raises in the middle of training.

Each rank builds its layers from seeds of its own (``rank_seed``), so only the broadcast
of rank 0's weights and generators makes the ranks agree.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import numpy as np

import nnscratch as nn

EPOCHS = 3
RESUME_EPOCHS, RESUME_SPLIT = 4, 2  # the resume case: a checkpoint after 2 of 4 epochs


def mlp_data() -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    x = rng.standard_normal((50, 6))
    return x, (x[:, 0] + x[:, 1] ** 2 > 0.8).astype(np.int64) + (x[:, 2] > 1)


def cnn_data() -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(1)
    x = rng.standard_normal((22, 2, 6, 6))
    return x, rng.integers(0, 3, 22)


def mlp(seed: int, optimizer: nn.optimizers.Optimizer, cls: Any = nn.Sequential,
        l2: float | None = 1e-3) -> Any:
    with nn.default_dtype(np.float64):
        # no bias before BatchNorm: its gradient is 0 but for rounding noise
        first = nn.Dense(6, 16, rng=seed, bias=False,
                         kernel_regularizer=None if l2 is None else nn.regularizers.L2(l2))
        return cls(first, nn.BatchNorm1D(16), nn.ReLU(), nn.Dropout(0.3, rng=seed + 1),
                   nn.Dense(16, 3, rng=seed + 2)).use(nn.SoftmaxCrossEntropy(), optimizer)


def cnn(seed: int) -> nn.Sequential:
    with nn.default_dtype(np.float64):
        return nn.Sequential(
            nn.Conv2D(2, 4, 3, padding=1, bias=False, rng=seed), nn.BatchNorm2D(4), nn.ReLU(),
            nn.MaxPool2D(2), nn.Flatten(), nn.Dense(36, 3, rng=seed + 1),
        ).use(nn.SoftmaxCrossEntropy(), nn.Adam(0.01))


class ManualStep(nn.Sequential):
    """A user's train_step that never calls Sequential.train_step (and, like any
    train_step of one's own, leaves the penalties' gradients to the optimizer)."""

    def train_step(self, x_batch: np.ndarray, y_batch: np.ndarray) -> dict[str, float]:
        assert self.loss is not None and self.optimizer is not None
        out = self.forward(x_batch)
        loss = self.loss.forward(out, y_batch)
        self.optimizer.zero_grad()
        self.backward(self.loss.backward())
        self.optimizer.step()
        return {"loss": loss}


def cases(seed: int) -> dict[str, tuple[Any, tuple[np.ndarray, np.ndarray], dict[str, Any]]]:
    """Each case: (model, (x, y), fit's keyword arguments). The batch sizes leave a last
    batch smaller than the rank count, so some rank has no row of it."""
    x, y = mlp_data()
    xc, yc = cnn_data()
    val = (x[:12], y[:12])
    x_huge = x.copy()
    x_huge[28] = 1e308  # batch 2 (unshuffled) overflows, on the last rank only
    with nn.default_dtype(np.float64):
        plain = nn.Sequential(nn.Dense(6, 8, rng=seed), nn.ReLU(),
                              nn.Dense(8, 3, rng=seed + 1)).use(nn.MSE(), nn.SGD(0.1))
    return {
        "mlp_sgd": (mlp(seed, nn.SGD(0.1, momentum=0.9)), (x, y),
                    {"batch_size": 16, "validation_data": val}),
        "mlp_adam": (mlp(seed, nn.Adam(0.01)), (x, y), {"batch_size": 24}),
        "cnn_adam": (cnn(seed), (xc, yc), {"batch_size": 10}),
        "manual_step": (mlp(seed, nn.SGD(0.05, momentum=0.5), ManualStep, l2=None), (x, y),
                        {"batch_size": 16}),
        # a non-finite loss on one rank: no rank steps, and every rank stops
        "nan_stop": (plain, (x_huge, np.eye(3)[y]), {"batch_size": 16, "shuffle": False,
                                          "callbacks": [nn.TerminateOnNaN()]}),
    }


def train(name: str, seed: int, epochs: int = EPOCHS, **extra: Any) -> tuple[Any, Any]:
    model, (x, y), kwargs = cases(seed)[name]
    with np.errstate(all="ignore"):  # nan_stop overflows on purpose
        model.fit(x, y, epochs=epochs, seed=5, verbose=0, **kwargs, **extra)
    return model, model.history


def result(model: Any) -> dict[str, np.ndarray]:
    """Weights, layer state and the history, as arrays."""
    arrays = {k: np.array(v) for k, v in model.state_dict().items()
              if v.dtype.kind == "f"}
    for key, values in model.history.history.items():
        arrays[f"history.{key}"] = np.array(values)
    return arrays


def mismatched_data() -> str:
    """fit's error when the ranks pass arrays of different lengths."""
    n = 40 + nn.distributed.rank()
    model = nn.Sequential(nn.Dense(6, 3, rng=0)).use(nn.SoftmaxCrossEntropy())
    try:
        model.fit(np.ones((n, 6)), np.zeros(n, dtype=np.int64), batch_size=8, verbose=0)
    except ValueError as err:
        return str(err)
    return "no error"


def rank_seed() -> int:
    return 10 + 7 * nn.distributed.rank()


def main(out: Path, mode: str, extra: list[str]) -> None:
    nn.distributed.init()
    rank = nn.distributed.rank()
    if mode == "train":
        for name in cases(0):
            model, _ = train(name, rank_seed())
            np.savez(out / f"{name}-rank{rank}.npz", **result(model))
        # the resume case: 2 epochs with a checkpoint, then a new model continues it
        ckpt = out / f"resume-{nn.distributed.size()}.npz"
        train("mlp_adam", rank_seed(), RESUME_SPLIT,
              callbacks=[nn.ModelCheckpoint(ckpt, save_training_state=True)])
        model, _ = train("mlp_adam", rank_seed(), RESUME_EPOCHS, resume_from=ckpt)
        np.savez(out / f"resumed-rank{rank}.npz", **result(model))
        whole, _ = train("mlp_adam", rank_seed(), RESUME_EPOCHS)
        np.savez(out / f"whole-rank{rank}.npz", **result(whole))
        # mlp_sgd again, its x memory-mapped: each rank reads its rows batch by batch
        if nn.distributed.is_main():
            np.save(out / "x.npy", mlp_data()[0])
        nn.distributed.barrier()
        model, (_, y), kwargs = cases(rank_seed())["mlp_sgd"]
        model.fit(np.load(out / "x.npy", mmap_mode="r"), y, epochs=EPOCHS, seed=5,
                  verbose=0, **kwargs)
        np.savez(out / f"mmap-rank{rank}.npz", **result(model))
        info = {"size": nn.distributed.size(), "is_main": nn.distributed.is_main(),
                "mismatch": mismatched_data()}
        (out / f"info-rank{rank}.json").write_text(json.dumps(info))
    elif mode == "resume":
        model, _ = train("mlp_adam", rank_seed(), RESUME_EPOCHS, resume_from=extra[0])
        np.savez(out / f"resumed-rank{rank}.npz", **result(model))
    elif mode == "fail":
        class Fail(nn.Callback):
            def on_batch_end(self, batch: int, logs: Any = None) -> None:
                if nn.distributed.rank() == 1 and batch == 2:
                    raise RuntimeError("rank one gave up on batch 2")

        train("mlp_sgd", rank_seed(), callbacks=[Fail()])


if __name__ == "__main__":
    main(Path(sys.argv[1]), sys.argv[2], sys.argv[3:])
