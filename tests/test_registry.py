"""Class names in saved files: a user's class with a built-in's name breaks nothing.

Saved files name their classes by public name (``nnscratch.Dense``; a user's class by its
module and name), files of format 1 by bare name (``Dense``), and loading never lets a
user's ``class Dense(nn.Layer)`` stand in for nnscratch's.
"""

from __future__ import annotations

import json
import types

import numpy as np
import pytest

import nnscratch as nn
from nnscratch import io
from nnscratch._registry import Registry, class_key
from nnscratch.layers import LAYER_REGISTRY
from nnscratch.optimizers import OPTIMIZER_REGISTRY


def small_model() -> nn.Sequential:
    x, y = nn.make_spirals(20, 3, rng=0)
    model = nn.Sequential(nn.Dense(2, 8, rng=0, kernel_regularizer=nn.L2(1e-3)), nn.ReLU(),
                          nn.Dense(8, 3, rng=1))
    return model.use(nn.SoftmaxCrossEntropy(), nn.Adam(0.01)).fit(x, y, epochs=2, verbose=0)


def as_format_1(path, out):
    """Rewrite a saved file the way format 1 wrote it: bare class names."""
    with np.load(path, allow_pickle=False) as npz:
        arrays = {k: npz[k] for k in npz.files}
    header = json.loads(str(arrays.pop("__nnscratch__")))
    header["format_version"] = 1
    for spec in header["layers"]:
        spec["class"] = spec["class"].rsplit(".", 1)[-1]
        reg = spec["config"].get("kernel_regularizer")
        if reg:
            reg["class"] = reg["class"].rsplit(".", 1)[-1]
    for key in ("loss", "optimizer"):
        header[key]["class"] = header[key]["class"].rsplit(".", 1)[-1]
    np.savez(out, __nnscratch__=np.array(json.dumps(header)), **arrays)
    return out


def user_module(source: str, name: str = "__main__") -> types.SimpleNamespace:
    """Run ``source`` as if it were a script or notebook cell of module ``name``."""
    namespace: dict = {"__name__": name, "nn": nn, "np": np}
    exec(compile(source, f"<{name}>", "exec"), namespace)
    return types.SimpleNamespace(**namespace)


SHADOWS = """
class Dense(nn.Layer):          # a learner's own Dense, named like the built-in
    def __init__(self, n_in=1, n_out=1, **kwargs):
        self.n_in, self.n_out = n_in, n_out
    def forward(self, x):
        return x
    def get_config(self):
        return {"n_in": self.n_in, "n_out": self.n_out}

class Adam(nn.Optimizer):
    def _update(self, p, grad, state):
        p.data -= self.learning_rate * grad

class L2(nn.regularizers.Regularizer):
    pass

class SoftmaxCrossEntropy(nn.losses.Loss):
    pass
"""


def test_public_names():
    assert class_key(nn.Dense) == "nnscratch.Dense"
    assert class_key(nn.schedules.CosineDecay) == "nnscratch.CosineDecay"
    mine = user_module("class Gate(nn.Layer):\n    pass\n", name="mylib.layers")
    assert class_key(mine.Gate) == "mylib.layers.Gate"
    assert LAYER_REGISTRY.get("mylib.layers.Gate") is mine.Gate
    assert "Gate" not in LAYER_REGISTRY.builtin_names()


def test_user_classes_named_like_builtins_do_not_replace_them(tmp_path):
    model = small_model()
    model.save(tmp_path / "m.npz")
    old = as_format_1(tmp_path / "m.npz", tmp_path / "old.npz")
    user_module(SHADOWS)
    assert LAYER_REGISTRY.get("Dense") is nn.Dense
    assert LAYER_REGISTRY.get("__main__.Dense") is not nn.Dense
    assert OPTIMIZER_REGISTRY.get("Adam") is nn.Adam
    assert nn.optimizers.get_optimizer("adam").__class__ is nn.Adam
    assert type(nn.losses.get_loss("SoftmaxCrossEntropy")) is nn.SoftmaxCrossEntropy
    x, _ = nn.make_spirals(5, 3, rng=1)
    for path in (tmp_path / "m.npz", old):   # today's format and format 1
        loaded = nn.load(path)
        assert [type(layer) for layer in loaded.layers] == [nn.Dense, nn.ReLU, nn.Dense]
        assert type(loaded.optimizer) is nn.Adam
        assert type(loaded.loss) is nn.SoftmaxCrossEntropy
        assert type(loaded.layers[0].W.regularizer) is nn.L2
        np.testing.assert_array_equal(loaded.predict(x), model.predict(x))


