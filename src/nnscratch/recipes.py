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
        The recipe: ``epochs``, ``batch_size``, ``optimizer`` and its ``learning_rate``,
        ``lr_schedule``, ``hidden``, ``model``; under ``"cnn"``, what changes for the
        convolutional model (``build_cnn`` builds it).
    note : str
        What was done that the user should know (e.g. a split of the test set).
    classes : list of str
    image_shape : tuple or None
        (C, H, W) of image datasets, for convolutional models.
    split : {"official", "seeded", "same"}
        How the test set was made: the dataset's own test files (disjoint from its
        training files), a seeded split of one pool of samples (disjoint only from the
        training part of the *same* split), or the training set itself (``xor``).
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
    split: str = "official"


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
                    {"epochs": 40, "batch_size": 32, "optimizer": "sgd", "learning_rate": 0.1,
                     "hidden": [128]},
                    classes=[str(i) for i in range(10)], split="seeded")


def _xor(data_dir: Path | None, seed: int, test_size: float) -> Prepared:
    from .data.toy import make_xor

    x, y = make_xor()
    return Prepared(x, y.astype(np.int64), x, y.astype(np.int64), 2,
                    {"scale": 1.0, "input_shape": [3]},
                    {"epochs": 2000, "batch_size": None, "optimizer": "sgd", "learning_rate": 1.0,
                     "hidden": [4], "activation": "sigmoid"},
                    note="xor: the four-row toy set is used for both training and testing",
                    classes=["0", "1"], split="same")


def _spirals(data_dir: Path | None, seed: int, test_size: float) -> Prepared:
    from .data.toy import make_spirals

    x, y = make_spirals(200, 3, rng=seed)
    xtr, ytr, xte, yte = _split(x, y, test_size, seed)
    return Prepared(xtr, ytr, xte, yte, 3, {"scale": 1.0, "input_shape": [2]},
                    {"epochs": 300, "batch_size": 32, "optimizer": "sgd", "learning_rate": 0.2,
                     "hidden": [64, 64]},
                    classes=["0", "1", "2"], split="seeded")


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


# the CNN's recipe is README's and examples/fashion_mnist_cnn.py's: Adam at 2e-3 under a
# cosine decay to 0 over the run, batches of 64, 10 epochs (91.2% on Fashion-MNIST)
CNN_RECIPE = {"optimizer": "adam", "learning_rate": 2e-3, "lr_schedule": "cosine",
              "epochs": 10, "batch_size": 64}

_MNIST_DEFAULTS = {"epochs": 10, "batch_size": 64, "optimizer": "sgd", "learning_rate": 0.1,
                   "hidden": [256], "build_cnn": small_cnn, "cnn": CNN_RECIPE}


def _mnist_like(name: str, data_dir: Path | None, seed: int) -> Prepared:
    from .data.mnist import FASHION_MNIST_CLASSES, load_mnist_split

    dataset = "fashion-mnist" if name == "fashion-mnist" else "mnist"
    note = ""
    split = "official"
    defaults = dict(_MNIST_DEFAULTS)
    try:
        xte, yte = load_mnist_split("test", data_dir, dataset=dataset)
    except OSError as err:
        raise _where_to_put(name, dataset, data_dir, err) from err
    try:
        xtr, ytr = load_mnist_split("train", data_dir, dataset=dataset)
    except OSError as err:
        if data_dir is None:
            raise _where_to_put(name, dataset, data_dir, err) from err
        # only the t10k files are there (e.g. offline MNIST): hold 2,000 of them out
        xtr, ytr, xte, yte = _split(xte, yte, 2000, seed)
        # an epoch of 8,000 images is 7.5 times shorter than one of 60,000; after 10 the
        # MLP still fits only ~97% of its training set, after 20 it fits ~99%
        defaults["epochs"] = 20
        note = (f"{name}: no training files in {data_dir}; split the 10,000 test images "
                f"into {len(xtr):,} for training and {len(xte):,} held out for testing")
        split = "seeded"
    classes = list(FASHION_MNIST_CLASSES) if dataset == "fashion-mnist" else \
        [str(i) for i in range(10)]
    flat = {"scale": 1 / 255, "input_shape": [784]}
    return Prepared(xtr.reshape(len(xtr), -1) / np.float32(255), ytr.astype(np.int64),
                    xte.reshape(len(xte), -1) / np.float32(255), yte.astype(np.int64), 10,
                    flat, defaults, note=note, classes=classes,
                    image_shape=(1, 28, 28), split=split)


