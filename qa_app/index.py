"""The index folder: what `qa-app build` writes and every later stage reads.

Files (all plain, no pickles):
    manifest.json     schema version, build time, settings, per-file hash/encoding/counts, failures
    documents.parquet doc, format, encoding, sha256, text (the stored text citations index into)
    reports.parquet   report_id, doc, index, title, org, region, year, type, start, end
    chunks.parquet    chunk_id, doc, report_id, kind, section, start, end, text, index_text
    figures.parquet   see qa_app.figures for the columns
The folder is written beside the old one and swapped in with os.replace, so a crash mid-build leaves
the previous index whole.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import pandas as pd

from qa_app.figures import figures_frame
from qa_app.pipeline import FileResult

SCHEMA_VERSION = 1


@dataclass(frozen=True)
class Failure:
    doc: str
    reason: str


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


def write_index(index_dir: Path, results: list[FileResult], failures: list[Failure], settings: dict) -> None:
    """Write every file into a fresh folder beside `index_dir`, then swap it into place."""
    index_dir = index_dir.resolve()
    index_dir.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=".index-", dir=index_dir.parent))
    try:
        tables = frames(results)
        for name, frame in tables.items():
            frame.to_parquet(tmp / f"{name}.parquet", index=False)
        manifest = {
            "schema_version": SCHEMA_VERSION,
            "built_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
            "settings": settings,
            "files": {
                r.doc.name: {
                    "sha256": r.doc.sha256,
                    "encoding": r.doc.encoding,
                    "reports": len(r.reports),
                    "chunks": len(r.chunks),
                    "figures": len(r.figures),
                }
                for r in results
            },
            "failures": [asdict(f) for f in failures],
            "counts": {name: len(frame) for name, frame in tables.items()},
        }
        (tmp / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False, indent=1), "utf-8")
        readme = index_dir / "README.md"
        if readme.exists():
            shutil.copy2(readme, tmp / "README.md")
        for path in tmp.iterdir():
            with open(path, "rb") as fh:
                os.fsync(fh.fileno())
        old = index_dir.with_name(index_dir.name + ".old")
        if old.exists():
            shutil.rmtree(old)
        if index_dir.exists():
            os.replace(index_dir, old)
        os.replace(tmp, index_dir)
        _fsync_dir(index_dir.parent)  # the rename itself survives a power cut
        shutil.rmtree(old, ignore_errors=True)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class IndexUnavailable(Exception):
    """The index folder is missing or unreadable; the message says what to run."""


def load_tables(index_dir: Path) -> dict[str, pd.DataFrame]:
    manifest_path = index_dir / "manifest.json"
    if not manifest_path.exists():
        raise IndexUnavailable(f"no index in {index_dir}: run `qa-app build` first")
    manifest = json.loads(manifest_path.read_text("utf-8"))
    if manifest.get("schema_version") != SCHEMA_VERSION:
        raise IndexUnavailable(f"index in {index_dir} has an old schema: run `qa-app build` again")
    return {
        name: pd.read_parquet(index_dir / f"{name}.parquet") for name in ("documents", "reports", "chunks", "figures")
    }
