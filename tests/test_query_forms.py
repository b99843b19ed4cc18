"""How people word their questions: question forms, framings of the year, short department names, one
body under two names, and the budget names behind everyday wording (`parse_query`, `Catalog`).

The parsing checks run the real `parse_query` on a catalog of a few organisations; the end-to-end checks ask
the seed index (tests/conftest.py) the same forms.
"""

from __future__ import annotations

import pandas as pd
import pytest

from qa_app.engine import Engine
from qa_app.search.catalog import Catalog, short_names
from qa_app.search.query import parse_query
from qa_app.text.tokens import make_tokenizer

ORGS = {
    "湘潭县教育局": "湘潭县",
    "衡阳县卫生健康局": "衡阳县",
    "岳阳市人力资源和社会保障局": "岳阳市",
    "长沙市市场监督管理局": "长沙市",
    "株洲市渌口区财政局": "株洲市 › 渌口区",  # one bureau, titled with its city in some reports …
    "渌口区财政局": "渌口区",  # … and without it in others
}
LUKOU = {"株洲市渌口区财政局", "渌口区财政局"}


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    orgs = list(ORGS)
    return Catalog.from_reports(
        pd.DataFrame({"org": orgs, "region": [ORGS[o] for o in orgs], "year": [2019, 2023, 2024, 2022, 2021, 2016]})
    )


@pytest.fixture(scope="module")
def tokenizer():
    return make_tokenizer([*ORGS, "湘潭县", "衡阳县", "渌口区", "服务对象满意度"])


def parse(question: str, catalog: Catalog, tokenizer):
    return parse_query(question, catalog, tokenizer)


# --- 1. the verb before the question word is the question's, not the metric's --------------------------


@pytest.mark.parametrize(
    ("question", "metric", "first_unit"),
    [
        ("湘潭县教育局2019年编制数是多少名", "编制数", "名"),
        ("湘潭县教育局2019年学生资助资金的执行率为多少", "学生资助资金的执行率", "%"),
        ("湘潭县教育局2019年服务对象满意度为多少", "服务对象满意度", "%"),
        ("湘潭县教育局2019年满意度达到了多少", "满意度", "%"),
        ("湘潭县教育局2019年整体支出绩效自评得分多少分", "整体支出绩效自评得分", "分"),
        ("湘潭县教育局2019年公车运行维护费是多少万元", "公车运行维护费", "万元"),
        ("湘潭县教育局2019年项目支出占比是多少%", "项目支出占比", "%"),
        ("湘潭县教育局2019年固定资产有多少", "固定资产", "万元"),
        ("湘潭县教育局2019年在职人员一共有多少人", "在职人员", "人"),
    ],
    ids=["shi-ming", "wei", "wei-manyidu", "dadao-le", "fen", "shi-wanyuan", "percent-sign", "you", "yigongyou"],
)
def test_question_verbs_leave_the_metric(catalog: Catalog, tokenizer, question: str, metric: str, first_unit: str):
    query = parse(question, catalog, tokenizer)
    assert query.metric == metric
    assert query.units[0] == first_unit
    assert query.orgs == {"湘潭县教育局"} and query.years == (2019,) and not query.unknown


@pytest.mark.parametrize(
    ("question", "metric"),
    [
        ("湘潭县教育局违法行为多少起", "违法行为"),  # the 为 of 行为
        ("湘潭县教育局国有资产多少万元", "国有资产"),  # the 有 of 国有
        ("湘潭县教育局国有资产有多少", "国有资产"),
        ("湘潭县教育局2019年的改进措施有哪些", "改进措施"),
    ],
    ids=["xingwei", "guoyou", "guoyou-you", "youxiexie"],
)
def test_words_ending_like_a_verb_keep_it(catalog: Catalog, tokenizer, question: str, metric: str) -> None:
    assert parse(question, catalog, tokenizer).metric == metric


# --- 2. "在…年的" frames the year -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("question", "years", "metric"),
    [
        ("湘潭县教育局在2019年的在职人数是多少", (2019,), "在职人数"),
        ("湘潭县教育局在2019年度的基本支出占总支出的比例是多少", (2019,), "基本支出占总支出的比例"),
        ("湘潭县教育局2019年在职人数", (2019,), "在职人数"),
        ("2019年在湘潭县教育局的公用支出共计多少", (2019,), "公用支出"),
        ("湘潭县教育局在去年的接待费为多少", (2019,), "接待费"),  # its reports end in 2019: 去年 is that year
        ("湘潭县教育局和衡阳县卫生健康局的基本支出", (), "基本支出"),
    ],
    ids=["zai-nian-de", "zai-niandu-de", "no-frame", "frame-around-org", "zai-qunian-de", "he"],
)
def test_the_framing_of_year_and_organisation_leaves_the_metric(
    catalog: Catalog, tokenizer, question: str, years: tuple[int, ...], metric: str
) -> None:
    query = parse(question, catalog, tokenizer)
    assert (query.years, query.metric) == (years, metric)


