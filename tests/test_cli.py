"""The command line: train, evaluate and predict end to end on the digits set."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest

from nnscratch.cli import main

pytest.importorskip("sklearn", reason="the digits set ships with scikit-learn")


def test_train_evaluate_predict(tmp_path, capsys):
    out = tmp_path / "run"
    assert main(["train", "--quiet", "--json", "--epochs", "15", "--out", str(out)]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    result = json.loads(lines[-1])
    assert {"train_accuracy", "test_accuracy", "epochs", "seconds"} <= set(result)
    assert result["epochs"] == 15 and result["test_accuracy"] > 0.9
    assert (out / "model.npz").exists()
    pytest.importorskip("matplotlib")
    assert (out / "cost.png").stat().st_size > 1000

    assert main(["evaluate", str(out / "model.npz"), "--json"]) == 0
    evaluated = json.loads(capsys.readouterr().out.strip())
    assert evaluated["accuracy"] == pytest.approx(result["test_accuracy"])

    import nnscratch as nn

    x, y = nn.load_digits()
    np.save(tmp_path / "five.npy", x[:5])
    assert main(["predict", str(out / "model.npz"), str(tmp_path / "five.npy")]) == 0
    predicted = [int(s) for s in capsys.readouterr().out.split()]
    assert np.mean(np.array(predicted) == y[:5]) >= 0.8
    np.save(tmp_path / "one.npy", x[0].reshape(8, 8))  # one raw 8x8 image
    assert main(["predict", str(out / "model.npz"), str(tmp_path / "one.npy"), "--proba"]) == 0
    probs = np.array(capsys.readouterr().out.split(), dtype=float)
    assert probs.shape == (10,) and probs.sum() == pytest.approx(1, abs=1e-3)


def test_xor_binary_and_architecture_options(tmp_path, capsys):
    assert main(["train", "--dataset", "xor", "--quiet", "--json", "--out", str(tmp_path),
                 "--hidden", "8", "--activation", "tanh", "--epochs", "500"]) == 0
    result = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert result["train_accuracy"] == 1.0


def test_errors_are_clear(tmp_path, capsys):
    assert main(["evaluate", str(tmp_path / "nope.npz")]) == 1
    err = capsys.readouterr().err
    assert err.startswith("nnscratch evaluate: error: cannot load model") and "nope.npz" in err
    with pytest.raises(SystemExit):
        main(["train", "--hidden", "12,x"])
    assert "--hidden takes comma-separated" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["train", "--epochs", "-3"])
    assert "must be > 0" in capsys.readouterr().err


def test_module_entry_point_help():
    done = subprocess.run([sys.executable, "-m", "nnscratch", "train", "--help"],
                          capture_output=True, text=True, check=True)
    assert "--hidden" in done.stdout and "--dataset" in done.stdout
