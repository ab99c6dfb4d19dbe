"""ONNX export checked by onnx's full checker and by onnxruntime.

Many random networks (tests/network_cases.py, every layer kind) are exported, checked
with ``onnx.checker.check_model(full_check=True)`` and run by onnxruntime at batch sizes 1
and 7; the outputs must equal nnscratch's to 1e-5 relative (float32). Then the options:
logits or probabilities, opsets, float64 models, baked preprocessing, metadata, and the
errors.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import nnscratch as nn
from network_cases import layer_kinds, random_network
from nnscratch.layers import LAYER_REGISTRY, Layer
from nnscratch.onnx_export import CONVERTERS, DEFAULT_OPSET, build_onnx, exportable_layers
from nnscratch.recipes import apply_preprocess

onnx = pytest.importorskip("onnx", reason="ONNX export tests need the onnx package")
ort = pytest.importorskip("onnxruntime", reason="ONNX export tests need onnxruntime")

SEEDS = range(100)
TOL = 1e-5
WORST: dict[str, float] = {}


def rel_error(ours: np.ndarray, theirs: np.ndarray) -> float:
    """max |ours − theirs| / max |theirs|: the worst entry relative to the output's scale."""
    a, b = np.asarray(ours, np.float64), np.asarray(theirs, np.float64)
    assert a.shape == b.shape, (a.shape, b.shape)
    return float(np.abs(a - b).max() / max(np.abs(b).max(), 1e-30))


def session(proto: Any) -> Any:
    onnx.checker.check_model(proto, full_check=True)
    options = ort.SessionOptions()
    options.intra_op_num_threads = 1
    return ort.InferenceSession(proto.SerializeToString(), options,
                                providers=["CPUExecutionProvider"])


def run(sess: Any, x: np.ndarray) -> np.ndarray:
    return sess.run(None, {"input": x})[0]


def inputs(shape: tuple[int, ...], seed: int) -> dict[int, np.ndarray]:
    rng = np.random.default_rng(10_000 + seed)
    return {n: rng.standard_normal((n, *shape)).astype(np.float32) for n in (1, 7)}


def test_every_layer_kind_is_exported_and_covered() -> None:
    builtin = set(LAYER_REGISTRY.builtin_names())
    assert set(exportable_layers()) == builtin
    assert layer_kinds(SEEDS) == builtin


@pytest.mark.parametrize("seed", SEEDS)
def test_random_network_matches_onnxruntime(seed: int, tmp_path: Path) -> None:
    model, shape = random_network(seed)
    proto = nn.to_onnx(model, tmp_path / "model.onnx")
    assert (tmp_path / "model.onnx").read_bytes() == proto.SerializeToString()
    assert proto.opset_import[0].version == DEFAULT_OPSET and proto.ir_version == 8
    sess = session(proto)
    assert sess.get_inputs()[0].shape[0] == "N"  # the batch axis is dynamic
    for n, x in inputs(shape, seed).items():
        err = rel_error(run(sess, x), model.predict(x))
        WORST[f"seed {seed}, batch {n}"] = err
        assert err < TOL, f"{model} at batch {n}: {err:.2e}"


def test_logits_and_probabilities() -> None:
    rng = np.random.default_rng(0)
    x = rng.standard_normal((5, 6)).astype(np.float32)
    model = nn.Sequential(nn.Dense(6, 8, rng=1), nn.Tanh(), nn.Dense(8, 4, rng=2))
    model.use(nn.SoftmaxCrossEntropy())
    proba = session(build_onnx(model))
    assert proba.get_outputs()[0].name == "probabilities"
    assert rel_error(run(proba, x), model.predict_proba(x)) < TOL
    logits = session(build_onnx(model, output="logits"))
    assert logits.get_outputs()[0].name == "logits"
    assert rel_error(run(logits, x), model.predict(x)) < TOL

    ends_in_softmax = nn.Sequential(*model.layers, nn.Softmax())
    assert rel_error(run(session(build_onnx(ends_in_softmax)), x),
                     ends_in_softmax.predict(x)) < TOL
    assert rel_error(run(session(build_onnx(ends_in_softmax, output="logits")), x),
                     model.predict(x)) < TOL

    regression = nn.Sequential(nn.Dense(6, 1, rng=3)).use(nn.MSE())
    sess = session(build_onnx(regression))
    assert sess.get_outputs()[0].name == "output"
    assert rel_error(run(sess, x), regression.predict(x)) < TOL


