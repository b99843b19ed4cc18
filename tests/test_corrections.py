"""A report read without organisation or year, corrected in 报告信息.toml (qa_app.corrections), on real builds.

The correction goes through `save_correction`, the function the app's form calls; the rebuild must read that
file alone, and the corrected name must reach the reports, figures, sections, catalog, filters and answers.
"""

from __future__ import annotations

import shutil
import tomllib
from pathlib import Path

import pandas as pd
import pytest
from conftest import UNKNOWN

from qa_app.build import BuildError, build_index, corpus_files, index_state
from qa_app.config import Settings
from qa_app.corrections import (
    FILE_NAME,
    Correction,
    CorrectionError,
    checked,
    correct,
    read_corrections,
    save_correction,
)
from qa_app.engine import get_engine
from qa_app.search.retrieve import Within
from qa_app.store.loader import load_tables
from qa_app.structure.reports import Report

ORG = "衡山县民政局"
QUESTION = f"{ORG}2024年会议费支出多少"


@pytest.fixture
def corpus_copy(unknown_corpus: tuple[Path, Path], tmp_path: Path) -> Settings:
    corpus, index = unknown_corpus
    shutil.copytree(corpus, tmp_path / "corpus")
    shutil.copytree(index, tmp_path / "index")
    return Settings(corpus_dir=tmp_path / "corpus", index_dir=tmp_path / "index")


def _others(settings: Settings) -> dict[str, pd.DataFrame]:
    """The rows of every file but UNKNOWN, per table."""
    tables = load_tables(settings.index_dir)
    return {
        name: frame[frame["doc"] != UNKNOWN].reset_index(drop=True) for name, frame in tables.items() if "doc" in frame
    }


def test_a_correction_reaches_reports_figures_catalog_filters_and_answers(corpus_copy: Settings) -> None:
    settings = corpus_copy
    before = get_engine(settings)
    (unknown,) = before.index.reports[before.index.reports["doc"] == UNKNOWN].itertuples()
    assert unknown.org == "" and pd.isna(unknown.year)
    assert ORG not in before.catalog.aliases
    assert not any(f.value == 12.34 for f in before.ask(QUESTION).figures)
    others = _others(settings)

    save_correction(settings.corpus_dir, UNKNOWN, checked(f"  {ORG} ", "2024"))
    assert read_corrections(settings.corpus_dir) == {UNKNOWN: Correction(ORG, 2024)}
    assert FILE_NAME not in {p.name for p in corpus_files(settings.corpus_dir)}  # never read as a report
    state = index_state(settings)
    assert not state.current and UNKNOWN in state.reason and FILE_NAME in state.reason

    report = build_index(settings)
    assert [r.doc.name for r in report.read] == [UNKNOWN]  # the one file the correction concerns, nothing else
    assert sorted(report.reused) == sorted(n for n in others["documents"]["doc"])
    assert index_state(settings).current
    after = _others(settings)
    for name, frame in others.items():  # the other files' rows are the very rows of the last index
        pd.testing.assert_frame_equal(after[name], frame, check_dtype=False)

    engine = get_engine(settings)
    index = engine.index
    reports = index.reports[index.reports["doc"] == UNKNOWN]
    assert reports[["org", "region", "year"]].values.tolist() == [[ORG, "衡山县", 2024]]
    figures = index.figures[index.figures["doc"] == UNKNOWN]
    assert len(figures) and set(figures["org"]) == {ORG} and set(figures["region"]) == {"衡山县"}
    assert 2024 in set(figures["year"])
    chunks = index.chunks[index.chunks["doc"] == UNKNOWN]
    assert all(text.startswith(ORG) for text in chunks["index_text"])  # what BM25 and the vectors read
    assert engine.catalog.aliases[ORG] == {ORG} and ORG in engine.catalog.aliases["衡山"]
    assert set(engine.figures_within(Within(frozenset({ORG}), frozenset()))["doc"]) == {UNKNOWN}

    answer = engine.ask(QUESTION)
    lead = answer.figures[0]
    assert answer.found and (lead.value, lead.unit, lead.org, lead.year) == (12.34, "万元", ORG, 2024)
    cited = answer.citations[lead.citation]
    assert cited.doc == UNKNOWN and index.texts[UNKNOWN][cited.start : cited.end] == cited.quote
    assert engine.ask("衡山会议费支出多少").figures[0].value == 12.34  # the region's stem names it too

    # Unchanged, nothing is read; a changed year reads that file again, and only it.
    assert build_index(settings).read == []
    save_correction(settings.corpus_dir, UNKNOWN, checked(ORG, "2023年"))
    again = build_index(settings)
    assert [r.doc.name for r in again.read] == [UNKNOWN] and again.read[0].reports[0].year == 2023


def test_a_broken_corrections_file_stops_the_build_and_keeps_the_index(corpus_copy: Settings) -> None:
    settings = corpus_copy
    manifest = (settings.index_dir / "manifest.json").read_bytes()
    (settings.corpus_dir / FILE_NAME).write_text('["自评报告.txt"]\norg = "衡山县民政局"\nyear = 20244\n', "utf-8")
    state = index_state(settings)
    assert not state.current and "20244" in state.reason
    with pytest.raises(BuildError, match="20244"):
        build_index(settings)
    assert (settings.index_dir / "manifest.json").read_bytes() == manifest


@pytest.mark.parametrize(
    ("org", "year", "message"),
    [
        ("  ", "2024", "请填写单位名称"),
        ("衡山县民政局", "", "请填写年度"),
        ("衡山县民政局", "二〇二四", "年度应为四位数字"),
        ("衡山县民政局", "20244", "年度应在 1990 到 2100 之间"),
        ("衡山县民政局", "1989", "年度应在 1990 到 2100 之间"),
        ("局" * 61, "2024", "单位名称过长"),
    ],
)
def test_what_cannot_be_an_organisation_or_a_year_is_refused_in_chinese(org: str, year: str, message: str) -> None:
    with pytest.raises(CorrectionError, match=message):
        checked(org, year)


def test_checked_trims_and_takes_a_year_as_people_write_it() -> None:
    assert checked(" 衡山县 民政局\t", " 2024年度 ") == Correction("衡山县 民政局", 2024)
    assert checked("衡山县民政局", 1990) == Correction("衡山县民政局", 1990)


def test_the_file_keeps_every_entry_and_any_file_name(tmp_path: Path) -> None:
    names = ['a "quoted" \\ name.txt', "报告#1.docx", "sub/folder/报告.pdf", "报告.docx#1"]
    for n, name in enumerate(names):
        save_correction(tmp_path, name, Correction(f"湘潭县{n}局", 2020 + n))
    expected = {name: Correction(f"湘潭县{n}局", 2020 + n) for n, name in enumerate(names)}
    assert read_corrections(tmp_path) == expected
    assert set(tomllib.loads((tmp_path / FILE_NAME).read_text("utf-8"))) == set(names)
    assert [p.name for p in tmp_path.iterdir() if not p.name.startswith(".")] == [FILE_NAME]


def test_a_report_s_own_entry_comes_before_its_file_s() -> None:
    reports = [Report("f.txt", i, "自评报告", "", "", None, "其他", 0, 0, 0, 0) for i in range(2)]
    fixed = correct(reports, {"f.txt": Correction("株洲市渌口区信访局", 2023), "f.txt#1": Correction("", 2024)})
    assert [(r.org, r.region, r.year) for r in fixed] == [
        ("株洲市渌口区信访局", "株洲市 › 渌口区", 2023),
        ("株洲市渌口区信访局", "株洲市 › 渌口区", 2024),
    ]
    assert correct(reports, {}) == reports
