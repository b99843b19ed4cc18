"""The index folder: what `qa-app build` writes and every question reads.

Files (all plain, no pickles):
    manifest.json     schema version, build time, settings, embedder id and dimension, tokenizer settings,
                      per-corpus-file hash/encoding/counts, failures, and the sha256 of every file below
    documents.parquet doc, format, encoding, sha256, text (the stored text citations index into), copies
                      (other files with the same bytes, "; "-joined: indexed once under `doc`)
    reports.parquet   report_id, doc, index, title, org, region, year, type, start, end
    chunks.parquet    chunk_id, doc, report_id, kind, section, start, end, text, index_text, key
                      (row i is vector i of vectors.faiss and document i of bm25/)
    figures.parquet   see qa_app.extract.figures for the columns, plus metric_row (row of metrics.npy, -1: none)
    vectors.faiss     FAISS inner-product index over the chunks' unit vectors: flat (exact) up to
                      Settings.exact_max_sections chunks, HNSW (approximate, sub-linear) above
    metrics.npy       unit vectors of the distinct metric labels, float32 (labels in metrics.parquet)
    metrics.parquet   metric, key
    bm25/             bm25s arrays over tokens.tokenize(index_text)
    userdict.txt      the words added to jieba: organisations, regions and metric labels of this corpus
The folder is written beside the old one and swapped in with os.replace, so a crash mid-build leaves
the previous index whole. Vectors of an unchanged chunk text are taken from the previous index.
"""

from __future__ import annotations

import hashlib
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
import jieba
import numpy as np
import pandas as pd

from qa_app import versions
from qa_app.config import Settings
from qa_app.embed import Embedder, embed_cached, embedder_id, text_key
from qa_app.extract.figures import figures_frame
from qa_app.faults import reached
from qa_app.pipeline import FileResult
from qa_app.structure.reports import region_stem
from qa_app.text.tokens import make_tokenizer, tokenize

SCHEMA_VERSION = 2
TABLES = ("documents", "reports", "chunks", "figures", "metrics")
# A build reports (stage, done, total) as it goes: the CLI draws tqdm bars, the app st.progress.
Progress = Callable[[str, int, int], None]


@dataclass(frozen=True)
class Failure:
    doc: str
    reason: str
    sha256: str = ""  # of the file's bytes: an unchanged unreadable file is not read again


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
    cached: int  # taken from the previous index
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


def file_entries(results: list[FileResult]) -> dict[str, dict]:
    """The manifest's record of each file read: its hash (what a rebuild compares) and its counts."""
    return {
        r.doc.name: {
            "sha256": r.doc.sha256,
            "encoding": r.doc.encoding,
            "reports": len(r.reports),
            "chunks": len(r.chunks),
            "figures": len(r.figures),
        }
        for r in results
    }


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
        vectors, new_chunks = embed_cached(
            embedder, chunks["index_text"].tolist(), cache, keys=keys, progress=_stage(progress, "embedding sections")
        )
        labels = sorted(set(figures["metric"].dropna()) - {""})
        label_keys = [text_key(t) for t in labels]
        metric_vectors, new_metrics = embed_cached(
            embedder, labels, cache, keys=label_keys, progress=_stage(progress, "embedding metric labels")
        )
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
            seconds=seconds,
        )
        manifest = {
            "schema_version": SCHEMA_VERSION,
            "built_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
            "settings": settings,
            "embedder": {"id": embedder.id, "dim": embedder.dim},
            "tokenizer": {
                "version": versions.TOKENIZER, "jieba": "cut_for_search", "bigrams": True, "userdict": "userdict.txt"
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
        old = _old(index_dir)
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


def file_sha256(path: Path) -> str:
    """Of a file's bytes, read in blocks (corpus files may be large)."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _stage(progress: Progress | None, name: str) -> Callable[[int, int], None] | None:
    return None if progress is None else lambda done, total: progress(name, done, total)


class IndexUnavailable(Exception):
    """The index folder is missing, damaged, or built differently; the message says what to run."""


def _old(index_dir: Path) -> Path:
    return index_dir.with_name(index_dir.name + ".old")


def live(index_dir: Path) -> Path:
    """The folder that holds the index now: `index_dir`, or its `.old` when a build was killed between the
    two renames of its swap (index → index.old, new → index). Readers use it; the next build cleans up."""
    if not (index_dir / "manifest.json").exists() and (_old(index_dir) / "manifest.json").exists():
        return _old(index_dir)
    return index_dir


def built_stamp(index_dir: Path) -> int:
    """When the live index was built (its manifest's mtime in ns; 0: no index): a cache key for loaders."""
    try:
        return (live(index_dir) / "manifest.json").stat().st_mtime_ns
    except OSError:
        return 0


def read_manifest(index_dir: Path) -> dict:
    index_dir = live(index_dir)
    path = index_dir / "manifest.json"
    if not path.exists():
        raise IndexUnavailable(f"no index in {index_dir}: run `qa-app build` first")
    try:
        manifest = json.loads(path.read_text("utf-8"))
    except (OSError, ValueError) as exc:
        raise IndexUnavailable(f"the index manifest in {index_dir} is unreadable ({exc}): run `qa-app build`") from exc
    if manifest.get("schema_version") != SCHEMA_VERSION:
        raise IndexUnavailable(f"the index in {index_dir} has an older layout: run `qa-app build` again")
    return manifest


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
