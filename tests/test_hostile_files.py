"""Awkward files in the corpus: `qa-app build` indexes the readable ones and names the rest with a plain reason.

One corpus is built once for the module: the five seed reports, plus files in other encodings (GBK, GB18030
with a character GBK lacks, UTF-16 with a BOM), files that cannot be read (empty, binary named .txt, a
truncated .docx, an encrypted PDF, a scanned page of black bars that OCR reads no text from, a 50 MB
text), a byte copy of a seed
report under another name, a name with spaces and Chinese characters, reports without a year or without an
organisation, and a symbolic link to a file outside the corpus. The build starts from a copy of the seed
index, so the seed reports are reused and only the few new texts are embedded (a re-encoded seed report has
the seed's text, hence its chunk texts and vectors).
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pytest
from docgen import cid_font, seed_blocks, write_docx

from qa_app.build import index_state, save_upload
from qa_app.config import Settings
from qa_app.engine import Engine, get_engine
from qa_app.store.loader import load_tables

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT / "corpus"
YUEYANG = "001_8614dcb30a713240.txt"  # 岳阳市信访局, 2024
XIANGTAN_PROJECT = "003_d2e36f3a4881f76a.txt"  # 湘潭县信访局, 2023 project report
LUKOU = "004_be4a0c6940302084.txt"  # 株洲市渌口区信访局, 2022
SEED_NAMES = sorted(p.name for p in SEEDS.glob("*.txt"))

GBK = "gbk 岳阳 2024.txt"
GB18030 = "gb18030_湘潭县项目.txt"
UTF16 = "utf16-bom 渌口区.txt"
SPACES = "岳阳 信访局 报告 2024.txt"
NO_YEAR = "no year.txt"
NO_ORG = "no-org.txt"
COPY = "副本 of report (1).txt"
LINK = "link to outside.txt"
EMPTY = "empty.txt"
BINARY = "binary.txt"
TRUNCATED = "truncated.docx"
ENCRYPTED = "encrypted.pdf"
SCANNED = "scanned.pdf"
HUGE = "huge 50MB.txt"

GB18030_ONLY = "𠀀"  # U+20000: four bytes in GB18030, not in GBK
SPACES_TEXT = "2024年度岳阳市信访局部门整体支出绩效自评报告\n一、基本情况\n办公费支出2.46万元。\n"
NO_YEAR_TEXT = "长沙市民政局部门整体支出绩效自评报告\n一、基本情况\n会议费支出3.21万元。\n"
NO_ORG_TEXT = "2024年度部门整体支出绩效自评报告\n一、基本情况\n培训费支出1.57万元。\n"
OUTSIDE_TEXT = "2024年度衡阳市档案馆部门整体支出绩效自评报告\n一、基本情况\n印刷费支出0.88万元。\n"

# file → the words its "NOT READ" reason holds (what `qa-app build` printed when this test was written)
UNREADABLE = {
    EMPTY: "empty file",
    BINARY: "binary file, not text",
    TRUNCATED: "not a readable .docx",
    ENCRYPTED: "encrypted PDF (password protected)",
    SCANNED: "扫描版 PDF 经文字识别（OCR）仍没有可读的文字",
    HUGE: "text too long",
}
# file → (encoding recorded, (organisation, year) of each of its reports)
READABLE = {
    GBK: ("gb18030", None),
    GB18030: ("gb18030", None),
    UTF16: ("utf-16", None),
    SPACES: ("utf-8", [("岳阳市信访局", 2024)]),
    NO_YEAR: ("utf-8", [("长沙市民政局", None)]),
    NO_ORG: ("utf-8", [("", 2024)]),
}
# what a Python error looks like in a message: a traceback, or a class name such as BadZipFile, KeyError
PYTHON_ERROR = re.compile(r"Traceback|File \"|\b[A-Z][a-z]+(?:[A-Z][a-z]*)+\b|\w+(?:Error|Exception)\b")


def seed_text(name: str) -> str:
    return (SEEDS / name).read_text("utf-8")


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def folder_hashes(folder: Path) -> dict[str, str]:
    return {p.relative_to(folder).as_posix(): sha256(p) for p in sorted(folder.rglob("*")) if p.is_file()}


# --- the awkward files ---------------------------------------------------------------------------------------


def truncated_docx(path: Path) -> None:
    """The first half of a real .docx of a seed report: the zip's directory at its end is missing."""
    whole = path.with_name("whole.docx.tmp")
    write_docx(seed_blocks(seed_text(XIANGTAN_PROJECT)), whole)
    data = whole.read_bytes()
    whole.unlink()
    path.write_bytes(data[: len(data) // 2])


def encrypted_pdf(path: Path) -> None:
    """A PDF with a text layer that opens only with its password."""
    from reportlab.pdfgen import canvas

    pdf = canvas.Canvas(str(path), encrypt="secret")
    pdf.setFont(cid_font(), 12)
    pdf.drawString(72, 760, "2024年度衡阳市档案馆部门整体支出绩效自评报告")
    pdf.drawString(72, 740, "会议费支出3.21万元。")
    pdf.save()


def scanned_pdf(path: Path) -> None:
    """A page that is one picture of a page (black bars for lines of text), with no text layer."""
    from PIL import Image, ImageDraw
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.utils import ImageReader
    from reportlab.pdfgen import canvas

    image = Image.new("L", (420, 594), 255)
    draw = ImageDraw.Draw(image)
    for n in range(20):
        draw.rectangle((40, 40 + 25 * n, 380 - 9 * (n % 5), 52 + 25 * n), fill=0)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    pdf = canvas.Canvas(str(path), pagesize=A4)
    pdf.drawImage(ImageReader(io.BytesIO(buffer.getvalue())), 0, 0, width=A4[0], height=A4[1])
    pdf.rect(50, 50, 100, 40)
    pdf.save()


def huge_text(path: Path, size: int = 50 * 2**20) -> None:
    """A 50 MB UTF-8 text: a seed report over and over, written in pieces (under max_file_bytes, 64 MB)."""
    block = (seed_text(YUEYANG) + "\n").encode("utf-8") * 64
    written = 0
    with open(path, "wb") as fh:
        while written < size:
            fh.write(block)
            written += len(block)


def write_awkward_files(corpus: Path, outside: Path) -> None:
    (corpus / GBK).write_bytes(seed_text(YUEYANG).encode("gbk"))
    (corpus / GB18030).write_bytes((seed_text(XIANGTAN_PROJECT) + f"经办人：{GB18030_ONLY}某\n").encode("gb18030"))
    (corpus / UTF16).write_bytes(seed_text(LUKOU).encode("utf-16"))  # with a BOM
    (corpus / SPACES).write_text(SPACES_TEXT, "utf-8")
    (corpus / NO_YEAR).write_text(NO_YEAR_TEXT, "utf-8")
    (corpus / NO_ORG).write_text(NO_ORG_TEXT, "utf-8")
    (corpus / COPY).write_bytes((SEEDS / YUEYANG).read_bytes())
    (corpus / EMPTY).write_bytes(b"")
    (corpus / BINARY).write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 64)
    truncated_docx(corpus / TRUNCATED)
    encrypted_pdf(corpus / ENCRYPTED)
    scanned_pdf(corpus / SCANNED)
    huge_text(corpus / HUGE)
    outside.mkdir(parents=True, exist_ok=True)
    (outside / "not-in-the-corpus.txt").write_text(OUTSIDE_TEXT, "utf-8")
    (corpus / LINK).symlink_to(outside / "not-in-the-corpus.txt")


def qa_app_build(corpus: Path, index: Path) -> subprocess.CompletedProcess[str]:
    """`qa-app build --corpus C --index I` in a child process, without progress bars or QA_* folders."""
    script = Path(sys.executable).with_name("qa-app")
    command = [str(script)] if script.exists() else [sys.executable, "-m", "qa_app.ui.cli"]
    env = {k: v for k, v in os.environ.items() if not k.startswith("QA_")} | {"TQDM_DISABLE": "1"}
    return subprocess.run(
        [*command, "build", "--corpus", str(corpus), "--index", str(index)],
        capture_output=True,
        text=True,
        env=env,
        timeout=600,
    )


@dataclass(frozen=True)
class Built:
    corpus: Path
    index: Path
    seed_index: Path
    run: subprocess.CompletedProcess[str]
    corpus_before: dict[str, str]  # sha256 of every corpus file before the build
    tables: dict[str, pd.DataFrame]
    seed_tables: dict[str, pd.DataFrame]
    manifest: dict

    def not_read(self) -> dict[str, str]:
        """File → reason, from the "<name>  NOT READ: <reason>" lines."""
        lines = (line.split("  NOT READ: ", 1) for line in self.run.stdout.splitlines() if "  NOT READ: " in line)
        return dict(lines)


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory, seed_index: Path):
    root = tmp_path_factory.mktemp("hostile")
    corpus, index = root / "corpus", root / "index"
    shutil.copytree(SEEDS, corpus)
    for path in corpus.iterdir():
        path.chmod(0o644)  # the seed files are read-only; tmp_path must be able to clean up
    write_awkward_files(corpus, root / "outside")
    shutil.copytree(seed_index, index)
    before = folder_hashes(corpus)
    run = qa_app_build(corpus, index)
    yield Built(
        corpus,
        index,
        seed_index,
        run,
        before,
        load_tables(index) if run.returncode == 0 else {},
        load_tables(seed_index),
        json.loads((index / "manifest.json").read_text("utf-8")),
    )
    (corpus / HUGE).unlink(missing_ok=True)  # 50 MB: not left in the temporary folders


# --- the build as a whole ------------------------------------------------------------------------------------


def test_the_build_succeeds_and_reuses_the_seed_reports(built: Built) -> None:
    assert built.run.returncode == 0, built.run.stderr
    assert "Traceback" not in built.run.stderr
    summary = re.search(r"indexed (\d+) files \((\d+) unchanged\)", built.run.stdout)
    assert summary, built.run.stdout
    indexed = set(built.tables["documents"]["doc"])
    assert indexed >= set(SEED_NAMES) | set(READABLE)
    assert (int(summary[1]), int(summary[2])) == (len(indexed), len(SEED_NAMES))
    assert f"; {len(built.not_read())} files not read" in built.run.stdout
    # only the new texts were embedded: the re-encoded seed reports cost (nearly) nothing
    embedded = int(re.search(r"embedded (\d+) texts", built.run.stdout)[1])
    assert 0 < embedded < 40, built.run.stdout


def test_every_corpus_file_is_left_as_it_was(built: Built) -> None:
    assert folder_hashes(built.corpus) == built.corpus_before


def test_the_index_is_current_with_the_corpus(built: Built) -> None:
    state = index_state(Settings(corpus_dir=built.corpus, index_dir=built.index))
    assert state.current, state.reason


# --- readable files ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", list(READABLE))
def test_a_readable_file_is_indexed(built: Built, name: str) -> None:
    encoding, reports = READABLE[name]
    documents = built.tables["documents"].set_index("doc")
    assert name in documents.index
    assert documents.loc[name, "encoding"] == encoding
    assert built.manifest["files"][name]["encoding"] == encoding
    rows = built.tables["reports"][built.tables["reports"]["doc"] == name]
    assert len(rows) >= 1
    if reports is not None:
        got = [
            (org or "", None if pd.isna(year) else int(year))
            for org, year in zip(rows["org"], rows["year"], strict=True)
        ]
        assert got == reports
    assert (built.tables["chunks"]["doc"] == name).any()
    assert (built.tables["figures"]["doc"] == name).any()
    assert name not in built.not_read()
    assert f"{name}  [txt, {encoding}]" in built.run.stdout


