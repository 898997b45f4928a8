"""Where scenes run: a dask.distributed LocalCluster of processes, or a given scheduler."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator

from distributed import Client, LocalCluster

from cerulean_coco.errors import ClusterError

logger = logging.getLogger(__name__)

# Each worker process runs one scene at a time on one thread; letting numba, BLAS or
# OpenMP start a thread per core in every worker would oversubscribe the machine.
WORKER_ENV = {
    "OMP_NUM_THREADS": "1",
    "MKL_NUM_THREADS": "1",
    "OPENBLAS_NUM_THREADS": "1",
    "NUMBA_NUM_THREADS": "1",
}


@contextlib.contextmanager
def open_client(workers: int = 2, scheduler: str | None = None) -> Iterator[Client]:
    """Yield a dask client, closing whatever this call started.

    Args:
        workers: worker processes of the LocalCluster started when ``scheduler`` is None.
        scheduler: address of a running scheduler (``tcp://host:port``); its workers must
            see the scene folders and the dataset folder at the same absolute paths.
    """
    if scheduler is not None:
        logger.info("connecting to scheduler %s", scheduler)
        with Client(scheduler) as client:  # type: ignore[no-untyped-call]
            yield client
        return
    if workers < 1:
        raise ClusterError(f"workers must be at least 1, got {workers}")
    logger.info("starting a LocalCluster of %d worker process(es)", workers)
    # dask logs through its own stderr handler, past the CLI's filter: its warnings (a
    # slow worker shutting down) show only when our own info is wanted too (-v).
    quiet = logging.WARNING if logger.isEnabledFor(logging.INFO) else logging.ERROR
    with (
        LocalCluster(  # type: ignore[no-untyped-call]
            n_workers=workers,
            threads_per_worker=1,
            processes=True,
            dashboard_address=None,
            env=WORKER_ENV,
            silence_logs=quiet,
        ) as cluster,
        Client(cluster) as client,  # type: ignore[no-untyped-call]
    ):
        yield client


__all__ = ["WORKER_ENV", "open_client"]
