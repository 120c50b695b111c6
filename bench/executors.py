"""Where a run's chunks execute: in this process, a spawn process pool, or Dask.

Every executor takes the same :class:`WorkerSettings` and list of chunks and yields
each chunk's :data:`~bench.chunk.ChunkResult` as it finishes (in any order); the
caller stores the rows. Each worker builds its :class:`~bench.worker.WorkerState` once.

- :func:`run_local`: in this process, one chunk after the other.
- :func:`run_pool`: a ``spawn`` process pool whose workers (and their tesseract
  processes) die with this process, even by ``kill -9``
  (:func:`deblur.lifetime.process_pool`: ``PR_SET_PDEATHSIG`` and a watchdog thread).
- :func:`run_dask`: tasks on a Dask distributed cluster; rows still come back here,
  so resume works the same way.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Sequence
from concurrent.futures import as_completed
from pathlib import Path

from bench.chunk import ChunkResult, run_chunk
from bench.config import BenchConfig
from bench.worker import WorkerSettings, current_worker, init_worker, worker_for
from deblur.lifetime import process_pool

__all__ = [
    "chunked",
    "execute",
    "run_dask",
    "run_local",
    "run_pool",
]


def chunked(indices: Sequence[int], size: int) -> list[list[int]]:
    """Split `indices` into consecutive chunks of at most `size`.

    Raises
    ------
    ValueError
        If `size` is not positive.
    """
    if size < 1:
        raise ValueError(f"size must be >= 1, got {size}")
    return [list(indices[i : i + size]) for i in range(0, len(indices), size)]


def run_local(
    settings: WorkerSettings, chunks: list[list[int]]
) -> Iterator[ChunkResult]:
    """Run `chunks` in this process, in order."""
    state = init_worker(settings)
    for chunk in chunks:
        yield run_chunk(state, chunk)


def _pool_chunk(indices: Sequence[int]) -> ChunkResult:
    """Run one chunk in a pool process, with the state its initializer built."""
    state = current_worker()
    if state is None:
        raise ValueError("a pool chunk needs init_worker to run first in its process")
    return run_chunk(state, indices)


def run_pool(
    settings: WorkerSettings, chunks: list[list[int]], workers: int
) -> Iterator[ChunkResult]:
    """Run `chunks` on `workers` spawned processes that die with this process."""
    with process_pool(workers, initializer=init_worker, initargs=(settings,)) as pool:
        futures = [pool.submit(_pool_chunk, chunk) for chunk in chunks]
        try:
            for future in as_completed(futures):
                yield future.result()
        finally:
            for future in futures:
                future.cancel()


_DASK_LOCK = threading.Lock()


def _dask_chunk(settings: WorkerSettings, indices: Sequence[int]) -> ChunkResult:
    """Run one chunk on a Dask worker; engines and models are built once per worker.

    The worker keeps its state between tasks (:func:`bench.worker.worker_for`); the
    lock serialises tasks of a multi-threaded worker, since OCR engines and models
    are not shared between threads.
    """
    with _DASK_LOCK:
        return run_chunk(worker_for(settings), indices)


def run_dask(
    settings: WorkerSettings, chunks: list[list[int]], address: str
) -> Iterator[ChunkResult]:
    """Run `chunks` as tasks on the Dask scheduler at `address`.

    Raises
    ------
    ValueError
        If Dask distributed is not installed or the scheduler cannot be reached.
    """
    try:
        from distributed import Client
        from distributed import as_completed as dask_completed
    except ImportError as err:  # pragma: no cover - the dask extra is not installed
        raise ValueError(
            "--scheduler needs Dask distributed: pip install 'plate-deblur[dask]'"
        ) from err
    try:
        client = Client(address, set_as_default=False)  # distributed.comm.timeouts
    except (OSError, TimeoutError) as err:
        raise ValueError(f"cannot reach Dask scheduler {address}: {err}") from err
    with client:
        futures = [client.submit(_dask_chunk, settings, chunk, pure=False)
                   for chunk in chunks]  # fmt: skip
        try:
            for future in dask_completed(futures, loop=client.loop):
                yield future.result()
        finally:
            client.cancel(futures)


def execute(
    cfg: BenchConfig, pending: list[int], examples_dir: Path
) -> Iterator[ChunkResult]:
    """Run samples `pending` of `cfg` on the executor it asks for.

    ``cfg.scheduler`` set: Dask; one worker or one chunk: in this process; otherwise
    a pool of ``cfg.workers`` processes.
    """
    chunks = chunked(pending, cfg.chunk)
    alone = cfg.scheduler is None and (cfg.workers == 1 or len(chunks) == 1)
    # One model thread per process when processes share the cores (measured: two
    # processes on 2 cores, 17.5 ms per plate each with 1 thread, 32 ms with 2).
    settings = WorkerSettings(suite=cfg.effective_suite, examples_dir=examples_dir,
                              examples=cfg.examples, model_threads=0 if alone else 1)  # fmt: skip
    if cfg.scheduler is not None:
        return run_dask(settings, chunks, cfg.scheduler)
    if alone:
        return run_local(settings, chunks)
    return run_pool(settings, chunks, cfg.workers)
