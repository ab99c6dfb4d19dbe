"""A bridge to PyTorch: the same network as a ``torch.nn.Sequential``, and back.

:func:`to_torch` turns each nnscratch layer into the ``torch.nn`` module that computes the
same function, with the same weights; :func:`from_torch` does the reverse for a
``torch.nn.Sequential`` of the modules nnscratch has, and refuses, naming the module and
the option, what no nnscratch layer computes (dilation, groups, ``ceil_mode``, ...).

==================  ==================================================================
nnscratch           torch.nn
==================  ==================================================================
Dense               Linear (``weight`` is ``W.T``: torch holds (out, in))
Conv2D              Conv2d (``padding="same"`` as such; ``weight`` is ``W``)
MaxPool2D           MaxPool2d
AvgPool2D           AvgPool2d(count_include_pad=True)
GlobalAvgPool2D     Sequential(AdaptiveAvgPool2d(1), Flatten())
Flatten             Flatten()
Reshape(shape)      Sequential(Flatten(), Unflatten(1, shape))
BatchNorm1D/2D      BatchNorm1d/2d, running statistics and ``num_batches_tracked``
Dropout             Dropout
Identity, ReLU,     Identity, ReLU, LeakyReLU(negative_slope), Sigmoid, Tanh,
LeakyReLU, Sigmoid, Softmax(dim=axis)
Tanh, Softmax
==================  ==================================================================

torch is imported only when a function is called.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from .layers import (
    AvgPool2D,
    BatchNorm1D,
    BatchNorm2D,
    Conv2D,
    Dense,
    Dropout,
    Flatten,
    GlobalAvgPool2D,
    Identity,
    Layer,
    LeakyReLU,
    MaxPool2D,
    ReLU,
    Reshape,
    Sigmoid,
    Softmax,
    Tanh,
)


def _torch() -> Any:
    try:
        import torch
    except ImportError:
        raise ImportError("the PyTorch bridge needs torch: pip install 'nnscratch[reference]'"
                          ) from None
    return torch


# -- nnscratch -> torch ----------------------------------------------------------------------
def _copy(torch: Any, target: Any, array: np.ndarray) -> None:
    with torch.no_grad():
        target.copy_(torch.from_numpy(np.ascontiguousarray(array)))


def _linear(torch: Any, layer: Dense, dtype: Any) -> Any:
    m = torch.nn.Linear(layer.in_features, layer.out_features, bias=layer.b is not None,
                        dtype=dtype)
    _copy(torch, m.weight, layer.W.data.T)  # (out, in)
    if layer.b is not None:
        _copy(torch, m.bias, layer.b.data)
    return m


def _conv2d(torch: Any, layer: Conv2D, dtype: Any) -> Any:
    m = torch.nn.Conv2d(layer.in_channels, layer.out_channels, layer.kernel_size,
                        stride=layer.stride, padding=layer.padding, bias=layer.b is not None,
                        dtype=dtype)
    _copy(torch, m.weight, layer.W.data)  # (F, C, kH, kW) in both
    if layer.b is not None:
        _copy(torch, m.bias, layer.b.data)
    return m


def _batchnorm(torch: Any, layer: BatchNorm1D | BatchNorm2D, dtype: Any) -> Any:
    cls = torch.nn.BatchNorm2d if isinstance(layer, BatchNorm2D) else torch.nn.BatchNorm1d
    m = cls(layer.num_features, eps=layer.eps, momentum=layer.momentum, affine=layer.affine,
            dtype=dtype)
    if layer.gamma is not None and layer.beta is not None:
        _copy(torch, m.weight, layer.gamma.data)
        _copy(torch, m.bias, layer.beta.data)
    _copy(torch, m.running_mean, layer.running_mean)
    _copy(torch, m.running_var, layer.running_var)
    m.num_batches_tracked.fill_(layer.num_batches_tracked)
    return m


#: nnscratch layer class -> function(torch, layer, torch dtype) -> module.
TO_TORCH: dict[type[Layer], Callable[[Any, Any, Any], Any]] = {
    Dense: _linear,
    Conv2D: _conv2d,
    MaxPool2D: lambda t, layer, dt: t.nn.MaxPool2d(layer.kernel_size, layer.stride,
                                                   layer.padding),
    AvgPool2D: lambda t, layer, dt: t.nn.AvgPool2d(layer.kernel_size, layer.stride,
                                                   layer.padding, count_include_pad=True),
    GlobalAvgPool2D: lambda t, layer, dt: t.nn.Sequential(t.nn.AdaptiveAvgPool2d(1),
                                                          t.nn.Flatten()),
    Flatten: lambda t, layer, dt: t.nn.Flatten(),
    Reshape: lambda t, layer, dt: t.nn.Sequential(t.nn.Flatten(),
                                                  t.nn.Unflatten(1, layer.shape)),
    BatchNorm1D: _batchnorm,
    BatchNorm2D: _batchnorm,
    Dropout: lambda t, layer, dt: t.nn.Dropout(layer.p),
    Identity: lambda t, layer, dt: t.nn.Identity(),
    ReLU: lambda t, layer, dt: t.nn.ReLU(),
    LeakyReLU: lambda t, layer, dt: t.nn.LeakyReLU(layer.negative_slope),
    Sigmoid: lambda t, layer, dt: t.nn.Sigmoid(),
    Tanh: lambda t, layer, dt: t.nn.Tanh(),
    Softmax: lambda t, layer, dt: t.nn.Softmax(dim=layer.axis),
}


def _dtype(layer: Layer) -> np.dtype:
    """The dtype of a layer's parameters or statistics (float32 for a layer without)."""
    params = layer.parameters()
    if params:
        return params[0].data.dtype
    stats = getattr(layer, "running_mean", None)
    return stats.dtype if isinstance(stats, np.ndarray) else np.dtype(np.float32)


