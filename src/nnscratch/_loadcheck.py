"""Checks of a saved model's header and arrays, made before anything is built from them.

A file's JSON header describes the network (layer classes and constructor arguments,
loss, optimizer, training state); its arrays hold the weights. Loading trusts neither:
every key the header must have is there with a value of the right kind, every class it
names is registered, every constructor argument is one the class takes, every array a
layer will read has the shape and dtype the layer's config implies (derived without
building the layer, see :meth:`nnscratch.layers.base.Layer.array_specs`), and every array
in the file is read by something. Each failure is one ``ValueError`` that names the file,
the key and what was expected.
"""

from __future__ import annotations

import contextlib
import inspect
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from .layers.base import Layer

#: Dtypes a saved model computes in.
MODEL_DTYPES = ("float32", "float64")


# -- class lookups: the one place that turns a file's class names into classes -------------
def layer_class(name: Any) -> type[Layer] | None:
    """The layer class a file's ``name`` means, or None."""
    from .layers.base import LAYER_REGISTRY

    return LAYER_REGISTRY.get(name)


def loss_class(name: Any) -> type | None:
    """The loss class a file's ``name`` means, or None."""
    from .losses import LOSS_REGISTRY

    return LOSS_REGISTRY.get(name)


def optimizer_class(name: Any) -> type | None:
    """The optimizer class a file's ``name`` means, or None."""
    from .optimizers import OPTIMIZER_REGISTRY

    return OPTIMIZER_REGISTRY.get(name)


# -- the header ----------------------------------------------------------------------------
def _need(obj: dict[str, Any], key: str, kind: type | tuple[type, ...], where: str,
          expected: str) -> Any:
    """``obj[key]``, checked to be a ``kind`` (never a bool standing for an int)."""
    if key not in obj:
        raise ValueError(f"{where}: missing key {key!r}; expected {expected}")
    value = obj[key]
    if (isinstance(value, bool) and bool not in (kind if isinstance(kind, tuple) else (kind,))
            ) or not isinstance(value, kind):
        raise ValueError(f"{where}: key {key!r} must be {expected}, got {value!r:.200}")
    return value


def _class_spec(spec: Any, where: str) -> None:
    """A ``{"class": name, "config": {...}}`` entry."""
    if not isinstance(spec, dict):
        raise ValueError(f"{where}: expected a dict with 'class' and 'config', got {spec!r:.200}")
    _need(spec, "class", str, where, "a class name (a string)")
    config = _need(spec, "config", dict, where, "a dict of constructor arguments")
    if not all(isinstance(k, str) for k in config):
        raise ValueError(f"{where}: config keys must be strings, got {sorted(map(repr, config))}")


def check_header(header: dict[str, Any], source: str) -> None:
    """Every key of a model header that loading reads, with a value of the right kind."""
    where = f"{source}: header"
    dtype = _need(header, "dtype", str, where, f"one of {list(MODEL_DTYPES)}")
    if dtype not in MODEL_DTYPES:
        raise ValueError(f"{where}: key 'dtype' must be one of {list(MODEL_DTYPES)}, "
                         f"got {dtype!r:.200}")
    layers = _need(header, "layers", list, where, "a list of layer descriptions")
    for i, spec in enumerate(layers):
        _class_spec(spec, f"{source}: layer {i}")
    shape = header.get("input_shape")
    if shape is not None and not (isinstance(shape, list) and all(
            d is None or (type(d) is int and d > 0) for d in shape)):
        raise ValueError(f"{where}: key 'input_shape' must be null or a list of positive "
                         f"integers and nulls, got {shape!r:.200}")
    for key in ("loss", "optimizer"):
        if header.get(key) is not None:
            _class_spec(header[key], f"{source}: {key}")
    if (header.get("loss") is None) != (header.get("optimizer") is None):
        raise ValueError(f"{where}: keys 'loss' and 'optimizer' must both be set or both be "
                         f"null (use() sets both), got loss={header.get('loss')!r:.100} and "
                         f"optimizer={header.get('optimizer')!r:.100}")
    metrics = header.get("metrics", "auto")
    if not isinstance(metrics, str) and not (
            isinstance(metrics, list) and all(isinstance(m, str) for m in metrics)):
        raise ValueError(f"{where}: key 'metrics' must be a name or a list of names, "
                         f"got {metrics!r:.200}")
    if not isinstance(header.get("metadata", {}), dict):
        raise ValueError(f"{where}: key 'metadata' must be a dict, "
                         f"got {header['metadata']!r:.200}")


