"""Datasets and input pipelines: MNIST and Fashion-MNIST (IDX), the cat photos (HDF5),
toy sets, preprocessing and mini-batches.

Loaders follow the Keras convention, ``(x_train, y_train), (x_test, y_test)``, and fail
with a ValueError (an OSError for missing files) that names the file, what was expected
and what was found. Only NumPy is imported up front; gzip, hashlib, urllib and h5py are
imported when a loader needs them.
"""

from .cats import load_cats
from .download import DownloadError, data_home, download_file, sha256sum
from .idx import load_idx, parse_idx
from .mnist import FASHION_MNIST_CLASSES, load_fashion_mnist, load_mnist, load_mnist_split
from .preprocessing import (
    Batches,
    Standardizer,
    batches,
    flatten,
    normalize,
    one_hot,
    standardize,
    train_test_split,
)
from .toy import load_digits, make_spirals, make_xor

__all__ = [
    "FASHION_MNIST_CLASSES",
    "Batches",
    "DownloadError",
    "Standardizer",
    "batches",
    "data_home",
    "download_file",
    "flatten",
    "load_cats",
    "load_digits",
    "load_fashion_mnist",
    "load_idx",
    "load_mnist",
    "load_mnist_split",
    "make_spirals",
    "make_xor",
    "normalize",
    "one_hot",
    "parse_idx",
    "sha256sum",
    "standardize",
    "train_test_split",
]