@pytest.mark.parametrize(
    ("name", "value", "metric_word"),
    [(SPACES, 2.46, "办公费"), (NO_YEAR, 3.21, "会议费"), (NO_ORG, 1.57, "培训费")],
)
def test_a_small_report_keeps_its_figure(built: Built, name: str, value: float, metric_word: str) -> None:
    figures = built.tables["figures"]
    mine = figures[figures["doc"] == name]
    assert value in set(mine["value"])
    assert any(metric_word in m for m in mine.loc[mine["value"] == value, "metric"])


def test_unknown_year_and_organisation_are_said_so(built: Built) -> None:
    assert "长沙市民政局 · (year unknown) · " in built.run.stdout
    assert "(organisation unknown) · 2024 · " in built.run.stdout


def comparable(frame: pd.DataFrame) -> pd.DataFrame:
    """A file's rows without what names the file (doc, ids) or the build (metric_row)."""
    drop = ["doc", "figure_id", "report_id", "chunk_id", "metric_row", "key"]
    return frame.drop(columns=[c for c in drop if c in frame.columns]).reset_index(drop=True)


@pytest.mark.parametrize(("name", "seed"), [(GBK, YUEYANG), (UTF16, LUKOU)])
def test_a_re_encoded_seed_report_reads_as_the_seed(built: Built, name: str, seed: str) -> None:
    """The same text in another encoding: the same stored text, reports, sections and figures."""
    tables, seeds = built.tables, built.seed_tables
    documents = tables["documents"].set_index("doc")
    assert documents.loc[name, "text"] == seed_text(seed)
    assert documents.loc[name, "sha256"] == sha256(built.corpus / name) != sha256(SEEDS / seed)
    for table in ("reports", "chunks", "figures"):
        mine = comparable(tables[table][tables[table]["doc"] == name])
        theirs = comparable(seeds[table][seeds[table]["doc"] == seed])
        assert len(mine) > 0, table
        pd.testing.assert_frame_equal(mine, theirs, obj=table)
    figures = tables["figures"]
    assert sorted(figures.loc[figures["doc"] == name, "value"].dropna()) == sorted(
        figures.loc[figures["doc"] == seed, "value"].dropna()
    )


