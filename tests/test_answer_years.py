"""Which year leads an answer, on a small corpus of one organisation's reports of several years."""

from __future__ import annotations

import pytest

from qa_app.build import build_index
from qa_app.config import Settings
from qa_app.engine import Engine, get_engine

REPORT = """南山县民政局{year}年度部门整体支出绩效自评报告

一、部门基本情况
南山县民政局主要负责全县社会救助、养老服务和社会事务管理等工作。

二、“三公”经费支出情况
{year}年{sentence}，主要用于上级部门检查指导工作的接待。

三、存在的问题
部分项目资金支付进度偏慢。
"""
# The oldest report words the metric exactly as asked; the newer ones in other words.
SENTENCES = {2022: "公务接待支出2.50万元", 2023: "公务接待费支出3.10万元", 2024: "公务接待费用支出2.80万元"}


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory) -> Engine:
    root = tmp_path_factory.mktemp("years")
    corpus = root / "corpus"
    corpus.mkdir()
    for year, sentence in SENTENCES.items():
        (corpus / f"南山县民政局{year}.txt").write_text(REPORT.format(year=year, sentence=sentence), "utf-8")
    settings = Settings(corpus_dir=corpus, index_dir=root / "index")
    build_index(settings)
    return get_engine(settings)


def test_no_year_asked_gives_the_newest_year_of_the_same_metric(engine: Engine) -> None:
    answer = engine.ask("南山县民政局公务接待支出多少")
    assert answer.found
    lead = answer.figures[0]
    assert (lead.year, lead.text) == (2024, "2.80万元")  # the newest, though 2022 words it as asked
    assert {f.year for f in answer.figures} >= {2023, 2024}


def test_a_year_asked_is_the_year_answered(engine: Engine) -> None:
    for year, sentence in SENTENCES.items():
        answer = engine.ask(f"南山县民政局{year}年公务接待支出多少")
        assert answer.found and answer.figures[0].year == year
        assert answer.figures[0].text in sentence
