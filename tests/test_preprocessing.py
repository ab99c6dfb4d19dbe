"""Preprocessing and batching: known answers, scikit-learn as reference, argument errors."""

from __future__ import annotations

import math
import tracemalloc

import numpy as np
import pytest

from nnscratch.data import (
    Batches,
    Standardizer,
    batches,
    flatten,
    normalize,
    one_hot,
    standardize,
    train_test_split,
)

# -- flatten / normalize -----------------------------------------------------------------------


def test_flatten_shapes_and_view():
    x = np.arange(2 * 3 * 4 * 5).reshape(2, 3, 4, 5)
    f = flatten(x)
    assert f.shape == (2, 60)
    assert np.shares_memory(f, x)
    np.testing.assert_array_equal(f[1], x[1].ravel())
    assert flatten(np.arange(3)).shape == (3, 1)
    assert flatten(np.zeros((0, 28, 28))).shape == (0, 784)
    with pytest.raises(ValueError, match="sample axis"):
        flatten(np.float64(1.0))


def test_normalize_known_answer():
    x = np.array([[0, 51], [102, 255]], dtype=np.uint8)
    out = normalize(x)
    assert out.dtype == np.float32
    np.testing.assert_allclose(out, [[0.0, 0.2], [0.4, 1.0]], rtol=1e-7)
    assert normalize(x, dtype=np.float64).dtype == np.float64
    np.testing.assert_allclose(normalize(np.array([5.0]), scale=10), [0.5])
    assert x.dtype == np.uint8  # input untouched


@pytest.mark.parametrize("scale", [0, -1, np.inf, np.nan])
def test_normalize_bad_scale(scale):
    with pytest.raises(ValueError, match="scale must be a finite number > 0"):
        normalize(np.ones(3), scale=scale)


def test_normalize_bad_dtype():
    with pytest.raises(ValueError, match="dtype must be a floating type, got int32"):
        normalize(np.ones(3), dtype=np.int32)


# -- standardize -------------------------------------------------------------------------------


def test_standardizer_known_answer():
    # feature 0: values 1, 3 -> mean 2, std 1; feature 1: constant 7 -> 0 after scaling
    x_train = np.array([[1.0, 7.0], [3.0, 7.0]])
    s = Standardizer(eps=0.0 + 1e-12).fit(x_train)
    np.testing.assert_allclose(s.mean_, [2.0, 7.0])
    np.testing.assert_allclose(s.transform(x_train), [[-1.0, 0.0], [1.0, 0.0]], atol=1e-6)
    # test data uses the training statistics: (5 - 2) / 1 = 3, not its own mean
    np.testing.assert_allclose(s.transform(np.array([[5.0, 9.0]]))[:, 0], [3.0], rtol=1e-6)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_standardizer_matches_sklearn(rng, dtype):
    preprocessing = pytest.importorskip("sklearn.preprocessing")
    x_train = (rng.standard_normal((50, 6)) * [1, 2, 3, 4, 5, 6] + 10).astype(dtype)
    x_test = (rng.standard_normal((20, 6)) * 3).astype(dtype)
    ref = preprocessing.StandardScaler().fit(x_train.astype(np.float64))
    a, b = standardize(x_train, x_test, eps=0.0)
    assert a.dtype == dtype and b.dtype == dtype
    tol = 1e-5 if dtype == np.float32 else 1e-12
    np.testing.assert_allclose(a, ref.transform(x_train.astype(np.float64)), rtol=tol, atol=tol)
    np.testing.assert_allclose(b, ref.transform(x_test.astype(np.float64)), rtol=tol, atol=tol)


def test_standardizer_images_per_pixel_and_global(rng):
    x = rng.integers(0, 256, (30, 8, 8), dtype=np.uint8)
    per_pixel = Standardizer().fit(x)
    assert per_pixel.mean_.shape == (8, 8)
    z = per_pixel.transform(x)
    assert z.dtype == np.float32  # integer input -> float32
    np.testing.assert_allclose(z.mean(axis=0), 0, atol=1e-5)
    np.testing.assert_allclose(z.std(axis=0), 1, atol=1e-4)
    g = Standardizer(axis=None).fit(x)
    assert g.mean_.shape == ()
    np.testing.assert_allclose(g.transform(x).std(), 1, atol=1e-4)
    np.testing.assert_allclose(g.inverse_transform(g.transform(x, np.float64)), x, atol=1e-9)


