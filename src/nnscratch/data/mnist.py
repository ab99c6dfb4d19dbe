"""MNIST and Fashion-MNIST: four IDX files, found locally or downloaded and verified.

Each split is two files, images ``(N, 28, 28)`` and labels ``(N,)``, both uint8::

    train-images-idx3-ubyte[.gz]   train-labels-idx1-ubyte[.gz]   (60,000 samples)
    t10k-images-idx3-ubyte[.gz]    t10k-labels-idx1-ubyte[.gz]    (10,000 samples)

A split loads on its own, so a folder holding only the two ``t10k-*`` files gives the
test split; asking it for the training split names the file that is missing.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .download import DATA_ENV, DownloadError, data_home, download_file
from .idx import load_idx

Split = tuple[np.ndarray, np.ndarray]

SPLITS = ("train", "test")
_STEMS = {"train": "train", "test": "t10k"}


@dataclass(frozen=True)
class _Dataset:
    name: str  # for messages
    folder: str  # subfolder of data_home()
    mirrors: tuple[str, ...]
    sha256: dict[str, str]  # file name -> hex digest of the published .gz
    system_dirs: tuple[str, ...] = ()  # folders a system package may provide


# The published files' SHA-256. The t10k pair of MNIST was checked against local copies;
# the rest are the values every mirror and major loader agrees on.
MNIST = _Dataset(
    name="MNIST",
    folder="mnist",
    mirrors=(
        "https://ossci-datasets.s3.amazonaws.com/mnist/",
        "https://storage.googleapis.com/cvdf-datasets/mnist/",
        "http://yann.lecun.com/exdb/mnist/",
    ),
    sha256={
        "train-images-idx3-ubyte.gz":
            "440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609",
        "train-labels-idx1-ubyte.gz":
            "3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c",
        "t10k-images-idx3-ubyte.gz":
            "8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6",
        "t10k-labels-idx1-ubyte.gz":
            "f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6",
    },
)

FASHION_MNIST = _Dataset(
    name="Fashion-MNIST",
    folder="fashion-mnist",
    mirrors=(
        "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",
        "https://raw.githubusercontent.com/zalandoresearch/fashion-mnist/master/data/fashion/",
    ),
    sha256={
        "train-images-idx3-ubyte.gz":
            "08dc20ab1689590a0bcd66e874647b6ee8464e2d501b5a3f1f78831db19a3fdc",
        "train-labels-idx1-ubyte.gz":
            "b0197879cbda89f3dc7b894f9fd52b858e68ea4182b6947c9d8c2b67e5f18dcc",
        "t10k-images-idx3-ubyte.gz":
            "78dcbbfb5a27efaf1b6c1d616caca68560be8766c5bffcb2791df9273a534229",
        "t10k-labels-idx1-ubyte.gz":
            "42bd18137a62d5998cdeae52bf3a0676ac6b706f5cf8439b47bb5b151ae3dccf",
    },
    # Debian's dataset-fashion-mnist (recompressed, so its hashes differ; not checked)
    system_dirs=("/usr/share/datasets/fashion-mnist",),
)

_DATASETS = {"mnist": MNIST, "fashion-mnist": FASHION_MNIST, "fashion_mnist": FASHION_MNIST}


def split_files(split: str) -> tuple[str, str]:
    """Base names (without ``.gz``) of a split's image and label files."""
    if split not in SPLITS:
        raise ValueError(f"split must be 'train' or 'test', got {split!r}")
    stem = _STEMS[split]
    return f"{stem}-images-idx3-ubyte", f"{stem}-labels-idx1-ubyte"


def _find(folder: Path, base: str) -> Path | None:
    """The file ``base`` in ``folder``: gzip or raw, ``-idx`` or the ``.idx`` some copies use."""
    for stem in (base, base.replace("-idx", ".idx")):
        for candidate in (folder / f"{stem}.gz", folder / stem):
            if candidate.is_file():
                return candidate
    return None


def _dataset(dataset: str) -> _Dataset:
    try:
        return _DATASETS[dataset.lower()]
    except (KeyError, AttributeError):
        raise ValueError(f"dataset must be 'mnist' or 'fashion-mnist', got {dataset!r}") from None


