"""The answer contract on the real seed index: verbatim citations, gold figures first, honest "not found".

Every question here goes through `Engine.ask` over the index of corpus/ built with the default embedder
(the session fixtures of conftest.py); nothing is mocked. Answers are cached per question so that the
contract checks and the gold checks of the same question embed it once.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import replace
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from qa_app.answer.contract import Answer
from qa_app.answer.features import measure
from qa_app.engine import Engine
from qa_app.evaluate import evaluate, read_questions
from qa_app.search.catalog import Catalog
from qa_app.search.query import parse_query
from qa_app.search.retrieve import rrf
from qa_app.text.tokens import make_tokenizer

ROOT = Path(__file__).resolve().parent.parent
CORPUS_FILES = frozenset(p.name for p in (ROOT / "corpus").iterdir() if p.is_file())
XIANGTAN, YUEYANG, CHANGSHA = "000_b015b3dd7bb80183.txt", "001_8614dcb30a713240.txt", "002_fe196754cb2e25a4.txt"
XIANGTAN_2023, LUKOU = "003_d2e36f3a4881f76a.txt", "004_be4a0c6940302084.txt"

_ANSWERS: dict[tuple[int, str, tuple[str, ...]], Answer] = {}


def ask(engine: Engine, question: str, history: tuple[str, ...] = ()) -> Answer:
    key = (id(engine), question, history)
    if key not in _ANSWERS:
        _ANSWERS[key] = engine.ask(question, history=history)
    return _ANSWERS[key]


def check_contract(engine: Engine, answer: Answer, question: str) -> None:
    """What every answer promises, whatever the question."""
    assert isinstance(answer, Answer)
    assert answer.question == question
    assert isinstance(answer.answer, str) and answer.answer.strip()
    texts = engine.index.texts
    for c in answer.citations:
        assert c.doc in CORPUS_FILES, c
        assert 0 <= c.start < c.end <= len(texts[c.doc]), c
        assert c.quote == texts[c.doc][c.start : c.end], c
    for n, f in enumerate(answer.figures):
        assert 0 <= f.citation < len(answer.citations), f
        quote = answer.citations[f.citation].quote
        assert f.text in quote, (f, quote)
        assert math.isfinite(f.value)
        if m := re.search(r"-?\d[\d,]*(?:\.\d+)?", f.text):
            assert float(m.group().replace(",", "")) == pytest.approx(f.value), f
        assert f"[{f.citation + 1}]" in answer.answer, (n, f, answer.answer)
    for p in answer.passages:
        assert p.doc in CORPUS_FILES, p
        assert p.text == texts[p.doc][p.start : p.end], p
        assert 0.0 <= p.score <= 1.0
    if answer.found:
        assert answer.citations, answer
    else:
        assert not answer.figures and not answer.citations, answer
    round_trip = json.loads(json.dumps(answer.to_json(), ensure_ascii=False))
    assert round_trip == answer.to_json()


# --- figure questions -------------------------------------------------------------------------------------

# question, value, unit, doc, org, year; from ../shared/eval/dev_questions.jsonl (d..) and paraphrases (p..)
FIGURES = [
    ("湘潭县信访救助支出多少", 519.69, "万元", XIANGTAN, "湘潭县信访局", 2024),  # d01
    ("岳阳市信访局2024年基本支出是多少", 586.11, "万元", YUEYANG, "岳阳市信访局", 2024),  # d02
    ("岳阳市信访局基本支出占支出总额的比例", 60.9, "%", YUEYANG, "岳阳市信访局", 2024),  # d03
    ("岳阳市信访局公务车辆编制几辆", 1, "辆", YUEYANG, "岳阳市信访局", 2024),  # d05
    ("长沙市信访局2021年基本支出", 1458.34, "万元", CHANGSHA, "长沙市信访局", 2021),  # d06
    ("长沙市特护期维稳工作专项资金", 83.28, "万元", CHANGSHA, "长沙市信访局", 2021),  # d08
    ("长沙市信访网络建设维护专项多少钱", 27.08, "万元", CHANGSHA, "长沙市信访局", 2021),  # d09
    ("2021年长沙市群众来信多少件次", 7049, "件次", CHANGSHA, "长沙市信访局", 2021),  # d11
    ("长沙市2021年到国家局越级访多少人次", 581, "人次", CHANGSHA, "长沙市信访局", 2021),  # d13
    ("2023年湘潭县信访救助基金年初预算", 50, "万元", XIANGTAN_2023, "湘潭县信访局", 2023),  # d14
    ("渌口区信访局2022年决算一般公共预算收入", 326.68, "万元", LUKOU, "株洲市渌口区信访局", 2022),  # d15
    ("渌口区信访局退休人员几人", 4, "人", LUKOU, "株洲市渌口区信访局", 2022),  # d16
    ("湘潭县信访局去年花在救济上访困难群众的钱", 519.69, "万元", XIANGTAN, "湘潭县信访局", 2024),  # d18
    ("长沙市信访局开会花了多少钱", 4.33, "万元", CHANGSHA, "长沙市信访局", 2021),  # d19
    ("岳陽市信訪局2024年基本支出", 586.11, "万元", YUEYANG, "岳阳市信访局", 2024),  # d20
    # paraphrases
    ("湘潭县信访局2024年信访救助支出是多少", 519.69, "万元", XIANGTAN, "湘潭县信访局", 2024),
    ("岳阳信访局公务车辆编制几辆", 1, "辆", YUEYANG, "岳阳市信访局", 2024),
    ("长沙市信访局2021年项目支出是多少钱", 399.07, "万元", CHANGSHA, "长沙市信访局", 2021),
    ("渌口区信访局退休人员有几人", 4, "人", LUKOU, "株洲市渌口区信访局", 2022),
    ("湘潭县信访局前年信访救助支出", 284.14, "万元", XIANGTAN_2023, "湘潭县信访局", 2023),
    ("岳阳市信访局 2024 年基本支出", 586.11, "万元", YUEYANG, "岳阳市信访局", 2024),
]
FIGURE_IDS = [
    *["d01", "d02", "d03", "d05", "d06", "d08", "d09", "d11", "d13", "d14", "d15", "d16", "d18", "d19", "d20"],
    *["p-xiangtan-2024", "p-yueyang-cars", "p-changsha-project", "p-lukou-retirees", "p-xiangtan-qiannian"],
    "p-spaced",
]


@pytest.mark.parametrize(("question", "value", "unit", "doc", "org", "year"), FIGURES, ids=FIGURE_IDS)
def test_figure_answer_keeps_the_contract(engine: Engine, question, value, unit, doc, org, year) -> None:
    answer = ask(engine, question)
    check_contract(engine, answer, question)
    assert answer.found and answer.figures
    # the figures after the first are the budgets of what it measures (a question naming no measure: 实际支出
    # leads, 年初预算 follows), then the same metric for other years or organisations: one per pair
    lead = answer.figures[0]
    budgets = [f for f in answer.figures[1:] if (f.org, f.year) == (lead.org, lead.year)]
    assert answer.figures[1 : 1 + len(budgets)] == budgets
    assert all(measure(f.metric) == "budget" for f in budgets) and (not budgets or measure(lead.metric) == "actual")
    pairs = [(f.org, f.year) for f in answer.figures if f not in budgets]
    assert len(pairs) == len(set(pairs))
    assert {f.unit for f in answer.figures} == {answer.figures[0].unit}
    assert "[1]" in answer.answer


@pytest.mark.parametrize(("question", "value", "unit", "doc", "org", "year"), FIGURES, ids=FIGURE_IDS)
def test_first_figure_is_the_gold_one(engine: Engine, question, value, unit, doc, org, year) -> None:
    answer = ask(engine, question)
    assert answer.found, answer.answer
    first = answer.figures[0]
    assert (first.value, first.unit) == (pytest.approx(value), unit), first
    assert (first.org, first.year) == (org, year), first
    cite = answer.citations[first.citation]
    assert cite.doc == doc
    assert str(value) in cite.quote or f"{value:.2f}" in cite.quote
    assert first.text in answer.answer


def test_the_best_figure_leads_and_other_years_follow(engine: Engine) -> None:
    answer = ask(engine, "湘潭县信访救助支出多少")
    first, *others = answer.figures
    assert (first.value, first.unit, first.org, first.year) == (519.69, "万元", "湘潭县信访局", 2024)
    assert first.citation == 0
    assert answer.answer.index("519.69") < answer.answer.index("[1]") < answer.answer.index("284.14")
    in_2023 = [f for f in others if f.year == 2023]
    assert [f.value for f in in_2023] == [284.14]
    assert in_2023[0].org == "湘潭县信访局"
    assert "284.14" in answer.answer and f"[{in_2023[0].citation + 1}]" in answer.answer
    assert answer.answer.index("519.69") < answer.answer.index("284.14")


def test_a_named_year_and_organisation_keep_every_figure_to_them(engine: Engine) -> None:
    answer = ask(engine, "湘潭县信访局2024年信访救助支出是多少")
    assert answer.figures
    assert all((f.org, f.year) == ("湘潭县信访局", 2024) for f in answer.figures)


# --- not found ----------------------------------------------------------------------------------------------

NOT_FOUND = [
    ("北京市信访局2024年信访救助支出多少", ["北京市信访局"]),
    ("长沙市财政局2021年基本支出", ["长沙市财政局"]),
    ("长沙市信访局2019年基本支出是多少", ["长沙市信访局", "2019年", "基本支出"]),
    ("岳阳市信访局2030年基本支出", ["岳阳市信访局", "2030年", "基本支出"]),
]


@pytest.mark.parametrize(
    ("question", "named"), NOT_FOUND, ids=["beijing-bureau", "changsha-finance", "changsha-2019", "yueyang-2030"]
)
def test_what_the_corpus_lacks_is_not_found_and_said_so(engine: Engine, question: str, named: list[str]) -> None:
    answer = ask(engine, question)
    check_contract(engine, answer, question)
    assert not answer.found
    assert answer.figures == [] and answer.citations == []
    for word in named:
        assert word in answer.answer, (word, answer.answer)
    assert "没有" in answer.answer
    assert answer.passages, "the closest passages are shown"
    assert "[1]" not in answer.answer


@pytest.mark.parametrize(
    "question",
    ["岳阳市信访局2023年基本支出", "渌口区信访局2021年基本支出", "长沙市信访局2020年基本支出"],
    ids=["yueyang-2023", "lukou-2021", "changsha-2020"],
)
def test_a_year_whose_sections_hold_no_such_figure_is_answered_not_raised(engine: Engine, question: str) -> None:
    # sections of these organisations mention the year, but no figure of theirs is of that year
    answer = ask(engine, question)
    check_contract(engine, answer, question)
    year = int(re.search(r"\d{4}", question).group())
    assert all(f.year == year for f in answer.figures)
    if not answer.found:
        assert f"{year}年" in answer.answer and "基本支出" in answer.answer


@pytest.mark.parametrize(
    "question", ["株洲市信访局2022年退休人员几人", "株洲市信访局基本支出"], ids=["retirees-2022", "basic-spending"]
)
def test_a_city_bureau_is_not_its_district_bureau(engine: Engine, question: str) -> None:
    # the corpus holds 株洲市渌口区信访局 only: 株洲市信访局 is another organisation
    answer = ask(engine, question)
    check_contract(engine, answer, question)
    assert not answer.found, answer.answer
    assert "株洲市信访局" in answer.answer


# Metrics no report of that organisation gives: a near label (公务接待费 for 差旅费, 人员经费 for 人均经费) or a
# sentence that merely mentions the word (办公费 inside 人事代理经费's sentence) must not become the answer.
NO_SUCH_METRIC = [
    "湘潭县信访局2024年三公经费",
    "湘潭县信访局办公费多少",
    "岳阳市信访局2024年三公经费多少",
    "长沙市信访局2021年差旅费多少",
    "湘潭县信访局2024年伙食补助费多少",
    "湘潭县信访局2023年信访专项支出多少",
    "长沙市信访局2021年人均经费",
]


@pytest.mark.parametrize("question", NO_SUCH_METRIC)
def test_a_metric_the_reports_lack_gets_no_number(engine: Engine, question: str) -> None:
    answer = ask(engine, question)
    check_contract(engine, answer, question)
    assert not answer.found, answer.answer
    assert answer.figures == []


@pytest.mark.parametrize(
    "question", ["湘潭市2024年基本支出多少", "长沙县2021年会议费多少", "岳阳县的在职人数", "株洲市2022年基本支出多少"]
)
def test_another_region_level_is_not_the_one_in_the_corpus(engine: Engine, question: str) -> None:
    # 湘潭市 is not 湘潭县, 长沙县 is not 长沙市, and 株洲市 is not its district 渌口区
    answer = ask(engine, question)
    assert not answer.found, answer.answer
    assert answer.figures == []


@pytest.mark.parametrize(
    ("question", "value"),
    [("长沙市信访局基本支出比上年减少了多少", 53.21), ("长沙市信访局2021年基本支出比上年减少了多少", 53.21)],
)
def test_a_change_question_gets_the_change(engine: Engine, question: str, value: float) -> None:
    # "比上年" asks for the change, and is not the year 2024
    answer = ask(engine, question)
    check_contract(engine, answer, question)
    assert answer.found and answer.figures[0].value == value and answer.figures[0].year == 2021


@pytest.mark.parametrize("question", ["今天天气怎么样", "你好", "asdf"])
def test_small_talk_gets_no_passage_answer(engine: Engine, question: str) -> None:
    assert not ask(engine, question).found


def test_an_amount_is_not_a_year(engine: Engine) -> None:
    answer = ask(engine, "湘潭县2000万元以上的项目有哪些")
    assert "2000年" not in answer.answer


def test_a_conversation_carries_organisation_year_and_metric(engine: Engine) -> None:
    answer = engine.ask("年初预算呢", history=["湘潭县信访局2023年信访救助基金总预算"])
    assert answer.found and {(f.org, f.year) for f in answer.figures[:1]} == {("湘潭县信访局", 2023)}
    # a turn that names only another organisation keeps the metric: 岳阳 reports no 信访救助支出
    assert not engine.ask("岳阳市呢", history=["湘潭县信访救助支出多少"]).found
    assert engine.ask("2023年呢", history=["\ud800湘潭县信访救助支出多少", None]).question == "2023年呢"


# --- question normalisation ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "variant",
    ["岳陽市信訪局2024年基本支出", "岳阳市信访局２０２４年基本支出", "岳阳市信访局二〇二四年基本支出"],
    ids=["traditional", "full-width-digits", "chinese-numeral-year"],
)
def test_traditional_full_width_and_chinese_numeral_years_read_as_plain(engine: Engine, variant: str) -> None:
    plain = ask(engine, "岳阳市信访局2024年基本支出")
    other = ask(engine, variant)
    check_contract(engine, other, variant)
    assert plain.found and other.found
    a, b = plain.figures[0], other.figures[0]
    assert (b.value, b.text, b.unit, b.metric, b.org, b.year) == (a.value, a.text, a.unit, a.metric, a.org, a.year)
    assert other.citations[b.citation] == plain.citations[a.citation]
    assert (b.value, b.year) == (586.11, 2024)


def test_chinese_numeral_year_is_parsed_as_that_year(engine: Engine) -> None:
    query = parse_query("岳阳市信访局二〇二四年基本支出", engine.catalog, engine.index.tokenizer)
    assert query.years == (2024,)
    assert query.orgs == {"岳阳市信访局"}


# --- passage questions --------------------------------------------------------------------------------------

PASSAGES = [
    ("湘潭县信访局党建工作怎么样", XIANGTAN, "心齐气顺"),  # d22
    ("长沙市信访局2021年的工作目标是什么", CHANGSHA, "去存量、控增量、严防极端恶性事件"),  # d21
    ("岳阳市信访局绩效自评结果如何公开", YUEYANG, "公开在部门网址及政府门户网站专栏"),  # d23
]


@pytest.mark.parametrize(("question", "doc", "gold"), PASSAGES, ids=["d22", "d21", "d23"])
def test_passage_questions_answer_from_the_right_file(engine: Engine, question: str, doc: str, gold: str) -> None:
    answer = ask(engine, question)
    check_contract(engine, answer, question)
    assert answer.found, answer.answer
    assert answer.passages[0].doc == doc
    assert any(p.doc == doc and gold in p.text for p in answer.passages[:3])
    assert answer.citations[0].doc == doc and "[1]" in answer.answer


# --- odd input ----------------------------------------------------------------------------------------------

ODD = {
    "empty": "",
    "space": "   ",
    "tabs-newlines": "\t\n \u3000",
    "long-10k": ("湘潭县信访救助支出多少，" * 900)[:10_000],
    "emoji": "😀🎉💰🤔",
    "sql": "'; DROP TABLE reports; --",
    "sql-select": "SELECT * FROM figures WHERE org='湘潭县信访局' OR 1=1",
    "percent": "%%%",
    "punctuation": "？？！！……，。、；：",
    "html": "<script>alert('信访')</script>",
    "control": "\x00\x07\x1b[31m",
}


@pytest.mark.parametrize("question", list(ODD.values()), ids=list(ODD))
def test_any_text_gets_a_valid_answer(engine: Engine, question: str) -> None:
    answer = ask(engine, question)
    check_contract(engine, answer, question)
    assert set(answer.timings_ms) >= {"total"}


@pytest.mark.parametrize("question", ["", "   ", "\t\n \u3000"], ids=["empty", "spaces", "mixed-blanks"])
def test_blank_questions_ask_for_a_question(engine: Engine, question: str) -> None:
    answer = ask(engine, question)
    assert not answer.found and answer.figures == [] and answer.citations == []
    assert "请输入" in answer.answer


def test_none_is_a_blank_question(engine: Engine) -> None:
    answer = engine.ask(None)  # type: ignore[arg-type]
    assert not answer.found and answer.question == ""


# --- follow-ups and units -----------------------------------------------------------------------------------


def test_follow_up_question_keeps_the_organisation_and_metric(engine: Engine) -> None:
    answer = ask(engine, "2023年呢", history=("湘潭县信访救助支出多少",))
    check_contract(engine, answer, "2023年呢")
    assert answer.found, answer.answer
    first = answer.figures[0]
    assert (first.org, first.year) == ("湘潭县信访局", 2023)
    assert first.value == pytest.approx(284.14)


def test_history_is_ignored_when_the_question_names_an_organisation(engine: Engine) -> None:
    answer = ask(engine, "岳阳市信访局2024年基本支出", history=("湘潭县信访救助支出多少",))
    assert answer.found and answer.figures[0].org == "岳阳市信访局"
    assert answer.figures[0].value == pytest.approx(586.11)


@pytest.mark.parametrize(
    ("question", "unit"),
    [
        ("渌口区信访局退休人员几人", "人"),
        ("岳阳市信访局基本支出占支出总额的比例", "%"),
        ("岳阳市信访局公务车辆编制几辆", "辆"),
    ],
    ids=["people", "percent", "vehicles"],
)
def test_the_unit_the_wording_expects_is_the_unit_given(engine: Engine, question: str, unit: str) -> None:
    answer = ask(engine, question)
    assert answer.found and answer.figures[0].unit == unit


# --- JSON shape ---------------------------------------------------------------------------------------------

ANSWER_KEYS = {"question", "found", "answer", "figures", "citations", "passages", "timings_ms", "context"}
FIGURE_KEYS = {"value", "text", "unit", "metric", "org", "year", "citation", "direction", "ocr_page"}
CITATION_KEYS = {"doc", "title", "section", "start", "end", "quote"}
PASSAGE_KEYS = {"doc", "title", "section", "text", "score", "start", "end"}


@pytest.mark.parametrize(
    "question",
    ["湘潭县信访救助支出多少", "湘潭县信访局党建工作怎么样", "北京市信访局2024年信访救助支出多少", ""],
    ids=["figure", "passage", "unknown-org", "blank"],
)
def test_json_shape(engine: Engine, question: str) -> None:
    data = json.loads(json.dumps(ask(engine, question).to_json(), ensure_ascii=False))
    assert set(data) == ANSWER_KEYS
    assert isinstance(data["found"], bool) and isinstance(data["answer"], str) and data["question"] == question
    for f in data["figures"]:
        assert set(f) == FIGURE_KEYS
        assert isinstance(f["value"], float) and isinstance(f["citation"], int)
        assert f["year"] is None or isinstance(f["year"], int)
    for c in data["citations"]:
        assert set(c) == CITATION_KEYS
        assert isinstance(c["start"], int) and isinstance(c["end"], int)
    for p in data["passages"]:
        assert set(p) == PASSAGE_KEYS
        assert isinstance(p["score"], float)
    assert all(isinstance(v, float) for v in data["timings_ms"].values()) and "total" in data["timings_ms"]
    if question:
        assert data["passages"], "every non-blank question shows passages"


# --- pure functions: rrf ------------------------------------------------------------------------------------


def brute_rrf(rankings: list[list[int]], weights: list[float], k: int) -> list[tuple[int, float]]:
    docs = {d for r in rankings for d in r}
    scored = [
        (d, sum(w / (k + r.index(d) + 1) for r, w in zip(rankings, weights, strict=True) if d in r)) for d in docs
    ]
    return sorted(scored, key=lambda item: (-item[1], item[0]))


rankings_st = st.lists(st.lists(st.integers(0, 40), unique=True, max_size=25), min_size=1, max_size=4)


@given(data=st.data(), k=st.integers(0, 100))
@settings(max_examples=300, deadline=None)
def test_rrf_matches_brute_force(data: st.DataObject, k: int) -> None:
    rankings = data.draw(rankings_st)
    weights = data.draw(st.lists(st.floats(0.01, 5.0), min_size=len(rankings), max_size=len(rankings)))
    fused = rrf(rankings, weights, k)
    expected = brute_rrf(rankings, weights, k)
    assert [d for d, _ in fused] == [d for d, _ in expected]
    assert [s for _, s in fused] == pytest.approx([s for _, s in expected], rel=1e-12)
    scores = [s for _, s in fused]
    assert scores == sorted(scores, reverse=True)


@given(rankings=st.lists(st.lists(st.integers(0, 20), unique=True, min_size=1, max_size=10), min_size=1, max_size=3))
@settings(max_examples=100, deadline=None)
def test_rrf_puts_a_document_first_in_every_ranking_on_top(rankings: list[list[int]]) -> None:
    top = 99
    rankings = [[top, *r] for r in rankings]
    fused = rrf(rankings, [1.0] * len(rankings), 60)
    assert fused[0][0] == top
    assert fused[0][1] == pytest.approx(len(rankings) / 61)


def test_rrf_ties_go_to_the_lower_id_and_empty_is_empty() -> None:
    tie = pytest.approx(1 / 61 + 1 / 62)
    assert rrf([[5, 3], [3, 5]], [1.0, 1.0], 60) == [(3, tie), (5, tie)]
    assert rrf([[], []], [1.0, 1.0], 60) == []
    with pytest.raises(ValueError):
        rrf([[1], [2]], [1.0], 60)


# --- pure functions: parse_query ----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    reports = pd.DataFrame(
        {
            "org": ["岳阳市信访局", "株洲市渌口区信访局", "湘潭县信访局", "湘潭县信访局", "长沙市信访局"],
            "region": ["岳阳市", "株洲市 › 渌口区", "湘潭县", "湘潭县", "长沙市"],
            "year": [2024, 2022, 2023, 2024, 2021],
        }
    )
    return Catalog.from_reports(reports)


@pytest.fixture(scope="module")
def tokenizer():
    return make_tokenizer(["岳阳市信访局", "株洲市渌口区信访局", "湘潭县信访局", "长沙市信访局", "渌口区", "信访救助"])


def test_catalog_aliases(catalog: Catalog) -> None:
    assert catalog.newest_year == 2024
    assert catalog.aliases["岳阳"] == {"岳阳市信访局"}
    assert catalog.aliases["渌口区"] == {"株洲市渌口区信访局"}
    assert catalog.aliases["渌口区信访局"] == {"株洲市渌口区信访局"}
    assert "株洲" not in catalog.aliases and {"株洲", "株洲市"} <= catalog.outer  # the city is not its district
    assert "信访局" not in catalog.aliases
    assert catalog.orgs == {"岳阳市信访局", "株洲市渌口区信访局", "湘潭县信访局", "长沙市信访局"}


@pytest.mark.parametrize(
    ("question", "orgs"),
    [
        ("岳阳2024年基本支出", {"岳阳市信访局"}),
        ("岳阳信访局基本支出", {"岳阳市信访局"}),
        ("渌口区退休人员几人", {"株洲市渌口区信访局"}),
        ("渌口区信访局退休人员几人", {"株洲市渌口区信访局"}),
        ("渌口的群众来信", {"株洲市渌口区信访局"}),
        ("湘潭县和长沙市的基本支出", {"湘潭县信访局", "长沙市信访局"}),
        ("信访局基本支出", set()),
        ("基本支出是多少", set()),
    ],
    ids=["stem", "stem-bureau", "district", "district-bureau", "district-stem", "two-orgs", "bare-bureau", "none"],
)
def test_parse_query_organisations(catalog: Catalog, tokenizer, question: str, orgs: set[str]) -> None:
    query = parse_query(question, catalog, tokenizer)
    assert query.orgs == orgs
    assert query.unknown == ""


@pytest.mark.parametrize(
    ("question", "unknown"),
    [
        ("北京市信访局2024年基本支出", "北京市信访局"),
        ("长沙市财政局2021年基本支出", "长沙市财政局"),
        ("渌口区财政局基本支出", "渌口区财政局"),
        ("湘潭市信访局基本支出", "湘潭市信访局"),
        ("株洲市信访局基本支出", "株洲市信访局"),
    ],
    ids=["beijing-bureau", "changsha-finance", "lukou-finance", "xiangtan-city-bureau", "zhuzhou-city-bureau"],
)
def test_parse_query_unknown_organisations(catalog: Catalog, tokenizer, question: str, unknown: str) -> None:
    assert parse_query(question, catalog, tokenizer).unknown == unknown


@pytest.mark.parametrize(
    ("question", "years"),
    [
        ("岳阳市信访局去年基本支出", (2024,)),
        ("岳阳市信访局前年基本支出", (2023,)),
        ("岳阳市信访局今年基本支出", (2025,)),
        ("岳阳市信访局上年度基本支出", (2024,)),
        ("岳阳市信访局2023年基本支出", (2023,)),
        ("岳阳市信访局2023年度基本支出", (2023,)),
        ("岳阳市信访局二〇二三年基本支出", (2023,)),
        ("岳阳市信访局２０２３年基本支出", (2023,)),
        ("2022年和2024年的基本支出", (2022, 2024)),
        ("2024年、2024年度基本支出", (2024,)),
        ("岳阳市信访局基本支出", ()),
    ],
    ids=[
        "qunian",
        "qiannian",
        "jinnian",
        "shangniandu",
        "digits",
        "niandu",
        "cn-numerals",
        "full-width",
        "two",
        "dup",
        "none",
    ],
)
def test_parse_query_years(catalog: Catalog, tokenizer, question: str, years: tuple[int, ...]) -> None:
    assert parse_query(question, catalog, tokenizer).years == years


@pytest.mark.parametrize(
    ("question", "first_unit", "family"),
    [
        ("渌口区信访局有多少人", "人", {"人", "人次", "名", "万人", "万人次"}),
        ("岳阳市信访局退休人员几人", "人", {"人", "人次", "名", "万人", "万人次"}),
        ("岳阳市信访局公务车辆编制几辆", "辆", {"辆"}),
        ("岳阳市信访局基本支出占支出总额的比例", "%", {"%"}),
        ("长沙市信访局开会花了多少钱", "万元", {"万元", "元", "亿元", "千元"}),
        ("2021年长沙市群众来信多少件次", "件次", {"件", "件次", "批", "批次", "起", "条"}),
        ("渌口区年初预算比上年增长了多少", "%", {"%"}),  # a growth is a rate ("增长78.07%"); 增加 an amount
        ("渌口区年初预算比上年增长了多少万元", "万元", {"万元", "元", "亿元", "千元"}),
    ],
    ids=["duoshaoren", "jiren", "jiliang", "bili", "duoshaoqian", "jianci", "zengzhang", "zengzhang-wanyuan"],
)
def test_parse_query_expected_units(catalog: Catalog, tokenizer, question: str, first_unit: str, family: set) -> None:
    query = parse_query(question, catalog, tokenizer)
    assert query.units[0] == first_unit
    assert set(query.units) == family
    assert query.wants_figure


def test_parse_query_metric_and_terms(catalog: Catalog, tokenizer) -> None:
    query = parse_query("岳阳市信访局2024年基本支出是多少", catalog, tokenizer)
    assert (query.metric, query.years, query.orgs) == ("基本支出", (2024,), {"岳阳市信访局"})
    meeting = parse_query("长沙市信访局开会花了多少钱", catalog, tokenizer)
    assert "会议费" in meeting.terms and "支出" in meeting.terms
    assert "长沙" not in meeting.metric and "多少" not in meeting.metric


def test_parse_query_passage_wording(catalog: Catalog, tokenizer) -> None:
    query = parse_query("湘潭县信访局党建工作怎么样", catalog, tokenizer)
    assert not query.wants_figure
    assert query.orgs == {"湘潭县信访局"}


@given(text=st.text(max_size=60))
@settings(max_examples=200, deadline=None)
def test_parse_query_never_raises_and_normalises(catalog: Catalog, tokenizer, text: str) -> None:
    query = parse_query(text, catalog, tokenizer)
    assert query.text == text
    assert not re.search(r"\s", query.norm)
    assert query.orgs <= catalog.orgs
    assert all(1900 <= y <= 2099 for y in query.years)


def test_a_second_question_set_written_from_the_reports(engine: Engine) -> None:
    # 60 questions an independent reader wrote from the seed reports (40 figure, 10 passage, 10 negative); the
    # five misses are recorded in docs/RETRIEVAL.md. Every negative must hold: no number where there is none.
    items = read_questions(Path(__file__).parent / "data" / "probe_questions.jsonl")
    outcomes = evaluate(items, engine.ask, engine.index.texts)
    assert all(o.ok for o in outcomes if o.kind == "negative"), [o.reason for o in outcomes if not o.ok]
    assert sum(o.ok for o in outcomes) >= 54, [f"{o.id}: {o.reason}" for o in outcomes if not o.ok]


def test_follow_ups_as_people_say_them(engine: Engine) -> None:
    # "那2023年呢？" keeps organisation and metric; "岳阳市呢？" replaces the organisation and keeps metric and
    # year: 岳阳市信访局 has no 2021 report, which the answer says rather than give another year
    first = "湘潭县信访救助支出多少"
    answer = engine.ask("那2023年呢？", history=[first])
    assert answer.found and (answer.figures[0].value, answer.figures[0].year) == (284.14, 2023)
    answer = engine.ask("岳阳市呢？", history=["长沙市信访局2024年基本支出"])
    assert answer.found and (answer.figures[0].org, answer.figures[0].value) == ("岳阳市信访局", 586.11)
    answer = engine.ask("岳阳市呢？", history=["长沙市信访局2021年基本支出"])
    assert not answer.found and "岳阳市信访局2021年" in answer.answer and answer.context == ["2021年", "基本支出"]


def test_a_question_over_years_or_organisations_lists_the_same_metric(engine: Engine) -> None:
    years = engine.ask("湘潭县历年信访救助支出")
    assert [(f.year, f.value) for f in years.figures] == [(2024, 519.69), (2023, 284.14)]
    orgs = engine.ask("各信访局2024年基本支出")
    assert {(f.org, f.value) for f in orgs.figures} == {("岳阳市信访局", 586.11), ("湘潭县信访局", 281.98)}
    assert all(f.year == 2024 and "支出" in f.metric for f in orgs.figures)


def test_a_question_costs_one_query_embedding_where_one_suffices(engine: Engine, monkeypatch) -> None:
    # The question's vector always; its metric phrase's only when a figure is left to score (a passage question,
    # an organisation the corpus lacks, a metric that is the question itself need none); neither again once
    # asked, since a query vector is a function of its text. The answer is the same however its vectors came.
    embedded: list[str] = []
    encode = engine.embedder.encode_queries
    monkeypatch.setattr(engine.embedder, "encode_queries", lambda texts: embedded.extend(texts) or encode(texts))
    engine._query_vector.cache_clear()
    first = engine.ask("岳阳市信访局2024年基本支出是多少")
    assert first.found and embedded == ["岳阳市信访局2024年基本支出是多少", "基本支出"]
    assert first.timings_ms["embed"] > 0
    assert engine.ask("湘潭县信访局2024年基本支出是多少").found and embedded[2:] == ["湘潭县信访局2024年基本支出是多少"]
    again = engine.ask("岳阳市信访局2024年基本支出是多少")
    assert len(embedded) == 3 and replace(again, timings_ms={}) == replace(first, timings_ms={})
    for question in ("岳阳市信访局存在的问题", "北京市财政局2024年三公经费", "三公经费"):
        del embedded[:]
        engine.ask(question)
        assert embedded == [question], question
