"""nnscratch: neural networks from scratch on NumPy.

Every forward and backward pass is plain NumPy you can read, with the math beside it.
The core imports only NumPy; plots (matplotlib), progress bars (tqdm), HDF5 (h5py) and
the digits set (scikit-learn) are optional extras loaded when used.
"""

from . import (
    data,
    datasets,
    init,
    layers,
    losses,
    metrics,
    optimizers,
    plots,
    regularizers,
    schedules,
)
from ._dtype import get_default_dtype, set_default_dtype
from .callbacks import Callback, History
from .data import (
    Standardizer,
    batches,
    flatten,
    load_cats,
    load_fashion_mnist,
    load_idx,
    load_mnist,
    load_mnist_split,
    normalize,
    one_hot,
    standardize,
    train_test_split,
)
from .data.toy import load_digits, make_spirals, make_xor
from .gradcheck import GradCheckResult, gradcheck
from .io import load
from .layers import (
    AvgPool2D,
    BatchNorm1D,
    BatchNorm2D,
    Conv2D,
    Dense,
    Dropout,
    Flatten,
    GlobalAvgPool2D,
    Identity,
    Layer,
    LeakyReLU,
    MaxPool2D,
    ReLU,
    Reshape,
    Sigmoid,
    Softmax,
    Tanh,
    get_activation,
    to_nchw,
)
from .losses import (
    MSE,
    BinaryCrossEntropy,
    CategoricalCrossEntropy,
    Loss,
    SoftmaxCrossEntropy,
    SumSquaredError,
)
from .model import Sequential
from .optimizers import SGD, AdaGrad, Adam, AdamW, Optimizer, RMSProp
from .parameter import Parameter
from .regularizers import L1, L1L2, L2

__version__ = "0.1.0"

__all__ = [
    "L1",
    "L1L2",
    "L2",
    "MSE",
    "SGD",
    "AdaGrad",
    "Adam",
    "AdamW",
    "AvgPool2D",
    "BatchNorm1D",
    "BatchNorm2D",
    "BinaryCrossEntropy",
    "Callback",
    "CategoricalCrossEntropy",
    "Conv2D",
    "Dense",
    "Dropout",
    "Flatten",
    "GlobalAvgPool2D",
    "GradCheckResult",
    "History",
    "Identity",
    "Layer",
    "LeakyReLU",
    "Loss",
    "MaxPool2D",
    "Optimizer",
    "Parameter",
    "RMSProp",
    "ReLU",
    "Reshape",
    "Sequential",
    "Sigmoid",
    "Softmax",
    "SoftmaxCrossEntropy",
    "Standardizer",
    "SumSquaredError",
    "Tanh",
    "__version__",
    "batches",
    "data",
    "datasets",
    "flatten",
    "get_activation",
    "get_default_dtype",
    "gradcheck",
    "init",
    "layers",
    "load",
    "load_cats",
    "load_digits",
    "load_fashion_mnist",
    "load_idx",
    "load_mnist",
    "load_mnist_split",
    "losses",
    "make_spirals",
    "make_xor",
    "metrics",
    "normalize",
    "one_hot",
    "optimizers",
    "plots",
    "regularizers",
    "schedules",
    "set_default_dtype",
    "standardize",
    "to_nchw",
    "train_test_split",
]
