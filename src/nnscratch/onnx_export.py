"""Export a network to ONNX, the format onnxruntime (and most inference engines) serve.

Each nnscratch layer becomes the ONNX operator that computes the same function, with the
weights stored as initializers named as in a saved ``.npz`` (``layers.0.W``):

==================  =========================================================
layer               ONNX
==================  =========================================================
Dense               Gemm(x, W, b), W of shape (in, out) as nnscratch holds it
Conv2D              Conv, explicit pads (``"same"`` as the layer pads it)
MaxPool2D           MaxPool, floor mode
AvgPool2D           AveragePool, ``count_include_pad=1`` (nnscratch divides
                    every window by kH·kW, padding included)
GlobalAvgPool2D     GlobalAveragePool, then Flatten to (N, C)
Flatten             Flatten(axis=1)
Reshape             Reshape to (N, *shape)
BatchNorm1D/2D      BatchNormalization with the running statistics (inference)
Dropout, Identity   Identity (dropout is the identity at inference)
ReLU, LeakyReLU,    Relu, LeakyRelu(alpha), Sigmoid, Tanh, Softmax(axis)
Sigmoid, Tanh,
Softmax
==================  =========================================================

The graph is float32 (onnxruntime's CPU provider has no float64 convolution or pooling),
has a dynamic batch axis ``N``, reads ``input`` and writes an output named after what it
holds: ``probabilities``, ``logits`` or (a regression model) ``output``. The ``onnx``
package is imported only when exporting (``pip install 'nnscratch[onnx]'``).
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from typing import Any

import numpy as np

from ._atomic import write_atomically
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
from .layers.base import Shape

#: The opset ``opset=None`` writes, tested against onnxruntime, and its IR version (the
#: pair onnx 1.12 introduced; every onnxruntime since 1.12 reads it).
DEFAULT_OPSET = 17
DEFAULT_IR_VERSION = 8
#: The oldest opset accepted: Softmax takes one axis from 13 on (before, it flattened).
MIN_OPSET = 13

OUTPUTS = ("probabilities", "logits")
RAW_DTYPES = ("float32", "uint8")
#: Metadata entries of a model saved by ``nnscratch train`` copied into the ONNX file
#: (``data_dir`` is left out: a path on the training machine means nothing to a server).
METADATA_KEYS = ("dataset", "classes", "n_classes", "preprocess")


def _onnx() -> Any:
    try:
        import onnx
    except ImportError:
        raise ImportError("ONNX export needs the onnx package: pip install 'nnscratch[onnx]'"
                          ) from None
    return onnx


class _Graph:
    """The nodes and initializers of the graph being built."""

    def __init__(self, onnx: Any) -> None:
        self.helper = onnx.helper
        self.numpy_helper = onnx.numpy_helper
        self.nodes: list[Any] = []
        self.initializers: list[Any] = []

    def const(self, name: str, array: np.ndarray) -> str:
        """Store ``array`` (floats as float32) as the initializer ``name``."""
        array = np.asarray(array)
        if array.dtype.kind == "f":
            array = array.astype(np.float32)
        self.initializers.append(self.numpy_helper.from_array(np.ascontiguousarray(array),
                                                              name))
        return name

    def node(self, op: str, inputs: list[str], output: str, **attrs: Any) -> str:
        self.nodes.append(self.helper.make_node(op, inputs, [output], name=output, **attrs))
        return output


# -- one converter per layer class: (graph, layer, input, output, prefix) -----------------
Converter = Callable[[_Graph, Any, str, str, str], None]


def _dense(g: _Graph, layer: Dense, x: str, y: str, prefix: str) -> None:
    inputs = [x, g.const(f"{prefix}.W", layer.W.data)]  # (in, out): y = x @ W + b
    if layer.b is not None:
        inputs.append(g.const(f"{prefix}.b", layer.b.data))
    g.node("Gemm", inputs, y)


def _conv(g: _Graph, layer: Conv2D, x: str, y: str, prefix: str) -> None:
    top, bottom, left, right = layer._pads
    inputs = [x, g.const(f"{prefix}.W", layer.W.data)]  # (F, C, kH, kW), ONNX's layout
    if layer.b is not None:
        inputs.append(g.const(f"{prefix}.b", layer.b.data))
    g.node("Conv", inputs, y, kernel_shape=list(layer.kernel_size),
           strides=list(layer.stride), pads=[top, left, bottom, right])


def _pool_attrs(layer: MaxPool2D | AvgPool2D) -> dict[str, Any]:
    ph, pw = layer.padding
    return {"kernel_shape": list(layer.kernel_size), "strides": list(layer.stride),
            "pads": [ph, pw, ph, pw]}


def _maxpool(g: _Graph, layer: MaxPool2D, x: str, y: str, prefix: str) -> None:
    g.node("MaxPool", [x], y, **_pool_attrs(layer))


def _avgpool(g: _Graph, layer: AvgPool2D, x: str, y: str, prefix: str) -> None:
    g.node("AveragePool", [x], y, count_include_pad=1, **_pool_attrs(layer))


def _global_avgpool(g: _Graph, layer: GlobalAvgPool2D, x: str, y: str, prefix: str) -> None:
    pooled = g.node("GlobalAveragePool", [x], f"{y}_nc11")  # (N, C, 1, 1)
    g.node("Flatten", [pooled], y, axis=1)  # (N, C)


def _flatten(g: _Graph, layer: Flatten, x: str, y: str, prefix: str) -> None:
    g.node("Flatten", [x], y, axis=1)


def _reshape(g: _Graph, layer: Reshape, x: str, y: str, prefix: str) -> None:
    # 0 copies the batch size from the input (allowzero=0, the default)
    shape = g.const(f"{prefix}.shape", np.array([0, *layer.shape], dtype=np.int64))
    g.node("Reshape", [x, shape], y)


def _batchnorm(g: _Graph, layer: BatchNorm1D | BatchNorm2D, x: str, y: str, prefix: str
               ) -> None:
    c = layer.num_features
    gamma = np.ones(c) if layer.gamma is None else layer.gamma.data
    beta = np.zeros(c) if layer.beta is None else layer.beta.data
    inputs = [x, g.const(f"{prefix}.gamma", gamma), g.const(f"{prefix}.beta", beta),
              g.const(f"{prefix}.state.running_mean", layer.running_mean),
              g.const(f"{prefix}.state.running_var", layer.running_var)]
    g.node("BatchNormalization", inputs, y, epsilon=float(layer.eps))


def _simple(op: str) -> Converter:
    def convert(g: _Graph, layer: Any, x: str, y: str, prefix: str) -> None:
        g.node(op, [x], y)

    return convert


def _leaky_relu(g: _Graph, layer: LeakyReLU, x: str, y: str, prefix: str) -> None:
    g.node("LeakyRelu", [x], y, alpha=float(layer.negative_slope))


def _softmax(g: _Graph, layer: Softmax, x: str, y: str, prefix: str) -> None:
    g.node("Softmax", [x], y, axis=int(layer.axis))


#: Every exportable layer class. A subclass is not exported as its base: it may compute
#: something else.
CONVERTERS: dict[type[Layer], Converter] = {
    Dense: _dense,
    Conv2D: _conv,
    MaxPool2D: _maxpool,
    AvgPool2D: _avgpool,
    GlobalAvgPool2D: _global_avgpool,
    Flatten: _flatten,
    Reshape: _reshape,
    BatchNorm1D: _batchnorm,
    BatchNorm2D: _batchnorm,
    Dropout: _simple("Identity"),
    Identity: _simple("Identity"),
    ReLU: _simple("Relu"),
    Sigmoid: _simple("Sigmoid"),
    Tanh: _simple("Tanh"),
    LeakyReLU: _leaky_relu,
    Softmax: _softmax,
}


def exportable_layers() -> list[str]:
    """The names of the layer classes :func:`to_onnx` exports, sorted."""
    return sorted(cls.__name__ for cls in CONVERTERS)


# -- what the graph computes -----------------------------------------------------------------
def _head(model: Any, output: str) -> tuple[list[Layer], str | None, str]:
    """The layers to export, the activation to add after them, and the output's name.

    A last Softmax or Sigmoid layer makes the outputs probabilities ("logits" leaves it
    out); a loss on logits (``SoftmaxCrossEntropy``) makes them logits ("probabilities"
    adds its activation, as ``predict_proba`` does); any other model's outputs are exported
    as they are, under the name ``output``.
    """
    if output not in OUTPUTS:
        raise ValueError(f"to_onnx: output must be one of {OUTPUTS}, got {output!r}")
    layers = list(model.layers)
    if not layers:
        raise ValueError(f"to_onnx: {type(model).__name__} has no layers")
    if type(layers[-1]) in (Softmax, Sigmoid):
        if output == "logits":
            return layers[:-1], None, "logits"
        return layers, None, "probabilities"
    loss = getattr(model, "loss", None)
    activation = getattr(loss, "output", "identity") if getattr(loss, "from_logits", False) \
        else "identity"
    if activation not in ("softmax", "sigmoid"):
        return layers, None, "output"
    if output == "logits":
        return layers, None, "logits"
    return layers, activation, "probabilities"


def _input_shape(model: Any, given: Any, preprocess: dict[str, Any]) -> Shape:
    """The per-sample input shape: given, recorded by fit, in the metadata, or implied by
    the first layer (None for image sizes a convolution leaves open)."""
    for shape in (given, getattr(model, "input_shape", None), preprocess.get("input_shape")):
        if shape is not None:
            return tuple(None if d is None else int(d) for d in shape)
    first = model.layers[0]
    if isinstance(first, Dense):
        return (first.in_features,)
    if isinstance(first, Conv2D):
        return (first.in_channels, None, None)
    if isinstance(first, (BatchNorm1D, BatchNorm2D)):
        return (first.num_features,) if isinstance(first, BatchNorm1D) else \
            (first.num_features, None, None)
    raise ValueError(f"to_onnx: cannot tell the input shape from the first layer {first}; "
                     "pass input_shape=(...) (one sample's shape, without the batch axis)")


def _dims(shape: Shape, named: bool) -> list[Any]:
    """ONNX dims: the dynamic batch ``N``, then the sizes; sizes left open are named
    ``H`` and ``W`` (an input's) or left without a name (an output's, which differ)."""
    names = {1: ["H"], 2: ["H", "W"]}.get(sum(d is None for d in shape), []) if named else []
    return ["N", *(names.pop(0) if d is None and names else d for d in shape)]


def _metadata(model: Any, extra: dict[str, Any] | None) -> dict[str, Any]:
    saved = getattr(model, "metadata", None) or {}
    meta = {k: saved[k] for k in METADATA_KEYS if saved.get(k) is not None}
    meta.update(extra or {})
    return meta


def _bake(g: _Graph, onnx: Any, preprocess: dict[str, Any], model_shape: Shape,
          raw_shape: Shape, raw_dtype: str) -> str:
    """Nodes turning raw inputs into the model's: cast, reshape, scale (as ``nnscratch
    predict`` does); returns the name of the model's input."""
    unknown = sorted(set(preprocess) - {"scale", "input_shape"})
    if unknown:
        raise ValueError(f"to_onnx: cannot bake the preprocessing step(s) {unknown} into "
                         "the graph; it knows 'scale' and 'input_shape'")
    x = "input"
    if raw_dtype != "float32":
        x = g.node("Cast", [x], "input_float", to=onnx.TensorProto.FLOAT)
    if tuple(raw_shape) != tuple(model_shape):
        if None in model_shape or None in raw_shape:
            raise ValueError("to_onnx: baking a reshape needs fixed input shapes, got "
                             f"raw {raw_shape} and model {model_shape}")
        if int(np.prod(raw_shape)) != int(np.prod(model_shape)):  # type: ignore[arg-type]
            raise ValueError(f"to_onnx: raw samples of shape {tuple(raw_shape)} do not hold "
                             f"the model's input shape {tuple(model_shape)}")
        shape = g.const("preprocess.shape", np.array([0, *model_shape], dtype=np.int64))
        x = g.node("Reshape", [x, shape], "input_reshaped")
    scale = np.asarray(preprocess.get("scale", 1.0), dtype=np.float32)
    if np.any(scale != 1):
        x = g.node("Mul", [x, g.const("preprocess.scale", scale)], "input_scaled")
    return x


