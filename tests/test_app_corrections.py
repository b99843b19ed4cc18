"""The 报告 view's form for a report read without organisation or year, driven by AppTest on a real index.

Saving writes 报告信息.toml beside the corpus and rebuilds as an upload does; the 单位 filter then lists the name.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from conftest import UNKNOWN
from streamlit.testing.v1 import AppTest

from qa_app.corrections import FILE_NAME, Correction, read_corrections

ROOT = Path(__file__).resolve().parent.parent
APP = str(ROOT / "qa_app" / "ui" / "app.py")
ORG = "衡山县民政局"
RID = f"{UNKNOWN}#0"


def unplain(text: str) -> str:
    return re.sub(r"\\(.)", r"\1", text)


def save(at: AppTest) -> AppTest:
    (button,) = [b for b in at.button if b.label == "保存" and RID in b.form_id]
    button.click().run()
    assert not at.exception, at.exception
    return at


def test_a_report_without_organisation_is_corrected_in_the_app(
    unknown_corpus: tuple[Path, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    corpus, index = tmp_path / "corpus", tmp_path / "index"
    shutil.copytree(unknown_corpus[0], corpus)
    shutil.copytree(unknown_corpus[1], index)
    monkeypatch.setenv("QA_CORPUS", str(corpus))
    monkeypatch.setenv("QA_INDEX", str(index))
    at = AppTest.from_file(APP, default_timeout=180).run()
    assert not at.exception, at.exception
    assert ORG not in at.multiselect(key="orgs").options
    at.radio(key="view").set_value("报告").run()
    (panel,) = [e for e in at.expander if e.label.startswith("补充单位和年度")]
    assert "1 份报告缺少单位或年度" in panel.label

    # Refused input says why, in Chinese, and writes nothing.
    at.text_input(key=f"org-{RID}").input(f" {ORG} ")
    at.text_input(key=f"year-{RID}").input("20244")
    save(at)
    assert [unplain(e.value) for e in at.error] == ["未保存：年度应在 1990 到 2100 之间（填写的是 20244）"]
    assert not (corpus / FILE_NAME).exists()

    at.text_input(key=f"year-{RID}").input("2025")  # a year no seed report has: it must join the 年度 filter
    save(at)
    assert not at.error
    assert read_corrections(corpus) == {UNKNOWN: Correction(ORG, 2025)}
    (done,) = at.success
    said = f"已保存：{UNKNOWN} 的单位为 {ORG}，年度为 2025年；索引已更新（重新读取：{UNKNOWN}）。"
    assert unplain(done.value) == said
    assert ORG in at.multiselect(key="orgs").options
    assert "2025" in at.multiselect(key="years").options
    assert not [e for e in at.expander if e.label.startswith("补充单位和年度")]  # nothing is missing now

    # The filter keeps that report's figures only; the chat answers a question naming the organisation.
    at.multiselect(key="orgs").select(ORG).run()
    at.radio(key="view").set_value("数字").run()
    (table,) = at.dataframe
    assert set(table.value["单位"]) == {ORG} and 12.34 in set(table.value["数值"])
    at.radio(key="view").set_value("问答").run()
    at.chat_input[0].set_value(f"{ORG}2025年会议费支出多少").run()
    assert not at.exception, at.exception
    assert at.chat_message[-1].metric[0].value == "12.34万元"
