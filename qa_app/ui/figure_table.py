"""The 数字 view's table: one row per figure a reader would count once, in Chinese, signed, with its source.

The index's figures table has a row per number found: a figure stated in a sentence and again in a table is
two rows, and a change keeps its size only (减少 53.21 is 53.21). Here a table row whose report states the
same figure in a sentence (`sources.same_figure_sentence`'s rule, as pairs found by one join) is folded into
that sentence's row, which then names both sources; a change is signed by the word before it (增加 / 减少).
Each row carries the report's title, its quote and a link that opens the 报告 view at the figure.
"""

from __future__ import annotations

from urllib.parse import urlencode

import pandas as pd

from qa_app.answer.compose import direction
from qa_app.answer.features import quote_span
from qa_app.ui.sources import measures

PERIODS = {"current": "本年", "previous": "上年", "change": "增减"}
CHANGE = {"down": "减少", "up": "增加"}
SOURCES = {"text": "正文", "table": "表格"}
COLUMNS = ["单位", "年度", "指标", "数值", "计量单位", "期间/增减", "原文", "报告", "章节", "来源", "查看"]


def report_link(report_id: str, at: int, conversation: str = "") -> str:
    """A link into the app that opens the 报告 view at offset `at` of a report (keeping the conversation)."""
    params = {"c": conversation} if conversation else {}
    return "?" + urlencode({**params, "report": report_id, "at": at})


def duplicate_pairs(figures: pd.DataFrame) -> pd.DataFrame:
    """(table row, sentence row) index pairs: a table figure and the one sentence of its report stating it.

    Same report, value, unit and period, naming the same measures; a table figure that two sentences could
    state is left alone (which one it is cannot be told here).
    """
    key = ["report_id", "value", "unit", "period"]
    table = figures[figures["source"] == "table"][[*key, "metric"]].reset_index(names="table_row")
    text = figures[figures["source"] == "text"][[*key, "metric"]].reset_index(names="text_row")
    pairs = table.merge(text, on=key, suffixes=("", "_text"))
    if pairs.empty:
        return pd.DataFrame({"table_row": [], "text_row": []}, dtype=int)
    same = [
        measures(a.split("·")[-1]) == measures(b) for a, b in zip(pairs["metric"], pairs["metric_text"], strict=True)
    ]
    pairs = pairs[same]
    pairs = pairs[~pairs["table_row"].duplicated(keep=False)]
    return pairs[["table_row", "text_row"]].reset_index(drop=True)


def figures_table(figures: pd.DataFrame, reports: pd.DataFrame, texts: dict[str, str], max_quote: int,
                  conversation: str = "") -> pd.DataFrame:  # fmt: skip
    """The figures as shown: Chinese columns, changes signed, prose and table duplicates as one row."""
    pairs = duplicate_pairs(figures)
    both = set(pairs["text_row"])
    shown = figures.drop(index=pairs["table_row"])
    titles = reports.set_index("report_id")["title"]
    rows = []
    for i, f in shown.iterrows():
        text = texts.get(f["doc"], "")
        a, b = quote_span(text, int(f["quote_start"]), int(f["quote_end"]), int(f["start"]), int(f["end"]), max_quote)
        way = direction(text[a : int(f["start"])]) if f["period"] == "change" else ""
        value = f["value"]
        rows.append(
            {
                "单位": f["org"] or "单位不详",
                "年度": None if pd.isna(f["year"]) else int(f["year"]),
                "指标": f["metric"],
                "数值": -value if way == "down" and pd.notna(value) else value,
                "计量单位": f["unit"],
                "期间/增减": CHANGE.get(way, PERIODS.get(f["period"], f["period"])),
                "原文": " ".join(text[a:b].split()),
                "报告": titles.get(f["report_id"], ""),
                "章节": f["section"] or "（开头）",
                "来源": "正文、表格" if i in both else SOURCES.get(f["source"], f["source"]),
                "查看": report_link(f["report_id"], int(f["start"]), conversation),
            }
        )
    return pd.DataFrame(rows, columns=COLUMNS)
