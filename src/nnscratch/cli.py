"""The command line: ``nnscratch train | evaluate | predict | export``.

``nnscratch train`` trains the default model on the embedded digits set, shows a progress
bar, prints train/test accuracy and saves the model and its cost curve. See
``nnscratch --help`` and ``nnscratch train --help``.

A user's mistake (a diverging run, a missing or malformed file, an output folder that is
a file, missing data) ends with one line on stderr and exit status 1; argparse's usage
errors exit with 2; Ctrl-C exits with 130 after one line saying what was kept.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

from . import distributed
from ._cli_parser import build_parser
from .callbacks import Callback
from .recipes import (
    Prepared,
    apply_preprocess,
    build_mlp,
    make_optimizer,
    one_line,
    overlap_warning,
    prepare,
)

EXIT_ERROR = 1
EXIT_INTERRUPTED = 130  # 128 + SIGINT, what shells report for a Ctrl-C


class CLIError(Exception):
    """A user's mistake, reported as one line ``nnscratch COMMAND: error: MESSAGE``."""


class Interrupted(Exception):
    """Ctrl-C during training; the message says what was kept."""


def resolve_settings(args: argparse.Namespace, data: Prepared) -> dict[str, Any]:
    """What a run trains with: the options given, else the dataset's recipe.

    Returns
    -------
    dict
        ``model``, ``epochs``, ``batch_size`` (None: full batch), ``optimizer`` (a name),
        ``learning_rate`` (None: the optimizer's own default) and ``lr_schedule``.
    """
    d = dict(data.defaults)
    model_kind = args.model or d.get("model", "mlp")
    if model_kind == "cnn":
        if d.get("build_cnn") is None or data.image_shape is None:
            raise CLIError(f"--model cnn is not available for --dataset {args.dataset}; "
                           "it needs images (mnist or fashion-mnist)")
        d.update(d.get("cnn", {}))
    recipe_optimizer = d.get("optimizer", "sgd")
    optimizer = args.optimizer or recipe_optimizer
    if args.lr is not None:
        lr = args.lr
    else:  # the recipe's rate belongs to the recipe's optimizer
        lr = d.get("learning_rate") if optimizer == recipe_optimizer else None
    return {
        "model": model_kind,
        "epochs": args.epochs or d.get("epochs", 20),
        "batch_size": None if args.full_batch else (args.batch_size or d.get("batch_size")),
        "optimizer": optimizer,
        "learning_rate": lr,
        "lr_schedule": args.lr_schedule or d.get("lr_schedule", "constant"),
    }


def _check_out(out: Path) -> None:
    """Refuse, before any training, an output folder that cannot be one."""
    for folder in (out, *out.parents):
        if folder.exists():
            if not folder.is_dir():
                raise CLIError(f"--out {out}: {folder} is a file, not a folder")
            if not os.access(folder, os.W_OK | os.X_OK):
                raise CLIError(f"--out {out}: cannot write into {folder}")
            return


def _build(args: argparse.Namespace, data: Prepared, settings: dict[str, Any]) -> Any:
    """The model for ``settings``, compiled with its loss and optimizer."""
    from .losses import BinaryCrossEntropy, SoftmaxCrossEntropy
    from .model import Sequential

    d = data.defaults
    if settings["model"] == "cnn":
        assert data.image_shape is not None  # resolve_settings checked it
        layers = d["build_cnn"](args.seed)
        data.x_train = data.x_train.reshape(len(data.x_train), *data.image_shape)
        data.x_test = data.x_test.reshape(len(data.x_test), *data.image_shape)
        data.preprocess["input_shape"] = list(data.image_shape)
    else:
        hidden = args.hidden if args.hidden is not None else d.get("hidden", [128])
        activation = args.activation or d.get("activation", "relu")
        n_in = int(np.prod(data.preprocess["input_shape"]))
        layers = build_mlp(n_in, hidden, data.n_classes, activation, seed=args.seed)
    loss = BinaryCrossEntropy() if data.n_classes == 2 else SoftmaxCrossEntropy()
    optimizer = make_optimizer(settings["optimizer"], settings["learning_rate"])
    settings["learning_rate"] = optimizer.learning_rate  # the rate it starts at
    return Sequential(layers).use(loss, optimizer)


