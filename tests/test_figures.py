"""Figure extraction on small texts: labels, units, periods, compound counts, malformed numbers."""

from __future__ import annotations

import math
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from qa_app.config import Settings
from qa_app.extract.figures import parse_number
from qa_app.pipeline import FileResult
from qa_app.readers.base import IngestError
from qa_app.sandbox import process_file
from qa_app.text.normalize import normalize

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


def test_a_total_of_its_own_keeps_its_name(tmp_path: Path) -> None:
    # 收入总计 (with what was carried over) is not 收入; "共计" and "合计" lead to the number; a share's 总计 goes
    body = "本年收入总计25,422.73万元。全年项目支出合计300万元，其中基本支出200万元，占支出总计的66.67%。\n"
    assert [(m, v) for _, v, _, m, _ in figures(tmp_path, body)] == [
        ("收入总计", 25422.73),
        ("全年项目支出", 300),
        ("基本支出", 200),
        ("基本支出占支出", 66.67),
    ]


def test_a_table_copied_one_cell_per_line_is_a_table(tmp_path: Path) -> None:
    # a web page's table pasted with a line break after every cell: "|" starts a row, "预 算 数 |" is a cell
    rows = ["项 目 |\n预 算 数 |\n决 算 数 |", "公务接待费 |\n1 |\n2.14 |", "公务用车购置费 |\n80 |\n78.16 |"]
    body = "三公经费支出决算表\n单位:万元\n" + "".join(f"|\n{row}\n" for row in rows) + "说明如下。\n"
    result = run(tmp_path, body)
    assert [(f.metric, f.value, f.unit) for f in result.figures] == [
        ("公务接待费·预算数", 1, "万元"),
        ("公务接待费·决算数", 2.14, "万元"),
        ("公务用车购置费·预算数", 80, "万元"),
        ("公务用车购置费·决算数", 78.16, "万元"),
    ]
    assert all(result.doc.text[f.start : f.end] == f.text for f in result.figures)
    assert run(tmp_path, "合计 |\n说明 |\n").figures == []  # two lines ending in "|" are no table


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("用时10分钟完成。\n", [("10分钟", "分钟")]),
        ("全年接待100万人次。\n", [("100万人次", "万人次")]),
        ("惠及8万群众，投入8万元。\n", [("8万", "万"), ("8万元", "万元")]),
        ("排名第 3 名。\n", []),
        ("补助标准每人每月300元/人，单位成本58万元/处。\n", [("300元/人", "元/人"), ("58万元/处", "万元/处")]),
        ("服务期限3个月。\n", [("3个月", "个月")]),
        (
            "低保标准为1300元/人/月，特困标准758元/人*月。\n",
            [("1300元/人/月", "元/人/月"), ("758元/人*月", "元/人*月")],
        ),
    ],
)
def test_units_read_as_written(tmp_path: Path, body: str, expected: list[tuple[str, str]]) -> None:
    assert [(t, u) for t, _, u, _, _ in figures(tmp_path, body)] == expected


def test_negative_change_keeps_its_sign(tmp_path: Path) -> None:
    assert figures(tmp_path, "公用经费同比下降-3.2%。\n") == [("-3.2%", -3.2, "%", "公用经费", "change")]


def test_previous_year_named_first(tmp_path: Path) -> None:
    found = run(tmp_path, "上年同期支出80万元，本年100万元。\n").figures
    assert [(f.metric, f.period, f.year) for f in found] == [("支出", "previous", 2023), ("支出", "current", 2024)]


