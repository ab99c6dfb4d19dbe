"""Progress display for ``fit``: a tqdm bar when tqdm is installed, plain lines otherwise.

A bar lives on one terminal line, so while it runs it shows only what fits beside it at
80 columns: the running loss and one metric. When the bar closes it is replaced by one
closing line that holds every value of the epoch, validation values included; a line
too long for the terminal breaks before the validation values instead of being cut.
"""

from __future__ import annotations

import contextlib
import shutil
import sys
import time
import weakref
from collections.abc import Iterator
from typing import IO, Any

from .callbacks import Callback

# the default bar without the rate (steps/s), which costs 15 columns and tells the
# user nothing the elapsed and remaining times do not
_BAR_FORMAT = "{l_bar}{bar}| {n_fmt}/{total_fmt} [{elapsed}<{remaining}{postfix}]"

_open_bars: weakref.WeakSet[Progress] = weakref.WeakSet()


def _number(v: Any) -> str:
    """4 decimals as Keras shows them (``0.0509``, ``2.3026``); 4 significant digits for
    values too small or large for that (``1.234e-05``)."""
    if not isinstance(v, float):
        return str(v)
    return f"{v:.4f}" if v == 0 or 1e-3 <= abs(v) < 1e4 else f"{v:.4g}"


def _fmt(logs: dict[str, Any], sep: str = "  ") -> str:
    return sep.join(f"{k}={_number(v)}" for k, v in logs.items())


def short_postfix(logs: dict[str, Any]) -> dict[str, str]:
    """What a running bar shows: the loss and the first training metric.

    Parameters
    ----------
    logs : dict
        The running values (``loss``, metrics, perhaps ``val_*``).

    Returns
    -------
    dict of str to str
        At most two entries, formatted to 4 decimals.
    """
    keys = [k for k in logs if k == "loss"]
    keys += [k for k in logs if k != "loss" and not k.startswith("val_")][:1]
    return {k: _number(logs[k]) for k in keys}


def closing_line(head: str, logs: dict[str, Any], tail: str = "",
                 width: int | None = None) -> str:
    """The line that replaces a finished bar: ``head``, every value in ``logs``, ``tail``.

    Single spaces and 4 decimals keep an epoch (up to 99) with one metric and its
    validation values within 80 columns:
    ``epoch 10/10 loss=0.3012 accuracy=0.8912 val_loss=0.3345 val_accuracy=0.8801 12s``.

    Parameters
    ----------
    head : str
        E.g. ``"epoch 3/10"``.
    logs : dict
        The epoch's values, validation values included.
    tail : str
        E.g. the time the epoch took, ``"12s"``.
    width : int, optional
        The terminal's width (default: the width of the terminal, else 80). A line wider
        than this breaks once, before the first ``val_*`` value, onto an indented line.

    Returns
    -------
    str
        One line, or two joined by a newline.
    """
    width = width or shutil.get_terminal_size((80, 24)).columns
    train = {k: v for k, v in logs.items() if not k.startswith("val_")}
    val = {k: v for k, v in logs.items() if k.startswith("val_")}
    line = " ".join(p for p in (head, _fmt(train, " "), _fmt(val, " "), tail) if p)
    if len(line) <= width or not val:
        return line
    first = " ".join(p for p in (head, _fmt(train, " "), tail) if p)
    return f"{first}\n{' ' * 4}{_fmt(val, ' ')}"


def write(line: str) -> None:
    """Print ``line`` on stderr without tearing a running bar apart."""
    if any(p.bar is not None for p in list(_open_bars)):
        from tqdm.auto import tqdm

        tqdm.write(line, file=sys.stderr)
    else:
        print(line, file=sys.stderr, flush=True)


def close_open_bars() -> None:
    """Close every bar still running (an error or Ctrl-C left it), ending its line, so
    that what is printed next starts on a line of its own."""
    bars = [p.bar for p in list(_open_bars) if p.bar is not None]
    for progress in list(_open_bars):
        progress.bar = None
    _open_bars.clear()
    # A Ctrl-C can land while a bar is being made or closed, before it is ours to track:
    # tqdm's own list of live bars has those too.
    tqdm_module = sys.modules.get("tqdm")
    bars += list(getattr(getattr(tqdm_module, "tqdm", None), "_instances", []))
    for bar in dict.fromkeys(bars):
        bar.leave = True  # keep what it showed when it stopped, and end its line
        bar.close()
    if isinstance(sys.stderr, LineTrackingStream) and not sys.stderr.at_line_start:
        sys.stderr.write("\n")  # a bar drawn but never tracked (Ctrl-C inside tqdm)


class LineTrackingStream:
    """A text stream that remembers whether what was last written ended its line.

    ``\r`` counts as an end too: a bar that cleared itself leaves the cursor at the start
    of a blank line. Everything else is the wrapped stream's.
    """

    def __init__(self, stream: IO[str]) -> None:
        self._stream = stream
        self.at_line_start = True

    def write(self, text: str) -> int:
        if text:
            self.at_line_start = text.endswith(("\n", "\r"))
        return self._stream.write(text)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)


