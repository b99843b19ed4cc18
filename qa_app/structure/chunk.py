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

from qa_app.config import Settings
from qa_app.readers.base import Document
from qa_app.structure.layout import NUMERIC_CELL, Layout, RowContext, is_numeric_cell, strip_paren_unit
from qa_app.structure.reports import Report
from qa_app.text.headings import clean_line, heading_of

# `sections` is called without settings: the heading levels are the defaults (qa_app.config).
_SETTINGS = Settings()

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
    title_end = (
        -1
        if not report.titled
        else next(
            (
                i
                for i, b in enumerate(inside)
                if not b.is_row and clean_line(b.text) and report.title.endswith(clean_line(b.text))
            ),
            -1,
        )
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
            if i > 0 and inside[i - 1].is_row:  # the table ended: its caption no longer heads the text
                while stack and stack[-1][0] == _SETTINGS.caption_level:
                    stack.pop()
            found = heading_of(block.text) if i > title_end else None
            if found:
                numbered(found)
            elif i > title_end and layout.is_caption(block):  # a short line above a table names it
                push(_SETTINGS.caption_level, _SPACES.sub(" ", clean_line(block.text)))
            units.append(_Unit(block.start, block.end, _SPACES.sub(" ", block.text), "text", path()))
            continue
        cells = [c.flat for c in block.cells]
        if _label_row(cells):
            label_cell = next(c for c in block.cells if c.flat)
            value_cell = next(c for c in block.cells if c.flat and c is not label_cell)
            push(_SETTINGS.label_level, label_cell.flat)
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


def _pieces(view: str, start: int, end: int, max_chars: int) -> list[tuple[int, int]]:
    """Sentences of view[start:end]; one longer than max_chars is cut at a comma, or hard at max_chars."""
    out: list[tuple[int, int]] = []
    for m in _SENTENCE_END.finditer(view, start, end):
        a, b = m.start(), m.end()
        while b - a > max_chars:
            comma = max(view.rfind(",", a, a + max_chars), view.rfind("、", a, a + max_chars))
            cut = comma + 1 if comma > a + max_chars // 2 else a + max_chars
            out.append((a, cut))
            a = cut
        if b > a:
            out.append((a, b))
    return out


def _split_long(view: str, unit: _Unit, max_chars: int, overlap: int) -> list[tuple[int, int]]:
    """Spans of at most max_chars ending at sentence ends, each starting with a little of the last."""
    sentences = _pieces(view, unit.view_start, unit.view_end, max_chars)
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


@dataclass(frozen=True)
class Section:
    """A run of units under one heading path: what a figure's `section` names."""

    heading: tuple[str, ...]
    units: tuple[_Unit, ...]

    @property
    def size(self) -> int:
        return self.units[-1].view_end - self.units[0].view_start


def sections(doc: Document, report: Report, layout: Layout) -> list[Section]:
    out: list[Section] = []
    for unit in _units(doc, report, layout):
        if out and out[-1].heading == unit.heading:
            out[-1] = Section(unit.heading, (*out[-1].units, unit))
        else:
            out.append(Section(unit.heading, (unit,)))
    return out


def _common(a: tuple[str, ...], b: tuple[str, ...]) -> tuple[str, ...]:
    n = 0
    while n < min(len(a), len(b)) and a[n] == b[n]:
        n += 1
    return a[:n]


def _merge_tiny(found: list[Section], min_chars: int) -> list[Section]:
    """Tiny sections join a neighbour: a bare heading joins the subsection it opens, other tiny text
    joins the section before it, under the heading path the two share."""
    merged: list[Section] = []
    carry: Section | None = None
    for n, section in enumerate(found):
        if carry is not None:
            heading = (
                section.heading
                if section.heading[: len(carry.heading)] == carry.heading
                else _common(carry.heading, section.heading)
            )
            section = Section(heading, carry.units + section.units)
            carry = None
        if section.size >= min_chars:
            merged.append(section)
            continue
        nxt = found[n + 1] if n + 1 < len(found) else None
        opens_next = nxt is not None and nxt.heading[: len(section.heading)] == section.heading
        if opens_next or (nxt is not None and not merged):
            carry = section
        elif merged:
            merged[-1] = Section(_common(merged[-1].heading, section.heading), merged[-1].units + section.units)
        else:
            merged.append(section)
    return merged


_Piece = tuple[int, int, str, str]  # view start, view end, indexed content, kind


def _joined(group: list[_Unit]) -> _Piece:
    kind = "table" if all(u.kind == "table" for u in group) else "text"
    return group[0].view_start, group[-1].view_end, "\n".join(u.content for u in group), kind


def _pack(view: str, units: tuple[_Unit, ...], settings: Settings) -> list[_Piece]:
    """Whole units packed up to `chunk_max_chars`; a longer text unit split at sentence ends."""
    pieces: list[_Piece] = []
    group: list[_Unit] = []
    for unit in units:
        if group and unit.view_end - group[0].view_start > settings.chunk_max_chars:
            pieces.append(_joined(group))
            group = []
        if unit.view_end - unit.view_start > settings.chunk_max_chars:  # a long paragraph, or a row of prose
            if group:
                pieces.append(_joined(group))
                group = []
            for a, b in _split_long(view, unit, settings.chunk_max_chars, settings.chunk_overlap_chars):
                pieces.append((a, b, _SPACES.sub(" ", view[a:b]), unit.kind))
            continue
        group.append(unit)
    if group:
        pieces.append(_joined(group))
    # A tiny last piece (the tail of a split paragraph, a closing 合计 row) joins the one before it.
    if len(pieces) > 1 and pieces[-1][1] - pieces[-1][0] < settings.chunk_min_chars:
        (a, _, first, kind_a), (_, b, last, kind_b) = pieces[-2], pieces.pop()
        pieces[-1] = (a, b, f"{first}\n{last}", kind_a if kind_a == kind_b else "text")
    return pieces


def chunk_report(doc: Document, report: Report, found: list[Section], settings: Settings) -> list[Chunk]:
    """Chunks of the report's sections, never across two; each indexed under org, title and heading path."""
    prefix = " ".join(p for p in (report.org, report.title) if p)
    chunks: list[Chunk] = []
    for section in _merge_tiny(found, settings.chunk_min_chars):
        for vs, ve, content, kind in _pack(doc.norm.text, section.units, settings):
            s, e = doc.norm.stored_span(vs, ve)
            index_text = f"{prefix} {' › '.join(section.heading)}\n{content}".strip()
            chunk_id = f"{report.report_id}:{len(chunks):03d}"
            chunks.append(
                Chunk(
                    chunk_id, doc.name, report.report_id, kind, section.heading, s, e, vs, ve, doc.text[s:e], index_text
                )
            )
    return chunks
