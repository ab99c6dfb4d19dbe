"""Verified, atomic downloads and the per-user data folder.

A file is streamed into a temporary file beside its destination, its SHA-256 checked,
and only then renamed into place with :func:`os.replace`; an interrupted or failed
download leaves neither a partial file nor the temporary one behind.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import IO

#: Environment variable naming the folder datasets are cached in.
DATA_ENV = "NNSCRATCH_DATA"

_CHUNK = 1 << 16


class DownloadError(OSError):
    """A file could not be fetched from any of its URLs (or failed its checksum)."""


def data_home(name: str | None = None) -> Path:
    """The per-user dataset folder, ``$NNSCRATCH_DATA`` or ``~/.cache/nnscratch``.

    ``$XDG_CACHE_HOME/nnscratch`` replaces ``~/.cache/nnscratch`` when that variable is
    set. With ``name``, the dataset's subfolder (e.g. ``data_home("mnist")``). Nothing
    is created.
    """
    env = os.environ.get(DATA_ENV)
    if env:
        home = Path(env).expanduser()
    else:
        xdg = os.environ.get("XDG_CACHE_HOME")
        home = (Path(xdg) if xdg else Path.home() / ".cache") / "nnscratch"
    return home / name if name else home


def sha256sum(path: str | os.PathLike[str]) -> str:
    """Hex SHA-256 of a file, read in chunks."""
    import hashlib

    digest = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def _urlopen(url: str, timeout: float) -> IO[bytes]:
    """Open ``url`` for reading (the one place the network is touched; tests replace it)."""
    import urllib.request

    request = urllib.request.Request(url, headers={"User-Agent": "nnscratch"})
    response: IO[bytes] = urllib.request.urlopen(request, timeout=timeout)
    return response


def download_file(
    urls: str | Sequence[str],
    dest: str | os.PathLike[str],
    sha256: str | None = None,
    *,
    timeout: float = 60.0,
) -> Path:
    """Download the first URL that works into ``dest``, verified and atomically.

    Parameters
    ----------
    urls : str or sequence of str
        Mirrors, tried in order until one delivers a file with the right hash.
    dest : path-like
        Final location; its folder is created if needed.
    sha256 : str, optional
        Expected hex SHA-256. A mirror serving other bytes counts as failed.
    timeout : float
        Seconds to wait on the network before giving up on a mirror.

    Returns
    -------
    Path
        ``dest``, which now holds the complete, verified file.

    Raises
    ------
    DownloadError
        (an OSError) when every mirror failed; the message lists each URL's error.
    """
    import hashlib

    from .._atomic import open_temporary, remove_stale_temporaries

    dest = Path(dest)
    url_list = [urls] if isinstance(urls, str) else list(urls)
    if not url_list:
        raise ValueError("urls must name at least one URL")
    dest.parent.mkdir(parents=True, exist_ok=True)
    remove_stale_temporaries(dest, ".part")
    failures: list[str] = []
    for url in url_list:
        fd, tmp_name = open_temporary(dest, ".part")
        try:
            digest = hashlib.sha256()
            with os.fdopen(fd, "wb") as out:
                with _urlopen(url, timeout) as response:
                    while chunk := response.read(_CHUNK):
                        digest.update(chunk)
                        out.write(chunk)
            got = digest.hexdigest()
            if sha256 is not None and got != sha256.lower():
                failures.append(f"{url}: sha256 {got}, expected {sha256}")
                os.unlink(tmp_name)
                continue
            os.replace(tmp_name, dest)
            return dest
        except Exception as err:  # any failure of this mirror: clean up, try the next
            _unlink_quietly(tmp_name)
            failures.append(f"{url}: {type(err).__name__}: {err}")
        except BaseException:  # KeyboardInterrupt and friends: clean up, then stop
            _unlink_quietly(tmp_name)
            raise
    raise DownloadError(f"could not download {dest.name}: " + "; ".join(failures))


def _unlink_quietly(path: str) -> None:
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass
