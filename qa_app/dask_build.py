"""The postgres build's heavy stages on Dask workers: reading files, embedding passages, BM25 tokens.

A LocalCluster of worker processes (Settings.build_workers, 0: one per core), each running as many tasks at a
time as it has cores (its share), or the scheduler at Settings.scheduler_address. Each task thread reads in
its own reading child (qa_app.sandbox), so one worker on two cores reads two files at a time; a worker
loads the embedder once, on its first batch, and embeds one batch at a time on its share of the cores.
Results are gathered in the order they were asked for, never the order they finish in, and a vector is a
function of its text alone (qa_app.embed.e5torch): so the index is the same, bit for bit, whatever the
number of workers.
"""

from __future__ import annotations

import ctypes
import logging
import os
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import jieba
import numpy as np
from dask.distributed import Client, LocalCluster, WorkerPlugin, as_completed

from qa_app.config import Settings
from qa_app.corrections import Correction
from qa_app.embed import get_embedder
from qa_app.faults import reached
from qa_app.pipeline import FileResult
from qa_app.sandbox import ReadingChild
from qa_app.store.manifest import Failure
from qa_app.text.tokens import make_tokenizer, tokenize

Done = Callable[[int, int], None]  # (done, total) as tasks finish
_TOKENS_PER_TASK = 2_000  # sections tokenized per task: ~2 s of jieba, the user dictionary loaded once a worker


@dataclass(frozen=True)
class ReadJob:
    path: Path
    name: str  # under the corpus folder
    sha256: str
    corrections: dict[str, Correction]


_M_TRIM_THRESHOLD, _M_MMAP_THRESHOLD = -1, -3  # glibc's malloc.h


class Allocator(WorkerPlugin):
    """Gives each worker the allocator of a plain process: Dask's nanny starts workers with
    MALLOC_TRIM_THRESHOLD_=65536, which stops glibc from raising its mmap threshold, so every buffer over
    128 KB of an embedding pass is mapped, zero-filled and unmapped again, pass after pass (10 times the page
    faults; at 5,000 reports one worker embedded 49 texts/s, 70 without it: bench/scale.py). Set on local
    and remote workers alike; the thresholds are the highest glibc's own adjustment reaches; reading
    children no longer inherit it."""

    name = "qa-app-allocator"

    def setup(self, worker: object) -> None:
        os.environ.pop("MALLOC_TRIM_THRESHOLD_", None)
        try:
            libc = ctypes.CDLL("libc.so.6")
        except OSError:  # not glibc: its allocator is not Dask's concern either
            return
        libc.mallopt(_M_MMAP_THRESHOLD, 32 << 20)
        libc.mallopt(_M_TRIM_THRESHOLD, 64 << 20)