def to_torch(model: Any) -> Any:
    """The same network as a ``torch.nn.Sequential``, with copies of the weights.

    Parameters
    ----------
    model : Sequential, Network or list of Layer
        Every layer must be one nnscratch has (see the module doc); a layer of your own
        raises a ValueError naming it.

    Returns
    -------
    torch.nn.Sequential
        Module ``i`` is layer ``i`` (GlobalAvgPool2D and Reshape are each a small nested
        ``Sequential``), in the model's dtype (float32 or float64) and each in its
        layer's mode (``training``). Weights, biases, BatchNorm's running statistics and
        ``num_batches_tracked`` are copied, so changing one model leaves the other as it
        was. For a Dense layer, ``linear.weight`` is ``W.T``.

    Examples
    --------
    >>> net = nn.to_torch(model)                                    # doctest: +SKIP
    >>> y = net(torch.from_numpy(x))           # == model.forward(x)  # doctest: +SKIP
    """
    torch = _torch()
    layers = list(getattr(model, "layers", model))
    modules = []
    for i, layer in enumerate(layers):
        convert = TO_TORCH.get(type(layer))
        if convert is None:
            raise ValueError(f"to_torch: layer {i} ({layer}) has no PyTorch equivalent here; "
                             f"the bridge knows {sorted(c.__name__ for c in TO_TORCH)}")
        dtype = torch.float64 if _dtype(layer) == np.float64 else torch.float32
        module = convert(torch, layer, dtype)
        module.train(layer.training)
        modules.append(module)
    return torch.nn.Sequential(*modules)


# -- torch -> nnscratch ----------------------------------------------------------------------
class _Refuse(ValueError):
    """What a module asks that no nnscratch layer does: its option and why."""


