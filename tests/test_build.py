"""qa_app.build: incremental rebuilds, the staleness check, unreadable files, the build lock, uploads; and the
`Within` filter of the app's sidebar (every search restricted to some organisations and years)."""

from __future__ import annotations

import json
import shutil
import threading
from pathlib import Path

import pandas as pd
import pytest

import qa_app.build
import qa_app.ui.cli
import qa_app.versions
from qa_app.build import BuildError, build_index, build_lock, file_sha256, index_state, safe_name, save_upload
from qa_app.config import Settings
from qa_app.engine import Engine
from qa_app.search.retrieve import Lookup, Within
from qa_app.store.loader import load_tables
from qa_app.ui.cli import main

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "corpus"
# the three smallest seed files (ls -laS corpus/)
SMALL = ("001_8614dcb30a713240.txt", "003_d2e36f3a4881f76a.txt", "004_be4a0c6940302084.txt")
# a stable id per table: rows of an incremental build come in another order than those of a full build
IDS = {"documents": "doc", "reports": "report_id", "chunks": "chunk_id", "figures": "figure_id", "metrics": "metric"}
YUEYANG = "岳阳市信访局"  # the organisation of 001_8614dcb30a713240.txt


def add(corpus: Path, name: str) -> Path:
    """A writable copy of a seed report (the seed files are read-only)."""
    target = corpus / name
    target.write_bytes((CORPUS / name).read_bytes())
    return target


def settings_for(corpus: Path, index: Path) -> Settings:
    return Settings(corpus_dir=corpus, index_dir=index)


def sorted_table(frame: pd.DataFrame, name: str) -> pd.DataFrame:
    return frame.sort_values(IDS[name], kind="stable").reset_index(drop=True)[sorted(frame.columns)]


def assert_same_tables(a: Path, b: Path) -> None:
    """The tables of two index folders hold the same rows, whatever their order (and their columns')."""
    left, right = load_tables(a), load_tables(b)
    assert set(left) == set(right) == set(IDS)
    for name, key in IDS.items():
        assert set(left[name].columns) == set(right[name].columns), name
        assert left[name][key].is_unique and right[name][key].is_unique, name
        pd.testing.assert_frame_equal(sorted_table(left[name], name), sorted_table(right[name], name), obj=name)


def text_keys(index: Path) -> set[str]:
    tables = load_tables(index)
    return set(tables["chunks"]["key"]) | set(tables["metrics"]["key"])


def manifest(index: Path) -> dict:
    return json.loads((index / "manifest.json").read_text("utf-8"))


@pytest.fixture(scope="module")
def built_pair(tmp_path_factory: pytest.TempPathFactory, seed_index: Path) -> tuple[Path, Path]:
    """SMALL[0] and SMALL[1] indexed once for this module; tests work on copies (`pair`).

    Built over a copy of the seed index (all five seed reports), so that embedding is spent once: both
    files are taken from it unread, the other three reports leave it, and nothing is embedded.
    """
    root = tmp_path_factory.mktemp("pair")
    corpus, index = root / "corpus", root / "index"
    corpus.mkdir()
    for name in SMALL[:2]:
        add(corpus, name)
    shutil.copytree(seed_index, index)
    report = build_index(settings_for(corpus, index))
    assert report.read == [] and report.reused == list(SMALL[:2]) and report.failures == []
    assert report.stats.embedded == 0
    tables = load_tables(index)
    for name in ("documents", "reports", "chunks", "figures"):
        assert set(tables[name]["doc"]) == set(SMALL[:2]), name
    return corpus, index