class _EpochCheckpoint(Callback):
    """Follows the epochs and, given a path, saves a training checkpoint after each."""

    runs_last = True  # after the schedule has updated its state

    def __init__(self, path: Path | None, metadata: dict[str, Any]) -> None:
        self.path = path
        self.metadata = metadata
        self.current = 0  # 1-based epoch in progress
        self.saved = 0  # last epoch whose checkpoint is complete on disk

    def on_epoch_begin(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        self.current = epoch + 1

    def on_epoch_end(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        if self.path is not None:
            # under mpiexec rank 0 writes; every rank follows, as any may report a Ctrl-C
            if distributed.is_main():
                self.model.save_checkpoint(self.path, metadata=self.metadata)
            self.saved = epoch + 1


def _interrupted(tracker: _EpochCheckpoint, epochs: int) -> Interrupted:
    where = f"interrupted in epoch {tracker.current} of {epochs}"
    if tracker.path is None:
        return Interrupted(f"{where}; nothing was saved (--checkpoint saves every epoch)")
    if not tracker.saved:
        return Interrupted(f"{where}; nothing was saved: no epoch had finished")
    return Interrupted(f"{where}; kept {tracker.path} (after epoch {tracker.saved}): run "
                       f"the same command with --resume {tracker.path} to continue")


def _fit(model: Any, data: Prepared, args: argparse.Namespace, settings: dict[str, Any],
         tracker: _EpochCheckpoint) -> float:
    """Train; returns the seconds it took. Ctrl-C becomes :class:`Interrupted`."""
    from .progress import EpochTimeEstimate, close_open_bars, tracked_stderr

    epochs, batch_size = settings["epochs"], settings["batch_size"]
    callbacks: list[Callback] = [tracker]
    if args.report is not None:  # the report shows each layer's statistics
        from .callbacks import LayerStats

        callbacks.append(LayerStats(warn=False))
    if not args.quiet and batch_size is not None:
        steps = -(-len(data.x_train) // batch_size)
        callbacks.append(EpochTimeEstimate(steps, epochs))
    schedule = None
    if settings["lr_schedule"] == "cosine":
        from .schedules import CosineDecay

        schedule = CosineDecay(total=epochs)
    t_fit = time.perf_counter()
    try:
        # a diverging run overflows before its loss is NaN; fit's own error explains it
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"), tracked_stderr():
            model.fit(data.x_train, _targets(data, data.y_train), epochs=epochs,
                      batch_size=batch_size, seed=args.seed, lr_schedule=schedule,
                      validation_data=(data.x_test, _targets(data, data.y_test)),
                      callbacks=callbacks, verbose=0 if args.quiet else 1,
                      resume_from=args.resume)
    except KeyboardInterrupt:
        close_open_bars()
        raise _interrupted(tracker, epochs) from None
    return time.perf_counter() - t_fit


def _targets(data: Prepared, y: np.ndarray) -> np.ndarray:
    return y.reshape(-1, 1) if data.n_classes == 2 else y


def _metadata(args: argparse.Namespace, data: Prepared) -> dict[str, Any]:
    """What ``evaluate`` and ``predict`` need to know about the training run."""
    return {
        "dataset": args.dataset, "seed": args.seed, "test_size": args.test_size,
        "data_dir": str(Path(args.data_dir).resolve()) if args.data_dir else None,
        "split": data.split, "preprocess": data.preprocess, "classes": data.classes,
        "n_classes": data.n_classes,
    }


def _save_plots(model: Any, out: Path, args: argparse.Namespace, full_batch: bool
                ) -> dict[str, str]:
    try:
        from .plots import plot_cost, plot_history

        every = "iteration (epoch)" if full_batch else "iteration"
        plot_cost(model.history.iteration_loss, out / "cost.png", xlabel=every,
                  title=f"{args.dataset}: cost per iteration", log_scale=True)
        plot_history(model.history, out / "history.png", title=f"{args.dataset}: training")
    except ImportError as err:
        print(f"nnscratch train: no plots: {one_line(err)}", file=sys.stderr)
        return {}
    return {"cost_plot": str(out / "cost.png"), "history_plot": str(out / "history.png")}


def _write_report(model: Any, data: Prepared, args: argparse.Namespace,
                  settings: dict[str, Any], out: Path) -> Path:
    """``--report``: the HTML page of the run, on the test split."""
    from .html_report import report

    path = Path(args.report) if args.report else out / "report.html"
    shown = {"dataset": args.dataset, "seed": args.seed, "training samples": len(data.x_train),
             **settings}
    try:
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            return report(model, None, data.x_test, _targets(data, data.y_test), path,
                          settings=shown, class_names=data.classes or None)
    except ImportError as err:
        raise CLIError(f"--report: {one_line(err)}") from None
    except OSError as err:
        raise CLIError(f"--report: cannot write {path}: {one_line(err)}") from None


def _describe(settings: dict[str, Any]) -> str:
    schedule = " under a cosine decay" if settings["lr_schedule"] == "cosine" else ""
    batch = settings["batch_size"] or "full"
    return (f"training: {settings['optimizer']} at learning rate "
            f"{settings['learning_rate']:g}{schedule}, {settings['epochs']} epochs, "
            f"batch {batch}")


def cmd_train(args: argparse.Namespace) -> int:
    """``nnscratch train``: prepare the data, build, train, save, report."""
    t_start = time.perf_counter()
    out = Path(args.out or Path("runs") / args.dataset)
    _check_out(out)
    data = prepare(args.dataset, args.data_dir, seed=args.seed, test_size=args.test_size)
    if data.note:
        print(f"note: {data.note}", file=sys.stderr)
    settings = resolve_settings(args, data)
    model = _build(args, data, settings)
    args.quiet = args.quiet or not distributed.is_main()  # under mpiexec rank 0 reports
    if not args.quiet:
        print(model.summary(data.preprocess["input_shape"]), file=sys.stderr)
        print(_describe(settings), file=sys.stderr)
    metadata = _metadata(args, data)
    tracker = _EpochCheckpoint(out / "checkpoint.npz" if args.checkpoint else None, metadata)
    if args.checkpoint:
        out.mkdir(parents=True, exist_ok=True)
    fit_seconds = _fit(model, data, args, settings, tracker)
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        train = model.evaluate(data.x_train, _targets(data, data.y_train))
        test = model.evaluate(data.x_test, _targets(data, data.y_test))
    if not distributed.is_main():  # under mpiexec rank 0 saves and reports
        return 0
    out.mkdir(parents=True, exist_ok=True)
    model_path = out / "model.npz"
    model.save(model_path, metadata=metadata)
    plots = _save_plots(model, out, args, settings["batch_size"] is None)
    if args.report is not None:
        plots["report"] = str(_write_report(model, data, args, settings, out))
    epochs = settings["epochs"]
    print(f"train accuracy {train['accuracy']:.4f}   test accuracy {test['accuracy']:.4f}   "
          f"({epochs} epochs, {fit_seconds:.2f} s)")
    print(f"saved {model_path}" + (f" and {', '.join(plots.values())}" if plots else ""))
    if args.json:
        print(json.dumps({
            "dataset": args.dataset, "model": settings["model"],
            "train_accuracy": train["accuracy"], "test_accuracy": test["accuracy"],
            "train_loss": train["loss"], "test_loss": test["loss"], "epochs": epochs,
            "batch_size": settings["batch_size"], "optimizer": settings["optimizer"],
            "learning_rate": settings["learning_rate"],
            "lr_schedule": settings["lr_schedule"],
            "seconds": round(time.perf_counter() - t_start, 3),
            "fit_seconds": round(fit_seconds, 3), "model_path": str(model_path), **plots,
        }))
    return 0


def _load(path: str) -> Any:
    from .io import load

    try:
        return load(path)
    except (OSError, ValueError) as err:
        raise CLIError(f"cannot load model: {one_line(err)}") from None


def cmd_evaluate(args: argparse.Namespace) -> int:
    """``nnscratch evaluate``: the test split of the recorded dataset and folder."""
    model = _load(args.model)
    meta = getattr(model, "metadata", {}) or {}
    name = args.dataset or meta.get("dataset")
    if not name:
        raise CLIError(f"{args.model} does not record its dataset; pass --dataset")
    data_dir = args.data_dir or (meta.get("data_dir") if name == meta.get("dataset") else None)
    if data_dir and not args.data_dir and not Path(data_dir).is_dir():
        raise CLIError(f"the folder {data_dir} the model was trained from is gone; pass "
                       "--data-dir DIR")
    data = prepare(name, data_dir, seed=meta.get("seed", 0),
                   test_size=meta.get("test_size", 0.2))
    warning = overlap_warning(args.model, meta, name, data, data_dir)
    if warning:
        print(f"nnscratch evaluate: warning: {warning}", file=sys.stderr)
    shape = meta.get("preprocess", {}).get("input_shape")
    if shape:  # e.g. a CNN takes (N, 1, 28, 28) where the dataset gives flat rows
        data.x_test = data.x_test.reshape(len(data.x_test), *shape)
    result = model.evaluate(data.x_test, _targets(data, data.y_test))
    if not distributed.is_main():  # under mpiexec rank 0 reports
        return 0
    if args.json:
        print(json.dumps({"dataset": name, **result}))
    else:
        print(f"{name}: test loss {result['loss']:.4f}   test accuracy "
              f"{result.get('accuracy', float('nan')):.4f}   ({len(data.x_test)} samples)")
    return 0


def cmd_predict(args: argparse.Namespace) -> int:
    """``nnscratch predict``: classes (or probabilities) for raw inputs."""
    model = _load(args.model)
    meta = getattr(model, "metadata", {}) or {}
    from ._npzread import read_npy  # bounded: sizes checked before allocating, 1 GiB cap

    try:
        raw = read_npy(args.input)
    except (OSError, ValueError) as err:
        raise CLIError(f"cannot read {args.input}: {one_line(err)}") from None
    try:
        x = apply_preprocess(raw, meta.get("preprocess", {}), model.dtype)
    except ValueError as err:
        raise CLIError(f"{args.input}: {one_line(err)}") from None
    result = model.predict_proba(x) if args.proba else model.predict_classes(x)
    if not distributed.is_main():  # under mpiexec rank 0 writes and prints
        return 0
    if args.output:
        np.save(args.output, result)
    if args.proba:
        np.savetxt(sys.stdout, np.atleast_2d(result), fmt="%.4f")
    else:
        classes = meta.get("classes") or []
        names = [classes[c] if c < len(classes) else str(c) for c in result]
        print("\n".join(names))
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    """``nnscratch export``: the saved model as an ONNX file."""
    from .onnx_export import to_onnx

    model = _load(args.model)
    if not distributed.is_main():  # under mpiexec rank 0 writes the one file
        return 0
    to_onnx(model, args.output, args.opset, output="logits" if args.logits else
            "probabilities", bake_preprocessing=args.bake_preprocessing,
            raw_shape=args.raw_shape, raw_dtype="uint8" if args.uint8 else "float32")
    print(f"saved {args.output}")
    return 0


def main(argv: list[str] | None = None) -> int:
    """Run the command line; returns the exit status (0, 1 on an error, 130 on Ctrl-C)."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 2
    if distributed.launched_by_mpi():  # mpiexec -n 4 nnscratch train: data-parallel
        try:
            distributed.init()
        except ImportError as err:
            return _report(args.command, f"error: {one_line(err)}", EXIT_ERROR)
    handler = {"train": cmd_train, "evaluate": cmd_evaluate, "predict": cmd_predict,
               "export": cmd_export}
    try:
        return handler[args.command](args)
    except Interrupted as err:
        return _report(args.command, str(err), EXIT_INTERRUPTED)
    except KeyboardInterrupt:
        return _report(args.command, "interrupted; nothing was saved", EXIT_INTERRUPTED)
    except (CLIError, ValueError, OSError, ImportError, FloatingPointError) as err:
        return _report(args.command, f"error: {one_line(err)}", EXIT_ERROR)


def _report(command: str, message: str, status: int) -> int:
    from .progress import close_open_bars

    close_open_bars()
    world = distributed.world()
    if world is not None:  # under mpiexec: told once, and no rank left waiting for this one
        from .distributed._world import report_and_abort

        report_and_abort(world, f"nnscratch {command}: {message}", status)
    print(f"nnscratch {command}: {message}", file=sys.stderr, flush=True)
    return status


if __name__ == "__main__":
    sys.exit(main())