def check_arguments(cls: type, config: dict[str, Any], where: str) -> None:
    """Refuse config keys ``cls`` does not take and required arguments it lacks."""
    try:
        signature = inspect.signature(cls)
    except (TypeError, ValueError):  # a class whose signature Python cannot tell
        return
    params = signature.parameters.values()
    if any(p.kind is p.VAR_KEYWORD for p in params):
        return
    takes = {p.name for p in params if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)}
    required = [p.name for p in params if p.name in takes and p.default is p.empty]
    for key in config:
        if key not in takes:
            raise ValueError(f"{where}: unexpected config key {key!r}; "
                             f"{cls.__name__} takes {sorted(takes)}")
    for key in required:
        if key not in config:
            raise ValueError(f"{where}: missing config key {key!r}, which "
                             f"{cls.__name__} requires")


def layer_classes(header: dict[str, Any], source: str) -> list[type[Layer]]:
    """The class of each layer, its constructor arguments checked."""
    from .layers.base import Layer

    classes = []
    for i, spec in enumerate(header["layers"]):
        cls = layer_class(spec["class"])
        if cls is None:
            raise ValueError(f"{source}: layer {i} has unknown class {spec['class']!r}")
        if cls.from_config.__func__ is Layer.from_config.__func__:  # type: ignore[attr-defined]
            check_arguments(cls, spec["config"], f"{source}: layer {i} ({spec['class']})")
        classes.append(cls)
    return classes


# -- the arrays ----------------------------------------------------------------------------
def check_layer_arrays(header: dict[str, Any], classes: list[type[Layer]],
                       arrays: dict[str, np.ndarray], source: str) -> None:
    """Each layer's arrays against the shapes and dtypes its config implies.

    Runs before any layer is built: a header declaring ``Dense(20000, 20000)`` beside a
    small ``W`` fails here, without allocating the 1.6 GB the layer would.
    """
    for i, (spec, cls) in enumerate(zip(header["layers"], classes, strict=True)):
        where = f"{source}: layer {i} ({spec['class']})"
        try:
            specs = cls.array_specs(spec["config"])
        except (TypeError, ValueError) as err:
            raise ValueError(f"{where}: bad config {spec['config']!r:.200}: {err}") from None
        if specs is None:  # checked after building, by load_arrays_into
            continue
        prefix = f"layers.{i}."
        for name, (shape, kinds) in specs.items():
            key = prefix + name
            if key not in arrays:
                raise ValueError(f"{where}: missing array {key!r} (expected shape {shape})")
            check_array(arrays[key], key, shape, kinds, source)
        extra = sorted(k for k in arrays if k.startswith(prefix) and k[len(prefix):] not in specs)
        if extra:
            raise ValueError(f"{where}: array {extra[0]!r} is read by no layer; layer {i} "
                             f"reads {sorted(prefix + n for n in specs)}")


_KIND_NAMES = {"f": "a floating", "iu": "an integer", "U": "a text"}


def check_array(value: np.ndarray, key: str, shape: tuple[int, ...] | None, kinds: str,
                source: str) -> None:
    """``value`` has ``shape`` (unless None) and a dtype of one of ``kinds``."""
    if value.dtype.kind not in kinds:
        raise ValueError(f"{source}: {key} has dtype {value.dtype}, expected "
                         f"{_KIND_NAMES.get(kinds, 'a ' + kinds)} array")
    if shape is not None and value.shape != tuple(shape):
        raise ValueError(f"{source}: {key} has shape {value.shape}, expected {tuple(shape)}")


def array_refs(obj: Any, marker: str) -> set[str]:
    """Keys of the ``{marker: key}`` references anywhere in a JSON value."""
    if isinstance(obj, dict):
        if set(obj) == {marker} and isinstance(obj[marker], str):
            return {obj[marker]}
        return set().union(*(array_refs(v, marker) for v in obj.values()))
    if isinstance(obj, list):
        return set().union(*(array_refs(v, marker) for v in obj))
    return set()


