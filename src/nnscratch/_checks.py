"""Argument checks shared by the constructors and ``fit``: each error names the owner,
the argument, the rule and the value given (``SGD: momentum must be in [0, 1), got 2``).

A wrong *kind* of value (a string for a number) is a ``TypeError``; a value of the right
kind outside its range is a ``ValueError``, as in the standard library and PyTorch.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np


def _who(owner: str, name: str) -> str:
    return f"{owner}: {name}" if owner else name


def check_number(
    owner: str,
    name: str,
    value: Any,
    lo: float = 0.0,
    hi: float = math.inf,
    lo_open: bool = False,
    hi_open: bool = True,
) -> float:
    """``value`` as a float in the interval from ``lo`` to ``hi``.

    Parameters
    ----------
    owner, name : str
        Who checks (``"SGD"``, ``"fit"``; may be empty) and the argument's name, for the
        message.
    value : object
        What the caller passed.
    lo, hi : float
        The interval's ends; ``lo_open`` / ``hi_open`` exclude them. An infinite end is
        always excluded: the value must be finite.

    Raises
    ------
    TypeError
        ``value`` is not a real number (bools and strings are refused).
    ValueError
        ``value`` is NaN or outside the interval.
    """
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise TypeError(f"{_who(owner, name)} must be a number, got {value!r}")
    v = float(value)
    below = v <= lo if lo_open else v < lo
    above = v >= hi if hi_open else v > hi
    if not math.isfinite(v) or below or above:
        raise ValueError(f"{_who(owner, name)} must be {_interval(v, lo, hi, lo_open, hi_open)}, "
                         f"got {value!r}")
    return v


def _interval(v: float, lo: float, hi: float, lo_open: bool, hi_open: bool) -> str:
    """The rule in words: ``in [0, 1)``, ``>= 0``, ``a finite number > 0``, ``finite``."""
    if math.isinf(hi):
        if math.isinf(lo):
            return "finite"
        rule = f"{'>' if lo_open else '>='} {lo:g}"
        return f"a finite number {rule}" if v == math.inf else rule
    left, right = "(" if lo_open else "[", ")" if hi_open else "]"
    return f"in {left}{lo:g}, {hi:g}{right}"


def check_int(owner: str, name: str, value: Any, minimum: int = 1,
              type_error: type[Exception] = TypeError) -> int:
    """``value`` as an int ``>= minimum``.

    Raises
    ------
    TypeError
        ``value`` is not an integer (bools, floats such as ``2.0`` and strings are refused);
        ``type_error`` replaces TypeError where a caller has always raised another.
    ValueError
        ``value`` is below ``minimum``.
    """
    rule = "a positive integer" if minimum == 1 else f"an integer >= {minimum}"
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise type_error(f"{_who(owner, name)} must be {rule}, got {value!r}")
    if value < minimum:
        raise ValueError(f"{_who(owner, name)} must be {rule}, got {value!r}")
    return int(value)


def check_bool(owner: str, name: str, value: Any) -> bool:
    """``value`` as a bool; ``True``/``False`` (or NumPy's) only, not truthy objects."""
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{_who(owner, name)} must be True or False, got {value!r}")
    return bool(value)
