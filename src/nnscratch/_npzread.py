"""Bounded, strict reading of ``.npy`` and ``.npz`` files.

``np.load`` trusts a file: each array is allocated at the size its own header declares
before a byte of data is read, and a deflated ``.npz`` member is inflated whole, so a file
of a few kilobytes can ask for terabytes. Here every size is checked before anything of
that size is allocated:

* a member's ``.npy`` header is read alone first (it is small and bounded by NumPy);
  arrays of Python objects (pickled data) are refused there;
* the bytes the header declares must be exactly the bytes the file holds for it: the
  rest of a ``.npy`` file, or the member's uncompressed size in the zip directory, which
  itself must fit the member's compressed size (a deflate stream inflates at most
  1032:1; a stored member holds as many bytes as it stores);
* the total is capped by ``max_bytes`` (default :data:`DEFAULT_MAX_BYTES`, 1 GiB),
  which a caller raises for bigger files;
* data is read in chunks of 1 MiB into the checked array, so memory follows the bytes
  actually present even when the zip directory lies.

Every refusal is a ``ValueError`` naming the file, the member and the rule broken.
"""

from __future__ import annotations

import os
import zipfile
import zlib
from typing import IO, Any

import numpy as np

from ._params import Int, OrNone

#: The most bytes of array data a loader reads from one file unless given ``max_bytes``.
DEFAULT_MAX_BYTES = 1 << 30

_CHUNK = 1 << 20
#: Bytes out per byte in of a deflate stream at best: a 258-byte copy in two bits.
DEFLATE_MAX_RATIO = 1032


def check_max_bytes(max_bytes: Any) -> int | None:
    """``max_bytes`` as an int, or None for no cap; a ValueError for anything else."""
    return OrNone(Int(0, type_error=ValueError))("", "max_bytes", max_bytes)


def check_cap(name: str, what: str, nbytes: int, max_bytes: int | None) -> None:
    """Refuse ``nbytes`` of ``what`` in file ``name`` when it exceeds ``max_bytes``."""
    if max_bytes is not None and nbytes > max_bytes:
        raise ValueError(
            f"{name}: {what} is {nbytes} bytes, more than the limit max_bytes={max_bytes} "
            f"({max_bytes / 2**20:.0f} MiB); pass a larger max_bytes to read it"
        )


def read_npy_header(stream: IO[bytes], name: str) -> tuple[tuple[int, ...], bool, np.dtype]:
    """Shape, Fortran order and dtype from the ``.npy`` header at the start of ``stream``.

    Raises
    ------
    ValueError
        Not a ``.npy`` header, a version NumPy's readers do not take, a zero-size or
        object dtype (pickled data).
    """
    fmt = np.lib.format
    try:
        version = fmt.read_magic(stream)
        if version == (1, 0):
            shape, fortran, dtype = fmt.read_array_header_1_0(stream)
        elif version == (2, 0):
            shape, fortran, dtype = fmt.read_array_header_2_0(stream)
        else:
            raise ValueError(f"format version {version}, expected (1, 0) or (2, 0)")
    except (ValueError, EOFError, TypeError, SyntaxError) as err:
        raise ValueError(f"{name}: not a valid .npy header ({err})") from None
    if dtype.hasobject:
        raise ValueError(f"{name}: dtype {dtype} holds Python objects (pickled data), "
                         "which nnscratch never loads; expected numbers or text")
    if dtype.itemsize == 0:
        raise ValueError(f"{name}: dtype {dtype} has zero-size elements")
    return tuple(int(s) for s in shape), bool(fortran), dtype


def nbytes_of(shape: tuple[int, ...], dtype: np.dtype) -> int:
    """Bytes of an array of ``shape`` and ``dtype``, in Python ints (no overflow)."""
    n = dtype.itemsize
    for s in shape:
        n *= s
    return n


def read_data(stream: IO[bytes], shape: tuple[int, ...], fortran: bool, dtype: np.dtype,
              name: str) -> np.ndarray:
    """Read an array whose size was already checked, 1 MiB at a time, into a new array.

    The buffer is reserved at the checked size but the operating system backs only the
    pages written, so a stream that ends early costs what it held.
    """
    nbytes = nbytes_of(shape, dtype)
    buf = np.empty(nbytes, dtype=np.uint8)
    view = buf.data  # a memoryview of the buffer's bytes
    got = 0
    while got < nbytes:
        n = stream.readinto(view[got:got + _CHUNK])  # type: ignore[attr-defined]
        if not n:
            raise ValueError(f"{name}: truncated: the header declares {nbytes} bytes of "
                             f"data, the file holds {got}")
        got += n
    arr = buf.view(dtype)
    return arr.reshape(shape[::-1]).T if fortran else arr.reshape(shape)


