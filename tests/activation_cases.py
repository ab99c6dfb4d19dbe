"""The one table of activation test cases.

Each row names a way to build one of nnscratch's activations and the ``torch.nn`` module
that computes the same function. The gradient checks (test_layers.py) and the PyTorch
comparisons (test_torch_core.py, also the trained MLPs there) read it, and
test_layers.py checks that every activation ``get_activation`` knows has a row: adding an
activation means adding its class and one row here.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from nnscratch.layers import Identity, Layer, LeakyReLU, ReLU, Sigmoid, Softmax, Tanh

#: name -> (make our layer, make the torch module from the torch package)
ACTIVATION_CASES: dict[str, tuple[Callable[[], Layer], Callable[[Any], Any]]] = {
    "sigmoid": (Sigmoid, lambda t: t.nn.Sigmoid()),
    "tanh": (Tanh, lambda t: t.nn.Tanh()),
    "relu": (ReLU, lambda t: t.nn.ReLU()),
    "leaky_relu": (LeakyReLU, lambda t: t.nn.LeakyReLU(0.01)),
    "leaky_relu_0.2": (lambda: LeakyReLU(0.2), lambda t: t.nn.LeakyReLU(0.2)),
    "leaky_relu_1.5": (lambda: LeakyReLU(1.5), lambda t: t.nn.LeakyReLU(1.5)),
    "softmax": (Softmax, lambda t: t.nn.Softmax(dim=-1)),
    "identity": (Identity, lambda t: t.nn.Identity()),
}