@pytest.fixture(scope="module")
def built_full(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """All three SMALL files built at once into a fresh index folder."""
    root = tmp_path_factory.mktemp("full")
    corpus, index = root / "corpus", root / "index"
    corpus.mkdir()
    for name in SMALL:
        add(corpus, name)
    report = build_index(settings_for(corpus, index))
    assert sorted(r.doc.name for r in report.read) == list(SMALL) and report.reused == []
    assert report.stats.cached == 0 and report.stats.embedded == len(text_keys(index))
    return corpus, index


def private_copy(built: tuple[Path, Path], tmp_path: Path) -> Settings:
    corpus, index = tmp_path / "corpus", tmp_path / "index"
    shutil.copytree(built[0], corpus)
    shutil.copytree(built[1], index)
    return settings_for(corpus, index)


@pytest.fixture()
def pair(built_pair: tuple[Path, Path], tmp_path: Path) -> Settings:
    """A private copy of the two-file corpus and of its index, current with each other."""
    return private_copy(built_pair, tmp_path)


# --- incremental builds -------------------------------------------------------------------------------------


def test_an_added_file_is_the_only_one_read_and_the_index_equals_a_full_build(
    pair: Settings, built_full: tuple[Path, Path]
) -> None:
    before = text_keys(pair.index_dir)
    add(pair.corpus_dir, SMALL[2])
    report = build_index(pair)
    assert report.reused == list(SMALL[:2])
    assert [r.doc.name for r in report.read] == [SMALL[2]]
    assert report.failures == []
    # only the new file's texts are embedded: the chunk and label texts this index has and the last had not
    after = text_keys(pair.index_dir)
    assert report.stats.embedded == len(after - before) > 0
    tables = load_tables(pair.index_dir)
    new_figures = tables["figures"][tables["figures"]["doc"] == SMALL[2]]
    new_texts = int((tables["chunks"]["doc"] == SMALL[2]).sum()) + new_figures["metric"].nunique()
    assert report.stats.embedded <= new_texts
    assert report.stats.cached == len(tables["chunks"]) + len(tables["metrics"]) - report.stats.embedded
    assert set(manifest(pair.index_dir)["files"]) == set(SMALL)
    assert report.counts == {k: v for k, v in manifest(built_full[1])["counts"].items() if k != "metrics"}
    assert after == text_keys(built_full[1]) and len(after) > report.stats.embedded
    assert_same_tables(pair.index_dir, built_full[1])
    assert set(tables["documents"]["doc"]) == set(tables["reports"]["doc"]) == set(SMALL)
    assert {"株洲市渌口区信访局", "湘潭县信访局", YUEYANG} == set(tables["reports"]["org"])


def test_a_changed_file_is_read_again_and_the_other_reused(pair: Settings) -> None:
    old = load_tables(pair.index_dir)
    changed = pair.corpus_dir / SMALL[0]
    with open(changed, "a", encoding="utf-8") as fh:
        fh.write("\n附注：本报告已于2025年复核。\n")
    state = index_state(pair)
    assert not state.current and SMALL[0] in state.reason and "changed" in state.reason

    report = build_index(pair)
    assert [r.doc.name for r in report.read] == [SMALL[0]]
    assert report.reused == [SMALL[1]]
    assert 0 < report.stats.embedded < len(old["chunks"]) + len(old["metrics"])
    new = load_tables(pair.index_dir)
    docs = new["documents"].set_index("doc")["text"]
    assert docs[SMALL[0]].rstrip().endswith("附注：本报告已于2025年复核。")
    assert manifest(pair.index_dir)["files"][SMALL[0]]["sha256"] == file_sha256(changed)
    # the unchanged file's rows are the previous index's rows
    for name in ("documents", "reports", "chunks", "figures"):
        keep_old = old[name][old[name]["doc"] == SMALL[1]].reset_index(drop=True)
        keep_new = new[name][new[name]["doc"] == SMALL[1]].reset_index(drop=True)
        if name == "figures":  # rows of metrics.npy are renumbered when the label set changes
            keep_old, keep_new = keep_old.drop(columns="metric_row"), keep_new.drop(columns="metric_row")
        pd.testing.assert_frame_equal(keep_new[keep_old.columns], keep_old, obj=name)
    assert index_state(pair).current


def test_a_removed_file_leaves_every_table(
    built_full: tuple[Path, Path], built_pair: tuple[Path, Path], tmp_path: Path
) -> None:
    full = private_copy(built_full, tmp_path)
    removed = load_tables(full.index_dir)["figures"]
    removed_labels = set(removed["metric"]) - set(removed.loc[removed["doc"] != SMALL[2], "metric"])
    assert removed_labels  # labels only the removed report has
    (full.corpus_dir / SMALL[2]).unlink()
    state = index_state(full)
    assert not state.current and SMALL[2] in state.reason and "removed" in state.reason

    report = build_index(full)
    assert report.read == [] and report.reused == list(SMALL[:2]) and report.failures == []
    assert report.stats.embedded == 0
    tables = load_tables(full.index_dir)
    for name in ("documents", "reports", "chunks", "figures"):
        assert set(tables[name]["doc"]) == set(SMALL[:2]), name
    assert not removed_labels & set(tables["metrics"]["metric"])
    assert set(tables["metrics"]["metric"]) == set(tables["figures"]["metric"].dropna()) - {""}
    assert list(manifest(full.index_dir)["files"]) == list(SMALL[:2])
    assert index_state(full).current
    # the same index as the two files taken out of the five-file seed index
    assert_same_tables(full.index_dir, built_pair[1])


def test_an_unchanged_rebuild_reads_and_embeds_nothing(pair: Settings) -> None:
    old = load_tables(pair.index_dir)
    report = build_index(pair)
    assert report.read == [] and report.reused == list(SMALL[:2]) and report.failures == []
    assert report.stats.embedded == 0
    assert report.stats.cached == len(old["chunks"]) + len(old["metrics"])
    new = load_tables(pair.index_dir)
    for name in IDS:
        pd.testing.assert_frame_equal(new[name], old[name], obj=name)


# --- index_state and `qa-app build --if-stale` --------------------------------------------------------------


def test_index_state_says_why_a_build_is_needed(pair: Settings, tmp_path: Path) -> None:
    missing = index_state(settings_for(pair.corpus_dir, tmp_path / "nowhere"))
    assert not missing.current and "qa-app build" in missing.reason
    assert index_state(pair) == qa_app.build.IndexState(True, "")

    other_reading = index_state(pair.with_overrides(chunk_max_chars=pair.chunk_max_chars + 100))
    assert not other_reading.current and "settings" in other_reading.reason
    other_model = index_state(pair.with_overrides(embedder=f"st:{tmp_path / 'no-such-model'}"))
    assert not other_model.current and "embedder" in other_model.reason

    added = add(pair.corpus_dir, SMALL[2])
    state = index_state(pair)
    assert not state.current and "added" in state.reason and SMALL[2] in state.reason
    added.unlink()
    assert index_state(pair).current
    # a hidden file (an editor's swap file) is not part of the corpus
    (pair.corpus_dir / ".~lock.report.txt#").write_text("x")
    assert index_state(pair).current


@pytest.mark.parametrize(
    ("component", "reason"),
    [("READER", "reading code"), ("TOKENIZER", "tokenizer"), ("PASSAGES", "embedder")],
)
def test_a_components_new_version_makes_the_index_stale(pair: Settings, monkeypatch, component: str, reason: str):
    """Staleness follows the components' explicit versions (qa_app.versions), not their source files."""
    assert index_state(pair).current
    monkeypatch.setattr(qa_app.versions, component, getattr(qa_app.versions, component) + 1)
    state = index_state(pair)
    assert not state.current and reason in state.reason
    report = build_index(pair)
    # a new reader reads every file again; a new tokenizer or passage code reuses the rows
    assert len(report.read) == (len(SMALL[:2]) if component == "READER" else 0)
    assert index_state(pair).current


def test_build_if_stale_builds_once_then_says_up_to_date(pair: Settings, capsys, monkeypatch) -> None:
    monkeypatch.delenv("QA_EMBEDDER", raising=False)
    with open(pair.corpus_dir / SMALL[1], "a", encoding="utf-8") as fh:
        fh.write("\n（完）\n")
    argv = ["build", "--corpus", str(pair.corpus_dir), "--index", str(pair.index_dir), "--if-stale"]
    assert main(argv) == 0
    first = capsys.readouterr().out
    assert "building the index:" in first and f"{SMALL[1]} changed" in first
    assert "indexed 2 files (1 unchanged)" in first and "up to date" not in first
    assert main(argv) == 0
    second = capsys.readouterr().out
    assert "up to date" in second and "indexed" not in second
    assert index_state(pair).current


# --- unreadable files ---------------------------------------------------------------------------------------


def test_unreadable_files_are_reported_and_not_read_again_while_unchanged(pair: Settings, monkeypatch) -> None:
    (pair.corpus_dir / "空白.txt").write_bytes(b"")
    (pair.corpus_dir / "binary.txt").write_bytes(b"\x00\x01\x02\x03\xff\xfe\x00\x00" * 16)
    tables_before = load_tables(pair.index_dir)
    report = build_index(pair)
    reasons = {f.doc: f.reason for f in report.failures}
    assert set(reasons) == {"空白.txt", "binary.txt"}
    assert reasons["空白.txt"] == "empty file" and "binary" in reasons["binary.txt"]
    assert all(f.sha256 == file_sha256(pair.corpus_dir / f.doc) for f in report.failures)
    assert report.read == [] and report.reused == list(SMALL[:2]) and report.stats.embedded == 0
    tables = load_tables(pair.index_dir)
    assert set(tables["documents"]["doc"]) == set(SMALL[:2])
    pd.testing.assert_frame_equal(tables["chunks"], tables_before["chunks"])
    assert {f["doc"] for f in manifest(pair.index_dir)["failures"]} == set(reasons)
    assert index_state(pair).current  # an unreadable file that is still there and unchanged needs no build

    # a spy on the real reader: the rebuild reads nothing, yet reports the same failures
    calls: list[str] = []
    real = qa_app.build.process_file

    def spy(path: Path, settings: Settings, name: str | None = None, corrections: dict | None = None, child=None):
        calls.append(name or path.name)
        return real(path, settings, name, corrections, child)

    monkeypatch.setattr(qa_app.build, "process_file", spy)
    again = build_index(pair)
    assert calls == [] and again.read == [] and again.stats.embedded == 0
    assert again.failures == report.failures

    # the bytes of another report: indexed once, under the first name, with both names kept
    (pair.corpus_dir / "空白.txt").write_bytes((CORPUS / SMALL[0]).read_bytes())
    assert "空白.txt changed" in index_state(pair).reason
    copied = build_index(pair)
    assert calls == [] and copied.copies == {"空白.txt": SMALL[0]} and copied.stats.embedded == 0
    assert [f.doc for f in copied.failures] == ["binary.txt"]
    documents = load_tables(pair.index_dir)["documents"].set_index("doc")
    assert "空白.txt" not in documents.index and documents.loc[SMALL[0], "copies"] == "空白.txt"
    assert manifest(pair.index_dir)["files"]["空白.txt"]["copy_of"] == SMALL[0]
    assert index_state(pair).current

    # once it holds a report of its own, the file is read and indexed; the other unreadable one still is not
    (pair.corpus_dir / "空白.txt").write_bytes((CORPUS / SMALL[0]).read_bytes() + "\n（完）\n".encode())
    fixed = build_index(pair)
    assert calls == ["空白.txt"] and [r.doc.name for r in fixed.read] == ["空白.txt"] and fixed.copies == {}
    assert [f.doc for f in fixed.failures] == ["binary.txt"]
    assert "空白.txt" in set(load_tables(pair.index_dir)["reports"]["doc"])


# --- the build lock -----------------------------------------------------------------------------------------


def test_a_second_build_lock_waits_for_the_first(tmp_path: Path) -> None:
    """Events fix the order: the first holds the lock until the test lets it go, so no timing decides it."""
    index = tmp_path / "index"
    first_in, first_release, waited, second_in = (threading.Event() for _ in range(4))
    order: list[str] = []

    def first() -> None:
        with build_lock(index):
            order.append("first in")
            first_in.set()
            assert first_release.wait(60)
            order.append("first out")

    def second() -> None:
        with build_lock(index, waiting=waited.set):
            order.append("second in")
            second_in.set()

    a = threading.Thread(target=first)
    a.start()
    assert first_in.wait(60)
    b = threading.Thread(target=second)
    b.start()
    assert waited.wait(60), "the second build was not told to wait"
    assert not second_in.is_set()  # cannot be: the first holds the lock until first_release
    first_release.set()
    a.join(60)
    b.join(60)
    assert not a.is_alive() and not b.is_alive()
    assert order == ["first in", "first out", "second in"]

    # a free lock is taken at once, without the waiting message
    told: list[bool] = []
    with build_lock(index, waiting=lambda: told.append(True)):
        pass
    assert told == []
    assert not index.exists()  # the lock lives beside the index folder, not in it


# --- uploads ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("client_name", "expected"),
    [
        ("../../etc/passwd.txt", "passwd.txt"),
        ("C:\\x\\报告 2024.docx", "报告 2024.docx"),
        ('a<b>c:d"e|f?g*h.txt', "a_b_c_d_e_f_g_h.txt"),
        ("x\x01\x1fy\x7f.md", "x_y_.md"),
        ("tab\there.pdf", "tab_here.pdf"),
        ("REPORT.TXT", "REPORT.txt"),
        ("  ..hidden.txt. ", "hidden.txt"),
        ("/abs/path/2023年报告.md", "2023年报告.md"),
    ],
)
def test_safe_name(client_name: str, expected: str) -> None:
    assert safe_name(client_name) == expected


