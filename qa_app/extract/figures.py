"""Every figure in a report, with what it measures, whose it is, which year, and where it stands.

Prose runs are read by `prose.scan_prose`, table rows by `tables.scan_row`; each figure found is placed
here in its report, the chunk that holds it and the section it stands under, with exact stored offsets
of the number and unit and of the sentence or row it stands in. The table's columns: `model.Figure`.
"""

from __future__ import annotations

import bisect

from qa_app.extract.model import Figure, RawFigure, parse_number
from qa_app.extract.prose import hard_wrapped, scan_prose
from qa_app.extract.tables import scan_flat_rows, scan_row, scan_stacked
from qa_app.readers.base import Document
from qa_app.structure.chunk import Chunk, Section
from qa_app.structure.layout import Block, Layout
from qa_app.structure.reports import Report
from qa_app.text.headings import heading_of


def _hard_boundaries(blocks: list[Block]) -> tuple[int, ...]:
    """Starts of heading lines, in order: a subject never carries into a new section."""
    return tuple(b.start for b in blocks if not b.is_row and heading_of(b.text))


def extract_figures(
    doc: Document, report: Report, layout: Layout, chunks: list[Chunk], sections: list[Section]
) -> list[Figure]:
    """The report's figures, each placed in the chunk that holds it and the section it stands under."""
    view = doc.norm.text
    inside = layout.within(report.view_start, report.view_end)
    hard = _hard_boundaries(inside)
    wrapped = hard_wrapped([b for b in inside if not b.is_row])
    raws: list[RawFigure] = []
    run: list[Block] = []

    def flush() -> None:
        if run:
            raws.extend(scan_prose(view, run[0].start, run[-1].end, report.year, hard=hard, wrapped=wrapped))
            run.clear()

    for block in inside:
        if block.is_row:
            flush()
            raws.extend(scan_row(view, block, layout.context(block), report.year))
        else:
            run.append(block)
    flush()
    raws.extend(scan_stacked(view, inside, report.year))
    flat, cell_runs = scan_flat_rows(view, inside, report.year)
    if cell_runs:  # a flattened row's numbers are its columns', not the words' before them
        raws = [r for r in raws if not any(a <= r.view_start < b for a, b in cell_runs)] + flat

    starts = [c.view_start for c in chunks]
    units = [(u.view_start, " › ".join(u.heading)) for sec in sections for u in sec.units]
    unit_starts = [start for start, _ in units]
    figures: list[Figure] = []
    for n, raw in enumerate(sorted(raws, key=lambda r: r.view_start)):
        i = max(0, bisect.bisect_right(starts, raw.view_start) - 1)
        while i > 0 and chunks[i].view_end <= raw.view_start:
            i -= 1
        chunk = chunks[i] if chunks else None
        start, end = doc.norm.stored_span(raw.view_start, raw.view_end)
        q_start, q_end = doc.norm.stored_span(*raw.quote)
        value, malformed = parse_number(raw.number)
        ocr_page, ocr_doubt = _ocr_flags(doc, start, end)
        figures.append(
            Figure(
                figure_id=f"{report.report_id}/{n}",
                doc=doc.name,
                report_id=report.report_id,
                chunk_id=chunk.chunk_id if chunk else "",
                org=report.org,
                region=report.region,
                year=raw.year,
                period=raw.period,
                value=value,
                text=doc.text[start:end],
                unit=raw.unit,
                metric=raw.metric,
                section=units[max(0, bisect.bisect_right(unit_starts, raw.view_start) - 1)][1] if units else "",
                source=raw.source,
                start=start,
                end=end,
                quote_start=min(q_start, start),
                quote_end=max(q_end, end),
                malformed=malformed,
                ocr_page=ocr_page,
                ocr_doubt=ocr_doubt,
            )
        )
    return figures


def _ocr_flags(doc: Document, start: int, end: int) -> tuple[int, bool]:
    """(page, doubtful) of a figure read by OCR: its page, and whether a word it overlaps was doubtful."""
    if not doc.ocr:
        return 0, False
    j = max(0, bisect.bisect_right(doc.ocr, (start, float("inf"))) - 1)
    words = []
    while j < len(doc.ocr) and doc.ocr[j][0] < end:
        if doc.ocr[j][1] > start:
            words.append(doc.ocr[j])
        j += 1
    if not words:
        return 0, False
    return words[0][2], any(w[3] for w in words)