def test_previous_year_clause_after_a_labelled_figure(tmp_path: Path) -> None:
    """A "，上年为X" continues the clause before it: last year's figure of the same metric, not one named 上年."""
    body = (
        "公务接待费3.2万元，上年为2.9万元。基本支出232.88万元，占支出总额的51.79%，上年度为237.08万元；"
        "公务用车运行维护费2.53万元，上年5.94万元；会议费1.5万元，比上年的1.2万元增加0.3万元。\n"
    )
    found = run(tmp_path, body).figures
    assert [(f.text, f.metric, f.period, f.year) for f in found] == [
        ("3.2万元", "公务接待费", "current", 2024),
        ("2.9万元", "公务接待费", "previous", 2023),
        ("232.88万元", "基本支出", "current", 2024),
        ("51.79%", "基本支出占支出总额", "current", 2024),
        ("237.08万元", "基本支出", "previous", 2023),
        ("2.53万元", "公务用车运行维护费", "current", 2024),
        ("5.94万元", "公务用车运行维护费", "previous", 2023),
        ("1.5万元", "会议费", "current", 2024),
        ("1.2万元", "会议费", "previous", 2023),
        ("0.3万元", "会议费", "change", 2024),
    ]


def test_last_year_leading_a_clause_but_money_carried_over_is_this_years(tmp_path: Path) -> None:
    body = "全年实际支出118.23万元。上年该项目支出80.25万元。其中上年结转结余16.25万元，上年度结余结转9.5万元。\n"
    found = run(tmp_path, body).figures
    assert [(f.text, f.metric, f.period, f.year) for f in found] == [
        ("118.23万元", "全年实际支出", "current", 2024),
        ("80.25万元", "该项目支出", "previous", 2023),
        ("16.25万元", "上年结转结余", "current", 2024),
        ("9.5万元", "上年度结余结转", "current", 2024),
    ]


def test_years_in_titles_of_documents_and_since_clauses_are_not_the_figure_year(tmp_path: Path) -> None:
    body = "根据《2023年度专项资金管理办法》，本年拨付资金100万元。自2019年成立以来，累计支出900万元。\n"
    found = run(tmp_path, body).figures
    assert [(f.text, f.year) for f in found] == [("100万元", 2024), ("900万元", 2024)]


def test_list_markers_and_own_subjects_are_not_metric_words(tmp_path: Path) -> None:
    found = figures(tmp_path, "1.支出100万元。\n我委全年支出200万元；我中心共有在职人员12人。\n")
    assert [m for _, _, _, m, _ in found] == ["支出", "全年支出", "在职人员"]


def test_typed_lines_are_not_joined_as_if_wrapped(tmp_path: Path) -> None:
    found = figures(tmp_path, "本单位主要职能是负责全县的民政工作与社会救助工作\n支出100万元。\n")
    assert [m for _, _, _, m, _ in found] == ["支出"]


def test_table_units_stay_in_their_columns_and_ids_are_not_figures(tmp_path: Path) -> None:
    table = (
        "\t序号\n\t项目\n\t金额（万元）\n\t受益人数\n\t日期\n\n"
        "\t1\n\t救助\n\t50\n\t120\n\t2024\n\n\n"
        "\t项目\n\t金额（万元）\n\n\t合计\n\t100\n\n\n"
        "\t填报人\n\t张三\n\n\t联系电话\n\t13812345678\n\n\t邮政编码\n\t411100\n\n\n"
    )
    found = figures(tmp_path, "附表\n" + table)
    assert [(t, u, m) for t, _, u, m, _ in found] == [
        ("50", "万元", "救助·金额"),
        ("120", "", "救助·受益人数"),
        ("100", "万元", "合计·金额"),
    ]


def test_unit_named_above_a_table(tmp_path: Path) -> None:
    table = "\t项目\n\t年初预算\n\t执行数\n\n\t办公费\n\t12.5\n\t11\n\n\n"
    found = figures(tmp_path, "支出明细（单位：万元）\n" + table)
    assert [(t, u) for t, _, u, _, _ in found] == [("12.5", "万元"), ("11", "万元")]


