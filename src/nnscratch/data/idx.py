"""The IDX file format of MNIST and Fashion-MNIST, raw or gzip-compressed.

An IDX file is a header followed by the array's bytes in C order, big-endian::

    magic   4 bytes  0x00 0x00 <dtype code> <ndim>
    sizes   4 bytes per dimension, big-endian unsigned
    data    prod(sizes) * itemsize bytes

The parser trusts nothing in the header: every size is checked against the bytes
actually present before any array is allocated, so a corrupt or hostile file fails with
a ValueError naming the file instead of a crash, a hang or a huge allocation. A raw file
must hold exactly the bytes its header declares; a gzip file must be able to (a deflate
stream inflates at most 1032:1) and is inflated 1 MiB at a time, never past what the
header declares. Files declaring more than ``max_bytes`` (default 1 GiB) are refused
before any data is read.
"""

from __future__ import annotations

import os
from typing import IO, NamedTuple, Protocol

import numpy as np

from .._npzread import DEFAULT_MAX_BYTES, DEFLATE_MAX_RATIO, check_cap, check_max_bytes

#: IDX dtype codes and the big-endian NumPy dtype each one stores.
IDX_DTYPES: dict[int, np.dtype] = {
    0x08: np.dtype(">u1"),
    0x09: np.dtype(">i1"),
    0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"),
    0x0D: np.dtype(">f4"),
    0x0E: np.dtype(">f8"),
}

_GZIP_MAGIC = b"\x1f\x8b"


class _Reader(Protocol):
    def read(self, size: int = ..., /) -> bytes: ...
_CHUNK = 1 << 20


def _code_list() -> str:
    return ", ".join(
        f"0x{code:02X} ({dt.newbyteorder('=').name})" for code, dt in IDX_DTYPES.items()
    )


def _dtype_code(dtype: np.typing.DTypeLike) -> int:
    want = np.dtype(dtype).newbyteorder("=")
    for code, dt in IDX_DTYPES.items():
        if dt.newbyteorder("=") == want:
            return code
    raise ValueError(f"dtype {want} has no IDX code; IDX stores {_code_list()}")


def load_idx(
    path: str | os.PathLike[str],
    *,
    ndim: int | None = None,
    dtype: np.typing.DTypeLike | None = None,
    max_bytes: int | None = DEFAULT_MAX_BYTES,
) -> np.ndarray:
    """Read an IDX file (raw or gzip, detected by its first bytes) into an array.

    Parameters
    ----------
    path : str or path-like
        The file. Gzip compression is recognised by the gzip magic bytes, not the name.
    ndim : int, optional
        Number of dimensions the caller expects (3 for MNIST images, 1 for labels).
    dtype : dtype, optional
        Element type the caller expects (``np.uint8`` for MNIST).
    max_bytes : int or None, default 1 GiB
        The most bytes of data to read; a header declaring more is refused before any
        data is read. Raise it for bigger files; None removes the cap (sizes are still
        checked against the bytes really there).

    Returns
    -------
    ndarray
        Shape and dtype as the header says, in native byte order, writable.

    Raises
    ------
    FileNotFoundError, OSError
        The file is missing or unreadable.
    ValueError
        Anything wrong with the contents: a corrupt gzip stream, a bad magic number,
        an unknown dtype code, a header that disagrees with the data length, a header
        declaring more than ``max_bytes``, or a header that is not the expected
        ``ndim`` / ``dtype``. The message names the file, what was expected and what was
        found.

    Examples
    --------
    >>> x = load_idx("t10k-images-idx3-ubyte.gz", ndim=3, dtype=np.uint8)  # doctest: +SKIP
    >>> x.shape, x.dtype                                                   # doctest: +SKIP
    ((10000, 28, 28), dtype('uint8'))
    """
    name = os.path.basename(os.fspath(path))
    with open(path, "rb") as raw:
        return _parse(raw, name, ndim, dtype, os.fstat(raw.fileno()).st_size, max_bytes)


def parse_idx(
    data: bytes,
    name: str = "<bytes>",
    *,
    ndim: int | None = None,
    dtype: np.typing.DTypeLike | None = None,
    max_bytes: int | None = DEFAULT_MAX_BYTES,
) -> np.ndarray:
    """Parse the bytes of an IDX file (raw or gzip) like :func:`load_idx`.

    ``name`` stands for the file in error messages.
    """
    import io

    return _parse(io.BytesIO(data), name, ndim, dtype, len(data), max_bytes)


def _parse(
    raw: IO[bytes],
    name: str,
    ndim: int | None,
    dtype: np.typing.DTypeLike | None,
    size: int,
    max_bytes: int | None,
) -> np.ndarray:
    max_bytes = check_max_bytes(max_bytes)
    if ndim is not None and (
        isinstance(ndim, bool) or not isinstance(ndim, (int, np.integer)) or not 1 <= ndim <= 255
    ):
        raise ValueError(f"ndim must be an integer in [1, 255], got {ndim!r}")
    want_code = None if dtype is None else _dtype_code(dtype)
    if raw.read(2) != _GZIP_MAGIC:
        raw.seek(0)
        return _read_idx(raw, name, ndim, want_code, _Sizes(size, False, max_bytes))

    import gzip
    import zlib

    raw.seek(0)
    try:
        with gzip.GzipFile(fileobj=raw, mode="rb") as stream:
            return _read_idx(stream, name, ndim, want_code, _Sizes(size, True, max_bytes))
    except (gzip.BadGzipFile, EOFError, zlib.error) as err:
        # BadGzipFile is an OSError, but the file was read fine: its contents are bad
        raise ValueError(
            f"{name}: corrupt gzip stream ({err or type(err).__name__})"
        ) from err


