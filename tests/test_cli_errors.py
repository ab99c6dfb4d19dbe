"""The command line does what it prints and fails as a tool should: the learning rate
shown, recorded and used agree; a user's mistake is one line and a non-zero status, never
a traceback; Ctrl-C exits with 130 and says what was kept; ``--help`` gives every default;
``evaluate`` remembers the data folder and warns about overlapping test splits."""

from __future__ import annotations

import re
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

import nnscratch as nn
from conftest import last_json
from nnscratch.cli import build_parser, main, resolve_settings
from nnscratch.recipes import CNN_RECIPE, Prepared, overlap_warning, prepare


def assert_one_error_line(err: str, command: str, *words: str) -> None:
    assert err.count("\n") == 1 and err.endswith("\n"), err
    assert err.startswith(f"nnscratch {command}: error: "), err
    assert "Traceback" not in err
    for w in words:
        assert w in err, err


# -- the learning rate ---------------------------------------------------------------------
@pytest.mark.parametrize("options, name, rate", [
    ([], "sgd", 0.2),                                # spirals' recipe: SGD at 0.2
    (["--optimizer", "adam"], "adam", 0.001),        # Adam's own default, not the recipe's
    (["--optimizer", "Adam", "--lr", "0.003"], "adam", 0.003),
    (["--optimizer", "sgd", "--lr", "0.05"], "sgd", 0.05),
    (["--optimizer", "momentum"], "momentum", 0.01),  # SGD's own default
    (["--optimizer", "rmsprop"], "rmsprop", nn.RMSProp().learning_rate),
])
def test_the_rate_printed_recorded_and_used_agree(options, name, rate, tmp_path, capsys,
                                                  monkeypatch):
    used: list[float] = []
    cls = nn.SGD if name in ("sgd", "momentum") else type(nn.optimizers.get_optimizer(name))
    step = cls.step

    def spy(self, *args, **kwargs):
        used.append(self.learning_rate)
        return step(self, *args, **kwargs)

    monkeypatch.setattr(cls, "step", spy)
    assert main(["train", "--dataset", "spirals", "--epochs", "2", "--json",
                 "--out", str(tmp_path), *options]) == 0
    captured = capsys.readouterr()
    summary = next(line for line in captured.err.splitlines() if "Optimizer:" in line)
    assert f"learning_rate={rate!r}" in summary, summary
    assert f"training: {name} at learning rate {rate:g}," in captured.err
    result = last_json(captured.out)
    assert (result["optimizer"], result["learning_rate"]) == (name, rate)
    assert used and set(used) == {rate}, (set(used), rate)
    print(summary, "| JSON:", result["learning_rate"], "| steps at:", sorted(set(used)))


def test_cnn_defaults_are_the_documented_recipe():
    args = build_parser().parse_args(["train", "--dataset", "fashion-mnist", "--model", "cnn"])
    rng = np.random.default_rng(0)
    data = Prepared(rng.random((8, 784)), np.zeros(8), rng.random((4, 784)), np.zeros(4), 10,
                    {"input_shape": [784]}, prepare.__globals__["_MNIST_DEFAULTS"],
                    image_shape=(1, 28, 28))
    settings = resolve_settings(args, data)
    assert settings == {"model": "cnn", "epochs": 10, "batch_size": 64, "optimizer": "adam",
                        "learning_rate": 2e-3, "lr_schedule": "cosine"}
    assert CNN_RECIPE["learning_rate"] == 2e-3
    # README and the example state the same recipe
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text()
    assert "nn.Adam(2e-3)" in readme and "cosine" in readme
    example = (Path(__file__).resolve().parents[1] / "examples" / "fashion_mnist_cnn.py")
    text = example.read_text()
    assert 'default=2e-3' in text and '"--batch-size", type=int, default=64' in text
    # the options still win over the recipe
    args = build_parser().parse_args(["train", "--dataset", "mnist", "--model", "cnn",
                                      "--optimizer", "sgd", "--lr-schedule", "constant"])
    settings = resolve_settings(args, data)
    assert (settings["optimizer"], settings["learning_rate"], settings["lr_schedule"]) == (
        "sgd", None, "constant")


