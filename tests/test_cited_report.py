"""A figure a later report restates (上年, a comparison column) is cited from its own year's report, and an
organisation under another of its names is not listed as another organisation."""

from __future__ import annotations

import pytest
from conftest import engine_of

from qa_app.engine import Engine

REPORTS = {
    # The later report names the body without its city and restates last year's figures in a column.
    "2024.txt": "青禾区民政局2024年度部门整体支出绩效自评报告\n一、支出情况\n单位：万元\n"
    "| 项目 | 2024年 | 2023年 |\n| --- | --- | --- |\n| 基本经费支出 | 650.10 | 612.40 |\n"
    "| 项目经费支出 | 402.00 | 367.60 |\n",
    "2023.txt": "江城市青禾区民政局2023年度部门整体支出绩效自评报告\n一、支出情况\n"
    "2023年支出合计980.00万元，其中：基本支出612.40万元，项目支出367.60万元。\n",
}


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory) -> Engine:
    return engine_of(tmp_path_factory, "cited", REPORTS)


def test_a_restated_figure_is_cited_from_its_own_years_report(engine: Engine) -> None:
    answer = engine.ask("青禾区民政局2023年基本经费支出是多少")
    assert (answer.figures[0].value, answer.figures[0].year) == (612.4, 2023)
    assert answer.citations[answer.figures[0].citation].doc == "2023.txt"


def test_another_name_of_the_body_is_not_another_organisation(engine: Engine) -> None:
    answer = engine.ask("青禾区民政局2023年基本经费支出是多少")
    assert "其他单位" not in answer.answer
    assert [f.value for f in answer.figures] == [612.4]
