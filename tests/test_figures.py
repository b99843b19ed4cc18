"""Figure extraction on small texts: labels, units, periods, compound counts, malformed numbers."""

from __future__ import annotations

import math
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from qa_app.config import Settings
from qa_app.figures import parse_number
from qa_app.pipeline import FileResult, process_file

HEADER = "2024年度某某县民政局部门整体支出绩效自评报告\n"


def run(tmp_path: Path, body: str, name: str = "r.txt") -> FileResult:
    path = tmp_path / name
    path.write_text(HEADER + body, encoding="utf-8")
    return process_file(path, Settings())


def figures(tmp_path: Path, body: str) -> list[tuple[str, float, str, str, str]]:
    return [(f.text, f.value, f.unit, f.metric, f.period) for f in run(tmp_path, body).figures]


def test_metadata_from_title(tmp_path: Path) -> None:
    report = run(tmp_path, "一、基本情况\n在职人员10人。\n").reports[0]
    assert (report.org, report.region, report.year, report.type) == ("某某县民政局", "某某县", 2024, "部门整体支出")


def test_label_is_the_phrase_before_the_number(tmp_path: Path) -> None:
    assert figures(tmp_path, "其中：基本支出281.98万元，占30.61%；项目支出639.15万，占69.39%。\n") == [
        ("281.98万元", 281.98, "万元", "基本支出", "current"),
        ("30.61%", 30.61, "%", "基本支出占比", "current"),
        ("639.15万", 639.15, "万元", "项目支出", "current"),
        ("69.39%", 69.39, "%", "项目支出占比", "current"),
    ]


def test_previous_year_and_change(tmp_path: Path) -> None:
    found = run(tmp_path, "2024年基本支出1458.34万元，比去年同期1511.55万元，减少53.21万元，下降3.5%。\n").figures
    assert [(f.metric, f.period, f.year) for f in found] == [
        ("基本支出", "current", 2024),
        ("基本支出", "previous", 2023),
        ("基本支出", "change", 2024),
        ("基本支出", "change", 2024),
    ]


def test_compound_count_gives_one_figure_per_unit(tmp_path: Path) -> None:
    assert figures(tmp_path, "全年信访总量 1276 批2911人次，其中集访118批 1543人次。\n") == [
        ("1276 批", 1276, "批", "全年信访总量", "current"),
        ("2911人次", 2911, "人次", "全年信访总量", "current"),
        ("118批", 118, "批", "集访", "current"),
        ("1543人次", 1543, "人次", "集访", "current"),
    ]


def test_topic_before_colon_names_a_generic_total(tmp_path: Path) -> None:
    found = figures(tmp_path, "公务接待费：本年支出总额为0.42万元，比去年同期0.15万元增加0.27万元。\n")
    assert [(m, p) for _, _, _, m, p in found] == [
        ("公务接待费", "current"),
        ("公务接待费", "previous"),
        ("公务接待费", "change"),
    ]


def test_dates_ordinals_and_document_numbers_are_not_figures(tmp_path: Path) -> None:
    body = "根据《关于2024年预算的通知》（财预〔2024〕15号），2024年10月18日第3次会议审议，任务1：落实。\n"
    assert figures(tmp_path, body) == []


def test_thing_measured_after_the_number(tmp_path: Path) -> None:
    found = figures(tmp_path, "决定每年设立50万元的救助基金，另有2个下属事业单位。\n")
    assert [(t, m) for t, _, _, m, _ in found] == [("50万元", "救助基金"), ("2个", "下属事业单位")]


def test_range_shares_unit_and_label(tmp_path: Path) -> None:
    found = figures(tmp_path, "间接经济效益达到了200-400万元。\n")
    assert [(t, v, u, m) for t, v, u, m, _ in found] == [
        ("200", 200, "万元", "间接经济效益"),
        ("400万元", 400, "万元", "间接经济效益"),
    ]


def test_malformed_number_is_flagged_not_misread(tmp_path: Path) -> None:
    (found,) = run(tmp_path, "整体目标表覆盖全部预算收入 1857.41.51 万元。\n").figures
    assert found.malformed and math.isnan(found.value) and found.text == "1857.41.51 万元"


def test_full_width_and_spaced_numbers(tmp_path: Path) -> None:
    assert figures(tmp_path, "项目支出３９９．０７ 万元，增长　３％。\n") == [
        ("３９９．０７ 万元", 399.07, "万元", "项目支出", "current"),
        ("３％", 3.0, "%", "项目支出", "change"),
    ]


def test_table_cells_take_units_from_headers(tmp_path: Path) -> None:
    table = (
        "\t项  目\n\t年初预算（万元）\n\t实际支出（万元）\n\t完成率\n\t分值\n\n"
        "\t救助基金\n\t50\n\t284.14\n\t100%\n\t10\n\n\n"
    )
    found = figures(tmp_path, "附表\n" + table)
    assert [(t, v, u, m) for t, v, u, m, _ in found] == [
        ("50", 50, "万元", "救助基金·年初预算"),
        ("284.14", 284.14, "万元", "救助基金·实际支出"),
        ("100%", 100, "%", "救助基金·完成率"),
        ("10", 10, "分", "救助基金·分值"),
    ]


@pytest.mark.parametrize(
    ("text", "value", "bad"),
    [("1,805.99", 1805.99, False), ("92.00", 92.0, False), ("1857.41.51", math.nan, True), ("0", 0.0, False)],
)
def test_parse_number(text: str, value: float, bad: bool) -> None:
    parsed, malformed = parse_number(text)
    assert malformed is bad
    assert (math.isnan(parsed) and math.isnan(value)) or parsed == value


_UNITS = ["万元", "元", "%", "人次", "件", "个", "人", "批", "辆", "分", "亿元"]
_WORDS = ["基本支出", "项目经费", "来访", "退休人员", "公务车辆", "其中", "比去年", "增加", "占"]
_PUNCT = ["，", "。", "；", "、", "：", "\n"]


@st.composite
def sentences(draw) -> tuple[str, list[str]]:
    """Prose of words, punctuation and number-with-unit pieces; returns the text and those pieces."""
    parts: list[str] = []
    pieces: list[str] = []
    for _ in range(draw(st.integers(1, 8))):
        parts.append(draw(st.sampled_from(_WORDS)))
        number = draw(st.from_regex(r"[1-9][0-9]{0,3}(\.[0-9]{1,2})?", fullmatch=True))
        piece = number + draw(st.sampled_from(["", " "])) + draw(st.sampled_from(_UNITS))
        parts.append(piece)
        pieces.append(piece)
        parts.append(draw(st.sampled_from(_PUNCT)))
    return "".join(parts), pieces


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(sentences())
def test_every_number_with_unit_yields_a_figure_with_that_text(tmp_path: Path, case) -> None:
    body, pieces = case
    result = run(tmp_path, body + "\n")
    texts = [f.text for f in result.figures]
    assert texts == pieces
    for f in result.figures:
        assert result.doc.text[f.start : f.end] == f.text


def test_markdown_table_rows_are_table_rows(tmp_path: Path) -> None:
    body = "## 附表\n\n| 项目 | 年初预算（万元） | 实际支出（万元） |\n|---|---:|---:|\n| 救助基金 | 50 | 284.14 |\n"
    result = run(tmp_path, body, name="r.md")
    assert [(f.metric, f.value, f.unit) for f in result.figures] == [
        ("救助基金·年初预算", 50, "万元"),
        ("救助基金·实际支出", 284.14, "万元"),
    ]
    assert all(result.doc.text[f.start : f.end] == f.text for f in result.figures)
