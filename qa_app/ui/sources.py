"""What a citation is, for someone checking it: whose report, which year, which section, and the quote as read.

A citation of the answer contract is a file and a span. Here it becomes a `Source`: the report it stands in
(title, organisation, year, type, from the index's reports table), the cited figures' exact cells, and:
- for a table row, the table's header rows above the row, with only the cited cell marked (a row alone is a
  column of bare numbers: 50 / 234.14 / 284.14 / 100%);
- when the same report states the same figure in a sentence, that sentence, shown first: it says what the
  number is in the report's own words. The table row stays below it; nothing the answer cites is hidden.
Tables are read by `structure.layout.parse_layout` over the stored text itself (the stored-text convention is
the layout's), so every offset here is a stored-text offset, as the citation's are.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

import pandas as pd

from qa_app.answer.contract import Answer, Citation, FigureOut
from qa_app.answer.features import quote_span
from qa_app.structure.layout import Layout, parse_layout

# Words that make a figure another measure: a sentence's 总预算 284.14万元 is not the table's 实际支出 284.14,
# though value, unit, year and report agree. A sentence is the same figure only if it names the same ones.
_MEASURE_WORDS = ("预算", "收入", "目标", "计划", "年初", "调整", "结转", "上年")
_BIGRAM = re.compile(r"(?=(\w\w))")


@dataclass(frozen=True)
class ReportInfo:
    report_id: str
    title: str
    org: str
    year: int | None
    type: str
    region: str


@dataclass(frozen=True)
class Span:
    """A stretch of a stored text, and within it the part to mark (the figure)."""

    doc: str
    start: int
    end: int
    mark_start: int
    mark_end: int


@dataclass(frozen=True)
class TableQuote:
    header: tuple[tuple[str, ...], ...]  # the header row (every level over a column in one label), or none
    row: tuple[str, ...]  # the cited row's cells
    marked: frozenset[int]  # the columns of the cited figures' cells


@dataclass(frozen=True)
class Source:
    n: int  # the citation's number in the answer, 1-based
    citation: Citation
    report: ReportInfo | None
    figures: tuple[FigureOut, ...]  # the answer's figures that cite it
    sentence: Span | None  # the cited sentence, or the one stating the same figure as the cited table row
    table: TableQuote | None  # the cited table row under its header

    @property
    def who(self) -> str:
        """ "湘潭县信访局 · 2024年": whose report and which year (the title rarely says both)."""
        r = self.report
        if r is None:
            return ""
        return " · ".join(p for p in (r.org or "单位不详", f"{r.year}年" if r.year else "年度不详") if p)


@lru_cache(maxsize=32)
def _layout(text: str) -> Layout:
    return parse_layout(text)


def _report_of(reports: pd.DataFrame, doc: str, at: int) -> ReportInfo | None:
    rows = reports[(reports["doc"] == doc) & (reports["start"] <= at) & (reports["end"] > at)]
    if rows.empty:
        rows = reports[reports["doc"] == doc].head(1)
    if rows.empty:
        return None
    r = rows.iloc[0]
    year = None if pd.isna(r["year"]) else int(r["year"])
    return ReportInfo(str(r["report_id"]), str(r["title"]), str(r["org"] or ""), year, str(r["type"]), str(r["region"]))


def _figure_rows(figures: pd.DataFrame, cite: Citation, fig: FigureOut) -> pd.DataFrame:
    """The index's rows of an answer figure: same file and text, inside the cited span."""
    same = figures[(figures["doc"] == cite.doc) & (figures["text"] == fig.text)]
    return same[(same["start"] >= cite.start) & (same["end"] <= cite.end)]


def measures(label: str) -> frozenset[str]:
    """The measure words a label names: two figures naming different ones are different figures."""
    return frozenset(w for w in _MEASURE_WORDS if w in label)


def _bigrams(label: str) -> set[str]:
    return set(_BIGRAM.findall(label))


def same_figure_sentence(figures: pd.DataFrame, row: pd.Series) -> pd.Series | None:
    """The figure of a sentence of the same report stating what the table row `row` states, if one does.

    Same value, unit, period and year in the same report, naming the same measures (预算, 收入 … or none);
    of several, the one whose label shares most with the row's column label, and none when that is a tie.
    """
    same = figures[
        (figures["report_id"] == row["report_id"])
        & (figures["source"] == "text")
        & (figures["value"] == row["value"])
        & (figures["unit"] == row["unit"])
        & (figures["period"] == row["period"])
    ]
    column = str(row["metric"]).split("·")[-1]
    same = same[[measures(str(m)) == measures(column) for m in same["metric"]]]
    if same.empty:
        return None
    shared = [len(_bigrams(str(m)) & _bigrams(str(row["metric"]))) for m in same["metric"]]
    best = max(shared)
    if shared.count(best) > 1:
        return None
    return same.iloc[shared.index(best)]


def _table_quote(text: str, cite: Citation, marks: list[tuple[int, int]]) -> TableQuote | None:
    """The cited row under its column headers, when the citation spans two cells of a table row or more.

    The headers are those the layout reads the row's figures with (`RowContext.headers`: every header level
    over a column, "预算数·公务接待费"), so the header shown is the one the figure's label was taken from.
    """
    layout = _layout(text)
    rows = [b for b in layout.within(0, cite.end) if b.is_row and b.end > cite.start]
    if not rows or sum(1 for c in rows[0].cells if c.start < cite.end and c.end > cite.start) < 2:
        return None
    row = rows[0]
    headers = layout.context(row).headers
    marked = frozenset(k for k, c in enumerate(row.cells) for s, e in marks if c.start <= s < c.end or s <= c.start < e)
    return TableQuote((headers,) if any(headers) else (), tuple(c.flat for c in row.cells), marked)


def sources(answer: Answer, index, max_quote: int) -> list[Source]:  # index: qa_app.store.backends.AnyIndex
    """The answer's citations as sources an official can check, in the order of their [n] markers."""
    out = []
    for i, cite in enumerate(answer.citations):
        text = index.texts.get(cite.doc, "")
        figs = tuple(f for f in answer.figures if f.citation == i)
        of_doc = index.reads.figures_of_doc(cite.doc) if figs else None  # a report's figures are of its file
        rows = [r for f in figs for _, r in _figure_rows(of_doc, cite, f).iterrows()]
        marks = [(int(r["start"]), int(r["end"])) for r in rows]
        table = _table_quote(text, cite, marks) if text else None
        sentence = None
        if table is not None:
            prose = next((p for r in rows if (p := same_figure_sentence(of_doc, r)) is not None), None)
            if prose is not None:
                a, b = int(prose["start"]), int(prose["end"])
                sentence = Span(cite.doc, *quote_span(text, int(prose["quote_start"]), int(prose["quote_end"]), a, b,
                                                      max_quote), a, b)  # fmt: skip
        else:
            mark = marks[0] if marks else (cite.start, cite.start)
            sentence = Span(cite.doc, cite.start, cite.end, *mark)
        out.append(Source(i + 1, cite, _report_of(index.reports, cite.doc, cite.start), figs, sentence, table))
    return out