# --- 3. a measure is not a place -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "question",
    ["湘潭县教育局2019年满意度达到了多少", "湘潭县教育局2019年的满意度为多少", "湘潭县教育局新鲜度是多少"],
    ids=["manyidu", "de-manyidu", "xinxiandu"],
)
def test_a_measure_is_no_unknown_place(catalog: Catalog, tokenizer, question: str) -> None:
    query = parse(question, catalog, tokenizer)
    assert query.unknown == "" and query.orgs == {"湘潭县教育局"}


@pytest.mark.parametrize(
    ("question", "unknown"),
    [("北京市教育局2019年满意度", "北京市教育局"), ("印度的基本支出", "印度")],
    ids=["beijing", "yindu"],
)
def test_places_stay_unknown(catalog: Catalog, tokenizer, question: str, unknown: str) -> None:
    assert parse(question, catalog, tokenizer).unknown == unknown


# --- 4. department short names -------------------------------------------------------------------------


def test_short_names_of_departments() -> None:
    assert "宜黄县人社局" in short_names("宜黄县人力资源和社会保障局")
    assert {"安仁县卫健局", "安仁县卫健委"} <= short_names("安仁县卫生健康局")
    assert short_names("人力资源和社会保障局") == set()  # never the bare short name
    assert short_names("湘潭县信访局") == set()


@pytest.mark.parametrize(
    ("question", "org"),
    [
        ("岳阳市人社局2024年基本支出", "岳阳市人力资源和社会保障局"),
        ("岳阳人社局2024年基本支出", "岳阳市人力资源和社会保障局"),
        ("岳阳市人力资源社会保障局2024年基本支出", "岳阳市人力资源和社会保障局"),
        ("衡阳县卫健局2023年本年支出是多少万元", "衡阳县卫生健康局"),
        ("衡阳县卫健委2023年三公经费", "衡阳县卫生健康局"),
        ("长沙市市场监管局2022年项目支出", "长沙市市场监督管理局"),
    ],
    ids=["renshe", "renshe-stem", "renshe-without-he", "weijianju", "weijianwei", "shichang-jianguan"],
)
def test_short_department_names_reach_the_organisation(catalog: Catalog, tokenizer, question: str, org: str) -> None:
    query = parse(question, catalog, tokenizer)
    assert query.orgs == {org}
    assert query.unknown == ""
    assert "局" not in query.metric and "委" not in query.metric


def test_short_name_of_a_department_the_corpus_lacks_is_unknown(catalog: Catalog, tokenizer) -> None:
    assert parse("湘潭县人社局2019年基本支出", catalog, tokenizer).unknown == "湘潭县人社局"
    assert "人社局" not in catalog.aliases and "卫健局" not in catalog.aliases


# --- 5. years ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("question", "years", "metric"),
    [
        ("2019湘潭县教育局项目支出占比是多少%", (2019,), "项目支出占比"),
        ("湘潭县教育局2019项目支出", (2019,), "项目支出"),
        ("湘潭县教育局2019人员经费", (2019,), "人员经费"),
        ("湘潭县教育局2016年度本年收入为多少", (2016,), "本年收入"),
        ("湘潭县教育局本年支出合计多少", (), "本年支出合计"),
        ("湘潭县教育局上年结转多少", (), "上年结转"),
        # 今年 / 去年 count from the newest report of the organisation named (湘潭县教育局: 2019), else of the
        # corpus (2024): another department's newer reports do not move them
        ("湘潭县教育局今年收入多少", (2020,), "收入"),
        ("湘潭县教育局上年度基本支出", (2019,), "基本支出"),
        ("今年收入多少", (2025,), "收入"),
        ("长沙市市场监督管理局去年的收入", (2022,), "收入"),
        ("湘潭县教育局培训2019人次", (), "培训2019人次"),
    ],
    ids=["year-xiangmu", "xiangmu", "renyuan", "bennian-shouru", "bennian-zhichu", "shangnian-jiezhuan",
         "jinnian", "shangniandu", "jinnian-corpus", "qunian-other-org", "renci"],
)  # fmt: skip
def test_years_and_table_labels(
    catalog: Catalog, tokenizer, question: str, years: tuple[int, ...], metric: str
) -> None:
    query = parse(question, catalog, tokenizer)
    assert (query.years, query.metric) == (years, metric)