@contextlib.contextmanager
def tracked_stderr() -> Iterator[LineTrackingStream]:
    """Within the block ``sys.stderr`` is a :class:`LineTrackingStream`; an error or
    Ctrl-C leaving the block closes the bars it left, so that the message that follows
    starts on a line of its own."""
    old = sys.stderr
    sys.stderr = tracked = LineTrackingStream(old)
    try:
        yield tracked
    except BaseException:
        close_open_bars()
        raise
    finally:
        sys.stderr = old


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
        self.leave = leave
        self.bar: Any = None
        if verbose == 1:
            try:
                from tqdm.auto import tqdm
            except ImportError:  # the plain fallback prints one line at close
                self.verbose = 2
            else:
                # leave=False: the closing line replaces the bar
                self.bar = tqdm(total=total, desc=desc, leave=False, unit="step",
                                dynamic_ncols=True, file=sys.stderr,
                                bar_format=_BAR_FORMAT)
                _open_bars.add(self)

    def update(self, n: int = 1, logs: dict[str, Any] | None = None) -> None:
        if self.bar is not None:
            if logs:
                self.bar.set_postfix(short_postfix(logs), refresh=False)
            self.bar.update(n)

    def close(self, logs: dict[str, Any] | None = None) -> None:
        if self.bar is not None:
            bar, self.bar = self.bar, None
            _open_bars.discard(self)
            took = _seconds(bar.format_dict["elapsed"])
            bar.close()
            if self.leave:
                write(closing_line(self.desc, logs or {}, took))
        elif self.verbose == 2:
            print(f"{self.desc}  {_fmt(logs or {})}", flush=True)


def _seconds(seconds: float) -> str:
    if seconds < 10:
        return f"{seconds:.1f}s"
    if seconds < 60:
        return f"{seconds:.0f}s"
    minutes, secs = divmod(round(seconds), 60)
    return f"{minutes}m{secs:02d}s"


class EpochTimeEstimate(Callback):
    """Print, once, how long an epoch and the whole run will take, after the first batches.

    The first ``skip`` batches are not timed (caches, BLAS threads and memory warm up in
    them); the estimate is printed once ``min_batches`` more have run and ``min_seconds``
    have passed, or at the end of the first epoch, whichever comes first.

    Parameters
    ----------
    batches_per_epoch : int
        Training steps in one epoch.
    epochs : int
        The epoch the run ends with (a resumed run trains those after its first).
    min_seconds : float
        Run at least this long before estimating.
    threshold : float
        Print only when the whole run is estimated to take at least this many seconds.
    skip : int
        Batches run before the clock starts.
    min_batches : int
        Timed batches needed for an estimate (besides ``min_seconds``).
    clock : callable, optional
        Returns the time in seconds (default :func:`time.perf_counter`); tests pass
        their own.

    Attributes
    ----------
    estimate : float or None
        The estimated seconds per epoch, once made.
    """

    main_rank_only = True  # data-parallel: rank 0 prints

    def __init__(self, batches_per_epoch: int, epochs: int, min_seconds: float = 2.0,
                 threshold: float = 10.0, skip: int = 1, min_batches: int = 5,
                 clock: Any = None) -> None:
        self.batches_per_epoch = batches_per_epoch
        self.epochs = epochs
        self.min_seconds = min_seconds
        self.threshold = threshold
        self.skip = skip
        self.min_batches = min_batches
        self.clock = clock or time.perf_counter
        self.estimate: float | None = None
        self._seen = 0
        self._t0 = 0.0
        self._first_epoch = 0

    def on_train_begin(self, logs: dict[str, Any] | None = None) -> None:
        self._first_epoch = -1  # set by the first epoch: a resumed run starts later

    def on_epoch_begin(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        if self._first_epoch < 0:
            self._first_epoch = epoch

    def on_batch_end(self, batch: int, logs: dict[str, Any] | None = None) -> None:
        if self.estimate is not None:
            return
        self._seen += 1
        if self._seen == self.skip:
            self._t0 = self.clock()
            return
        timed = self._seen - self.skip
        if timed <= 0:
            return
        elapsed = self.clock() - self._t0
        last = self._seen >= self.batches_per_epoch
        if last or (timed >= self.min_batches and elapsed >= self.min_seconds):
            self._report(elapsed / timed * self.batches_per_epoch)

    def _report(self, per_epoch: float) -> None:
        self.estimate = per_epoch
        epochs = self.epochs - max(self._first_epoch, 0)
        total = per_epoch * epochs
        if total >= self.threshold:
            write(f"about {_seconds(per_epoch)} per epoch of {self.batches_per_epoch} "
                  f"batches, {_seconds(total)} for {epochs} epochs")
