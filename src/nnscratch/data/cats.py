"""The cat-vs-non-cat photos: 209 training and 50 test RGB images of 64×64, in HDF5.

Each file holds ``<split>_set_x`` (N, 64, 64, 3) uint8, ``<split>_set_y`` (N,) with 1
for a cat, and ``list_classes`` (``[b"non-cat", b"cat"]``). Reading them needs h5py,
the optional extra ``pip install nnscratch[hdf5]``.

Every dataset's shape and dtype are checked before it is read, and so is its size: against
the bytes the file really stores for it (an HDF5 dataset can declare a million images and
store none) and against ``max_bytes`` (default 1 GiB).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np

from .._npzread import DEFAULT_MAX_BYTES, DEFLATE_MAX_RATIO, check_cap, check_max_bytes
from .download import data_home

CATS_FILES = {"train": "train_catvnoncat.h5", "test": "test_catvnoncat.h5"}
IMAGE_SHAPE = (64, 64, 3)
_HDF5_SIGNATURE = b"\x89HDF\r\n\x1a\n"


def _h5py() -> Any:
    try:
        import h5py
    except ImportError as err:
        raise ImportError(
            "load_cats reads HDF5 files and needs h5py: pip install nnscratch[hdf5]"
        ) from err
    return h5py


def load_cats(
    root: str | os.PathLike[str] | None = None,
    *,
    max_bytes: int | None = DEFAULT_MAX_BYTES,
) -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray], list[str]]:
    """Load the cat-vs-non-cat set as ``(x_train, y_train), (x_test, y_test), classes``.

    Parameters
    ----------
    root : path-like, optional
        Folder with ``train_catvnoncat.h5`` and ``test_catvnoncat.h5``; by default the
        per-user folder ``~/.cache/nnscratch/catvnoncat`` (``$NNSCRATCH_DATA/catvnoncat``).
    max_bytes : int or None, default 1 GiB
        The most bytes of data to read from each file; one declaring more is refused
        before any data is read. None removes the cap (declared sizes are still checked
        against what the file stores).

    Returns
    -------
    (x_train, y_train), (x_test, y_test) : ndarrays
        Images uint8 of shape (N, 64, 64, 3) (209 and 50 of them); labels int64 (N,),
        1 for a cat.
    classes : list of str
        Class names by label, ``["non-cat", "cat"]``.

    Raises
    ------
    ImportError
        h5py is not installed.
    FileNotFoundError, OSError
        A file is missing or unreadable (the message names it).
    ValueError
        A file is not HDF5, lacks a key, holds data of the wrong shape, type or count,
        declares more than it stores or more than ``max_bytes``; the message names the
        file, the key and what was expected.

    Examples
    --------
    >>> (x_train, y_train), (x_test, y_test), classes = load_cats("cats")  # doctest: +SKIP
    >>> x_train.shape, classes                                             # doctest: +SKIP
    ((209, 64, 64, 3), ['non-cat', 'cat'])
    """
    folder = Path(root) if root is not None else data_home("catvnoncat")
    missing = [name for name in CATS_FILES.values() if not (folder / name).is_file()]
    if missing:
        raise FileNotFoundError(
            f"cat-vs-non-cat: {' and '.join(missing)} not found in {folder}; put "
            f"{' and '.join(CATS_FILES.values())} there"
            + (" or pass their folder as root=" if root is None else ""))
    max_bytes = check_max_bytes(max_bytes)
    train_x, train_y, classes = _load_file(folder / CATS_FILES["train"], "train", max_bytes)
    test_x, test_y, test_classes = _load_file(folder / CATS_FILES["test"], "test", max_bytes)
    if test_classes != classes:
        raise ValueError(
            f"{CATS_FILES['test']}: list_classes {test_classes} differs from "
            f"{classes} in {CATS_FILES['train']}"
        )
    for path, y in ((CATS_FILES["train"], train_y), (CATS_FILES["test"], test_y)):
        if y.size and (y.min() < 0 or y.max() >= len(classes)):
            raise ValueError(
                f"{path}: expected labels in 0..{len(classes) - 1} (one per entry of "
                f"list_classes), found values {y.min()}..{y.max()}"
            )
    return (train_x, train_y), (test_x, test_y), classes


def _load_file(path: Path, split: str, max_bytes: int | None = DEFAULT_MAX_BYTES
               ) -> tuple[np.ndarray, np.ndarray, list[str]]:
    h5py = _h5py()
    name = path.name
    with open(path, "rb") as f:  # missing or unreadable: the OSError names the path
        head = f.read(8)
    if not h5py.is_hdf5(path):
        raise ValueError(
            f"{name}: not an HDF5 file: expected the signature {_HDF5_SIGNATURE!r}, "
            f"found {head!r}"
        )
    try:
        h5 = h5py.File(path, "r")
    except OSError as err:  # the signature was there, so the file is damaged
        raise ValueError(f"{name}: corrupt HDF5 file ({err})") from err
    with h5:
        try:
            sets = [_dataset(h5, name, key)
                    for key in (f"{split}_set_x", f"{split}_set_y", "list_classes")]
            _check_declared(name, split, *sets)
            check_cap(name, "its data", sum(_nbytes(d) for d in sets), max_bytes)
            x, y, raw_classes = (np.asarray(d[()]) for d in sets)
        except (OSError, RuntimeError, KeyError) as err:  # h5py's errors for damaged data
            raise ValueError(f"{name}: corrupt HDF5 file ({err})") from err

    if x.dtype != np.uint8:
        if x.size and (x.min() < 0 or x.max() > 255):
            raise ValueError(
                f"{name}: key {split}_set_x: expected uint8 pixels in 0..255, got {x.dtype}"
            )
        x = x.astype(np.uint8)
    y = y.reshape(-1)  # (N,), or the (1, N) row vector some copies keep
    classes = [
        c.decode("utf-8", "replace") if isinstance(c, bytes) else str(c)
        for c in raw_classes.tolist()
    ]
    return x, y.astype(np.int64), classes


def _dataset(h5: Any, name: str, key: str) -> Any:
    """The h5py dataset ``key`` (not read yet)."""
    if key not in h5:
        raise ValueError(f"{name}: missing key {key!r}, found keys {sorted(h5.keys())}")
    item = h5[key]
    if not hasattr(item, "shape"):
        raise ValueError(f"{name}: key {key!r}: expected a dataset, found a group")
    return item


#: The most class names a file may list.
_MAX_CLASSES = 1000


def _check_declared(name: str, split: str, x: Any, y: Any, classes: Any) -> None:
    """Shapes, dtypes and stored sizes of the three datasets, before any is read."""
    if len(x.shape) != 4 or tuple(x.shape[1:]) != IMAGE_SHAPE:
        raise ValueError(
            f"{name}: key {split}_set_x: expected images of shape (N, 64, 64, 3), got {x.shape}"
        )
    if x.dtype.kind not in "ui":
        raise ValueError(
            f"{name}: key {split}_set_x: expected uint8 pixels in 0..255, got {x.dtype}"
        )
    # the course's files store y as (N,); some copies keep its (1, N) row vector
    n = x.shape[0]
    if not (tuple(y.shape) == (n,) or (len(y.shape) == 2 and 1 in y.shape and y.size == n)):
        raise ValueError(
            f"{name}: key {split}_set_y: expected {n} labels of shape ({n},), one "
            f"per image in {split}_set_x, got shape {y.shape}"
        )
    if y.dtype.kind not in "uib":
        raise ValueError(f"{name}: key {split}_set_y: expected integer labels, got {y.dtype}")
    if len(classes.shape) != 1 or classes.shape[0] > _MAX_CLASSES:
        raise ValueError(
            f"{name}: key list_classes: expected a 1-D list of at most {_MAX_CLASSES} names, "
            f"got shape {classes.shape}"
        )
    for key, d in ((f"{split}_set_x", x), (f"{split}_set_y", y)):
        stored = d.id.get_storage_size()
        ratio = 1 if d.compression is None else DEFLATE_MAX_RATIO
        if _nbytes(d) > stored * ratio:
            raise ValueError(
                f"{name}: key {key}: declares shape {d.shape} of {d.dtype} ({_nbytes(d)} "
                f"bytes) but the file stores {stored} bytes for it"
            )


def _nbytes(d: Any) -> int:
    """Bytes a dataset declares, in Python ints."""
    n = int(d.dtype.itemsize)
    for s in d.shape:
        n *= int(s)
    return n
