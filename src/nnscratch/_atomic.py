"""Temporary files beside a destination, for writes that land whole or not at all.

A writer creates ``.NAME.HOST.PID.RANDOM.tmp`` beside ``NAME``, writes it, and renames it
over ``NAME`` (``os.replace`` is atomic on one file system). The temporary:

* gets the mode of any new file, ``0o666`` less the umask (``0o644`` under umask 022),
  because the kernel applies the umask to ``os.open``'s mode — ``tempfile.mkstemp``
  would give ``0o600`` and the finished file would keep it;
* names its writer (host and process id), so a writer killed midway (SIGKILL, power
  loss) leaves a file that the next write of ``NAME`` recognises as stale and removes —
  only when that process no longer runs on this host, never a live writer's (two
  processes may write the same path at once; the last rename wins).
"""

from __future__ import annotations

import os
import secrets
import socket
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO


def _prefix(path: Path) -> str:
    host = socket.gethostname().replace(os.sep, "_") or "localhost"
    return f".{path.name}.{host}."


def open_temporary(path: Path, suffix: str = ".tmp") -> tuple[int, str]:
    """Create and open (write-only) a new temporary beside ``path``: (fd, its path)."""
    prefix = f"{_prefix(path)}{os.getpid()}."
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
    for _ in range(100):
        tmp = path.parent / f"{prefix}{secrets.token_hex(4)}{suffix}"
        try:
            return os.open(tmp, flags, 0o666), str(tmp)
        except FileExistsError:
            continue
    raise FileExistsError(f"{path}: could not create a temporary file beside it")


def write_atomically(path: str | os.PathLike[str], write: Callable[[BinaryIO], object]
                     ) -> Path:
    """Create ``path`` whole or not at all: ``write(f)`` fills a temporary beside it.

    The folder is created if needed, stale temporaries of dead writers are removed, the
    temporary is synced to disk and renamed over ``path``; on any failure (an exception in
    ``write``, Ctrl-C) it is deleted and ``path`` keeps its old content.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    remove_stale_temporaries(path)
    fd, tmp = open_temporary(path)
    try:
        with os.fdopen(fd, "wb") as f:
            write(f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def remove_stale_temporaries(path: Path, suffix: str = ".tmp") -> list[Path]:
    """Delete the temporaries beside ``path`` whose writer no longer runs; returns them.

    Only POSIX systems are cleaned (``os.kill(pid, 0)`` tests a process there without
    touching it); elsewhere nothing is removed.
    """
    if os.name != "posix":
        return []
    prefix = _prefix(path)
    try:
        candidates = [p for p in path.parent.iterdir()
                      if p.name.startswith(prefix) and p.name.endswith(suffix)]
    except OSError:
        return []
    removed = []
    for tmp in candidates:
        pid = tmp.name[len(prefix):].split(".", 1)[0]
        if pid.isdigit() and not process_exists(int(pid)):
            tmp.unlink(missing_ok=True)
            removed.append(tmp)
    return removed


def process_exists(pid: int) -> bool:
    """Whether process ``pid`` runs on this host (another user's counts as running)."""
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OverflowError):
        return True
    return True