def _leaves(torch: Any, module: Any, prefix: str = "") -> list[tuple[str, Any]]:
    """The modules of a Sequential, nested Sequentials opened, by their dotted names."""
    out: list[tuple[str, Any]] = []
    for name, child in module.named_children():
        if isinstance(child, torch.nn.Sequential):
            out += _leaves(torch, child, f"{prefix}{name}.")
        else:
            out.append((f"{prefix}{name}", child))
    return out


def _np_dtype(torch: Any, module: Any) -> Any:
    """float32 or float64: the dtype of the module's parameters and buffers (if any)."""
    tensors = [*module.parameters(), *(b for b in module.buffers() if b.is_floating_point())]
    if not tensors:
        return None
    dtype = tensors[0].dtype
    if dtype not in (torch.float32, torch.float64):
        raise _Refuse(f"dtype {dtype}: nnscratch computes in float32 or float64; call "
                      ".float() or .double() first")
    return np.float64 if dtype == torch.float64 else np.float32


def _numpy(tensor: Any) -> np.ndarray:
    return tensor.detach().cpu().numpy().copy()


def _not_one(value: Any) -> bool:
    return any(v != 1 for v in (value if isinstance(value, (tuple, list)) else (value,)))


def _from_linear(torch: Any, m: Any) -> Layer:
    # zeros and a fixed rng: no random draws, none taken from the library's generator
    layer = Dense(m.in_features, m.out_features, bias=m.bias is not None, init="zeros",
                  rng=0, dtype=_np_dtype(torch, m))
    layer.W.data[...] = _numpy(m.weight).T  # (in, out)
    if layer.b is not None:
        layer.b.data[...] = _numpy(m.bias)
    return layer


def _from_conv2d(torch: Any, m: Any) -> Layer:
    if _not_one(m.dilation):
        raise _Refuse(f"dilation={m.dilation}: nnscratch's Conv2D has no dilation")
    if m.groups != 1:
        raise _Refuse(f"groups={m.groups}: nnscratch's Conv2D connects every input "
                      "channel to every output channel (groups=1)")
    if m.padding_mode != "zeros":
        raise _Refuse(f"padding_mode={m.padding_mode!r}: nnscratch's Conv2D pads with "
                      "zeros")
    layer = Conv2D(m.in_channels, m.out_channels, m.kernel_size, stride=m.stride,
                   padding=m.padding, bias=m.bias is not None, init="zeros", rng=0,
                   dtype=_np_dtype(torch, m))
    layer.W.data[...] = _numpy(m.weight)
    if layer.b is not None:
        layer.b.data[...] = _numpy(m.bias)
    return layer


def _from_maxpool(torch: Any, m: Any) -> Layer:
    if _not_one(m.dilation):
        raise _Refuse(f"dilation={m.dilation}: nnscratch's MaxPool2D has no dilation")
    if m.ceil_mode:
        raise _Refuse("ceil_mode=True: nnscratch's pooling rounds the output size down "
                      "(ceil_mode=False)")
    if m.return_indices:
        raise _Refuse("return_indices=True: nnscratch's MaxPool2D returns the maxima only")
    return MaxPool2D(m.kernel_size, m.stride, m.padding)


def _from_avgpool(torch: Any, m: Any) -> Layer:
    if m.ceil_mode:
        raise _Refuse("ceil_mode=True: nnscratch's pooling rounds the output size down "
                      "(ceil_mode=False)")
    if m.divisor_override is not None:
        raise _Refuse(f"divisor_override={m.divisor_override}: nnscratch's AvgPool2D "
                      "divides by the window's size")
    if not m.count_include_pad and _not_zero(m.padding):
        raise _Refuse("count_include_pad=False: nnscratch's AvgPool2D counts the padding "
                      "zeros in every mean (count_include_pad=True)")
    return AvgPool2D(m.kernel_size, m.stride, m.padding)


def _not_zero(value: Any) -> bool:
    return any(v != 0 for v in (value if isinstance(value, (tuple, list)) else (value,)))


