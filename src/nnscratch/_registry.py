"""Registries of classes by a stable public name, so saved files can name their classes.

A saved model names each layer's, loss's and optimizer's class; loading looks the name up
here, never by importing anything a file names. The name of a class is:

* ``nnscratch.<Name>`` for nnscratch's own classes (``nnscratch.Dense``) — the name users
  import, which stays the same when code moves between nnscratch's modules;
* ``<module>.<qualname>`` for everyone else's (``__main__.Dense``, ``mylib.layers.Gated``).

So a user's ``class Dense(nn.Layer)`` in a script registers as ``__main__.Dense`` and
neither replaces nor is replaced by ``nnscratch.Dense``. Defining the same class again
(re-running a notebook cell) registers the new definition under the same name: the latest
one wins, as it would for any name in the notebook.

Files written before names were qualified store bare class names (``"Dense"``); a bare
name means the built-in class of that name, or, when no built-in has it, the one
registered class of that name (a user's layer saved with an older nnscratch).
"""

from __future__ import annotations

from collections.abc import ItemsView, Iterator
from typing import Generic, TypeVar

T = TypeVar("T", bound=type)

_BUILTIN_PREFIX = "nnscratch."


def class_key(cls: type) -> str:
    """The public name ``cls`` is saved and looked up under (see the module doc)."""
    module = cls.__module__
    if module == "nnscratch" or module.startswith(_BUILTIN_PREFIX):
        return _BUILTIN_PREFIX + cls.__qualname__
    return f"{module}.{cls.__qualname__}"


class Registry(Generic[T]):
    """Classes of one kind (layers, losses, ...) by :func:`class_key`.

    Parameters
    ----------
    kind : str
        What the classes are, for messages (``"layer"``).
    """

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self._classes: dict[str, T] = {}

    def register(self, cls: T) -> T:
        """Add ``cls`` under its public name (replacing an earlier definition of it)."""
        self._classes[class_key(cls)] = cls
        return cls

    def get(self, name: str) -> T | None:
        """The class saved as ``name``, or None when no registered class has that name."""
        if not isinstance(name, str):
            return None
        if name in self._classes:
            return self._classes[name]
        if "." in name:
            return None
        builtin = self._classes.get(_BUILTIN_PREFIX + name)
        if builtin is not None:
            return builtin
        mine = [c for k, c in self._classes.items() if k.rsplit(".", 1)[-1] == name]
        return mine[0] if len(mine) == 1 else None

    def means(self, name: str, cls: type) -> bool:
        """Whether a file's ``name`` (qualified, or bare as older files wrote it) is ``cls``."""
        return self.get(name) is cls

    def lookup(self, name: str, source: str) -> T:
        """:meth:`get`, raising a ValueError that names ``source`` when ``name`` is unknown."""
        cls = self.get(name)
        if cls is None:
            raise ValueError(
                f"{source}: unknown {self.kind} class {name!r}; nnscratch's own are "
                f"{self.builtin_names()}; a class of your own must be defined or imported "
                "before loading (files never import code)")
        return cls

    def builtin_names(self) -> list[str]:
        """The short names of nnscratch's own classes, sorted (``["Dense", ...]``)."""
        return sorted(k[len(_BUILTIN_PREFIX):] for k in self._classes
                      if k.startswith(_BUILTIN_PREFIX))

    def by_lower_name(self) -> dict[str, T]:
        """nnscratch's own classes by lower-case short name, for string arguments (``"adam"``)."""
        return {k[len(_BUILTIN_PREFIX):].lower(): c for k, c in self._classes.items()
                if k.startswith(_BUILTIN_PREFIX)}

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and self.get(name) is not None

    def __getitem__(self, name: str) -> T:
        cls = self.get(name)
        if cls is None:
            raise KeyError(name)
        return cls

    def __iter__(self) -> Iterator[str]:
        return iter(self._classes)

    def __len__(self) -> int:
        return len(self._classes)

    def items(self) -> ItemsView[str, T]:
        return self._classes.items()
