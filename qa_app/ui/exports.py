"""The conversation to take away: Excel (openpyxl) and Word (python-docx), and one answer as copyable text.

Every answer goes out with its figures (value, unit, organisation, year, metric), the quote each figure is
cited with and where it stands (report, organisation, year, section, file), so a printout or a forwarded
file can be checked against the reports without the app. Text cells that a spreadsheet would run as a
formula get a leading apostrophe (`view.spreadsheet_safe`'s rule).
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

import docx
import pandas as pd
from docx.oxml.ns import qn
from docx.shared import Pt

from qa_app.answer.compose import shown
from qa_app.ui.conversation import Turn
from qa_app.ui.sources import Source
from qa_app.ui.view import figure_cells, readable, spreadsheet_safe

TITLE = "绩效自评报告问答 · 对话记录"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


@dataclass(frozen=True)
class Exchange:
    """A turn with its citations resolved against the index (report, organisation, year, sentence)."""

    turn: Turn
    sources: list[Source]
    texts: dict[str, str]  # the index's stored texts, for the sentences the sources point into


def quote_of(source: Source, texts: dict[str, str]) -> str:
    """What the citation quotes, on one line: the sentence stating the figure, else the cited text."""
    if source.sentence is not None:
        s = source.sentence
        return " ".join(texts.get(s.doc, "")[s.start : s.end].split())
    return readable(source.citation.quote)


def table_of(source: Source) -> str:
    """A cited table row as text: "项目 | 年初预算（万元）… ＝ 信访救助基金 | 50 …"; "" for a sentence."""
    if source.table is None:
        return ""
    t = source.table
    head = " │ ".join(t.header[0]) + " ＝ " if t.header else ""
    return head + " │ ".join(t.row)


def where(source: Source) -> str:
    return f"{source.who} 《{source.citation.title}》 {source.citation.section or '（开头）'}"


def copy_text(exchange: Exchange) -> str:
    """One answer as text to paste: each figure with its value, unit, organisation · year · metric and source."""
    answer = exchange.turn.answer
    lines = [f"问：{exchange.turn.question}"]
    if not answer.figures:
        lines.append(f"答：{answer.answer}")
    by_n = {s.n: s for s in exchange.sources}
    for f in answer.figures:
        src = by_n.get(f.citation + 1)
        who = " · ".join(p for p in (f.org, f"{f.year}年" if f.year else "", f.metric) if p)
        sign = {"down": "减少 ", "up": "增加 "}.get(f.direction, "")
        lines.append(f"{sign}{shown(f)}（{who}）")
        if src is not None:
            lines.append(f"  来源：{where(src)}：“{quote_of(src, exchange.texts)}”")
    for src in exchange.sources if not answer.figures else []:
        lines.append(f"  来源[{src.n}]：{where(src)}：“{quote_of(src, exchange.texts)}”")
    return "\n".join(lines)


def _figure_rows(exchanges: list[Exchange]) -> pd.DataFrame:
    rows = []
    for k, ex in enumerate(exchanges, 1):
        by_n = {s.n: s for s in ex.sources}
        for f in ex.turn.answer.figures:
            src = by_n.get(f.citation + 1)
            rows.append(
                {
                    "轮次": k,
                    "问题": ex.turn.question,
                    **figure_cells(f),
                    "引文": quote_of(src, ex.texts) if src else "",
                    "表格行": table_of(src) if src else "",
                    "报告": src.citation.title if src else "",
                    "章节": src.citation.section if src else "",
                    "出处": f"[{f.citation + 1}]",
                }
            )
    return pd.DataFrame(rows, columns=["轮次", "问题", "单位", "年度", "指标", "数值", "计量单位", "期间/增减", "原文",
                                       "引文", "表格行", "报告", "章节", "出处"])  # fmt: skip


def _source_rows(exchanges: list[Exchange]) -> pd.DataFrame:
    rows = [
        {
            "轮次": k,
            "出处": f"[{s.n}]",
            "单位": s.report.org if s.report else "",
            "年度": s.report.year if s.report else None,
            "报告": s.citation.title,
            "章节": s.citation.section,
            "引文": quote_of(s, ex.texts),
            "表格行": table_of(s),
            "文件": s.citation.doc,
            "字符": f"{s.citation.start}–{s.citation.end}",
        }
        for k, ex in enumerate(exchanges, 1)
        for s in ex.sources
    ]
    return pd.DataFrame(
        rows, columns=["轮次", "出处", "单位", "年度", "报告", "章节", "引文", "表格行", "文件", "字符"]
    )


def _turn_rows(exchanges: list[Exchange], zone: ZoneInfo) -> pd.DataFrame:
    rows = [
        {
            "轮次": k,
            "时间": datetime.fromtimestamp(ex.turn.asked_at, zone).strftime("%Y-%m-%d %H:%M")
            if ex.turn.asked_at
            else "",
            "问题": ex.turn.question,
            "回答": ex.turn.answer.answer,
        }
        for k, ex in enumerate(exchanges, 1)
    ]
    return pd.DataFrame(rows, columns=["轮次", "时间", "问题", "回答"])


def conversation_excel(exchanges: list[Exchange], zone: ZoneInfo) -> bytes:
    """Three sheets: 对话 (questions and answers), 数字 (every figure with its quote), 出处 (every citation)."""
    buffer = io.BytesIO()
    with pd.ExcelWriter(buffer, engine="openpyxl") as writer:
        for name, frame in (
            ("对话", _turn_rows(exchanges, zone)),
            ("数字", _figure_rows(exchanges)),
            ("出处", _source_rows(exchanges)),
        ):
            spreadsheet_safe(frame).to_excel(writer, index=False, sheet_name=name)
            sheet = writer.sheets[name]
            for col in sheet.columns:  # wide enough to read without resizing
                width = max((len(str(c.value or "")) for c in col[:50]), default=4)
                sheet.column_dimensions[col[0].column_letter].width = min(60, max(8, width * 1.6))
    return buffer.getvalue()


def conversation_word(exchanges: list[Exchange], zone: ZoneInfo) -> bytes:
    """A .docx: per question its answer, a table of its figures and the quoted source of each citation."""
    document = docx.Document()
    style = document.styles["Normal"]
    style.font.size = Pt(10.5)
    style.element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), "宋体")  # Chinese in a Chinese face
    document.add_heading(TITLE, level=1)
    document.add_paragraph(f"导出时间：{datetime.now(zone).strftime('%Y-%m-%d %H:%M')}（北京时间）")
    for k, ex in enumerate(exchanges, 1):
        answer = ex.turn.answer
        document.add_heading(f"{k}. {ex.turn.question}", level=2)
        document.add_paragraph(answer.answer)
        if answer.figures:
            columns = ["单位", "年度", "指标", "数值", "原文", "出处"]
            table = document.add_table(rows=1, cols=len(columns))
            table.style = "Table Grid"
            for cell, name in zip(table.rows[0].cells, columns, strict=True):
                cell.text = name
            for f in answer.figures:
                sign = {"down": "减少 ", "up": "增加 "}.get(f.direction, "")
                values = [f.org, f"{f.year}年" if f.year else "", f.metric, f"{sign}{f.value:g}{f.unit}", shown(f),
                          f"[{f.citation + 1}]"]  # fmt: skip
                for cell, value in zip(table.add_row().cells, values, strict=True):
                    cell.text = value
        for s in ex.sources:
            p = document.add_paragraph(style="List Bullet")
            p.add_run(f"[{s.n}] {where(s)}").bold = True
            document.add_paragraph(f"引文：“{quote_of(s, ex.texts)}”")
            if s.table is not None:
                document.add_paragraph(f"表格行：{table_of(s)}")
            document.add_paragraph(f"文件 {s.citation.doc} · 字符 {s.citation.start}–{s.citation.end}").runs[
                0
            ].font.size = Pt(8)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()
