"""The embedder interface both backends implement, and what works on any embedder: unit rows, text keys
and embedding with a cache (the build re-embeds only texts it has no vector for)."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from typing import Protocol

import numpy as np

from qa_app.faults import reached


class Embedder(Protocol):
    id: str
    dim: int

    def encode_queries(self, texts: Sequence[str]) -> np.ndarray: ...

    def encode_passages(self, texts: Sequence[str]) -> np.ndarray: ...


class EmbedderUnavailable(Exception):
    """The configured model cannot be loaded; the message says which and why."""


def unit_rows(vectors: np.ndarray) -> np.ndarray:
    vectors = np.asarray(vectors, dtype=np.float32)
    if vectors.ndim == 1:
        vectors = vectors[None, :]
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return np.ascontiguousarray(vectors / np.where(norms == 0, 1, norms), dtype=np.float32)


def text_key(text: str) -> str:
    """Cache key of a passage: the same text always has the same vector under one embedder."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]


def embed_cached(
    embedder: Embedder,
    texts: Sequence[str],
    cache: dict[str, np.ndarray],
    batch_size: int = 128,  # ~20k tokens: ten full passes of e5torch, a progress step every few seconds
    keys: Sequence[str] | None = None,
    progress: Callable[[int, int], None] | None = None,
    save: Callable[[list[str], np.ndarray], None] | None = None,
) -> tuple[np.ndarray, int]:
    """Vectors for `texts`, embedding only those whose key is not in `cache` (which gains them).

    `keys` are the texts' `text_key`s when the caller has them already; `progress(done, total)` is called
    after each batch, and `save(keys, vectors)` with each batch (qa_app.store.pending). Batches are of equal
    size (at most `batch_size`): a short last batch would leave the torch passes it fills half empty.
    Returns the (n, dim) matrix and how many texts were embedded now.
    """
    keys = [text_key(t) for t in texts] if keys is None else list(keys)
    todo = sorted({k: t for k, t in zip(keys, texts, strict=True) if k not in cache}.items())
    if progress:
        progress(0, len(todo))
    batch_size = -(-len(todo) // -(-len(todo) // batch_size)) if todo else batch_size
    for i in range(0, len(todo), batch_size):
        batch = todo[i : i + batch_size]
        vectors = embedder.encode_passages([t for _, t in batch])
        cache.update({k: v for (k, _), v in zip(batch, vectors, strict=True)})
        if save:
            save([k for k, _ in batch], vectors)
        reached("embed:batch")  # a test may kill or pause the build here, mid-embedding
        if progress:
            progress(i + len(batch), len(todo))
    matrix = np.stack([cache[k] for k in keys]) if keys else np.zeros((0, embedder.dim), np.float32)
    return np.ascontiguousarray(matrix, dtype=np.float32), len(todo)
