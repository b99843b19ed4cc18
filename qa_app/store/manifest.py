"""The index folder's layout and its manifest: what a build writes, what a reader checks first.

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

This module holds the layout (schema version, table names, the manifest's per-file entries and failures)
and finding and reading the live folder; qa_app.store.writer writes it, qa_app.store.loader opens it.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

from qa_app.pipeline import FileResult

SCHEMA_VERSION = 2
TABLES = ("documents", "reports", "chunks", "figures", "metrics")


@dataclass(frozen=True)
class Failure:
    doc: str
    reason: str
    sha256: str = ""  # of the file's bytes: an unchanged unreadable file is not read again


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


def file_sha256(path: Path) -> str:
    """Of a file's bytes, read in blocks (corpus files may be large)."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


class IndexUnavailable(Exception):
    """The index folder is missing, damaged, or built differently; the message says what to run."""


def old_path(index_dir: Path) -> Path:
    return index_dir.with_name(index_dir.name + ".old")


def live(index_dir: Path) -> Path:
    """The folder that holds the index now: `index_dir`, or its `.old` when a build was killed between the
    two renames of its swap (index → index.old, new → index). Readers use it; the next build cleans up."""
    if not (index_dir / "manifest.json").exists() and (old_path(index_dir) / "manifest.json").exists():
        return old_path(index_dir)
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
