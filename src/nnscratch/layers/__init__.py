"""Layers: each a forward pass, its hand-written backward pass, and its parameters."""

from .activations import (
    ACTIVATIONS,
    Identity,
    LeakyReLU,
    ReLU,
    Sigmoid,
    Softmax,
    Tanh,
    get_activation,
    log_softmax,
    softmax,
)
from .base import LAYER_REGISTRY, Layer
from .dense import Dense

__all__ = [
    "ACTIVATIONS",
    "LAYER_REGISTRY",
    "Dense",
    "Identity",
    "Layer",
    "LeakyReLU",
    "ReLU",
    "Sigmoid",
    "Softmax",
    "Tanh",
    "get_activation",
    "log_softmax",
    "softmax",
]