def load_mnist_split(
    split: str,
    root: str | os.PathLike[str] | None = None,
    *,
    dataset: str = "mnist",
    download: bool = True,
) -> Split:
    """Load one split of MNIST or Fashion-MNIST.

    Parameters
    ----------
    split : {"train", "test"}
        ``"test"`` reads the ``t10k-*`` files.
    root : path-like, optional
        Folder holding the split's two files (gzip or not). Only this folder is used;
        nothing is downloaded into it. Without it, the search order is the per-user
        cache (:func:`data_home`), the system folder (Debian's for Fashion-MNIST), then
        a verified download into the cache when ``download`` is true.
    dataset : {"mnist", "fashion-mnist"}
    download : bool, default True
        Whether to fetch missing files (ignored when ``root`` is given).

    Returns
    -------
    x : ndarray of shape (N, 28, 28), uint8
    y : ndarray of shape (N,), uint8 in 0..9

    Raises
    ------
    FileNotFoundError
        A file of the split is missing (from ``root``, or everywhere with
        ``download=False``); the message names it and where to put it.
    DownloadError
        (an OSError) the download failed, e.g. no network; the message says where to
        put the files by hand.
    ValueError
        A file is corrupt or inconsistent (see :func:`load_idx`), the label count is not
        the image count, or a label is outside 0..9.
    """
    ds = _dataset(dataset)
    images_base, labels_base = split_files(split)
    if root is not None:
        folder = Path(root)
        paths = [_find(folder, images_base), _find(folder, labels_base)]
        missing = [b for b, p in zip((images_base, labels_base), paths, strict=True) if p is None]
        if missing:
            raise FileNotFoundError(
                f"{ds.name} {split} split: {', '.join(m + '[.gz]' for m in missing)} "
                f"not found in {folder}"
            )
        return _load_pair(paths[0], paths[1])  # type: ignore[arg-type]

    cache = data_home(ds.folder)
    for folder in (cache, *map(Path, ds.system_dirs)):
        images, labels = _find(folder, images_base), _find(folder, labels_base)
        if images is not None and labels is not None:
            return _load_pair(images, labels)

    where = f"{cache}" + (f" (or {', '.join(ds.system_dirs)})" if ds.system_dirs else "")
    hint = (
        f"Put {images_base}.gz and {labels_base}.gz into {where}, set {DATA_ENV} to a "
        f"folder whose '{ds.folder}' subfolder holds them, or pass their folder as root="
    )
    if not download:
        raise FileNotFoundError(f"{ds.name} {split} split not found and download=False. {hint}")
    try:
        for base in (images_base, labels_base):
            if _find(cache, base) is None:
                name = f"{base}.gz"
                download_file([m + name for m in ds.mirrors], cache / name, ds.sha256[name])
    except OSError as err:  # DownloadError, or a cache folder we cannot write
        raise DownloadError(f"{ds.name} {split} split: download failed ({err}). {hint}") from err
    return _load_pair(_find(cache, images_base), _find(cache, labels_base))  # type: ignore[arg-type]


def _load_pair(images_path: Path, labels_path: Path) -> Split:
    """Load and cross-check one split's images and labels."""
    x = load_idx(images_path, ndim=3, dtype=np.uint8)
    if x.shape[1:] != (28, 28):
        raise ValueError(
            f"{images_path.name}: expected images of shape (N, 28, 28), got {x.shape}"
        )
    y = load_idx(labels_path, ndim=1, dtype=np.uint8)
    if len(y) != len(x):
        raise ValueError(
            f"{labels_path.name}: expected {len(x)} labels, one per image in "
            f"{images_path.name}, found {len(y)}"
        )
    if y.size and y.max() > 9:
        bad = int(np.argmax(y > 9))
        raise ValueError(
            f"{labels_path.name}: expected labels in 0..9, found {int(y[bad])} at index {bad}"
        )
    return x, y


def load_mnist(
    root: str | os.PathLike[str] | None = None, download: bool = True
) -> tuple[Split, Split]:
    """Load MNIST as ``(x_train, y_train), (x_test, y_test)``, the Keras convention.

    Parameters
    ----------
    root : path-like, optional
        Folder with the four standard files (gzip or not). Without it: the per-user
        cache ``~/.cache/nnscratch/mnist`` (``$NNSCRATCH_DATA/mnist`` when set), then a
        SHA-256-verified download into it when ``download`` is true.
    download : bool, default True

    Returns
    -------
    (x_train, y_train), (x_test, y_test)
        Images uint8 of shape (60000, 28, 28) and (10000, 28, 28); labels uint8 (N,).

    Raises
    ------
    FileNotFoundError
        A file is missing; for a folder holding only the ``t10k-*`` files the message
        says to load the test split alone with :func:`load_mnist_split`.

    See Also
    --------
    load_mnist_split : one split alone, e.g. the test set from a folder of t10k files.

    Examples
    --------
    >>> (x_train, y_train), (x_test, y_test) = load_mnist()  # doctest: +SKIP
    >>> x_train.shape, y_test[:5]                             # doctest: +SKIP
    ((60000, 28, 28), array([7, 2, 1, 0, 4], dtype=uint8))
    """
    return _both_splits(root, "mnist", download)


def _both_splits(root: str | os.PathLike[str] | None, dataset: str, download: bool
                 ) -> tuple[Split, Split]:
    """Both splits; a folder holding only the test files is pointed to load_mnist_split."""
    try:
        train = load_mnist_split("train", root, dataset=dataset, download=download)
    except FileNotFoundError as err:
        if root is None or not all(_find(Path(root), b) for b in split_files("test")):
            raise
        raise FileNotFoundError(
            f"{err}; the folder holds only the test split (the t10k-* files): load it "
            f"alone with load_mnist_split('test', {os.fspath(root)!r}"
            + (", dataset='fashion-mnist')" if _dataset(dataset) is FASHION_MNIST else ")")
        ) from None
    return train, load_mnist_split("test", root, dataset=dataset, download=download)


def load_fashion_mnist(
    root: str | os.PathLike[str] | None = None, download: bool = True
) -> tuple[Split, Split]:
    """Load Fashion-MNIST as ``(x_train, y_train), (x_test, y_test)``.

    Same files, shapes and search order as :func:`load_mnist`, with the Debian package
    folder ``/usr/share/datasets/fashion-mnist`` tried after the per-user cache
    (``~/.cache/nnscratch/fashion-mnist``). Class names are in
    :data:`FASHION_MNIST_CLASSES`.
    """
    return _both_splits(root, "fashion-mnist", download)


#: Fashion-MNIST's label names, by label.
FASHION_MNIST_CLASSES = (
    "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
    "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot",
)
