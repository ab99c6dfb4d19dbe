"""One HTML page that keeps and shares what a training run did.

``nn.report(model, history, x_test, y_test, path="report.html")`` writes a single,
self-contained file: the run's settings, the model's drawing and summary, the training
history, the test results with the confusion matrix, misclassified samples, the first
layer's weights or filters, LayerStats' records and the timing. Pictures are PNGs
embedded as ``data:`` URIs and the style is inline, so the file opens anywhere, offline,
and can be mailed or attached as it is; there is no JavaScript. Pictures need matplotlib
(``pip install 'nnscratch[plot]'``).
"""

from __future__ import annotations

import base64
import datetime
import html
import io
import os
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from ._atomic import write_atomically
from .callbacks.layer_stats import LayerStats
from .layers.conv import Conv2D
from .layers.dense import Dense

_STYLE = """
body { font-family: system-ui, sans-serif; max-width: 1000px; margin: 2em auto;
       padding: 0 1em; color: #222; line-height: 1.4; }
h1 { font-size: 1.6em; margin-bottom: 0.2em; } h2 { border-bottom: 1px solid #ccc;
       margin-top: 2em; font-size: 1.25em; }
table { border-collapse: collapse; margin: 0.5em 0; font-size: 0.92em; }
td, th { border: 1px solid #ddd; padding: 0.25em 0.6em; text-align: left; }
th { background: #f4f4f4; } td.num { text-align: right; font-variant-numeric: tabular-nums; }
pre { background: #f7f7f7; padding: 0.8em; overflow-x: auto; font-size: 0.85em; }
img { max-width: 100%; height: auto; display: block; margin: 0.5em 0; }
.note { color: #666; font-style: italic; } .warn { color: #a40000; }
"""


def report(model: Any, history: Any, x_test: Any, y_test: Any,
           path: str | os.PathLike[str] = "report.html", *,
           settings: Mapping[str, Any] | None = None, layer_stats: LayerStats | None = None,
           class_names: Sequence[str] | None = None,
           image_shape: Sequence[int] | None = None, title: str | None = None) -> Path:
    """Write a self-contained HTML report of a trained model; returns its path.

    Parameters
    ----------
    model : Sequential
        Trained, with its loss (``use``).
    history : History, dict of lists or None
        ``model.history`` (the default when None) or a Keras-style dict.
    x_test : ndarray of shape (N, ...)
    y_test : ndarray of shape (N,) or (N, K)
        Held-out samples: evaluated, their confusion matrix and misclassified samples
        drawn (images only: flat rows must be square images, or pass ``image_shape``).
    path : path, default "report.html"
        Written atomically; its folder is created.
    settings : dict, optional
        The run's settings to show (dataset, epochs, batch size, ...); the model's loss,
        optimizer and dtype are always shown.
    layer_stats : LayerStats, optional
        Records to show; by default a LayerStats among the callbacks of the model's last
        ``fit``, if there was one.
    class_names : sequence of str, optional
    image_shape : tuple, optional
        ``(H, W)`` of a flat input row, for the pictures of samples and weights.
    title : str, optional

    Raises
    ------
    ImportError
        matplotlib is missing.
    ValueError
        ``x_test`` or ``y_test`` does not fit the model (as ``evaluate`` says).
    """
    from .plots._base import pyplot

    pyplot()  # fail now, not halfway, when matplotlib is missing
    history = model.history if history is None else history
    if layer_stats is None:
        cbs = getattr(getattr(model, "training_state", None), "callbacks", None)
        found = [cb for cb in getattr(cbs, "callbacks", []) if isinstance(cb, LayerStats)]
        layer_stats = found[-1] if found else None
    t0 = time.perf_counter()
    scores = model.evaluate(x_test, y_test)
    outputs = model.predict(x_test)
    predict_seconds = time.perf_counter() - t0
    page = _Page(title or f"nnscratch report: {model!r}")
    page.add("Settings", _settings_table(model, settings))
    page.add("Model", _picture(lambda: _plots().plot_model(model), "the model's layers")
             + f"<pre>{html.escape(model.summary())}</pre>")
    page.add("Training history", _history_section(history))
    page.add("Test results", _test_section(scores, outputs, y_test, class_names, len(x_test)))
    page.add("Misclassified samples",
             _misclassified(x_test, y_test, outputs, class_names, image_shape)
             if "accuracy" in scores else _note("none to show: the targets are not classes"))
    page.add("First layer's weights", _weights(model, image_shape))
    page.add("Layer statistics", _layer_stats_section(layer_stats))
    page.add("Timing", _timing(history, predict_seconds, len(x_test)))
    data = page.render().encode("utf-8")
    return write_atomically(path, lambda f: f.write(data))