def test_standardize_single_argument_and_constant_feature():
    out = standardize(np.array([[4.0], [4.0], [4.0]]))
    np.testing.assert_array_equal(out, 0.0)  # no division by zero, no warning


def test_standardizer_errors():
    with pytest.raises(RuntimeError, match=r"transform\(\) called before fit\(\)"):
        Standardizer().transform(np.ones((2, 2)))
    with pytest.raises(RuntimeError, match=r"inverse_transform\(\) called before fit\(\)"):
        Standardizer().inverse_transform(np.ones((2, 2)))
    s = Standardizer().fit(np.ones((3, 4)))
    with pytest.raises(ValueError, match=r"fitted on samples of shape \(4,\), got x of shape"):
        s.transform(np.ones((3, 5)))
    with pytest.raises(ValueError, match="at least one sample"):
        Standardizer().fit(np.ones((0, 3)))
    with pytest.raises(ValueError, match="eps must be"):
        Standardizer(eps=-1)
    with pytest.raises(ValueError, match="axis must be 0 or None, got 1"):
        Standardizer(axis=1)
    with pytest.raises(ValueError, match="dtype must be a floating type"):
        s.transform(np.ones((1, 4)), dtype=np.int64)
    assert repr(s) == "Standardizer(eps=1e-08, axis=0)"


# -- one_hot -----------------------------------------------------------------------------------


def test_one_hot_known_answer():
    out = one_hot(np.array([2, 0, 1, 2]))
    expected = [[0, 0, 1], [1, 0, 0], [0, 1, 0], [0, 0, 1]]
    np.testing.assert_array_equal(out, expected)
    assert out.dtype == np.float32
    assert one_hot([1], num_classes=4, dtype=np.float64).tolist() == [[0, 1, 0, 0]]
    assert one_hot(np.array([[0, 1]]), 2).shape == (1, 2, 2)
    assert one_hot(np.array([1.0, 0.0]), 2).tolist() == [[0, 1], [1, 0]]
    assert one_hot(np.array([], dtype=int), 3).shape == (0, 3)
    assert one_hot(np.array([3], dtype=np.uint8), 10).argmax() == 3


@pytest.mark.torch
def test_one_hot_matches_torch(torch, rng):
    labels = rng.integers(0, 7, 50)
    ref = torch.nn.functional.one_hot(torch.from_numpy(labels), 7).numpy()
    np.testing.assert_array_equal(one_hot(labels, 7), ref)


@pytest.mark.parametrize(("labels", "num_classes", "pattern"), [
    ([0, 3], 3, r"labels must be in \[0, 3\), got values in \[0, 3\]"),
    ([-1, 2], 3, r"labels must be in \[0, 3\), got values in \[-1, 2\]"),
    ([-1, 2], None, r"labels must be in \[0, 3\), got values in \[-1, 2\]"),
    ([0.5], 2, "labels must be integers, got non-integral floats"),
    ([np.nan], 2, "labels must be integers"),
    (["a"], 2, "labels must be integers, got dtype <U1"),
    ([], None, "num_classes is needed when labels is empty"),
    ([0], 0, "num_classes must be a positive integer, got 0"),
    ([0], 2.0, "num_classes must be a positive integer, got 2.0"),
])
def test_one_hot_errors(labels, num_classes, pattern):
    with pytest.raises(ValueError, match=pattern):
        one_hot(np.array(labels), num_classes)


# -- train_test_split --------------------------------------------------------------------------


@pytest.mark.parametrize(("n", "test_size"), [(10, 0.2), (10, 0.25), (7, 0.5), (100, 0.333),
                                               (10000, 0.2), (10, 3), (2, 1), (5, 0.01)])
def test_split_sizes_match_sklearn(n, test_size):
    model_selection = pytest.importorskip("sklearn.model_selection")
    x = np.arange(n)
    x_tr, x_te = train_test_split(x, test_size=test_size, rng=0)
    ref_tr, ref_te = model_selection.train_test_split(x, test_size=test_size, random_state=0)
    assert (len(x_tr), len(x_te)) == (len(ref_tr), len(ref_te))
    assert len(x_te) == (test_size if isinstance(test_size, int) else math.ceil(test_size * n))


