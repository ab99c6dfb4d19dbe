"""Ready-made datasets and default models for the command line.

A recipe turns a dataset name into train/test arrays, already preprocessed the way the
default model expects, plus what is needed to preprocess new inputs the same way (stored
in the saved model's metadata so ``nnscratch predict`` can apply it).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from .layers import Dense, get_activation
from .layers.base import Layer


@dataclass
class Prepared:
    """A dataset ready for training.

    Attributes
    ----------
    x_train, y_train, x_test, y_test : ndarray
        Preprocessed inputs and integer labels (0/1 column for binary sets).
    n_classes : int
        Number of classes (2 for binary sets, which use one sigmoid output).
    preprocess : dict
        ``scale`` (multiply raw inputs by it) and ``input_shape`` (per-sample shape the
        model takes): applied again to new inputs by ``nnscratch predict``.
    defaults : dict
        Default ``epochs``, ``batch_size``, ``learning_rate``, ``hidden``, ``model``.
    note : str
        What was done that the user should know (e.g. a split of the test set).
    classes : list of str
    image_shape : tuple or None
        (C, H, W) of image datasets, for convolutional models.
    """

    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    n_classes: int
    preprocess: dict[str, Any]
    defaults: dict[str, Any] = field(default_factory=dict)
    note: str = ""
    classes: list[str] = field(default_factory=list)
    image_shape: tuple[int, int, int] | None = None


def apply_preprocess(x: np.ndarray, preprocess: dict[str, Any],
                     dtype: np.typing.DTypeLike = np.float32) -> np.ndarray:
    """Scale raw inputs and reshape them to the model's per-sample input shape.

    ``x`` is one sample (exactly the values of one input, in any shape, e.g. an 8×8 image
    for a 64-input MLP) or a batch whose samples hold the right number of values in any
    shape (e.g. (N, 28, 28) images for a 784-input MLP).
    """
    x = np.asarray(x)
    shape = tuple(preprocess.get("input_shape") or x.shape[1:])
    size = int(np.prod(shape))
    if x.size == size:
        x = x.reshape(1, *shape)  # a single sample
    if x.ndim < 2 or int(np.prod(x.shape[1:])) != size:
        raise ValueError(f"input of shape {x.shape} does not hold samples of shape {shape} "
                         f"({size} values each)")
    x = x.reshape(len(x), *shape).astype(dtype)
    x *= np.asarray(preprocess.get("scale", 1.0), dtype=x.dtype)
    return x


def _split(x: np.ndarray, y: np.ndarray, test_size: float | int, seed: int
           ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """A seeded, stratified split: x_train, y_train, x_test, y_test."""
    from .data.preprocessing import train_test_split

    xtr, xte, ytr, yte = train_test_split(x, y, test_size=test_size, rng=seed, stratify=True)
    return xtr, ytr, xte, yte


def _digits(data_dir: Path | None, seed: int, test_size: float) -> Prepared:
    from .data.toy import load_digits

    x, y = load_digits()
    xtr, ytr, xte, yte = _split(x / 16.0, y, test_size, seed)
    return Prepared(xtr, ytr, xte, yte, 10, {"scale": 1 / 16, "input_shape": [64]},
                    {"epochs": 40, "batch_size": 32, "learning_rate": 0.1, "hidden": [128]},
                    classes=[str(i) for i in range(10)])


def _xor(data_dir: Path | None, seed: int, test_size: float) -> Prepared:
    from .data.toy import make_xor

    x, y = make_xor()
    return Prepared(x, y.astype(np.int64), x, y.astype(np.int64), 2,
                    {"scale": 1.0, "input_shape": [3]},
                    {"epochs": 2000, "batch_size": None, "learning_rate": 1.0, "hidden": [4],
                     "activation": "sigmoid"},
                    note="xor: the four-row toy set is used for both training and testing",
                    classes=["0", "1"])


def _spirals(data_dir: Path | None, seed: int, test_size: float) -> Prepared:
    from .data.toy import make_spirals

    x, y = make_spirals(200, 3, rng=seed)
    xtr, ytr, xte, yte = _split(x, y, test_size, seed)
    return Prepared(xtr, ytr, xte, yte, 3, {"scale": 1.0, "input_shape": [2]},
                    {"epochs": 300, "batch_size": 32, "learning_rate": 0.2, "hidden": [64, 64]},
                    classes=["0", "1", "2"])


def small_cnn(seed: int = 0, in_channels: int = 1, n_classes: int = 10, size: int = 28
              ) -> list[Layer]:
    """Conv(16, 3×3, pad 1) ReLU MaxPool2 → Conv(32, 3×3, pad 1) ReLU MaxPool2 → Dense."""
    from .layers import Conv2D, Flatten, MaxPool2D, ReLU

    rng = np.random.default_rng(seed)
    side = size // 4
    return [
        Conv2D(in_channels, 16, 3, padding=1, rng=rng), ReLU(), MaxPool2D(2),
        Conv2D(16, 32, 3, padding=1, rng=rng), ReLU(), MaxPool2D(2),
        Flatten(), Dense(32 * side * side, n_classes, rng=rng),
    ]


_MNIST_DEFAULTS = {"epochs": 10, "batch_size": 64, "learning_rate": 0.1, "hidden": [256],
                   "build_cnn": small_cnn}


def _mnist_like(name: str, data_dir: Path | None, seed: int) -> Prepared:
    from .data.mnist import FASHION_MNIST_CLASSES, load_mnist_split

    dataset = "fashion-mnist" if name == "fashion-mnist" else "mnist"
    note = ""
    defaults = dict(_MNIST_DEFAULTS)
    xte, yte = load_mnist_split("test", data_dir, dataset=dataset)
    try:
        xtr, ytr = load_mnist_split("train", data_dir, dataset=dataset)
    except OSError:
        if data_dir is None:
            raise
        # only the t10k files are there (e.g. offline MNIST): hold 2,000 of them out
        xtr, ytr, xte, yte = _split(xte, yte, 2000, seed)
        # an epoch of 8,000 images is 7.5 times shorter than one of 60,000; after 10 the
        # MLP still fits only ~97% of its training set, after 20 it fits ~99%
        defaults["epochs"] = 20
        note = (f"{name}: no training files in {data_dir}; split the 10,000 test images "
                f"into {len(xtr):,} for training and {len(xte):,} held out for testing")
    classes = list(FASHION_MNIST_CLASSES) if dataset == "fashion-mnist" else \
        [str(i) for i in range(10)]
    flat = {"scale": 1 / 255, "input_shape": [784]}
    return Prepared(xtr.reshape(len(xtr), -1) / np.float32(255), ytr.astype(np.int64),
                    xte.reshape(len(xte), -1) / np.float32(255), yte.astype(np.int64), 10,
                    flat, defaults, note=note, classes=classes,
                    image_shape=(1, 28, 28))


def _cats(data_dir: Path | None, seed: int, test_size: float) -> Prepared:
    from .data.cats import load_cats

    (xtr, ytr), (xte, yte), classes = load_cats(data_dir)
    return Prepared(xtr.reshape(len(xtr), -1) / np.float32(255), ytr.astype(np.int64),
                    xte.reshape(len(xte), -1) / np.float32(255), yte.astype(np.int64), 2,
                    {"scale": 1 / 255, "input_shape": [64 * 64 * 3]},
                    {"epochs": 2500, "batch_size": None, "learning_rate": 0.0075,
                     "hidden": [7]},
                    classes=list(classes))


#: name -> function(data_dir, seed, test_size) -> Prepared.
DATASETS: dict[str, Callable[[Path | None, int, float], Prepared]] = {
    "digits": _digits,
    "xor": _xor,
    "spirals": _spirals,
    "mnist": lambda d, seed, t: _mnist_like("mnist", d, seed),
    "fashion-mnist": lambda d, seed, t: _mnist_like("fashion-mnist", d, seed),
    "cats": _cats,
}


def prepare(name: str, data_dir: str | Path | None = None, seed: int = 0,
            test_size: float = 0.2) -> Prepared:
    """Load and preprocess dataset ``name`` (see :data:`DATASETS`)."""
    if name not in DATASETS:
        raise ValueError(f"unknown dataset {name!r}; expected one of {sorted(DATASETS)}")
    return DATASETS[name](Path(data_dir) if data_dir else None, seed, test_size)


def build_mlp(n_inputs: int, hidden: list[int], n_classes: int, activation: str = "relu",
              seed: int = 0) -> list[Layer]:
    """Dense + activation blocks, then a linear output (softmax in the loss) or a sigmoid
    output for two classes."""
    rng = np.random.default_rng(seed)
    init = "he_uniform" if activation.lower() in ("relu", "leaky_relu") else "glorot_uniform"
    layers: list[Layer] = []
    width = n_inputs
    for h in hidden:
        layers += [Dense(width, h, init=init, rng=rng), get_activation(activation)]
        width = h
    if n_classes == 2:
        layers += [Dense(width, 1, rng=rng), get_activation("sigmoid")]
    else:
        layers.append(Dense(width, n_classes, rng=rng))
    return layers