def check_unread(header: dict[str, Any], arrays: dict[str, np.ndarray], marker: str,
                 source: str) -> None:
    """Every array belongs to a layer of the header or is referred to by its training state."""
    n_layers = len(header["layers"])
    refs = array_refs(header.get("training"), marker)
    for key in sorted(arrays):
        parts = key.split(".", 2)
        if key in refs or (len(parts) == 3 and parts[0] == "layers" and parts[1].isdigit()
                           and int(parts[1]) < n_layers and str(int(parts[1])) == parts[1]):
            continue
        raise ValueError(f"{source}: array {key!r} is read by no layer of the "
                         f"{n_layers} in the header (an entry nnscratch did not write)")


# -- the training state of a checkpoint ----------------------------------------------------
def _count(obj: dict[str, Any], key: str, where: str) -> None:
    value = _need(obj, key, int, where, "a non-negative integer")
    if value < 0:
        raise ValueError(f"{where}: key {key!r} must be a non-negative integer, got {value!r}")


def _numbers(value: Any, key: str, where: str, kind: type | tuple[type, ...]) -> None:
    if not isinstance(value, list) or not all(
            isinstance(x, kind) and not isinstance(x, bool) for x in value):
        raise ValueError(f"{where}: key {key!r} must be a list of numbers, got {value!r:.200}")


def check_training(training: Any, source: str) -> None:
    """A checkpoint's ``training`` section (arrays joined back), before anything reads it."""
    where = f"{source}: training state"
    if not isinstance(training, dict):
        raise ValueError(f"{where}: expected a dict, got {training!r:.200}")
    _count(training, "epoch", where)
    _count(training, "iteration", where)
    if not isinstance(training.get("partial_epoch", False), bool):
        raise ValueError(f"{where}: key 'partial_epoch' must be true or false, "
                         f"got {training['partial_epoch']!r:.200}")
    opt = _need(training, "optimizer", dict, where, "a dict with 'class', 'config', 'state'")
    _class_spec(opt, f"{where}: optimizer")
    state = _need(opt, "state", dict, f"{where}: optimizer",
                  "a dict with 'state', 'iterations', 'learning_rate'")
    _count(state, "iterations", f"{where}: optimizer state")
    slots = _need(state, "state", list, f"{where}: optimizer state", "a list of dicts")
    if not all(isinstance(s, dict) for s in slots):
        raise ValueError(f"{where}: optimizer state: key 'state' must be a list of dicts")
    if "learning_rate" in state:
        _need(state, "learning_rate", (int, float), f"{where}: optimizer state", "a number")
    if training.get("rng") is not None and not isinstance(training["rng"], dict):
        raise ValueError(f"{where}: key 'rng' must be a generator state (a dict) or null, "
                         f"got {training['rng']!r:.200}")
    history = _need(training, "history", dict, where, "a dict")
    hwhere = f"{where}: history"
    logs = _need(history, "history", dict, hwhere, "a dict of lists of numbers")
    for name, values in logs.items():
        _numbers(values, name, hwhere, (int, float))
    _numbers(_need(history, "epoch", list, hwhere, "a list of integers"), "epoch", hwhere, int)
    _numbers(_need(history, "iteration_loss", list, hwhere, "a list of numbers"),
             "iteration_loss", hwhere, (int, float))
    _numbers(history.get("seconds", []), "seconds", hwhere, (int, float))
    callbacks = training.get("callbacks", [])
    if not isinstance(callbacks, list):
        raise ValueError(f"{where}: key 'callbacks' must be a list, got {callbacks!r:.200}")
    for j, entry in enumerate(callbacks):
        cwhere = f"{where}: callback {j}"
        if not isinstance(entry, dict):
            raise ValueError(f"{cwhere}: expected a dict with 'class' and 'state'")
        _need(entry, "class", str, cwhere, "a class name (a string)")
        _need(entry, "state", dict, cwhere, "a dict")


@contextlib.contextmanager
def restoring(source: str, key: str) -> Iterator[None]:
    """Turn what a ``load_state_dict`` raises on a malformed value into one ValueError
    that names the file and the key of the training state."""
    try:
        yield
    except KeyError as err:
        raise ValueError(f"{source}: training state key {key!r}: missing key {err}") from None
    except (TypeError, ValueError, AttributeError, IndexError) as err:
        raise ValueError(f"{source}: training state key {key!r}: {err}") from None
