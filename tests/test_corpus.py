"""The seed reports: reports and metadata found, offsets exact, figures hand-checked against the text."""

from __future__ import annotations

import itertools
import math
import re

import pytest

from qa_app.pipeline import FileResult
from qa_app.text.normalize import normalize

EXPECTED_REPORTS = {
    "000_b015b3dd7bb80183.txt": [
        ("2024年度部门整体支出绩效评价报告", "湘潭县信访局", "湘潭县", 2024, "部门整体支出"),
        ("2024年信访专项资金项目支出绩效评价报告", "湘潭县信访局", "湘潭县", 2024, "项目支出"),
        ("2024年信访救助资金项目支出绩效评价报告", "湘潭县信访局", "湘潭县", 2024, "项目支出"),
    ],
    "001_8614dcb30a713240.txt": [
        ("2024年度岳阳市信访局整体支出绩效自评报告", "岳阳市信访局", "岳阳市", 2024, "部门整体支出"),
    ],
    "002_fe196754cb2e25a4.txt": [
        ("2021年度长沙市信访局部门整体支出绩效自评报告", "长沙市信访局", "长沙市", 2021, "部门整体支出"),
    ],
    "003_d2e36f3a4881f76a.txt": [
        ("2023年信访救助基金项目支出绩效自评报告", "湘潭县信访局", "湘潭县", 2023, "项目支出"),
    ],
    "004_be4a0c6940302084.txt": [
        ("2022年度株洲市渌口区信访局整体支出绩效自评表", "株洲市渌口区信访局", "株洲市 › 渌口区", 2022, "自评表"),
        ("2022年度株洲市渌口区信访局整体支出绩效自评报告", "株洲市渌口区信访局", "株洲市 › 渌口区", 2022,
         "部门整体支出"),
    ],
}  # fmt: skip


def test_reports_and_metadata(corpus_results: dict[str, FileResult]) -> None:
    assert set(corpus_results) == set(EXPECTED_REPORTS)
    for name, expected in EXPECTED_REPORTS.items():
        found = [(r.title, r.org, r.region, r.year, r.type) for r in corpus_results[name].reports]
        assert found == expected, name


def test_reports_cover_each_file_in_order(corpus_results: dict[str, FileResult]) -> None:
    for result in corpus_results.values():
        spans = [(r.start, r.end) for r in result.reports]
        assert spans[0][0] == 0 and spans[-1][1] == len(result.doc.text)
        assert all(a[1] == b[0] for a, b in itertools.pairwise(spans))


def test_every_chunk_and_figure_is_exact_stored_text(corpus_results: dict[str, FileResult]) -> None:
    n_chunks = n_figures = 0
    for result in corpus_results.values():
        text = result.doc.text
        for c in result.chunks:
            assert text[c.start : c.end] == c.text
            n_chunks += 1
        for f in result.figures:
            assert text[f.start : f.end] == f.text
            assert f.quote_start <= f.start < f.end <= f.quote_end
            n_figures += 1
    assert n_chunks > 100 and n_figures > 300


def test_sections_follow_headings(corpus_results: dict[str, FileResult]) -> None:
    sections = {c.section for r in corpus_results.values() for c in r.chunks}
    # Numbered headings, and label cells of the table-shaped reports.
    for expected in (
        "一般公共预算支出情况 › 基本支出 › 基本支出用途",
        "存在的问题",
        "改进措施",
        "报告附表 › 全年县级专项资金预算执行情况",
        "存在的问题及原因分析",
    ):
        assert any(s.endswith(expected) for s in sections), expected


def test_chunks_have_bounded_size_and_prefix(corpus_results: dict[str, FileResult], settings) -> None:
    for result in corpus_results.values():
        reports = {r.report_id: r for r in result.reports}
        for c in result.chunks:
            report = reports[c.report_id]
            assert c.index_text.startswith(f"{report.org} {report.title}")
            if c.kind == "text":  # table rows are never cut, so only text chunks are bounded
                assert len(c.text) <= settings.chunk_max_chars