def test_a_gb18030_only_character_is_kept(built: Built) -> None:
    text = built.tables["documents"].set_index("doc").loc[GB18030, "text"]
    assert text == seed_text(XIANGTAN_PROJECT) + f"经办人：{GB18030_ONLY}某\n"
    chunks = built.tables["chunks"]
    assert chunks.loc[chunks["doc"] == GB18030, "text"].str.contains(GB18030_ONLY).any()


# --- the same report under two names -------------------------------------------------------------------------


def test_a_byte_copy_is_indexed_once_with_both_names_kept(built: Built) -> None:
    assert f"{COPY}  same bytes as {YUEYANG}: indexed once, both names kept" in built.run.stdout
    documents = built.tables["documents"].set_index("doc")
    assert COPY not in documents.index
    assert documents.loc[YUEYANG, "copies"] == COPY
    for table in ("reports", "chunks", "figures"):
        assert COPY not in set(built.tables[table]["doc"]), table
    assert built.manifest["files"][COPY] == {"sha256": sha256(built.corpus / COPY), "copy_of": YUEYANG}
    assert COPY not in built.not_read()


# --- unreadable files ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", list(UNREADABLE))
def test_an_unreadable_file_is_named_with_a_plain_reason(built: Built, name: str) -> None:
    reasons = built.not_read()
    assert name in reasons, built.run.stdout
    assert UNREADABLE[name] in reasons[name]
    assert name not in set(built.tables["documents"]["doc"])
    assert {f["doc"]: f["reason"] for f in built.manifest["failures"]}[name] == reasons[name]


def test_the_50mb_file_is_refused_for_its_length(built: Built) -> None:
    reason = built.not_read()[HUGE]
    assert re.fullmatch(r"text too long: [\d,]+ characters, more than the 2,000,000 of a report .*", reason)
    assert (built.corpus / HUGE).stat().st_size >= 50 * 2**20


