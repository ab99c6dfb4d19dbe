"""Built-in callbacks: hand-worked sequences of monitored values for EarlyStopping and
ReduceLROnPlateau (Keras' meanings), checkpoint files, schedules driven from fit,
TerminateOnNaN and the CSV log."""

from __future__ import annotations

import csv
import math

import numpy as np
import pytest

import nnscratch as nn
from conftest import blobs
from nnscratch import io, schedules
from nnscratch.callbacks import (
    Callback,
    CSVLogger,
    EarlyStopping,
    LearningRateScheduler,
    ModelCheckpoint,
    ReduceLROnPlateau,
    TerminateOnNaN,
)


def classifier(opt=None) -> nn.Sequential:
    return nn.Sequential(nn.Dense(4, 8, rng=0), nn.Tanh(), nn.Dense(8, 3, rng=1)).use(
        nn.SoftmaxCrossEntropy(), opt or nn.SGD(0.1))


class FakeModel:
    """Just what the monitoring callbacks touch, to feed them chosen values."""

    def __init__(self, lr: float = 1.0) -> None:
        self.stop_training = False
        self.optimizer = nn.SGD(lr)


def drive(cb: Callback, values: list[float], key: str = "val_loss", lr: float = 1.0):
    """Feed ``values`` as successive epochs; returns (epochs run, learning rate after each)."""
    model = FakeModel(lr)
    cb.set_model(model)  # type: ignore[arg-type]
    cb.on_train_begin({})
    lrs = []
    for epoch, value in enumerate(values):
        cb.on_epoch_begin(epoch, {})
        cb.on_epoch_end(epoch, {key: value, "lr": model.optimizer.learning_rate})
        lrs.append(model.optimizer.learning_rate)
        if model.stop_training:
            return epoch + 1, lrs
    return len(values), lrs


# -- EarlyStopping ---------------------------------------------------------------------------
@pytest.mark.parametrize("patience,expected_epochs", [(0, 3), (1, 3), (2, 4), (3, 5), (4, 8)])
def test_early_stopping_patience_counts_bad_epochs_in_a_row(patience, expected_epochs):
    # improvements at epochs 0, 1, 5 and 7 (0-based); epochs 2-4 and 6 are bad.
    # patience 0 or 1 stops at the first bad epoch (2), 2 at the second (3), 3 at the
    # third (4); with 4, three bad epochs in a row are tolerated and all 8 epochs run
    values = [1.0, 0.9, 0.95, 0.91, 0.99, 0.8, 0.85, 0.7]
    stop = EarlyStopping(patience=patience)
    epochs, _ = drive(stop, values)
    assert epochs == expected_epochs
    assert stop.best == min(values[:epochs])
    if epochs < len(values):
        assert stop.stopped_epoch == epochs - 1


def test_early_stopping_min_delta_mode_and_baseline():
    # improvements smaller than min_delta do not count
    stop = EarlyStopping(patience=2, min_delta=0.1)
    epochs, _ = drive(stop, [1.0, 0.95, 0.91, 0.5])
    assert epochs == 3 and stop.best == 1.0
    # accuracy-like names are maximised under mode="auto"
    stop = EarlyStopping(monitor="val_accuracy", patience=1)
    assert stop.mode == "max"
    assert drive(stop, [0.5, 0.6, 0.55, 0.9], "val_accuracy")[0] == 3
    assert EarlyStopping(monitor="val_top_k_accuracy").mode == "max"
    assert EarlyStopping(monitor="loss").mode == "min"
    # a baseline never beaten stops after `patience` epochs although values improve
    stop = EarlyStopping(patience=3, baseline=0.5)
    assert drive(stop, [0.9, 0.8, 0.7, 0.6, 0.4])[0] == 3
    # NaN is never an improvement
    stop = EarlyStopping(patience=1)
    assert drive(stop, [1.0, math.nan, 0.5])[0] == 2


def test_early_stopping_warns_when_monitor_is_missing():
    x, y = blobs(noise=0.8)
    with pytest.warns(UserWarning, match=r"'val_loss' is not in the epoch's logs.*validation"):
        classifier().fit(x, y, epochs=3, verbose=0, callbacks=[EarlyStopping()])
    with pytest.raises(ValueError, match="mode must be"):
        EarlyStopping(mode="up")
    with pytest.raises(ValueError, match="patience must be an integer >= 0, got -1"):
        EarlyStopping(patience=-1)


