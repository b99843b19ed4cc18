"""What the app shows, as pure functions: escaped labels, the highlighted source, tables and downloads.

Every string here that came from a report or a question is escaped for where it goes: `plain` for
Streamlit labels and markdown, `html.escape` inside `source_html`, `spreadsheet_safe` for CSV and Excel
(a cell starting with "=" is a formula to a spreadsheet). Nothing from a document is ever active.
"""

from __future__ import annotations

import html
import io
import re

import pandas as pd

from qa_app.answer.compose import shown
from qa_app.answer.contract import Answer, Citation
from qa_app.search.retrieve import Within

_MARKDOWN = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~$:=&^])")
_FORMULA = re.compile(r"^[=+@\t\r]|^-(?![\d.])")
_CELL_BREAK = re.compile(r"[ \t]*\n\t+")
_BLANK_LINES = re.compile(r"\n[ \t]*\n\s*")
CONTEXT_CHARS = 240

FIGURE_COLUMNS = ["org", "year", "period", "metric", "value", "unit", "text", "section", "doc"]


def plain(text: str) -> str:
    """Text as a Streamlit label or markdown that shows literally: no links, HTML, emphasis or LaTeX."""
    return _MARKDOWN.sub(r"\\\1", " ".join(str(text).split()))


def source_html(text: str, start: int, end: int, context: int = CONTEXT_CHARS) -> str:
    """The quote `text[start:end]` highlighted within the lines around it, escaped, as an HTML block."""
    left = max(0, start - context)
    right = min(len(text), end + context)
    # widen to line ends nearby so the context starts and ends cleanly
    nl = text.rfind("\n", left, start)
    left = nl + 1 if nl >= 0 else left
    nl = text.find("\n", end, right)
    right = nl if nl >= 0 else right
    before = ("…" if left > 0 else "") + text[left:start]
    after = text[end:right] + ("…" if right < len(text) else "")
    return (
        '<div class="qa-source" style="white-space:pre-wrap;line-height:1.7;font-size:0.95rem">'
        f"{html.escape(before)}<mark>{html.escape(text[start:end])}</mark>{html.escape(after)}</div>"
    )


def readable(text: str) -> str:
    """A passage for reading: a table row's cells (one tab-led line each in stored text) on one line,
    separated by │, and no runs of blank lines."""
    text = _BLANK_LINES.sub("\n", text.strip("\n"))  # rows and paragraphs: one line each
    return _CELL_BREAK.sub(" │ ", text).replace("\t", " ").strip()  # the cells left are within a row


def text_html(text: str) -> str:
    """A passage of a report as an HTML block: escaped, line breaks kept, table rows on one line."""
    return f'<div class="qa-text" style="white-space:pre-wrap;line-height:1.7">{html.escape(readable(text))}</div>'


def citation_label(n: int, cite: Citation) -> str:
    """The marker that opens a source: "[1] 报告标题 › 一、部门基本情况" (escaped)."""
    return plain(f"[{n}] {cite.title} › {cite.section or '（开头）'}")


def figure_headline(answer: Answer) -> tuple[str, str]:
    """Label and value of the big figure: ("湘潭县信访局 · 2024年 · 信访救助支出", "519.69万元")."""
    f = answer.figures[0]
    who = " · ".join(p for p in (f.org, f"{f.year}年" if f.year else "", f.metric) if p)
    return who, shown(f)


def figures_frame(answer: Answer) -> pd.DataFrame:
    """The answer's figures as a table: one row per organisation and year, with its citation number."""
    return pd.DataFrame(
        [
            {
                "单位": f.org,
                "年度": f.year,
                "指标": f.metric,
                "数值": f.value,
                "计量单位": f.unit,
                "原文": shown(f),
                "来源": f"扫描件第{f.ocr_page}页（文字识别）" if f.ocr_page else "文字",
                "出处": f"[{f.citation + 1}]",
            }
            for f in answer.figures
        ]
    )


def chart_frame(answer: Answer) -> pd.DataFrame:
    """Bars for a question spanning organisations or years: one per figure, labelled by what differs."""
    figs = answer.figures
    by_org = len({f.org for f in figs}) > 1
    by_year = len({f.year for f in figs}) > 1
    by_metric = len({f.metric for f in figs}) > 1  # a different label is shown, not hidden under one axis
    labels = [" ".join(p for p in (f.org * by_org, f"{f.year}年" * by_year, f.metric * by_metric) if p) for f in figs]
    return pd.DataFrame({"项": labels, f"数值（{figs[0].unit}）": [f.value for f in figs]}).drop_duplicates("项")


def spreadsheet_safe(frame: pd.DataFrame) -> pd.DataFrame:
    """Text cells that a spreadsheet would run as a formula get a leading apostrophe."""
    out = frame.copy()
    for col in out.columns:
        if pd.api.types.is_object_dtype(out[col]) or pd.api.types.is_string_dtype(out[col]):
            out[col] = [f"'{v}" if isinstance(v, str) and _FORMULA.match(v) else v for v in out[col]]
    return out


def to_csv(frame: pd.DataFrame) -> bytes:
    return spreadsheet_safe(frame).to_csv(index=False).encode("utf-8-sig")  # the BOM lets Excel read UTF-8


def to_excel(frame: pd.DataFrame) -> bytes:
    buffer = io.BytesIO()
    with pd.ExcelWriter(buffer, engine="openpyxl") as writer:
        spreadsheet_safe(frame).to_excel(writer, index=False, sheet_name="figures")
    return buffer.getvalue()


def filter_figures(figures: pd.DataFrame, orgs: list[str], years: list[int], metric: str) -> pd.DataFrame:
    """The figures of the chosen organisations, years and metric text (any, when none is chosen)."""
    shown_rows = Within(frozenset(orgs), frozenset(years)).keep(figures)
    if metric.strip():
        shown_rows = shown_rows[shown_rows["metric"].str.contains(metric.strip(), regex=False, na=False)]
    return shown_rows[FIGURE_COLUMNS].reset_index(drop=True)


def documents_frame(
    documents: pd.DataFrame, reports: pd.DataFrame, chunks: pd.DataFrame, figures: pd.DataFrame
) -> pd.DataFrame:
    """One row per report: its file (and identical copies), organisation, year, type, sections, figures, and
    whether it was read from a scan by OCR."""
    counts = chunks.groupby("report_id").size().rename("sections")
    fig_counts = figures.groupby("report_id").size().rename("figures")
    listing = reports.join(counts, on="report_id").join(fig_counts, on="report_id")
    listing[["sections", "figures"]] = listing[["sections", "figures"]].fillna(0).astype(int)
    copies = documents.set_index("doc")["copies"] if "copies" in documents else pd.Series(dtype=str)
    listing["copies"] = listing["doc"].map(copies).fillna("")
    read_as = documents.set_index("doc")["encoding"] if "encoding" in documents else pd.Series(dtype=str)
    ocr = listing["doc"].map(read_as).fillna("").str.contains("OCR", regex=False)
    listing["read"] = ocr.map({True: "扫描件（文字识别）", False: ""})
    columns = ["report_id", "doc", "copies", "org", "region", "year", "type", "title", "sections", "figures", "read"]
    return listing[columns]