def _from_batchnorm(torch: Any, m: Any) -> Layer:
    if not m.track_running_stats:
        raise _Refuse("track_running_stats=False: nnscratch's BatchNorm keeps running "
                      "statistics and uses them in evaluation mode")
    cls = BatchNorm2D if isinstance(m, torch.nn.BatchNorm2d) else BatchNorm1D
    layer = cls(m.num_features, momentum=m.momentum, eps=m.eps, affine=m.affine,
                dtype=_np_dtype(torch, m))
    if layer.gamma is not None and layer.beta is not None:
        layer.gamma.data[...] = _numpy(m.weight)
        layer.beta.data[...] = _numpy(m.bias)
    layer.load_state_arrays({"running_mean": _numpy(m.running_mean),
                             "running_var": _numpy(m.running_var),
                             "num_batches_tracked": _numpy(m.num_batches_tracked)})
    return layer


def _from_softmax(torch: Any, m: Any) -> Layer:
    if m.dim is None:
        raise _Refuse("dim=None: torch's implicit dimension is deprecated; give dim")
    return Softmax(axis=m.dim)


def _from_flatten(torch: Any, m: Any) -> Layer:
    if (m.start_dim, m.end_dim) != (1, -1):
        raise _Refuse(f"start_dim={m.start_dim}, end_dim={m.end_dim}: nnscratch's Flatten "
                      "keeps the batch axis and flattens the rest (start_dim=1, end_dim=-1)")
    return Flatten()


#: torch.nn class name -> function(torch, module) -> layer, for one-to-one modules.
FROM_TORCH: dict[str, Callable[[Any, Any], Layer]] = {
    "Linear": _from_linear,
    "Conv2d": _from_conv2d,
    "MaxPool2d": _from_maxpool,
    "AvgPool2d": _from_avgpool,
    "BatchNorm1d": _from_batchnorm,
    "BatchNorm2d": _from_batchnorm,
    "Flatten": _from_flatten,
    "Dropout": lambda t, m: Dropout(m.p),
    "Identity": lambda t, m: Identity(),
    "ReLU": lambda t, m: ReLU(),
    "LeakyReLU": lambda t, m: LeakyReLU(m.negative_slope),
    "Sigmoid": lambda t, m: Sigmoid(),
    "Tanh": lambda t, m: Tanh(),
    "Softmax": _from_softmax,
}
#: Modules read with their neighbours: see :func:`from_torch`.
PATTERNS = ("AdaptiveAvgPool2d", "Unflatten")


def _kind(torch: Any, m: Any) -> str | None:
    """The torch.nn class name of ``m`` when it is exactly one the bridge reads."""
    name = type(m).__name__
    known = name in FROM_TORCH or name in PATTERNS
    return name if known and type(m) is getattr(torch.nn, name, None) else None


def _global_pool(m: Any, following: Any, torch: Any) -> tuple[list[Layer], bool]:
    """AdaptiveAvgPool2d(1): GlobalAvgPool2D, with the Flatten after it when there is one
    (else a Reshape back to (N, C, 1, 1)); returns the layers and whether it took the
    Flatten."""
    size = m.output_size if isinstance(m.output_size, tuple) else (m.output_size,) * 2
    if tuple(size) != (1, 1):
        raise _Refuse(f"output_size={m.output_size}: nnscratch has global average pooling "
                      "only (output_size=1)")
    if (following is not None and _kind(torch, following) == "Flatten"
            and (following.start_dim, following.end_dim) == (1, -1)):
        return [GlobalAvgPool2D()], True
    return [GlobalAvgPool2D(), Reshape((-1, 1, 1))], False