_PIECES = [
    "一、基本情况\n", "(一)支出\n", "\t项目\n\t金额（万元）\n\n", "\t合计\n\t12.5\n\n\n", "[bookmark: _GoBack]",
    "\u200b", "\r\n", "\r", "　", "基本支出１２３．４万元，", "占45%。", "来访1276 批2911人次；", "附件2\n",
    "2023年度某县民政局部门整体支出绩效自评报告\n", "| 项目 | 金额 |\n|---|---|\n| 办公费 | 3万元 |\n",
]  # fmt: skip


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.sampled_from(_PIECES), min_size=1, max_size=25))
def test_offsets_hold_on_any_mix_of_prose_tables_and_artefacts(tmp_path: Path, pieces: list[str]) -> None:
    text = "".join(pieces)
    path = tmp_path / "mix.txt"
    path.write_bytes(text.encode("utf-8"))
    try:
        result = process_file(path, Settings())
    except IngestError:
        assert not normalize(text).text.strip()  # only a file with no text at all is refused
        return
    assert_offsets_hold(result, text)


def assert_offsets_hold(result: FileResult, text: str) -> None:
    """Stored text kept as decoded; reports tile it; every chunk and figure points at its own text."""
    stored = result.doc.text
    assert stored == text
    assert result.reports[0].start == 0 and result.reports[-1].end == len(stored)
    for c in result.chunks:
        assert stored[c.start : c.end] == c.text
    for f in result.figures:
        assert stored[f.start : f.end] == f.text
        assert f.quote_start <= f.start < f.end <= f.quote_end


def test_negative_cell_values(tmp_path: Path) -> None:
    table = "\t项目\n\t增减（万元）\n\t增幅\n\n\t办公费\n\t-12.5\n\t−3%\n\n\n"
    found = figures(tmp_path, "附表\n" + table)
    assert [(t, v, u) for t, v, u, _, _ in found] == [("-12.5", -12.5, "万元"), ("−3%", -3.0, "%")]


def test_a_caption_unit_covers_its_own_table_only(tmp_path: Path) -> None:
    body = (
        "单位：万元\n\t项目\n\t预算\n\t执行\n\n\t资金总额\n\t300\n\t290\n\n\n"
        "绩效指标表\n\t指标\n\t年度指标值\n\t实际完成值\n\n\t新建水厂\n\t5\n\t5\n\n\t完成时间\n\t2024.12\n\t2024.11\n\n\n"
    )
    found = figures(tmp_path, body)
    assert [(t, u, m) for t, _, u, m, _ in found] == [
        ("300", "万元", "资金总额·预算"),
        ("290", "万元", "资金总额·执行"),
        ("5", "", "新建水厂·年度指标值"),
        ("5", "", "新建水厂·实际完成值"),
    ]


def test_header_over_two_rows_gives_the_unit_and_serials_are_not_figures(tmp_path: Path) -> None:
    table = (
        "\t序号\n\t项目\n\t预算数（万元）\n\t执行数（万元）\n\n"
        "\t\n\t\n\t年初\n\t调整后\n\t年初\n\t调整后\n\n"
        "\t1\n\t饮水工程\n\t300\n\t320\n\t290\n\t310\n\n\n"
    )
    found = figures(tmp_path, "附表\n" + table)
    assert [(t, u) for t, _, u, _, _ in found] == [("300", "万元"), ("320", "万元"), ("290", "万元"), ("310", "万元")]


def test_items_listed_before_respectively_pair_with_the_numbers(tmp_path: Path) -> None:
    body = (
        "基本支出、项目支出分别为300万元、200万元。"
        "年初预算数、全年预算数和全年执行数分别为649.24万元、1186.96万元和1186.19万元。\n"
    )
    assert [(m, v) for _, v, _, m, _ in figures(tmp_path, body)] == [
        ("基本支出", 300),
        ("项目支出", 200),
        ("年初预算数", 649.24),
        ("全年预算数", 1186.96),
        ("全年执行数", 1186.19),
    ]
    body = "决算收入、支出分别是326.68万元、329.98万元，与上年分别减少141.58万元、138.81万元。\n"
    assert [(m, p) for _, _, _, m, p in figures(tmp_path, body)] == [
        ("决算收入", "current"),
        ("支出", "current"),
        ("决算收入", "change"),
        ("支出", "change"),
    ]