@pytest.mark.parametrize("opset", [13, 17, 21])
def test_other_opsets(opset: int) -> None:
    for seed in (0, 1, 2):
        model, shape = random_network(seed)
        proto = build_onnx(model, opset)
        assert proto.opset_import[0].version == opset
        x = inputs(shape, seed)[7]
        assert rel_error(run(session(proto), x), model.predict(x)) < TOL


def test_float64_model_is_cast_to_float32() -> None:
    for seed in (0, 3, 4):
        model, shape = random_network(seed, dtype=np.float64)
        proto = build_onnx(model)
        assert all(t.data_type == onnx.TensorProto.FLOAT for t in proto.graph.initializer
                   if not t.name.endswith("shape"))
        x = inputs(shape, seed)[7]
        assert rel_error(run(session(proto), x), model.predict(x.astype(np.float64))) < TOL


def test_baked_preprocessing_takes_raw_pixels() -> None:
    """A 784-input MLP saved with the CLI's preprocessing, served 28×28 uint8 images."""
    rng = np.random.default_rng(0)
    model = nn.Sequential(nn.Dense(784, 16, rng=1), nn.ReLU(), nn.Dense(16, 10, rng=2))
    model.use(nn.SoftmaxCrossEntropy())
    preprocess = {"scale": 1 / 255, "input_shape": [784]}
    classes = [f"class {i}" for i in range(10)]
    proto = build_onnx(model, metadata={"preprocess": preprocess, "classes": classes},
                       bake_preprocessing=True, raw_shape=(28, 28), raw_dtype="uint8")
    sess = session(proto)
    raw = rng.integers(0, 256, size=(9, 28, 28), dtype=np.uint8)
    expected = model.predict_proba(apply_preprocess(raw, preprocess))
    assert sess.get_inputs()[0].type == "tensor(uint8)"
    assert sess.get_inputs()[0].shape == ["N", 28, 28]
    assert rel_error(run(sess, raw), expected) < TOL
    props = sess.get_modelmeta().custom_metadata_map
    assert json.loads(props["classes"]) == classes
    assert json.loads(props["preprocess"]) == preprocess
    assert props["preprocessing_baked"] == "true" and props["output"] == "probabilities"

    unbaked = session(build_onnx(model, metadata={"preprocess": preprocess}))
    assert unbaked.get_modelmeta().custom_metadata_map["preprocessing_baked"] == "false"
    assert unbaked.get_inputs()[0].shape == ["N", 784]


def test_saved_metadata_travels(tmp_path: Path) -> None:
    model = nn.Sequential(nn.Dense(3, 2, rng=0)).use(nn.SoftmaxCrossEntropy())
    meta = {"dataset": "xor", "classes": ["no", "yes"], "n_classes": 2,
            "preprocess": {"scale": 1.0, "input_shape": [3]}, "data_dir": "/somewhere"}
    model.save(tmp_path / "m.npz", metadata=meta)
    props = session(build_onnx(nn.load(tmp_path / "m.npz"))).get_modelmeta() \
        .custom_metadata_map
    assert json.loads(props["classes"]) == ["no", "yes"] and props["dataset"] == "xor"
    assert "data_dir" not in props  # a path on the training machine


class Doubler(Layer):
    def forward(self, x: np.ndarray) -> np.ndarray:
        return 2 * x


