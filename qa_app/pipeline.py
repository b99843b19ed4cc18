"""One corpus file through every reading stage: ingest → layout → reports → chunk → figures."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from qa_app.chunk import Chunk, chunk_report, sections
from qa_app.config import Settings
from qa_app.figures import Figure, extract_figures
from qa_app.ingest import Document, IngestError, read_document
from qa_app.layout import parse_layout
from qa_app.reports import Report, split_reports


@dataclass(frozen=True)
class FileResult:
    doc: Document
    reports: list[Report]
    chunks: list[Chunk]
    figures: list[Figure]


def process_document(doc: Document, settings: Settings) -> FileResult:
    layout = parse_layout(doc.norm.text)
    reports = split_reports(doc, layout)
    chunks: list[Chunk] = []
    figures: list[Figure] = []
    for report in reports:
        report_sections = sections(doc, report, layout)
        report_chunks = chunk_report(doc, report, report_sections, settings)
        chunks.extend(report_chunks)
        figures.extend(extract_figures(doc, report, layout, report_chunks, report_sections))
    return FileResult(doc, reports, chunks, figures)


def process_file(path: Path, settings: Settings, name: str | None = None) -> FileResult:
    """Read and split one file; raises IngestError with a plain reason when it cannot be read."""
    doc = read_document(path, name, settings.max_file_bytes)
    if len(doc.text) > settings.max_text_chars:
        raise IngestError(
            f"text too long: {len(doc.text):,} characters, more than the {settings.max_text_chars:,} of a report "
            "(split it into reports, or raise Settings.max_text_chars)"
        )
    return process_document(doc, settings)