# -- one line per mistake ------------------------------------------------------------------
@pytest.fixture
def saved_model(tmp_path) -> Path:
    model = nn.Sequential(nn.Dense(2, 3, rng=0)).use(nn.SoftmaxCrossEntropy(), nn.SGD(0.1))
    path = tmp_path / "tiny.npz"
    model.save(path, metadata={"preprocess": {"scale": 1.0, "input_shape": [2]}})
    return path


def _mistakes(tmp: Path, model: Path) -> list[tuple[list[str], str, list[str]]]:
    (tmp / "garbage.npz").write_bytes(b"not a zip file at all")
    (tmp / "a_file").write_text("x")
    np.savez(tmp / "plain.npz", a=np.zeros(3))
    return [
        (["train", "--dataset", "spirals", "--lr", "1e30", "--out", str(tmp / "r")], "train",
         ["the loss became", "learning rate 1e+30", "try a smaller learning rate"]),
        (["evaluate", str(tmp / "missing.npz")], "evaluate",
         ["cannot load model", "missing.npz"]),
        (["evaluate", str(tmp / "garbage.npz")], "evaluate",
         ["cannot load model", "garbage.npz"]),
        (["evaluate", str(tmp / "plain.npz")], "evaluate", ["cannot load model", "plain.npz"]),
        (["evaluate", str(model)], "evaluate", ["does not record its dataset", "--dataset"]),
        (["predict", str(tmp / "garbage.npz"), str(tmp / "x.npy")], "predict",
         ["cannot load model", "garbage.npz"]),
        (["predict", str(model), str(tmp / "missing.npy")], "predict", ["missing.npy"]),
        (["predict", str(model), str(tmp / "garbage.npz")], "predict", ["garbage.npz"]),
        (["train", "--out", str(tmp / "a_file")], "train",
         ["--out", "a_file is a file, not a folder"]),
        (["train", "--out", str(tmp / "a_file" / "run")], "train",
         ["a_file is a file, not a folder"]),
        (["train", "--dataset", "digits", "--model", "cnn", "--out", str(tmp / "r")], "train",
         ["--model cnn is not available for --dataset digits"]),
    ]


def test_each_mistake_is_one_line_and_status_1(tmp_path, saved_model, capsys, monkeypatch):
    def no_training(*args, **kwargs):
        raise AssertionError("fit ran although --out is a file")

    for argv, command, words in _mistakes(tmp_path, saved_model):
        with monkeypatch.context() as m:
            if "--out" in argv and "a_file" in argv[argv.index("--out") + 1]:
                m.setattr(nn.Sequential, "fit", no_training)  # checked before training
            status = main([*argv, "--quiet"] if command == "train" else argv)
        err = capsys.readouterr().err
        assert status == 1, (argv, err)
        assert_one_error_line(err, command, *words)
        with capsys.disabled():
            print(err, end="")


def test_a_diverging_run_in_a_real_process_is_one_line(tmp_path):
    done = subprocess.run(
        [sys.executable, "-m", "nnscratch", "train", "--dataset", "spirals", "--lr", "1e30",
         "--quiet", "--out", str(tmp_path)], capture_output=True, text=True, timeout=120)
    assert done.returncode == 1
    assert_one_error_line(done.stderr, "train", "the loss became")  # no NumPy warnings
    assert not (tmp_path / "model.npz").exists()


def test_usage_errors_keep_argparse_status_2(capsys):
    for argv in (["train", "--optimizer", "adamm"], ["train", "--test-size", "1.5"],
                 ["train", "--activation", "swish"]):
        with pytest.raises(SystemExit) as info:
            main(argv)
        assert info.value.code == 2
        err = capsys.readouterr().err
        assert "invalid choice" in err or "must be between 0 and 1" in err


