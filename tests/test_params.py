"""The declarations constructors are checked and described from (nnscratch._params)."""

from __future__ import annotations

import inspect
import math
from typing import Any, ClassVar

import pytest

from nnscratch._params import (
    Bool,
    Check,
    Declared,
    Int,
    Number,
    OneOf,
    OrNone,
    Rule,
    call_repr,
    with_defaults,
)


@pytest.mark.parametrize(
    ("rule", "value", "exc", "message"),
    [
        (Number(), -1, ValueError, "Owner: x must be >= 0, got -1"),
        (Number(0.0, lo_open=True), 0, ValueError, "Owner: x must be > 0, got 0"),
        (Number(), math.inf, ValueError, "Owner: x must be a finite number >= 0, got inf"),
        (Number(0.0, 1.0), 1.0, ValueError, r"Owner: x must be in [0, 1), got 1.0"),
        (Number(0.0, 1.0, lo_open=True, hi_open=False), math.nan, ValueError,
         "Owner: x must be in (0, 1], got nan"),
        (Number(-math.inf), math.inf, ValueError, "Owner: x must be finite, got inf"),
        (Number(), True, TypeError, "Owner: x must be a number, got True"),
        (Number(), "1", TypeError, "Owner: x must be a number, got '1'"),
        (Int(), 0, ValueError, "Owner: x must be a positive integer, got 0"),
        (Int(0), -1, ValueError, "Owner: x must be an integer >= 0, got -1"),
        (Int(), 2.0, TypeError, "Owner: x must be a positive integer, got 2.0"),
        (Int(type_error=ValueError), 2.0, ValueError,
         "Owner: x must be a positive integer, got 2.0"),
        (Bool(), 1, TypeError, "Owner: x must be True or False, got 1"),
        (OneOf(("a", "b")), "c", ValueError, "Owner: x must be 'a' or 'b', got 'c'"),
        (OrNone(Number()), -1, ValueError, "Owner: x must be >= 0 or None, got -1"),
        (OrNone(Number()), "1", TypeError, "Owner: x must be a number or None, got '1'"),
    ],
)
def test_rules_name_the_owner_the_argument_the_rule_and_the_value(rule, value, exc, message):
    with pytest.raises(exc) as err:
        rule("Owner", "x", value)
    assert str(err.value) == message


def test_rules_return_the_value_to_keep():
    assert Number()("O", "x", 2) == 2.0 and type(Number()("O", "x", 2)) is float
    assert Int()("O", "x", 3) == 3
    assert OrNone(Int())("O", "x", None) is None
    assert Check(lambda owner, name, v: v * 2)("O", "x", 4) == 8


class Thing(Declared):
    size: int
    scale: float
    use_bias: bool
    tag: str | None
    constraints: ClassVar[dict[str, Rule]] = {
        "size": Int(),
        "scale": Number(),
        "bias": Bool(attr="use_bias"),
        "tag": OrNone(OneOf(("a", "b"))),
    }

    def __init__(self, size: int, scale: float = 1.0, bias: bool = True,
                 tag: str | None = None, verbose: int = 0) -> None:
        self.set_params(size=size, scale=scale, bias=bias, tag=tag)

    def __repr__(self) -> str:
        return call_repr("Thing", self.non_default_config(self.declared_config()))


def test_declared_config_and_repr_follow_the_declaration():
    thing = Thing(3, bias=False)
    # signature order; an undeclared argument is not written, nor a None at its None default
    assert thing.declared_config() == {"size": 3, "scale": 1.0, "bias": False}
    assert list(thing.declared_config()) == ["size", "scale", "bias"]
    assert Thing(3, tag="a").declared_config()["tag"] == "a"
    # repr: every argument not at its default
    assert repr(thing) == "Thing(size=3, bias=False)"
    assert repr(Thing(**thing.declared_config())) == repr(thing)
    with pytest.raises(ValueError, match="Thing: size must be a positive integer, got 0"):
        Thing(0)


def test_subclass_tables_add_to_their_bases():
    class Bigger(Thing):
        constraints: ClassVar[dict[str, Rule]] = {"extra": Number()}

    assert list(Bigger.rules()) == ["size", "scale", "bias", "tag", "extra"]
    assert "extra" not in Thing.rules()


def test_with_defaults_changes_only_the_defaults():
    def make(a: int, b: float = 1.0, *, c: str = "x") -> tuple[Any, ...]:
        return a, b, c

    other = with_defaults(make, b=2.0, c="y")
    assert other(1) == (1, 2.0, "y") and make(1) == (1, 1.0, "x")
    assert str(inspect.signature(other)) == str(inspect.signature(make)).replace(
        "1.0", "2.0").replace("'x'", "'y'")
    with pytest.raises(TypeError, match="takes no"):
        with_defaults(make, d=1)