def test_split_is_a_partition_and_keeps_pairs():
    x = np.arange(50)
    y = x * 10
    x_tr, x_te, y_tr, y_te = train_test_split(x, y, 0.3, rng=1)
    assert sorted(np.concatenate([x_tr, x_te]).tolist()) == list(range(50))
    np.testing.assert_array_equal(y_tr, x_tr * 10)
    np.testing.assert_array_equal(y_te, x_te * 10)


def test_split_multidimensional_x():
    x = np.arange(40).reshape(10, 2, 2)
    x_tr, x_te = train_test_split(x, test_size=0.2, rng=0)
    assert x_tr.shape == (8, 2, 2) and x_te.shape == (2, 2, 2)


def test_split_seeded_reproducible_and_seed_dependent():
    x, y = np.arange(100), np.arange(100) % 4
    a = train_test_split(x, y, rng=42)
    b = train_test_split(x, y, rng=42)
    c = train_test_split(x, y, rng=43)
    for u, v in zip(a, b, strict=True):
        np.testing.assert_array_equal(u, v)
    assert not np.array_equal(a[1], c[1])
    gen = np.random.default_rng(0)
    assert not np.array_equal(train_test_split(x, rng=gen)[1], train_test_split(x, rng=gen)[1])


def test_split_without_shuffle_takes_the_tail():
    x_tr, x_te = train_test_split(np.arange(10), test_size=0.3, shuffle=False)
    assert x_tr.tolist() == list(range(7)) and x_te.tolist() == [7, 8, 9]


def test_stratified_split_keeps_class_proportions():
    y = np.repeat([0, 1, 2], [700, 200, 100])
    x = np.arange(1000)
    x_tr, x_te, y_tr, y_te = train_test_split(x, y, 0.2, rng=0, stratify=True)
    assert len(x_tr) == 800
    assert np.bincount(y_te).tolist() == [140, 40, 20]
    assert np.bincount(y_tr).tolist() == [560, 160, 80]
    np.testing.assert_array_equal(y[x_te], y_te)
    # the test part is not grouped by class
    assert not np.all(np.diff(y_te) >= 0)


@pytest.mark.parametrize("seed", range(5))
def test_stratified_split_rounding(seed):
    gen = np.random.default_rng(seed)
    counts = gen.integers(2, 40, size=int(gen.integers(2, 8)))
    y = np.repeat(np.arange(len(counts)), counts)
    test_size = float(gen.uniform(0.1, 0.6))
    _, x_te, _, y_te = train_test_split(np.arange(len(y)), y, test_size, rng=seed, stratify=True)
    n_test = math.ceil(test_size * len(y))
    assert len(x_te) == n_test
    exact = counts * n_test / len(y)
    # every class within one sample of its exact share
    assert np.all(np.abs(np.bincount(y_te, minlength=len(counts)) - exact) < 1)


def test_stratify_by_other_labels():
    y = np.arange(40)
    groups = np.repeat([0, 1], [30, 10])
    _, _, _, y_te = train_test_split(np.arange(40), y, 0.5, rng=3, stratify=groups)
    assert np.bincount(groups[y_te]).tolist() == [15, 5]


@pytest.mark.parametrize(("kwargs", "pattern"), [
    ({"test_size": 0.0}, r"test_size must be a float in \(0, 1\) or an int count, got 0\.0"),
    ({"test_size": 1.0}, "test_size must be a float in"),
    ({"test_size": -0.2}, "test_size must be a float in"),
    ({"test_size": True}, "test_size must be a float in"),
    ({"test_size": "0.2"}, "test_size must be a float in"),
    ({"test_size": 10}, r"test_size=10 must be between 1 and n_samples - 1 = 9"),
    ({"test_size": 0}, r"test_size=0 must be between 1"),
    ({"test_size": 0.99}, "leaves 0 for training"),
    ({"stratify": True, "shuffle": False}, "stratify needs shuffle=True"),
    ({"stratify": np.zeros(3)}, r"stratify must be a bool or labels of shape \(10,\)"),
])
def test_split_argument_errors(kwargs, pattern):
    with pytest.raises(ValueError, match=pattern):
        train_test_split(np.arange(10), np.arange(10) % 2, **kwargs)


