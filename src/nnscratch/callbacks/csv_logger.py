"""CSVLogger: one row per epoch in a CSV file."""

from __future__ import annotations

import csv
import os
from pathlib import Path
from typing import IO, Any

import numpy as np

from .base import Callback


class CSVLogger(Callback):
    """Append one row per epoch to a CSV file: ``epoch`` (0-based) then the logs.

    Parameters
    ----------
    path : str or path-like
    append : bool, default False
        Add to an existing file (e.g. when resuming) instead of starting a new one. The
        header is written only when the file is new or empty.
    separator : str, default ","

    Notes
    -----
    The columns are those of the first epoch logged, sorted (as Keras does); every row
    is flushed, so a crash loses at most the epoch in progress. Floats are written in
    full precision (``repr``).
    """

    runs_last = True
    main_rank_only = True  # data-parallel: rank 0 writes the file

    def __init__(self, path: str | os.PathLike[str], append: bool = False,
                 separator: str = ",") -> None:
        self.path = Path(path)
        self.append = bool(append)
        self.separator = separator
        self.keys: list[str] | None = None
        self._file: IO[str] | None = None
        self._writer: Any = None

    def on_train_begin(self, logs: dict[str, Any] | None = None) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        has_rows = self.append and self.path.exists() and self.path.stat().st_size > 0
        self.keys = None
        if has_rows:
            with open(self.path, newline="") as f:
                header = next(csv.reader(f, delimiter=self.separator), None)
            if header and header[0] == "epoch":
                self.keys = header[1:]
        self._file = open(self.path, "a" if self.append else "w", newline="")
        self._writer = csv.writer(self._file, delimiter=self.separator)

    def on_epoch_end(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        if self._writer is None or self._file is None:
            return
        logs = logs or {}
        if self.keys is None:
            self.keys = sorted(logs)
            self._writer.writerow(["epoch", *self.keys])
        row = [epoch] + [_csv_value(logs.get(k, "")) for k in self.keys]
        self._writer.writerow(row)
        self._file.flush()

    def on_train_end(self, logs: dict[str, Any] | None = None) -> None:
        if self._file is not None:
            self._file.close()
        self._file = self._writer = None


def _csv_value(value: Any) -> Any:
    if isinstance(value, (float, np.floating)):
        return repr(float(value))
    return value