def _opset(onnx: Any, opset: Any) -> tuple[int, int]:
    """(opset, IR version): the tested default pair, or ``opset`` with its oldest IR."""
    if opset is None:
        return DEFAULT_OPSET, DEFAULT_IR_VERSION
    newest = int(onnx.defs.onnx_opset_version())
    if isinstance(opset, bool) or not isinstance(opset, (int, np.integer)) \
            or not MIN_OPSET <= opset <= newest:
        raise ValueError(f"to_onnx: opset must be an int from {MIN_OPSET} to {newest} (the "
                         f"newest the installed onnx knows) or None ({DEFAULT_OPSET}), "
                         f"got {opset!r}")
    ir = onnx.helper.find_min_ir_version_for([onnx.helper.make_opsetid("", int(opset))])
    return int(opset), int(ir)


def _output_shape(layers: list[Layer], shape: Shape) -> Shape:
    """The per-sample output shape; a layer that cannot take its input is named."""
    for i, layer in enumerate(layers):
        try:
            shape = layer.output_shape(shape)
        except ValueError as err:
            raise ValueError(f"to_onnx: layer {i} ({layer}) cannot take the input of shape "
                             f"(N, {', '.join(map(str, shape))}): {err}") from None
    return shape


def build_onnx(model: Any, opset: int | None = None, *, output: str = "probabilities",
               input_shape: Any = None, metadata: dict[str, Any] | None = None,
               bake_preprocessing: bool = False, raw_shape: Any = None,
               raw_dtype: str = "float32") -> Any:
    """The ``onnx.ModelProto`` that :func:`to_onnx` writes (same arguments, no file)."""
    onnx = _onnx()
    helper = onnx.helper
    opset, ir_version = _opset(onnx, opset)
    layers, activation, out_name = _head(model, output)
    for i, layer in enumerate(layers):
        if type(layer) not in CONVERTERS:
            raise ValueError(f"to_onnx: layer {i} ({layer}) cannot be exported: "
                             f"{type(layer).__name__} has no ONNX converter; exportable "
                             f"layers are {exportable_layers()}")
    meta = _metadata(model, metadata)
    preprocess = meta.get("preprocess") or {}
    shape = _input_shape(model, input_shape, preprocess)
    out_shape = _output_shape(layers, shape)

    g = _Graph(onnx)
    x, in_shape, in_type = "input", shape, onnx.TensorProto.FLOAT
    if bake_preprocessing:
        if not preprocess:
            raise ValueError("to_onnx: bake_preprocessing=True needs the preprocessing: the "
                             "model records none (nnscratch train saves it); pass metadata="
                             "{'preprocess': {'scale': ..., 'input_shape': [...]}}")
        if raw_dtype not in RAW_DTYPES:
            raise ValueError(f"to_onnx: raw_dtype must be one of {RAW_DTYPES}, "
                             f"got {raw_dtype!r}")
        in_shape = shape if raw_shape is None else tuple(int(d) for d in raw_shape)
        in_type = onnx.TensorProto.FLOAT if raw_dtype == "float32" else onnx.TensorProto.UINT8
        x = _bake(g, onnx, preprocess, shape, in_shape, raw_dtype)
    for i, layer in enumerate(layers):
        last = i == len(layers) - 1 and activation is None
        y = out_name if last else f"{i}_{type(layer).__name__.lower()}"
        CONVERTERS[type(layer)](g, layer, x, y, f"layers.{i}")
        x = y
    if activation is not None:  # the loss's activation: softmax or sigmoid of the logits
        g.node("Softmax" if activation == "softmax" else "Sigmoid", [x], out_name,
               **({"axis": -1} if activation == "softmax" else {}))
    elif x != out_name:  # no layer left: the logits of Sequential(Softmax()) are its input
        g.node("Identity", [x], out_name)

    graph = helper.make_graph(
        g.nodes, "nnscratch",
        [helper.make_tensor_value_info("input", in_type, _dims(in_shape, named=True))],
        [helper.make_tensor_value_info(out_name, onnx.TensorProto.FLOAT,
                                       _dims(out_shape, named=False))],
        initializer=g.initializers)
    from . import __version__

    proto = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)],
                              producer_name="nnscratch", producer_version=__version__,
                              doc_string=repr(model))
    proto.ir_version = ir_version
    props = {k: v if isinstance(v, str) else json.dumps(v) for k, v in meta.items()}
    props.update(output=out_name, preprocessing_baked=json.dumps(bool(bake_preprocessing)),
                 input_shape=json.dumps(list(in_shape)))
    helper.set_model_props(proto, props)
    return proto


