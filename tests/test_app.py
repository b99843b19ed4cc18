"""The Streamlit app on a real index of the seed corpus, driven by AppTest."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from qa_app.cli import build
from qa_app.config import Settings
from qa_app.embed import get_embedder
from qa_app.index import write_index

APP = str(Path(__file__).resolve().parent.parent / "qa_app" / "app.py")


def test_app_shows_figures_and_filters_them(seed_index: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("QA_INDEX", str(seed_index))
    at = AppTest.from_file(APP, default_timeout=60).run()
    assert not at.exception
    at.multiselect(key="org").select("湘潭县信访局").run()
    at.text_input(key="metric").input("信访救助支出").run()
    shown = at.dataframe[0].value
    assert list(shown["value"]) == [519.69]
    assert list(shown["unit"]) == ["万元"] and list(shown["year"]) == [2024]


def test_app_without_index_says_what_to_run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("QA_INDEX", str(tmp_path / "missing"))
    at = AppTest.from_file(APP, default_timeout=60).run()
    assert "qa-app build" in at.error[0].value


def test_report_text_is_never_rendered_as_markdown(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "x.txt").write_text(
        "2024年度某县财政局部门整体支出绩效自评报告\n一、<i>斜体</i>[链接](#x)情况\n支出<b>100万元</b>。\n",
        encoding="utf-8",
    )
    settings = Settings(corpus_dir=corpus, index_dir=tmp_path / "index")
    results, failures = build(settings, out=io.StringIO())
    write_index(settings.index_dir, results, failures, {}, get_embedder(settings.embedder))
    monkeypatch.setenv("QA_INDEX", str(settings.index_dir))
    at = AppTest.from_file(APP, default_timeout=60).run()
    labels = [e.label for e in at.expander]
    assert r"\<i\>斜体\</i\>\[链接\]\(\#x\)情况" in labels  # escaped: shown as text, never a link
    assert any("<b>100万元</b>" in t.value for t in at.text)  # st.text shows raw text, no HTML
