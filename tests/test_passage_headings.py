"""A passage question that names a section ("存在的问题是什么") gets the sections under that heading, of every
report in its scope, before sections that only sound like it."""

from __future__ import annotations

import pytest
from conftest import engine_of

from qa_app.answer.compose import headed_first
from qa_app.engine import Engine
from qa_app.search.retrieve import Hit

_BASICS = "本局负责全县水利工程建设与管理，承担防汛抗旱、农田水利、水土保持和农村饮水安全等职责。" * 3
_MORE = "下一步将结合年度重点工作，完善制度，压实责任，确保各项工作按期完成，资金使用安全规范有效。" * 2


def _report(year: int, problem: str, measure: str) -> str:
    return (
        f"青禾县水利局{year}年度部门整体支出绩效自评报告\n一、基本情况\n{_BASICS}\n"
        f"二、存在的问题\n{problem}{_MORE}\n三、改进措施\n{measure}{_MORE}\n"
    )


REPORTS = {
    "2023.txt": _report(
        2023,
        "部分项目前期论证不充分，资金拨付进度偏慢。",
        "针对存在的问题，加强项目前期论证；对存在的问题逐项整改，存在的问题整改到位。",
    ),
    "2024.txt": _report(
        2024,
        "绩效目标设置不够细化，个别指标难以量化。",
        "针对存在的问题，细化绩效目标；存在的问题建立台账，存在的问题按期销号。",
    ),
    "2022.txt": _report(
        2022,
        "个别单位预算编制较粗，年中调整较多。",
        "针对存在的问题，提高预算编制质量；存在的问题纳入考核，存在的问题限期整改。",
    ),
}


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory) -> Engine:
    return engine_of(tmp_path_factory, "headings", REPORTS)


def test_the_sections_the_question_names_come_first(engine: Engine) -> None:
    answer = engine.ask("青禾县水利局存在的问题是什么")
    assert answer.found
    assert [p.section.rpartition(" › ")[2] for p in answer.passages[:3]] == ["存在的问题"] * 3
    assert {p.doc for p in answer.passages[:3]} == set(REPORTS)


def test_headed_first_keeps_the_order_within_each_part() -> None:
    hits = [Hit(row, 1.0 - row / 10, row, row) for row in range(5)]
    sections = ["甲 › 改进措施", "乙 › 存在的问题", "丙 › 其他", "丁 › 二、存在的问题 › 存在的问题", "戊 › 问题"]
    order = [h.row for h in headed_first("青禾县水利局存在的问题是什么", hits, sections)]
    assert order == [1, 3, 0, 2, 4]  # "问题" is a word, no heading the question names
