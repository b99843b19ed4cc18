"""The index folder → an `Index` for questions: its manifest checked (schema, embedder, every file's hash),
its tables, vectors, BM25 arrays and tokenizer loaded, and a load that straddled a build's swap done again."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import bm25s
import faiss
import jieba
import numpy as np
import pandas as pd

from qa_app.config import Settings
from qa_app.embed import embedder_id
from qa_app.search.retrieve import Dense, Lexical, Named
from qa_app.store.manifest import TABLES, IndexUnavailable, file_sha256, live, read_manifest
from qa_app.store.reads import Resident
from qa_app.text.tokens import make_tokenizer


def load_tables(index_dir: Path) -> dict[str, pd.DataFrame]:
    index_dir = live(index_dir)
    read_manifest(index_dir)
    return _read_tables(index_dir)


def _read_tables(index_dir: Path) -> dict[str, pd.DataFrame]:
    return {name: pd.read_parquet(index_dir / f"{name}.parquet") for name in TABLES}


@dataclass(frozen=True)
class Index:
    """Everything a question needs, loaded once per process."""

    path: Path
    manifest: dict
    documents: pd.DataFrame
    reports: pd.DataFrame
    chunks: pd.DataFrame
    figures: pd.DataFrame
    metrics: pd.DataFrame
    vectors: faiss.Index
    metric_vectors: np.ndarray
    bm25: bm25s.BM25
    tokenizer: jieba.Tokenizer
    texts: dict[str, str]  # doc → stored text, which every citation's offsets index into

    @cached_property
    def reads(self) -> Resident:
        """Sections and figures as questions read them (qa_app.store.reads), made once per index."""
        return Resident.of(self.chunks, self.figures)

    def searchers(self, settings: Settings) -> tuple[Lexical, Named, Dense]:
        """BM25, name and dense search over the loaded arrays (qa_app.store.pg_index has the SQL ones)."""
        lexical = Lexical.of(self.bm25)
        return lexical, Named.of(lexical, self.chunks), Dense.of(self.vectors, settings.exact_max_sections,
                                                                  settings.hnsw_ef_search)  # fmt: skip


def load_index(index_dir: Path, embedder_spec: str, verify: bool = True) -> Index:
    """Open an index for questions; refuses one built with another embedder or whose files changed.

    A build may swap a new index in while this reads: the manifest is read again at the end, and a load
    that straddled a swap is done again, so the tables, vectors and BM25 arrays always belong together.
    """
    for _ in range(3):
        try:
            index = _load(live(index_dir), embedder_spec, verify)
        except OSError as exc:  # a file vanished mid-swap: try again, then say what to run
            error: Exception = exc
            continue
        if read_manifest(index_dir) == index.manifest:
            return index
        error = IndexUnavailable(f"the index in {index_dir} kept changing while it was read")
    raise IndexUnavailable(f"the index in {index_dir} could not be read ({error}): run `qa-app build` again")


def _load(index_dir: Path, embedder_spec: str, verify: bool) -> Index:
    manifest = read_manifest(index_dir)
    if not isinstance(manifest.get("embedder"), dict) or not isinstance(manifest.get("index_files"), dict):
        raise IndexUnavailable(f"the index manifest in {index_dir} is incomplete: run `qa-app build` again")
    built_with = manifest["embedder"].get("id")
    if built_with != embedder_id(embedder_spec):
        raise IndexUnavailable(
            f"the index in {index_dir} was built with embedder {built_with!r}, but {embedder_id(embedder_spec)!r} "
            "is configured (QA_EMBEDDER): run `qa-app build` to rebuild it with the configured embedder"
        )
    if verify:
        for name, digest in manifest["index_files"].items():
            path = index_dir / name
            if not path.is_file() or file_sha256(path) != digest:
                raise IndexUnavailable(f"index file {path} is missing or damaged: run `qa-app build` again")
    tables = _read_tables(index_dir)  # the manifest was read and checked above
    words = (index_dir / "userdict.txt").read_text("utf-8").split()
    return Index(
        path=index_dir,
        manifest=manifest,
        vectors=faiss.read_index(str(index_dir / "vectors.faiss")),
        metric_vectors=np.load(index_dir / "metrics.npy", allow_pickle=False),
        bm25=bm25s.BM25.load(str(index_dir / "bm25")),
        tokenizer=make_tokenizer(words),
        texts=dict(zip(tables["documents"]["doc"], tables["documents"]["text"], strict=True)),
        **tables,
    )
