"""What the app shows, as pure functions: escaped labels, the highlighted source, tables and downloads.

Every string here that came from a report or a question is escaped for where it goes: `plain` for
Streamlit labels and markdown, `html.escape` inside `sentence_html` / `table_html`, `spreadsheet_safe` for CSV and Excel
(a cell starting with "=" is a formula to a spreadsheet). Nothing from a document is ever active.
"""

from __future__ import annotations

import html
import io
import re

import pandas as pd

from qa_app.answer.compose import shown
from qa_app.answer.contract import Answer, FigureOut
from qa_app.search.retrieve import Within
from qa_app.ui.sources import Source, Span, TableQuote

_MARKDOWN = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~$:=&^])")
_FORMULA = re.compile(r"^[=+@\t\r]|^-(?![\d.])")
_CELL_BREAK = re.compile(r"[ \t]*\n\t+")
_BLANK_LINES = re.compile(r"\n[ \t]*\n\s*")
# A table cell this short is never wrapped (on a phone "信访救助基金" would stand one character a line).
SWIPE_COLUMNS = 3  # a wider quoted row overflows a phone's width: the phone is told it scrolls
SHORT_CELL = 16

FIGURE_COLUMNS = ["org", "year", "period", "metric", "value", "unit", "text", "section", "doc"]


def plain(text: str) -> str:
    """Text as a Streamlit label or markdown that shows literally: no links, HTML, emphasis or LaTeX."""
    return _MARKDOWN.sub(r"\\\1", " ".join(str(text).split()))


def readable(text: str) -> str:
    """A passage for reading: a table row's cells (one tab-led line each in stored text) on one line,
    separated by │, and no runs of blank lines."""
    text = _BLANK_LINES.sub("\n", text.strip("\n"))  # rows and paragraphs: one line each
    return _CELL_BREAK.sub(" │ ", text).replace("\t", " ").strip()  # the cells left are within a row


def text_html(text: str) -> str:
    """A passage of a report as an HTML block: escaped, line breaks kept, table rows on one line."""
    return f'<div class="qa-text" style="white-space:pre-wrap;line-height:1.7">{html.escape(readable(text))}</div>'


def citation_label(source: Source) -> str:
    """The marker that opens a source: "[1] 湘潭县信访局 · 2024年 · 报告标题" (escaped)."""
    return plain(" · ".join(p for p in (f"[{source.n}] {source.who}".strip(), source.citation.title) if p))


def source_heading(source: Source) -> str:
    """Whose report, which one, which section: what an official checks first (an escaped HTML block)."""
    r = source.report
    kind = f"（{r.type}）" if r and r.type else ""
    region = f"，{r.region}" if r and r.region and r.region not in (r.org or "") else ""
    who = html.escape((source.who or "单位、年度不详") + region)
    title = html.escape(f"《{source.citation.title}》{kind}")
    section = html.escape(source.citation.section or "（开头）")
    return f'<div class="qa-where" style="line-height:1.6"><b>{who}</b><br>报告：{title}<br>章节：{section}</div>'


def sentence_html(text: str, span: Span) -> str:
    """A sentence of a report with only its figure marked, escaped."""
    a, b = max(span.start, min(span.mark_start, span.end)), max(span.start, min(span.mark_end, span.end))
    return (
        '<div class="qa-source" style="line-height:1.7;font-size:0.95rem">'
        f"{html.escape(text[span.start : a])}<mark>{html.escape(text[a:b])}</mark>{html.escape(text[b : span.end])}"
        "</div>"
    )


def table_html(table: TableQuote) -> str:
    """A cited table row under its column headers, only the cited cell marked, escaped; scrolls sideways."""

    def cells(row: tuple[str, ...], tag: str, marked: frozenset[int] = frozenset()) -> str:
        out = []
        for k, c in enumerate(row):
            body = f"<mark>{html.escape(c)}</mark>" if k in marked else html.escape(c)
            short = ' class="qa-short"' if len(c) <= SHORT_CELL else ""  # kept on one line; the table scrolls
            out.append(f"<{tag}{short}>{body}</{tag}>")
        return "<tr>" + "".join(out) + "</tr>"

    head = "".join(cells(r, "th") for r in table.header)
    return (
        '<div class="qa-table-wrap" style="overflow-x:auto"><table class="qa-table">'
        f"<thead>{head}</thead><tbody>{cells(table.row, 'td', table.marked)}</tbody></table></div>"
        + ('<div class="qa-swipe">← 左右滑动查看整行 →</div>' if len(table.row) > SWIPE_COLUMNS else "")
    )


def figure_headline(answer: Answer) -> tuple[str, str]:
    """Label and value of the big figure: ("湘潭县信访局 · 2024年 · 信访救助支出", "519.69万元")."""
    f = answer.figures[0]
    who = " · ".join(p for p in (f.org, f"{f.year}年" if f.year else "", f.metric) if p)
    return who, shown(f)


def figure_cells(f: FigureOut) -> dict[str, object]:
    """A figure's cells in the answer table and the export: a decrease is signed and says 减少."""
    return {
        "单位": f.org,
        "年度": f.year,
        "指标": f.metric,
        "数值": -f.value if f.direction == "down" else f.value,
        "计量单位": f.unit,
        "期间/增减": {"down": "减少", "up": "增加"}.get(f.direction, ""),
        "原文": shown(f),
    }


def figures_frame(answer: Answer) -> pd.DataFrame:
    """The answer's figures as a table: one row per organisation and year, with its citation number."""
    scanned = any(f.ocr_page for f in answer.figures)  # how a figure was read matters only for a scan
    return pd.DataFrame(
        [
            {
                **figure_cells(f),
                **({"读取方式": f"扫描件第{f.ocr_page}页（文字识别）" if f.ocr_page else "文字"} if scanned else {}),
                "出处": f"[{f.citation + 1}]",
            }
            for f in answer.figures
        ]
    )


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


def documents_frame(documents: pd.DataFrame, reports: pd.DataFrame, counts: pd.DataFrame) -> pd.DataFrame:
    """One row per report: its file (and identical copies), organisation, year, type, sections, figures
    (`counts`: sections and figures per report_id), and whether it was read from a scan by OCR."""
    listing = reports.join(counts[["sections", "figures"]], on="report_id")
    listing[["sections", "figures"]] = listing[["sections", "figures"]].fillna(0).astype(int)
    copies = documents.set_index("doc")["copies"] if "copies" in documents else pd.Series(dtype=str)
    listing["copies"] = listing["doc"].map(copies).fillna("")
    read_as = documents.set_index("doc")["encoding"] if "encoding" in documents else pd.Series(dtype=str)
    ocr = listing["doc"].map(read_as).fillna("").str.contains("OCR", regex=False)
    listing["read"] = ocr.map({True: "扫描件（文字识别）", False: ""})
    columns = ["report_id", "title", "org", "region", "year", "type", "sections", "figures", "read", "doc", "copies"]
    return listing[columns].rename(columns=REPORT_COLUMNS)


# The 报告 table's columns as shown; report_id stays for the app (never shown).
REPORT_COLUMNS = {
    "title": "报告",
    "org": "单位",
    "region": "地区",
    "year": "年度",
    "type": "类型",
    "sections": "段数",
    "figures": "数字数",
    "read": "读取方式",
    "doc": "文件",
    "copies": "相同文件",
}
