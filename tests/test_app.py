"""The Streamlit app driven end to end by AppTest, on real indexes built from real reports (no mocks).

The seed index (conftest's `seed_index`) answers the chat, the filters, the figures table and its downloads.
Uploads run on a copy of the seed corpus and index, so the build is incremental and the seed stays as it is.
A tiny index of a report full of markup checks that nothing from a report or a question is ever rendered.
"""

from __future__ import annotations

import html
import io
import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from docgen import Paragraph, write_docx
from streamlit.runtime.media_file_manager import MediaFileManager
from streamlit.runtime.memory_media_file_storage import MemoryMediaFileStorage
from streamlit.testing.v1 import AppTest
from streamlit.testing.v1 import app_test as app_test_module

from qa_app.build import build_index
from qa_app.config import Settings
from qa_app.engine import Engine
from qa_app.search.retrieve import Within
from qa_app.store.loader import load_index
from qa_app.ui.figure_table import COLUMNS, duplicate_pairs
from qa_app.ui.view import FIGURE_COLUMNS, figure_headline, filter_figures, plain, to_csv, to_excel

ROOT = Path(__file__).resolve().parent.parent
APP = str(ROOT / "qa_app" / "ui" / "app.py")
CORPUS = ROOT / "corpus"
QUESTION = "湘潭县信访救助支出多少"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"

# A report whose headings and text hold HTML, markdown, LaTeX and a script, with one figure.
TRICKY = """2024年度平江县财政局部门整体支出绩效自评报告
一、<b>部门</b>基本情况[link](http://x)
平江县财政局负责**bold**全县财政收支管理、预算编制与执行、国库集中支付和政府采购监督，公式$x$见附表。
二、支出情况<script>alert(1)</script>
2024年度会议费支出为8.88万元，用于召开全县财政工作会议<script>alert(1)</script>，详见[link](http://x)，已全部支付完毕。
三、存在的问题**bold**与$x$
部分<b>项目</b>进度偏慢，预算执行率有待提高，绩效目标设置不够细化，需要在下一年度加以改进和完善。
"""
# Characters that markdown (or Streamlit's label markdown) would act on: in a label each must be escaped.
_ACTIVE = re.compile(r"(?<!\\)[<>\[\]()*$`_]")
_MARK = re.compile(r"<mark>(.*?)</mark>", re.S)


# --- helpers -------------------------------------------------------------------------------------------------


def start(monkeypatch: pytest.MonkeyPatch, index: Path, corpus: Path | None = None) -> AppTest:
    monkeypatch.setenv("QA_INDEX", str(index))
    if corpus is not None:
        monkeypatch.setenv("QA_CORPUS", str(corpus))
    at = AppTest.from_file(APP, default_timeout=120).run()
    assert not at.exception, at.exception
    return at


def ask(at: AppTest, question: str):
    """Ask in the chat; returns the assistant's reply (the last chat message)."""
    at.chat_input[0].set_value(question).run()
    assert not at.exception, at.exception
    reply = at.chat_message[-1]
    assert reply.name == "assistant"
    return reply


def view(at: AppTest, name: str) -> AppTest:
    at.radio(key="view").set_value(name).run()
    assert not at.exception, at.exception
    return at


def unplain(text: str) -> str:
    """Undo `view.plain`'s backslash escapes: the text as the reader sees it."""
    return re.sub(r"\\(.)", r"\1", text)


def citation_blocks(block) -> list:
    """The citation expanders of an answer: labelled "[n] 单位 · 年度 · 报告标题"."""
    return [e for e in block.expander if e.label.startswith("\\[")]


def citations(block) -> list[tuple[str, int, int, str]]:
    """(doc, start, end, marked figure) of every citation of `block`; the small print names file and span."""
    out = []
    for cite in citation_blocks(block):
        where = re.fullmatch(r"文件 (.+) · 字符 (\d+)–(\d+)", unplain(cite.caption[-1].value))
        assert where, cite.caption[-1].value
        marks = [m for h in cite.get("html") for m in _MARK.findall(h.value)]
        assert marks
        out.append((where[1], int(where[2]), int(where[3]), html.unescape(marks[0])))
    return out