def test_no_reason_is_a_python_error(built: Built) -> None:
    for name in UNREADABLE:
        reason = built.not_read()[name]
        if name != TRUNCATED:  # see the next test
            assert not PYTHON_ERROR.search(reason), (name, reason)


def test_the_truncated_docx_reason_names_no_python_class(built: Built) -> None:
    reason = built.not_read()[TRUNCATED]
    assert not PYTHON_ERROR.search(reason), reason


# --- what was there before -----------------------------------------------------------------------------------


def test_the_seed_reports_rows_are_those_of_the_seed_index(built: Built) -> None:
    for table in ("documents", "reports", "chunks", "figures"):
        new, old = built.tables[table], built.seed_tables[table]
        drop = ["copies"] if table == "documents" else ["metric_row"] if table == "figures" else []
        new = new[new["doc"].isin(SEED_NAMES)].drop(columns=drop).reset_index(drop=True)
        old = old.drop(columns=drop).reset_index(drop=True)
        assert sorted(set(new["doc"])) == SEED_NAMES, table
        pd.testing.assert_frame_equal(new[old.columns], old, obj=table)
    for name in SEED_NAMES:
        seed_entry = json.loads((built.seed_index / "manifest.json").read_text("utf-8"))["files"][name]
        assert built.manifest["files"][name] == seed_entry


def test_the_previous_answers_still_hold(built: Built, engine: Engine) -> None:
    """The seed index's answer, word for word; a citation may quote a re-encoded twin of the same text."""
    before = engine.ask("湘潭县信访救助支出多少")
    after = get_engine(Settings(index_dir=built.index)).ask("湘潭县信访救助支出多少")
    assert after.found and 519.69 in [f.value for f in after.figures], after.answer
    assert "519.69万元" in after.answer
    assert (after.answer, after.figures) == (before.answer, before.figures)
    texts = get_engine(Settings(index_dir=built.index)).index.texts
    assert after.citations and after.citations[0].doc == "000_b015b3dd7bb80183.txt"
    for citation in after.citations:
        assert citation.quote == texts[citation.doc][citation.start : citation.end]
        assert citation.doc in SEED_NAMES or citation.doc in READABLE


def test_a_corpus_with_nothing_readable_leaves_the_previous_index_as_it_was(tmp_path: Path, seed_index: Path) -> None:
    corpus, index = tmp_path / "corpus", tmp_path / "index"
    corpus.mkdir()
    (corpus / EMPTY).write_bytes(b"")
    (corpus / BINARY).write_bytes(bytes(range(256)) * 8)
    truncated_docx(corpus / TRUNCATED)
    scanned_pdf(corpus / SCANNED)
    shutil.copytree(seed_index, index)
    before = folder_hashes(index)

    run = qa_app_build(corpus, index)
    assert run.returncode != 0
    assert "Traceback" not in run.stderr and run.stdout == ""
    assert run.stderr.startswith(f"qa-app: no readable report in {corpus}"), run.stderr
    for name in (EMPTY, BINARY):  # the first reasons are named in the message
        assert f"{name}: {UNREADABLE[name]}" in run.stderr
    assert folder_hashes(index) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == [".index.lock", "corpus", "index"]  # no half-built index


# --- names that try to leave the corpus ----------------------------------------------------------------------


def test_an_uploaded_name_with_dot_dot_parts_lands_inside_the_corpus(tmp_path: Path) -> None:
    corpus = tmp_path / "a" / "corpus"
    saved = save_upload(corpus, "../../x/../报告.txt", SPACES_TEXT.encode(), max_bytes=1 << 20)
    assert saved == corpus / "报告.txt" and saved.resolve().parent == corpus.resolve()
    assert [p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*") if p.is_file()] == ["a/corpus/报告.txt"]


def test_a_symbolic_link_to_a_file_outside_is_refused(built: Built) -> None:
    assert LINK not in set(built.tables["documents"]["doc"])
    reason = built.not_read().get(LINK, "")
    assert "link" in reason and not PYTHON_ERROR.search(reason), reason