def to_onnx(model: Any, path: str | os.PathLike[str], opset: int | None = None, *,
            output: str = "probabilities", input_shape: Any = None,
            metadata: dict[str, Any] | None = None, bake_preprocessing: bool = False,
            raw_shape: Any = None, raw_dtype: str = "float32") -> Any:
    """Write ``model`` to ``path`` as an ONNX file for onnxruntime and other runtimes.

    Parameters
    ----------
    model : Sequential or Network
        Exported in evaluation mode: BatchNorm uses its running statistics and Dropout is
        the identity. Every layer must be one of :func:`exportable_layers` (see the module
        doc for the operators); any other raises a ValueError naming it.
    path : str or path-like
        The ``.onnx`` file, written atomically (a temporary beside it, then a rename).
    opset : int or None, default None
        ONNX opset. None means 17 with IR version 8, the pair the tests check against
        onnxruntime (any onnxruntime from 1.12 on reads it); an int from 13 to the newest
        the installed onnx knows gets the oldest IR version that opset allows.
    output : {"probabilities", "logits"}, default "probabilities"
        What the graph outputs. "probabilities": what :meth:`Sequential.predict_proba`
        returns (the softmax or sigmoid of the logits for a model trained with
        ``SoftmaxCrossEntropy``; a last Softmax/Sigmoid layer as it is). "logits": the
        scores before that activation (a last Softmax/Sigmoid layer is left out). A model
        with neither (regression) outputs its values as they are, named ``output``.
    input_shape : tuple of int, optional
        One sample's shape without the batch axis, e.g. ``(1, 28, 28)``. Default: the
        shape ``fit`` recorded, else the metadata's ``preprocess.input_shape``, else what
        the first layer implies (a Conv2D leaves H and W dynamic).
    metadata : dict, optional
        Entries for the file's ``metadata_props``, over those of a model saved by
        ``nnscratch train`` (``dataset``, ``classes``, ``n_classes``, ``preprocess``).
        Non-string values are stored as JSON. The file also records ``output`` (the output
        tensor's name), ``input_shape`` and ``preprocessing_baked``.
    bake_preprocessing : bool, default False
        Put the recorded preprocessing into the graph, so that a server feeds raw inputs:
        cast to float32, reshape each sample to the model's input shape, multiply by
        ``preprocess["scale"]`` (what ``nnscratch predict`` does).
    raw_shape : tuple of int, optional
        With ``bake_preprocessing``: one raw sample's shape, e.g. ``(28, 28)`` for a
        784-input MLP (default: the model's input shape).
    raw_dtype : {"float32", "uint8"}, default "float32"
        With ``bake_preprocessing``: the raw input's element type (``uint8`` for pixels).

    Returns
    -------
    onnx.ModelProto
        The model written.

    Notes
    -----
    The graph is float32: a float64 model's weights and statistics are rounded to float32
    on export (onnxruntime's CPU provider has no float64 convolution or pooling), so its
    outputs agree with nnscratch's to float32 precision. The input is ``input`` of shape
    ``(N, *input_shape)`` with a dynamic batch axis ``N``; weights are initializers
    named as in a saved file (``layers.0.W``). Needs the ``onnx`` package
    (``pip install 'nnscratch[onnx]'``).

    Examples
    --------
    >>> nn.to_onnx(model, "model.onnx")                      # doctest: +SKIP
    >>> import onnxruntime as ort                            # doctest: +SKIP
    >>> session = ort.InferenceSession("model.onnx")         # doctest: +SKIP
    >>> probs = session.run(None, {"input": x.astype(np.float32)})[0]  # doctest: +SKIP
    """
    proto = build_onnx(model, opset, output=output, input_shape=input_shape,
                       metadata=metadata, bake_preprocessing=bake_preprocessing,
                       raw_shape=raw_shape, raw_dtype=raw_dtype)
    data = proto.SerializeToString()
    write_atomically(path, lambda f: f.write(data))
    return proto
