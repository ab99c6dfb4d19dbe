"""Saving and loading: round trips, atomic writes, files that are not ours."""

from __future__ import annotations

import json
import zipfile

import numpy as np
import pytest

import nnscratch as nn
from nnscratch import io


def trained(tmp_path=None) -> nn.Sequential:
    x, y = nn.make_spirals(30, 3, rng=0)
    return nn.Sequential(
        nn.Dense(2, 16, rng=0), nn.LeakyReLU(0.2), nn.Dense(16, 3, rng=1), nn.Softmax()
    ).use(nn.CategoricalCrossEntropy(), nn.SGD(0.5)).fit(x, y, epochs=5, verbose=0)


def test_round_trip_restores_architecture_weights_loss_and_metadata(tmp_path):
    model = trained()
    path = tmp_path / "m.npz"
    model.save(path, metadata={"note": "spirals", "classes": ["a", "b", "c"]})
    loaded = nn.load(path)
    assert repr(loaded) == repr(model)
    for a, b in zip(model.parameters(), loaded.parameters()):
        np.testing.assert_array_equal(a.data, b.data)
        assert a.data.dtype == b.data.dtype
    x, y = nn.make_spirals(10, 3, rng=1)
    np.testing.assert_array_equal(model.predict(x), loaded.predict(x))
    assert loaded.evaluate(x, y) == model.evaluate(x, y)
    assert loaded.metadata == {"note": "spirals", "classes": ["a", "b", "c"]}
    assert type(loaded.loss).__name__ == "CategoricalCrossEntropy"
    assert loaded.optimizer.learning_rate == 0.5
    assert loaded.layers[1].negative_slope == 0.2


def test_float64_and_bias_free_layers_round_trip(tmp_path):
    model = nn.Sequential(nn.Dense(3, 4, bias=False, rng=0), nn.Sigmoid()).astype(np.float64)
    model.save(tmp_path / "m.npz")
    loaded = nn.load(tmp_path / "m.npz")
    assert loaded.dtype == np.float64 and loaded.layers[0].b is None


def test_file_is_plain_npz_readable_without_pickle(tmp_path):
    trained().save(tmp_path / "m.npz")
    with np.load(tmp_path / "m.npz", allow_pickle=False) as f:
        header = json.loads(str(f["__nnscratch__"]))
        assert header["format"] == "nnscratch.Sequential"
        assert header["format_version"] == io.FORMAT_VERSION == 2
        assert header["layers"][0]["class"] == "nnscratch.Dense"
        assert f["layers.0.W"].shape == (2, 16)


def test_save_is_atomic_and_leaves_no_temp_file_on_failure(tmp_path, monkeypatch):
    path = tmp_path / "m.npz"
    trained().save(path)
    before = path.read_bytes()

    def boom(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(np, "savez", boom)
    with pytest.raises(OSError, match="disk full"):
        trained().save(path)
    assert path.read_bytes() == before  # the old model is intact
    assert [p.name for p in tmp_path.iterdir()] == ["m.npz"]


def test_unserialisable_metadata_is_a_value_error(tmp_path):
    with pytest.raises(ValueError, match="JSON-serialisable"):
        trained().save(tmp_path / "m.npz", metadata={"bad": object()})


def test_files_that_are_not_ours(tmp_path):
    with pytest.raises(FileNotFoundError, match="no such model file"):
        nn.load(tmp_path / "missing.npz")
    text = tmp_path / "notes.npz"
    text.write_text("hello")
    with pytest.raises(ValueError, match=r"not a valid \.npz"):
        nn.load(text)
    other = tmp_path / "other.npz"
    np.savez(other, weights=np.zeros(3))
    with pytest.raises(ValueError, match="not an nnscratch model file"):
        nn.load(other)
    newer = tmp_path / "newer.npz"
    np.savez(newer, __nnscratch__=np.array(json.dumps(
        {"format": "nnscratch.Sequential", "format_version": 99, "layers": []})))
    with pytest.raises(ValueError, match="newer than this"):
        nn.load(newer)


def test_truncated_and_tampered_files(tmp_path):
    path = tmp_path / "m.npz"
    trained().save(path)
    data = path.read_bytes()
    (tmp_path / "cut.npz").write_bytes(data[: len(data) // 2])
    with pytest.raises(ValueError, match=r"not an nnscratch model file|corrupt"):
        nn.load(tmp_path / "cut.npz")
    header, arrays = io.read_npz(path)
    arrays["layers.0.W"] = np.zeros((5, 5), dtype=np.float32)
    with pytest.raises(ValueError, match=r"layers.0.W has shape \(5, 5\)"):
        io.build_model(header, arrays)
    header["layers"][0]["class"] = "Mystery"
    with pytest.raises(ValueError, match="unknown class 'Mystery'"):
        io.build_model(header, arrays)
    assert zipfile.is_zipfile(path)
