"""The progress display at 80 columns, seen through a pseudo-terminal as a user sees it,
and the time-per-epoch estimate the command line prints after the first batches."""

from __future__ import annotations

import os
import re
import select
import struct
import subprocess
import sys
import time

import pytest

from nnscratch import progress
from nnscratch.progress import EpochTimeEstimate, closing_line, short_postfix

pytest.importorskip("tqdm", reason="the live bar needs the progress extra (tqdm)")

ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


def run_in_terminal(argv: list[str], columns: int = 80, timeout: float = 60.0
                    ) -> tuple[int, list[str]]:
    """Run ``argv`` with a pseudo-terminal of ``columns`` as stdin, stdout and stderr.

    Returns the exit status and every state the terminal's lines went through: the text
    between carriage returns and newlines, escape sequences removed.
    """
    fcntl = pytest.importorskip("fcntl")
    termios = pytest.importorskip("termios")
    master, slave = os.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, columns, 0, 0))
    env = {**os.environ, "COLUMNS": str(columns), "LINES": "24",
           "TQDM_MININTERVAL": "0"}  # draw every step: a short test run shows its bars
    proc = subprocess.Popen(argv, stdin=slave, stdout=slave, stderr=slave, env=env,
                            close_fds=True)
    os.close(slave)
    chunks: list[bytes] = []
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            ready, _, _ = select.select([master], [], [], 0.5)
            if not ready:
                if proc.poll() is not None:
                    break
                continue
            try:
                data = os.read(master, 65536)
            except OSError:  # EIO: the child closed its end
                break
            if not data:
                break
            chunks.append(data)
        status = proc.wait(timeout=max(deadline - time.monotonic(), 1))
    finally:
        if proc.poll() is None:
            proc.kill()
        os.close(master)
    text = ANSI.sub("", b"".join(chunks).decode("utf-8", "replace"))
    return status, re.split(r"[\r\n]+", text)


def test_80_columns_keep_the_bar_and_show_validation_on_the_closing_line(tmp_path):
    status, lines = run_in_terminal(
        [sys.executable, "-m", "nnscratch", "train", "--dataset", "spirals", "--epochs", "3",
         "--out", str(tmp_path)])
    assert status == 0, "\n".join(lines[-20:])
    bars = [s for s in lines if "%|" in s and "loss=" in s]
    assert len(bars) >= 3 * 10, lines  # 15 steps per epoch, drawn at every step
    for s in bars:
        assert len(s) <= 80, s
        bar = s.split("|")[1]
        assert len(bar) >= 8, f"the bar is squeezed to {bar!r}: {s!r}"
        assert "val_" not in s  # validation values wait for the closing line
        assert re.search(r"loss=[\d.]+, accuracy=[\d.]+\]$", s), s
    closing = [s for s in lines if re.match(r"epoch \d/3 loss=", s)]
    assert len(closing) == 3, lines
    for s in closing:
        assert len(s) <= 80, s
        assert re.fullmatch(r"epoch \d/3 loss=\S+ accuracy=\S+ val_loss=\S+ "
                            r"val_accuracy=\S+ [\d.]+s", s), s
    print("\n".join([bars[-1], *closing]))


def test_short_postfix_keeps_the_loss_and_one_metric():
    logs = {"loss": 0.123456, "accuracy": 0.9, "top_k": 0.99, "val_loss": 0.2}
    assert short_postfix(logs) == {"loss": "0.1235", "accuracy": "0.9000"}
    assert short_postfix({"loss": 1.0}) == {"loss": "1.0000"}
    assert short_postfix({"loss": 1.5e-05}) == {"loss": "1.5e-05"}


def test_closing_line_breaks_before_the_validation_values_when_too_wide():
    logs = {"loss": 0.30121, "accuracy": 0.89123, "val_loss": 0.33451, "val_accuracy": 0.88012}
    line = closing_line("epoch 10/10", logs, "12s", width=80)
    assert line == ("epoch 10/10 loss=0.3012 accuracy=0.8912 val_loss=0.3345 "
                    "val_accuracy=0.8801 12s")
    assert len(line) <= 80
    small = {"loss": 0.050912, "accuracy": 0.99512, "val_loss": 0.099291,
             "val_accuracy": 0.97222}
    assert len(closing_line("epoch 40/40", small, "0.1s", width=80)) == 80
    narrow = closing_line("epoch 10/10", logs, "12s", width=60)
    first, second = narrow.split("\n")
    assert first == "epoch 10/10 loss=0.3012 accuracy=0.8912 12s"
    assert second.strip() == "val_loss=0.3345 val_accuracy=0.8801"


class FakeClock:
    def __init__(self, step: float) -> None:
        self.t, self.step = 0.0, step

    def __call__(self) -> float:
        self.t += self.step
        return self.t


def test_time_estimate_after_the_first_batches(capsys):
    # 0.5 s per step: after the untimed first step, 5 timed steps = 2.5 s >= 2 s
    est = EpochTimeEstimate(batches_per_epoch=100, epochs=10, clock=FakeClock(0.5))
    for b in range(7):
        est.on_batch_end(b)
    assert est.estimate == pytest.approx(50.0)
    err = capsys.readouterr().err
    assert err == "about 50s per epoch of 100 batches, 8m20s for 10 epochs\n"
    est.on_batch_end(7)
    assert capsys.readouterr().err == ""  # printed once


def test_time_estimate_of_a_resumed_run_counts_the_epochs_left(capsys):
    est = EpochTimeEstimate(batches_per_epoch=100, epochs=10, clock=FakeClock(0.5))
    est.on_train_begin()
    est.on_epoch_begin(6)  # resumed after 6 epochs
    for b in range(7):
        est.on_batch_end(b)
    assert capsys.readouterr().err == "about 50s per epoch of 100 batches, 3m20s for 4 epochs\n"


def test_time_estimate_is_silent_for_quick_runs(capsys):
    est = EpochTimeEstimate(batches_per_epoch=4, epochs=3, clock=FakeClock(0.01))
    for b in range(4):
        est.on_batch_end(b)
    assert est.estimate == pytest.approx(0.04)  # made at the end of the first epoch
    assert capsys.readouterr().err == ""  # 0.12 s in all: nothing worth saying


def test_open_bars_are_closed_before_an_error_line(capsys):
    bar = progress.Progress(10, "epoch 1/2", verbose=1)
    bar.update(3, {"loss": 0.5})
    progress.close_open_bars()
    assert bar.bar is None and not list(progress._open_bars)
    assert capsys.readouterr().err.endswith("\n")  # the next line starts on its own


def test_an_interrupted_bar_never_shares_its_line_with_the_next_message(capsys):
    from nnscratch.progress import tracked_stderr

    # a Ctrl-C inside tqdm's constructor leaves a drawn bar that nothing tracks
    with pytest.raises(KeyboardInterrupt), tracked_stderr():
        sys.stderr.write("\repoch 2/9:   0%|          | 0/15 [00:00<?]")
        raise KeyboardInterrupt
    print("nnscratch train: interrupted", file=sys.stderr)
    assert capsys.readouterr().err.endswith("0/15 [00:00<?]\nnnscratch train: interrupted\n")
    with pytest.raises(KeyboardInterrupt), tracked_stderr():
        sys.stderr.write("a finished line\n")  # nothing to end: no blank line added
        raise KeyboardInterrupt
    assert capsys.readouterr().err == "a finished line\n"