def test_table_row_knows_its_columns_and_unit(corpus_results: dict[str, FileResult]) -> None:
    result = corpus_results["001_8614dcb30a713240.txt"]
    row = [f for f in result.figures if f.metric.startswith("年度资金总额·")]
    assert [(f.metric.split("·")[1], f.value, f.unit) for f in row] == [
        ("年初预算数", 649.24, "万元"),
        ("全年预算数", 1186.96, "万元"),
        ("全年执行数", 1186.19, "万元"),
        ("分值", 10.0, "分"),
        ("执行率", 99.94, "%"),
        ("得分", 9.94, "分"),
    ]
    chunk = next(c for c in result.chunks if "年度资金总额" in c.index_text)
    assert "全年执行数 1186.19万元" in chunk.index_text


# (file prefix, organisation, year, metric, value, unit): read by hand from the seed texts.
HAND_CHECKED = [
    ("000", "湘潭县信访局", 2024, "信访救助支出", 519.69, "万元"),
    ("000", "湘潭县信访局", 2024, "基本支出", 281.98, "万元"),
    ("000", "湘潭县信访局", 2024, "基本支出占比", 30.61, "%"),
    ("000", "湘潭县信访局", 2024, "项目支出", 639.15, "万元"),
    ("000", "湘潭县信访局", 2024, "项目支出占比", 69.39, "%"),
    ("000", "湘潭县信访局", 2024, "人事代理经费支出", 4.54, "万元"),
    ("000", "湘潭县信访局", 2024, "年初预算", 444.87, "万元"),
    ("000", "湘潭县信访局", 2024, "募集捐款", 2100, "元"),
    ("000", "湘潭县信访局", 2024, "申诉求决类初次信访件一次性化解率", 97.14, "%"),
    ("000", "湘潭县信访局", 2024, "项目金额", 114.92, "万元"),
    ("001", "岳阳市信访局", 2024, "年度资金总额·全年执行数", 1186.19, "万元"),
    ("001", "岳阳市信访局", 2024, "年度资金总额·年初预算数", 649.24, "万元"),
    ("001", "岳阳市信访局", 2024, "年度资金总额·执行率", 99.94, "%"),
    ("001", "岳阳市信访局", 2024, "基本支出", 586.11, "万元"),
    ("001", "岳阳市信访局", 2024, "基本支出占支出总额", 60.9, "%"),
    ("001", "岳阳市信访局", 2024, "公务车辆编制", 1, "辆"),
    ("001", "岳阳市信访局", 2024, "在职人数", 28, "人"),
    ("001", "岳阳市信访局", 2024, "退休人数", 11, "人"),
    ("001", "岳阳市信访局", 2024, "公用经费支出", 91.68, "万元"),
    ("001", "岳阳市信访局", 2024, "项目支出", 376.23, "万元"),
    ("002", "长沙市信访局", 2021, "公务接待费", 0.42, "万元"),
    ("002", "长沙市信访局", 2021, "基本支出", 1458.34, "万元"),
    ("002", "长沙市信访局", 2021, "项目支出", 399.07, "万元"),
    ("002", "长沙市信访局", 2021, "印刷费", 9.93, "万元"),
    ("002", "长沙市信访局", 2021, "会议费", 4.33, "万元"),
    ("002", "长沙市信访局", 2021, "来信", 7049, "件次"),
    ("002", "长沙市信访局", 2021, "到国家局越级访", 581, "人次"),
    ("002", "长沙市信访局", 2020, "基本支出", 1511.55, "万元"),
    ("002", "长沙市信访局", 2021, "特护期维稳工作专项", 83.28, "万元"),
    ("003", "湘潭县信访局", 2023, "信访救助基金总预算", 284.14, "万元"),
    ("003", "湘潭县信访局", 2023, "信访救助基金·实际支出", 284.14, "万元"),
    ("003", "湘潭县信访局", 2023, "信访救助基金·年初预算", 50, "万元"),
    ("004", "株洲市渌口区信访局", 2022, "特护期维稳项目支出", 122.97, "万元"),
    ("004", "株洲市渌口区信访局", 2022, "群众来信", 97, "件"),
    ("004", "株洲市渌口区信访局", 2022, "退休人员", 4, "人"),
    ("004", "株洲市渌口区信访局", 2022, "全区信访总量", 1276, "批"),
    ("004", "株洲市渌口区信访局", 2022, "全区信访总量", 2911, "人次"),
    ("004", "株洲市渌口区信访局", 2022, "年度资金总额·全年预算数", 326.68, "万元"),
]


