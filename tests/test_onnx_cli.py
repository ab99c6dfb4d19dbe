"""``nnscratch export``: a model trained by ``nnscratch train`` becomes an ONNX file that
onnxruntime serves on raw inputs, with the classes in its metadata; mistakes are one line
and exit status 1."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import pytest

import nnscratch as nn
from nnscratch.cli import main
from nnscratch.recipes import apply_preprocess
from test_cli_errors import assert_one_error_line

onnx = pytest.importorskip("onnx", reason="ONNX export tests need the onnx package")
ort = pytest.importorskip("onnxruntime", reason="ONNX export tests need onnxruntime")
pytest.importorskip("sklearn", reason="the digits set comes with scikit-learn")


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("digits")
    assert main(["train", "--quiet", "--epochs", "2", "--out", str(out)]) == 0
    return out / "model.npz"


def test_export_serves_raw_digits(trained: Path, tmp_path: Path, capsys) -> None:
    path = tmp_path / "digits.onnx"
    assert main(["export", str(trained), str(path), "--bake-preprocessing",
                 "--raw-shape", "8,8", "--uint8"]) == 0
    assert capsys.readouterr().out == f"saved {path}\n"
    onnx.checker.check_model(str(path), full_check=True)
    sess = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    raw = np.random.default_rng(0).integers(0, 17, size=(6, 8, 8), dtype=np.uint8)
    model = nn.load(trained)
    expected = model.predict_proba(apply_preprocess(raw, model.metadata["preprocess"]))
    probs = sess.run(None, {"input": raw})[0]
    np.testing.assert_allclose(probs, expected, rtol=1e-5, atol=1e-6)
    props = sess.get_modelmeta().custom_metadata_map
    assert json.loads(props["classes"]) == model.metadata["classes"]
    assert props["dataset"] == "digits" and props["output"] == "probabilities"


def test_export_logits_at_an_opset(trained: Path, tmp_path: Path) -> None:
    path = tmp_path / "logits.onnx"
    assert main(["export", str(trained), str(path), "--logits", "--opset", "13"]) == 0
    proto = onnx.load(str(path))
    assert proto.opset_import[0].version == 13
    assert [o.name for o in proto.graph.output] == ["logits"]


@pytest.mark.parametrize(("args", "words"), [
    (["nope.npz", "out.onnx"], ["cannot load model", "nope.npz"]),
    (["MODEL", "out.onnx", "--opset", "5"], ["opset must be an int from 13"]),
    (["MODEL", "out.onnx", "--bake-preprocessing", "--raw-shape", "5,5"],
     ["raw samples of shape (5, 5)"]),
])
def test_export_errors_are_one_line(trained: Path, tmp_path: Path, capsys, args: list[str],
                                    words: list[str]) -> None:
    args = [str(trained) if a == "MODEL" else str(tmp_path / a) if a.endswith("z") else a
            for a in args]
    assert main(["export", *args]) == 1
    assert_one_error_line(capsys.readouterr().err, "export", *words)


def test_export_without_onnx_says_what_to_install(trained: Path, tmp_path: Path, capsys,
                                                  monkeypatch) -> None:
    monkeypatch.setitem(sys.modules, "onnx", None)  # import onnx now raises ImportError
    assert main(["export", str(trained), str(tmp_path / "m.onnx")]) == 1
    assert_one_error_line(capsys.readouterr().err, "export", "pip install 'nnscratch[onnx]'")
