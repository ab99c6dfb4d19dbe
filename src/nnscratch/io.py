"""Saving and loading models: one ``.npz`` file, architecture as JSON, weights as arrays.

The file holds an entry ``__nnscratch__`` (a JSON string: format name and version, the
layers' classes and constructor arguments, the loss, the optimizer, user metadata) and one
array per parameter (``layers.0.W``) or saved state (``layers.3.state.running_mean``).
It is read back without pickle (loading a file never runs code), bounded and strict:
see :mod:`nnscratch._npzread` (sizes checked before allocating, ``max_bytes``) and
:mod:`nnscratch._loadcheck` (header and arrays checked before any layer is built).
Files are written to a temporary file beside the target and renamed into place, so a crash never
leaves a half-written model.

This module converts between files and the model's dicts (:meth:`Sequential.get_config`,
:meth:`Sequential.state_dict`) and imports nothing that imports it back: :mod:`nnscratch.model`
imports it, and sets :data:`MODEL_CLASS`, the class :func:`load` builds.

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
from inspect import signature
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from . import _loadcheck as check
from ._atomic import write_atomically
from ._npzread import DEFAULT_MAX_BYTES
from ._npzread import read_npz as _read_arrays

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
    return write_atomically(path, lambda f: np.savez(f, **arrays))  # type: ignore[arg-type]


def model_config(model: Sequential) -> dict[str, Any]:
    """The JSON-able header of ``model``'s file: the format's name and versions, then
    :meth:`Sequential.get_config` (no weights)."""
    from . import __version__

    return {"format": FORMAT, "format_version": FORMAT_VERSION,
            "nnscratch_version": __version__, **model.get_config()}


def model_arrays(model: Sequential) -> dict[str, np.ndarray]:
    """Every parameter and saved state array of ``model``, by its key in the file
    (:meth:`Sequential.state_dict`)."""
    return model.state_dict()


def load_arrays_into(model: Sequential, arrays: dict[str, np.ndarray],
                     source: str = "model") -> None:
    """Copy :func:`model_arrays`-style entries into ``model``
    (:meth:`Sequential.load_state_dict`, whose errors start with ``source``)."""
    model.load_state_dict(arrays, source)


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
    :func:`nnscratch.training.training_state_dict` builds it); its arrays are stored as
    entries named by their path, the rest in the header. Returns the path.
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


def read_checkpoint(path: str | os.PathLike[str], max_bytes: int | None = DEFAULT_MAX_BYTES
                    ) -> tuple[dict[str, Any], dict[str, np.ndarray], dict[str, Any]]:
    """The header, the arrays and the training state (arrays joined back) of a checkpoint.

    ``max_bytes`` caps the array data read, as for :func:`load`.

    Raises
    ------
    ValueError
        The file is a model saved without training state, is not an nnscratch file, or
        its training state lacks a key or has a value of the wrong kind (names the key).
    """
    header, arrays = read_npz(path, max_bytes)
    if "training" not in header:
        raise ValueError(f"{path}: a saved model without training state, not a checkpoint "
                         "(write one with model.save_checkpoint or "
                         "ModelCheckpoint(..., save_training_state=True))")
    training = join_arrays(header["training"], arrays, str(path))
    check.check_training(training, str(path))
    check.check_unread(header, arrays, _ARRAY_REF, str(path))
    return header, arrays, training


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


def read_npz(path: str | os.PathLike[str], max_bytes: int | None = DEFAULT_MAX_BYTES
             ) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
    """The JSON header and the arrays of a file written by :func:`atomic_savez`.

    The arrays are read bounded (at most ``max_bytes`` of data, each size checked before
    it is allocated) and the header's keys are checked (see :mod:`nnscratch._loadcheck`).
    """
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"{path}: no such model file")
    if not zipfile.is_zipfile(path):
        raise ValueError(f"{path}: not an nnscratch model file (not a valid .npz: not a zip "
                         "archive)")
    arrays = _read_arrays(path, max_bytes)
    meta = arrays.pop(_META_KEY, None)
    if meta is None:
        raise ValueError(f"{path}: not an nnscratch model file (no {_META_KEY} entry; "
                         f"found {sorted(arrays)[:5]})")
    if meta.dtype.kind != "U" or meta.ndim != 0:
        raise ValueError(f"{path}: corrupt model header: {_META_KEY} is an array of "
                         f"{meta.dtype} of shape {meta.shape}, expected a 0-d text array")
    try:
        header = json.loads(str(meta))
    except (json.JSONDecodeError, RecursionError) as err:
        raise ValueError(f"{path}: corrupt model header: {err}") from None
    if not isinstance(header, dict) or header.get("format") != FORMAT:
        raise ValueError(f"{path}: not an nnscratch model file (format "
                         f"{header.get('format') if isinstance(header, dict) else header!r})")
    _check_version(header.get("format_version", None), str(path))
    check.check_header(header, str(path))
    if header["format_version"] == 1:
        _upgrade_weight_decay(header)
    return header, arrays


def _upgrade_weight_decay(header: dict[str, Any]) -> None:
    """Format 1's ``weight_decay`` skipped biases and normalisation parameters: keep that.

    Since format 2 it applies to every parameter unless the optimizer's
    ``exclude_bias_and_norm`` is set, so a format-1 file with weight decay gets the switch
    set, and loads and resumes with the updates it was trained with.
    """
    training = header.get("training")
    specs = [header.get("optimizer"),
             training.get("optimizer") if isinstance(training, dict) else None]
    for spec in specs:
        if not isinstance(spec, dict) or not isinstance(spec.get("config"), dict):
            continue
        config, cls = spec["config"], check.optimizer_class(spec.get("class"))
        takes_switch = cls is not None and "exclude_bias_and_norm" in signature(cls).parameters
        if takes_switch and config.get("weight_decay") and "exclude_bias_and_norm" not in config:
            config["exclude_bias_and_norm"] = True


#: The oldest format version this nnscratch reads (every version up to FORMAT_VERSION).
OLDEST_FORMAT_VERSION = 1


def _check_version(version: Any, source: str) -> None:
    readable = f"this nnscratch reads versions {OLDEST_FORMAT_VERSION} to {FORMAT_VERSION}"
    if isinstance(version, bool) or not isinstance(version, int):
        raise ValueError(f"{source}: header key 'format_version' must be an integer, got "
                         f"{version!r:.100}; {readable}")
    if version > FORMAT_VERSION:
        raise ValueError(f"{source}: model format version {version} is newer than this "
                         f"nnscratch reads ({FORMAT_VERSION}); upgrade nnscratch")
    if version < OLDEST_FORMAT_VERSION:
        raise ValueError(f"{source}: model format version {version} was never written by "
                         f"nnscratch; {readable}")


#: The class :func:`load` and :func:`build_model` build: :class:`nnscratch.Sequential`,
#: set by :mod:`nnscratch.model` when it is imported (it imports this module, and this
#: one converts between dicts and files without importing it back).
MODEL_CLASS: Any = None


def build_model(header: dict[str, Any], arrays: dict[str, np.ndarray], source: str = "model"
                ) -> Sequential:
    """Rebuild a model from :func:`model_config` output and :func:`model_arrays` output.

    The header and the arrays are checked against each other before any layer is built
    (see :mod:`nnscratch._loadcheck`); layers are then built without drawing initial
    weights (:meth:`Sequential.from_config`), since the saved ones overwrite them.
    """
    from . import init as initializers

    check.check_header(header, source)
    check.check_layer_arrays(header, check.layer_classes(header, source), arrays, source)
    check.check_unread(header, arrays, _ARRAY_REF, source)
    with initializers.uninitialised():
        model = MODEL_CLASS.from_config(header, source)
    model.load_state_dict(arrays, source)
    model.metadata = header.get("metadata", {})
    model.eval()
    return model


def load(path: str | os.PathLike[str], *, max_bytes: int | None = DEFAULT_MAX_BYTES
         ) -> Sequential:
    """Load a model saved by :meth:`Sequential.save`.

    The returned model has its layers, weights, loss and optimizer settings (not the
    optimizer's state: see checkpoints for resuming training) and ``model.metadata``.

    Parameters
    ----------
    path : str or path-like
        The ``.npz`` file.
    max_bytes : int or None, default 1 GiB (``nnscratch._npzread.DEFAULT_MAX_BYTES``)
        The most bytes of array data to read; a file holding more is refused before it
        is read. Raise it for bigger models; None removes the cap (sizes are still
        checked against what the file really holds).

    Raises
    ------
    FileNotFoundError
        No file at ``path``.
    ValueError
        The file is not an nnscratch model, is corrupt, holds more than ``max_bytes``, is
        from a newer format, names an unknown class, has a config a class does not take,
        arrays that disagree with the header or that nothing reads. The message names the
        file and the key.
    """
    header, arrays = read_npz(path, max_bytes)
    return build_model(header, arrays, source=str(path))