# --- 6. one body, two names ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "question",
    [
        "株洲市渌口区财政局2016年人员经费",
        "渌口区财政局2016年人员经费",
        "渌口财政局2016年人员经费",
        "渌口区2016年人员经费",
    ],
    ids=["with-city", "short", "stem", "district"],
)
def test_either_name_of_one_body_reaches_both(catalog: Catalog, tokenizer, question: str) -> None:
    query = parse(question, catalog, tokenizer)
    assert query.orgs == LUKOU and query.unknown == ""


def test_catalog_bodies(catalog: Catalog) -> None:
    assert catalog.body("株洲市渌口区财政局") == LUKOU == catalog.body("渌口区财政局")
    assert catalog.body("湘潭县教育局") == {"湘潭县教育局"}
    assert catalog.aliases["湘潭县教育局"] == {"湘潭县教育局"}  # no other body is drawn in
    assert {"株洲", "株洲市"} <= catalog.outer  # the city alone still names neither


# --- 7. budget names behind other wordings -------------------------------------------------------------


@pytest.mark.parametrize(
    ("question", "names"),
    [
        ("湘潭县教育局2019年度的总收入有多少", {"收入合计", "收入总计"}),
        ("湘潭县教育局2019年总支出多少", {"支出合计", "支出总额"}),
        ("湘潭县教育局2019年基本经费是多少", {"基本支出"}),
        ("湘潭县教育局2019年度的项目经费是多少", {"项目支出"}),
        ("湘潭县教育局2019年人员支出是多少", {"人员经费", "人员类支出"}),
        ("湘潭县教育局2019年的公用支出共计多少", {"公用经费"}),
        ("湘潭县教育局2019年的接待费为多少", {"公务接待费"}),
        ("湘潭县教育局2023年度公务用车运维费用有多少", {"公务用车运行维护费", "公务用车运行费"}),
        ("湘潭县教育局2024年公车运行维护费是多少", {"公务用车运行维护费", "公务用车运行费"}),
        ("湘潭县教育局2018核定编制多少名", {"编制数"}),
        ("湘潭县教育局2018年编制数是多少名", {"核定编制"}),
        ("湘潭县教育局在2019年的在职人数是多少", {"实有人数"}),
        ("湘潭县教育局2019年绩效自评分多少分", {"自评得分", "综合得分"}),
        ("湘潭县教育局2019年服务对象满意度", {"群众满意度"}),
    ],
    ids=["zongshouru", "zongzhichu", "jiben-jingfei", "xiangmu-jingfei", "renyuan-zhichu", "gongyong-zhichu",
         "jiedaifei", "yunwei", "gongche", "hedingbianzhi", "bianzhishu", "zaizhi", "zipingfen", "manyidu"],
)  # fmt: skip
def test_other_wordings_add_the_budget_names(catalog: Catalog, tokenizer, question: str, names: set[str]) -> None:
    query = parse(question, catalog, tokenizer)
    assert query.terms.startswith(query.metric)
    assert names <= set(query.terms[len(query.metric) :].split())


def test_a_budget_name_as_worded_adds_nothing_foreign(catalog: Catalog, tokenizer) -> None:
    # The names a table uses stay as asked: "基本支出" is not given 经费 words that other labels share.
    assert parse("湘潭县教育局2019年基本支出占比是多少", catalog, tokenizer).terms == "基本支出占比"
    assert parse("湘潭县教育局2019年三公经费多少", catalog, tokenizer).terms == "三公经费"


# --- the same forms on the seed index ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("question", "value", "unit"),
    [
        ("中央信访联席办督办湘潭县的不规范信访事项有多少件", 51, "件"),
        ("岳阳市信访局2024年群众满意度达到了多少", 90, "%"),
        ("长沙市信访局2021年的项目经费是多少", 399.07, "万元"),
        ("长沙市信访局2021年总支出多少", 1857.41, "万元"),
    ],
    ids=["you-duoshao-jian", "manyidu-dadao-le", "xiangmu-jingfei", "zongzhichu"],
)
def test_seed_answers_to_these_forms(engine: Engine, question: str, value: float, unit: str) -> None:
    answer = engine.ask(question)
    assert answer.found, answer.answer
    first = answer.figures[0]
    assert (first.value, first.unit) == (pytest.approx(value), unit), answer.answer
    cite = answer.citations[first.citation]
    assert engine.index.texts[cite.doc][cite.start : cite.end] == cite.quote
