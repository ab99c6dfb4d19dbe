"""nnscratch: neural networks from scratch on NumPy.

Every forward and backward pass is plain NumPy you can read, with the math beside it.
The core imports only NumPy; plots (matplotlib), progress bars (tqdm), HDF5 (h5py) and
the digits set (scikit-learn) are optional extras loaded when used.
"""

from . import (
    callbacks,
    data,
    datasets,
    distributed,
    init,
    kernels,
    layers,
    losses,
    metrics,
    optimizers,
    plots,
    regularizers,
    schedules,
)
from ._dtype import default_dtype, get_default_dtype, set_default_dtype
from ._rng import manual_seed
from .backprop_trace import trace
from .callbacks import (
    Callback,
    CSVLogger,
    EarlyStopping,
    History,
    LearningRateScheduler,
    ModelCheckpoint,
    ReduceLROnPlateau,
    TerminateOnNaN,
)
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
from .html_report import report
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
from .metrics import TopKAccuracy, accuracy, confusion_matrix, top_k_accuracy
from .model import Sequential
from .onnx_export import to_onnx
from .optimizers import SGD, AdaGrad, Adam, AdamW, Optimizer, RMSProp
from .parameter import Parameter
from .regularizers import L1, L1L2, L2
from .torch_bridge import from_torch, to_torch

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
    "CSVLogger",
    "Callback",
    "CategoricalCrossEntropy",
    "Conv2D",
    "Dense",
    "Dropout",
    "EarlyStopping",
    "Flatten",
    "GlobalAvgPool2D",
    "GradCheckResult",
    "History",
    "Identity",
    "Layer",
    "LeakyReLU",
    "LearningRateScheduler",
    "Loss",
    "MaxPool2D",
    "ModelCheckpoint",
    "Optimizer",
    "Parameter",
    "RMSProp",
    "ReLU",
    "ReduceLROnPlateau",
    "Reshape",
    "Sequential",
    "Sigmoid",
    "Softmax",
    "SoftmaxCrossEntropy",
    "Standardizer",
    "SumSquaredError",
    "Tanh",
    "TerminateOnNaN",
    "TopKAccuracy",
    "__version__",
    "accuracy",
    "batches",
    "callbacks",
    "confusion_matrix",
    "data",
    "datasets",
    "default_dtype",
    "distributed",
    "flatten",
    "from_torch",
    "get_activation",
    "get_default_dtype",
    "gradcheck",
    "init",
    "kernels",
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
    "manual_seed",
    "metrics",
    "normalize",
    "one_hot",
    "optimizers",
    "plots",
    "regularizers",
    "report",
    "schedules",
    "set_default_dtype",
    "standardize",
    "to_nchw",
    "to_onnx",
    "to_torch",
    "top_k_accuracy",
    "trace",
    "train_test_split",
]
