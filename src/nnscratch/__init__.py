"""nnscratch: neural networks from scratch on NumPy.

Every forward and backward pass is plain NumPy you can read, with the math beside it.
The core imports only NumPy; plots (matplotlib), progress bars (tqdm), HDF5 (h5py) and
the digits set (scikit-learn) are optional extras loaded when used.
"""

from . import init, layers, losses, metrics, optimizers
from ._dtype import get_default_dtype, set_default_dtype
from .callbacks import Callback, History
from .data.toy import load_digits, make_spirals, make_xor
from .gradcheck import GradCheckResult, gradcheck
from .layers import (
    Dense,
    Identity,
    Layer,
    LeakyReLU,
    ReLU,
    Sigmoid,
    Softmax,
    Tanh,
)
from .losses import (
    MSE,
    BinaryCrossEntropy,
    CategoricalCrossEntropy,
    Loss,
    SoftmaxCrossEntropy,
    SumSquaredError,
)
from .io import load
from .model import Sequential
from .optimizers import SGD, Optimizer
from .parameter import Parameter

__version__ = "0.1.0"

__all__ = [
    "MSE",
    "SGD",
    "BinaryCrossEntropy",
    "Callback",
    "CategoricalCrossEntropy",
    "Dense",
    "GradCheckResult",
    "History",
    "Identity",
    "Layer",
    "LeakyReLU",
    "Loss",
    "Optimizer",
    "Parameter",
    "ReLU",
    "Sequential",
    "Sigmoid",
    "Softmax",
    "SoftmaxCrossEntropy",
    "SumSquaredError",
    "Tanh",
    "__version__",
    "get_default_dtype",
    "gradcheck",
    "init",
    "layers",
    "load",
    "load_digits",
    "losses",
    "make_spirals",
    "make_xor",
    "metrics",
    "optimizers",
    "set_default_dtype",
]