def test_early_stopping_in_fit_restores_best_weights():
    # "loss" maximised: the best epoch is the first (the loss falls), so training stops
    # after `patience` more epochs and the weights return to those after epoch 1
    x, y = blobs(noise=0.8)
    snapshots = []

    class Snapshot(Callback):
        def on_epoch_end(self, epoch, logs=None):
            snapshots.append([p.data.copy() for p in self.model.parameters()])

    stop = EarlyStopping(monitor="loss", mode="max", patience=2, restore_best_weights=True)
    model = classifier().fit(x, y, epochs=20, batch_size=16, seed=0, verbose=0,
                             callbacks=[Snapshot(), stop])
    assert len(model.history.epoch) == 3 and stop.stopped_epoch == 2 and stop.best_epoch == 0
    for p, saved in zip(model.parameters(), snapshots[0]):
        np.testing.assert_array_equal(p.data, saved)
    # without restoring, the last epoch's weights stay
    model = classifier().fit(x, y, epochs=20, batch_size=16, seed=0, verbose=0,
                             callbacks=[EarlyStopping(monitor="loss", mode="max", patience=2)])
    for p, saved in zip(model.parameters(), snapshots[-1]):
        np.testing.assert_array_equal(p.data, saved)


def test_restore_best_weights_also_when_all_epochs_ran():
    x, y = blobs(noise=0.8)
    stop = EarlyStopping(monitor="val_loss", patience=50, restore_best_weights=True)
    model = classifier(nn.SGD(2.0)).fit(x, y, epochs=12, batch_size=8, seed=0, verbose=0,
                                        validation_data=(x, y), callbacks=[stop])
    assert stop.stopped_epoch == 0 and len(model.history.epoch) == 12
    assert model.evaluate(x, y)["loss"] == pytest.approx(min(model.history["val_loss"]),
                                                        rel=1e-6)


# -- ReduceLROnPlateau -----------------------------------------------------------------------
def test_reduce_lr_on_plateau_keras_patience_and_cooldown():
    flat = [1.0] * 8
    # patience=2: the rate halves at the end of every second bad epoch in a row
    _, lrs = drive(ReduceLROnPlateau(factor=0.5, patience=2), flat)
    assert lrs == [1, 1, 0.5, 0.5, 0.25, 0.25, 0.125, 0.125]
    # patience 0 and 1 both react to the first bad epoch
    for patience in (0, 1):
        _, lrs = drive(ReduceLROnPlateau(factor=0.5, patience=patience), flat[:4])
        assert lrs == [1, 0.5, 0.25, 0.125]
    # cooldown=1: after a reduction one epoch is not counted
    _, lrs = drive(ReduceLROnPlateau(factor=0.5, patience=2, cooldown=1), flat)
    assert lrs == [1, 1, 0.5, 0.5, 0.5, 0.25, 0.25, 0.25]
    # min_delta is absolute; min_lr bounds the rate
    _, lrs = drive(ReduceLROnPlateau(factor=0.1, patience=1, min_delta=0.05, min_lr=0.02),
                   [1.0, 0.97, 0.9, 0.89, 0.88])
    assert lrs == pytest.approx([1, 0.1, 0.1, 0.02, 0.02])
    # accuracy is maximised under mode="auto"
    _, lrs = drive(ReduceLROnPlateau("val_accuracy", factor=0.5, patience=1),
                   [0.5, 0.6, 0.7, 0.6], "val_accuracy")
    assert lrs == [1, 1, 1, 0.5]


def test_reduce_lr_on_plateau_in_fit_reuses_schedule_logic():
    x, y = blobs(noise=0.8)
    cb = ReduceLROnPlateau(monitor="loss", factor=0.5, patience=1, mode="max")
    assert isinstance(cb.schedule, schedules.ReduceLROnPlateau)
    model = classifier().fit(x, y, epochs=4, verbose=0, callbacks=[cb])
    # the loss keeps falling, so "max" sees no improvement after epoch 0: from then on the
    # rate halves at every epoch end, for the next epoch
    assert model.history["lr"] == [0.1, 0.1, 0.05, 0.025]
    assert model.optimizer.learning_rate == 0.0125


