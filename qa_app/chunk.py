"""Split each report into heading-aware chunks with exact stored offsets.

A report is read as a run of units: paragraph lines, table rows, and the label cells that act as
headings in table-shaped reports ("存在的问题" | text). Numbered headings (第五部分, 一、, （一）, 1．,
（1）) set the heading path. Units under one path form a section; a long section is packed into chunks
at unit and sentence boundaries with a little overlap, and a tiny one joins the section after it. The
text that gets indexed for a chunk starts with the organisation, report title and heading path, and a
table row is indexed with its column headers, so that "649.24" reads as "年度资金总额 年初预算数 649.24".
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import cn2an

from qa_app.config import Settings
from qa_app.ingest import Document
from qa_app.layout import NUMERIC_CELL, Layout, RowContext, is_numeric_cell, strip_paren_unit
from qa_app.reports import Report, clean_line

_HEADINGS = (
    (0.0, re.compile(r"^第[一二三四五六七八九十百]+(?:部分|章|节)\s*")),
    (1.0, re.compile(r"^[一二三四五六七八九十]+\s*[、.]\s*")),
    (2.0, re.compile(r"^\([一二三四五六七八九十]+\)\s*")),
    (3.0, re.compile(r"^\d{1,2}(?:\s*[、.](?!\d)|\s)\s*")),
    (4.0, re.compile(r"^\(\d{1,2}\)\s*")),
)
LABEL_LEVEL = 0.5  # a label cell heads a section below 第X部分 and above 一、
CAPTION_LEVEL = 5.0  # a short unnumbered line right above a table names that table
_HEADING_END = re.compile(r"[。:;!?]")
_SENTENCE_END = re.compile(r"[^。;!?\n]*(?:[。;!?]+|\n+|$)")
_SPACES = re.compile(r"\s+")


@dataclass(frozen=True)
class Chunk:
    """A retrievable piece of one report. `text` == stored_text[start:end]; `index_text` is embedded."""

    chunk_id: str
    doc: str
    report_id: str
    kind: str  # "text" or "table"
    heading: tuple[str, ...]
    start: int
    end: int
    view_start: int
    view_end: int
    text: str
    index_text: str

    @property
    def section(self) -> str:
        return " › ".join(self.heading)


@dataclass(frozen=True)
class _Unit:
    view_start: int
    view_end: int
    content: str  # what gets indexed for this unit
    kind: str
    heading: tuple[str, ...]


def heading_of(line: str) -> tuple[float, str, int] | None:
    """(level, heading text, number) when the line opens a numbered section, e.g. "（一）基本支出情况。"."""
    text = clean_line(line).replace("*", "")
    for level, marker in _HEADINGS:
        m = marker.match(text)
        if not m:
            continue
        rest = text[m.end() :]
        end = _HEADING_END.search(rest)
        number = _number(text[: m.end()])
        if end is None and 0 < len(rest) <= 30:
            return level, _SPACES.sub("", rest), number
        if end is not None and 0 < end.start() <= 25:
            # A whole line that is one listed sentence ("（5）检查指导各区、县…工作。") is not a heading.
            if end.end() >= len(rest.rstrip()) and level >= 3.0 and re.search(r"[、,]", rest[: end.start()]):
                return None
            return level, _SPACES.sub("", rest[: end.start()]), number
        return None
    return None


def _number(marker: str) -> int:
    """The number of a heading marker: "（十二）" → 12, "3." → 3."""
    digits = re.sub(r"\D", "", marker)
    if digits:
        return int(digits)
    numeral = re.sub(r"[^一二三四五六七八九十百]", "", marker)
    return int(cn2an.cn2an(numeral, "normal")) if numeral else 0


def _label_row(cells: list[str]) -> bool:
    """A row like "存在的问题 | 部门预算中…": a short label beside a longer text."""
    texts = [c for c in cells if c]
    return (
        len(texts) == 2
        and len(texts[0]) <= 16
        and not any(ch.isdigit() for ch in texts[0])
        and len(texts[1]) >= 20
        and not is_numeric_cell(texts[1])
    )


def render_row(cells: list[str], ctx: RowContext) -> str:
    """A row as words a search can match: each value after its row label and column header."""
    parts: list[str] = []
    for k, text in enumerate(cells):
        if not text:
            continue
        numeric = NUMERIC_CELL.match(text)
        if numeric:
            header = strip_paren_unit(ctx.headers[k]) if k < len(ctx.headers) else ""
            unit = "" if numeric.group(2) else ctx.column_unit(k, text)
            parts.append(f"{header} {text}{unit}".strip())
        else:
            parts.append(text)
    label = next((t for t in ctx.filled if t and t not in cells), "")
    return " ".join([label, *parts] if label else parts)


def _units(doc: Document, report: Report, layout: Layout) -> list[_Unit]:
    """The report's units, each with the heading path in force where it stands."""
    view = doc.norm.text
    stack: list[tuple[float, str]] = []
    units: list[_Unit] = []

    def push(level: float, text: str) -> None:
        while stack and stack[-1][0] >= level:
            stack.pop()
        stack.append((level, text))

    def path() -> tuple[str, ...]:
        return tuple(t for _, t in stack)

    inside = layout.within(report.view_start, report.view_end)
    # Lines up to the title's last line (an 附件 line, the organisation's name) set no heading.
    title_end = next(
        (
            i
            for i, b in enumerate(inside)
            if not b.is_row and clean_line(b.text) and report.title.endswith(clean_line(b.text))
        ),
        -1,
    )
    last_top = 0  # number of the last 一、-level heading; "4、" after "三、" is the same level
    listed = False  # a "1." heading seen since that one: "3." then continues the list, not the top level

    def numbered(found: tuple[float, str, int]) -> None:
        nonlocal last_top, listed
        level, text, number = found
        if level == 3.0 and number == last_top + 1 and not listed:
            level = 1.0
        if level == 1.0:
            last_top, listed = number, False
        elif level == 3.0:
            listed = True
        push(level, text)

    for i, block in enumerate(inside):
        if not block.is_row:
            found = heading_of(block.text) if i > title_end else None
            nxt = inside[i + 1] if i + 1 < len(inside) else None
            caption = _SPACES.sub(" ", clean_line(block.text))
            if found:
                numbered(found)
            elif i > title_end and nxt is not None and nxt.is_row and nxt.row == 0 and len(caption) <= 30:
                push(CAPTION_LEVEL, caption)  # a short line right above a table names it
            units.append(_Unit(block.start, block.end, _SPACES.sub(" ", block.text), "text", path()))
            continue
        cells = [c.flat for c in block.cells]
        if _label_row(cells):
            label_cell = next(c for c in block.cells if c.flat)
            value_cell = next(c for c in block.cells if c.flat and c is not label_cell)
            push(LABEL_LEVEL, label_cell.flat)
            units.append(_Unit(block.start, label_cell.end, label_cell.flat, "text", path()))
            # The value cell reads like prose, with its own numbered headings.
            for m in re.finditer(r"[^\n]+", view[value_cell.start : value_cell.end]):
                s, e = value_cell.start + m.start(), value_cell.start + m.end()
                line = m.group().strip()
                if not line:
                    continue
                if found := heading_of(line):
                    numbered(found)
                units.append(_Unit(s, e, _SPACES.sub(" ", line), "text", path()))
            continue
        ctx = layout.context(block)
        units.append(_Unit(block.start, block.end, render_row(cells, ctx), "table", path()))
    return units


