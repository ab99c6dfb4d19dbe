"""Reproducibility as PyTorch users expect it: ``manual_seed``, building float64 from the
start, and weight decay's settings surviving a save."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

import nnscratch as nn
from nnscratch import _rng
from nnscratch.init import GlorotUniform


@pytest.fixture(autouse=True)
def no_library_seed():
    """Each test starts and ends without a library seed (fresh entropy)."""
    _rng._LIBRARY_RNG = None
    yield
    _rng._LIBRARY_RNG = None


def build_and_train() -> list[np.ndarray]:
    """Unseeded Conv2D, Dropout and Dense layers, trained by fit without seed=."""
    data = np.random.default_rng(123)  # the data is fixed; only the library draws vary
    x = data.normal(size=(24, 1, 6, 6))  # (N, C, H, W)
    y = data.integers(0, 3, 24)
    model = nn.Sequential(
        nn.Conv2D(1, 2, 3), nn.ReLU(), nn.Flatten(), nn.Dropout(0.3),
        nn.Dense(2 * 4 * 4, 3),
    ).use(nn.SoftmaxCrossEntropy(), nn.SGD(0.1, momentum=0.9))
    model.fit(x, y, epochs=3, batch_size=5, verbose=0)
    return [p.data.copy() for p in model.parameters()]


def test_manual_seed_trains_bit_for_bit_in_one_process():
    nn.manual_seed(7)
    first = build_and_train()
    nn.manual_seed(7)
    second = build_and_train()
    for a, b in zip(first, second, strict=True):
        np.testing.assert_array_equal(a, b)
    nn.manual_seed(8)
    other = build_and_train()
    assert not np.array_equal(first[0], other[0])


def test_without_manual_seed_draws_stay_fresh():
    first, second = build_and_train(), build_and_train()
    assert not np.array_equal(first[0], second[0])


def test_manual_seed_covers_dropout_and_fit_shuffling():
    """The issue's case: fit(seed=7) fixes the batches, and manual_seed the Dropout masks
    of an unseeded Dropout; each generator is its own object, drawn in construction order."""
    x = np.random.default_rng(0).normal(size=(20, 4))
    y = np.arange(20) % 2

    def run() -> np.ndarray:
        model = nn.Sequential(nn.Dense(4, 8, rng=0), nn.Dropout(0.5), nn.Dense(8, 2, rng=1))
        model.use(nn.SoftmaxCrossEntropy(), nn.SGD(0.1))
        model.fit(x, y, epochs=2, batch_size=4, seed=7, verbose=0)
        return model.layers[0].W.data.copy()

    nn.manual_seed(3)
    a = run()
    nn.manual_seed(3)
    np.testing.assert_array_equal(run(), a)
    d1, d2 = nn.Dropout(0.5), nn.Dropout(0.5)
    assert d1.rng is not d2.rng and d1.rng is not _rng._LIBRARY_RNG


SCRIPT = """
import numpy as np, nnscratch as nn
nn.manual_seed(11)
model = nn.Sequential(nn.Dense(4, 6), nn.Tanh(), nn.Dropout(0.2), nn.Dense(6, 2))
model.use(nn.SoftmaxCrossEntropy(), nn.Adam(0.01))
x = np.linspace(-1, 1, 60).reshape(15, 4)
model.fit(x, np.arange(15) % 2, epochs=2, batch_size=4, verbose=0)
print(b"".join(p.data.tobytes() for p in model.parameters()).hex())
"""


def test_loading_a_model_takes_no_draws_from_the_library_generator(tmp_path):
    nn.Sequential(nn.Dense(3, 4, rng=0), nn.Dropout(0.5, rng=1)).save(tmp_path / "m.npz")
    nn.manual_seed(5)
    expected = nn.Dense(3, 4).W.data
    nn.manual_seed(5)
    loaded = nn.load(tmp_path / "m.npz")
    np.testing.assert_array_equal(nn.Dense(3, 4).W.data, expected)
    saved = nn.Dropout(0.5, rng=1).rng.bit_generator.state
    assert loaded.layers[1].rng.bit_generator.state == saved   # from the file


def test_manual_seed_bit_for_bit_across_processes():
    outs = [subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True,
                           check=True).stdout for _ in range(2)]
    assert outs[0] == outs[1] and len(outs[0]) > 100


@pytest.mark.parametrize(("seed", "err"), [(-1, ValueError), (1.5, TypeError),
                                           ("0", TypeError), (True, TypeError)])
def test_manual_seed_refuses_bad_seeds(seed, err):
    with pytest.raises(err, match=f"manual_seed: seed must be an integer >= 0, got {seed!r}"):
        nn.manual_seed(seed)


def test_layers_built_under_float64_are_not_float32_rounded():
    """Sequential(dtype=float64) converts float32 draws (rounded to 24 bits); layers built
    inside default_dtype(float64) hold the float64 draws themselves."""
    draw = GlorotUniform()((20, 30), 20, 30, np.random.default_rng(0))  # float64 values
    with nn.default_dtype(np.float64):
        built = nn.Sequential(nn.Dense(20, 30, rng=0), nn.BatchNorm1D(30))
        conv = nn.Conv2D(2, 3, 3, rng=0)
    assert nn.get_default_dtype() == np.float32  # restored after the block
    assert built.dtype == np.float64 and conv.W.data.dtype == np.float64
    assert built.layers[1].running_mean.dtype == np.float64
    np.testing.assert_array_equal(built.layers[0].W.data, draw)
    converted = nn.Sequential(nn.Dense(20, 30, rng=0), dtype=np.float64)
    np.testing.assert_array_equal(converted.layers[0].W.data, draw.astype(np.float32))
    assert np.abs(converted.layers[0].W.data - draw).max() > 1e-9  # the float32 rounding


def test_default_dtype_restores_after_an_error_and_checks_its_argument():
    with pytest.raises(RuntimeError), nn.default_dtype(np.float64):
        raise RuntimeError
    assert nn.get_default_dtype() == np.float32
    with pytest.raises(ValueError, match="default_dtype: dtype must be float32 or float64, "
                                         "got int32"), nn.default_dtype(np.int32):
        pass


@pytest.mark.parametrize("cls", [nn.SGD, nn.Adam, nn.AdamW, nn.RMSProp, nn.AdaGrad])
def test_exclude_bias_and_norm_survives_save_and_load(tmp_path, cls):
    model = nn.Sequential(nn.Dense(3, 2, rng=0)).use(
        nn.MSE(), cls(0.01, weight_decay=0.1, exclude_bias_and_norm=True))
    model.save(tmp_path / "m.npz")
    again = nn.load(tmp_path / "m.npz")
    assert again.optimizer is not None and again.optimizer.exclude_bias_and_norm is True
    assert again.optimizer.get_config() == model.optimizer.get_config()
