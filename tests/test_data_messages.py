"""Missing data tells the user what to type: in Python (``root=``, ``load_mnist_split``),
on the command line (``--data-dir DIR``) and in the cat example."""

from __future__ import annotations

import shutil

import pytest

import nnscratch as nn
from conftest import load_example
from nnscratch.cli import main


def test_load_mnist_on_a_folder_of_t10k_files_points_to_load_mnist_split(mnist_t10k_dir):
    with pytest.raises(FileNotFoundError) as info:
        nn.load_mnist(mnist_t10k_dir)
    message = str(info.value)
    assert "train-images-idx3-ubyte[.gz]" in message
    assert f"load_mnist_split('test', {str(mnist_t10k_dir)!r})" in message
    x, y = nn.data.load_mnist_split("test", mnist_t10k_dir)  # what the message says works
    assert x.shape == (10_000, 28, 28) and y.shape == (10_000,)


def test_load_fashion_mnist_names_its_dataset_in_the_hint(mnist_t10k_dir, tmp_path):
    for name in ("t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"):
        shutil.copy(mnist_t10k_dir / name, tmp_path / name)
    with pytest.raises(FileNotFoundError, match=r"dataset='fashion-mnist'\)"):
        nn.load_fashion_mnist(tmp_path)
    with pytest.raises(FileNotFoundError, match="not found in") as info:
        nn.load_mnist(tmp_path / "empty")  # nothing there: no hint about a test split
    assert "load_mnist_split" not in str(info.value)


def test_load_cats_names_both_files_and_the_folder(tmp_path, monkeypatch):
    with pytest.raises(FileNotFoundError) as info:
        nn.load_cats(tmp_path)
    assert str(info.value) == (f"cat-vs-non-cat: train_catvnoncat.h5 and test_catvnoncat.h5 "
                               f"not found in {tmp_path}; put train_catvnoncat.h5 and "
                               "test_catvnoncat.h5 there")
    monkeypatch.setenv("NNSCRATCH_DATA", str(tmp_path))
    with pytest.raises(FileNotFoundError, match=r"or pass their folder as root=$"):
        nn.load_cats()
    assert "Errno" not in str(info.value)


@pytest.mark.parametrize("argv, words", [
    (["--dataset", "cats"], ["train_catvnoncat.h5 and test_catvnoncat.h5 not found in",
                             "pass --data-dir DIR"]),
    (["--dataset", "cats", "--data-dir", "{tmp}"], ["--data-dir must name the folder"]),
    (["--dataset", "mnist", "--data-dir", "{tmp}"],
     ["t10k-images-idx3-ubyte[.gz]", "--data-dir must name the folder holding"]),
    (["--dataset", "mnist"], ["the download failed", "pass --data-dir DIR"]),
])
def test_cli_missing_data_says_what_to_type(argv, words, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("NNSCRATCH_DATA", str(tmp_path / "cache"))
    import nnscratch.data.mnist as mnist

    def offline(*args, **kwargs):
        raise OSError("offline")

    monkeypatch.setattr(mnist, "download_file", offline)
    argv = [a.replace("{tmp}", str(tmp_path)) for a in argv]
    assert main(["train", *argv, "--quiet", "--out", str(tmp_path / "out")]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("nnscratch train: error: "), err
    for w in words:
        assert w in err
    assert "root=" not in err and "Errno" not in err
    print(err, end="")


def test_cat_example_without_data_exits_with_a_message(tmp_path, monkeypatch):
    monkeypatch.setenv("NNSCRATCH_DATA", str(tmp_path))
    module = load_example("cat_classifier")
    with pytest.raises(SystemExit) as info:
        module.main(["--fast", "--out", str(tmp_path / "out")])
    message = str(info.value.code)
    assert message.startswith("cat_classifier: cat-vs-non-cat: train_catvnoncat.h5")
    assert message.endswith("(here: --data-dir DIR)") and "\n" not in message
