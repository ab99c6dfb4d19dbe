"""nnscratch: neural networks from scratch on NumPy.

Every forward and backward pass is plain NumPy you can read, with the math beside it.
The core imports only NumPy; plots (matplotlib), progress bars (tqdm), HDF5 (h5py) and
the digits set (scikit-learn) are optional extras loaded when used.
"""

from . import init, layers, losses, optimizers
from ._dtype import get_default_dtype, set_default_dtype
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
from .optimizers import SGD, Optimizer
from .parameter import Parameter

__version__ = "0.1.0"

__all__ = [
    "MSE",
    "SGD",
    "BinaryCrossEntropy",
    "CategoricalCrossEntropy",
    "Dense",
    "GradCheckResult",
    "Identity",
    "Layer",
    "LeakyReLU",
    "Loss",
    "Optimizer",
    "Parameter",
    "ReLU",
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
    "losses",
    "optimizers",
    "set_default_dtype",
]
