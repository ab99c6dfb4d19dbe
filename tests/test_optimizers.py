"""Optimizers without PyTorch: first steps worked by hand, in-place float32 updates,
clipping, saved state, convergence and argument checks. (PyTorch comparisons over 20
steps: test_torch_optim.py)"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest

from nnscratch.optimizers import (
    SGD,
    AdaGrad,
    Adam,
    AdamW,
    Optimizer,
    RMSProp,
    get_optimizer,
)
from nnscratch.parameter import Parameter
from optimizer_cases import CASE_IDS, OPTIMIZER_CASES, TORCH_NAMES

ALL, IDS = OPTIMIZER_CASES, CASE_IDS


def param(values: Any, dtype: Any = np.float64, regularize: bool = True) -> Parameter:
    return Parameter(np.array(values, dtype=dtype), name="w", regularize=regularize)


def one_step(opt: Optimizer, w: Any, g: Any) -> np.ndarray:
    p = param(w)
    opt.bind([p])
    p.grad[...] = g
    opt.step()
    return p.data


# -- first steps worked by hand ------------------------------------------------------------
def test_sgd_known_answers():
    # θ − η g: 1 − 0.1 · 2 = 0.8
    np.testing.assert_allclose(one_step(SGD(0.1), [1.0], [2.0]), [0.8])
    # with L2 decay: g + λθ = 2 + 0.5 · 1 = 2.5 -> 1 − 0.25
    np.testing.assert_allclose(one_step(SGD(0.1, weight_decay=0.5), [1.0], [2.0]), [0.75])
    # momentum: the buffer starts as g (not (1 − τ) g), then b = μ b + (1 − τ) g
    p = param([0.0])
    opt = SGD(0.1, momentum=0.9, dampening=0.5).bind([p])
    p.grad[...] = 1.0
    opt.step()  # b = 1, θ = −0.1
    opt.step()  # b = 0.9 + 0.5 = 1.4, θ = −0.1 − 0.14
    np.testing.assert_allclose(p.data, [-0.24])
    np.testing.assert_allclose(opt.state[0]["momentum_buffer"], [1.4])
    # Nesterov: d = g + μ b; first step b = g = 1, d = 1.9
    np.testing.assert_allclose(one_step(SGD(0.1, momentum=0.9, nesterov=True), [0.0], [1.0]),
                               [-0.19])


def test_adaptive_first_steps():
    g = np.array([0.5, -2.0, 1e-3])
    # AdaGrad: G = g², step η g / (|g| + ε)
    np.testing.assert_allclose(one_step(AdaGrad(0.1, eps=1e-10), np.zeros(3), g),
                               -0.1 * g / (np.abs(g) + 1e-10))
    # RMSProp: v = (1 − ρ) g², step η g / (√(1 − ρ) |g| + ε)
    np.testing.assert_allclose(one_step(RMSProp(0.01, rho=0.9), np.zeros(3), g),
                               -0.01 * g / (math.sqrt(0.1) * np.abs(g) + 1e-8))
    # Adam: m̂ = g, v̂ = g², step η g / (|g| + ε), about η · sign(g)
    np.testing.assert_allclose(one_step(Adam(0.01), np.zeros(3), g),
                               -0.01 * g / (np.abs(g) + 1e-8), rtol=1e-12)
    # AdamW with a zero gradient only shrinks: θ (1 − η λ) = 2 · (1 − 0.1 · 0.5)
    np.testing.assert_allclose(one_step(AdamW(0.1, weight_decay=0.5), [2.0], [0.0]), [1.9])


#: Every optimizer that declares weight_decay.
DECAYING = sorted({cls for cls, _ in ALL if "weight_decay" in cls.rules()},
                  key=lambda cls: cls.__name__)


@pytest.mark.parametrize("cls", DECAYING, ids=[c.__name__ for c in DECAYING])
def test_weight_decay_applies_to_biases_by_default(cls):
    """As in torch.optim and Keras, a bias (regularize=False) decays exactly like a weight
    holding the same values."""
    w, b = param([1.0, -2.0]), param([1.0, -2.0], regularize=False)
    opt = cls(0.1, weight_decay=0.5).bind([w, b])
    for _ in range(3):
        for p in (w, b):
            p.grad[...] = [0.3, 0.1]
        opt.step()
    np.testing.assert_array_equal(b.data, w.data)


@pytest.mark.parametrize("cls", DECAYING, ids=[c.__name__ for c in DECAYING])
def test_exclude_bias_and_norm_skips_unregularized(cls):
    """With the switch on, biases (regularize=False) take exactly the step they would take
    without decay, weights still decay, and the setting survives get_config."""
    w, b = param([1.0, -2.0]), param([1.0, -2.0], regularize=False)
    ref = param([1.0, -2.0])
    opt = cls(0.1, weight_decay=0.5, exclude_bias_and_norm=True).bind([w, b])
    plain = cls(0.1, weight_decay=0.0).bind([ref])
    for _ in range(3):
        for p in (w, b, ref):
            p.grad[...] = [0.3, 0.1]
        opt.step()
        plain.step()
    np.testing.assert_array_equal(b.data, ref.data)
    assert not np.array_equal(w.data, ref.data)
    assert opt.get_config()["exclude_bias_and_norm"] is True
    assert cls(**opt.get_config()).exclude_bias_and_norm is True
    with pytest.raises(TypeError, match=f"{cls.__name__}: exclude_bias_and_norm must be "
                                        "True or False, got 'yes'"):
        cls(exclude_bias_and_norm="yes")


# -- in place, float32, reused buffers -------------------------------------------------------
@pytest.mark.parametrize(("cls", "kw"), ALL, ids=IDS)
def test_in_place_float32_no_new_buffers(cls, kw):
    gen = np.random.default_rng(0)
    params = [param(gen.normal(size=(4, 3)), np.float32), param(gen.normal(size=3), np.float32,
                                                                 regularize=False)]
    data_ids = [id(p.data) for p in params]
    opt = cls(**kw).bind(params)
    buffers: list[dict[str, int]] = []
    for _ in range(4):
        for p in params:
            p.grad[...] = gen.normal(size=p.shape)
        opt.step()
        buffers.append({f"{i}.{k}": id(v) for i, s in enumerate(opt.state)
                        for k, v in s.items() if isinstance(v, np.ndarray)})
    assert [id(p.data) for p in params] == data_ids  # never rebound
    for p, s in zip(params, opt.state, strict=True):
        assert p.data.dtype == np.float32 and p.grad.dtype == np.float32
        for k, v in s.items():
            if isinstance(v, np.ndarray):
                assert v.dtype == np.float32, k
    # from the second step on, every array (state and scratch) is reused
    assert buffers[1] == buffers[2] == buffers[3]


@pytest.mark.parametrize(("cls", "kw"), ALL, ids=IDS)
def test_float32_tracks_float64(cls, kw):
    gen = np.random.default_rng(1)
    w0, grads = gen.normal(size=(5, 2)), [gen.normal(size=(5, 2)) for _ in range(10)]
    out = {}
    for dtype in (np.float32, np.float64):
        p = param(w0, dtype)
        opt = cls(**kw).bind([p])
        for g in grads:
            p.grad[...] = g
            opt.step()
        out[dtype] = p.data.astype(np.float64)
    np.testing.assert_allclose(out[np.float32], out[np.float64], rtol=1e-4, atol=1e-5)


# -- clipping --------------------------------------------------------------------------------
def test_clipnorm_known_answer():
    a, b = param([3.0, 0.0]), param([[0.0, 4.0]])
    opt = SGD(1.0, clipnorm=1.0).bind([a, b])
    a.grad[...] = [3.0, 0.0]
    b.grad[...] = [[0.0, 4.0]]
    assert opt.clip_gradients() == pytest.approx(5.0)  # global norm √(9 + 16)
    scale = 1.0 / (5.0 + 1e-6)  # as torch.nn.utils.clip_grad_norm_
    np.testing.assert_allclose(a.grad, [3 * scale, 0.0])
    np.testing.assert_allclose(b.grad, [[0.0, 4 * scale]])
    # below the threshold nothing changes
    a.grad[...] = [0.3, 0.0]
    b.grad[...] = 0.0
    opt.clip_gradients()
    np.testing.assert_array_equal(a.grad, [0.3, 0.0])


def test_clipvalue_then_clipnorm():
    p = param([0.0, 0.0, 0.0])
    opt = SGD(1.0, clipvalue=1.0).bind([p])
    p.grad[...] = [-5.0, 0.5, 3.0]
    assert math.isnan(opt.clip_gradients())
    np.testing.assert_array_equal(p.grad, [-1.0, 0.5, 1.0])
    p.grad[...] = [-5.0, 0.5, 3.0]
    opt.step()
    np.testing.assert_array_equal(p.data, [1.0, -0.5, -1.0])
    both = SGD(1.0, clipvalue=1.0, clipnorm=0.5).bind([p])
    p.grad[...] = [-5.0, 0.0, 3.0]
    both.clip_gradients()  # clamp to [−1, 0, 1] (norm √2), then rescale to norm 0.5
    np.testing.assert_allclose(np.linalg.norm(p.grad), 0.5, rtol=1e-5)


# -- saved state -----------------------------------------------------------------------------
@pytest.mark.parametrize(("cls", "kw"), ALL, ids=IDS)
def test_state_dict_resume_is_exact(cls, kw):
    gen = np.random.default_rng(2)
    w0 = [gen.normal(size=(3, 2)), gen.normal(size=2)]
    grads = [[gen.normal(size=(3, 2)), gen.normal(size=2)] for _ in range(12)]

    def run(params: list[Parameter], opt: Optimizer, gs: list) -> None:
        for g in gs:
            for p, gi in zip(params, g, strict=True):
                p.grad[...] = gi
            opt.step()

    full = [param(w) for w in w0]
    opt = cls(**kw).bind(full)
    run(full, opt, grads[:6])
    saved = opt.state_dict()
    saved_weights = [p.data.copy() for p in full]
    snapshot = {f"{i}.{k}": v.copy() for i, s in enumerate(saved["state"])
                for k, v in s.items() if isinstance(v, np.ndarray)}
    opt.learning_rate = opt.learning_rate * 0.5  # e.g. a schedule; restored from the state
    opt.learning_rate = opt.learning_rate * 2.0
    run(full, opt, grads[6:])
    # the saved copy did not follow the live buffers
    for i, s in enumerate(saved["state"]):
        for k, v in s.items():
            if isinstance(v, np.ndarray):
                np.testing.assert_array_equal(v, snapshot[f"{i}.{k}"])
        assert not any(k.startswith("_") for k in s)  # scratch is not saved

    resumed = [param(w) for w in saved_weights]
    opt2 = cls(**kw).bind(resumed)
    opt2.load_state_dict(saved)
    run(resumed, opt2, grads[6:])
    for a, b in zip(full, resumed, strict=True):
        np.testing.assert_array_equal(a.data, b.data)  # bit for bit
    assert opt2.iterations == opt.iterations == 12
    # loading copied the arrays: training on did not touch the dict it was given
    for i, s in enumerate(saved["state"]):
        for k, v in s.items():
            if isinstance(v, np.ndarray):
                np.testing.assert_array_equal(v, snapshot[f"{i}.{k}"])


def test_load_state_dict_restores_learning_rate_and_checks_shapes():
    p = param(np.zeros(3))
    opt = Adam(0.01).bind([p])
    p.grad[...] = 1.0
    opt.step()
    state = opt.state_dict()
    other = Adam(0.5).bind([param(np.zeros(3))])
    other.load_state_dict(state)
    assert other.learning_rate == 0.01
    with pytest.raises(ValueError, match=r"saved 'exp_avg' for parameter 0 \(w\) has shape "
                                         r"\(3,\), expected \(4,\)"):
        Adam().bind([param(np.zeros(4))]).load_state_dict(state)
    with pytest.raises(ValueError, match="saved state is for 1 parameters, 2 are bound"):
        Adam().bind([p, param([1.0])]).load_state_dict(state)
    f32 = Adam().bind([param(np.zeros(3), np.float32)])
    f32.load_state_dict(state)  # converted to the parameter's dtype
    assert f32.state[0]["exp_avg"].dtype == np.float32


# -- convergence, configuration, misuse --------------------------------------------------------
#: The cases whose weight decay is small enough to leave the optimum within 10% of t.
LIGHT_DECAY = [(case, name) for case, name in zip(ALL, IDS, strict=True)
               if case[1].get("weight_decay", 0.0) <= 0.01]


@pytest.mark.parametrize(("cls", "kw"), [case for case, _ in LIGHT_DECAY],
                         ids=[name for _, name in LIGHT_DECAY])
def test_minimises_a_quadratic(cls, kw):
    """f(θ) = ½ ‖θ − t‖²: every optimizer gets much closer to t in 300 steps."""
    target = np.array([1.0, -2.0, 0.5])
    p = param(np.zeros(3), regularize=False)
    opt = cls(**kw).bind([p])
    for _ in range(300):
        p.grad[...] = p.data - target
        opt.step()
    assert np.linalg.norm(p.data - target) < 0.1 * np.linalg.norm(target)


@pytest.mark.parametrize(("cls", "kw"), ALL, ids=IDS)
def test_config_round_trip(cls, kw):
    opt = cls(**kw)
    again = cls(**opt.get_config())
    assert again.get_config() == opt.get_config()
    assert repr(again).startswith(f"{cls.__name__}(learning_rate=")
    assert type(get_optimizer(cls.__name__.lower(), **kw)) is cls


def test_defaults():
    assert SGD().learning_rate == 0.01
    assert (AdaGrad().learning_rate, AdaGrad().eps) == (0.01, 1e-10)
    r = RMSProp()
    assert (r.learning_rate, r.rho, r.alpha, r.eps) == (0.001, 0.9, 0.9, 1e-8)
    a = Adam()
    assert (a.learning_rate, a.beta1, a.beta2, a.eps, a.weight_decay) == (0.001, 0.9, 0.999,
                                                                          1e-8, 0.0)
    assert AdamW().weight_decay == 0.01
    assert isinstance(get_optimizer(None), SGD)


def test_step_before_bind():
    with pytest.raises(RuntimeError, match=r"no parameters bound; call bind\(\) first"):
        Adam().step()


@pytest.mark.parametrize(
    ("make", "exc", "match"),
    [
        (lambda: SGD(-1), ValueError, "SGD: learning_rate must be > 0, got -1"),
        (lambda: Adam(0), ValueError, "Adam: learning_rate must be > 0, got 0"),
        (lambda: RMSProp(float("nan")), ValueError, "learning_rate must be > 0, got nan"),
        (lambda: AdaGrad("0.1"), TypeError, "AdaGrad: learning_rate must be a number"),
        (lambda: SGD(momentum=1.0), ValueError, r"SGD: momentum must be in \[0, 1\), got 1\.0"),
        (lambda: SGD(momentum=-0.1), ValueError, r"momentum must be in \[0, 1\), got -0\.1"),
        (lambda: SGD(weight_decay=-1e-4), ValueError,
         r"SGD: weight_decay must be >= 0, got -0\.0001"),
        (lambda: SGD(momentum=0.9, dampening=1.5), ValueError,
         r"dampening must be in \[0, 1\], got 1\.5"),
        (lambda: SGD(nesterov=True), ValueError,
         r"nesterov=True needs momentum > 0 and dampening == 0, got momentum=0\.0"),
        (lambda: SGD(momentum=0.9, nesterov=True, dampening=0.1), ValueError,
         r"dampening=0\.1"),
        (lambda: AdaGrad(eps=-1), ValueError, r"AdaGrad: eps must be >= 0, got -1"),
        (lambda: AdaGrad(lr_decay=-0.1), ValueError, r"lr_decay must be >= 0"),
        (lambda: AdaGrad(initial_accumulator_value=-1), ValueError,
         r"initial_accumulator_value must be >= 0, got -1"),
        (lambda: RMSProp(rho=1.0), ValueError, r"RMSProp: rho must be in \[0, 1\), got 1\.0"),
        (lambda: RMSProp(momentum=1.2), ValueError, r"momentum must be in \[0, 1\), got 1\.2"),
        (lambda: RMSProp(eps=-1e-8), ValueError, r"eps must be >= 0, got -1e-08"),
        (lambda: Adam(beta1=1.0), ValueError, r"Adam: beta1 must be in \[0, 1\), got 1\.0"),
        (lambda: Adam(beta2=-0.1), ValueError, r"Adam: beta2 must be in \[0, 1\), got -0\.1"),
        (lambda: AdamW(weight_decay=-0.01), ValueError,
         r"AdamW: weight_decay must be >= 0, got -0\.01"),
        (lambda: Adam(beta1=True), TypeError, "Adam: beta1 must be a number, got True"),
        (lambda: Adam(clipnorm=0), ValueError, r"Adam: clipnorm must be > 0 or None, got 0"),
        (lambda: SGD(clipvalue=-1.0), ValueError,
         r"SGD: clipvalue must be > 0 or None, got -1\.0"),
        (lambda: get_optimizer("adamax"), ValueError, "unknown optimizer 'adamax'"),
    ],
)
def test_bad_arguments(make, exc, match):
    with pytest.raises(exc, match=match):
        make()


def test_learning_rate_setter_validates():
    opt = Adam()
    with pytest.raises(ValueError, match=r"Adam: learning_rate must be > 0, got -0\.5"):
        opt.learning_rate = -0.5


@pytest.mark.parametrize("module", ["nnscratch.optimizers.sgd", "nnscratch.optimizers.adagrad",
                                    "nnscratch.optimizers.rmsprop", "nnscratch.optimizers.adam",
                                    "nnscratch.schedules",
                                    "nnscratch.regularizers", "nnscratch.layers.dropout",
                                    "nnscratch.layers.norm"])
def test_docstring_examples(module):
    import doctest
    import importlib

    result = doctest.testmod(importlib.import_module(module))
    assert result.failed == 0 and result.attempted > 0


def test_adamw_is_adam_with_its_own_weight_decay_default():
    """AdamW takes Adam's arguments in Adam's order; only weight_decay's default differs,
    and the signature (which loading reads) says so."""
    import inspect

    adam, adamw = inspect.signature(Adam), inspect.signature(AdamW)
    assert list(adam.parameters) == list(adamw.parameters)
    assert adamw.parameters["weight_decay"].default == 0.01
    assert adam.parameters["weight_decay"].default == 0.0
    opt = AdamW(0.01, 0.8)
    assert (opt.learning_rate, opt.beta1, opt.weight_decay) == (0.01, 0.8, 0.01)
    assert AdamW(**opt.get_config()).get_config() == opt.get_config()


@pytest.mark.parametrize(("cls", "kw"), ALL, ids=IDS)
def test_repr_shows_every_argument_given(cls, kw):
    text = repr(cls(**kw))
    for key, value in kw.items():
        assert f"{key}={value!r}" in text


def test_every_optimizer_has_a_test_case():
    """Each built-in optimizer is unit-tested here and compared with torch.optim in
    test_torch_optim.py through the one table in optimizer_cases.py."""
    from nnscratch.optimizers import OPTIMIZER_REGISTRY

    builtin = {OPTIMIZER_REGISTRY[name] for name in OPTIMIZER_REGISTRY.builtin_names()}
    assert builtin <= {cls for cls, _ in OPTIMIZER_CASES} <= set(TORCH_NAMES)
