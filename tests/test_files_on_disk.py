"""Files on disk: written with the user's umask, and no temporary left behind for good.

A save goes through ``.NAME.HOST.PID.RANDOM.tmp`` and a rename (``nnscratch._atomic``);
the next save of the same path removes temporaries whose writer has died, never a live
writer's.
"""

from __future__ import annotations

import os
import socket
import stat
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np
import pytest

import nnscratch as nn
from nnscratch import _atomic
from nnscratch.data import download as download_mod
from nnscratch.data import download_file

pytestmark = pytest.mark.skipif(os.name != "posix", reason="POSIX file modes and processes")


def model() -> nn.Sequential:
    return nn.Sequential(nn.Dense(3, 4, rng=0), nn.ReLU(), nn.Dense(4, 2, rng=1)).use(
        nn.SoftmaxCrossEntropy(), nn.SGD(0.1))


def mode_of(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def umask():
    """Set the process umask for one test and put the old one back."""
    old = os.umask(0o022)
    os.umask(old)
    yield os.umask
    os.umask(old)


@pytest.mark.parametrize(("mask", "expected"), [(0o022, 0o644), (0o077, 0o600), (0o002, 0o664)])
def test_saved_files_get_the_users_umask(tmp_path, umask, monkeypatch, mask, expected):
    umask(mask)
    m = model()
    x, y = np.ones((6, 3), np.float32), np.array([0, 1, 0, 1, 0, 1])
    m.fit(x, y, epochs=1, verbose=0, seed=0, callbacks=[
        nn.ModelCheckpoint(tmp_path / "ckpt.npz", save_training_state=True)])
    m.save(tmp_path / "model.npz")
    monkeypatch.setattr(download_mod, "_urlopen", lambda url, timeout: _Bytes(b"data"))
    download_file("https://example.invalid/f.bin", tmp_path / "f.bin")
    for name in ("model.npz", "ckpt.npz", "f.bin"):
        assert mode_of(tmp_path / name) == expected, name
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ckpt.npz", "f.bin", "model.npz"]


class _Bytes:
    def __init__(self, data: bytes) -> None:
        self.data = data

    def read(self, n: int = -1) -> bytes:
        data, self.data = self.data, b""
        return data

    def __enter__(self) -> _Bytes:
        return self

    def __exit__(self, *exc: object) -> None:
        pass


def dead_pid() -> int:
    """The id of a process that has already exited."""
    proc = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True)
    return int(proc.stdout)


# A second process saving the same path, paused while its temporary is half written.
SLOW_SAVER = textwrap.dedent("""
    import sys, time
    from pathlib import Path
    import numpy as np
    import nnscratch as nn

    real_savez = np.savez
    def slow_savez(f, **arrays):
        f.write(b"half")
        f.flush()
        print("writing", flush=True)
        go = Path(sys.argv[2])
        for _ in range(3000):        # at most 30 s
            if go.exists():
                break
            time.sleep(0.01)
        f.seek(0)
        f.truncate()
        real_savez(f, **arrays)
    np.savez = slow_savez
    nn.Sequential(nn.Dense(3, 5, rng=0)).save(sys.argv[1])
""")


def test_stale_temporaries_go_and_a_live_concurrent_save_survives(tmp_path):
    target = tmp_path / "m.npz"
    host = socket.gethostname()
    stale = tmp_path / f".m.npz.{host}.{dead_pid()}.0badf00d.tmp"
    stale.write_bytes(b"\0" * 100_000)                # what a killed save leaves
    elsewhere = tmp_path / f".m.npz.other-host.{dead_pid()}.0badf00d.tmp"
    elsewhere.write_bytes(b"\0")                      # another host's: not ours to judge
    other_file = tmp_path / f".n.npz.{host}.{dead_pid()}.0badf00d.tmp"
    other_file.write_bytes(b"\0")                     # a temporary of another path

    go = tmp_path / "go"
    proc = subprocess.Popen([sys.executable, "-c", SLOW_SAVER, str(target), str(go)],
                            stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None and proc.stdout.readline().strip() == "writing"
        live = [p for p in tmp_path.iterdir() if f".{proc.pid}." in p.name]
        assert len(live) == 1 and live[0].read_bytes() == b"half"

        model().save(target)                          # our save, during theirs
        names = {p.name for p in tmp_path.iterdir()}
        assert stale.name not in names
        assert {live[0].name, elsewhere.name, other_file.name, "m.npz"} <= names
        assert nn.load(target).layers[0].W.shape == (3, 4)
    finally:
        go.touch()
        assert proc.wait(timeout=60) == 0
    assert nn.load(target).layers[0].W.shape == (3, 5)  # their rename came last
    assert live[0].name not in {p.name for p in tmp_path.iterdir()}


def test_a_killed_save_leaves_a_temporary_that_the_next_save_removes(tmp_path):
    target = tmp_path / "m.npz"
    killed = subprocess.Popen([sys.executable, "-c", SLOW_SAVER, str(target),
                               str(tmp_path / "never")], stdout=subprocess.PIPE, text=True)
    assert killed.stdout is not None and killed.stdout.readline().strip() == "writing"
    killed.kill()
    killed.wait(timeout=30)
    left = [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]
    assert len(left) == 1 and f".{killed.pid}." in left[0].name
    deadline = time.monotonic() + 10
    while _atomic.process_exists(killed.pid) and time.monotonic() < deadline:
        time.sleep(0.01)                              # reaped: its pid is free
    model().save(target)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m.npz"]


def test_process_exists():
    assert _atomic.process_exists(os.getpid())
    assert not _atomic.process_exists(dead_pid())
    assert _atomic.process_exists(1)                  # init: always there, maybe not ours
