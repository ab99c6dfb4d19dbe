"""Data-parallel training on MPI, with the same math as one process.

A script becomes data-parallel with one line and runs under an MPI launcher::

    import nnscratch as nn
    nn.distributed.init()                 # joins the job; one rank: nothing changes
    model.fit(x, y, epochs=10, batch_size=64, seed=0)
    if nn.distributed.is_main():
        model.save("model.npz")

    $ mpiexec -n 4 python train.py

Every rank holds all of ``x`` and ``y`` (or memory-maps them) and the same model.
``batch_size`` is the global batch: every rank draws the same shuffled order and trains
on its slice of each batch; the gradients are averaged, weighted by each rank's share,
before the optimizer's update, so N ranks reach the weights one process reaches with the
same seed and batch size, to float64 rounding. Dropout draws the global batch's mask;
BatchNorm's statistics are those of the global batch (SyncBatchNorm). Rank 0's seed,
weights and layer state are broadcast when ``fit`` starts. Loss and metrics are the
global batch's on every rank; ``evaluate`` (and validation) splits the samples over the
ranks and gathers the outputs, so every metric is exact (``predict`` is not split: each
rank predicts what it is given). Only rank 0 prints, draws progress bars and writes
files: callbacks with ``main_rank_only = True`` (ModelCheckpoint, CSVLogger) run there
alone; the others (EarlyStopping, schedules) run on every rank and see the same values.
Write your own files under ``if nn.distributed.is_main():``.

The reduction happens in the optimizer's ``step``, so a ``train_step`` of your own is
reduced too; the regularization penalties' gradients are added there, once, after the
reduction, so such a ``train_step`` leaves them out (as ``Sequential.train_step`` does
when data-parallel). Every rank must pass the same ``x``, ``y`` and ``batch_size``;
``fit`` refuses on every rank when they differ in length.

An exception nothing catches on any rank ends the whole job with that rank's message
(``MPI_Abort``), instead of leaving the other ranks waiting forever.

The details of one step are in :mod:`nnscratch.distributed.data_parallel`. mpi4py is
imported by :func:`init` only; ``import nnscratch`` needs NumPy alone.
"""

from __future__ import annotations

from . import _world
from ._world import World, launched_by_mpi

__all__ = ["World", "barrier", "init", "is_initialized", "is_main", "launched_by_mpi", "rank",
           "size", "world"]


def init() -> None:
    """Join the MPI job this process belongs to (Horovod's ``hvd.init()``).

    With more than one rank, ``fit`` and ``evaluate`` become data-parallel and an
    uncaught exception on any rank aborts the whole job. With one rank (a plain
    ``python train.py``) nothing changes. Calling it again does nothing.

    Raises
    ------
    ImportError
        mpi4py or an MPI library is missing; the message says what to install
        (``pip install mpi4py mpich`` on one machine).
    """
    _world.init()


def is_initialized() -> bool:
    """True once :func:`init` has run."""
    return _world._INITIALIZED


def world() -> World | None:
    """The job when there is more than one rank, else None (one process)."""
    return _world.WORLD


def rank() -> int:
    """This process's rank, 0 to ``size() - 1`` (0 in one process)."""
    return 0 if _world.WORLD is None else _world.WORLD.rank


def size() -> int:
    """The number of ranks (1 in one process, or before :func:`init`)."""
    return 1 if _world.WORLD is None else _world.WORLD.size


def is_main() -> bool:
    """True on rank 0, the rank that prints and writes files (and in one process)."""
    return rank() == 0


def barrier() -> None:
    """Wait until every rank has called this (nothing in one process): e.g. after rank 0
    writes a file the others then read. ``fit`` ends with one."""
    if _world.WORLD is not None:
        _world.WORLD.comm.Barrier()
