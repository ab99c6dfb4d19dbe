"""TensorBoard: write a run's curves and weight histograms where TensorBoard reads them.

Keras' callback of the same name and layout, for users who already watch runs in
TensorBoard (``tensorboard --logdir logs``). The event files are written by tensorboardX,
an optional extra (``pip install 'nnscratch[tensorboard]'``), imported when training
begins.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from .base import Callback, _check_int


class TensorBoard(Callback):
    """Write scalars per epoch and weight and gradient histograms to ``log_dir``.

    Parameters
    ----------
    log_dir : path, default "logs"
        Where the event files go: ``log_dir/train`` and ``log_dir/validation``, as Keras
        writes them, so TensorBoard draws training and validation in one chart.
    histogram_freq : int, default 1
        Write histograms every this many epochs; 0: none.

    Notes
    -----
    Written at the end of every epoch, with the epoch (0-based) as the step:

    * ``train/``: ``epoch_loss`` and ``epoch_<metric>`` (``epoch_accuracy``),
      ``epoch_learning_rate``; every ``histogram_freq`` epochs a histogram of each
      parameter, tagged by its :meth:`~nnscratch.Sequential.state_dict` key
      (``layers.0.W``), and of its gradient of the epoch's last step
      (``layers.0.W/gradient``);
    * ``validation/``: ``epoch_loss`` and the metrics, when ``fit`` has validation data.

    Examples
    --------
    >>> model.fit(x, y, epochs=10, callbacks=[nn.callbacks.TensorBoard("logs/run1")])
    ... # doctest: +SKIP
    """

    main_rank_only = True  # data-parallel: rank 0 writes the event files

    def __init__(self, log_dir: str | os.PathLike[str] = "logs", histogram_freq: int = 1
                 ) -> None:
        self.log_dir = Path(log_dir)
        self.histogram_freq = _check_int("TensorBoard", "histogram_freq", histogram_freq)
        self._writers: dict[str, Any] = {}

    def _writer(self, kind: str) -> Any:
        if kind not in self._writers:
            try:
                from tensorboardX import SummaryWriter
            except ImportError:
                raise ImportError("TensorBoard needs tensorboardX: "
                                  "pip install 'nnscratch[tensorboard]'") from None
            self._writers[kind] = SummaryWriter(str(self.log_dir / kind))
        return self._writers[kind]

    def on_train_begin(self, logs: dict[str, Any] | None = None) -> None:
        self._writer("train")  # fails here, before the first epoch, when tensorboardX is absent

    def on_epoch_end(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        logs = logs or {}
        train = self._writer("train")
        for key, value in logs.items():
            if key == "seconds":
                continue
            if key.startswith("val_"):
                self._writer("validation").add_scalar(f"epoch_{key[4:]}", float(value), epoch)
            else:
                name = "learning_rate" if key == "lr" else key
                train.add_scalar(f"epoch_{name}", float(value), epoch)
        if self.histogram_freq and epoch % self.histogram_freq == 0:
            for key, p in self.model.named_parameters():
                train.add_histogram(key, p.data, epoch)
                train.add_histogram(f"{key}/gradient", p.grad, epoch)
        for writer in self._writers.values():
            writer.flush()

    def on_train_end(self, logs: dict[str, Any] | None = None) -> None:
        for writer in self._writers.values():
            writer.close()
        self._writers = {}

    def on_exception(self, exception: BaseException) -> None:
        self.on_train_end()  # what was written stays readable

    def __repr__(self) -> str:
        return f"TensorBoard(log_dir={str(self.log_dir)!r}, histogram_freq={self.histogram_freq})"
