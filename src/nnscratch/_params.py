"""Constructor arguments declared once, in the manner of scikit-learn's
``_parameter_constraints``.

Each argument's default lives in the constructor's signature (so ``help()``, IDEs and
loading, which reads the signature, see it), its meaning in the class docstring, and its
rule here, in the class's ``constraints`` table::

    class SGD(Optimizer):
        constraints = {"momentum": Number(0.0, 1.0), "nesterov": Bool(), ...}

        def __init__(self, learning_rate=0.01, momentum=0.0, nesterov=False, ...):
            super().__init__(learning_rate, clipnorm, clipvalue)
            self.set_params(momentum=momentum, nesterov=nesterov, ...)

From that one table :class:`Declared` derives the checks (:meth:`Declared.set_params`),
``get_config`` (every declared argument, in signature order; a ``None`` left at its
``None`` default is not written) and ``repr``. Every rule is called with the same
arguments, ``rule(owner, name, value)``, and returns the value to keep. All the work is
done in constructors: nothing here runs per training step.
"""

from __future__ import annotations

import inspect
import math
import types
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, ClassVar, TypeVar

from ._checks import check_bool, check_int, check_number

F = TypeVar("F", bound=Callable[..., Any])


class Rule:
    """What one argument must be; ``rule(owner, name, value)`` returns the value to keep."""

    #: The attribute the checked value is stored in (None: the argument's name).
    attr: str | None = None

    def __call__(self, owner: str, name: str, value: Any) -> Any:
        raise NotImplementedError


@dataclass(frozen=True)
class Number(Rule):
    """A real number in the interval from ``lo`` to ``hi`` (see :func:`check_number`)."""

    lo: float = 0.0
    hi: float = math.inf
    lo_open: bool = False
    hi_open: bool = True

    def __call__(self, owner: str, name: str, value: Any) -> float:
        return check_number(owner, name, value, self.lo, self.hi, self.lo_open, self.hi_open)


@dataclass(frozen=True)
class Int(Rule):
    """An integer ``>= minimum``; ``type_error`` is raised for a non-integer."""

    minimum: int = 1
    type_error: type[Exception] = TypeError

    def __call__(self, owner: str, name: str, value: Any) -> int:
        return check_int(owner, name, value, self.minimum, self.type_error)


@dataclass(frozen=True)
class Bool(Rule):
    """``True`` or ``False`` (NumPy's too), not any truthy object."""

    attr: str | None = None

    def __call__(self, owner: str, name: str, value: Any) -> bool:
        return check_bool(owner, name, value)


@dataclass(frozen=True)
class OneOf(Rule):
    """One of ``options`` (strings compared as given)."""

    options: tuple[Any, ...]

    def __call__(self, owner: str, name: str, value: Any) -> Any:
        if value not in self.options:
            who = f"{owner}: {name}" if owner else name
            allowed = " or ".join(repr(o) for o in self.options)
            raise ValueError(f"{who} must be {allowed}, got {value!r}")
        return value


@dataclass(frozen=True)
class OrNone(Rule):
    """``None``, or what ``rule`` accepts (its messages then end in "or None")."""

    rule: Rule

    def __call__(self, owner: str, name: str, value: Any) -> Any:
        if value is None:
            return None
        try:
            return self.rule(owner, name, value)
        except (TypeError, ValueError) as err:
            text, _, got = str(err).rpartition(", got ")
            raise type(err)(f"{text} or None, got {got}") from None


@dataclass(frozen=True)
class Check(Rule):
    """Any other rule: ``func(owner, name, value)`` returns the value or raises."""

    func: Callable[[str, str, Any], Any]
    attr: str | None = None

    def __call__(self, owner: str, name: str, value: Any) -> Any:
        return self.func(owner, name, value)