def test_row_labels_skip_lead_words_long_descriptions_and_numbers(tmp_path: Path) -> None:
    table = (
        "\t项目\n\t说明\n\t预算（万元）\n\n"
        "\t其中：当年财政拨款\n\t\n\t300\n\n"
        "\t农田改造\n\t本项目主要用于第1批次高标准农田建设，涉及面积1万亩，覆盖全县多个乡镇的农田。\n\t500\n\n\n"
    )
    found = figures(tmp_path, "附表\n" + table)
    assert [(m, v) for _, v, _, m, _ in found if m.endswith("·预算")] == [
        ("当年财政拨款·预算", 300),
        ("农田改造·预算", 500),
    ]


def test_column_headers_set_year_and_period(tmp_path: Path) -> None:
    table = "\t指标\n\t2023年\n\t2024年\n\t上年数\n\t增减\n\n\t收入合计（万元）\n\t1200.5\n\t1300\n\t1100\n\t100\n\n\n"
    found = run(tmp_path, "附表\n" + table).figures
    assert [(f.value, f.year, f.period) for f in found] == [
        (1200.5, 2023, "current"),
        (1300, 2024, "current"),
        (1100, 2023, "previous"),
        (100, 2024, "change"),
    ]


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("耕地面积1.2万亩，投资1.5亿。\n", [("1.2万亩", "万亩"), ("1.5亿", "亿元")]),
        ("详见表1。如图2所示的5个项目。\n", [("5个", "个")]),
        ("①工资福利支出100万元。\n", [("100万元", "万元")]),
    ],
)
def test_more_units_and_references(tmp_path: Path, body: str, expected: list[tuple[str, str]]) -> None:
    assert [(t, u) for t, _, u, _, _ in figures(tmp_path, body)] == expected
    if body.startswith("①"):
        assert figures(tmp_path, body)[0][3] == "工资福利支出"


def test_three_typed_list_lines_are_not_taken_for_wrapped_text(tmp_path: Path) -> None:
    body = (
        "本单位认真落实各项工作部署并取得了较好成效\n"
        "本单位严格执行各项财务管理制度并规范了支出审批\n"
        "本单位不断加强队伍建设并提升了整体业务能力水平\n"
        "项目支出100万元。\n"
    )
    assert [m for _, _, _, m, _ in figures(tmp_path, body)] == ["项目支出"]


def test_amounts_and_shares_in_chinese_numerals(tmp_path: Path) -> None:
    body = "决定每年安排救助资金五十万元，追加三千二百万元，群众满意度达到百分之九十八，一是加强管理。\n"
    assert [(t, v, u) for t, v, u, _, _ in figures(tmp_path, body)] == [
        ("五十万元", 50, "万元"),
        ("三千二百万元", 3200, "万元"),
        ("百分之九十八", 98, "%"),
    ]


_ANY_TITLE = "2024年度某某县民政局部门整体支出绩效自评报告\n"

# Any text at all: CJK, digits (ASCII and full-width), units, headings, tabs, CR/LF, spaces, emoji, control
# characters. Whatever the reader makes of it, every section, chunk and figure points at its own text.
_ALPHABET = st.one_of(
    st.sampled_from(list("一二三四五六七八九十（）()、.。，；：%万元人次件个年度支出预算\n\t\r 　０１２３４")),
    st.characters(codec="utf-8", exclude_categories=("Cs",)),
)


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(body=st.text(alphabet=_ALPHABET, max_size=600))
def test_offsets_round_trip_on_arbitrary_text(tmp_path: Path, body: str) -> None:
    path = tmp_path / "any.txt"
    path.write_bytes((_ANY_TITLE + body).encode("utf-8"))
    try:
        result = process_file(path, Settings())
    except IngestError as exc:  # only for a reason a person can act on
        assert str(exc) in {"empty file", "no text in file"} or str(exc).startswith("binary file"), exc
        return
    assert_offsets_hold(result, _ANY_TITLE + body)