# -- LearningRateScheduler and fit(lr_schedule=...) ------------------------------------------
def test_learning_rate_scheduler_functions_and_schedules():
    x, y = blobs(noise=0.8)
    model = classifier().fit(x, y, epochs=4, verbose=0, callbacks=[
        LearningRateScheduler(lambda epoch, lr: lr * 0.5 if epoch >= 2 else lr)])
    assert model.history["lr"] == [0.1, 0.1, 0.05, 0.025]
    model = classifier().fit(x, y, epochs=3, verbose=0, callbacks=[
        LearningRateScheduler(lambda epoch: 0.1 / (epoch + 1))])
    assert model.history["lr"] == [0.1, 0.05, 0.1 / 3]
    sched = schedules.StepDecay(step_size=2, gamma=0.5)
    model = classifier().fit(x, y, epochs=5, verbose=0, lr_schedule=sched)
    assert model.history["lr"] == [0.1, 0.1, 0.05, 0.05, 0.025]
    # the epoch index continues across fit calls, and so does the schedule
    model.fit(x, y, epochs=2, verbose=0, lr_schedule=sched)
    assert model.history["lr"][-2:] == [0.025, 0.0125]
    model = classifier().fit(x, y, epochs=2, verbose=0,
                             lr_schedule=schedules.ExponentialDecay(0.5, learning_rate=1.0))
    assert model.history["lr"] == [1.0, 0.5]
    with pytest.raises(TypeError, match="must be a Schedule or a function"):
        LearningRateScheduler(3)  # type: ignore[arg-type]


def test_step_unit_schedule_changes_rate_before_every_step():
    x, y = blobs(noise=0.8)
    seen = []

    class Spy(Callback):
        def on_batch_end(self, batch, logs=None):
            seen.append((logs["iteration"], self.model.optimizer.learning_rate))

    sched = schedules.InverseTimeDecay(1.0, unit="step")
    classifier().fit(x, y, epochs=2, batch_size=30, verbose=0, lr_schedule=sched,
                     callbacks=[Spy()])
    assert seen == [(t, 0.1 / (1 + t)) for t in range(6)]


def test_plateau_schedule_in_fit_gets_val_loss_or_loss():
    x, y = blobs(noise=0.8)
    fed = []

    class Recording(schedules.ReduceLROnPlateau):
        def step(self, metric=None):
            fed.append(metric)
            return super().step(metric)

    model = classifier().fit(x, y, epochs=2, verbose=0, validation_split=0.2,
                             lr_schedule=Recording(patience=0))
    assert fed == model.history["val_loss"]
    fed.clear()
    model = classifier().fit(x, y, epochs=2, verbose=0, lr_schedule=Recording(patience=0))
    assert fed == model.history["loss"]


# -- ModelCheckpoint -------------------------------------------------------------------------
def test_model_checkpoint_every_epoch_and_best_only(tmp_path):
    x, y = blobs(noise=0.8)
    every = ModelCheckpoint(tmp_path / "e{epoch:02d}-{loss:.3f}.npz", monitor="loss")
    best = ModelCheckpoint(tmp_path / "best.npz", monitor="val_accuracy",
                           save_best_only=True)
    saves = []

    class CountSaves(Callback):
        def on_epoch_end(self, epoch, logs=None):
            saves.append(best.best)

    model = classifier().fit(x, y, epochs=4, batch_size=16, seed=0, verbose=0,
                             validation_data=(x[:30], y[:30]),
                             callbacks=[every, best, CountSaves()])
    files = sorted(p.name for p in tmp_path.iterdir())
    losses = model.history["loss"]
    expected = [f"e{i + 1:02d}-{loss:.3f}.npz" for i, loss in enumerate(losses)]
    assert files == sorted([*expected, "best.npz"])  # no temporary files left behind
    # CountSaves ran before the checkpoints (they run last): it saw the previous best
    assert best.best == max(model.history["val_accuracy"])
    last = nn.load(tmp_path / expected[-1])
    for p, q in zip(model.parameters(), last.parameters()):
        np.testing.assert_array_equal(p.data, q.data)
    assert last.metadata == {"epoch": 4}
    best_epoch = int(np.argmax(model.history["val_accuracy"]))
    assert nn.load(tmp_path / "best.npz").metadata == {"epoch": best_epoch + 1}
    with pytest.raises(ValueError, match=r"uses \{val_acc\}"):
        classifier().fit(x, y, verbose=0,
                         callbacks=[ModelCheckpoint(tmp_path / "{val_acc}.npz")])