# -- the page ------------------------------------------------------------------------------
class _Page:
    def __init__(self, title: str) -> None:
        self.title = title
        self.sections: list[tuple[str, str]] = []

    def add(self, heading: str, body: str) -> None:
        self.sections.append((heading, body))

    def render(self) -> str:
        from . import __version__

        when = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
        toc = " · ".join(f'<a href="#s{i}">{html.escape(h)}</a>'
                         for i, (h, _) in enumerate(self.sections))
        body = "\n".join(f'<h2 id="s{i}">{html.escape(h)}</h2>\n{b}'
                         for i, (h, b) in enumerate(self.sections))
        return (f'<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
                f"<title>{html.escape(self.title)}</title>\n<style>{_STYLE}</style>\n"
                f"</head>\n<body>\n<h1>{html.escape(self.title)}</h1>\n"
                f'<p class="note">written {when} by nnscratch {__version__}</p>\n'
                f"<p>{toc}</p>\n{body}\n</body>\n</html>\n")


def _plots() -> Any:
    from . import plots

    return plots


def _png(fig: Any) -> str:
    """A figure as an <img> with the PNG inside; the figure is closed."""
    from .plots._base import pyplot

    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=80)
    pyplot().close(fig)
    data = base64.b64encode(buf.getvalue()).decode("ascii")
    return f'<img src="data:image/png;base64,{data}" alt="">'


def _picture(draw: Callable[[], Any], what: str) -> str:
    """The figure ``draw`` returns, or a note saying why there is none."""
    try:
        return _png(draw())
    except (ValueError, TypeError) as err:
        return _note(f"no picture of {what}: {err}")


def _note(text: str) -> str:
    return f'<p class="note">{html.escape(text)}</p>'


def _table(rows: Sequence[Sequence[Any]], header: Sequence[str] | None = None) -> str:
    def cell(v: Any, tag: str = "td") -> str:
        if isinstance(v, (float, np.floating)):
            return f'<{tag} class="num">{float(v):.4g}</{tag}>'
        if isinstance(v, (int, np.integer)) and not isinstance(v, bool):
            return f'<{tag} class="num">{int(v):,}</{tag}>'
        return f"<{tag}>{html.escape(str(v))}</{tag}>"

    head = "<tr>" + "".join(cell(h, "th") for h in header) + "</tr>" if header else ""
    body = "".join("<tr>" + "".join(cell(v) for v in row) + "</tr>" for row in rows)
    return f"<table>{head}{body}</table>"


# -- sections ------------------------------------------------------------------------------
def _settings_table(model: Any, settings: Mapping[str, Any] | None) -> str:
    rows: list[tuple[str, Any]] = [(str(k), v) for k, v in (settings or {}).items()]
    rows += [("model.loss", repr(model.loss)), ("model.optimizer", repr(model.optimizer)),
             ("model.dtype", str(model.dtype)),
             ("trainable parameters", sum(p.size for p in model.parameters()))]
    return _table(rows, ("setting", "value"))