def from_torch(module: Any) -> Any:
    """The nnscratch network equal to a ``torch.nn.Sequential``, with copies of its weights.

    Parameters
    ----------
    module : torch.nn.Sequential
        Of the modules listed in the module doc (nested Sequentials are opened), in
        float32 or float64. Also read: ``AdaptiveAvgPool2d(1)`` (GlobalAvgPool2D, taking
        a following ``Flatten()``), ``Flatten()`` then ``Unflatten(1, shape)``
        (Reshape), and ``Unflatten(1, shape)`` on (N, D) activations (Reshape).

    Returns
    -------
    Sequential
        Without a loss or optimizer (add them with ``use``); its layers in the dtype and
        the mode (``training``) of the modules. BatchNorm's running statistics and
        ``num_batches_tracked`` are copied.

    Raises
    ------
    ValueError
        A module nnscratch has no layer for, or an option no nnscratch layer has, named
        with the module's position: ``from_torch: module 0 (Conv2d(3, 8, ...,
        dilation=(2, 2))): dilation=(2, 2): nnscratch's Conv2D has no dilation``.
        Refused are dilation, groups and a padding_mode other than zeros (Conv2d),
        ceil_mode, return_indices and dilation (MaxPool2d), ceil_mode, divisor_override
        and count_include_pad=False with padding (AvgPool2d), track_running_stats=False
        (BatchNorm), Softmax without dim, Flatten of other dims, AdaptiveAvgPool2d to
        other sizes than 1×1, Unflatten of other than (N, D) activations, dtypes other
        than float32 and float64, and every other module.

    Examples
    --------
    >>> net = torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.ReLU(),
    ...                           torch.nn.Linear(8, 3))              # doctest: +SKIP
    >>> model = nn.from_torch(net).use(nn.SoftmaxCrossEntropy())     # doctest: +SKIP
    """
    torch = _torch()
    if not isinstance(module, torch.nn.Sequential):
        raise ValueError(f"from_torch: expected a torch.nn.Sequential, got "
                         f"{type(module).__name__}")
    from .model import Sequential

    items = _leaves(torch, module)
    layers: list[Layer] = []
    rank: int | None = None  # ndim of the activations here, where known
    i = 0
    while i < len(items):
        name, m = items[i]
        following = items[i + 1][1] if i + 1 < len(items) else None
        try:
            new, took_next, rank = _convert(torch, m, following, rank)
        except ValueError as err:
            text = repr(m) if "\n" not in repr(m) else type(m).__name__
            raise ValueError(f"from_torch: module {name} ({text}): {err}") from None
        for layer in new:
            layer.train(m.training)
        layers += new
        i += 2 if took_next else 1
    return Sequential(layers)


def _convert(torch: Any, m: Any, following: Any, rank: int | None
             ) -> tuple[list[Layer], bool, int | None]:
    """The layers for module ``m`` (and maybe ``following``), whether ``following`` was
    used, and the rank of the activations after them."""
    kind = _kind(torch, m)
    if kind is None:
        raise _Refuse(f"nnscratch has no layer for torch.nn.{type(m).__name__}; from_torch "
                      f"reads {sorted([*FROM_TORCH, *PATTERNS])}")
    if kind == "AdaptiveAvgPool2d":
        layers, took = _global_pool(m, following, torch)
        return layers, took, 2 if took else 4
    if kind == "Unflatten":
        return [_unflatten(m, rank)], False, 1 + len(m.unflattened_size)
    if kind == "Flatten" and following is not None and _kind(torch, following) == "Unflatten":
        _from_flatten(torch, m)
        return [_unflatten(following, 2)], True, 1 + len(following.unflattened_size)
    layer = FROM_TORCH[kind](torch, m)
    if kind in ("Linear", "Flatten"):
        rank = 2
    elif kind in ("Conv2d", "MaxPool2d", "AvgPool2d", "BatchNorm2d"):
        rank = 4
    return [layer], False, rank


def _unflatten(m: Any, rank: int | None) -> Layer:
    if rank != 2 or m.dim not in (1, -1):
        raise _Refuse(f"dim={m.dim}: an nnscratch Reshape unflattens dimension 1 of "
                      "(N, D) activations; put it after Flatten() or Linear")
    return Reshape(tuple(int(d) for d in m.unflattened_size))
