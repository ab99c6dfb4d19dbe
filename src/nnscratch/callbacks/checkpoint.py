"""ModelCheckpoint: save the model, or the whole training state, as epochs end."""

from __future__ import annotations

import math
import os
from pathlib import Path
from typing import Any

from .base import Callback, _monitored, resolve_mode


class ModelCheckpoint(Callback):
    """Save the model after every epoch, or only when it improves.

    Parameters
    ----------
    path : str or path-like
        Where to write the ``.npz`` file; may contain ``{epoch}`` (1-based, as in Keras)
        and any log key, with format specs: ``"ckpt/e{epoch:03d}-{val_loss:.3f}.npz"``.
    monitor : str, default "val_loss"
        The value compared when ``save_best_only``.
    save_best_only : bool, default False
        Save only when ``monitor`` beats every earlier epoch's value (NaN never does).
    mode : {"auto", "min", "max"}
        See :class:`EarlyStopping`.
    save_training_state : bool, default False
        Write a full training checkpoint (:meth:`Sequential.save_checkpoint`: weights,
        layer state, optimizer state, schedule, random generators, epoch, history and
        the other callbacks' state) that ``fit(..., resume_from=path)`` continues
        exactly. Otherwise the file is what :meth:`Sequential.save` writes.
    verbose : int
        1 prints a line per save.

    Notes
    -----
    Every file is written to a temporary file and renamed into place
    (:func:`nnscratch.io.atomic_savez`), so a crash — even a SIGKILL — in the middle of
    a save leaves the previous file intact. This callback runs after the others at each
    epoch end, so its checkpoint holds their updated state.

    Attributes
    ----------
    best : float
        The best monitored value so far.
    last_path : Path or None
        The last file written.
    """

    runs_last = True
    main_rank_only = True  # data-parallel: rank 0 writes the files

    def __init__(self, path: str | os.PathLike[str], monitor: str = "val_loss",
                 save_best_only: bool = False, mode: str = "auto",
                 save_training_state: bool = False, verbose: int = 0) -> None:
        self.path = os.fspath(path)
        self.monitor = monitor
        self.save_best_only = bool(save_best_only)
        self.mode = resolve_mode(type(self).__name__, monitor, mode)
        self.save_training_state = bool(save_training_state)
        self.verbose = verbose
        self.best = math.inf if self.mode == "min" else -math.inf
        self.last_path: Path | None = None

    def _format(self, epoch: int, logs: dict[str, Any]) -> Path:
        try:
            return Path(self.path.format(epoch=epoch + 1, **logs))
        except KeyError as err:
            raise ValueError(f"ModelCheckpoint: path {self.path!r} uses {{{err.args[0]}}}, "
                             f"which is not in the logs {sorted(logs)}") from None

    def on_epoch_end(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        logs = logs or {}
        if self.save_best_only:
            value = _monitored(self, self.monitor, logs)
            if value is None:
                return
            better = value < self.best if self.mode == "min" else value > self.best
            if not better:
                return
            self.best = value
        path = self._format(epoch, logs)
        if self.save_training_state:
            self.model.save_checkpoint(path)
        else:
            self.model.save(path, metadata={"epoch": epoch + 1})
        self.last_path = path
        if self.verbose:
            print(f"epoch {epoch + 1}: saved {path}", flush=True)

    def state_dict(self) -> dict[str, Any]:
        return {"best": self.best}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.best = float(state["best"])

