"""One corpus file through every reading stage: ingest → layout → reports → chunk → figures."""

from __future__ import annotations

import time
from dataclasses import dataclass, field, replace
from pathlib import Path

from qa_app.config import Settings
from qa_app.corrections import Correction, correct
from qa_app.extract.figures import Figure, extract_figures
from qa_app.readers import Document, read_document
from qa_app.structure.chunk import Chunk, chunk_report, sections
from qa_app.structure.layout import parse_layout
from qa_app.structure.reports import Report, split_reports


@dataclass(frozen=True)
class FileResult:
    doc: Document
    reports: list[Report]
    chunks: list[Chunk]
    figures: list[Figure]
    # seconds spent on this file: "reading" (decoding, layout, reports, chunks) and "figures"
    seconds: dict[str, float] = field(default_factory=dict, compare=False)


def process_document(doc: Document, settings: Settings, corrections: dict[str, Correction] | None = None) -> FileResult:
    """`corrections` (qa_app.corrections) set organisation and year by hand before anything derives from them."""
    layout = parse_layout(doc.norm.text)
    reports = correct(split_reports(doc, layout), corrections or {})
    chunks: list[Chunk] = []
    figures: list[Figure] = []
    on_figures = 0.0
    for report in reports:
        report_sections = sections(doc, report, layout)
        report_chunks = chunk_report(doc, report, report_sections, settings)
        chunks.extend(report_chunks)
        t0 = time.perf_counter()
        figures.extend(extract_figures(doc, report, layout, report_chunks, report_sections))
        on_figures += time.perf_counter() - t0
    return FileResult(doc, reports, chunks, figures, {"figures": on_figures})


def process_file_here(
    path: Path, settings: Settings, name: str | None = None, corrections: dict[str, Correction] | None = None
) -> FileResult:
    """Read and split one file in this process: the reading child's work (qa_app.sandbox); the bounds still apply."""
    t0 = time.perf_counter()
    doc = read_document(path, name, settings.max_file_bytes, settings)
    result = process_document(doc, settings, corrections)
    reading = time.perf_counter() - t0 - result.seconds["figures"]
    return replace(result, seconds={"reading": reading, **result.seconds})