def _where_to_put(name: str, dataset: str, data_dir: Path | None, err: OSError
                  ) -> FileNotFoundError:
    """The loader's error in command-line terms: which files, where, and what to type."""
    from .data.download import data_home
    from .data.mnist import FASHION_MNIST, MNIST, split_files

    files = [f"{base}.gz" for split in ("train", "test") for base in split_files(split)]
    if data_dir is not None:  # the loader named the missing files and the folder
        return FileNotFoundError(f"{err}; --data-dir must name the folder holding "
                                 f"{', '.join(files)} (the t10k pair alone is split "
                                 "into training and test images)")
    cause = err.__cause__ if err.__cause__ is not None else None
    why = f"the download failed ({one_line(cause)})" if cause is not None else \
        "downloading is off"
    ds = FASHION_MNIST if dataset == "fashion-mnist" else MNIST
    where = " or ".join(map(str, (data_home(ds.folder), *ds.system_dirs)))
    return FileNotFoundError(
        f"{name}: the IDX files are not in {where} and {why}; put {', '.join(files)} "
        "into a folder and pass --data-dir DIR")


def one_line(err: BaseException) -> str:
    """An exception's message on one line (an OSError as ``FILE: reason``)."""
    if isinstance(err, OSError) and err.filename and err.strerror and \
            str(err).startswith("[Errno"):
        text = f"{err.filename}: {err.strerror}"
    else:
        text = str(err) or type(err).__name__
    return " ".join(text.split())


def _cats(data_dir: Path | None, seed: int, test_size: float) -> Prepared:
    from .data.cats import CATS_FILES, load_cats
    from .data.download import data_home

    folder = data_dir if data_dir is not None else data_home("catvnoncat")
    missing = [f for f in CATS_FILES.values() if not (folder / f).is_file()]
    if missing:
        what = "--data-dir must name" if data_dir is not None else "pass --data-dir DIR,"
        raise FileNotFoundError(
            f"cats: {' and '.join(missing)} not found in {folder}; {what} the folder "
            f"holding {' and '.join(CATS_FILES.values())} (the course's HDF5 files)")
    (xtr, ytr), (xte, yte), classes = load_cats(folder)
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


def optimizer_names() -> list[str]:
    """``--optimizer``'s choices: the built-in optimizers' names, and ``momentum``."""
    from .optimizers import OPTIMIZER_REGISTRY

    return sorted([*OPTIMIZER_REGISTRY.by_lower_name(), "momentum"])


def activation_names() -> list[str]:
    """``--activation``'s choices: the activation registry's names."""
    from .layers.activations import ACTIVATIONS

    return sorted(ACTIVATIONS)


def make_optimizer(name: str, learning_rate: float | None) -> Any:
    """The optimizer ``name`` at ``learning_rate`` (None: its own default rate)."""
    from . import optimizers

    kwargs: dict[str, Any] = {} if learning_rate is None else {"learning_rate": learning_rate}
    if name == "momentum":
        kwargs["momentum"] = 0.9
        name = "sgd"
    return optimizers.get_optimizer(name, **kwargs)


def overlap_warning(model_path: str, meta: dict[str, Any], name: str, data: Prepared,
                    data_dir: str | None) -> str | None:
    """Why the test split evaluated may hold samples the model was trained on, or None.

    A test split made by a seeded split of one pool (digits, spirals, MNIST's t10k files
    alone) is disjoint only from the training part of that same split; the official test
    files of a dataset are disjoint from its training files.

    Parameters
    ----------
    model_path : str
        The model file, for the message.
    meta : dict
        The model's metadata (``dataset``, ``split``, ``data_dir``, ``seed``, ...; empty
        for a model saved from Python without them).
    name : str
        The dataset evaluated on.
    data : Prepared
        The data evaluated on (its ``split`` says how its test set was made).
    data_dir : str or None
        The folder it was read from (None: the default lookup).

    Returns
    -------
    str or None
        The warning, or None when the split cannot overlap the training data.
    """
    if not meta.get("dataset"):
        if data.split != "seeded":
            return None
        return (f"{model_path} does not record the data it was trained on; if it saw "
                f"{name} samples, this test split (seed {meta.get('seed', 0)}, test_size "
                f"{meta.get('test_size', 0.2)}) may overlap its training data")
    if meta["dataset"] != name or meta.get("split") != "seeded":
        return None
    recorded = meta.get("data_dir")
    here = str(Path(data_dir).resolve()) if data_dir else None
    if data.split != "seeded" or here != recorded:
        return (f"{model_path} was trained on a seeded split of {name} from "
                f"{recorded or 'the default lookup'}; this test split, from "
                f"{here or 'the default lookup'}, may hold its training samples")
    return None