@contextmanager
def cluster(settings: Settings) -> Iterator[Client]:
    """A client of the scheduler the settings name, or of a LocalCluster started (and stopped) here; either
    way each worker's allocator set by `Allocator`."""
    if settings.scheduler_address:
        with Client(settings.scheduler_address) as client:
            client.register_plugin(Allocator())
            yield client
        return
    cores = os.cpu_count() or 1
    workers = settings.build_workers or cores
    # Dask gives each worker OMP_ and MKL_NUM_THREADS=1 (torch takes the latter); a worker's passes get its
    # share of the cores instead: one worker on two cores embedded at half the machine's rate. The vectors
    # do not depend on it (qa_app.embed.e5torch). As many task threads: one worker on two cores read one file
    # at a time, the other core idle (758 of the 2,739 s of a 5,000-report build).
    share = max(1, cores // workers)
    threads = {"OMP_NUM_THREADS": str(share), "MKL_NUM_THREADS": str(share)}
    with LocalCluster(n_workers=workers, threads_per_worker=share, processes=True, dashboard_address=None,
                      silence_logs=logging.ERROR, env=threads) as local, Client(local) as client:  # fmt: skip
        client.register_plugin(Allocator())
        yield client


def _gather(futures: list, done: Done | None, each: Callable[[int, object], None] | None = None) -> list:
    """Results in the order of `futures`, each fetched once as its task finishes (with progress, and
    `each(i, result)` for task i then)."""
    if done:
        done(0, len(futures))
    position = {future.key: i for i, future in enumerate(futures)}
    results: list = [None] * len(futures)
    for n, (future, result) in enumerate(as_completed(futures, with_results=True), 1):
        results[position[future.key]] = result
        if each:
            each(position[future.key], result)
        reached("dask:done")  # tests kill the build here, while workers still read or embed
        if done:
            done(n, len(futures))
    return results


def read_files(client: Client, jobs: Sequence[ReadJob], settings: Settings, done: Done | None = None) -> list:
    """Each job's FileResult, or the Failure saying why it cannot be read, in job order."""
    futures = [client.submit(read_one, job, settings, pure=False) for job in jobs]
    return _gather(futures, done)


_thread = threading.local()  # each task thread's reading child


def read_one(job: ReadJob, settings: Settings) -> FileResult | Failure:
    from qa_app.build import read_file  # imported on the worker: qa_app.build starts this module's work

    if not hasattr(_thread, "child"):
        _thread.child = ReadingChild()
    out: list[FileResult] = []
    failures = read_file(job.path, job.name, job.sha256, settings, out, job.corrections, _thread.child)
    return out[0] if out else failures[0]


def embed_texts(
    client: Client,
    spec: str,
    texts: Sequence[str],
    per_task: int,
    done: Done | None = None,
    save: Callable[[list[str], np.ndarray], None] | None = None,
    keys: Sequence[str] = (),
) -> np.ndarray:
    """Passage vectors of `texts` (float32, in order), `per_task` texts to a task; each task's vectors go to
    `save` with the texts' `keys` as soon as it finishes (qa_app.store.pending)."""
    batches = [list(texts[i : i + per_task]) for i in range(0, len(texts), per_task)]
    futures = [client.submit(embed_batch, spec, batch, pure=False) for batch in batches]

    def saved(i: int, vectors: object) -> None:
        save(list(keys[i * per_task : (i + 1) * per_task]), np.asarray(vectors))

    parts = _gather(futures, done, saved if save else None)
    return np.concatenate(parts) if parts else np.zeros((0, 0), np.float32)


@lru_cache(maxsize=1)
def _embedder(spec: str):  # -> Embedder, once per worker process
    return get_embedder(spec)


_embedding = threading.Lock()  # one batch at a time: a batch's passes already take the worker's share of cores


def embed_batch(spec: str, texts: list[str]) -> np.ndarray:
    with _embedding:
        return np.ascontiguousarray(_embedder(spec).encode_passages(texts), dtype=np.float32)


def tokenize_texts(client: Client, texts: Sequence[str], words: list[str]) -> list[list[str]]:
    """BM25 tokens of every text with the user dictionary `words`, sent to each worker once."""
    shared = client.scatter(tuple(words), broadcast=True)
    futures = [
        client.submit(tokenize_batch, list(texts[i : i + _TOKENS_PER_TASK]), shared, pure=False)
        for i in range(0, len(texts), _TOKENS_PER_TASK)
    ]
    return [tokens for part in client.gather(futures) for tokens in part]


_tokenizers: dict[int, tuple[tuple[str, ...], jieba.Tokenizer]] = {}
_making = threading.Lock()  # a worker's task threads make its tokenizer once


def tokenize_batch(texts: list[str], words: tuple[str, ...]) -> list[list[str]]:
    key = hash(words)
    with _making:
        if key not in _tokenizers or _tokenizers[key][0] != words:
            _tokenizers.clear()
            _tokenizers[key] = (words, make_tokenizer(words))
        tokenizer = _tokenizers[key][1]
    return [tokenize(t, tokenizer) for t in texts]
