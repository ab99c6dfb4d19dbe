"""Saving and loading models: one ``.npz`` file, architecture as JSON, weights as arrays.

The file holds an entry ``__nnscratch__`` (a JSON string: format name and version, the
layers' classes and constructor arguments, the loss, the optimizer, user metadata) and one
array per parameter (``layers.0.W``) or saved state (``layers.3.state.running_mean``).
It is read back with ``allow_pickle=False``: loading a file never runs code. Files are
written to a temporary file beside the target and renamed into place, so a crash never
leaves a half-written model.

A *training checkpoint* (:func:`save_checkpoint`) is the same file with a ``training``
section added to the header — epoch, optimizer scalars, schedule and callback state, the
shuffling generator's state, history — and its arrays (optimizer moments, ...) stored as
``optimizer.*`` and ``callbacks.*`` entries. :func:`load` reads a checkpoint as a model;
``Sequential.fit(..., resume_from=path)`` continues training from it.
"""

from __future__ import annotations

import json
import os
import zipfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from ._atomic import open_temporary, remove_stale_temporaries
from ._registry import class_key

if TYPE_CHECKING:
    from .model import Sequential

FORMAT = "nnscratch.Sequential"
#: Version 2 names classes by public name (``nnscratch.Dense``); version 1 used bare class
#: names (``Dense``) and is still read.
FORMAT_VERSION = 2
_META_KEY = "__nnscratch__"


