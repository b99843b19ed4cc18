"""The synthetic archive generator (bench/synth.py): its gold answers must be true of the files it writes,
as the project's own reader reads them, and it must be deterministic and nested.

A small archive is generated into a temporary folder and every file is read back with
`qa_app.pipeline.process_file`: each figure question's value and unit stand in its gold file (and the reader
finds that figure there), each passage phrase stands in its file, each negative names nothing the archive
answers, and the project's judge accepts an answer built from the gold. The same seed gives the same bytes,
and a larger archive starts with the files of a smaller one.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import pytest

from qa_app.answer.contract import Answer, Citation, FigureOut, Passage
from qa_app.config import Settings
from qa_app.evaluate import judge, read_questions
from qa_app.pipeline import FileResult
from qa_app.sandbox import process_file

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "bench"))
import synth

SEED = 7
N = 12


@pytest.fixture(scope="module")
def small(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("synth12")
    synth.generate(N, out, seed=SEED, n_questions=200)
    return out


@pytest.fixture(scope="module")
def read_back(small: Path) -> dict[str, FileResult]:
    """Every file of the small archive through the project's reader, keyed by file name."""
    return {p.name: process_file(p, Settings()) for p in sorted((small / "corpus").iterdir())}


@pytest.fixture(scope="module")
def questions(small: Path) -> list[dict]:
    return read_questions(small / "questions.jsonl")


def test_files_formats_and_reports(small: Path, read_back: dict[str, FileResult]) -> None:
    names = [e.name for e in synth.archive(SEED, N)]
    assert sorted(names) == sorted(read_back)
    assert {Path(n).suffix for n in names} == {".txt", ".docx", ".pdf"}
    for entry in synth.archive(SEED, N):
        result = read_back[entry.name]
        assert len(result.reports) == 1, entry.name  # no body line reads as a second report's title
        report = result.reports[0]
        assert report.year == entry.report.year
        assert entry.report.org.name.endswith(report.org) or report.org.startswith(entry.report.org.region.name)
        assert len(result.doc.text) > 2000


def test_questions_schema_and_mix(questions: list[dict], small: Path) -> None:
    assert [q["id"] for q in questions] == [f"s{k:04d}" for k in range(1, len(questions) + 1)]
    kinds = {k: sum(q["kind"] == k for q in questions) for k in ("figure", "passage", "negative")}
    assert kinds == {"figure": 140, "passage": 30, "negative": 30}
    assert len({q["q"] for q in questions}) == len(questions)
    keys = {"figure": {"value", "unit", "doc", "evidence", "also"}, "passage": {"doc", "text"}, "negative": {"why"}}
    for q in questions:
        assert keys[q["kind"]] <= set(q), q
        if q["kind"] != "negative":
            assert (small / "corpus" / q["doc"]).is_file()


def test_figure_gold_stands_in_its_file(questions: list[dict], read_back: dict[str, FileResult]) -> None:
    """Value and unit together in the normalised text, the evidence verbatim in the stored text, and the reader
    finds a figure of that value and unit in the file."""
    for q in questions:
        if q["kind"] != "figure":
            continue
        result = read_back[q["doc"]]
        assert q["value"] + q["unit"] in result.doc.norm.text, q
        assert q["evidence"] in result.doc.text, q
        assert q["value"] in q["evidence"]
        found = [f for f in result.figures if f.unit == q["unit"] and abs(f.value - float(q["value"])) < 1e-9]
        assert found, q


def test_passage_and_negative_golds(questions: list[dict], read_back: dict[str, FileResult]) -> None:
    entries = synth.archive(SEED, N)
    names = {n for e in entries for n in (e.report.org.name, e.report.org.local_name, e.report.title_org)}
    stems = {e.report.org.region.stem + e.report.org.dept_name for e in entries}
    for q in questions:
        if q["kind"] == "passage":
            assert q["text"] in read_back[q["doc"]].doc.text, q
            assert not re.search(r"\d", q["text"])
        elif q["kind"] == "negative":
            why = q["why"]
            if why.startswith("org: "):
                who = why.removeprefix("org: ").split(" ")[0]
                assert who not in names and not any(n in q["q"] for n in names | stems), q
            elif why.startswith("year: "):
                year = int(re.search(r"(20\d\d)年", q["q"]).group(1))
                assert not synth.FIRST_YEAR - 1 <= year <= synth.LAST_YEAR, q
            else:
                assert why.startswith("metric: ")
                org, words = re.match(r"metric: no report of (\S+) mentions (\S+)", why).groups()
                texts = [read_back[e.name].doc.text for e in entries if e.report.org.name == org]
                assert texts and not any(w in t for w in words.split("/") for t in texts), q