def read_npy(path: str | os.PathLike[str], max_bytes: int | None = DEFAULT_MAX_BYTES
             ) -> np.ndarray:
    """Read one array from a ``.npy`` file, bounded and strict (see the module doc).

    Raises
    ------
    FileNotFoundError, OSError
        The file is missing or unreadable.
    ValueError
        Not a ``.npy`` file, an object dtype, a header whose size disagrees with the
        file's, or more than ``max_bytes`` of data.
    """
    max_bytes = check_max_bytes(max_bytes)
    name = os.fspath(path)
    with open(path, "rb") as f:
        size = os.fstat(f.fileno()).st_size
        shape, fortran, dtype = read_npy_header(f, name)
        nbytes, held = nbytes_of(shape, dtype), size - f.tell()
        if nbytes != held:
            raise ValueError(f"{name}: the header declares shape {shape} of {dtype} "
                             f"({nbytes} bytes), the file holds {held} bytes of data")
        check_cap(name, f"the array of shape {shape}", nbytes, max_bytes)
        return read_data(f, shape, fortran, dtype, name)


def read_npz(path: str | os.PathLike[str], max_bytes: int | None = DEFAULT_MAX_BYTES
             ) -> dict[str, np.ndarray]:
    """Every array of a ``.npz`` file by name, bounded and strict (see the module doc).

    Raises
    ------
    FileNotFoundError, OSError
        The file is missing or unreadable.
    ValueError
        Not a zip archive, a member that is not a ``.npy`` array, an object dtype,
        sizes that disagree, a corrupt member, or more than ``max_bytes`` in all.
    """
    max_bytes = check_max_bytes(max_bytes)
    name = os.fspath(path)
    size = os.path.getsize(path)
    try:
        zf = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, EOFError) as err:
        raise ValueError(f"{name}: not a valid .npz file (not a zip archive: {err})") from None
    with zf:
        infos = zf.infolist()
        _check_directory(infos, name, size)
        total = sum(info.file_size for info in infos)
        check_cap(name, f"the arrays' total ({len(infos)} entries)", total, max_bytes)
        return {info.filename[:-4]: _read_member(zf, info, name) for info in infos}


def _check_directory(infos: list[zipfile.ZipInfo], name: str, size: int) -> None:
    """Member names, methods and sizes that a real ``np.savez`` file could have."""
    seen: set[str] = set()
    for info in infos:
        where = f"{name}: member {info.filename!r}"
        if not info.filename.endswith(".npy") or info.is_dir():
            raise ValueError(f"{where}: expected only .npy arrays in a .npz file")
        if info.filename in seen:
            raise ValueError(f"{where} appears twice in the archive")
        seen.add(info.filename)
        if info.flag_bits & 0x1:
            raise ValueError(f"{where} is encrypted")
        if info.compress_size > size:
            raise ValueError(f"{where}: the directory says {info.compress_size} compressed "
                             f"bytes, the whole file is {size}")
        if info.compress_type == zipfile.ZIP_STORED:
            ratio = 1
        elif info.compress_type == zipfile.ZIP_DEFLATED:
            ratio = DEFLATE_MAX_RATIO
        else:
            raise ValueError(f"{where}: compression method {info.compress_type}, expected "
                             f"stored ({zipfile.ZIP_STORED}) or deflated "
                             f"({zipfile.ZIP_DEFLATED})")
        if info.file_size > max(info.compress_size, 1) * ratio:
            raise ValueError(f"{where}: the directory says {info.file_size} bytes from "
                             f"{info.compress_size} compressed, more than this compression "
                             f"method can give (at most {ratio}:1)")


def _read_member(zf: zipfile.ZipFile, info: zipfile.ZipInfo, name: str) -> np.ndarray:
    where = f"{name}: member {info.filename!r}"
    try:
        with zf.open(info) as stream:
            shape, fortran, dtype = read_npy_header(stream, where)
            declared = stream.tell() + nbytes_of(shape, dtype)
            if declared != info.file_size:
                raise ValueError(f"{where}: its header declares shape {shape} of {dtype} "
                                 f"({declared} bytes with the header), the zip directory "
                                 f"says {info.file_size} bytes")
            return read_data(stream, shape, fortran, dtype, where)
    except (zipfile.BadZipFile, EOFError, zlib.error, OSError, NotImplementedError) as err:
        raise ValueError(f"{where}: corrupt ({err})") from None
