"""DecisionBoundaryAnimation: an animated GIF of a model's decision boundary as it trains."""

from __future__ import annotations

import os
import warnings
from pathlib import Path
from typing import Any

from .._checks import check_int
from .base import Callback


class DecisionBoundaryAnimation(Callback):
    """Draw the class regions of a model on 2-D inputs every ``every`` epochs and write
    them as an animated GIF: the boundary bending around the data as the network learns
    (TensorFlow Playground's picture, as a file).

    Parameters
    ----------
    x : array of shape (N, 2)
        The points drawn (usually the training set).
    y : array of shape (N,), (N, 1) or (N, K)
        Their labels (or regression targets: the frames show the output surface).
    path : str or path-like
        The GIF to write; its folder is created.
    every : int, default 1
        A frame after every ``every``-th epoch.
    resolution : int, default 100
        Grid points per side where the model is evaluated.
    fps : int, default 4
        Frames per second in the GIF.
    dpi : int, default 80
        Pixels per inch of each frame (``figsize`` is in inches).
    figsize : (float, float), default (4.8, 4.0)
    class_names : sequence or dict, optional
        ``class_names[k]`` is shown for class ``k`` in the legend.

    Attributes
    ----------
    frames : int
        Frames captured so far in this ``fit``.

    Notes
    -----
    A ``fit`` of ``epochs`` epochs gives ``epochs // every`` frames, after epochs
    ``every``, ``2·every``, ... (counted from 1, and across ``fit`` calls as ``epoch``
    is); when training ends after another epoch (early stopping, an error) that last
    state is added as a final frame, so the GIF always ends on the model as training
    left it. Each ``fit`` starts the file anew.

    The file is written when training ends: by ``on_train_end`` when it ends normally or
    stops early, and by ``on_exception`` when a step raises (NaN checks, Ctrl-C), so an
    interrupted run still leaves a finished GIF of what it learned; it is written beside
    ``path`` and renamed over it, so a reader never sees half a file.

    Memory: matplotlib's Pillow writer keeps every frame as an RGBA image until the file
    is written, ``4 · (figsize[0]·dpi) · (figsize[1]·dpi)`` bytes each: 384 × 320 pixels,
    about 0.5 MB a frame with the defaults, so 100 frames hold about 50 MB. Raise
    ``every`` (or lower ``dpi``) for long runs. Each frame costs one prediction on
    ``resolution²`` grid points (10,000 by default) and one on the ``N`` points.
    """

    main_rank_only = True  # data-parallel: rank 0 draws and writes the file

    def __init__(self, x: Any, y: Any, path: str | os.PathLike[str], every: int = 1, *,
                 resolution: int = 100, fps: int = 4, dpi: int = 80,
                 figsize: tuple[float, float] = (4.8, 4.0), class_names: Any = None) -> None:
        self.x, self.y = x, y
        self.path = Path(path)
        self.every = check_int("DecisionBoundaryAnimation", "every", every,
                               type_error=ValueError)
        self.resolution = check_int("DecisionBoundaryAnimation", "resolution", resolution,
                                    minimum=2, type_error=ValueError)
        self.fps = check_int("DecisionBoundaryAnimation", "fps", fps, type_error=ValueError)
        self.dpi = check_int("DecisionBoundaryAnimation", "dpi", dpi, type_error=ValueError)
        self.figsize = figsize
        self.class_names = class_names
        self.frames = 0
        self._writer: Any = None
        self._last_epoch: int | None = None  # the last epoch trained, and the last drawn
        self._drawn_epoch: int | None = None

    def on_train_begin(self, logs: dict[str, Any] | None = None) -> None:
        from matplotlib.animation import PillowWriter
        from matplotlib.figure import Figure

        from ..plots.boundary import Boundary, draw

        # a Figure outside pyplot: nothing to close, and no window on any backend
        self._fig = Figure(figsize=self.figsize)
        ax = self._fig.add_subplot()
        self._boundary = Boundary.of(self.model, self.x, self.y, self.resolution,
                                     "DecisionBoundaryAnimation")
        self._drawn = draw(ax, self._boundary, self._boundary.values(self.model),
                           self.class_names)
        ax.set_title("before training: accuracy 100.0 %")  # room for the frames' titles
        self._fig.tight_layout()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._temporary = self.path.with_name(f".{self.path.stem}.{os.getpid()}.tmp.gif")
        self._writer = PillowWriter(fps=self.fps)
        self._writer.setup(self._fig, self._temporary, dpi=self.dpi)
        self.frames = 0
        self._last_epoch = self._drawn_epoch = None

    def on_epoch_end(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        self._last_epoch = epoch
        if self._writer is not None and (epoch + 1) % self.every == 0:
            self._frame(epoch)

    def on_train_end(self, logs: dict[str, Any] | None = None) -> None:
        self._finish()

    def on_exception(self, exception: BaseException) -> None:
        try:
            self._finish()
        except Exception as err:  # the training error is the one to see
            warnings.warn(f"DecisionBoundaryAnimation: could not write {self.path}: {err}",
                          RuntimeWarning, stacklevel=2)

    def _frame(self, epoch: int | None) -> None:
        self._drawn.update(self._boundary.values(self.model))
        when = "before training" if epoch is None else f"epoch {epoch + 1}"
        self._drawn.ax.set_title(f"{when}: {self._boundary.score(self.model)}")
        self._writer.grab_frame()
        self.frames += 1
        self._drawn_epoch = epoch

    def _finish(self) -> None:
        """Add the final state if it has no frame yet, write the GIF, release the frames."""
        if self._writer is None:
            return
        writer, self._writer = self._writer, None
        try:
            if self.frames == 0 or self._drawn_epoch != self._last_epoch:
                self._writer = writer
                self._frame(self._last_epoch)
                self._writer = None
            writer.finish()
            os.replace(self._temporary, self.path)
        finally:
            self._temporary.unlink(missing_ok=True)

    def __repr__(self) -> str:
        return (f"DecisionBoundaryAnimation(path={str(self.path)!r}, every={self.every}, "
                f"frames={self.frames})")