def test_a_layer_without_converter_is_named() -> None:
    model = nn.Sequential(nn.Dense(3, 2, rng=0), Doubler())
    with pytest.raises(ValueError, match=r"layer 1 \(Doubler\(\)\) cannot be exported"):
        build_onnx(model)
    assert Doubler not in CONVERTERS


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"opset": 12}, "opset must be an int from 13"),
    ({"opset": "17"}, "opset must be an int"),
    ({"output": "classes"}, "output must be one of"),
    ({"bake_preprocessing": True}, "needs the preprocessing"),
    ({"bake_preprocessing": True, "raw_shape": (5,),
      "metadata": {"preprocess": {"scale": 2.0}}}, r"raw samples of shape \(5,\)"),
    ({"bake_preprocessing": True, "metadata": {"preprocess": {"mean": 0.5}}},
     r"cannot bake the preprocessing step\(s\) \['mean'\]"),
])
def test_bad_arguments(kwargs: dict[str, Any], message: str) -> None:
    model = nn.Sequential(nn.Dense(3, 2, rng=0))
    with pytest.raises(ValueError, match=message):
        build_onnx(model, **kwargs)


def test_input_shape_is_needed_when_the_first_layer_cannot_tell() -> None:
    model = nn.Sequential(nn.Flatten(), nn.Dense(12, 2, rng=0))
    with pytest.raises(ValueError, match="pass input_shape"):
        build_onnx(model)
    x = np.random.default_rng(0).standard_normal((2, 3, 4)).astype(np.float32)
    assert rel_error(run(session(build_onnx(model, input_shape=(3, 4))), x),
                     model.predict(x)) < TOL
    with pytest.raises(ValueError, match=r"layer 1 \(Dense\(12→2\)\) cannot take"):
        build_onnx(model, input_shape=(5, 4))


def test_image_sizes_left_open_by_a_convolution() -> None:
    """A network of convolutions takes images of any size: H and W stay dynamic."""
    model = nn.Sequential(nn.Conv2D(2, 3, 3, stride=2, rng=0), nn.ReLU(), nn.MaxPool2D(2))
    sess = session(build_onnx(model))
    assert sess.get_inputs()[0].shape == ["N", 2, "H", "W"]
    assert sess.get_outputs()[0].shape == ["N", 3, None, None]
    rng = np.random.default_rng(0)
    for size in [(9, 11), (16, 6)]:
        x = rng.standard_normal((2, 2, *size)).astype(np.float32)
        assert rel_error(run(sess, x), model.predict(x)) < TOL


@pytest.mark.parametrize("pool", [nn.AvgPool2D, nn.MaxPool2D])
def test_padded_pooling_counts_as_nnscratch_does(pool: type) -> None:
    """AvgPool2D divides by kH·kW at the border too (count_include_pad=1); MaxPool2D's
    padding never wins. Every kernel, stride and padding up to 3 on odd image sizes."""
    rng = np.random.default_rng(0)
    x = (rng.standard_normal((3, 2, 7, 8)) - 2).astype(np.float32)  # mostly negative
    for kh, kw, s, ph, pw in np.ndindex(3, 3, 3, 2, 2):
        kernel, padding = (kh + 1, kw + 1), (min(ph, (kh + 1) // 2), min(pw, (kw + 1) // 2))
        model = nn.Sequential(pool(kernel, s + 1, padding))
        assert rel_error(run(session(build_onnx(model, input_shape=(2, 7, 8))), x),
                         model.predict(x)) < TOL, model


def test_logits_of_a_lone_softmax_are_its_input() -> None:
    x = np.random.default_rng(0).standard_normal((2, 4)).astype(np.float32)
    sess = session(build_onnx(nn.Sequential(nn.Softmax()), output="logits", input_shape=(4,)))
    np.testing.assert_array_equal(run(sess, x), x)


def test_the_cli_cnn_served_raw_images() -> None:
    """``nnscratch train --model cnn``'s network and preprocessing: 28×28 uint8 images in,
    ten probabilities out."""
    from nnscratch.recipes import small_cnn

    model = nn.Sequential(small_cnn(seed=0)).use(nn.SoftmaxCrossEntropy())
    preprocess = {"scale": 1 / 255, "input_shape": [1, 28, 28]}
    sess = session(build_onnx(model, metadata={"preprocess": preprocess},
                              bake_preprocessing=True, raw_shape=(28, 28), raw_dtype="uint8"))
    raw = np.random.default_rng(0).integers(0, 256, size=(5, 28, 28), dtype=np.uint8)
    expected = model.predict_proba(apply_preprocess(raw, preprocess))
    assert rel_error(run(sess, raw), expected) < TOL