@pytest.mark.parametrize(("prefix", "org", "year", "metric", "value", "unit"), HAND_CHECKED)
def test_hand_checked_figure(corpus_results, prefix, org, year, metric, value, unit) -> None:
    result = next(r for name, r in corpus_results.items() if name.startswith(prefix))
    matches = [
        f
        for f in result.figures
        if f.org == org and f.year == year and f.metric == metric and f.unit == unit and f.value == value
    ]
    assert matches, f"no figure {org} {year} {metric} {value}{unit}"
    for f in matches:
        assert str(value) in normalize(f.text).text.replace(",", "") or f"{value:g}" in f.text


def test_periods_of_compared_figures(corpus_results) -> None:
    figures = corpus_results["002_fe196754cb2e25a4.txt"].figures
    by_text = {(f.metric, f.value): f for f in figures if f.metric == "基本支出"}
    assert by_text[("基本支出", 1511.55)].period == "previous"
    assert by_text[("基本支出", 53.21)].period == "change"
    assert by_text[("基本支出", 3.5)].period == "change"
    assert by_text[("基本支出", 1458.34)].period == "current"


def test_malformed_number_is_kept_and_flagged(corpus_results) -> None:
    figures = corpus_results["002_fe196754cb2e25a4.txt"].figures
    bad = [f for f in figures if f.malformed]
    assert [f.text for f in bad] == ["1857.41.51 万元"]
    assert math.isnan(bad[0].value)


# An independent oracle for "a number with a unit" in the normalised text: the figures table must hold
# every one of them with a metric label.
_OCCURRENCE = re.compile(
    r"(?<![\d.])\d+(?:\.\d+)*(?:余|多)?(?:个百分点|万元|亿元|元|%|人次|件次|批次|个|人|件|批|分|辆|名|次|条|项|期|起|万)"
)


def test_figures_cover_numbers_with_units(corpus_results, capsys) -> None:
    total = labelled = 0
    missed: list[str] = []
    for result in corpus_results.values():
        view = result.doc.norm
        covered = [(f.start, f.end, bool(f.metric)) for f in result.figures]
        for m in _OCCURRENCE.finditer(view.text):
            s, e = view.stored_span(m.start(), m.end())
            total += 1
            hit = [lab for fs, fe, lab in covered if fs < e and s < fe]
            if hit and any(hit):
                labelled += 1
            else:
                missed.append(f"{result.doc.name}: {view.text[max(0, m.start() - 12) : m.end()]}")
    share = labelled / total
    with capsys.disabled():
        print(f"\nfigure coverage: {labelled}/{total} number-with-unit occurrences labelled ({share:.1%})")
        for line in missed:
            print("  missed:", line)
    assert share >= 0.98


def test_indexed_table_row_reads_each_value_with_header_and_unit(corpus_results: dict[str, FileResult]) -> None:
    chunk = next(c for c in corpus_results["001_8614dcb30a713240.txt"].chunks if "年度资金总额" in c.index_text)
    row = next(line for line in chunk.index_text.splitlines() if "年度资金总额" in line)
    assert row.endswith("年度资金总额 年初预算数 649.24万元 全年预算数 1186.96万元 全年执行数 1186.19万元 "
                        "分值 10分 执行率 99.94% 得分 9.94分")  # fmt: skip


@pytest.mark.parametrize(
    ("prefix", "metric", "value", "section"),
    [
        ("000", "信访救助支出", 519.69, "部门整体支出管理和使用基本情况"),
        ("000", "募集捐款", 2100, "部门整体支出绩效完成情况 › 依法履行工作职责 › 大力支援乡镇防汛"),
        ("001", "基本支出", 586.11, "一般公共预算支出情况 › 基本支出情况"),
        ("002", "印刷费", 9.93, "一般公共预算支出情况 › 项目支出 › 项目支出情况"),
        ("003", "信访救助基金·实际支出", 284.14, "报告附表 › 全年县级专项资金预算执行情况"),
        ("004", "特护期维稳项目支出", 122.97, "一般公共预算支出情况 › 项目支出情况"),
    ],
)
def test_figure_stands_in_its_section(corpus_results, prefix: str, metric: str, value: float, section: str) -> None:
    result = next(r for name, r in corpus_results.items() if name.startswith(prefix))
    figure = next(f for f in result.figures if f.metric == metric and f.value == value)
    assert figure.section == section
    chunk = next(c for c in result.chunks if c.chunk_id == figure.chunk_id)
    assert chunk.start <= figure.start and figure.end <= chunk.end