def test_model_checkpoint_training_state(tmp_path):
    x, y = blobs(noise=0.8)
    model = classifier(nn.Adam(0.01)).fit(
        x, y, epochs=2, batch_size=32, seed=0, verbose=0,
        callbacks=[ModelCheckpoint(tmp_path / "c.npz", save_training_state=True)])
    _header, _arrays, training = io.read_checkpoint(tmp_path / "c.npz")
    assert training["epoch"] == 2 and training["iteration"] == 6
    assert training["optimizer"]["class"] == "nnscratch.Adam"
    np.testing.assert_array_equal(training["optimizer"]["state"]["state"][0]["exp_avg"],
                                  model.optimizer.state[0]["exp_avg"])
    assert training["history"]["history"]["loss"] == model.history["loss"]
    with pytest.raises(ValueError, match="without training state"):
        model.save(tmp_path / "m.npz")
        io.read_checkpoint(tmp_path / "m.npz")


# -- TerminateOnNaN and CSVLogger ------------------------------------------------------------
def test_terminate_on_nan_stops_instead_of_raising(capsys):
    x, _ = blobs(noise=0.8)
    target = x.sum(axis=1, keepdims=True)
    model = nn.Sequential(nn.Dense(4, 1, rng=0)).use(nn.MSE())
    stop = TerminateOnNaN()
    with np.errstate(all="ignore"):
        model.fit(x, target, epochs=500, batch_size=16, learning_rate=10.0, verbose=0,
                  callbacks=[stop])
    assert stop.terminated_at is not None
    epoch, _batch = stop.terminated_at
    assert model.history.epoch[-1] == epoch < 499
    assert "invalid loss" in capsys.readouterr().out


def test_csv_logger_rows_and_append(tmp_path):
    x, y = blobs(noise=0.8)
    path = tmp_path / "log.csv"
    model = classifier()
    model.fit(x, y, epochs=2, verbose=0, validation_split=0.2, callbacks=[CSVLogger(path)])
    model.fit(x, y, epochs=1, verbose=0, validation_split=0.2,
              callbacks=[CSVLogger(path, append=True)])
    with open(path, newline="") as f:
        rows = list(csv.DictReader(f))
    assert [r["epoch"] for r in rows] == ["0", "1", "2"]
    assert list(rows[0]) == ["epoch", "accuracy", "loss", "lr", "seconds", "val_accuracy",
                             "val_loss"]
    assert [float(r["loss"]) for r in rows] == model.history["loss"]  # full precision
    CSVLogger(path).on_train_begin()  # append=False starts afresh
    assert path.read_text() == ""


def test_callbacks_run_last_are_called_after_the_others():
    order = []

    class Late(Callback):
        runs_last = True

        def on_epoch_end(self, epoch, logs=None):
            order.append("late")

    class Early(Callback):
        def on_epoch_end(self, epoch, logs=None):
            order.append("early")

    x, y = blobs(noise=0.8)
    classifier().fit(x, y, epochs=1, verbose=0, callbacks=[Late(), Early()])
    assert order == ["early", "late"]


def test_restoring_best_weights_keeps_dropout_generator_running():
    x, y = blobs(noise=0.8)
    drop = nn.Dropout(0.2, rng=0)
    model = nn.Sequential(nn.Dense(4, 8, rng=0), nn.BatchNorm1D(8), nn.ReLU(), drop,
                          nn.Dense(8, 3, rng=1)).use(nn.SoftmaxCrossEntropy(), nn.SGD(0.1))
    snapshots = []

    class Snapshot(Callback):
        def on_epoch_end(self, epoch, logs=None):
            snapshots.append({k: v.copy() for k, v in io.model_arrays(self.model).items()})

    model.fit(x, y, epochs=6, batch_size=16, seed=0, verbose=0, callbacks=[
        Snapshot(), EarlyStopping(monitor="loss", mode="max", patience=2,
                                  restore_best_weights=True)])
    restored = io.model_arrays(model)
    for key, value in snapshots[0].items():
        if key.endswith("rng_state"):  # the generator is where training left it
            assert str(restored[key]) == str(snapshots[-1][key]) != str(value)
        else:  # weights and BatchNorm running statistics of the best epoch
            np.testing.assert_array_equal(restored[key], value, err_msg=key)


def test_reduce_lr_on_plateau_starts_from_the_optimizers_current_rate():
    cb = ReduceLROnPlateau(factor=0.5, patience=1)
    model = FakeModel(1.0)
    cb.set_model(model)  # type: ignore[arg-type]
    cb.on_train_begin({})
    cb.on_epoch_end(0, {"val_loss": 1.0})
    model.optimizer.learning_rate = 0.3  # e.g. fit(learning_rate=0.3) on a later call
    cb.on_epoch_end(1, {"val_loss": 1.0})
    assert model.optimizer.learning_rate == pytest.approx(0.15)
