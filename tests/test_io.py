"""Saving and loading: round trips, atomic writes, files that are not ours."""

from __future__ import annotations

import json
import zipfile

import numpy as np
import pytest

import nnscratch as nn
from conftest import write_model
from nnscratch import _npzread, io


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


# -- bounded and strict loading: what still loads ------------------------------------------------


def saved_parts(path) -> tuple[dict, dict[str, np.ndarray]]:
    """The raw header and arrays of a real saved model."""
    trained().save(path)
    with np.load(path) as f:
        arrays = {k: f[k] for k in f.files}
    return json.loads(str(arrays.pop("__nnscratch__"))), arrays


def test_version_1_files_with_bare_class_names_still_load(tmp_path):
    header, arrays = saved_parts(tmp_path / "m.npz")
    header["format_version"] = 1
    for entry in [*header["layers"], header["loss"], header["optimizer"]]:
        entry["class"] = entry["class"].rsplit(".", 1)[-1]  # "Dense", as version 1 wrote
    model = nn.load(write_model(tmp_path / "v1.npz", header, arrays))
    np.testing.assert_array_equal(model.layers[2].W.data, arrays["layers.2.W"])
    assert type(model.optimizer).__name__ == "SGD"


def test_version_1_weight_decay_keeps_skipping_biases(tmp_path):
    # Format 1's weight_decay left biases and normalisation parameters alone; since
    # format 2 it decays every parameter unless exclude_bias_and_norm is set.
    header, arrays = saved_parts(tmp_path / "m.npz")
    header["optimizer"]["config"]["weight_decay"] = 0.01
    del header["optimizer"]["config"]["exclude_bias_and_norm"]
    assert nn.load(write_model(tmp_path / "v2.npz", header, arrays)
                   ).optimizer.exclude_bias_and_norm is False
    header["format_version"] = 1
    assert nn.load(write_model(tmp_path / "v1.npz", header, arrays)
                   ).optimizer.exclude_bias_and_norm is True
    header["optimizer"]["config"]["weight_decay"] = 0.0      # nothing to exclude
    assert nn.load(write_model(tmp_path / "v1-no-decay.npz", header, arrays)
                   ).optimizer.exclude_bias_and_norm is False


def test_compressed_fortran_and_big_endian_arrays_load(tmp_path):
    header, arrays = saved_parts(tmp_path / "m.npz")
    arrays["layers.0.W"] = np.asfortranarray(arrays["layers.0.W"])
    arrays["layers.2.W"] = arrays["layers.2.W"].astype(">f4")
    path = tmp_path / "c.npz"
    np.savez_compressed(path, __nnscratch__=np.array(json.dumps(header)), **arrays)
    model = nn.load(path)
    np.testing.assert_array_equal(model.layers[0].W.data, arrays["layers.0.W"])
    np.testing.assert_array_equal(model.layers[2].W.data, arrays["layers.2.W"])


def test_max_bytes_caps_a_model_file_and_can_be_raised(tmp_path):
    path = tmp_path / "m.npz"
    trained().save(path)
    total = sum(info.file_size for info in zipfile.ZipFile(path).infolist())
    with pytest.raises(ValueError, match=rf"m.npz: the arrays' total \(\d+ entries\) is {total} "
                       rf"bytes, more than the limit max_bytes={total - 1} .*pass a larger"):
        nn.load(path, max_bytes=total - 1)
    assert len(nn.load(path, max_bytes=total)) == 4
    assert len(nn.load(path, max_bytes=None)) == 4
    assert _npzread.DEFAULT_MAX_BYTES == 1 << 30
    with pytest.raises(ValueError, match=r"m.npz: .* more than the limit max_bytes=10"):
        io.read_checkpoint(path, max_bytes=10)


def test_headers_are_checked_before_any_layer_is_built(tmp_path, monkeypatch):
    header, _ = saved_parts(tmp_path / "m.npz")
    header["layers"] = [{"class": "Dense", "config": {"in_features": 20000,
                                                       "out_features": 20000}}]
    path = write_model(tmp_path / "m.npz", header, {"layers.0.W": np.zeros((2, 2), np.float32),
                                                    "layers.0.b": np.zeros(2, np.float32)})

    def refuse(*args, **kwargs):
        raise AssertionError("a layer was built before the file was checked")

    monkeypatch.setattr(nn.Dense, "__init__", refuse)
    with pytest.raises(ValueError, match=r"expected \(20000, 20000\)"):
        nn.load(path)


def test_loading_draws_no_initial_weights(tmp_path, monkeypatch):
    path = tmp_path / "m.npz"
    trained().save(path)
    calls = []
    original = nn.init.GlorotUniform.__call__
    monkeypatch.setattr(nn.init.GlorotUniform, "__call__",
                        lambda self, *a: calls.append(a) or original(self, *a))
    loaded = nn.load(path)
    assert calls == []
    nn.Dense(2, 2)  # outside loading, weights are drawn as before
    assert len(calls) == 1
    np.testing.assert_array_equal(loaded.layers[0].W.data,
                                  np.load(path)["layers.0.W"])


LAYERS = [nn.Dense(3, 5), nn.Dense(4, 1, bias=False), nn.Conv2D(2, 3, 3),
          nn.Conv2D(1, 4, (2, 5), bias=False, padding="same"), nn.BatchNorm1D(7),
          nn.BatchNorm2D(2, affine=False), nn.Dropout(0.3), nn.ReLU(), nn.Softmax(),
          nn.Flatten(), nn.MaxPool2D(2), nn.LeakyReLU(0.1)]


@pytest.mark.parametrize("layer", LAYERS, ids=repr)
def test_array_specs_match_what_a_built_layer_saves(layer):
    specs = type(layer).array_specs(layer.get_config())
    saved = {p.name: p.data for p in layer.parameters()}
    saved.update({f"state.{k}": np.asarray(v) for k, v in layer.state_arrays().items()})
    assert specs is not None and set(specs) == set(saved)
    for key, (shape, kinds) in specs.items():
        assert saved[key].shape == shape and saved[key].dtype.kind in kinds, key


def test_a_user_layer_without_specs_is_checked_after_building(tmp_path):
    class Scale(nn.Layer):
        def __init__(self, n: int) -> None:
            self.n = n
            self.s = nn.Parameter(np.ones(n, np.float32), name="s")

        def parameters(self):
            return [self.s]

        def get_config(self):
            return {"n": self.n}

    assert Scale.array_specs({"n": 3}) is None
    path = tmp_path / "m.npz"
    nn.Sequential(Scale(3)).save(path)
    assert nn.load(path).layers[0].s.data.shape == (3,)
    header, arrays = io.read_npz(path)
    arrays["layers.0.t"] = np.zeros(3, np.float32)
    with pytest.raises(ValueError, match=r"array 'layers.0.t' is read by no layer"):
        io.build_model(header, arrays, "m.npz")
