"""Alias of :mod:`nnscratch.data`, for code written against ``keras.datasets`` habits."""

from .data import *  # noqa: F403
from .data import __all__ as __all__
