"""A stack of layers: what a model is, apart from how it is trained.

:class:`Network` holds the layers and their input shape; it runs them forward and
backward, lists their parameters, describes itself (:meth:`Network.get_config`) and holds
and restores its arrays (:meth:`Network.state_dict`, keys as in a saved file:
``layers.0.W``, ``layers.3.state.running_mean``). :class:`nnscratch.Sequential` adds a
loss, an optimizer and metrics, and trains, predicts and evaluates.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, TypeVar

import numpy as np

from . import _loadcheck as check
from ._checks import check_int
from ._dtype import get_default_dtype, resolve_dtype
from ._fit_checks import as_input
from ._fit_checks import refuse_non_finite as _check_finite
from ._registry import class_key
from .layers.base import Layer, Shape, implied_input_shape
from .metrics import predicted_labels
from .parameter import Parameter

_Self = TypeVar("_Self", bound="Network")


class Network:
    """Layers in a row: each layer's output is the next layer's input.

    Parameters
    ----------
    *layers : Layer, or one list of layers
    dtype : float32 or float64, optional
        Convert every layer's parameters to this dtype.

    Attributes
    ----------
    layers : list of Layer
    input_shape : tuple or None
        The per-sample input shape, once known (``fit`` records it).
    """

    def __init__(self, *layers: Layer | Sequence[Layer], dtype: Any = None) -> None:
        if len(layers) == 1 and isinstance(layers[0], (list, tuple)):
            layers = tuple(layers[0])
        self.layers: list[Layer] = []
        self.input_shape: Shape | None = None
        for layer in layers:
            self.add(layer)  # type: ignore[arg-type]
        if dtype is not None:
            self.astype(dtype)

    def _parameters_changed(self) -> None:
        """Called when layers are added or converted (a subclass rebinds its optimizer)."""

    # -- building --------------------------------------------------------------------------
    def add(self: _Self, layer: Layer) -> _Self:
        """Append ``layer``; checks it can take the previous layer's output. Returns self."""
        if not isinstance(layer, Layer):
            raise TypeError(f"{type(self).__name__}.add: expected a Layer, "
                            f"got {type(layer).__name__}")
        out = self._output_shape_or_none()
        if out is not None:
            try:
                layer.output_shape(out)
            except ValueError as err:
                raise ValueError(
                    f"cannot add {layer} after {self.layers[-1]} (layer {len(self.layers) - 1}),"
                    f" whose output has shape (N, {', '.join(map(str, out))}): {err}"
                ) from None
        self.layers.append(layer)
        self._parameters_changed()
        return self


    def parameters(self) -> list[Parameter]:
        """Every trainable parameter, layer by layer."""
        return [p for layer in self.layers for p in layer.parameters()]

    def named_parameters(self) -> list[tuple[str, Parameter]]:
        """``(name, parameter)`` pairs, layer by layer, as :meth:`parameters` orders them.

        A name is the parameter's key in :meth:`state_dict` and in a saved file,
        ``layers.<i>.<name>`` (``layers.0.W``, ``layers.0.b``): unique within the model
        and stable while its layers stay where they are, as in PyTorch's
        ``named_parameters``. Layer state that is not trained (BatchNorm's running
        statistics, ``layers.<i>.state.*``) is not a parameter and is not listed.
        """
        return [(f"layers.{i}.{p.name}", p)
                for i, layer in enumerate(self.layers) for p in layer.parameters()]

    @property
    def dtype(self) -> np.dtype:
        """The dtype the network computes in: its parameters' (or the default)."""
        params = self.parameters()
        return params[0].data.dtype if params else get_default_dtype()

    def astype(self: _Self, dtype: Any) -> _Self:
        """Convert every layer's parameters to ``dtype`` (float32 or float64). Returns self."""
        dt = resolve_dtype(dtype)
        for layer in self.layers:
            layer.astype(dt)
        self._parameters_changed()
        return self

    def train(self: _Self, mode: bool = True) -> _Self:
        """Training mode (Dropout drops, BatchNorm uses batch statistics). Returns self."""
        for layer in self.layers:
            layer.train(mode)
        return self

    def eval(self: _Self) -> _Self:
        """Evaluation mode; ``predict`` and ``evaluate`` switch to it by themselves."""
        return self.train(False)

    # -- forward and backward ------------------------------------------------------------
    def forward(self, x: np.ndarray) -> np.ndarray:
        """Run ``x`` through every layer; a shape mismatch names the failing layer."""
        if not self.layers:
            raise RuntimeError(f"{type(self).__name__}.forward(): the model has no layers; "
                               "add() some first")
        for i, layer in enumerate(self.layers):
            try:
                x = layer.forward(x)
            except ValueError as err:
                if str(err).startswith("layer "):
                    raise
                raise ValueError(f"layer {i} of {len(self.layers)}: {err}") from err
        return x

    __call__ = forward

    def backward(self, grad: np.ndarray) -> np.ndarray:
        """Backpropagate dL/d(output) through every layer; returns dL/d(input)."""
        for layer in reversed(self.layers):
            grad = layer.backward(grad)
        return grad

    def backward_params(self, grad: np.ndarray) -> None:
        """Backpropagate dL/d(output) into the parameter gradients only.

        What a training step needs: the layers before the first one with parameters are
        skipped, and that layer adds its parameter gradients without computing dL/dx
        (for a first Dense layer that saves a GEMM as large as its forward pass). The
        gradients are those :meth:`backward` accumulates.
        """
        self._backward_params(grad, self._first_trainable())

    def _first_trainable(self) -> int:
        """Index of the first layer with parameters (``len(layers)`` if none)."""
        return next((i for i, layer in enumerate(self.layers) if layer.parameters()),
                    len(self.layers))

    def _backward_params(self, grad: np.ndarray, first: int) -> None:
        layers = self.layers
        for layer in layers[:first:-1]:  # from the last layer down to the one after `first`
            grad = layer.backward(grad)
        if first < len(layers):
            layers[first].backward_params(grad)

    def zero_grad(self) -> None:
        for p in self.parameters():
            p.zero_grad()

    def regularization_loss(self) -> float:
        """Σ of the penalties of parameters that carry a regularizer."""
        return float(sum(p.regularizer.penalty(p.data) for p in self.parameters()
                         if p.regularizer is not None))

    def _add_regularization_grads(self) -> None:
        for p in self.parameters():
            if p.regularizer is not None:
                p.grad += p.regularizer.grad(p.data)

    def _output_shape_or_none(self) -> Shape | None:
        if not self.layers:
            return None
        shape = self.input_shape or implied_input_shape(self.layers[0])
        if shape is None:
            return None
        try:
            for layer in self.layers:
                shape = layer.output_shape(shape)
        except ValueError:
            return None
        return shape

    # -- description and state ------------------------------------------------------------
    def get_config(self) -> dict[str, Any]:
        """The JSON-able description of the network, without weights: dtype, input shape,
        each layer's class and constructor arguments (with its parameter and state
        names). :meth:`from_config` inverts it."""
        return {
            "dtype": str(self.dtype),
            "input_shape": list(self.input_shape) if self.input_shape else None,
            "layers": [{"class": class_key(type(layer)), "config": layer.get_config(),
                        "params": [p.name for p in layer.parameters()],
                        "state": sorted(layer.state_arrays())} for layer in self.layers],
        }

    @classmethod
    def from_config(cls: type[_Self], config: dict[str, Any], source: str = "config"
                    ) -> _Self:
        """A new network built from :meth:`get_config` output, with fresh weights.

        Load weights with :meth:`load_state_dict`. ``source`` starts every error message
        (a file's path when loading one).

        Raises
        ------
        ValueError
            A key is missing or of the wrong kind, a class is unknown, or a layer refuses
            its arguments (names the layer and the key).
        """
        check.check_header(config, source)
        layers = []
        for i, (spec, layer_cls) in enumerate(zip(config["layers"],
                                                  check.layer_classes(config, source),
                                                  strict=True)):
            try:
                layer = layer_cls.from_config(spec["config"])
                layer.astype(config["dtype"])
            except (TypeError, ValueError, KeyError) as err:
                raise ValueError(f"{source}: layer {i} ({spec['class']}): bad config "
                                 f"{spec['config']!r:.200}: {err}") from None
            layers.append(layer)
        try:
            model = cls(layers)
        except ValueError as err:
            raise ValueError(f"{source}: {err}") from None
        if config.get("input_shape"):
            model.input_shape = tuple(config["input_shape"])
        return model

    def state_dict(self) -> dict[str, np.ndarray]:
        """Every parameter and saved layer state array, by its key in a saved file.

        Keys are ``layers.<i>.<parameter>`` (``layers.0.W``) and
        ``layers.<i>.state.<name>`` (``layers.3.state.running_mean``); the values are
        the arrays themselves, not copies, as in PyTorch.
        """
        arrays: dict[str, np.ndarray] = {}
        for i, layer in enumerate(self.layers):
            for p in layer.parameters():
                arrays[f"layers.{i}.{p.name}"] = p.data
            for name, value in layer.state_arrays().items():
                arrays[f"layers.{i}.state.{name}"] = np.asarray(value)
        return arrays

    def load_state_dict(self, state: dict[str, np.ndarray], source: str = "state_dict"
                        ) -> None:
        """Copy :meth:`state_dict`-style entries into the parameters and layer state.

        Every parameter must be present with its shape and a floating dtype; every
        ``layers.<i>.*`` entry must be read by layer ``i``; keys of other kinds
        (``training.*``) are ignored. Parameters are updated in place, so the optimizer's
        references stay valid. ``source`` starts every error message.

        Raises
        ------
        ValueError
            A parameter is missing or has another shape or dtype, a layer refuses its
            saved state, or an entry of a layer is read by nothing (names the key).
        """
        for i, layer in enumerate(self.layers):
            read = set()
            for p in layer.parameters():
                key = f"layers.{i}.{p.name}"
                if key not in state:
                    raise ValueError(f"{source}: missing array {key!r} for {layer} (layer {i})")
                if state[key].shape != p.data.shape:
                    raise ValueError(f"{source}: {key} has shape {state[key].shape}, "
                                     f"{layer} expects {p.data.shape}")
                check.check_array(state[key], key, None, "f", source)
                p.data[...] = state[key]
                read.add(key)
            prefix = f"layers.{i}.state."
            own = {k[len(prefix):]: v for k, v in state.items() if k.startswith(prefix)}
            try:
                layer.load_state_arrays(own)
            except (TypeError, ValueError, KeyError, AttributeError) as err:
                raise ValueError(f"{source}: layer {i} ({layer}): bad saved state: {err}"
                                 ) from None
            unread = sorted(k for k in state if k.startswith(f"layers.{i}.")
                            and k not in read and not k.startswith(prefix))
            if unread:
                raise ValueError(f"{source}: array {unread[0]!r} is read by no layer: {layer} "
                                 f"(layer {i}) reads {sorted(read)}")

    # -- inference and display ------------------------------------------------------------
    def predict(self, x: np.ndarray, batch_size: int | None = 1024) -> np.ndarray:
        """Network outputs for ``x`` in evaluation mode, ``batch_size`` rows at a time.

        Returns what the last layer outputs: probabilities after a Sigmoid/Softmax layer,
        logits when the model was built for :class:`SoftmaxCrossEntropy` (see
        :meth:`predict_proba`, :meth:`predict_classes`).
        """
        if not self.layers:
            raise RuntimeError(f"{type(self).__name__}.predict(): the model has no layers; "
                               "add() some first")
        if batch_size is not None:
            _check_positive_int("batch_size", batch_size)
        # each chunk is checked for NaN/inf just before it goes through the network, so it
        # is read from cache by the first layer rather than from memory a second time
        x = as_input(self, x, "predict: x", check_finite=False)
        was_training = [layer.training for layer in self.layers]
        self.eval()
        try:
            n = len(x)
            bs = n if batch_size is None else batch_size
            if n <= bs:
                _check_finite(x, "predict: x")
                out = self.forward(x).copy()
            else:
                _check_finite(x[:bs], "predict: x")
                first = self.forward(x[:bs])
                out = np.empty((n, *first.shape[1:]), dtype=first.dtype)
                out[:bs] = first
                for start in range(bs, n, bs):
                    chunk = x[start:start + bs]
                    _check_finite(chunk, "predict: x", offset=start)
                    out[start:start + bs] = self.forward(chunk)
        finally:
            for layer, mode in zip(self.layers, was_training):
                layer.training = mode
        return out

    def predict_classes(self, x: np.ndarray, batch_size: int | None = 1024) -> np.ndarray:
        """Predicted class per sample: argmax for several outputs, ``p > 0.5`` for one."""
        return predicted_labels(self.predict(x, batch_size))

    def summary(self, input_shape: Sequence[int] | None = None) -> str:
        """A table of the layers, their output shapes and parameter counts."""
        shape: Shape | None = tuple(input_shape) if input_shape else self.input_shape
        if shape is None and self.layers:
            shape = implied_input_shape(self.layers[0])
        rows = [("#", "layer", "output shape", "params")]
        total = 0
        for i, layer in enumerate(self.layers):
            if shape is not None:
                try:
                    shape = layer.output_shape(shape)
                except ValueError:
                    shape = None
            count = sum(p.size for p in layer.parameters())
            total += count
            shown = "(N, " + ", ".join("?" if d is None else str(d) for d in shape) + ")" \
                if shape is not None else "?"
            rows.append((str(i), repr(layer), shown, f"{count:,}"))
        widths = [max(len(r[c]) for r in rows) for c in range(4)]
        line = "-" * (sum(widths) + 6)
        out = [line]
        for j, r in enumerate(rows):
            out.append(f"{r[0]:>{widths[0]}}  {r[1]:<{widths[1]}}  {r[2]:<{widths[2]}}  "
                       f"{r[3]:>{widths[3]}}")
            if j == 0:
                out.append(line)
        out += [line, f"Total parameters: {total:,} ({self.dtype})",
                *self._summary_footer(), line]
        return "\n".join(out)

    def _summary_footer(self) -> list[str]:
        """Lines :meth:`summary` shows under the total (a subclass adds its own)."""
        return []

    def __repr__(self) -> str:
        return f"{type(self).__name__}(" + ", ".join(repr(layer) for layer in self.layers) + ")"

    def __len__(self) -> int:
        return len(self.layers)

    def __getitem__(self, i: int) -> Layer:
        return self.layers[i]


def _check_positive_int(name: str, value: Any) -> None:
    check_int("", name, value)
