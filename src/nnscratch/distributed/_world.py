"""The communicator: which rank this process is, of how many, and how a job fails as one.

mpi4py is imported here, by :func:`init`, and nowhere else at import time: ``import
nnscratch`` needs NumPy only.
"""

from __future__ import annotations

import os
import sys
import time
import traceback
from types import TracebackType
from typing import Any

import numpy as np

#: Environment variables that MPI launchers set in the processes they start: MPICH's and
#: Intel MPI's hydra (``PMI_SIZE``), Open MPI (``OMPI_COMM_WORLD_SIZE``), PMIx launchers
#: (``PMIX_RANK``) and MVAPICH (``MV2_COMM_WORLD_SIZE``). Slurm's ``srun --mpi=pmi2``
#: sets ``PMI_SIZE`` too.
LAUNCHER_VARIABLES = ("PMI_SIZE", "OMPI_COMM_WORLD_SIZE", "PMIX_RANK", "MV2_COMM_WORLD_SIZE")

_INSTALL = ("nnscratch.distributed needs mpi4py and an MPI library: `pip install mpi4py "
            "mpich` on one machine, or `pip install nnscratch[mpi]` (mpi4py alone) where the "
            "cluster provides its own MPI (`module load openmpi`, ...)")


class World:
    """The ranks of one data-parallel job.

    Attributes
    ----------
    comm : mpi4py.MPI.Comm
        ``MPI.COMM_WORLD``.
    rank, size : int
        This process's rank and the number of processes.
    """

    def __init__(self, comm: Any) -> None:
        from mpi4py import MPI

        self.comm = comm
        self.rank: int = comm.Get_rank()
        self.size: int = comm.Get_size()
        self._sum, self._in_place = MPI.SUM, MPI.IN_PLACE

    def allreduce(self, buf: np.ndarray) -> np.ndarray:
        """Σ over the ranks of ``buf`` (a contiguous array), in place; returns ``buf``."""
        self.comm.Allreduce(self._in_place, buf, op=self._sum)
        return buf

    def abort(self, status: int = 1) -> None:
        """End every rank of the job now (``MPI_Abort``) with exit ``status``."""
        sys.stdout.flush()
        sys.stderr.flush()
        self.comm.Abort(status)


#: The job, once :func:`init` found more than one rank; None otherwise, and then
#: everything runs as in one process.
WORLD: World | None = None
_INITIALIZED = False


def init() -> None:
    """Join the MPI job this process was started in; see :mod:`nnscratch.distributed`."""
    global WORLD, _INITIALIZED
    if _INITIALIZED:
        return
    try:
        from mpi4py import MPI
    except ImportError as err:  # no mpi4py, or mpi4py without an MPI library to load
        raise ImportError(f"{_INSTALL} ({err})") from None
    except RuntimeError as err:  # mpi4py found no MPI library at import
        raise ImportError(f"{_INSTALL} ({err})") from None
    _INITIALIZED = True
    comm = MPI.COMM_WORLD
    if comm.Get_size() > 1:
        WORLD = World(comm)
        sys.excepthook = _abort_on_uncaught


def launched_by_mpi() -> bool:
    """True when an MPI launcher started this process as one of several ranks."""
    for name in LAUNCHER_VARIABLES:
        if name in os.environ:
            return name == "PMIX_RANK" or os.environ[name] not in ("", "1")
    return False


def _abort_on_uncaught(kind: type[BaseException], value: BaseException,
                       tb: TracebackType | None) -> None:
    """An exception nothing caught, on any rank: print it, naming the rank, and end the
    whole job, rather than leave the other ranks waiting in a collective forever (what
    ``python -m mpi4py`` does)."""
    world = WORLD
    if world is None:
        sys.__excepthook__(kind, value, tb)
        return
    if issubclass(kind, KeyboardInterrupt):  # every rank got the Ctrl-C
        report_and_abort(world, "interrupted", 130)
        return
    text = "".join(traceback.format_exception(kind, value, tb))
    report_and_abort(world, f"rank {world.rank} of {world.size}: {text.rstrip()}", 1)


#: How long a rank other than 0 waits before reporting an error and ending the job: an
#: error that every rank meets (a missing file, a Ctrl-C) is then told once, by rank 0,
#: whose MPI_Abort ends the others first; one that only this rank meets still is.
GRACE_SECONDS = 1.0
#: How long a rank waits between printing its message and MPI_Abort: the launcher carries
#: a rank's output to the terminal asynchronously, and an abort tears the job down at
#: once, which can drop the line just written (it must stay below GRACE_SECONDS).
FORWARD_SECONDS = 0.5


def report_and_abort(world: World, message: str, status: int) -> None:
    """Print ``message`` on stderr, once for the job where every rank has it, then end
    every rank with exit ``status``."""
    if world.rank != 0:
        time.sleep(GRACE_SECONDS)
    print(message, file=sys.stderr, flush=True)
    time.sleep(FORWARD_SECONDS)
    world.abort(status)