class Declared:
    """Mixin deriving checks, ``get_config`` and ``repr`` from the ``constraints`` table.

    Attributes
    ----------
    constraints : dict of str to Rule
        The rule of each argument the class declares; a subclass's table adds to its
        bases' (``rules()`` holds them all).
    """

    constraints: ClassVar[dict[str, Rule]] = {}
    #: Whether get_config leaves out a None left at its None default.
    config_omits_none: ClassVar[bool] = True

    @classmethod
    def rules(cls) -> dict[str, Rule]:
        """Every declared rule, the bases' first."""
        out: dict[str, Rule] = {}
        for klass in reversed(cls.__mro__):
            out.update(klass.__dict__.get("constraints", {}))
        return out

    @classmethod
    def defaults(cls) -> dict[str, Any]:
        """The constructor's arguments and their defaults (``inspect.Parameter.empty``
        where there is none), in signature order."""
        return _defaults(cls)

    def set_params(self, **values: Any) -> None:
        """Check each value by its declared rule and keep the result as an attribute."""
        rules = self.rules()
        owner = type(self).__name__
        for name, value in values.items():
            rule = rules[name]
            setattr(self, rule.attr or name, rule(owner, name, value))

    def declared_config(self) -> dict[str, Any]:
        """The declared arguments' current values in signature order; a ``None`` left at
        its ``None`` default is left out."""
        rules = self.rules()
        out: dict[str, Any] = {}
        for name, default in self.defaults().items():
            rule = rules.get(name)
            if rule is None:
                continue
            value = getattr(self, rule.attr or name)
            if value is None and default is None and self.config_omits_none:
                continue
            out[name] = value
        return out

    def non_default_config(self, config: dict[str, Any], shown: tuple[str, ...] = ()
                           ) -> dict[str, Any]:
        """The entries of ``config`` that differ from the signature's defaults, less
        those named in ``shown``."""
        defaults = self.defaults()
        return {k: v for k, v in config.items()
                if k not in shown and not _same(v, defaults.get(k, inspect.Parameter.empty))}


def _same(value: Any, default: Any) -> bool:
    return (type(value) is type(default) and value == default) or value is default


_DEFAULTS: dict[type, dict[str, Any]] = {}


def _defaults(cls: type) -> dict[str, Any]:
    """The signature's defaults of ``cls``, read once per class."""
    found = _DEFAULTS.get(cls)
    if found is None:
        try:
            params = list(inspect.signature(cls).parameters.values())
        except (TypeError, ValueError):  # a class whose signature Python cannot tell
            params = []
        found = _DEFAULTS[cls] = {p.name: p.default for p in params
                                  if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)}
    return found


def call_repr(name: str, config: dict[str, Any], head: str = "") -> str:
    """``Name(head, key=value, ...)``."""
    args = [head] if head else []
    args += [f"{k}={v!r}" for k, v in config.items()]
    return f"{name}({', '.join(args)})"


def with_defaults(func: F, **defaults: Any) -> F:
    """``func`` (a constructor) with some defaults replaced: what a subclass that only
    changes defaults uses instead of repeating the whole signature.

    The copy shares ``func``'s code, so its body, its ``super()`` and its checks are
    those of ``func``; only the defaults (and so the signature) differ.
    """
    sig = inspect.signature(func)
    unknown = set(defaults) - set(sig.parameters)
    if unknown:
        raise TypeError(f"{func.__qualname__} takes no {sorted(unknown)}")
    params = [p.replace(default=defaults.get(p.name, p.default)) for p in sig.parameters.values()]
    copy = types.FunctionType(func.__code__, func.__globals__, func.__name__,
                              tuple(p.default for p in params
                                    if p.kind is p.POSITIONAL_OR_KEYWORD
                                    and p.default is not p.empty),
                              func.__closure__)
    copy.__kwdefaults__ = {p.name: p.default for p in params
                           if p.kind is p.KEYWORD_ONLY and p.default is not p.empty} or None
    copy.__doc__, copy.__qualname__ = func.__doc__, func.__qualname__
    copy.__annotations__ = dict(func.__annotations__)
    return copy  # type: ignore[return-value]