def test_level_reached_and_year_end_dates(tmp_path: Path) -> None:
    """A "由上年的X增加到Y" gives last year's X and this year's Y, both of the subject; a date at the year's end
    states its year, another date does not; "已完成拨付" is the subject's money paid."""
    body = (
        "初中学生由上年的9425.2元增加到9577.9元,增长1.6%。\n"
        "专项资金共500万元,截止2023年12月31日,已完成拨付480.5万元。\n"
        "2025年3月编制:项目支出12万元。\n"
    )
    found = run(tmp_path, body).figures
    assert [(f.text, f.metric, f.period, f.year) for f in found] == [
        ("9425.2元", "初中学生", "previous", 2023),
        ("9577.9元", "初中学生", "current", 2024),
        ("1.6%", "初中学生", "change", 2024),
        ("500万元", "专项资金", "current", 2024),
        ("480.5万元", "专项资金完成拨付", "current", 2023),
        ("12万元", "项目支出", "current", 2024),
    ]


def test_a_part_does_not_become_the_subject_of_the_whole(tmp_path: Path) -> None:
    """After "其中…" lists parts, a measure-only label names the whole again; a share still names the part
    before it; a clause that only says "为" takes its name from the clause before; 而 and 下达 are read right."""
    body = (
        "上级补助资金下达我县200万元,其中救助资金150万元,保障金50万元,调减30万元,全年实际下达170万元。\n"
        "本年支出为900万元,其中基本支出为600万元,占支出总额的66.7%。\n"
        "其中,甲校增长率最高,为12.5%。\n"
        "预算总收入为30亿元,而决算总收入达到了35亿元。\n"
    )
    found = run(tmp_path, body).figures
    assert [(f.text, f.metric) for f in found] == [
        ("200万元", "上级补助资金下达我县"),
        ("150万元", "救助资金"),
        ("50万元", "保障金"),
        ("30万元", "调"),
        ("170万元", "上级补助资金下达我县全年实际下达"),
        ("900万元", "支出"),
        ("600万元", "基本支出"),
        ("66.7%", "基本支出占支出总额"),
        ("12.5%", "甲校增长率最高"),
        ("30亿元", "预算总收入"),
        ("35亿元", "决算总收入"),
    ]


def test_a_measure_only_sentence_names_the_paragraphs_subject_of_its_unit(tmp_path: Path) -> None:
    """ "年初预算103.59万元" opening a sentence is the budget of the money the paragraph spoke of (项目支出), not of
    the count (专项11个) said last; a new paragraph forgets it."""
    body = "本年项目支出376.23万元，安排专项11个。年初预算103.59万元，本年追加272.64万元。\n年初预算50万元。\n"
    found = run(tmp_path, body).figures
    assert [(f.text, f.metric) for f in found] == [
        ("376.23万元", "项目支出"),
        ("11个", "安排专项"),
        ("103.59万元", "项目年初预算"),
        ("272.64万元", "追加"),
        ("50万元", "年初预算"),
    ]


def test_a_table_saved_one_cell_per_paragraph(tmp_path: Path) -> None:
    """A portal's table saved as text: each cell a paragraph, the unit declared above. An amount right after
    its label is that label's figure; 序号 integers and an amount after an amount are none."""
    body = (
        "部门预算收支总表\n\n单位:万元\n\n序号\n\n收入\n\n预算数\n\n支出\n\n预算数\n\n"
        "1\n\n一、一般公共预算拨款收入\n\n1234.56\n\n一、一般公共服务支出\n\n \n\n"
        "2\n\n二、政府性基金预算拨款收入\n\n \n\n二、教育支出\n\n1200.06\n\n34.50\n\n"
    )
    assert [(f.text, f.unit, f.metric) for f in run(tmp_path, body).figures] == [
        ("1234.56", "万元", "一般公共预算拨款收入"),
        ("1200.06", "万元", "教育支出"),
    ]


