"""One figure under its several names. A share asked in any of its wordings ("所占比重", "占总支出的比例") is
answered by the share the report states ("基本支出占总支出"); one share under several names ("占总支出",
"占支出总额") is one metric over years; a total asked by one name (总支出) is the total written by another."""

from __future__ import annotations

import pytest
from conftest import engine_of

from qa_app.answer.features import Rarity, likeness, one_name
from qa_app.engine import Engine

REPORTS = {
    "2023.txt": "青禾县农业农村局2023年度部门整体支出绩效自评报告\n一、支出情况\n"
    "2023年本部门支出合计800.00万元，其中：基本支出430.00万元，占总支出的53.75%；"
    "项目支出370.00万元，占总支出的46.25%。\n",
    "2022.txt": "青禾县农业农村局2022年度部门整体支出绩效自评报告\n一、支出情况\n"
    "2022年本部门支出总额760.00万元，其中：基本支出418.00万元，占支出总额的55.00%；"
    "项目支出342.00万元，占支出总额的45.00%。\n",
    "林业.txt": "青禾县林业局2023年度部门整体支出绩效自评报告\n一、支出情况\n"
    "2023年全年支出500.00万元，其中三公经费支出12.00万元。\n",
}


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory) -> Engine:
    return engine_of(tmp_path_factory, "shares", REPORTS)


@pytest.mark.parametrize(
    ("question", "value"),
    [
        ("青禾县农业农村局2023年基本支出所占比重是多少", 53.75),
        ("青禾县农业农村局2022年基本支出所占比例", 55.0),
        ("青禾县农业农村局2023年项目支出的占比", 46.25),
    ],
)
def test_a_share_asked_in_other_words_is_the_share_stated(engine: Engine, question: str, value: float) -> None:
    answer = engine.ask(question)
    assert answer.found and (answer.figures[0].value, answer.figures[0].unit) == (value, "%")


def test_one_share_under_two_names_leads_with_its_newest_year(engine: Engine) -> None:
    """No year asked: 2023 leads, though it calls the share asked as 2022 does ("占支出总额") "占总支出"."""
    answer = engine.ask("青禾县农业农村局项目支出占支出总额的比例是多少")
    assert [(f.year, f.value) for f in answer.figures[:2]] == [(2023, 46.25), (2022, 45.0)]


def test_one_figure_under_its_names_is_alike_whatever_the_corpus() -> None:
    """ "占总支出" and "占支出总额" name one share; how alike they are does not hang on how rare each wording
    happens to be among the labels of an index."""
    rarity = Rarity.of_labels(["项目支出占总支出", "基本支出占总支出", "人员经费", "公用经费", "三公经费", "支出总额"])
    assert one_name("项目支出占总支出") == one_name("项目支出占支出总额")
    assert likeness("项目支出占支出总额", "项目支出占总支出", rarity) == 1.0


def test_a_total_asked_by_one_name_is_the_total_written_by_another(engine: Engine) -> None:
    """总支出 asked, 全年支出 written: both are 支出合计 (budget_concepts.toml); the 三公经费 part is not it."""
    answer = engine.ask("青禾县林业局2023年总支出多少")
    assert answer.found and answer.figures[0].value == 500.0