def shown_text(fragment: str) -> str:
    """The text an HTML fragment shows: tags dropped, entities read."""
    return html.unescape(re.sub(r"<[^>]+>", "", fragment))


@pytest.fixture
def downloads(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[MediaFileManager]]:
    """The media file managers of the AppTest runs, to fetch what a download button would send.

    AppTest makes a fresh manager per run and lets it go; recording it lets a test run the button's deferred
    callable the way the browser's click does (`execute_deferred`) and read the stored bytes.
    """
    managers: list[MediaFileManager] = []

    class Recording(MediaFileManager):
        def __init__(self, storage: MemoryMediaFileStorage) -> None:
            super().__init__(storage)
            self.storage = storage
            managers.append(self)

    monkeypatch.setattr(app_test_module, "MediaFileManager", Recording)
    yield managers


def fetch(manager: MediaFileManager, button) -> bytes:
    url = manager.execute_deferred(button.proto.deferred_file_id)
    return manager.storage.get_file(url.rsplit("/", 1)[-1]).content


# --- the chat ------------------------------------------------------------------------------------------------


def test_question_shows_the_figure_and_its_verbatim_source(
    seed_index: Path, engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    at = start(monkeypatch, seed_index)
    reply = ask(at, QUESTION)
    metric = reply.metric[0]
    assert metric.value == "519.69万元"
    assert "湘潭县信访局" in metric.label and "2024" in metric.label
    assert "519.69万元" in unplain(reply.markdown[0].value)
    cites = citations(reply)
    assert cites, "the answer has no citation"
    for (doc, begin, end, marked), cite in zip(cites, citation_blocks(reply), strict=True):
        text = engine.index.texts[doc]
        assert marked in text[begin:end] or any(marked in shown_text(h.value) for h in cite.get("html"))
        sentence = shown_text(cite.get("html")[1].value)
        assert sentence in text and sentence in (CORPUS / doc).read_text(encoding="utf-8")  # verbatim in the seed
    assert cites[0][3] == "519.69万元"  # only the figure is marked, not its whole sentence
    first = citation_blocks(reply)[0]
    assert first.label.startswith(r"\[1\]")
    assert "湘潭县信访局" in first.label and "2024年" in first.label
    heading = shown_text(first.get("html")[0].value)
    assert "湘潭县信访局" in heading and "2024年" in heading and "报告：《2024年度部门整体支出绩效评价报告》" in heading
    assert "章节：部门整体支出管理和使用基本情况" in heading
    assert [t.value for t in at.chat_message[-2].text] == [QUESTION]
    assert not at.exception


def test_follow_ups_keep_the_conversation(seed_index: Path, engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    at = start(monkeypatch, seed_index)
    ask(at, QUESTION)
    reply = ask(at, "那2023年呢？")
    assert reply.metric[0].value == "284.14万元"
    assert "湘潭县信访局" in reply.metric[0].label and "2023" in reply.metric[0].label

    expected = engine.ask("岳阳市呢？", [QUESTION, "那2023年呢？"])
    assert "岳阳市信访局" in expected.answer
    reply = ask(at, "岳阳市呢？")
    if expected.found:
        label, value = figure_headline(expected)
        assert (reply.metric[0].label, reply.metric[0].value) == (label, value)
        assert "岳阳市信访局" in label
    else:
        assert not reply.metric
        assert [w.value for w in reply.warning] == [plain(expected.answer)]

    assert len(at.chat_message) == 6  # three questions, three answers, all still on screen
    users = [m for m in at.chat_message if m.name == "user"]
    assert [m.text[0].value for m in users] == [QUESTION, "那2023年呢？", "岳阳市呢？"]
    assert at.chat_message[1].metric[0].value == "519.69万元"  # the first answer is still there too

    at.button(key="clear").click().run()
    assert not at.chat_message


def test_unanswerable_question_says_so_and_shows_closest_passages(
    seed_index: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    at = start(monkeypatch, seed_index)
    reply = ask(at, "北京市财政局2024年三公经费是多少")
    assert not reply.metric
    assert len(reply.warning) == 1 and "没有" in reply.warning[0].value
    assert not citation_blocks(reply)
    (closest,) = reply.expander
    assert closest.label.startswith("最接近的段落")
    assert closest.proto.expanded
    assert closest.get("html")


# --- filters, the figures table and its downloads -------------------------------------------------------------


def test_sidebar_filter_restricts_answers_and_figures(
    seed_index: Path, engine: Engine, monkeypatch: pytest.MonkeyPatch, downloads: list[MediaFileManager]
) -> None:
    org = "岳阳市信访局"
    at = start(monkeypatch, seed_index)
    at.multiselect(key="orgs").select(org).run()
    reply = ask(at, "基本支出多少")
    expected = engine.ask("基本支出多少", [], Within(frozenset([org]), frozenset()))
    assert expected.found
    assert org in reply.metric[0].label
    assert reply.metric[0].value == figure_headline(expected)[1]

    at.run()  # the sidebar's 清空对话 button shows from the run after the first answer
    at.button(key="clear").click().run()
    assert not at.chat_message
    reply = ask(at, QUESTION)
    assert not reply.metric
    (warning,) = reply.warning
    assert "所选" in warning.value and org in warning.value

    view(at, "数字")
    table = at.dataframe[0].value
    assert list(table.columns) == COLUMNS
    assert set(table["单位"]) == {org}
    everything = Within(frozenset([org])).keep(engine.index.figures)
    merged = len(duplicate_pairs(everything))
    assert merged > 0 and len(table) == len(everything) - merged  # prose + table duplicates are one row

    at.text_input(key="metric").input("基本支出").run()
    narrowed = at.dataframe[0].value
    assert 0 < len(narrowed) < len(table)
    assert set(narrowed["单位"]) == {org}
    assert all("基本支出" in m for m in narrowed["指标"])

    csv = fetch(downloads[-1], at.get("download_button")[0])
    assert csv.startswith(b"\xef\xbb\xbf")
    assert csv[3:].decode("utf-8").splitlines()[0] == ",".join(c for c in COLUMNS if c != "查看")
    from_csv = pd.read_csv(io.BytesIO(csv), encoding="utf-8-sig")
    assert from_csv["指标"].tolist() == narrowed["指标"].tolist()
    assert from_csv["数值"].tolist() == pytest.approx(narrowed["数值"].tolist())
    xlsx = fetch(downloads[-1], at.get("download_button")[1])
    from_xlsx = pd.read_excel(io.BytesIO(xlsx))
    assert list(from_xlsx.columns) == [c for c in COLUMNS if c != "查看"]
    assert from_xlsx["原文"].tolist() == narrowed["原文"].tolist()
    assert set(from_xlsx["单位"]) == {org}


def test_filtered_follow_up_answers_within_the_filter(seed_index: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    at = start(monkeypatch, seed_index)
    at.multiselect(key="orgs").select("岳阳市信访局").run()
    reply = ask(at, QUESTION)
    assert "所选" in reply.warning[0].value
    reply = ask(at, "基本支出多少")
    assert reply.metric and "岳阳市信访局" in reply.metric[0].label


def test_downloads_round_trip(engine: Engine) -> None:
    table = filter_figures(engine.index.figures, ["湘潭县信访局"], [], "")
    texts = {col: str for col in ("org", "period", "metric", "text", "unit", "section", "doc")}
    csv = to_csv(table)
    assert csv.startswith(b"\xef\xbb\xbf")  # the BOM lets Excel read UTF-8
    assert csv.decode("utf-8-sig").splitlines()[0] == ",".join(FIGURE_COLUMNS)
    xlsx = to_excel(table)
    book = openpyxl.load_workbook(io.BytesIO(xlsx))
    assert book.sheetnames == ["figures"]
    assert [c.value for c in book["figures"][1]] == FIGURE_COLUMNS
    for back in (
        pd.read_csv(io.BytesIO(csv), encoding="utf-8-sig", dtype=texts, keep_default_na=False),
        pd.read_excel(io.BytesIO(xlsx), dtype=texts, keep_default_na=False),
    ):
        assert list(back.columns) == FIGURE_COLUMNS and len(back) == len(table) > 0
        for col in texts:
            assert back[col].tolist() == table[col].tolist(), col
        assert back["value"].tolist() == pytest.approx(table["value"].tolist())
        assert back["year"].tolist() == table["year"].tolist()


def test_downloads_neutralise_formulas(engine: Engine) -> None:
    table = filter_figures(engine.index.figures, ["湘潭县信访局"], [2024], "")
    table.loc[0, "text"] = '=HYPERLINK("http://x","y")'
    table.loc[1, "metric"] = "@SUM(A1)"
    back = pd.read_csv(io.BytesIO(to_csv(table)), encoding="utf-8-sig")
    assert back.loc[0, "text"] == '\'=HYPERLINK("http://x","y")'
    assert back.loc[1, "metric"] == "'@SUM(A1)"
    sheet = openpyxl.load_workbook(io.BytesIO(to_excel(table)))["figures"]
    cell = sheet.cell(row=2, column=FIGURE_COLUMNS.index("text") + 1)
    assert cell.value == '\'=HYPERLINK("http://x","y")' and cell.data_type == "s"


def test_clear_button_shows_after_the_first_answer(seed_index: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    at = start(monkeypatch, seed_index)
    ask(at, QUESTION)
    assert at.button(key="clear")


# --- adding a report ------------------------------------------------------------------------------------------


def test_upload_adds_a_report_that_answers(seed_index: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    corpus, index = tmp_path / "corpus", tmp_path / "index"
    shutil.copytree(CORPUS, corpus)
    shutil.copytree(seed_index, index)  # same files, same reading code: only the upload is read and embedded
    before = {p.name for p in corpus.iterdir()}
    report = [
        Paragraph("2025年度衡山县财政局部门整体支出绩效自评报告"),
        Paragraph("一、部门基本情况"),
        Paragraph("衡山县财政局负责全县财政收支管理、预算编制与执行、国库集中支付和政府采购监督管理工作。"),
        Paragraph("二、部门整体支出情况"),
        Paragraph("2025年度全年支出合计456.78万元，其中会议费支出12.34万元，主要用于召开全县财政工作会议。"),
        Paragraph("三、存在的问题"),
        Paragraph("预算编制不够精细，部分项目执行进度偏慢，绩效目标设置有待进一步细化和量化。"),
    ]
    data = write_docx(report, tmp_path / "generated.docx").read_bytes()

    at = start(monkeypatch, index, corpus)
    view(at, "添加报告")
    at.file_uploader(key="upload-0").set_value(("../../evil/新 报告.docx", data, DOCX)).run()
    assert not at.exception, at.exception

    added = {p.name for p in corpus.iterdir()} - before
    assert added == {"新 报告.docx"}
    assert (corpus / "新 报告.docx").read_bytes() == data
    assert not (tmp_path / "evil").exists() and not (tmp_path.parent / "evil").exists()
    assert not list(tmp_path.rglob("evil"))
    assert not at.error
    (success,) = at.success
    assert "新 报告.docx" in unplain(success.value) and "衡山县财政局" in success.value
    assert "衡山县财政局" in at.multiselect(key="orgs").options

    view(at, "问答")
    reply = ask(at, "衡山县财政局2025年会议费支出多少")
    assert reply.metric[0].value == "12.34万元"
    assert "衡山县财政局" in reply.metric[0].label and "2025" in reply.metric[0].label
    assert any(doc == "新 报告.docx" and "12.34" in marked for doc, _, _, marked in citations(reply))

    # A file that is not a report is refused with its reason; nothing joins the corpus, the index still answers.
    view(at, "添加报告")
    files = sorted(p.name for p in corpus.iterdir())
    manifest = (index / "manifest.json").read_bytes()
    at.file_uploader(key="upload-1").set_value(("x.docx", b"not a docx", DOCX)).run()
    assert not at.exception, at.exception
    assert not at.file_uploader(key="upload-2").value  # the refused file does not stay in the uploader's list
    (error,) = at.error
    message = unplain(error.value)
    assert message == "x.docx：已拒绝，不是可读的 Word（.docx）文件（文件损坏或不完整）"
    assert sorted(p.name for p in corpus.iterdir()) == files
    assert (index / "manifest.json").read_bytes() == manifest
    assert len(at.success) == 1  # the earlier success stays in the log

    view(at, "问答")
    assert ask(at, QUESTION).metric[0].value == "519.69万元"
    assert ask(at, "衡山县财政局2025年会议费支出多少").metric[0].value == "12.34万元"


# --- nothing from a report or a question is rendered ----------------------------------------------------------


@pytest.fixture(scope="module")
def tricky_index(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("tricky")
    (root / "corpus").mkdir()
    (root / "corpus" / "tricky.txt").write_text(TRICKY, encoding="utf-8")
    build_index(Settings(corpus_dir=root / "corpus", index_dir=root / "index"))
    return root / "index"


def test_report_markup_is_shown_as_text(tricky_index: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    sections = set(load_index(tricky_index, Settings().embedder).chunks["section"])
    assert any("<script>" in s for s in sections) and any("[link]" in s for s in sections)
    at = start(monkeypatch, tricky_index)
    view(at, "报告")
    labels = [e.label for e in at.expander]
    assert sorted(labels) == sorted(plain(s) or "（开头）" for s in sections)
    for label in labels:
        assert not _ACTIVE.search(label), label
    assert r"\<script\>alert\(1\)\</script\>" in " ".join(labels)
    bodies = [h.value for h in at.get("html") if not h.value.lstrip().startswith("<style>")]  # the page's own CSS
    assert len(bodies) == len(sections)
    assert not any("<script" in b.lower() for b in bodies)
    assert any("&lt;script&gt;alert(1)&lt;/script&gt;" in b for b in bodies)
    assert any("&lt;b&gt;项目&lt;/b&gt;" in b for b in bodies)
    assert any("**bold**" in b and "$x$" in b for b in bodies)  # shown as written, inside escaped HTML


def test_questions_and_answers_are_shown_as_text(tricky_index: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    at = start(monkeypatch, tricky_index)
    reply = ask(at, "平江县财政局会议费支出多少")
    assert reply.metric[0].value == "8.88万元"
    for h in reply.get("html"):
        assert "<script" not in h.value.lower()
    labels = [e.label for e in citation_blocks(reply)]
    assert labels and not any(_ACTIVE.search(label) for label in labels)

    hostile = "<img src=x onerror=alert(1)>"
    reply = ask(at, hostile)
    question = at.chat_message[-2]
    assert question.name == "user"
    assert [t.value for t in question.text] == [hostile]  # st.text: the raw question, never markdown
    assert not question.markdown
    shown = [m.value for m in reply.markdown] + [w.value for w in reply.warning] + [c.value for c in reply.caption]
    assert shown
    assert not any(_ACTIVE.search(s) for s in shown), shown
    assert not any("<script" in h.value.lower() for h in reply.get("html"))


# --- no index -------------------------------------------------------------------------------------------------


def test_without_index_says_what_to_run_and_builds(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "tricky.txt").write_text(TRICKY, encoding="utf-8")
    at = start(monkeypatch, tmp_path / "missing", corpus)
    (error,) = at.error
    assert "qa-app build" in error.value
    assert at.button(key="build")
    assert not at.chat_input

    at.button(key="build").click().run()
    assert not at.exception, at.exception
    assert not at.error
    assert (tmp_path / "missing" / "manifest.json").is_file()
    assert at.radio(key="view").value == "问答"
    assert at.multiselect(key="orgs").options == ["平江县财政局"]


# --- the conversation is kept ---------------------------------------------------------------------------------


def test_conversation_survives_a_reload_and_clear_starts_a_new_one(
    seed_index: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("QA_CONVERSATIONS", str(tmp_path / "conversations.sqlite3"))
    at = start(monkeypatch, seed_index)
    cid = at.query_params["c"]
    assert cid
    ask(at, QUESTION)
    ask(at, "那2023年呢？")
    assert at.query_params["c"] == cid

    # A reload: a new session (nothing in session_state) opened on the same URL.
    again = AppTest.from_file(APP, default_timeout=120)
    again.query_params["c"] = cid
    again.run()
    assert not again.exception, again.exception
    assert [m.text[0].value for m in again.chat_message if m.name == "user"] == [QUESTION, "那2023年呢？"]
    assert [m.metric[0].value for m in again.chat_message if m.name == "assistant"] == ["519.69万元", "284.14万元"]
    reply = ask(again, "岳阳市呢？")  # the follow-up still inherits from the turns read back
    assert "岳阳市信访局" in unplain(
        " ".join(m.value for m in reply.markdown) + " ".join(w.value for w in reply.warning)
    )

    again.button(key="clear").click().run()
    assert not again.chat_message
    assert again.query_params["c"] != cid
    # The old conversation is still there under its own link.
    old = AppTest.from_file(APP, default_timeout=120)
    old.query_params["c"] = cid
    old.run()
    assert len([m for m in old.chat_message if m.name == "user"]) == 3


# --- citations, take-away, charts, help (issue 18) ------------------------------------------------------------


def test_a_table_citation_shows_its_header_and_the_sentence_stating_the_figure(
    seed_index: Path, engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    at = start(monkeypatch, seed_index)
    reply = ask(at, QUESTION)
    second = citation_blocks(reply)[1]  # 284.14 for 2023, cited from a table row of the 2023 report
    assert "湘潭县信访局" in second.label and "2023年" in second.label
    bodies = [h.value for h in second.get("html")]
    table = next(b for b in bodies if "<table" in b)
    assert "<th" in table and "实际支出（万元）" in shown_text(table)  # the column header over the cited cell
    assert _MARK.findall(table) == ["284.14"]  # only the cited cell, not the whole row
    assert "50" in shown_text(table) and "234.14" in shown_text(table)
    sentence = shown_text(bodies[1])
    assert "信访救助基金共使用284.14万元" in sentence  # the report's own sentence for the same figure, first
    assert sentence in engine.index.texts["003_d2e36f3a4881f76a.txt"]


def test_exports_hold_every_figure_with_its_quote(
    seed_index: Path, monkeypatch: pytest.MonkeyPatch, downloads: list[MediaFileManager]
) -> None:
    import docx

    at = start(monkeypatch, seed_index)
    ask(at, QUESTION)
    ask(at, "各信访局2024年基本支出")
    buttons = {b.proto.label: b for b in at.get("download_button")}
    assert set(buttons) >= {"导出Excel", "导出Word"}
    book = openpyxl.load_workbook(io.BytesIO(fetch(downloads[-1], buttons["导出Excel"])))
    assert book.sheetnames == ["对话", "数字", "出处"]
    rows = list(book["数字"].iter_rows(values_only=True))
    head = rows[0]
    figures = [dict(zip(head, r, strict=True)) for r in rows[1:]]
    first = figures[0]
    assert (first["单位"], first["年度"], first["数值"], first["计量单位"]) == ("湘潭县信访局", 2024, 519.69, "万元")
    assert "信访救助支出519.69万元" in first["引文"] and first["报告"] == "2024年度部门整体支出绩效评价报告"
    assert {f["数值"] for f in figures} >= {519.69, 284.14, 586.11, 281.98}
    cited = list(book["出处"].iter_rows(values_only=True))
    assert cited[0][:4] == ("轮次", "出处", "单位", "年度")
    sources_of = [dict(zip(cited[0], r, strict=True)) for r in cited[1:]]
    assert ("湘潭县信访局", 2023) in {(c["单位"], c["年度"]) for c in sources_of}
    assert any("共使用284.14万元" in c["引文"] and "实际支出（万元）" in c["表格行"] for c in sources_of)
    assert [r[2] for r in book["对话"].iter_rows(values_only=True)][1:] == [QUESTION, "各信访局2024年基本支出"]

    document = docx.Document(io.BytesIO(fetch(downloads[-1], buttons["导出Word"])))
    text = "\n".join(p.text for p in document.paragraphs)
    cells = [c.text for t in document.tables for row in t.rows for c in row.cells]
    assert QUESTION in text and "信访救助支出519.69万元" in text  # the question and the quote
    assert "湘潭县信访局 · 2024年" in text and "《2024年度部门整体支出绩效评价报告》" in text
    assert "519.69万元" in cells and "586.11万元" in cells and "湘潭县信访局" in cells


def test_time_series_has_years_on_the_x_axis_and_comparison_has_organisations_as_bars(
    seed_index: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import json

    at = start(monkeypatch, seed_index)
    reply = ask(at, "湘潭县历年信访救助支出")
    (chart,) = reply.get("vega_lite_chart")
    spec = json.loads(chart.proto.spec)
    layers = spec["layer"]
    x = layers[0]["encoding"]["x"]
    assert x["field"] == "年度" and x["type"] == "ordinal" and x["sort"] == ["2023年", "2024年"]
    assert spec["title"] == "湘潭县信访局 信访救助支出（万元）"
    assert any(layer["mark"]["type"] == "text" for layer in layers)  # value labels

    reply = ask(at, "各信访局2024年基本支出")
    spec = json.loads(reply.get("vega_lite_chart")[0].proto.spec)
    bars = spec["layer"][0]
    assert bars["mark"]["type"] == "bar" and bars["encoding"]["y"]["field"] == "项"
    assert bars["encoding"]["y"]["axis"]["labelLimit"] == 0  # full organisation names
    assert spec["title"] == "基本支出（万元） · 2024年"


def test_help_offers_first_questions_that_answer_and_says_what_is_loaded(
    seed_index: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    at = start(monkeypatch, seed_index)
    shown_help = " ".join(unplain(c.value) for c in at.caption)
    for org in ("湘潭县信访局", "岳阳市信访局", "长沙市信访局", "株洲市渌口区信访局"):
        assert org in shown_help
    assert "2021年" in shown_help and "2024年" in shown_help and "那2023年呢？" in shown_help
    examples = [b for b in at.button if b.key and b.key.startswith("example-")]
    assert len(examples) == 4 and "那2023年呢？" not in [b.label for b in examples]
    for k in range(len(examples)):
        fresh = start(monkeypatch, seed_index)
        fresh.button(key=f"example-{k}").click().run()
        assert not fresh.exception, fresh.exception
        reply = fresh.chat_message[-1]
        assert fresh.chat_message[0].text[0].value == examples[k].label
        assert not reply.warning, (examples[k].label, reply.warning[0].value)  # a first question that answers


def test_upload_of_an_unsupported_file_is_refused_in_chinese(
    seed_index: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    corpus = tmp_path / "corpus"
    shutil.copytree(CORPUS, corpus)
    at = start(monkeypatch, seed_index, corpus)
    view(at, "添加报告")
    at.file_uploader(key="upload-0").set_value(("预算.exe", b"MZ\x90\x00", "application/octet-stream")).run()
    assert not at.exception, at.exception
    (error,) = at.error
    assert unplain(error.value) == "预算.exe：已拒绝，不支持的文件类型 .exe"
    assert not (corpus / "预算.exe").exists()
    assert not at.file_uploader(key="upload-1").value
