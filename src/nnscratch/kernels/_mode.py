"""The reference switch: run every kernel as its plain reference instead of its fast form.

On at import when the environment sets ``NNSCRATCH_REFERENCE=1``; changed at run time
with :func:`set_reference` or, for a block, :func:`reference_mode`.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager


class Switch:
    """The switch every kernel reads: ``SWITCH.reference``, one attribute lookup a call."""

    __slots__ = ("reference",)

    def __init__(self, reference: bool) -> None:
        #: True: kernels run their plain references (read at every call, so a change
        #: takes effect at the next forward pass).
        self.reference = reference


SWITCH = Switch(os.environ.get("NNSCRATCH_REFERENCE", "0").strip() not in ("", "0"))


def is_reference() -> bool:
    """Whether the kernels run their plain references."""
    return SWITCH.reference


def set_reference(on: bool = True) -> bool:
    """Run the kernels as their plain references (``on``) or fast (not ``on``).

    Returns the previous setting.
    """
    previous, SWITCH.reference = SWITCH.reference, bool(on)
    return previous


@contextmanager
def reference_mode(on: bool = True) -> Iterator[None]:
    """Within the block, run the kernels as their plain references (or fast: ``on=False``).

    Examples
    --------
    >>> import nnscratch as nn
    >>> with nn.kernels.reference_mode():
    ...     nn.kernels.is_reference()
    True
    """
    previous = set_reference(on)
    try:
        yield
    finally:
        set_reference(previous)
