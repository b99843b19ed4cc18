"""Reports of any department: a name found only in a report's text scopes the question, a figure must name
the budget concept asked, and a figure in another unit than the one asked is never the answer.

The corpus is one generated 部门决算 note whose title names no organisation (so no report is read as one):
the kindergarten is named only in its body, the 三公经费 figures are labelled by their clause (实际支出)."""

from __future__ import annotations

import pytest

from qa_app.answer.compose import shown
from qa_app.answer.contract import FigureOut
from qa_app.answer.features import head, measure
from qa_app.build import build_index
from qa_app.config import Settings
from qa_app.engine import Engine, get_engine
from qa_app.extract.prose import with_subject

REPORT = """2023年度部门决算公开说明

一、收入支出决算总体情况
本单位为全额拨款事业单位。青州市实验幼儿园2023年收入合计1,234.56万元，比上年减少12.30万元。

二、“三公”经费支出情况
2023年“三公”经费财政拨款预算20.00万元，实际支出15.50万元，比预算减少4.50万元。

三、其他情况
本年支出合计1,200.00万元。临时救助标准为2个月。

四、公务接待费情况
2023年公务接待费支出预算为3.00万元，支出决算为2.10万元，完成预算的70%。

五、项目情况
2023年，本单位实施项目共6个（含2022年结转项目2个），调整预算后项目预算86.40万元。
下达我市2023年粪污资源化利用项目资金100万元。粪污处理设施建成8处，项目计划总投资195.8万元，其中自筹资金95.8万元。
2023年政府性基金调入12.00万元。

六、采购与教育经费
据统计，财政部门公布全市本期采购规模21.50亿元。分散采购金额占采购规模的比重为20.7%，比上年提高1.2个百分点。
2023年全市一般公共预算教育经费52.40亿元。各学段生均一般公共预算教育经费：小学由上年的9425.20元增加到9577.90元。
专项资金共90.00万元，截止2023年12月31日，已完成拨付80.00万元。

七、各学段生均一般公共预算公用经费增长情况
初中由上年的1200.50元增加到1350.80元，增长12.5%。
高中由上年的1500.00元增加到1620.40元，增长8.0%。
"""


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory) -> Engine:
    root = tmp_path_factory.mktemp("kinds")
    (root / "corpus").mkdir()
    (root / "corpus" / "决算说明.txt").write_text(REPORT, "utf-8")
    settings = Settings(corpus_dir=root / "corpus", index_dir=root / "index")
    build_index(settings)
    assert set(get_engine(settings).index.reports["org"]) == {""}  # read as no organisation
    return get_engine(settings)


def test_a_name_in_the_text_is_the_scope_not_a_refusal(engine: Engine) -> None:
    answer = engine.ask("青州市实验幼儿园2023年收入合计多少？")
    assert answer.found and answer.figures[0].value == 1234.56
    cite = answer.citations[answer.figures[0].citation]
    assert "青州市实验幼儿园" in cite.quote


def test_a_name_written_nowhere_is_still_refused(engine: Engine) -> None:
    answer = engine.ask("青岛市实验幼儿园2023年收入合计多少？")
    assert not answer.found and "没有“青岛市实验幼儿园”的报告" in answer.answer


def test_a_concept_named_by_the_sentence_answers(engine: Engine) -> None:
    answer = engine.ask("2023年三公经费实际支出多少？")
    assert answer.found and answer.figures[0].value == 15.5


def test_a_figure_without_the_concept_asked_is_not_the_answer(engine: Engine) -> None:
    """支出合计 1,200.00 is a total of all spending, not of 三公经费: no number rather than that one."""
    answer = engine.ask("2023年三公经费支出合计多少？")
    assert 1200.0 not in [f.value for f in answer.figures]


def test_a_figure_in_a_unit_not_asked_is_not_the_answer(engine: Engine) -> None:
    """人次 asked, the report has 临时救助标准 in 个月: a different measure."""
    answer = engine.ask("2023年临时救助了多少人次？")
    assert not answer.found


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("102萬元", "102萬元"),
        ("284.14", "284.14万元"),
        ("5億元", "5億元"),
        ("236.78億", "236.78億元"),
        ("8万", "8万元"),
    ],
)
def test_a_unit_written_in_traditional_characters_is_not_added_again(text: str, expected: str) -> None:
    unit = "亿元" if "億" in text else "万元"
    assert shown(FigureOut(1.0, text, unit, "收入", "", None, 0)) == expected


