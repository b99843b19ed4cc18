"""Questions inside a conversation, on the seed index: through the CLI's JSON lines (the contract scripts use)
and through the app (AppTest). The scope rules are docs/RETRIEVAL.md's "Conversations"."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest
from test_cli_ask import out, qa_app

from qa_app.answer.dialogue import inherit
from qa_app.search.catalog import Catalog
from qa_app.search.query import parse_query

ROOT = Path(__file__).resolve().parent.parent
DIALOGUES = ROOT.parent / "shared" / "eval" / "dev_dialogues.jsonl"
APP = str(ROOT / "qa_app" / "ui" / "app.py")
PARAGRAPH = (
    "2024年，湘潭县信访局对照绩效目标，逐项检查是否存在资金使用不规范的问题，并把整改措施落实到位。"
    "请问湘潭县信访局2024年基本支出是多少？"
)
# (question, history) in one CLI run, one JSON line each.
TURNS = [
    ("各信访局2024年基本支出", ["岳阳市信访局2024年基本支出是多少"]),  # 0 各: every 信访局, none carried
    ("所有单位2024年基本支出", ["岳阳市信访局2024年基本支出是多少"]),  # 1 所有单位 the same
    ("湘潭县呢？", ["岳阳市信访局2024年基本支出是多少"]),  # 2 X呢: the organisation replaced, year and metric kept
    ("那2023年呢？", ["湘潭县信访救助支出多少"]),  # 3 the year replaced
    ("长沙市信访局2021年会议费多少", ["湘潭县信访救助支出多少"]),  # 4 a complete question inherits nothing
    ("那2023年呢？", ["湘潭县信访救助支出多少", "北京市信访局2024年预算是多少"]),  # 5 a failed turn passes nothing
    ("What is the weather in Beijing?", ["湘潭县信访救助支出多少"]),  # 6 not Chinese
    ("湘潭县信访局呢？", ["岳阳市信访局2024年预算执行率"]),  # 7 采购执行率 is no 预算执行率
    ("根据《中华人民共和国预算法》的要求，请问湘潭县信访局2024年的基本支出是多少？", []),  # 8 a law title
    (PARAGRAPH, []),  # 9 a pasted paragraph: its question sentence
    ("长沙市信访局2021年基本支出比上年减少了多少？", []),  # 10 a decrease says so
]


@pytest.fixture(scope="module")
def answers(seed_index: Path) -> list[dict]:
    lines = [json.dumps({"q": q, "history": h}, ensure_ascii=False) for q, h in TURNS]
    run = qa_app("ask", "--json", "-", index=seed_index, stdin="\n".join(lines) + "\n")
    assert run.returncode == 0
    rows = [json.loads(line) for line in out(run).splitlines()]
    assert [r["question"] for r in rows] == [q for q, _ in TURNS]
    return rows


def values(answer: dict) -> dict[str, float]:
    return {f["org"]: f["value"] for f in answer["figures"]}


def test_every_widens_to_the_bureaus_and_carries_no_organisation(answers: list[dict]) -> None:
    for a in answers[:2]:
        assert a["found"] and a["context"] == []
        assert values(a) == {"岳阳市信访局": 586.11, "湘潭县信访局": 281.98}
        assert all(f["year"] == 2024 for f in a["figures"])


def test_x_ne_replaces_what_it_names_and_keeps_the_rest(answers: list[dict]) -> None:
    org = answers[2]
    assert [(f["org"], f["year"], f["value"]) for f in org["figures"]][:1] == [("湘潭县信访局", 2024, 281.98)]
    assert org["context"] == ["2024年", "基本支出"] and org["answer"].startswith("（沿用上文：2024年 · 基本支出）")
    year = answers[3]
    assert (year["figures"][0]["year"], year["figures"][0]["value"]) == (2023, 284.14)
    assert year["context"] == ["湘潭县信访局", "信访救助支出"]


def test_a_complete_question_inherits_nothing(answers: list[dict]) -> None:
    a = answers[4]
    assert a["context"] == [] and "（沿用上文" not in a["answer"]
    assert (a["figures"][0]["org"], a["figures"][0]["value"]) == ("长沙市信访局", 4.33)


def test_a_failed_turn_passes_nothing_on(answers: list[dict]) -> None:
    a = answers[5]
    assert not a["found"] and a["context"] == [] and a["figures"] == []
    assert "湘潭县" not in a["answer"] and "北京" not in a["answer"]


def test_a_question_not_in_chinese_is_asked_again_in_chinese(answers: list[dict]) -> None:
    a = answers[6]
    assert not a["found"] and a["figures"] == [] and a["answer"].startswith("请用中文提问，例如“")


def test_another_metric_does_not_stand_in_after_a_follow_up(answers: list[dict]) -> None:
    a = answers[7]
    assert not a["found"] and a["figures"] == []
    assert a["context"] == ["2024年", "预算执行率"]


def test_questions_as_typed(answers: list[dict]) -> None:
    for a in answers[8:10]:  # a law title names no organisation; a paragraph's 问题 asks no passage
        assert a["found"] and (a["figures"][0]["org"], a["figures"][0]["value"]) == ("湘潭县信访局", 281.98)


def test_a_decrease_says_so(answers: list[dict]) -> None:
    a = answers[10]
    assert (a["figures"][0]["value"], a["figures"][0]["direction"]) == (53.21, "down")
    assert "基本支出（减少）" in a["answer"]


def test_a_measure_is_kept_across_turns(engine) -> None:
    earlier = parse_query("岳阳市信访局2024年基本支出决算是多少", engine.catalog, engine.index.tokenizer)
    follow = inherit(parse_query("项目支出呢？", engine.catalog, engine.index.tokenizer), earlier)
    assert (follow.metric, follow.orgs, follow.years) == ("项目支出决算", {"岳阳市信访局"}, (2024,))
    said = inherit(parse_query("项目支出预算呢？", engine.catalog, engine.index.tokenizer), earlier)
    assert said.metric == "项目支出预算"  # a measure the follow-up names is its own
    assert engine.ask("项目支出呢？", ["岳阳市信访局2024年基本支出决算是多少"]).context == ["岳阳市信访局", "2024年"]


def test_every_bureau_means_the_bureaus_of_that_kind(engine) -> None:
    reports = pd.DataFrame(
        {
            "org": ["岳阳市信访局", "湘潭县信访局", "湘潭县财政局", "湘潭县人民医院"],
            "region": ["岳阳市", "湘潭县", "湘潭县", "湘潭县"],
            "year": [2024, 2024, 2024, 2024],
        }
    )
    catalog = Catalog.from_reports(reports)
    tokenizer = engine.index.tokenizer
    assert parse_query("各信访局2024年基本支出", catalog, tokenizer).orgs == {"岳阳市信访局", "湘潭县信访局"}
    assert parse_query("各医院2024年基本支出", catalog, tokenizer).orgs == {"湘潭县人民医院"}
    every = parse_query("所有单位2024年基本支出", catalog, tokenizer)
    assert every.spans_orgs and every.orgs == frozenset()
    assert parse_query("比较一下2024年基本支出", catalog, tokenizer).spans_orgs
    assert parse_query("历年基本支出", catalog, tokenizer).spans_years


@pytest.mark.skipif(not DIALOGUES.exists(), reason="needs ../shared/eval/dev_dialogues.jsonl")
def test_dev_dialogues_through_the_cli(seed_index: Path) -> None:
    run = qa_app("eval", str(DIALOGUES), "--min", "1.0", index=seed_index)
    assert run.returncode == 0, out(run)
    assert "all        10/10" in out(run)


def test_the_app_shows_what_it_inherited_and_can_drop_it(seed_index: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("QA_INDEX", str(seed_index))
    at = AppTest.from_file(APP, default_timeout=120).run()
    at.chat_input[0].set_value("岳阳市信访局2024年基本支出是多少").run()
    at.chat_input[0].set_value("湘潭县呢？").run()
    assert not at.exception, at.exception
    reply = at.chat_message[-1]
    assert reply.metric[0].value == "281.98万元"
    assert any("沿用上文：2024年 · 基本支出" in m.value for m in reply.markdown)
    at.chat_input[0].set_value("各信访局2024年基本支出").run()
    table = at.chat_message[-1].dataframe[0].value
    assert {"岳阳市信访局", "湘潭县信访局"} <= set(table.iloc[:, 0])  # both bureaus, not the one carried
    at.button(key="turn1-drop").click().run()
    assert not at.exception, at.exception
    alone = at.chat_message[3]  # "湘潭县呢？" asked on its own carries nothing and names no metric
    assert not any("沿用上文" in m.value for m in alone.markdown)
    assert not alone.metric or alone.metric[0].value != "281.98万元"
