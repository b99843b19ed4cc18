"""Reports of other kinds, as Word and as PDF files with merged table headers: the right column, the right
unit and the right organisation.

One corpus of generated .docx files (invented county and figures): a 部门决算 of 青禾县财政局 whose 三公经费
table has a two-level merged header (预算数 and 决算数 over the same four columns, 项目 merged down) under a
"单位：万元" caption; a school and its 教育局, each with its own figures under the same metric names; and a
卫生健康局 自评表 with 年初预算数 / 全年预算数 / 全年执行数 / 分值 / 执行率 / 得分 per fund source. Written as .docx
(gridSpan, vMerge) and again as .pdf (spanned ruled cells), built with the real build and asked through the
real Engine.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from docgen import SPAN_LEFT as L
from docgen import SPAN_UP as U
from docgen import Paragraph, Table, write_docx, write_pdf

from qa_app.build import build_index
from qa_app.config import Settings
from qa_app.engine import Engine, get_engine
from qa_app.extract.tables import caption_subject
from qa_app.readers import IngestError, read_document
from qa_app.readers.base import render_blocks
from qa_app.sandbox import process_file
from qa_app.structure.layout import parse_layout
from qa_app.text.normalize import normalize

FINANCE = "青禾县财政局"
SCHOOL = "青禾县第一中学"
BUREAU = "青禾县教育局"
HEALTH = "青禾县卫生健康局"


def _items(*parts: str | list[list[str]]) -> list[Paragraph | Table]:
    return [Table(p) if isinstance(p, list) else Paragraph(p) for p in parts]


DEPARTMENT_ACCOUNTS = _items(
    f"{FINANCE}2024年度部门决算",
    "第一部分 部门概况",
    "一、主要职能",
    f"{FINANCE}是县人民政府主管全县财政收支、财税政策和国有资产管理的工作部门。",
    "二、部门决算单位构成",
    "纳入本部门2024年度部门决算编制范围的单位共3个，包括局机关和2个所属事业单位。",
    "第二部分 2024年度部门决算情况说明",
    "一、收入支出决算总体情况说明",
    "2024年度收入总计2,386.45万元，支出总计2,301.18万元，主要用于财政管理事务和预算编审。",
    f"{FINANCE}2024年度收入决算表",
    "单位：万元",
    [
        ["项目", "收入合计", "财政拨款收入", "其他收入", "上年结转"],
        ["合计", "2,386.45", "2,198.30", "35.20", "152.95"],
    ],
    "二、“三公”经费支出决算情况说明",
    "2024年度“三公”经费财政拨款支出决算为10.86万元，完成预算的86.9%，决算数小于预算数的主要原因是厉行节约，"
    "严格执行公务接待和公务用车管理规定。公务接待费主要用于上级部门检查指导工作发生的接待支出。",
    f"{FINANCE}2024年度“三公”经费支出决算表",
    "单位：万元",
    [
        ["项目", "预算数", L, L, L, "决算数", L, L, L],
        [U, *["合计", "因公出国（境）费", "公务用车购置及运行费", "公务接待费"] * 2],
        ["金额", "12.50", "0.00", "8.30", "4.20", "10.86", "0.00", "7.62", "3.24"],
    ],
    "三、其他重要事项的情况说明",
    "2024年度本部门无政府性基金预算财政拨款收入，也无使用政府性基金预算财政拨款安排的支出。",
)


def _overall(org: str, intro: str, rows: list[list[str]], students: str) -> list[Paragraph | Table]:
    return _items(
        f"{org}2024年度部门整体支出绩效自评报告",
        "一、部门基本情况",
        intro,
        "二、部门预算及执行情况",
        f"{org}2024年度支出预算执行情况如下表。",
        "单位：万元",
        [["支出类别", "年初预算数", "全年预算数", "全年执行数"], *rows],
        "三、部门整体支出绩效情况",
        f"{students}，各项工作任务按计划完成。",
    )


SCHOOL_REPORT = _overall(
    SCHOOL,
    f"{SCHOOL}系{BUREAU}所属公益一类事业单位，现有教学班48个，在职教职工186人。",
    [
        ["基本支出", "3,210.00", "3,425.60", "3,402.15"],
        ["项目支出", "352.00", "436.80", "413.57"],
        ["合计", "3,562.00", "3,862.40", "3,815.72"],
    ],
    "2024年在校学生2,316人",
)
BUREAU_REPORT = _overall(
    BUREAU,
    f"{BUREAU}是主管全县教育工作的县政府工作部门，下辖学校23所，其中{SCHOOL}为全县唯一一所省级示范性高中。",
    [
        ["基本支出", "20,150.00", "21,880.50", "21,604.33"],
        ["项目支出", "5,600.00", "6,536.40", "6,330.95"],
        ["合计", "25,750.00", "28,416.90", "27,935.28"],
    ],
    "2024年全县在校学生41,862人",
)

SELF_EVALUATION = _items(
    f"{HEALTH}2024年度部门整体支出绩效自评表",
    [
        ["预算部门名称", HEALTH],
        ["年度预算申请（万元）", "", "年初预算数", "全年预算数", "全年执行数", "分值", "执行率", "得分"],
        [U, "年度资金总额", "1,268.40", "1,532.75", "1,497.36", "10", "97.69%", "9.77"],
        [U, "其中：当年财政拨款", "1,168.40", "1,402.75", "1,371.06", "—", "97.74%", "—"],
        [U, "上年结转资金", "60.00", "90.00", "88.30", "—", "98.11%", "—"],
        [U, "其他资金", "40.00", "40.00", "38.00", "—", "95.00%", "—"],
    ],
    "年度绩效指标完成情况",
    [
        ["一级指标", "二级指标", "三级指标", "年度指标值", "实际完成值", "分值", "得分"],
        ["产出指标", "数量指标", "家庭医生签约人数", "≥5.2万人", "5.46万人", "10", "10"],
        [U, "质量指标", "孕产妇系统管理率", "≥90%", "93.6%", "10", "10"],
        ["效益指标", "社会效益指标", "居民健康档案建档率", "≥95%", "96.2%", "10", "9"],
        ["满意度指标", "服务对象满意度指标", "群众满意度", "≥90%", "94.5%", "10", "10"],
    ],
)


@pytest.fixture(scope="module", params=["docx", "pdf"])
def engine(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Engine:
    """The corpus as Word files, and the same as PDF files (ruled tables with the same merged cells)."""
    fmt = request.param
    write = write_docx if fmt == "docx" else write_pdf
    root = tmp_path_factory.mktemp(f"other-kinds-{fmt}")
    corpus = root / "corpus"
    corpus.mkdir()
    for name, items in [
        ("财政局2024年部门决算", DEPARTMENT_ACCOUNTS),
        ("第一中学2024年整体支出自评报告", SCHOOL_REPORT),
        ("教育局2024年整体支出自评报告", BUREAU_REPORT),
        ("卫健局2024年整体支出自评表", SELF_EVALUATION),
    ]:
        write(items, corpus / f"{name}.{fmt}")
    settings = Settings(corpus_dir=corpus, index_dir=root / "index")
    build_index(settings)
    return get_engine(settings)


def _answer(engine: Engine, question: str) -> list[tuple[float, str, str, int | None]]:
    answer = engine.ask(question)
    assert answer.found, answer.answer
    for f in answer.figures:  # every figure shown is quoted from its source
        assert f.text in answer.citations[f.citation].quote
    return [(f.value, f.unit, f.org, f.year) for f in answer.figures]


def test_the_organisations_are_read_each_as_itself(engine: Engine) -> None:
    reports = engine.index.reports
    assert sorted(reports["org"]) == sorted([FINANCE, SCHOOL, BUREAU, HEALTH])
    assert set(reports["year"]) == {2024}


# --- a merged two-level header: 预算数 and 决算数 over the same columns --------------------------------------


@pytest.mark.parametrize(
    ("question", "value"),
    [
        ("青禾县财政局2024年公务接待费决算数是多少", 3.24),
        ("青禾县财政局2024年公务接待费预算数是多少", 4.20),
        ("青禾县财政局2024年公务用车购置及运行费决算数是多少", 7.62),
        ("青禾县财政局2024年公务用车购置及运行费预算是多少", 8.30),
        ("青禾县财政局2024年三公经费预算数是多少", 12.50),
        ("青禾县财政局2024年三公经费决算数是多少", 10.86),
    ],
)
def test_the_measure_asked_picks_its_column_of_a_merged_header(engine: Engine, question: str, value: float) -> None:
    assert _answer(engine, question)[0] == (value, "万元", FINANCE, 2024)


def test_without_a_measure_word_the_actual_figure_leads_and_the_budget_follows(engine: Engine) -> None:
    found = _answer(engine, "青禾县财政局2024年公务接待费是多少")
    assert found[0] == (3.24, "万元", FINANCE, 2024)
    assert (4.20, "万元", FINANCE, 2024) in found[1:]


def test_a_merged_header_labels_the_figure_with_both_levels(engine: Engine) -> None:
    figures = engine.index.figures
    row = figures[(figures["org"] == FINANCE) & (figures["value"] == 3.24)]
    assert len(row) == 1
    metric = row["metric"].iloc[0]
    assert "决算数" in metric and "公务接待费" in metric and "预算数" not in metric


def test_money_carried_over_from_last_year_is_this_years_figure(engine: Engine) -> None:
    """A 上年结转 column is this year's income from what was left over last year, not last year's figure."""
    assert _answer(engine, "青禾县财政局2024年上年结转是多少")[0] == (152.95, "万元", FINANCE, 2024)
    figures = engine.index.figures
    carried = figures[(figures["org"] == FINANCE) & (figures["value"] == 152.95)]
    assert list(carried["period"]) == ["current"] and list(carried["year"]) == [2024]


# --- a school and its 教育局: a sub-unit is not its parent, nor the reverse --------------------------------


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("青禾县第一中学2024年基本支出全年执行数是多少", (3402.15, "万元", SCHOOL, 2024)),
        ("青禾县教育局2024年基本支出全年执行数是多少", (21604.33, "万元", BUREAU, 2024)),
        ("青禾一中2024年项目支出年初预算数是多少", (352.0, "万元", SCHOOL, 2024)),
        ("青禾县教育局2024年项目支出年初预算数是多少", (5600.0, "万元", BUREAU, 2024)),
        ("青禾县第一中学2024年在校学生多少人", (2316.0, "人", SCHOOL, 2024)),
        ("青禾县教育局2024年在校学生多少人", (41862.0, "人", BUREAU, 2024)),
    ],
)
def test_each_organisation_gets_its_own_figure(engine: Engine, question: str, expected: tuple) -> None:
    found = _answer(engine, question)
    assert found[0] == expected
    assert all(org == expected[2] for _, _, org, _ in found)


# --- a 自评表: 年初预算数, 全年预算数 and 全年执行数 each their own column ------------------------------------------


@pytest.mark.parametrize(
    ("question", "value", "unit"),
    [
        ("青禾县卫生健康局2024年年度资金总额年初预算数是多少", 1268.40, "万元"),
        ("青禾县卫生健康局2024年年度资金总额全年预算数是多少", 1532.75, "万元"),
        ("青禾县卫健局2024年年度资金总额全年执行数是多少", 1497.36, "万元"),
        ("青禾县卫生健康局2024年当年财政拨款全年执行数是多少", 1371.06, "万元"),
        ("青禾县卫生健康局2024年上年结转资金全年预算数是多少", 90.00, "万元"),
        ("青禾县卫生健康局2024年年度资金总额执行率是多少", 97.69, "%"),
        ("青禾县卫生健康局2024年孕产妇系统管理率实际完成值是多少", 93.6, "%"),
        ("青禾县卫生健康局2024年居民健康档案建档率得分是多少", 9.0, "分"),
    ],
)
def test_each_column_of_a_self_evaluation_table(engine: Engine, question: str, value: float, unit: str) -> None:
    assert _answer(engine, question)[0] == (value, unit, HEALTH, 2024)


def test_without_a_measure_word_a_self_evaluation_row_leads_with_what_was_spent(engine: Engine) -> None:
    found = _answer(engine, "青禾县卫生健康局2024年年度资金总额是多少")
    assert found[0] == (1497.36, "万元", HEALTH, 2024)
    assert (1532.75, "万元", HEALTH, 2024) in found[1:]


@pytest.mark.parametrize(
    "question",
    [
        "青禾县教育局2024年在职教职工多少人",  # only the school's report says it (186人)
        "青禾县第一中学2024年下辖学校多少所",  # only the 教育局's, in the sentence that names the school (23所)
    ],
)
def test_a_figure_of_the_other_organisation_is_no_answer(engine: Engine, question: str) -> None:
    answer = engine.ask(question)
    assert not answer.found, answer.answer


# --- the pieces: headers over several rows, captions, the grid of a Word table ------------------------------


def _headers(text: str) -> list[tuple[str, ...]]:
    layout = parse_layout(normalize(text).text)
    return [layout.context(b).headers for b in layout.blocks if b.is_row]


def _rows(*rows: list[str]) -> str:
    return render_blocks([list(r) for r in rows])


def test_three_header_levels_each_label_the_columns_they_stand_over() -> None:
    """The 三公经费 table of a 部门决算 (财决07): 公务用车购置及运行费 over 小计 | 购置费 | 运行费, all of it under
    预算数 and again under 决算数; 合计 and 公务接待费 merged down over two rows."""
    lower = ["小计", "公务用车购置费", "公务用车运行费"]
    text = _rows(
        ["预算数", "", "", "", "", "", "决算数"],
        [*["合计", "因公出国（境）费", "公务用车购置及运行费", "", "", "公务接待费"] * 2],
        [*["", "", *lower, ""] * 2],
        ["1.00", "0.00", "0.80", "0.30", "0.50", "0.20", "0.90", "0.00", "0.70", "0.20", "0.50", "0.20"],
    )
    assert _headers(text)[-1] == (
        "预算数·合计", "预算数·因公出国(境)费", "预算数·公务用车购置及运行费·小计",
        "预算数·公务用车购置及运行费·公务用车购置费", "预算数·公务用车购置及运行费·公务用车运行费", "预算数·公务接待费",
        "决算数·合计", "决算数·因公出国(境)费", "决算数·公务用车购置及运行费·小计",
        "决算数·公务用车购置及运行费·公务用车购置费", "决算数·公务用车购置及运行费·公务用车运行费", "决算数·公务接待费",
    )  # fmt: skip


@pytest.mark.parametrize(
    ("upper", "header", "expected"),
    [
        # a field row above the header is no level of it
        (
            ["预算部门名称", "青禾县卫生健康局"],
            ["项目", "年初预算数", "全年执行数"],
            ("项目", "年初预算数", "全年执行数"),
        ),
        # nor a row of labels of its own width that spans nothing
        (
            ["主管部门", "青禾县教育局", "实施单位"],
            ["项目", "年初预算数", "全年执行数"],
            ("项目", "年初预算数", "全年执行数"),
        ),
        # a label merged down over the header's empty cell, the last cell spanning the rest
        (["项目", "预算数（万元）"], ["", "年初", "调整后"], ("项目", "预算数(万元)·年初", "预算数(万元)·调整后")),
        # merged cells as the text export writes them (one cell each): which columns they cover is unknown
        (
            ["项目", "预算数", "决算数"],
            ["", "合计", "接待费", "合计", "接待费"],
            ("项目", "合计", "接待费", "合计", "接待费"),
        ),
    ],
)
def test_a_row_above_the_header_is_a_level_only_when_it_spans(upper: list, header: list, expected: tuple) -> None:
    assert _headers(_rows(upper, header, ["办公费", *["1.00"] * (len(header) - 1)]))[-1] == expected


def test_a_table_caption_names_a_row_that_says_nothing(tmp_path: Path) -> None:
    assert caption_subject("青禾县财政局2024年度“三公”经费支出决算表") == "三公经费支出决算"
    assert caption_subject("附表2") == caption_subject("|") == ""
    caption = "2024年度一般公共预算财政拨款基本支出决算表"
    path = tmp_path / "caption.txt"
    path.write_text(f"{caption}\n（单位：万元）\n" + _rows(["项目", "预算数", "决算数"], ["合计", "90.00", "86.20"]))
    found = process_file(path, Settings()).figures
    subject = "一般公共预算财政拨款基本支出决算"
    assert [(f.metric, f.unit) for f in found] == [(f"{subject}·预算数", "万元"), (f"{subject}·决算数", "万元")]
    assert all(f.section.endswith(caption) for f in found)


def test_a_word_tables_cells_stand_on_its_grid_and_a_wild_span_is_refused(tmp_path: Path) -> None:
    import docx

    document = docx.Document()
    table = document.add_table(rows=1, cols=3)
    table.cell(0, 0).merge(table.cell(0, 1)).text = "预算数"
    table.cell(0, 2).text = "决算数"
    document.save(str(tmp_path / "grid.docx"))
    assert read_document(tmp_path / "grid.docx").text == "\t预算数\n\t\n\t决算数\n\n\n"
    table._tbl.tr_lst[0].tc_lst[0].grid_span = 10**9  # a file may say anything
    document.save(str(tmp_path / "wild.docx"))
    with pytest.raises(IngestError, match="text too long"):
        read_document(tmp_path / "wild.docx")