def test_direction_and_unit_cells_of_an_indicator_row(tmp_path: Path) -> None:
    """ "| 学生受资助人数 | ≧ | 735 | 人次 | 735 |": the row's label is the indicator, not the ≧ or 人次 beside the
    number, and the 度量单位 cell gives the target its unit."""
    body = "| 数量指标 | 学生受资助人数 | ≧ | 735 | 人次 | 720 |\n| 质量指标 | 覆盖率 | ═ | 100 | % | 98% |\n"
    assert [(f.text, f.unit, f.metric) for f in run(tmp_path, body).figures] == [
        ("735", "人次", "学生受资助人数"),
        ("720", "", "学生受资助人数"),
        ("100", "%", "覆盖率"),
        ("98%", "%", "覆盖率"),
    ]


def test_the_thing_measured_after_the_number_names_the_subject(tmp_path: Path) -> None:
    """ "甲校首次突破40亿,以41.09亿元的年度预算…": the amount is 甲校's 年度预算, not a figure labelled "以"."""
    found = figures(tmp_path, "其中,甲校首次突破40亿,以41.09亿元的年度预算,位居第一。\n")
    assert [(text, metric) for text, _, _, metric, _ in found] == [
        ("40亿", "甲校首次突破"),
        ("41.09亿元", "甲校首次突破年度预算"),
    ]


def test_target_and_completion_side_by_side_in_a_flattened_form(tmp_path: Path) -> None:
    """A 自评表 flattened into text: under a header naming 年初目标值 then 实际完成值, the last of numbers
    standing next to one another in one unit is what was done, the ones before it the target."""
    body = (
        "三级指标年初目标值 (A)实际完成值 (B)得分效益指标完成新院建设,门诊收入达到3亿元3亿元3.25亿元10\n"
        "门诊人次8万人次\n"
    )
    assert [(f.text, f.metric) for f in run(tmp_path, body).figures] == [
        ("3亿元", "门诊收入·年初目标值"),
        ("3亿元", "门诊收入·年初目标值"),
        ("3.25亿元", "门诊收入·实际完成值"),
        ("8万人次", "门诊人次"),
    ]


def test_a_list_of_flows_is_one_label(tmp_path: Path) -> None:
    """ "年初预算一般公共预算收入、支出为308.76万元": the label is the whole list, not its last flow 支出, and the
    changes after it are its changes."""
    body = "2022年，本部门年初预算一般公共预算收入、支出为308.76万元，比上年增加135.37万元，增长78.07%。\n"
    assert [(text, metric, period) for text, _, _, metric, period in figures(tmp_path, body)] == [
        ("308.76万元", "年初预算一般公共预算收入、支出", "current"),
        ("135.37万元", "年初预算一般公共预算收入、支出", "change"),
        ("78.07%", "年初预算一般公共预算收入、支出", "change"),
    ]


def test_a_table_flattened_into_a_line_gives_each_column_its_cell(tmp_path: Path) -> None:
    """A form sheet saved as text puts its column words and the rows under them on one line: the k-th cell
    of the first row is the k-th column's figure, an amount in the unit declared before the words, a score
    in 分. The line's numbers are no sentence's: none is read with the words before it as its label."""
    body = (
        "项目名称 乡村道路养护补助 主管部门 某某县交通运输局 项目资金 (万元) 年度资金总额 "
        "全年预算数 全年执行数 分值 执行率 得分 120.50 118.20 10 98.09% 9.8 120.50 118.20 — 98.09% —\n"
    )
    assert figures(tmp_path, body) == [
        ("120.50", 120.5, "万元", "全年预算数", "current"),
        ("118.20", 118.2, "万元", "全年执行数", "current"),
        ("10", 10.0, "分", "分值", "current"),
        ("98.09%", 98.09, "%", "执行率", "current"),
        ("9.8", 9.8, "分", "得分", "current"),
    ]


def test_cells_that_do_not_fill_whole_rows_under_the_column_words_are_not_assigned(tmp_path: Path) -> None:
    """Two cells under three column words: which column each is cannot be told, so none is given one."""
    body = "资金情况 (万元) 全年预算数 全年执行数 执行率 120.50 118.20\n"
    assert [metric for _, _, _, metric, _ in figures(tmp_path, body)] == []
