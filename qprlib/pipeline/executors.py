"""Where report runs execute: a `concurrent.futures` executor, by name.

`pool` (the default) is a process pool on this machine; `dask` submits the same runs to a
Dask distributed cluster: the scheduler at `--scheduler ADDRESS` (or QPR_DASK_SCHEDULER),
else a `LocalCluster` started for the build with the same number of workers. Either way a
run is `execute.execute_run(run)` in a worker, which reads and writes through the paths the
run names (a shared disk, docs/cluster.md); stamps, the render and publishing stay here, on
the client. Each Dask worker must run one report at a time (`--nthreads 1`): a run captures
its process's stdout and stderr.
"""

from __future__ import annotations

import contextlib
import logging
import os
from collections.abc import Iterator

from qprlib.errors import QprError

EXECUTORS = ("pool", "dask")
DEFAULT_EXECUTOR = "pool"
SCHEDULER_ENV = "QPR_DASK_SCHEDULER"
CONNECT_TIMEOUT = 10  # seconds to wait for a scheduler before exit 2


def scheduler_address(given: str | None) -> str | None:
    """--scheduler, else QPR_DASK_SCHEDULER, else None (start a LocalCluster)."""
    return (given or os.environ.get(SCHEDULER_ENV, "") or "").strip() or None


@contextlib.contextmanager
def dask_executor(workers: int, address: str | None) -> Iterator[object]:
    """A concurrent.futures executor on a Dask cluster (the scheduler at `address`, or a
    LocalCluster of `workers` one-thread worker processes); exit 2 naming the address when
    no scheduler answers."""
    try:
        from distributed import Client, LocalCluster
    except ImportError:
        raise QprError(
            "--executor dask needs the dask extra: `python -m pip install -e .[dask]` "
            "(dask and distributed)"
        ) from None
    for name in ("distributed", "distributed.scheduler", "distributed.nanny"):
        logging.getLogger(name).setLevel(logging.ERROR)  # its chatter is not the build's
    with contextlib.ExitStack() as stack:
        if address is None:
            cluster = stack.enter_context(
                LocalCluster(
                    n_workers=workers,
                    threads_per_worker=1,  # a run redirects its process's output
                    processes=True,
                    dashboard_address=None,
                    silence_logs=logging.ERROR,
                )
            )
            client = stack.enter_context(Client(cluster))
        else:
            client = stack.enter_context(_connect(Client, address))
        executor = client.get_executor(pure=False)  # every run runs, even with equal inputs
        yield executor


def _connect(client_class, address: str):
    try:
        return client_class(address, timeout=CONNECT_TIMEOUT)
    except (OSError, TimeoutError, ValueError) as error:
        raise QprError(
            f"Dask scheduler {address} (--scheduler or {SCHEDULER_ENV}): no answer within "
            f"{CONNECT_TIMEOUT} s ({type(error).__name__}: {error}); expected a running "
            "scheduler's address such as tcp://host:8786, or leave it out to start a "
            "LocalCluster on this machine"
        ) from None
