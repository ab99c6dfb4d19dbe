"""The command line's arguments: ``build_parser()`` and the checks argparse runs on each.

:mod:`nnscratch.cli` runs the commands; this module only says what each accepts, with
the help text ``nnscratch COMMAND --help`` prints.
"""

from __future__ import annotations

import argparse
from typing import Any

from . import __version__
from .recipes import DATASETS, activation_names, optimizer_names


def _hidden(text: str) -> list[int]:
    try:
        sizes = [int(t) for t in text.split(",") if t.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"--hidden takes comma-separated layer sizes like 128,64, got {text!r}") from None
    if any(s < 1 for s in sizes):
        raise argparse.ArgumentTypeError(f"--hidden sizes must be positive, got {text!r}")
    return sizes


def _positive(kind: type) -> Any:
    def parse(text: str) -> Any:
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a {kind.__name__}, got {text!r}"
                                             ) from None
        if not value > 0:
            raise argparse.ArgumentTypeError(f"must be > 0, got {text}")
        return value

    return parse


def _fraction(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    if not 0 < value < 1:
        raise argparse.ArgumentTypeError(f"must be between 0 and 1, got {text}")
    return value


class _Formatter(argparse.RawDescriptionHelpFormatter):
    """Keeps the epilog's line breaks and appends ``(default: X)`` to an option's help
    when the default is a value; options whose default depends on the dataset say so
    in their own help."""

    def _get_help_string(self, action: argparse.Action) -> str:
        text = action.help or ""
        if ("default" in text or not action.option_strings or action.default is None
                or action.default is False or action.default == argparse.SUPPRESS):
            return text
        return f"{text} (default: %(default)s)"


_TRAIN_EPILOG = """\
defaults come from the dataset's recipe (see README): digits trains a 64-128-10 MLP with
SGD at 0.1 for 40 epochs; --model cnn on (fashion-)mnist uses Adam at 2e-3 under a cosine
decay for 10 epochs, batches of 64. A different --optimizer without --lr trains at that
optimizer's own default rate (adam 0.001, sgd 0.01).

errors (a diverging run, missing data, --out naming a file) end with one line on stderr
and exit status 1. Ctrl-C exits with 130 and says what was kept: with --checkpoint, the
checkpoint of the last finished epoch, which --resume continues."""


def build_parser() -> argparse.ArgumentParser:
    """The ``nnscratch`` argument parser and its subcommands."""
    parser = argparse.ArgumentParser(
        prog="nnscratch",
        description="Neural networks from scratch on NumPy: train, evaluate and use models.",
        epilog="Examples:\n  nnscratch train\n  nnscratch train --hidden 256,128 --epochs 60"
               "\n  nnscratch evaluate runs/digits/model.npz\n"
               "  nnscratch predict runs/digits/model.npz images.npy\n"
               "  nnscratch export runs/digits/model.npz model.onnx",
        formatter_class=_Formatter,
    )
    parser.add_argument("--version", action="version", version=f"nnscratch {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    _add_train(sub)

    e = sub.add_parser("evaluate", help="evaluate a saved model on its dataset's test split",
                       formatter_class=_Formatter,
                       description="Loss and accuracy of a saved model on the test split "
                                   "of the data it was trained on.")
    e.add_argument("model", help="a model file written by 'nnscratch train' or model.save()")
    e.add_argument("--dataset", default=None, choices=sorted(DATASETS),
                   help="dataset to evaluate on (default: the one recorded in the model)")
    e.add_argument("--data-dir", default=None, metavar="DIR",
                   help="folder holding the dataset files (default: the folder recorded in "
                        "the model at training, else the default lookup)")
    e.add_argument("--json", action="store_true", help="print the result as one JSON line")

    p = sub.add_parser("predict", help="predict classes for inputs stored in a .npy file",
                       formatter_class=_Formatter)
    p.add_argument("model", help="a model file written by 'nnscratch train' or model.save()")
    p.add_argument("input", help=".npy file of raw inputs (one sample or a batch)")
    p.add_argument("--output", default=None,
                   help="also save the predictions to this .npy file (default: print only)")
    p.add_argument("--proba", action="store_true", help="print probabilities, not classes")
    _add_export(sub)
    return parser


def _shape(text: str) -> list[int]:
    try:
        dims = [int(t) for t in text.split(",") if t.strip()]
    except ValueError:
        dims = []
    if not dims or any(d < 1 for d in dims):
        raise argparse.ArgumentTypeError(f"expected positive sizes like 28,28, got {text!r}")
    return dims


def _add_export(sub: Any) -> None:
    x = sub.add_parser("export", help="write a saved model as ONNX (needs the onnx package)",
                       formatter_class=_Formatter,
                       description="Write a saved model as an ONNX file for onnxruntime and "
                                   "other runtimes: float32, a dynamic batch axis, input "
                                   "'input', the classes and preprocessing in its metadata.")
    x.add_argument("model", help="a model file written by 'nnscratch train' or model.save()")
    x.add_argument("output", help="the .onnx file to write")
    x.add_argument("--opset", type=int, default=None,
                   help="ONNX opset, 13 or newer (default: 17, the tested one)")
    x.add_argument("--logits", action="store_true",
                   help="output the logits instead of the probabilities")
    x.add_argument("--bake-preprocessing", action="store_true",
                   help="put the recorded scaling and reshape into the graph, so that it "
                        "takes raw inputs")
    x.add_argument("--raw-shape", type=_shape, default=None, metavar="D,D,...",
                   help="with --bake-preprocessing: one raw sample's shape, e.g. 28,28 "
                        "(default: the model's input shape)")
    x.add_argument("--uint8", action="store_true",
                   help="with --bake-preprocessing: the raw inputs are uint8 (pixels)")


def _add_train(sub: Any) -> None:
    t = sub.add_parser("train", help="train a model on a dataset (default: the 8x8 digits)",
                       description="Train a network and save it with its cost curve.",
                       epilog=_TRAIN_EPILOG, formatter_class=_Formatter)
    t.add_argument("--dataset", default="digits", choices=sorted(DATASETS),
                   help="dataset to train on (digits is embedded via scikit-learn)")
    t.add_argument("--data-dir", default=None, metavar="DIR",
                   help="folder holding the dataset files (MNIST IDX, cat HDF5, ...) "
                        "(default: the user cache, then a download where possible)")
    t.add_argument("--model", default=None, choices=["mlp", "cnn"],
                   help="architecture family (default: mlp)")
    t.add_argument("--hidden", type=_hidden, default=None,
                   help="hidden layer sizes of the MLP, comma-separated, e.g. 128,64 "
                        "(default: the dataset's, 128 for digits)")
    t.add_argument("--activation", default=None, type=str.lower, choices=activation_names(),
                   help="hidden activation of the MLP (default: the dataset's, relu for "
                        "most)")
    t.add_argument("--optimizer", default=None, type=str.lower, choices=optimizer_names(),
                   help="optimizer; momentum is SGD with momentum 0.9 (default: the "
                        "recipe's, sgd; adam for --model cnn)")
    t.add_argument("--lr", "--learning-rate", dest="lr", type=_positive(float), default=None,
                   help="learning rate (default: the recipe's rate for the recipe's "
                        "optimizer, else the optimizer's own default)")
    t.add_argument("--lr-schedule", default=None, choices=["constant", "cosine"],
                   help="learning-rate schedule over the epochs; cosine decays to 0 "
                        "(default: the recipe's, cosine for --model cnn, else constant)")
    t.add_argument("--epochs", type=_positive(int), default=None,
                   help="passes over the training data (default: the recipe's, 40 for "
                        "digits)")
    t.add_argument("--batch-size", type=_positive(int), default=None,
                   help="mini-batch size (default: the recipe's, 32 for digits)")
    t.add_argument("--full-batch", action="store_true",
                   help="full-batch gradient descent: one step per epoch")
    t.add_argument("--seed", type=int, default=0, help="seed for weights, split and batches")
    t.add_argument("--test-size", type=_fraction, default=0.2,
                   help="fraction held out for testing where a dataset has no test split")
    t.add_argument("--out", default=None, metavar="DIR",
                   help="output folder for model.npz and plots (default: runs/DATASET)")
    t.add_argument("--checkpoint", action="store_true",
                   help="save OUT/checkpoint.npz after every epoch, so that Ctrl-C or a "
                        "crash keeps the last finished epoch")
    t.add_argument("--resume", default=None, metavar="CHECKPOINT",
                   help="continue from a checkpoint written by --checkpoint, with the "
                        "same options (default: start afresh)")
    t.add_argument("--report", nargs="?", const="", default=None, metavar="PATH",
                   help="write a self-contained HTML report of the run (settings, model, "
                        "history, confusion matrix, misclassified samples, weights, layer "
                        "statistics, timing) to PATH (default: OUT/report.html)")
    t.add_argument("--json", action="store_true", help="print a final JSON line of results")
    t.add_argument("--quiet", action="store_true",
                   help="no summary, progress bar or time estimate")