def _split_long(view: str, unit: _Unit, max_chars: int, overlap: int) -> list[tuple[int, int]]:
    """Spans of at most ~max_chars ending at sentence ends, each starting with a little of the last."""
    sentences = [
        (unit.view_start + m.start(), unit.view_start + m.end())
        for m in _SENTENCE_END.finditer(view[unit.view_start : unit.view_end])
        if m.end() > m.start()
    ]
    spans: list[tuple[int, int]] = []
    i, last = 0, -1
    while i < len(sentences):
        start = sentences[i][0]
        j = max(i, last + 1)  # every span reaches past the one before it
        while j + 1 < len(sentences) and sentences[j + 1][1] - start <= max_chars:
            j += 1
        spans.append((start, sentences[j][1]))
        last = j
        if j + 1 >= len(sentences):
            break
        i = next((k for k in range(i + 1, j + 1) if sentences[j][1] - sentences[k][0] <= overlap), j + 1)
    return spans


def chunk_report(doc: Document, report: Report, layout: Layout, settings: Settings) -> list[Chunk]:
    view = doc.norm.text
    units = _units(doc, report, layout)
    # Sections: runs of units under one heading path; a tiny one joins the section after it.
    sections: list[list[_Unit]] = []
    for unit in units:
        if sections and sections[-1][-1].heading == unit.heading:
            sections[-1].append(unit)
        else:
            sections.append([unit])
    merged: list[list[_Unit]] = []
    carry: list[_Unit] = []
    for section in sections:
        section = carry + section
        size = sum(u.view_end - u.view_start for u in section)
        if size < settings.chunk_min_chars and section is not sections[-1]:
            carry = section
            continue
        carry = []
        merged.append(section)
    if carry:
        if merged:
            merged[-1].extend(carry)
        else:
            merged.append(carry)

    prefix = " ".join(p for p in (report.org, report.title) if p)
    chunks: list[Chunk] = []

    def emit(group: list[_Unit], span: tuple[int, int] | None = None) -> None:
        heading = group[-1].heading
        vs, ve = span or (group[0].view_start, group[-1].view_end)
        content = _SPACES.sub(" ", view[vs:ve]) if span else "\n".join(u.content for u in group)
        s, e = doc.norm.stored_span(vs, ve)
        kind = "table" if all(u.kind == "table" for u in group) else "text"
        index_text = f"{prefix} {' › '.join(heading)}\n{content}".strip()
        chunk_id = f"{report.report_id}:{len(chunks):03d}"
        chunks.append(
            Chunk(chunk_id, doc.name, report.report_id, kind, heading, s, e, vs, ve, doc.text[s:e], index_text)
        )

    for section in merged:
        group: list[_Unit] = []
        size = 0
        for unit in section:
            length = unit.view_end - unit.view_start
            if group and size + length > settings.chunk_max_chars:
                emit(group)
                group, size = [], 0
            if length > settings.chunk_max_chars and unit.kind == "text":
                for span in _split_long(view, unit, settings.chunk_max_chars, settings.chunk_overlap_chars):
                    emit([unit], span)
                continue
            group.append(unit)
            size += length
        if group:
            size = group[-1].view_end - group[0].view_start
            if size < settings.chunk_min_chars and chunks and chunks[-1].heading == group[-1].heading:
                # A tiny tail (the last words of a split paragraph) joins the chunk before it.
                previous = chunks.pop()
                emit(group, (previous.view_start, group[-1].view_end))
            else:
                emit(group)
    return chunks