def test_choices_come_from_the_registries():
    train = build_parser()._subparsers._group_actions[0].choices["train"]  # type: ignore
    opts = {a.dest: a for a in train._actions}
    assert {"sgd", "adam", "adamw", "rmsprop", "adagrad", "momentum"} <= set(
        opts["optimizer"].choices)
    assert set(opts["activation"].choices) == set(nn.layers.activations.ACTIVATIONS)


# -- --help --------------------------------------------------------------------------------
@pytest.mark.parametrize("command", ["train", "evaluate", "predict"])
def test_help_gives_every_option_a_meaning_and_a_default(command, capsys):
    with pytest.raises(SystemExit):
        main([command, "--help"])
    text = " ".join(capsys.readouterr().out.split())
    sub = build_parser()._subparsers._group_actions[0].choices[command]  # type: ignore
    for action in sub._actions:
        if not action.option_strings or action.dest == "help":
            continue
        assert action.help, action.option_strings
        flag = action.nargs == 0
        assert flag or "default" in action.help or action.default is not None, action.dest
    if command == "train":
        for words in ("--epochs EPOCHS passes over the training data (default: the recipe's",
                      "--lr LR, --learning-rate LR learning rate (default:",
                      "--seed SEED seed for weights, split and batches (default: 0)",
                      "--json print a final JSON line", "Ctrl-C exits with 130"):
            assert words in text, words
    if command == "evaluate":
        assert "--data-dir DIR folder holding the dataset files (default: the folder " \
               "recorded in the model" in text
        assert "--json print the result as one JSON line" in text


# -- Ctrl-C --------------------------------------------------------------------------------
def _interrupt_training(argv: list[str], started: Callable[[str], bool], timeout: float = 60
                        ) -> tuple[int, str]:
    """Run ``nnscratch train ARGV`` and send it SIGINT once ``started(stderr so far)``.

    Returns the exit status and all of stderr.
    """
    proc = subprocess.Popen(
        [sys.executable, "-m", "nnscratch", "train", *argv], stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE, text=True,
        # a test runner started in the background may ignore SIGINT; the child must not
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    chunks: list[str] = []
    reader = threading.Thread(target=lambda: chunks.extend(iter(
        lambda: proc.stderr.read(1), "")), daemon=True)  # type: ignore[union-attr]
    reader.start()
    try:
        deadline = time.monotonic() + timeout
        while not started("".join(chunks)):
            assert proc.poll() is None, "".join(chunks)
            assert time.monotonic() < deadline, "training never started"
            time.sleep(0.05)
        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=timeout)
        reader.join(timeout=timeout)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    return proc.returncode, "".join(chunks)


def test_ctrl_c_keeps_the_last_checkpoint_and_exits_130(tmp_path):
    checkpoint = tmp_path / "checkpoint.npz"
    status, err = _interrupt_training(
        ["--dataset", "spirals", "--epochs", "100000", "--checkpoint", "--quiet",
         "--out", str(tmp_path)], started=lambda err: checkpoint.exists())
    assert status == 130, err
    assert err.count("\n") == 1 and "Traceback" not in err, err
    assert err.startswith("nnscratch train: interrupted in epoch ") and "of 100000" in err
    assert f"kept {checkpoint} (after epoch " in err and f"--resume {checkpoint}" in err
    assert nn.load(checkpoint).metadata["dataset"] == "spirals"  # evaluate can read it
    print(err, end="")


def test_ctrl_c_without_checkpoints_says_nothing_was_saved(tmp_path):
    # the closing line of epoch 1 shows that training runs
    status, err = _interrupt_training(
        ["--dataset", "spirals", "--epochs", "100000", "--out", str(tmp_path)],
        started=lambda err: "epoch 1/100000 loss=" in err)
    assert status == 130, err
    assert "Traceback" not in err, err
    lines = [s for s in re.split(r"[\r\n]+", err) if s.strip()]
    mine = [s for s in lines if s.startswith("nnscratch train:")]
    assert mine == [lines[-1]], lines[-5:]  # one line, the last, after the bar's last state
    assert re.fullmatch(r"nnscratch train: interrupted in epoch \d+ of 100000; nothing was "
                        r"saved \(--checkpoint saves every epoch\)", mine[0]), mine
    assert not (tmp_path / "model.npz").exists()
    print(mine[0])