def test_judge_accepts_the_gold(questions: list[dict], read_back: dict[str, FileResult]) -> None:
    """The file is in the evaluator's schema: an answer that gives exactly the gold passes `judge`."""
    texts = {name: r.doc.text for name, r in read_back.items()}
    for q in questions:
        if q["kind"] == "figure":
            text = texts[q["doc"]]
            start = text.index(q["evidence"])
            cite = Citation(q["doc"], "", "", start, start + len(q["evidence"]), q["evidence"])
            fig = FigureOut(float(q["value"]), q["value"], q["unit"], "", "", None, 0)
            answer = Answer(q["q"], True, "", [fig], [cite])
        elif q["kind"] == "passage":
            answer = Answer(q["q"], True, "", passages=[Passage(q["doc"], "", "", texts[q["doc"]], 1.0, 0, 0)])
        else:
            answer = Answer(q["q"], False, "")
        assert judge(q, answer, texts) == "", q


def test_previous_year_figures_match_that_years_report() -> None:
    """ "上年…" in a report is what the organisation's report of the year before states as its own figure."""
    entries = synth.archive(SEED, 80)
    by = {(e.report.org.name, e.report.year): e.report for e in entries}
    pairs = 0
    for (org, year), report in by.items():
        before = by.get((org, year - 1))
        if before is None:
            continue
        for key, fact in report.facts.items():
            if fact.unit != "万元":  # a share's "比上年…" that follows it compares the amount before it
                continue
            m = re.search(re.escape(fact.evidence) + r"，(?:上年为|较上年|比上年同期)(\d+\.\d\d)", report.text)
            if m and key in before.facts:
                assert m.group(1) == before.facts[key].value, (org, year, key)
                pairs += 1
        for item in report.items:  # the 上年 columns of the money and 三公 tables
            if isinstance(item, synth.docgen.Table) and len(item.rows[0]) >= 3 and "上年" in item.rows[0][2]:
                previous = {row[0]: row[2] for row in item.rows[1:]}
                for label, key in ((report.facts["total"].label, "total"), ("合计", "sangong")):
                    if label in previous and key in before.facts:
                        assert previous[label] == before.facts[key].value, (org, year, key)
                        pairs += 1
    assert pairs >= 5


def test_same_seed_same_bytes_and_nested(small: Path, tmp_path: Path) -> None:
    again, larger = tmp_path / "again", tmp_path / "larger"
    synth.generate(N, again, seed=SEED, n_questions=200)
    synth.generate(20, larger, seed=SEED, n_questions=50)
    assert (again / "questions.jsonl").read_bytes() == (small / "questions.jsonl").read_bytes()
    first = [e.name for e in synth.archive(SEED, N)]
    assert [e.name for e in synth.archive(SEED, 20)][:N] == first
    for name in first:
        data = (small / "corpus" / name).read_bytes()
        assert (again / "corpus" / name).read_bytes() == data, name
        assert (larger / "corpus" / name).read_bytes() == data, name
    other = [json.loads(line)["q"] for line in (again / "questions.jsonl").read_text("utf-8").splitlines()]
    assert len(other) == 200
    pairs = {(e.report.org.name, e.report.year) for e in synth.archive(SEED, 300)}
    assert len(pairs) == 300  # no (organisation, year) twice


def test_more_places_leave_smaller_archives_as_they_were(monkeypatch: pytest.MonkeyPatch) -> None:
    """Archives measured before MORE_ORGS existed (up to ~11,000 reports) stay the same archives: the stream
    is the one without MORE_ORGS until the first MORE_ORGS organisation opens; it now holds 20,000."""
    stream = [(org.name, year) for org, year in synth.schedule(SEED)]
    monkeypatch.setattr(synth, "MORE_ORGS", ())
    before = [(org.name, year) for org, year in synth.schedule(SEED)]
    same = next(i for i, (a, b) in enumerate(zip(stream, before, strict=False)) if a != b)
    assert same > 10_000
    first = {org.name for org in synth.ALL_ORGS}
    assert all(name in first for name, _ in stream[:same])
    assert len(before) < 20_000 <= len(stream)
