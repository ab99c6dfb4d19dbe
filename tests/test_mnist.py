"""MNIST / Fashion-MNIST loaders: search order, single splits, validation, real files."""

from __future__ import annotations

import dataclasses
import gzip
import hashlib
import struct
import urllib.error
from pathlib import Path

import numpy as np
import pytest

from nnscratch.data import (
    DownloadError,
    load_fashion_mnist,
    load_mnist,
    load_mnist_split,
    sha256sum,
)
from nnscratch.data import download as download_mod
from nnscratch.data import mnist as mnist_mod

FILES = {
    "train": ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
    "test": ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"),
}


def idx(arr: np.ndarray, code: int = 0x08) -> bytes:
    return bytes([0, 0, code, arr.ndim]) + struct.pack(f">{arr.ndim}I", *arr.shape) + arr.tobytes()


def make_split(n: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    gen = np.random.default_rng(seed)
    return gen.integers(0, 256, (n, 28, 28), dtype=np.uint8), gen.integers(0, 10, n, dtype=np.uint8)


def write_split(folder: Path, split: str, n: int = 5, gz: bool = True, seed: int = 0,
                x: np.ndarray | None = None, y: np.ndarray | None = None,
                stems: tuple[str, str] | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Write a split's two IDX files; ``x`` / ``y`` override the random contents."""
    folder.mkdir(parents=True, exist_ok=True)
    x0, y0 = make_split(n, seed)
    x = x0 if x is None else x
    y = y0 if y is None else y
    for stem, arr in zip(stems or FILES[split], (x, y), strict=True):
        data = idx(arr)
        if gz:
            (folder / f"{stem}.gz").write_bytes(gzip.compress(data, mtime=0))
        else:
            (folder / stem).write_bytes(data)
    return x, y


@pytest.fixture
def cache(monkeypatch, tmp_path) -> Path:
    """An empty per-user data folder, and no system folder for Fashion-MNIST."""
    home = tmp_path / "home"
    monkeypatch.setenv("NNSCRATCH_DATA", str(home))
    monkeypatch.setitem(mnist_mod._DATASETS, "fashion-mnist",
                        dataclasses.replace(mnist_mod.FASHION_MNIST, system_dirs=()))
    return home


def no_network(monkeypatch) -> list[str]:
    calls: list[str] = []

    def refuse(url: str, timeout: float):
        calls.append(url)
        raise urllib.error.URLError("[Errno -3] Temporary failure in name resolution")

    monkeypatch.setattr(download_mod, "_urlopen", refuse)
    return calls


# -- from a root folder ------------------------------------------------------------------------


@pytest.mark.parametrize("gz", [True, False])
def test_load_both_splits_from_root(tmp_path, gz):
    xtr, ytr = write_split(tmp_path, "train", 7, gz, seed=1)
    xte, yte = write_split(tmp_path, "test", 3, gz, seed=2)
    (a, b), (c, d) = load_mnist(tmp_path, download=False)
    for got, want in ((a, xtr), (b, ytr), (c, xte), (d, yte)):
        assert got.dtype == np.uint8
        np.testing.assert_array_equal(got, want)
    assert a.shape == (7, 28, 28) and b.shape == (7,)


def test_root_with_only_test_files_gives_the_test_split(tmp_path):
    x, y = write_split(tmp_path, "test", 4)
    xt, yt = load_mnist_split("test", tmp_path)
    np.testing.assert_array_equal(xt, x)
    np.testing.assert_array_equal(yt, y)
    with pytest.raises(FileNotFoundError, match=r"train split: train-images-idx3-ubyte\[\.gz\], "
                       r"train-labels-idx1-ubyte\[\.gz\] not found in"):
        load_mnist_split("train", tmp_path)
    with pytest.raises(FileNotFoundError, match="train-images-idx3-ubyte"):
        load_mnist(tmp_path)


def test_missing_labels_file_is_named_alone(tmp_path):
    write_split(tmp_path, "test", 4)
    (tmp_path / "t10k-labels-idx1-ubyte.gz").unlink()
    with pytest.raises(FileNotFoundError) as info:
        load_mnist_split("test", tmp_path)
    assert "t10k-labels-idx1-ubyte" in str(info.value)
    assert "t10k-images" not in str(info.value)


def test_dotted_file_names_are_found(tmp_path):
    # some copies use 't10k-images.idx3-ubyte' (as stored inside the original gzip files)
    x, _ = write_split(tmp_path, "test", 2, stems=("t10k-images.idx3-ubyte",
                                                   "t10k-labels.idx1-ubyte"))
    np.testing.assert_array_equal(load_mnist_split("test", tmp_path)[0], x)


def test_root_is_never_downloaded_into(tmp_path, monkeypatch):
    calls = no_network(monkeypatch)
    with pytest.raises(FileNotFoundError):
        load_mnist(tmp_path, download=True)
    assert calls == [] and list(tmp_path.iterdir()) == []


def test_bad_split_and_dataset_names(tmp_path):
    with pytest.raises(ValueError, match="split must be 'train' or 'test', got 'val'"):
        load_mnist_split("val", tmp_path)
    with pytest.raises(ValueError, match="dataset must be 'mnist' or 'fashion-mnist'"):
        load_mnist_split("test", tmp_path, dataset="cifar")


# -- validation: corrupt or inconsistent files (each written to tmp_path) ----------------------


def test_label_count_differs_from_image_count(tmp_path):
    x, _ = make_split(5)
    write_split(tmp_path, "test", x=x, y=np.zeros(4, np.uint8))
    with pytest.raises(ValueError, match=r"^t10k-labels-idx1-ubyte\.gz: expected 5 labels, one "
                       r"per image in t10k-images-idx3-ubyte\.gz, found 4$"):
        load_mnist_split("test", tmp_path)


def test_label_out_of_range(tmp_path):
    write_split(tmp_path, "train", y=np.array([0, 9, 10, 3, 1], np.uint8))
    with pytest.raises(ValueError, match=r"^train-labels-idx1-ubyte\.gz: expected labels in "
                       r"0\.\.9, found 10 at index 2$"):
        load_mnist_split("train", tmp_path)


def test_images_of_wrong_shape(tmp_path):
    write_split(tmp_path, "test", x=np.zeros((5, 28, 27), np.uint8))
    with pytest.raises(ValueError, match=r"^t10k-images-idx3-ubyte\.gz: expected images of shape "
                       r"\(N, 28, 28\), got \(5, 28, 27\)$"):
        load_mnist_split("test", tmp_path)


def test_images_of_wrong_ndim(tmp_path):
    write_split(tmp_path, "test", x=np.zeros((5, 784), np.uint8))
    with pytest.raises(ValueError, match=r"^t10k-images-idx3-ubyte\.gz: bad magic number "
                       r"0x00000802, expected 0x00000803$"):
        load_mnist_split("test", tmp_path)


def test_labels_of_wrong_dtype(tmp_path):
    write_split(tmp_path, "test")
    (tmp_path / "t10k-labels-idx1-ubyte.gz").write_bytes(
        gzip.compress(idx(np.zeros(5, ">i2"), code=0x0B)))
    with pytest.raises(ValueError, match=r"^t10k-labels-idx1-ubyte\.gz: bad magic number "
                       r"0x00000B01, expected 0x00000801$"):
        load_mnist_split("test", tmp_path)


def test_corrupt_gzip_in_the_folder(tmp_path):
    write_split(tmp_path, "test")
    path = tmp_path / "t10k-images-idx3-ubyte.gz"
    path.write_bytes(path.read_bytes()[:-20])
    with pytest.raises(ValueError, match=r"^t10k-images-idx3-ubyte\.gz: corrupt gzip stream"):
        load_mnist_split("test", tmp_path)


def test_truncated_raw_images(tmp_path):
    write_split(tmp_path, "test", gz=False)
    path = tmp_path / "t10k-images-idx3-ubyte"
    path.write_bytes(path.read_bytes()[:1000])
    with pytest.raises(ValueError, match=r"^t10k-images-idx3-ubyte: expected 3936 bytes of data "
                       r"for shape \(5, 28, 28\), found 1000"):
        load_mnist_split("test", tmp_path)


# -- no root: cache, system folder, download ----------------------------------------------------


def test_cache_folder_is_used(cache):
    _, y = write_split(cache / "mnist", "test", 3)
    np.testing.assert_array_equal(load_mnist_split("test", download=False)[1], y)


def test_fashion_cache_before_system_folder(cache, tmp_path, monkeypatch):
    system = tmp_path / "system"
    write_split(system, "test", 3, seed=5)
    monkeypatch.setitem(mnist_mod._DATASETS, "fashion-mnist",
                        dataclasses.replace(mnist_mod.FASHION_MNIST, system_dirs=(str(system),)))
    xs, _ = load_mnist_split("test", dataset="fashion-mnist", download=False)
    np.testing.assert_array_equal(xs, make_split(3, 5)[0])  # only the system folder has it
    xc, _ = write_split(cache / "fashion-mnist", "test", 2, seed=6)
    np.testing.assert_array_equal(
        load_mnist_split("test", dataset="fashion-mnist", download=False)[0], xc)


def test_nothing_found_and_download_false(cache):
    with pytest.raises(FileNotFoundError, match=r"download=False\. Put t10k-images-idx3-ubyte\.gz "
                       r"and t10k-labels-idx1-ubyte\.gz into .*home[/\\]mnist"):
        load_mnist_split("test", download=False)


def test_no_network_says_where_to_put_the_files(cache, monkeypatch):
    calls = no_network(monkeypatch)
    with pytest.raises(DownloadError) as info:
        load_mnist(download=True)
    msg = str(info.value)
    assert "download failed" in msg and "Temporary failure in name resolution" in msg
    assert str(cache / "mnist") in msg and "NNSCRATCH_DATA" in msg and "root=" in msg
    assert "train-images-idx3-ubyte.gz and train-labels-idx1-ubyte.gz" in msg
    assert calls[0] == "https://ossci-datasets.s3.amazonaws.com/mnist/train-images-idx3-ubyte.gz"
    assert len(calls) == len(mnist_mod.MNIST.mirrors)
    assert not (cache / "mnist").exists() or list((cache / "mnist").iterdir()) == []


def test_download_fills_the_cache_then_stays_offline(cache, monkeypatch):
    x, y = make_split(6, seed=3)
    blobs = {"t10k-images-idx3-ubyte.gz": gzip.compress(idx(x), mtime=0),
             "t10k-labels-idx1-ubyte.gz": gzip.compress(idx(y), mtime=0)}
    hashes = dict(mnist_mod.MNIST.sha256)
    hashes.update({k: hashlib.sha256(v).hexdigest() for k, v in blobs.items()})
    mirror = "https://mirror.test/mnist/"
    monkeypatch.setitem(mnist_mod._DATASETS, "mnist",
                        dataclasses.replace(mnist_mod.MNIST, mirrors=(mirror,), sha256=hashes))
    served: list[str] = []

    class Response:
        def __init__(self, data: bytes) -> None:
            self.data = data

        def read(self, n: int = -1) -> bytes:
            chunk, self.data = self.data[:n], self.data[n:]
            return chunk

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            pass

    def serve(url: str, timeout: float) -> Response:
        served.append(url)
        return Response(blobs[url.removeprefix(mirror)])

    monkeypatch.setattr(download_mod, "_urlopen", serve)
    xt, yt = load_mnist_split("test")
    np.testing.assert_array_equal(xt, x)
    np.testing.assert_array_equal(yt, y)
    assert sorted(p.name for p in (cache / "mnist").iterdir()) == sorted(blobs)
    assert len(served) == 2

    no_network(monkeypatch)  # now cached: no network needed
    np.testing.assert_array_equal(load_mnist_split("test")[1], y)


def test_download_with_a_wrong_hash_keeps_nothing(cache, monkeypatch):
    class Response:
        def __init__(self) -> None:
            self.left = b"not the real file"

        def read(self, n: int = -1) -> bytes:
            chunk, self.left = self.left[:n], self.left[n:]
            return chunk

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            pass

    monkeypatch.setattr(download_mod, "_urlopen", lambda url, timeout: Response())
    with pytest.raises(DownloadError, match=r"sha256 [0-9a-f]{64}, expected 8d422c7b"):
        load_mnist_split("test")
    assert list((cache / "mnist").iterdir()) == []


# -- real data ---------------------------------------------------------------------------------


def test_real_t10k(mnist_t10k_dir):
    x, y = load_mnist_split("test", mnist_t10k_dir)
    assert x.shape == (10000, 28, 28) and x.dtype == np.uint8
    assert y.shape == (10000,) and y.dtype == np.uint8
    assert y.min() == 0 and y.max() == 9
    assert y[:5].tolist() == [7, 2, 1, 0, 4]
    assert np.bincount(y).tolist() == [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]
    with pytest.raises(FileNotFoundError, match="train-images-idx3-ubyte"):
        load_mnist_split("train", mnist_t10k_dir)


def test_real_t10k_matches_the_published_sha256(mnist_t10k_dir):
    for name in ("t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"):
        assert sha256sum(mnist_t10k_dir / name) == mnist_mod.MNIST.sha256[name]


def test_real_fashion_mnist(fashion_dir):
    (x_train, y_train), (x_test, y_test) = load_fashion_mnist(fashion_dir)
    assert x_train.shape == (60000, 28, 28) and x_test.shape == (10000, 28, 28)
    assert x_train.dtype == np.uint8 and y_train.dtype == np.uint8
    assert np.bincount(y_train).tolist() == [6000] * 10
    assert np.bincount(y_test).tolist() == [1000] * 10
    assert y_train[:5].tolist() == [9, 0, 0, 3, 0] and y_test[:5].tolist() == [9, 2, 1, 1, 6]


def test_real_fashion_mnist_found_in_the_debian_folder(fashion_dir, monkeypatch, tmp_path):
    if fashion_dir != Path(mnist_mod.FASHION_MNIST.system_dirs[0]):
        pytest.skip("Fashion-MNIST is not in the Debian package's folder here")
    monkeypatch.setenv("NNSCRATCH_DATA", str(tmp_path))  # empty cache
    no_network(monkeypatch)
    x, y = load_mnist_split("test", dataset="fashion-mnist")
    assert x.shape == (10000, 28, 28) and y[:5].tolist() == [9, 2, 1, 1, 6]