def test_a_users_class_with_a_builtins_name_saves_and_loads_as_itself(tmp_path):
    mine = user_module(SHADOWS)
    model = nn.Sequential(mine.Dense(3, 3), nn.Dense(3, 2, rng=0))
    model.save(tmp_path / "m.npz")
    header, _ = io.read_npz(tmp_path / "m.npz")
    assert [s["class"] for s in header["layers"]] == ["__main__.Dense", "nnscratch.Dense"]
    loaded = nn.load(tmp_path / "m.npz")
    assert type(loaded.layers[0]) is mine.Dense and type(loaded.layers[1]) is nn.Dense


def test_rerunning_a_notebook_cell_keeps_loading(tmp_path):
    cell = ("class Scale(nn.Layer):\n"
            "    def __init__(self, k=2.0):\n        self.k = k\n"
            "    def forward(self, x):\n        return self.k * x\n"
            "    def get_config(self):\n        return {'k': self.k}\n")
    first = user_module(cell)
    nn.Sequential(first.Scale(3.0)).save(tmp_path / "m.npz")
    second = user_module(cell)                     # the cell run again: a new class object
    loaded = nn.load(tmp_path / "m.npz")
    assert type(loaded.layers[0]) is second.Scale and loaded.layers[0].k == 3.0


def test_format_1_file_of_a_users_own_layer_still_loads(tmp_path):
    mine = user_module("class Halve(nn.Layer):\n    def forward(self, x):\n"
                       "        return x / 2\n", name="halving")
    nn.Sequential(nn.Dense(2, 2, rng=0), mine.Halve()).save(tmp_path / "m.npz")
    with np.load(tmp_path / "m.npz", allow_pickle=False) as npz:
        arrays = {k: npz[k] for k in npz.files}
    header = json.loads(str(arrays.pop("__nnscratch__")))
    header["format_version"] = 1
    header["layers"] = [{**s, "class": s["class"].rsplit(".", 1)[-1]} for s in header["layers"]]
    np.savez(tmp_path / "old.npz", __nnscratch__=np.array(json.dumps(header)), **arrays)
    assert type(nn.load(tmp_path / "old.npz").layers[1]) is mine.Halve


def test_unknown_and_ambiguous_names_are_refused(tmp_path):
    model = nn.Sequential(nn.Dense(2, 2, rng=0))
    model.save(tmp_path / "m.npz")
    header, arrays = io.read_npz(tmp_path / "m.npz")
    for name in ("os.system", "nnscratch.Mystery", "Mystery", ""):
        header["layers"][0]["class"] = name
        with pytest.raises(ValueError, match=r"unknown layer class|unknown class"):
            io.build_model(header, arrays, "m.npz")
    registry: Registry[type] = Registry("thing")
    a = registry.register(type("Twin", (), {"__module__": "one"}))
    registry.register(type("Twin", (), {"__module__": "two"}))
    assert registry.get("one.Twin") is a
    assert registry.get("Twin") is None            # two candidates: no guessing


def test_resume_matches_callbacks_and_schedules_by_public_name(tmp_path):
    x, y = nn.make_spirals(20, 3, rng=0)

    def build():
        return nn.Sequential(nn.Dense(2, 8, rng=0), nn.ReLU(), nn.Dense(8, 3, rng=1)).use(
            nn.SoftmaxCrossEntropy(), nn.SGD(0.1))

    user_module("class EarlyStopping(nn.Callback):\n"
                "    def state_dict(self):\n        return {'mine': 1}\n"
                "    def load_state_dict(self, state):\n        raise AssertionError\n")
    stop = nn.EarlyStopping(monitor="loss", mode="max", patience=5)
    build().fit(x, y, epochs=2, verbose=0, seed=0, callbacks=[stop, nn.ModelCheckpoint(
        tmp_path / "c.npz", save_training_state=True)])
    _, _, training = io.read_checkpoint(tmp_path / "c.npz")
    assert training["callbacks"][0]["class"] == "nnscratch.EarlyStopping"
    again = nn.EarlyStopping(monitor="loss", mode="max", patience=5)
    build().fit(x, y, epochs=3, verbose=0, seed=0, callbacks=[again],
                resume_from=tmp_path / "c.npz")
    assert again.best == stop.best > 0               # the built-in's state came back
    sched = nn.schedules.CosineDecay(10, learning_rate=0.1)
    state = sched.state_dict()
    assert state["class"] == "nnscratch.CosineDecay"
    nn.schedules.CosineDecay(10).load_state_dict({**state, "class": "CosineDecay"})  # format 1
    with pytest.raises(ValueError, match=r"saved state is for 'nnscratch\.Constant'"):
        sched.load_state_dict({**state, "class": "nnscratch.Constant"})
