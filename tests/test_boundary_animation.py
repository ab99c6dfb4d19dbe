"""DecisionBoundaryAnimation: one GIF frame per ``every`` epochs, and a finished file when
training stops early or fails."""

from __future__ import annotations

import numpy as np
import pytest

import nnscratch as nn

pytest.importorskip("matplotlib", reason="the animation needs the plot extra (matplotlib)")
Image = pytest.importorskip("PIL.Image", reason="matplotlib's Pillow writer needs Pillow")


def spirals_model():
    x, y = nn.make_spirals(30, n_classes=3, rng=0)
    model = nn.Sequential(nn.Dense(2, 12, rng=0), nn.Tanh(), nn.Dense(12, 3, rng=1)).use(
        nn.SoftmaxCrossEntropy(), nn.Adam(0.03))
    return model, x, y


def gif_frames(path):
    with Image.open(path) as im:
        assert im.format == "GIF"
        frames = []
        for i in range(im.n_frames):
            im.seek(i)
            frames.append(np.asarray(im.convert("RGB"), dtype=np.float64))
    return frames


@pytest.mark.parametrize(("epochs", "every"), [(6, 1), (6, 2), (9, 3)])
def test_one_frame_every_few_epochs(tmp_path, epochs, every):
    model, x, y = spirals_model()
    path = tmp_path / "gif" / "spirals.gif"
    cb = nn.callbacks.DecisionBoundaryAnimation(x, y, path, every=every, resolution=24,
                                                dpi=40)
    model.fit(x, y, epochs=epochs, batch_size=30, seed=0, verbose=0, callbacks=[cb])
    frames = gif_frames(path)
    assert len(frames) == cb.frames == epochs // every
    assert frames[0].shape == (160, 192, 3)  # figsize (4.8, 4.0) inches at 40 dpi
    assert all(f.std() > 10 for f in frames)  # drawn, not blank
    assert list(tmp_path.joinpath("gif").iterdir()) == [path]  # no temporary left


def test_early_stop_ends_on_the_last_state(tmp_path):
    class StopAfter(nn.Callback):
        def on_epoch_end(self, epoch, logs=None):
            if epoch == 4:
                self.model.stop_training = True

    model, x, y = spirals_model()
    path = tmp_path / "stopped.gif"
    cb = nn.callbacks.DecisionBoundaryAnimation(x, y, path, every=2, resolution=16, dpi=30)
    model.fit(x, y, epochs=20, batch_size=30, verbose=0, callbacks=[StopAfter(), cb])
    # frames after epochs 2 and 4 (1-based), then epoch 5, where training stopped
    assert len(gif_frames(path)) == 3


def test_a_failing_fit_still_leaves_a_finished_gif(tmp_path):
    class Fail(nn.Callback):
        def on_epoch_end(self, epoch, logs=None):
            if epoch == 2:
                raise KeyboardInterrupt

    model, x, y = spirals_model()
    path = tmp_path / "failed.gif"
    cb = nn.callbacks.DecisionBoundaryAnimation(x, y, path, resolution=16, dpi=30)
    with pytest.raises(KeyboardInterrupt):
        model.fit(x, y, epochs=10, batch_size=30, verbose=0, callbacks=[cb, Fail()])
    assert len(gif_frames(path)) == 3  # epochs 1, 2 and 3
    assert [p.name for p in tmp_path.iterdir()] == ["failed.gif"]

    class FailFirst(nn.Callback):
        def on_batch_end(self, batch, logs=None):
            raise RuntimeError("boom")

    path = tmp_path / "first.gif"
    cb = nn.callbacks.DecisionBoundaryAnimation(x, y, path, resolution=16, dpi=30)
    with pytest.raises(RuntimeError, match="boom"):
        model.fit(x, y, epochs=3, batch_size=30, verbose=0, callbacks=[cb, FailFirst()])
    assert len(gif_frames(path)) == 1  # the model as it was when training failed


def test_bad_arguments_are_named(tmp_path):
    x, y = nn.make_spirals(5, rng=0)
    with pytest.raises(ValueError, match="every must be a positive integer, got 0"):
        nn.callbacks.DecisionBoundaryAnimation(x, y, tmp_path / "a.gif", every=0)
    with pytest.raises(ValueError, match="fps must be a positive integer, got 0"):
        nn.callbacks.DecisionBoundaryAnimation(x, y, tmp_path / "a.gif", fps=0)
    model = nn.Sequential(nn.Dense(3, 2)).use(nn.SoftmaxCrossEntropy(), nn.SGD(0.1))
    cb = nn.callbacks.DecisionBoundaryAnimation(np.zeros((4, 3)), [0, 1, 0, 1],
                                                tmp_path / "a.gif")
    with pytest.raises(ValueError, match=r"DecisionBoundaryAnimation: expected 2-D points"):
        model.fit(np.zeros((4, 3)), np.array([0, 1, 0, 1]), epochs=1, verbose=0,
                  callbacks=[cb])