def test_the_judge_finds_the_number_as_the_report_writes_it(engine: Engine) -> None:
    from qa_app.evaluate import judge

    answer = engine.ask("青州市实验幼儿园2023年收入合计多少？")
    item = {"kind": "figure", "value": "1234.56", "unit": "万元", "doc": "决算说明.txt", "raw": "1,234.56"}
    assert judge(item, answer, engine.index.texts) == ""
    assert "does not hold 1234.56" in judge({**item, "raw": ""}, answer, engine.index.texts)


@pytest.mark.parametrize(
    ("question", "value"), [("2023年公务接待费支出决算多少", 2.10), ("2023年公务接待费支出预算多少", 3.00)]
)
def test_the_measure_asked_picks_the_figure(engine: Engine, question: str, value: float) -> None:
    # "支出决算为2.10万元" names only how the sentence's subject is measured: its label carries 公务接待费,
    # and a 预算 figure never answers a 决算 question (nor the reverse)
    answer = engine.ask(question)
    assert answer.found and [f.value for f in answer.figures] == [value]


def test_a_decrease_is_said(engine: Engine) -> None:
    answer = engine.ask("青州市实验幼儿园2023年收入合计比上年减少了多少？")
    assert answer.found and (answer.figures[0].value, answer.figures[0].direction) == (12.30, "down")
    assert "（减少）" in answer.answer


def test_what_a_label_measures() -> None:
    assert measure("2021年度一般公共预算财政拨款三公经费支出预算") == "budget"  # 一般公共预算 names a budget
    assert measure("三公经费支出决算") == measure("年度资金总额·全年执行数") == "actual"
    assert measure("预算执行率") == measure("基本支出") == ""


def test_a_label_of_how_only_carries_the_subject() -> None:
    assert with_subject("支出决算", "三公经费支出预算") == "三公经费支出决算"
    assert with_subject("全年实际下达", "困难群众救助补助资金下达我区") == "困难群众救助补助资金下达我区全年实际下达"
    assert with_subject("项目支出", "基本支出") == "项目支出"  # a label with its own topic keeps it
    assert with_subject("年初预算", "全年预算安排") == "年初预算"  # a subject that is only a measure adds nothing


def test_a_year_in_an_aside_is_not_the_sentences_year(engine: Engine) -> None:
    # "（含2022年结转项目2个）" speaks of some projects; the sentence's figures stay 2023's
    answer = engine.ask("2023年调整预算后项目预算多少")
    assert answer.found and [(f.value, f.year) for f in answer.figures[:1]] == [(86.40, 2023)]


def test_the_head_noun_picks_the_figure(engine: Engine) -> None:
    # the 100万元 label shares the project's long name, the 195.8万元 one the head asked: 计划总投资
    answer = engine.ask("粪污资源化利用项目计划总投资多少")
    assert answer.found and answer.figures[0].value == 195.8


def test_another_money_flow_is_not_the_answer(engine: Engine) -> None:
    # 调入 is money moved in from another budget, not 收入: say so rather than show it as the answer
    assert engine.ask("2023年政府性基金调入多少").figures[0].value == 12.00
    assert not engine.ask("2023年政府性基金预算收入是多少").found


def test_the_head_of_a_metric() -> None:
    assert head("畜禽粪污资源化利用项目计划总投资") == "总投资"
    assert head("人员经费支出") == "人员"  # past the flows every label ends in
    assert head("公务用车购置费决算数") == "购置费"  # past the measure
    assert head("预算执行率") == "执行率"  # a rate stays whole


def test_a_share_does_not_answer_for_the_whole(engine: Engine) -> None:
    # "占采购规模的比重 20.7%" names 采购规模 as well as 21.50亿元 does, but measures a share of it
    assert engine.ask("2023年采购规模是多少").figures[0].value == 21.50
    assert engine.ask("2023年分散采购金额占采购规模的比重是多少").figures[0].value == 20.7


def test_an_amount_per_head_is_not_the_total(engine: Engine) -> None:
    # 生均 narrows the concept: the city's 52.40亿元 is never shown as the answer per pupil
    answer = engine.ask("2023年小学生均一般公共预算教育经费多少")
    assert 52.40 not in [f.value for f in answer.figures]
    assert engine.ask("2023年一般公共预算教育经费多少").figures[0].value == 52.40


def test_a_date_counted_to_frames_the_question(engine: Engine) -> None:
    answer = engine.ask("专项资金截至2023年12月31日完成拨付多少")
    assert answer.found and [(f.value, f.year) for f in answer.figures[:1]] == [(80.00, 2023)]


def test_the_heading_over_a_list_names_what_its_items_measure(engine: Engine) -> None:
    # "初中由上年的…增加到1350.80元" says only 初中: the heading over the list says what it measures
    answer = engine.ask("2023年初中生均一般公共预算公用经费多少")
    assert answer.found and answer.figures[0].value == 1350.80
