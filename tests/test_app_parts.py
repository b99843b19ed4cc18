"""The app's pure parts on the real seed index: sources of citations, the figures table, refusals, time."""

from __future__ import annotations

from qa_app.engine import Engine
from qa_app.search.retrieve import Within
from qa_app.ui.figure_table import duplicate_pairs, figures_table
from qa_app.ui.refusals import chinese_reason
from qa_app.ui.sources import sources
from qa_app.ui.view import table_html


def test_a_table_row_is_shown_under_its_header_and_a_long_cell_as_a_sentence(engine: Engine) -> None:
    answer = engine.ask("湘潭县信访救助支出多少")
    first, second = sources(answer, engine.index, engine.settings.ranking.max_quote)
    assert first.table is None  # a paragraph in a label | text table is a sentence, not a table quote
    assert first.report is not None and (first.report.org, first.report.year) == ("湘潭县信访局", 2024)
    text = engine.index.texts[first.citation.doc]
    assert text[first.sentence.mark_start : first.sentence.mark_end] == "519.69万元"
    assert second.table is not None
    assert second.table.header == (
        ("项目", "年初预算（万元）", "年中追加预算（万元）", "实际支出（万元）", "预算执行完成率"),
    )
    assert second.table.row == ("信访救助基金", "50", "234.14", "284.14", "100%")
    assert second.table.marked == frozenset({3})
    assert "<mark>284.14</mark>" in table_html(second.table)


def test_a_sentence_naming_another_measure_is_not_the_same_figure(engine: Engine) -> None:
    answer = engine.ask("湘潭县信访局2023年信访救助基金实际支出")
    (src,) = [s for s in sources(answer, engine.index, 200) if s.table is not None and "284.14" in s.table.row]
    said = engine.index.texts[src.sentence.doc][src.sentence.start : src.sentence.end]
    # 总预算284.14万元 and 实际预算指标收入284.14万元 state the same number as budgets: not this figure
    assert "共使用284.14万元" in said and "预算" not in said


def test_figures_table_merges_duplicates_and_signs_changes(engine: Engine) -> None:
    figures = Within(frozenset(["岳阳市信访局"])).keep(engine.index.figures)
    table = figures_table(figures, engine.index.reports, engine.index.texts, 200)
    pairs = duplicate_pairs(figures)
    assert len(table) == len(figures) - len(pairs) and len(pairs) > 0
    basic = table[(table["指标"] == "基本支出") & (table["数值"] == 586.11)]
    assert list(basic["来源"]) == ["正文、表格"]  # once, with both sources
    assert "586.11" in basic["原文"].iloc[0] and basic["报告"].iloc[0] == "2024年度岳阳市信访局整体支出绩效自评报告"
    assert basic["查看"].iloc[0].startswith("?report=")
    everything = figures_table(engine.index.figures, engine.index.reports, engine.index.texts, 200)
    down = everything[everything["期间/增减"] == "减少"]
    up = everything[everything["期间/增减"] == "增加"]
    assert len(down) > 0 and (down["数值"] < 0).all()
    assert len(up) > 0 and (up["数值"] > 0).all()
    assert all(("减少" in q or "下降" in q or "降低" in q or "节约" in q) for q in down["原文"]), list(down["原文"])
    assert set(everything["期间/增减"]) <= {"本年", "上年", "增减", "增加", "减少"}


def test_refusals_are_in_chinese() -> None:
    assert (
        chinese_reason("not a readable .docx (damaged or incomplete file)")
        == "不是可读的 Word（.docx）文件（文件损坏或不完整）"
    )
    assert chinese_reason("unsupported file type .exe") == "不支持的文件类型 .exe"
    assert chinese_reason("file too large (70.0 MB > 64 MB)") == "文件过大（70.0 MB，上限 64 MB）"
    assert chinese_reason("扫描页超过 40 页，已拒绝") == "扫描页超过 40 页，已拒绝"
    assert chinese_reason("something new") == "无法读取（something new）"
