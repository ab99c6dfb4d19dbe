"""Progress display for ``fit``: a tqdm bar when tqdm is installed, plain lines otherwise."""

from __future__ import annotations

import sys
from typing import Any


def _fmt(logs: dict[str, Any]) -> str:
    return "  ".join(f"{k}={v:.4g}" if isinstance(v, float) else f"{k}={v}"
                     for k, v in logs.items())


class Progress:
    """One bar (or line) per unit of work.

    Parameters
    ----------
    total : int
        Number of steps the bar counts (batches of an epoch, or epochs).
    desc : str
        Label printed before the bar.
    verbose : int
        0 silent, 1 a live bar, 2 one line when the bar closes.
    """

    def __init__(self, total: int, desc: str, verbose: int, leave: bool = True) -> None:
        self.verbose = verbose
        self.desc = desc
        self.bar: Any = None
        if verbose == 1:
            try:
                from tqdm.auto import tqdm
            except ImportError:  # the plain fallback prints one line at close
                self.verbose = 2
            else:
                self.bar = tqdm(total=total, desc=desc, leave=leave, unit="step",
                                dynamic_ncols=True, file=sys.stderr)

    def update(self, n: int = 1, logs: dict[str, Any] | None = None) -> None:
        if self.bar is not None:
            if logs:
                self.bar.set_postfix({k: f"{v:.4g}" for k, v in logs.items()}, refresh=False)
            self.bar.update(n)

    def close(self, logs: dict[str, Any] | None = None) -> None:
        if self.bar is not None:
            if logs:
                self.bar.set_postfix({k: f"{v:.4g}" for k, v in logs.items()}, refresh=False)
            self.bar.close()
        elif self.verbose == 2:
            print(f"{self.desc}  {_fmt(logs or {})}", flush=True)
