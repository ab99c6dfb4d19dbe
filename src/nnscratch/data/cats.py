"""The cat-vs-non-cat photos: 209 training and 50 test RGB images of 64×64, in HDF5.

Each file holds ``<split>_set_x`` (N, 64, 64, 3) uint8, ``<split>_set_y`` (N,) with 1
for a cat, and ``list_classes`` (``[b"non-cat", b"cat"]``). Reading them needs h5py,
the optional extra ``pip install nnscratch[hdf5]``.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np

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
) -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray], list[str]]:
    """Load the cat-vs-non-cat set as ``(x_train, y_train), (x_test, y_test), classes``.

    Parameters
    ----------
    root : path-like, optional
        Folder with ``train_catvnoncat.h5`` and ``test_catvnoncat.h5``; by default the
        per-user folder ``~/.cache/nnscratch/catvnoncat`` (``$NNSCRATCH_DATA/catvnoncat``).

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
        A file is not HDF5, lacks a key, or holds data of the wrong shape, type or
        count; the message names the file, the key and what was expected.

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
    train_x, train_y, classes = _load_file(folder / CATS_FILES["train"], "train")
    test_x, test_y, test_classes = _load_file(folder / CATS_FILES["test"], "test")
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


def _load_file(path: Path, split: str) -> tuple[np.ndarray, np.ndarray, list[str]]:
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
            x = _dataset(h5, name, f"{split}_set_x")
            y = _dataset(h5, name, f"{split}_set_y")
            raw_classes = _dataset(h5, name, "list_classes")
        except (OSError, RuntimeError, KeyError) as err:  # h5py's errors for damaged data
            raise ValueError(f"{name}: corrupt HDF5 file ({err})") from err

    if x.ndim != 4 or x.shape[1:] != IMAGE_SHAPE:
        raise ValueError(
            f"{name}: key {split}_set_x: expected images of shape (N, 64, 64, 3), got {x.shape}"
        )
    if x.dtype != np.uint8:
        if not np.issubdtype(x.dtype, np.integer) or (x.size and (x.min() < 0 or x.max() > 255)):
            raise ValueError(
                f"{name}: key {split}_set_x: expected uint8 pixels in 0..255, got {x.dtype}"
            )
        x = x.astype(np.uint8)
    # the course's files store y as (N,); some copies keep its (1, N) row vector
    if y.ndim == 2 and 1 in y.shape:
        y = y.reshape(-1)
    if y.ndim != 1 or len(y) != len(x):
        raise ValueError(
            f"{name}: key {split}_set_y: expected {len(x)} labels of shape ({len(x)},), one "
            f"per image in {split}_set_x, got shape {y.shape}"
        )
    if not np.issubdtype(y.dtype, np.integer) and not np.issubdtype(y.dtype, np.bool_):
        raise ValueError(f"{name}: key {split}_set_y: expected integer labels, got {y.dtype}")
    if raw_classes.ndim != 1:
        raise ValueError(
            f"{name}: key list_classes: expected a 1-D list of names, got shape "
            f"{raw_classes.shape}"
        )
    classes = [
        c.decode("utf-8", "replace") if isinstance(c, bytes) else str(c)
        for c in raw_classes.tolist()
    ]
    return x, y.astype(np.int64), classes


def _dataset(h5: Any, name: str, key: str) -> np.ndarray:
    if key not in h5:
        raise ValueError(f"{name}: missing key {key!r}, found keys {sorted(h5.keys())}")
    item = h5[key]
    if not hasattr(item, "shape"):
        raise ValueError(f"{name}: key {key!r}: expected a dataset, found a group")
    return np.asarray(item[()])
