"""The cat-vs-non-cat HDF5 loader: real files, and each way a file can be wrong."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

from nnscratch.data import load_cats

h5py = pytest.importorskip("h5py", reason="load_cats needs h5py (pip install nnscratch[hdf5])")

CLASSES = np.array([b"non-cat", b"cat"])


def write_h5(path: Path, split: str, n: int = 4, **override: object) -> None:
    """A small file shaped like the real ones; ``override`` replaces (or, with None, drops) keys."""
    gen = np.random.default_rng(len(split))
    keys: dict[str, object] = {
        f"{split}_set_x": gen.integers(0, 256, (n, 64, 64, 3), dtype=np.uint8),
        f"{split}_set_y": np.arange(n, dtype=np.int64) % 2,
        "list_classes": CLASSES,
    }
    keys.update(override)
    with h5py.File(path, "w") as f:
        for key, value in keys.items():
            if value is not None:
                f.create_dataset(key, data=value)


@pytest.fixture
def folder(tmp_path) -> Path:
    write_h5(tmp_path / "train_catvnoncat.h5", "train", 6)
    write_h5(tmp_path / "test_catvnoncat.h5", "test", 3)
    return tmp_path


def test_small_files_load(folder):
    (x_train, y_train), (x_test, y_test), classes = load_cats(folder)
    assert x_train.shape == (6, 64, 64, 3) and x_train.dtype == np.uint8
    assert x_test.shape == (3, 64, 64, 3) and y_test.tolist() == [0, 1, 0]
    assert y_train.tolist() == [0, 1, 0, 1, 0, 1] and y_train.dtype == np.int64
    assert classes == ["non-cat", "cat"]


def test_row_vector_labels_are_flattened(folder):
    # the course's notebooks reshape y to (1, N); a file saved that way still loads
    write_h5(folder / "train_catvnoncat.h5", "train", 6,
             train_set_y=(np.arange(6) % 2).reshape(1, 6))
    assert load_cats(folder)[0][1].shape == (6,)


def test_integer_pixels_of_another_dtype_are_cast(folder):
    write_h5(folder / "test_catvnoncat.h5", "test", 3,
             test_set_x=np.full((3, 64, 64, 3), 200, dtype=np.int64))
    x_test = load_cats(folder)[1][0]
    assert x_test.dtype == np.uint8 and int(x_test.max()) == 200


def test_default_root_is_the_user_data_folder(folder, monkeypatch, tmp_path):
    monkeypatch.setenv("NNSCRATCH_DATA", str(tmp_path / "home"))
    with pytest.raises(FileNotFoundError,
                       match=r"train_catvnoncat\.h5 .*not found in \S*home[/\\]catvnoncat;"):
        load_cats()


# -- corrupt or wrong files, each written to tmp_path -------------------------------------------


def test_missing_file_names_it(folder):
    (folder / "test_catvnoncat.h5").unlink()
    with pytest.raises(FileNotFoundError, match=r"test_catvnoncat\.h5"):
        load_cats(folder)


def test_not_an_hdf5_file(folder):
    (folder / "train_catvnoncat.h5").write_text("this is a CSV file\n1,2,3\n")
    with pytest.raises(ValueError, match=r"^train_catvnoncat\.h5: not an HDF5 file: expected the "
                       r"signature b'\\x89HDF\\r\\n\\x1a\\n', found b'this is "):
        load_cats(folder)


def test_empty_file(folder):
    (folder / "test_catvnoncat.h5").write_bytes(b"")
    with pytest.raises(ValueError, match=r"^test_catvnoncat\.h5: not an HDF5 file.*found b''"):
        load_cats(folder)


def test_truncated_hdf5_file(folder):
    path = folder / "train_catvnoncat.h5"
    path.write_bytes(path.read_bytes()[:4096])
    with pytest.raises(ValueError, match=r"^train_catvnoncat\.h5: "):
        load_cats(folder)


@pytest.mark.parametrize("key", ["train_set_x", "train_set_y", "list_classes"])
def test_missing_key(folder, key):
    write_h5(folder / "train_catvnoncat.h5", "train", 6, **{key: None})
    with pytest.raises(ValueError, match=rf"^train_catvnoncat\.h5: missing key '{key}', "
                       r"found keys \["):
        load_cats(folder)


def test_keys_of_the_other_split(folder):
    write_h5(folder / "test_catvnoncat.h5", "train", 3)  # train_* keys in the test file
    with pytest.raises(ValueError, match=r"test_catvnoncat\.h5: missing key 'test_set_x', found "
                       r"keys \['list_classes', 'train_set_x', 'train_set_y'\]"):
        load_cats(folder)


def test_label_count_differs_from_image_count(folder):
    write_h5(folder / "train_catvnoncat.h5", "train", 6, train_set_y=np.zeros(5, np.int64))
    with pytest.raises(ValueError, match=r"^train_catvnoncat\.h5: key train_set_y: expected 6 "
                       r"labels of shape \(6,\), one per image in train_set_x, got shape \(5,\)"):
        load_cats(folder)


def test_images_of_wrong_shape(folder):
    write_h5(folder / "test_catvnoncat.h5", "test", 3,
             test_set_x=np.zeros((3, 64, 64), np.uint8))
    with pytest.raises(ValueError, match=r"^test_catvnoncat\.h5: key test_set_x: expected images "
                       r"of shape \(N, 64, 64, 3\), got \(3, 64, 64\)"):
        load_cats(folder)


def test_float_pixels_rejected(folder):
    write_h5(folder / "test_catvnoncat.h5", "test", 3,
             test_set_x=np.zeros((3, 64, 64, 3), np.float32))
    with pytest.raises(ValueError, match=r"key test_set_x: expected uint8 pixels"):
        load_cats(folder)


def test_sizes_are_checked_before_reading(folder, monkeypatch):
    # a dataset that declares images the file never stored, and one whose read would be huge
    with h5py.File(folder / "train_catvnoncat.h5", "a") as f:
        del f["train_set_x"], f["train_set_y"]
        f.create_dataset("train_set_x", shape=(50_000, 64, 64, 3), dtype="u1")
        f.create_dataset("train_set_y", data=np.zeros(50_000, np.int64))
    monkeypatch.setattr(h5py.Dataset, "__getitem__", lambda *a: pytest.fail("read too early"))
    with pytest.raises(ValueError, match=r"^train_catvnoncat\.h5: key train_set_x: declares shape "
                       r"\(50000, 64, 64, 3\) of uint8 \(614400000 bytes\) but the file stores 0"):
        load_cats(folder)


def test_compressed_datasets_load_and_max_bytes_caps_a_file(folder):
    pixels = np.zeros((6, 64, 64, 3), np.uint8)
    write_h5(folder / "train_catvnoncat.h5", "train", 6, train_set_x=None)
    with h5py.File(folder / "train_catvnoncat.h5", "a") as f:
        f.create_dataset("train_set_x", data=pixels, compression="gzip")
    assert load_cats(folder)[0][0].shape == (6, 64, 64, 3)
    need = pixels.nbytes + 6 * 8 + CLASSES.nbytes
    with pytest.raises(ValueError, match=rf"^train_catvnoncat\.h5: its data is {need} bytes, "
                       rf"more than the limit max_bytes={need - 1}"):
        load_cats(folder, max_bytes=need - 1)
    assert len(load_cats(folder, max_bytes=None)[0][0]) == 6


def test_label_out_of_range(folder):
    write_h5(folder / "test_catvnoncat.h5", "test", 3, test_set_y=np.array([0, 2, 1]))
    with pytest.raises(ValueError, match=r"^test_catvnoncat\.h5: expected labels in 0\.\.1"):
        load_cats(folder)


def test_float_labels_rejected(folder):
    write_h5(folder / "test_catvnoncat.h5", "test", 3, test_set_y=np.array([0.0, 1.0, 0.5]))
    with pytest.raises(ValueError, match=r"key test_set_y: expected integer labels, got float64"):
        load_cats(folder)


def test_class_lists_disagree(folder):
    write_h5(folder / "test_catvnoncat.h5", "test", 3, list_classes=np.array([b"cat", b"dog"]))
    with pytest.raises(ValueError, match=r"test_catvnoncat\.h5: list_classes \['cat', 'dog'\] "
                       r"differs from \['non-cat', 'cat'\]"):
        load_cats(folder)


def test_group_instead_of_dataset(folder):
    path = folder / "train_catvnoncat.h5"
    write_h5(path, "train", 6, list_classes=None)
    with h5py.File(path, "a") as f:
        f.create_group("list_classes")
    with pytest.raises(ValueError, match="key 'list_classes': expected a dataset, found a group"):
        load_cats(folder)


def test_damaged_hdf5_bytes_only_raise_value_error(folder):
    # truncations and random byte damage: a loaded result or a ValueError naming the file
    path = folder / "train_catvnoncat.h5"
    good = path.read_bytes()
    gen = np.random.default_rng(0)
    cases = [good[:n] for n in range(0, len(good), 1999)]
    for _ in range(60):
        damaged = bytearray(good)
        for i in gen.integers(0, len(good), size=3):
            damaged[i] = int(gen.integers(256))
        cases.append(bytes(damaged))
    for data in cases:
        path.write_bytes(data)
        try:
            load_cats(folder)
        except ValueError as err:
            assert str(err).startswith("train_catvnoncat.h5: ")


def test_without_h5py_the_error_says_what_to_install(folder, monkeypatch):
    monkeypatch.setitem(sys.modules, "h5py", None)  # makes `import h5py` fail
    with pytest.raises(ImportError, match=r"pip install nnscratch\[hdf5\]"):
        load_cats(folder)


# -- the real files -------------------------------------------------------------------------------


def test_real_cats(cats_dir):
    (x_train, y_train), (x_test, y_test), classes = load_cats(cats_dir)
    assert x_train.shape == (209, 64, 64, 3) and x_test.shape == (50, 64, 64, 3)
    assert x_train.dtype == np.uint8 and x_test.dtype == np.uint8
    assert y_train.shape == (209,) and y_test.shape == (50,)
    assert set(np.unique(y_train)) == {0, 1}
    assert int(y_train.sum()) == 72 and int(y_test.sum()) == 33  # cats in each split
    assert classes == ["non-cat", "cat"]