def atomic_savez(path: str | os.PathLike[str], arrays: dict[str, np.ndarray]) -> Path:
    """``np.savez`` to ``path`` through a temporary file and an atomic rename.

    The file gets the permissions of any new file (``0o666`` less the umask: ``0o644``
    under umask 022). The temporary beside it, ``.NAME.HOST.PID.RANDOM.tmp``, names its
    writer, so a save killed midway leaves nothing for good: the next save of ``path``
    removes the temporaries of writers on this host that no longer run, never a live
    one's (two processes may save the same path at once; the last rename wins).
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    remove_stale_temporaries(path)
    fd, tmp = open_temporary(path)
    try:
        with os.fdopen(fd, "wb") as f:
            np.savez(f, **arrays)  # type: ignore[arg-type]
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def model_config(model: Sequential) -> dict[str, Any]:
    """The JSON-able description of ``model`` (no weights)."""
    from . import __version__

    return {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "nnscratch_version": __version__,
        "dtype": str(model.dtype),
        "input_shape": list(model.input_shape) if model.input_shape else None,
        "layers": [{"class": class_key(type(layer)), "config": layer.get_config(),
                    "params": [p.name for p in layer.parameters()],
                    "state": sorted(layer.state_arrays())} for layer in model.layers],
        "loss": None if model.loss is None else
        {"class": class_key(type(model.loss)), "config": model.loss.get_config()},
        "optimizer": None if model.optimizer is None else
        {"class": class_key(type(model.optimizer)), "config": model.optimizer.get_config()},
        "metrics": model.metric_names if isinstance(model.metric_names, str)
        else [m for m in model.metric_names if isinstance(m, str)],
    }


def model_arrays(model: Sequential) -> dict[str, np.ndarray]:
    """Every parameter and saved state array of ``model``, by its key in the file."""
    arrays: dict[str, np.ndarray] = {}
    for i, layer in enumerate(model.layers):
        for p in layer.parameters():
            arrays[f"layers.{i}.{p.name}"] = p.data
        for name, value in layer.state_arrays().items():
            arrays[f"layers.{i}.state.{name}"] = np.asarray(value)
    return arrays


def load_arrays_into(model: Sequential, arrays: dict[str, np.ndarray],
                     source: str = "model") -> None:
    """Copy :func:`model_arrays`-style entries into ``model``'s parameters and layer state.

    Every parameter must be present with its shape; keys of other kinds (``optimizer.*``)
    are ignored. Parameters are updated in place, so the optimizer's references stay valid.

    Raises
    ------
    ValueError
        A parameter is missing or has another shape (names the key and both shapes).
    """
    for i, layer in enumerate(model.layers):
        for p in layer.parameters():
            key = f"layers.{i}.{p.name}"
            if key not in arrays:
                raise ValueError(f"{source}: missing array {key!r} for {layer} (layer {i})")
            if arrays[key].shape != p.data.shape:
                raise ValueError(f"{source}: {key} has shape {arrays[key].shape}, "
                                 f"{layer} expects {p.data.shape}")
            p.data[...] = arrays[key]
        prefix = f"layers.{i}.state."
        state = {k[len(prefix):]: v for k, v in arrays.items() if k.startswith(prefix)}
        layer.load_state_arrays(state)


# -- nested state <-> JSON + arrays ------------------------------------------------------
_ARRAY_REF = "__array__"


def split_arrays(obj: Any, prefix: str, arrays: dict[str, np.ndarray]) -> Any:
    """A JSON-able copy of ``obj`` with every ndarray moved into ``arrays``.

    Dicts (string keys), lists and tuples are walked; an array becomes
    ``{"__array__": key}`` with ``arrays[key]`` a copy of it (``key`` is ``prefix`` plus
    the path: ``optimizer.state.0.exp_avg``); NumPy scalars become Python numbers.
    Inverse: :func:`join_arrays`.
    """
    if isinstance(obj, np.ndarray):
        arrays[prefix] = obj.copy()
        return {_ARRAY_REF: prefix}
    if isinstance(obj, dict):
        out = {}
        for k, v in obj.items():
            if not isinstance(k, str):
                raise TypeError(f"{prefix}: state keys must be strings, got {k!r}")
            out[k] = split_arrays(v, f"{prefix}.{k}", arrays)
        return out
    if isinstance(obj, (list, tuple)):
        return [split_arrays(v, f"{prefix}.{i}", arrays) for i, v in enumerate(obj)]
    if isinstance(obj, np.generic):
        return obj.item()
    return obj


def join_arrays(obj: Any, arrays: dict[str, np.ndarray], source: str = "checkpoint") -> Any:
    """Undo :func:`split_arrays`: put the arrays back where the references are."""
    if isinstance(obj, dict):
        if set(obj) == {_ARRAY_REF}:
            key = obj[_ARRAY_REF]
            if key not in arrays:
                raise ValueError(f"{source}: the header refers to array {key!r}, "
                                 "which the file does not hold")
            return arrays[key]
        return {k: join_arrays(v, arrays, source) for k, v in obj.items()}
    if isinstance(obj, list):
        return [join_arrays(v, arrays, source) for v in obj]
    return obj


def save_checkpoint(model: Sequential, path: str | os.PathLike[str],
                    training: dict[str, Any], metadata: dict[str, Any] | None = None
                    ) -> Path:
    """Write ``model`` and its training state to ``path``, atomically.

    ``training`` is a nested dict of JSON values and arrays (as
    ``Sequential._training_state`` builds it); its arrays are stored as entries named by
    their path, the rest in the header. Returns the path.
    """
    config = model_config(model)
    config["metadata"] = metadata or {}
    arrays = dict(model_arrays(model))
    config["training"] = split_arrays(training, "training", arrays)
    try:
        text = json.dumps(config)
    except TypeError as err:
        raise ValueError(f"save_checkpoint: state must be JSON-serialisable: {err}") from None
    return atomic_savez(path, {_META_KEY: np.array(text), **arrays})


def read_checkpoint(path: str | os.PathLike[str]
                    ) -> tuple[dict[str, Any], dict[str, np.ndarray], dict[str, Any]]:
    """The header, the arrays and the training state (arrays joined back) of a checkpoint.

    Raises
    ------
    ValueError
        The file is a model saved without training state, or is not an nnscratch file.
    """
    header, arrays = read_npz(path)
    if "training" not in header:
        raise ValueError(f"{path}: a saved model without training state, not a checkpoint "
                         "(write one with model.save_checkpoint or "
                         "ModelCheckpoint(..., save_training_state=True))")
    return header, arrays, join_arrays(header["training"], arrays, str(path))


def save_model(model: Sequential, path: str | os.PathLike[str],
               metadata: dict[str, Any] | None = None) -> Path:
    """Write ``model`` to ``path`` (see the module doc). Returns the path."""
    config = model_config(model)
    config["metadata"] = metadata or {}
    try:
        text = json.dumps(config)
    except TypeError as err:
        raise ValueError(f"save: metadata and layer configs must be JSON-serialisable: {err}"
                         ) from None
    return atomic_savez(path, {_META_KEY: np.array(text), **model_arrays(model)})


def read_npz(path: str | os.PathLike[str]) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
    """The JSON header and the arrays of a file written by :func:`atomic_savez`."""
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"{path}: no such model file")
    try:
        with np.load(path, allow_pickle=False) as npz:
            if not hasattr(npz, "files"):
                raise ValueError("a single .npy array, not an .npz archive")
            arrays = {k: npz[k] for k in npz.files}
    except FileNotFoundError:
        raise
    except (zipfile.BadZipFile, EOFError, OSError, ValueError) as err:
        raise ValueError(f"{path}: not an nnscratch model file (not a valid .npz: {err})"
                         ) from None
    if _META_KEY not in arrays:
        raise ValueError(f"{path}: not an nnscratch model file (no {_META_KEY} entry; "
                         f"found {sorted(arrays)[:5]})")
    try:
        header = json.loads(str(arrays.pop(_META_KEY)))
    except json.JSONDecodeError as err:
        raise ValueError(f"{path}: corrupt model header: {err}") from None
    if not isinstance(header, dict) or header.get("format") != FORMAT:
        raise ValueError(f"{path}: not an nnscratch model file (format "
                         f"{header.get('format') if isinstance(header, dict) else header!r})")
    version = header.get("format_version")
    if not isinstance(version, int) or version > FORMAT_VERSION:
        raise ValueError(f"{path}: model format version {version!r} is newer than this "
                         f"nnscratch reads ({FORMAT_VERSION}); upgrade nnscratch")
    return header, arrays


def build_model(header: dict[str, Any], arrays: dict[str, np.ndarray], source: str = "model"
                ) -> Sequential:
    """Rebuild a model from :func:`model_config` output and :func:`model_arrays` output."""
    from .layers.base import LAYER_REGISTRY
    from .losses import LOSS_REGISTRY
    from .model import Sequential
    from .optimizers import OPTIMIZER_REGISTRY

    layers = []
    for i, spec in enumerate(header["layers"]):
        cls = LAYER_REGISTRY.get(spec["class"])
        if cls is None:
            raise ValueError(f"{source}: layer {i} has unknown class {spec['class']!r}")
        layer = cls.from_config(spec["config"])
        layer.astype(header["dtype"])
        layers.append(layer)
    model = Sequential(layers)
    load_arrays_into(model, arrays, source)
    if header.get("input_shape"):
        model.input_shape = tuple(header["input_shape"])
    if header.get("loss"):
        loss_cls = LOSS_REGISTRY.get(header["loss"]["class"])
        opt = header.get("optimizer")
        opt_cls = OPTIMIZER_REGISTRY.get(opt["class"]) if opt else None
        if loss_cls is not None:
            model.use(loss_cls(**header["loss"]["config"]),
                      opt_cls(**opt["config"]) if opt_cls is not None and opt else None,
                      metrics=header.get("metrics", "auto"))
    model.metadata = header.get("metadata", {})  # type: ignore[attr-defined]
    model.eval()
    return model


def load(path: str | os.PathLike[str]) -> Sequential:
    """Load a model saved by :meth:`Sequential.save`.

    The returned model has its layers, weights, loss and optimizer settings (not the
    optimizer's state: see checkpoints for resuming training) and ``model.metadata``.

    Raises
    ------
    FileNotFoundError
        No file at ``path``.
    ValueError
        The file is not an nnscratch model, is corrupt, or is from a newer format.
    """
    header, arrays = read_npz(path)
    return build_model(header, arrays, source=str(path))