def _history_section(history: Any) -> str:
    hist = getattr(history, "history", history) or {}
    if not hist or not any(len(v) for v in hist.values()):
        return _note("no training history: the model was not trained by fit")
    keys = [k for k in hist if k != "seconds"]
    n = max(len(hist[k]) for k in keys)
    shown = list(range(n)) if n <= 12 else [*range(5), *range(n - 5, n)]
    rows = [[i + 1, *[hist[k][i] if i < len(hist[k]) else "" for k in keys]] for i in shown]
    table = _table(rows, ["epoch", *keys])
    more = _note(f"epochs 6 to {n - 5} are in the picture") if n > 12 else ""
    return _picture(lambda: _plots().plot_history(hist), "the history") + table + more


def _test_section(scores: Mapping[str, float], outputs: np.ndarray, y_test: Any,
                  class_names: Sequence[str] | None, n: int) -> str:
    out = _table([(k, v) for k, v in scores.items()], (f"on {n:,} test samples", "value"))
    if "accuracy" not in scores:
        return out + _note("no confusion matrix: the targets are not class labels")
    return out + _picture(lambda: _plots().plot_confusion_matrix(
        y_test, outputs, class_names=class_names), "the confusion matrix")


def _misclassified(x: Any, y: Any, outputs: np.ndarray, class_names: Sequence[str] | None,
                   image_shape: Sequence[int] | None) -> str:
    from .metrics import predicted_labels

    y_arr = np.asarray(y)
    truth = y_arr.argmax(1) if y_arr.ndim == 2 and y_arr.shape[1] > 1 else y_arr.reshape(-1)
    wrong = int(np.count_nonzero(predicted_labels(outputs) != truth))
    if not wrong:
        return _note("none: every test sample is classified correctly")
    count = _note(f"{wrong:,} of {len(truth):,} test samples are misclassified; "
                  "the first 25:")
    return count + _picture(lambda: _plots().plot_samples(
        x, y, outputs, class_names=class_names, only_errors=True, max_images=25,
        image_shape=image_shape), "misclassified samples (the inputs are not images)")


def _weights(model: Any, image_shape: Sequence[int] | None) -> str:
    first = next((layer for layer in model.layers if isinstance(layer, (Dense, Conv2D))), None)
    if first is None:
        return _note("no Dense or Conv2D layer")
    # 32 units or filters show what the layer learned; each more is a subplot to draw
    return _picture(lambda: _plots().plot_weights(first, image_shape=image_shape,
                                                  max_images=32), f"{first!r}'s weights")


def _layer_stats_section(stats: LayerStats | None) -> str:
    if stats is None or not stats.steps:
        return _note("not recorded: pass nn.callbacks.LayerStats() to fit to see each "
                     "layer's activations and gradients here")
    warnings_html = "".join(f'<p class="warn">{html.escape(m)}</p>' for m in stats.messages)
    rows = [(key, stats.layers.get(key, ""), *(r[s][-1] for s in
             ("mean", "std", "zero_fraction", "dead_fraction")))
            for key, r in stats.activations.items()]
    acts = _table(rows, ("layer", "", "mean", "std", "zero fraction", "dead fraction"))
    rows = [(key, *(r[s][-1] for s in ("norm", "std", "update_ratio")))
            for key, r in stats.gradients.items()]
    grads = _table(rows, ("parameter", "gradient norm", "gradient std", "update / weight"))
    return (warnings_html or _note("no warnings")) + _picture(stats.plot, "layer statistics") \
        + _note(f"last window (step {stats.steps[-1]}):") + acts + grads


def _timing(history: Any, predict_seconds: float, n: int) -> str:
    seconds = list(getattr(history, "seconds", None) or [])
    rows: list[tuple[str, Any]] = []
    if seconds:
        rows += [("training", f"{sum(seconds):.2f} s for {len(seconds)} epochs"),
                 ("per epoch", f"{np.mean(seconds):.3f} s (mean), {min(seconds):.3f} s "
                               "(fastest)")]
    rows.append(("evaluating and predicting the test set",
                 f"{predict_seconds:.3f} s for {n:,} samples"))
    return _table(rows, ("", "time"))
