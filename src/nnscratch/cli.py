"""The command line: ``nnscratch train | evaluate | predict``.

``nnscratch train`` trains the default model on the embedded digits set, shows a progress
bar, prints train/test accuracy and saves the model and its cost curve. See
``nnscratch --help`` and ``nnscratch train --help``.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import warnings
from pathlib import Path
from typing import Any

import numpy as np

from . import __version__
from .recipes import DATASETS, apply_preprocess, build_mlp, prepare


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


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="nnscratch",
        description="Neural networks from scratch on NumPy: train, evaluate and use models.",
        epilog="Examples:\n  nnscratch train\n  nnscratch train --hidden 256,128 --epochs 60"
               "\n  nnscratch evaluate runs/digits/model.npz\n"
               "  nnscratch predict runs/digits/model.npz images.npy",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"nnscratch {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    t = sub.add_parser("train", help="train a model on a dataset (default: the 8x8 digits)",
                       description="Train a network and save it with its cost curve.")
    t.add_argument("--dataset", default="digits", choices=sorted(DATASETS),
                   help="dataset to train on (default: digits, embedded via scikit-learn)")
    t.add_argument("--data-dir", default=None,
                   help="folder holding the dataset files (MNIST IDX, cat HDF5, ...)")
    t.add_argument("--model", default=None, choices=["mlp", "cnn"],
                   help="architecture family (default: the dataset's default)")
    t.add_argument("--hidden", type=_hidden, default=None,
                   help="hidden layer sizes, comma-separated (e.g. 128,64)")
    t.add_argument("--activation", default="relu",
                   choices=["relu", "leaky_relu", "tanh", "sigmoid"],
                   help="hidden activation (default: relu)")
    t.add_argument("--optimizer", default="sgd", help="sgd (default), momentum, adam, ...")
    t.add_argument("--epochs", type=_positive(int), default=None)
    t.add_argument("--batch-size", type=_positive(int), default=None,
                   help="mini-batch size (default: the dataset's; 'full' batch via --full-batch)")
    t.add_argument("--full-batch", action="store_true", help="full-batch gradient descent")
    t.add_argument("--lr", "--learning-rate", dest="lr", type=_positive(float), default=None)
    t.add_argument("--seed", type=int, default=0, help="seed for weights, split and batches")
    t.add_argument("--test-size", type=float, default=0.2,
                   help="fraction held out for testing where a dataset has no test split")
    t.add_argument("--out", default=None,
                   help="output folder for model.npz and plots (default: runs/DATASET)")
    t.add_argument("--json", action="store_true", help="print a final JSON line of results")
    t.add_argument("--quiet", action="store_true", help="no progress bar")

    e = sub.add_parser("evaluate", help="evaluate a saved model on its dataset's test split")
    e.add_argument("model", help="a model file written by 'nnscratch train' or model.save()")
    e.add_argument("--dataset", default=None, help="override the dataset stored in the model")
    e.add_argument("--data-dir", default=None)
    e.add_argument("--json", action="store_true")

    p = sub.add_parser("predict", help="predict classes for inputs stored in a .npy file")
    p.add_argument("model")
    p.add_argument("input", help=".npy file of raw inputs (one sample or a batch)")
    p.add_argument("--output", default=None, help="save the predictions to this .npy file")
    p.add_argument("--proba", action="store_true", help="print probabilities, not classes")
    return parser


def _optimizer(name: str) -> Any:
    from . import optimizers

    key = name.lower()
    if key == "momentum":
        return optimizers.get_optimizer("sgd", momentum=0.9)
    return optimizers.get_optimizer(key)


def cmd_train(args: argparse.Namespace) -> int:
    from .losses import BinaryCrossEntropy, SoftmaxCrossEntropy
    from .model import Sequential

    t_start = time.perf_counter()
    data = prepare(args.dataset, args.data_dir, seed=args.seed, test_size=args.test_size)
    if data.note:
        print(f"note: {data.note}", file=sys.stderr)
    d = data.defaults
    epochs = args.epochs or d.get("epochs", 20)
    batch_size = None if args.full_batch else (args.batch_size or d.get("batch_size"))
    lr = args.lr or d.get("learning_rate", 0.1)
    model_kind = args.model or d.get("model", "mlp")
    if model_kind == "cnn":
        builder = d.get("build_cnn")
        if builder is None or data.image_shape is None:
            raise SystemExit(f"nnscratch train: --model cnn is not available for "
                             f"--dataset {args.dataset}")
        layers = builder(args.seed)
        data.x_train = data.x_train.reshape(len(data.x_train), *data.image_shape)
        data.x_test = data.x_test.reshape(len(data.x_test), *data.image_shape)
        data.preprocess["input_shape"] = list(data.image_shape)
    else:
        hidden = args.hidden if args.hidden is not None else d.get("hidden", [128])
        activation = args.activation if args.activation != "relu" else d.get("activation",
                                                                             "relu")
        n_in = int(np.prod(data.preprocess["input_shape"]))
        layers = build_mlp(n_in, hidden, data.n_classes, activation, seed=args.seed)
    loss = BinaryCrossEntropy() if data.n_classes == 2 else SoftmaxCrossEntropy()
    optimizer = _optimizer(args.optimizer)
    model = Sequential(layers).use(loss, optimizer)
    if not args.quiet:
        print(model.summary(data.preprocess["input_shape"]), file=sys.stderr)
    y_train = data.y_train.reshape(-1, 1) if data.n_classes == 2 else data.y_train
    y_test = data.y_test.reshape(-1, 1) if data.n_classes == 2 else data.y_test
    t_fit = time.perf_counter()
    model.fit(data.x_train, y_train, epochs=epochs, batch_size=batch_size, learning_rate=lr,
              seed=args.seed, validation_data=(data.x_test, y_test),
              verbose=0 if args.quiet else 1)
    fit_seconds = time.perf_counter() - t_fit
    train = model.evaluate(data.x_train, y_train)
    test = model.evaluate(data.x_test, y_test)

    out = Path(args.out or Path("runs") / args.dataset)
    out.mkdir(parents=True, exist_ok=True)
    model_path = out / "model.npz"
    model.save(model_path, metadata={
        "dataset": args.dataset, "seed": args.seed, "test_size": args.test_size,
        "preprocess": data.preprocess, "classes": data.classes, "n_classes": data.n_classes,
    })
    plots = {}
    try:
        from .plots import plot_cost, plot_history

        every = "iteration" if batch_size is not None else "iteration (epoch)"
        plot_cost(model.history.iteration_loss, out / "cost.png", xlabel=every,
                  title=f"{args.dataset}: cost per iteration", log_scale=True)
        plot_history(model.history, out / "history.png", title=f"{args.dataset}: training")
        plots = {"cost_plot": str(out / "cost.png"), "history_plot": str(out / "history.png")}
    except ImportError as err:
        warnings.warn(f"no plots: {err}", stacklevel=1)

    print(f"train accuracy {train['accuracy']:.4f}   test accuracy {test['accuracy']:.4f}   "
          f"({epochs} epochs, {fit_seconds:.2f} s)")
    print(f"saved {model_path}" + (f" and {', '.join(plots.values())}" if plots else ""))
    if args.json:
        print(json.dumps({
            "dataset": args.dataset, "train_accuracy": train["accuracy"],
            "test_accuracy": test["accuracy"], "train_loss": train["loss"],
            "test_loss": test["loss"], "epochs": epochs, "batch_size": batch_size,
            "learning_rate": lr, "seconds": round(time.perf_counter() - t_start, 3),
            "fit_seconds": round(fit_seconds, 3), "model_path": str(model_path), **plots,
        }))
    return 0


def _load(path: str) -> Any:
    from .io import load

    try:
        return load(path)
    except (OSError, ValueError) as err:
        raise SystemExit(f"nnscratch: cannot load model: {err}") from None


def cmd_evaluate(args: argparse.Namespace) -> int:
    model = _load(args.model)
    meta = getattr(model, "metadata", {})
    name = args.dataset or meta.get("dataset")
    if not name:
        raise SystemExit("nnscratch evaluate: the model does not record its dataset; "
                         "pass --dataset")
    data = prepare(name, args.data_dir, seed=meta.get("seed", 0),
                   test_size=meta.get("test_size", 0.2))
    shape = meta.get("preprocess", {}).get("input_shape")
    if shape:  # e.g. a CNN takes (N, 1, 28, 28) where the dataset gives flat rows
        data.x_test = data.x_test.reshape(len(data.x_test), *shape)
    y_test = data.y_test.reshape(-1, 1) if data.n_classes == 2 else data.y_test
    result = model.evaluate(data.x_test, y_test)
    if args.json:
        print(json.dumps({"dataset": name, **result}))
    else:
        print(f"{name}: test loss {result['loss']:.4f}   test accuracy "
              f"{result.get('accuracy', float('nan')):.4f}   ({len(data.x_test)} samples)")
    return 0


def cmd_predict(args: argparse.Namespace) -> int:
    model = _load(args.model)
    meta = getattr(model, "metadata", {})
    try:
        raw = np.load(args.input, allow_pickle=False)
    except (OSError, ValueError) as err:
        raise SystemExit(f"nnscratch predict: cannot read {args.input}: {err}") from None
    try:
        x = apply_preprocess(raw, meta.get("preprocess", {}), model.dtype)
    except ValueError as err:
        raise SystemExit(f"nnscratch predict: {args.input}: {err}") from None
    result = model.predict_proba(x) if args.proba else model.predict_classes(x)
    if args.output:
        np.save(args.output, result)
    if args.proba:
        np.savetxt(sys.stdout, np.atleast_2d(result), fmt="%.4f")
    else:
        classes = meta.get("classes") or []
        names = [classes[c] if c < len(classes) else str(c) for c in result]
        print("\n".join(names))
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 2
    try:
        handler = {"train": cmd_train, "evaluate": cmd_evaluate, "predict": cmd_predict}
        return handler[args.command](args)
    except (ValueError, OSError, ImportError) as err:
        print(f"nnscratch {args.command}: error: {err}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