@pytest.mark.parametrize("client_name", ["setup.exe", "README", "report.txt.exe", ".txt", "", "dir/"])
def test_safe_name_refuses_other_kinds_of_file(client_name: str) -> None:
    with pytest.raises(ValueError, match="can be added"):
        safe_name(client_name)


def test_save_upload_stays_in_the_corpus_and_never_overwrites(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    data = (CORPUS / SMALL[0]).read_bytes()

    saved = save_upload(corpus, "../../etc/passwd.txt", data, max_bytes=1 << 20)
    assert saved == corpus / "passwd.txt" and saved.read_bytes() == data
    assert saved.resolve().parent == corpus.resolve()
    windows = save_upload(corpus, "C:\\x\\报告 2024.docx", b"PK\x03\x04 not really", max_bytes=1 << 20)
    assert windows == corpus / "报告 2024.docx"

    # the same report again: the same file, no copy
    assert save_upload(corpus, "passwd.txt", data, max_bytes=1 << 20) == saved
    assert sorted(p.name for p in corpus.iterdir()) == ["passwd.txt", "报告 2024.docx"]

    # another report under the same name: a new name, the first file untouched
    other = save_upload(corpus, "passwd.txt", b"other report", max_bytes=1 << 20)
    assert other == corpus / "passwd (2).txt" and other.read_bytes() == b"other report"
    assert saved.read_bytes() == data
    third = save_upload(corpus, "passwd.txt", b"a third one", max_bytes=1 << 20)
    assert third == corpus / "passwd (3).txt"
    assert save_upload(corpus, "passwd.txt", b"other report", max_bytes=1 << 20) == other
    assert len(list(corpus.iterdir())) == 4

    with pytest.raises(ValueError, match="limit"):
        save_upload(corpus, "big.txt", b"x" * 101, max_bytes=100)
    assert save_upload(corpus, "fits.txt", b"x" * 100, max_bytes=100).read_bytes() == b"x" * 100
    with pytest.raises(ValueError, match="empty"):
        save_upload(corpus, "empty.txt", b"", max_bytes=100)
    with pytest.raises(ValueError, match="can be added"):
        save_upload(corpus, "virus.exe", b"MZ", max_bytes=100)
    with pytest.raises(ValueError, match="can be added"):
        save_upload(corpus, "noext", b"abc", max_bytes=100)
    assert sorted(p.name for p in corpus.iterdir()) == [
        "fits.txt",
        "passwd (2).txt",
        "passwd (3).txt",
        "passwd.txt",
        "报告 2024.docx",
    ]
    assert not (tmp_path / "etc").exists()


# --- Within: the sidebar's filters --------------------------------------------------------------------------


def org_of_passage(engine: Engine, doc: str, start: int, end: int) -> str:
    chunks = engine.index.chunks
    row = chunks[(chunks["doc"] == doc) & (chunks["start"] == start) & (chunks["end"] == end)]
    assert len(row) >= 1, (doc, start, end)
    reports = engine.index.reports.set_index("report_id")
    return str(reports.loc[row["report_id"].iloc[0], "org"])


def test_within_an_organisation_answers_only_from_its_reports(engine: Engine) -> None:
    question = "湘潭县信访救助支出多少"
    everywhere = engine.ask(question)
    assert everywhere.found and 519.69 in [f.value for f in everywhere.figures]
    unfiltered = engine.ask(question, within=Within())  # empty sets: no filter
    assert (unfiltered.answer, unfiltered.figures) == (everywhere.answer, everywhere.figures)

    yueyang = Within(orgs=frozenset({YUEYANG}))
    elsewhere = engine.ask(question, within=yueyang)
    assert not elsewhere.found and elsewhere.figures == [] and elsewhere.citations == []
    assert "所选" in elsewhere.answer and YUEYANG in elsewhere.answer
    assert "519.69" not in elsewhere.answer
    # the closest passages shown are still only the chosen organisation's
    assert elsewhere.passages
    assert {org_of_passage(engine, p.doc, p.start, p.end) for p in elsewhere.passages} == {YUEYANG}

    basic = engine.ask("基本支出多少", within=yueyang)
    assert basic.found and basic.figures
    assert {f.org for f in basic.figures} == {YUEYANG}
    assert "所选" not in basic.answer
    yueyang_docs = set(engine.index.reports.loc[engine.index.reports["org"] == YUEYANG, "doc"])
    assert {c.doc for c in basic.citations} <= yueyang_docs
    assert basic.passages
    assert {org_of_passage(engine, p.doc, p.start, p.end) for p in basic.passages} == {YUEYANG}
    # without the filter the same question also finds other organisations' figures
    assert {f.org for f in engine.ask("基本支出多少").figures} > {YUEYANG}


def test_within_a_year(engine: Engine) -> None:
    in_2022 = engine.ask("基本支出多少", within=Within(years=frozenset({2022})))
    assert in_2022.found and in_2022.figures
    reports = engine.index.reports
    docs_2022 = set(reports.loc[reports["year"] == 2022, "doc"])
    assert {f.year for f in in_2022.figures} == {2022}
    assert {c.doc for c in in_2022.citations} <= docs_2022
    assert {p.doc for p in in_2022.passages} <= docs_2022

    # organisation and year together; none of that organisation's reports is of that year
    nothing = engine.ask("基本支出多少", within=Within(orgs=frozenset({YUEYANG}), years=frozenset({2022})))
    assert not nothing.found and nothing.passages == []
    assert "所选" in nothing.answer and "2022年" in nothing.answer


def test_within_rows_selects_the_sections_of_the_chosen_reports(engine: Engine) -> None:
    chunks, reports = engine.index.chunks, engine.index.reports
    lookup = Lookup.of(chunks, reports)
    assert not Within() and Within(orgs=frozenset({YUEYANG})) and Within(years=frozenset({2024}))
    rows = Within(orgs=frozenset({YUEYANG})).rows(lookup, reports)
    assert len(rows) > 0 and set(chunks.iloc[rows]["doc"]) == {SMALL[0]}
    assert len(rows) == int((chunks["doc"] == SMALL[0]).sum())
    both = Within(orgs=frozenset({YUEYANG, "长沙市信访局"})).rows(lookup, reports)
    assert set(chunks.iloc[both]["report_id"]) == set(
        reports.loc[reports["org"].isin({YUEYANG, "长沙市信访局"}), "report_id"]
    )
    assert len(Within(orgs=frozenset({"不存在的单位"})).rows(lookup, reports)) == 0
    assert len(Within().rows(lookup, reports)) == len(chunks)


def test_a_long_chinese_name_is_shortened_to_what_the_file_system_takes(tmp_path: Path) -> None:
    saved = save_upload(tmp_path / "corpus", "报" * 100 + ".txt", b"abc", max_bytes=1000)
    assert saved.exists() and saved.suffix == ".txt" and len(saved.name.encode("utf-8")) <= 255
    again = save_upload(tmp_path / "corpus", "报" * 100 + ".txt", b"abcd", max_bytes=1000)
    assert again != saved and again.name.endswith(" (2).txt") and len(again.name.encode("utf-8")) <= 255


def test_a_corpus_without_a_readable_report_is_refused_and_the_old_index_kept(pair: Settings, capsys) -> None:
    before = load_tables(pair.index_dir)
    for path in pair.corpus_dir.iterdir():
        path.unlink()
    (pair.corpus_dir / "空.txt").write_bytes(b"")
    with pytest.raises(BuildError, match="no readable report"):
        build_index(pair)
    with pytest.raises(SystemExit, match=r"空\.txt: empty file"):
        main(["build", "--corpus", str(pair.corpus_dir), "--index", str(pair.index_dir)])
    after = load_tables(pair.index_dir)
    assert all(after[name].equals(before[name]) for name in before)