def test_split_data_errors():
    with pytest.raises(ValueError, match="same number of samples, got 5 and 4"):
        train_test_split(np.arange(5), np.arange(4))
    with pytest.raises(ValueError, match="stratify=True needs y"):
        train_test_split(np.arange(5), stratify=True)
    with pytest.raises(ValueError, match="class 2 has only 1 sample"):
        train_test_split(np.arange(5), np.array([0, 0, 1, 1, 2]), 2, stratify=True)
    with pytest.raises(ValueError, match="at least 2 samples, got 1"):
        train_test_split(np.arange(1))


# -- batches -----------------------------------------------------------------------------------


@pytest.mark.parametrize(("n", "bs", "drop_last"), [(10, 3, False), (10, 3, True), (12, 4, False),
                                                    (5, 8, False), (1, 1, False)])
def test_batches_cover_every_index_once_per_epoch(n, bs, drop_last):
    x, y = np.arange(n), np.arange(n) * 2
    loader = batches(x, y, batch_size=bs, rng=0, drop_last=drop_last)
    for _ in range(3):
        seen = []
        sizes = []
        for xb, yb in loader:
            np.testing.assert_array_equal(yb, xb * 2)
            seen.extend(xb.tolist())
            sizes.append(len(xb))
        assert len(sizes) == len(loader)
        if drop_last:
            assert sizes == [bs] * (n // bs) and len(set(seen)) == len(seen)
        else:
            assert sorted(seen) == list(range(n))
            assert sizes == [bs] * (n // bs) + ([n % bs] if n % bs else [])


def test_batches_reshuffle_each_epoch_and_reproduce_with_a_seed():
    x = np.arange(100)
    loader = batches(x, batch_size=100, rng=7)
    epochs = [next(iter(loader)).tolist() for _ in range(3)]
    assert epochs[0] != epochs[1] != epochs[2]
    again = batches(x, batch_size=100, rng=7)
    assert [next(iter(again)).tolist() for _ in range(3)] == epochs
    assert next(iter(batches(x, batch_size=100, rng=8))).tolist() != epochs[0]


def test_batches_without_shuffle_are_views_in_order():
    x = np.arange(20).reshape(10, 2)
    out = list(batches(x, batch_size=4, shuffle=False))
    assert [b[0, 0] for b in out] == [0, 8, 16]
    assert all(np.shares_memory(b, x) for b in out)


def test_batches_never_copy_the_whole_dataset():
    x = np.zeros((200_000, 10))  # 16 MB
    loader = batches(x, batch_size=64, rng=0)
    tracemalloc.start()
    try:
        for _ in loader:
            pass
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 4 << 20  # the permutation (1.6 MB) and one batch, never 16 MB


def test_batches_len_and_repr():
    loader = batches(np.zeros(10), batch_size=4)
    assert isinstance(loader, Batches) and len(loader) == 3
    assert len(batches(np.zeros(10), batch_size=4, drop_last=True)) == 2
    assert repr(loader) == "Batches(n_samples=10, batch_size=4, shuffle=True, drop_last=False)"


@pytest.mark.parametrize(("kwargs", "pattern"), [
    ({"batch_size": 0}, "batch_size must be a positive integer, got 0"),
    ({"batch_size": -2}, "batch_size must be a positive integer, got -2"),
    ({"batch_size": 2.5}, "batch_size must be a positive integer, got 2.5"),
    ({"batch_size": True}, "batch_size must be a positive integer, got True"),
    ({"shuffle": "yes"}, "shuffle must be True or False, got 'yes'"),
    ({"drop_last": 1}, "drop_last must be True or False, got 1"),
    ({"y": np.zeros(3)}, "same number of samples, got 4 and 3"),
])
def test_batches_argument_errors(kwargs, pattern):
    args = {"x": np.zeros(4), "y": None, "batch_size": 2} | kwargs
    with pytest.raises(ValueError, match=pattern):
        batches(**args)


def test_batches_bad_rng():
    with pytest.raises(TypeError, match="rng must be"):
        batches(np.zeros(4), rng="seed")