def _read_exactly(stream: _Reader, n: int) -> bytearray:
    """Read up to ``n`` bytes in chunks, so memory follows the bytes actually there."""
    buf = bytearray()
    while len(buf) < n:
        chunk = stream.read(min(_CHUNK, n - len(buf)))
        if not chunk:
            break
        buf += chunk
    return buf


def _count_rest(stream: _Reader, limit: int) -> int:
    """Bytes left in ``stream``, counted (not kept) up to about ``limit``."""
    n = 0
    while n <= limit and (chunk := stream.read(_CHUNK)):
        n += len(chunk)
    return n


class _Sizes(NamedTuple):
    """What bounds the data: the file's size, whether it is gzip, the cap."""

    file: int
    gzip: bool
    max_bytes: int | None


def _check_declared(name: str, shape: tuple[int, ...], total: int, sizes: _Sizes) -> None:
    """Refuse a header, before any data is read, that declares more than the file can
    hold (a gzip file inflates at most 1032:1) or more than ``max_bytes``."""
    if not sizes.gzip and sizes.file != total:
        return  # the caller reports the mismatch with the sizes found
    if sizes.gzip and total > sizes.file * DEFLATE_MAX_RATIO:
        raise ValueError(
            f"{name}: expected {total} bytes of data for shape {shape}, more than a gzip "
            f"file of {sizes.file} bytes can hold (deflate inflates at most "
            f"{DEFLATE_MAX_RATIO}:1)"
        )
    check_cap(name, f"the array of shape {shape}", total, sizes.max_bytes)


def _read_idx(
    stream: _Reader,
    name: str,
    ndim: int | None,
    want_code: int | None,
    sizes: _Sizes,
) -> np.ndarray:
    """Parse from ``stream``, a raw file or an inflating gzip stream (``sizes.gzip``)."""
    magic_bytes = _read_exactly(stream, 4)
    if len(magic_bytes) < 4:
        raise ValueError(
            f"{name}: too short for an IDX file: expected at least 4 bytes, "
            f"found {len(magic_bytes)}"
        )
    magic = int.from_bytes(magic_bytes, "big")
    code, nd = magic_bytes[2], magic_bytes[3]
    if magic_bytes[:2] != b"\x00\x00" or (want_code is not None and code != want_code) or (
        ndim is not None and nd != ndim
    ):
        tt = "TT" if want_code is None else f"{want_code:02X}"
        nn = "NN" if ndim is None else f"{ndim:02X}"
        notes = [n for n, free in (("TT: a dtype code", want_code is None),
                                   ("NN: the number of dimensions", ndim is None)) if free]
        expected = f"0x0000{tt}{nn}" + (f" ({', '.join(notes)})" if notes else "")
        raise ValueError(f"{name}: bad magic number 0x{magic:08X}, expected {expected}")
    if code not in IDX_DTYPES:
        raise ValueError(
            f"{name}: bad dtype code 0x{code:02X} in magic number 0x{magic:08X}, "
            f"expected one of {_code_list()}"
        )
    if nd == 0:
        raise ValueError(f"{name}: magic number 0x{magic:08X} gives 0 dimensions, expected >= 1")

    header_len = 4 + 4 * nd
    dims_bytes = _read_exactly(stream, 4 * nd)
    if len(dims_bytes) < 4 * nd:
        raise ValueError(
            f"{name}: truncated header: expected {header_len} bytes for {nd} dimensions, "
            f"found {4 + len(dims_bytes)}"
        )
    shape = tuple(int.from_bytes(dims_bytes[4 * i : 4 * i + 4], "big") for i in range(nd))
    dt = IDX_DTYPES[code]
    n_data = dt.itemsize
    for s in shape:
        n_data *= s  # Python ints: no overflow however large the header claims
    total = header_len + n_data
    _check_declared(name, shape, total, sizes)
    if not sizes.gzip:
        found = sizes.file  # raw file: compared before reading a single data byte
        data = _read_exactly(stream, n_data) if found == total else bytearray()
    else:
        # gzip: the length is only known by decompressing; read at most what the header
        # promises (+1 to detect trailing bytes), so a lying header costs no memory
        data = _read_exactly(stream, n_data + 1)
        found = header_len + len(data)
        if len(data) > n_data:
            found += _count_rest(stream, max(sizes.max_bytes or 0, n_data) - n_data)
    if found != total or len(data) != n_data:
        what = "truncated" if found < total else "trailing bytes"
        raise ValueError(
            f"{name}: expected {total} bytes of data for shape {shape}, found {found} "
            f"({what}; sizes include the {header_len}-byte header)"
        )
    arr = np.frombuffer(data, dtype=dt).reshape(shape)
    if dt.itemsize == 1:
        # one-byte types have no byte order: keep the writable buffer, no copy
        return arr.view(dt.newbyteorder("="))
    return arr.astype(dt.newbyteorder("="))