def test_checkpoint_and_resume_give_the_uninterrupted_run(tmp_path, capsys):
    common = ["train", "--dataset", "spirals", "--quiet", "--json"]
    assert main([*common, "--epochs", "4", "--out", str(tmp_path / "straight")]) == 0
    straight = last_json(capsys.readouterr().out)
    out = tmp_path / "parts"
    assert main([*common, "--epochs", "2", "--checkpoint", "--out", str(out)]) == 0
    capsys.readouterr()
    assert main([*common, "--epochs", "4", "--resume", str(out / "checkpoint.npz"),
                 "--out", str(out)]) == 0
    resumed = last_json(capsys.readouterr().out)
    assert resumed["test_loss"] == straight["test_loss"]
    assert resumed["train_accuracy"] == straight["train_accuracy"]


# -- evaluate: the data folder and overlapping splits --------------------------------------
def test_evaluate_remembers_the_folder_and_warns_about_overlap(mnist_t10k_dir, tmp_path,
                                                              capsys):
    out = tmp_path / "mnist"
    assert main(["train", "--dataset", "mnist", "--data-dir", str(mnist_t10k_dir),
                 "--epochs", "1", "--quiet", "--json", "--out", str(out)]) == 0
    trained = last_json(capsys.readouterr().out)
    meta = nn.load(out / "model.npz").metadata
    assert meta["data_dir"] == str(mnist_t10k_dir.resolve()) and meta["split"] == "seeded"

    assert main(["evaluate", str(out / "model.npz"), "--json"]) == 0  # no --data-dir
    captured = capsys.readouterr()
    assert "warning" not in captured.err
    assert last_json(captured.out)["accuracy"] == pytest.approx(trained["test_accuracy"])

    copy = tmp_path / "elsewhere"  # the same files in another folder: cannot be sure
    shutil.copytree(mnist_t10k_dir, copy)
    assert main(["evaluate", str(out / "model.npz"), "--data-dir", str(copy)]) == 0
    err = capsys.readouterr().err
    assert err.startswith("nnscratch evaluate: warning: ") and err.count("\n") == 1
    assert "trained on a seeded split of mnist" in err and "may hold its training" in err

    moved = tmp_path / "moved.npz"
    nn.load(out / "model.npz").save(moved, metadata={**meta, "data_dir": str(tmp_path / "x")})
    assert main(["evaluate", str(moved)]) == 1
    assert_one_error_line(capsys.readouterr().err, "evaluate", "is gone", "--data-dir DIR")


def test_a_model_without_a_record_is_warned_about_a_seeded_split(tmp_path, capsys):
    x, y = nn.make_spirals(200, 3, rng=0)
    model = nn.Sequential(nn.Dense(2, 16, rng=0), nn.ReLU(), nn.Dense(16, 3, rng=1)).use(
        nn.SoftmaxCrossEntropy(), nn.Adam(0.01))
    model.fit(x, y, epochs=2, verbose=0, seed=0)  # all 600 points: the tour's mistake
    model.save(tmp_path / "mine.npz")
    assert main(["evaluate", str(tmp_path / "mine.npz"), "--dataset", "spirals"]) == 0
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "does not record the data it was trained on" in err
    assert "may overlap its training data" in err


def test_official_test_files_raise_no_warning():
    data = Prepared(*(np.zeros(1),) * 4, 10, {}, split="official")
    assert overlap_warning("m.npz", {}, "fashion-mnist", data, None) is None
    meta = {"dataset": "mnist", "split": "official", "data_dir": None}
    assert overlap_warning("m.npz", meta, "mnist", data, "/elsewhere") is None
