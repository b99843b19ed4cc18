"""Processed files → the index folder: tables, vectors (taken from the previous index for an unchanged
text), metric-label vectors, BM25 arrays, user dictionary and manifest, written beside the live folder and
swapped in with os.replace, so a crash mid-build leaves the previous index whole (layout: qa_app.store.manifest).
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

import bm25s
import faiss
import numpy as np
import pandas as pd

from qa_app import versions
from qa_app.config import Settings
from qa_app.embed.base import Embedder, embed_cached, text_key
from qa_app.extract.model import figures_frame
from qa_app.faults import reached
from qa_app.pipeline import FileResult
from qa_app.store.manifest import (
    SCHEMA_VERSION,
    Failure,
    IndexUnavailable,
    file_sha256,
    live,
    old_path,
    read_manifest,
)
from qa_app.store.pending import PendingFiles
from qa_app.text.names import region_stem
from qa_app.text.tokens import make_tokenizer, tokenize

# A build reports (stage, done, total) as it goes: the CLI draws tqdm bars, the app st.progress.
Progress = Callable[[str, int, int], None]


def frames(results: list[FileResult]) -> dict[str, pd.DataFrame]:
    """The tables of the index, built from processed files."""
    documents = pd.DataFrame(
        [
            {
                "doc": r.doc.name,
                "format": r.doc.format,
                "encoding": r.doc.encoding,
                "sha256": r.doc.sha256,
                "text": r.doc.text,
            }
            for r in results
        ],
        columns=["doc", "format", "encoding", "sha256", "text"],
    )
    reports = pd.DataFrame(
        [{"report_id": rep.report_id, **asdict(rep)} for r in results for rep in r.reports],
        columns=["report_id", "doc", "index", "title", "org", "region", "year", "type", "start", "end"],
    ).astype({"year": "Int64"})
    chunks = pd.DataFrame(
        [
            {
                "chunk_id": c.chunk_id,
                "doc": c.doc,
                "report_id": c.report_id,
                "kind": c.kind,
                "section": c.section,
                "start": c.start,
                "end": c.end,
                "text": c.text,
                "index_text": c.index_text,
            }
            for r in results
            for c in r.chunks
        ],
        columns=["chunk_id", "doc", "report_id", "kind", "section", "start", "end", "text", "index_text"],
    )
    figures = figures_frame([f for r in results for f in r.figures])
    return {"documents": documents, "reports": reports, "chunks": chunks, "figures": figures}


@dataclass(frozen=True)
class BuildStats:
    embedded: int  # chunk and metric texts embedded by this build
    cached: int  # taken from the previous index (or an interrupted build's pending vectors)
    resumed: int = 0  # of those, embedded by an earlier build that was killed before it finished
    seconds: dict[str, float] = field(default_factory=dict, compare=False)  # "embedding", "indexing"


def user_words(reports: pd.DataFrame, figures: pd.DataFrame) -> list[str]:
    """Names jieba should keep whole: organisations, regions (with and without 市/县/区) and metric labels."""
    words: set[str] = set(reports["org"].dropna())
    for region in reports["region"].dropna():
        for part in str(region).split(" › "):
            words.add(part)
            words.add(region_stem(part))
    for metric in figures["metric"].dropna():
        words.update(p for p in str(metric).split("·") if 2 <= len(p) <= 12)
    return sorted(w for w in words if w)


def _previous_vectors(index_dir: Path, embedder: Embedder) -> dict[str, np.ndarray]:
    """The vectors of the index being replaced, by text key, when it was built with the same embedder."""
    index_dir = live(index_dir)
    try:
        if read_manifest(index_dir)["embedder"]["id"] != embedder.id:
            return {}
        keys = pd.read_parquet(index_dir / "chunks.parquet", columns=["key"])["key"].tolist()
        flat = faiss.read_index(str(index_dir / "vectors.faiss"))
        cache = dict(zip(keys, flat.reconstruct_n(0, flat.ntotal), strict=True))
        metric_keys = pd.read_parquet(index_dir / "metrics.parquet", columns=["key"])["key"].tolist()
        cache.update(zip(metric_keys, np.load(index_dir / "metrics.npy", allow_pickle=False), strict=True))
        return cache
    except (IndexUnavailable, OSError, ValueError, KeyError, TypeError, RuntimeError):
        return {}  # no usable previous index: embed everything


def write_index(
    index_dir: Path,
    tables: dict[str, pd.DataFrame],
    files: dict[str, dict],
    failures: list[Failure],
    settings: dict,
    embedder: Embedder,
    progress: Progress | None = None,
    extra: dict | None = None,
    exact_max_sections: int = Settings.exact_max_sections,
) -> BuildStats:
    """Write the tables of `frames` (documents, reports, chunks, figures) with their vectors, BM25 arrays
    and manifest into a fresh folder beside `index_dir`, then swap it into place.

    `files` is the manifest entry of every file the tables hold (`file_entries`); `extra` adds keys to the
    manifest (what the next build compares to decide what it can reuse).
    """
    index_dir = index_dir.resolve()
    index_dir.parent.mkdir(parents=True, exist_ok=True)
    cache = _previous_vectors(index_dir, embedder)
    pending = PendingFiles(index_dir, embedder.id)
    prefix = f".{index_dir.name}-build-"
    for stale in index_dir.parent.glob(f"{prefix}*"):  # left by a killed build (builds hold a lock: none runs)
        shutil.rmtree(stale, ignore_errors=True)
    tmp = Path(tempfile.mkdtemp(prefix=prefix, dir=index_dir.parent))
    tmp.chmod(0o755)  # mkdtemp makes it private; the index is as readable as the folder it replaces
    try:
        tables = {name: tables[name].reset_index(drop=True) for name in ("documents", "reports", "chunks", "figures")}
        chunks, figures = tables["chunks"], tables["figures"].drop(columns="metric_row", errors="ignore")
        tables["figures"] = figures
        started = time.perf_counter()
        keys = [text_key(t) for t in chunks["index_text"]]
        chunks["key"] = keys
        labels = sorted(set(figures["metric"].dropna()) - {""})
        label_keys = [text_key(t) for t in labels]
        resumed = pending.load(k for k in (*keys, *label_keys) if k not in cache)
        cache.update(resumed)
        vectors, new_chunks = embed_cached(
            embedder, chunks["index_text"].tolist(), cache, keys=keys, progress=stage(progress, "embedding sections"),
            save=pending.save,
        )  # fmt: skip
        metric_vectors, new_metrics = embed_cached(
            embedder, labels, cache, keys=label_keys, progress=stage(progress, "embedding metric labels"),
            save=pending.save,
        )  # fmt: skip
        tables["metrics"] = pd.DataFrame({"metric": labels, "key": label_keys})
        row_of = {label: i for i, label in enumerate(labels)}
        figures["metric_row"] = [row_of.get(m, -1) for m in figures["metric"]]
        embedded = time.perf_counter()

        for name, frame in tables.items():
            frame.to_parquet(tmp / f"{name}.parquet", index=False)
        faiss.write_index(vector_index(vectors, embedder.dim, exact_max_sections), str(tmp / "vectors.faiss"))
        np.save(tmp / "metrics.npy", metric_vectors.reshape(len(labels), embedder.dim), allow_pickle=False)
        words = user_words(tables["reports"], figures)
        (tmp / "userdict.txt").write_text("".join(f"{w}\n" for w in words), "utf-8")
        tokenizer = make_tokenizer(words)
        bm25 = bm25s.BM25()
        bm25.index([tokenize(t, tokenizer) or [""] for t in chunks["index_text"]], show_progress=False)
        if progress:
            progress("indexing", 1, 1)
        bm25.save(str(tmp / "bm25"))

        seconds = {"embedding": embedded - started, "indexing": time.perf_counter() - embedded}
        stats = BuildStats(
            embedded=new_chunks + new_metrics,
            cached=len(chunks) + len(labels) - new_chunks - new_metrics,
            resumed=len(resumed),
            seconds=seconds,
        )
        manifest = {
            "schema_version": SCHEMA_VERSION,
            "built_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
            "settings": settings,
            "embedder": {"id": embedder.id, "dim": embedder.dim},
            "tokenizer": {
                "version": versions.TOKENIZER,
                "jieba": "cut_for_search",
                "bigrams": True,
                "userdict": "userdict.txt",
            },
            "files": files,
            **(extra or {}),
            "failures": [asdict(f) for f in failures],
            "counts": {name: len(frame) for name, frame in tables.items()},
            "build": asdict(stats),
            "index_files": {
                p.relative_to(tmp).as_posix(): file_sha256(p) for p in sorted(tmp.rglob("*")) if p.is_file()
            },
        }
        (tmp / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False, indent=1), "utf-8")
        readme = live(index_dir) / "README.md"
        if readme.exists():
            shutil.copy2(readme, tmp / "README.md")
        for path in tmp.rglob("*"):
            if path.is_file():
                with open(path, "rb") as fh:
                    os.fsync(fh.fileno())
        old = old_path(index_dir)
        if index_dir.exists():  # else a killed build left the previous index in `old`: readers use it till now
            if old.exists():
                shutil.rmtree(old)
            os.replace(index_dir, old)
        reached("index:swap")  # tests kill here: the old index moved aside, the new not yet in
        try:
            os.replace(tmp, index_dir)
        except OSError:
            if old.exists():
                os.replace(old, index_dir)  # put the previous index back
            raise
        _fsync_dir(index_dir.parent)  # the rename itself survives a power cut
        shutil.rmtree(old, ignore_errors=True)
        pending.clear()  # the new index holds them now
        return stats
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


HNSW_M = 32  # links per node: FAISS's advice for recall ≥ 0.95 at 384 dimensions
HNSW_EF_CONSTRUCTION = 80


def vector_index(vectors: np.ndarray, dim: int, exact_max_sections: int) -> faiss.Index:
    """Exact search while it is cheap; beyond `exact_max_sections` a graph (HNSW) whose search cost grows
    with the log of the corpus. Both keep the full vectors, which exact search of a scope reads."""
    if len(vectors) <= exact_max_sections:
        index = faiss.IndexFlatIP(dim)
    else:
        index = faiss.IndexHNSWFlat(dim, HNSW_M, faiss.METRIC_INNER_PRODUCT)
        index.hnsw.efConstruction = HNSW_EF_CONSTRUCTION
    index.add(vectors)
    return index


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def stage(progress: Progress | None, name: str) -> Callable[[int, int], None] | None:
    """`progress` as a (done, total) callback of one named stage (None without progress)."""
    return None if progress is None else lambda done, total: progress(name, done, total)
