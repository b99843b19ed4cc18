"""Scanned PDFs: pages without a text layer read by OCR (Tesseract chi_sim), generated here from a seed.

A seed report is laid out as a PDF (tests/docgen.py), a page of it rendered at 200 dpi with a CJK font and
put back as an image-only page (`write_scanned_pdf`). The OCR text is the stored text; at least 95% of the
page's figures must come back with their exact values, and none may be wrong without being flagged
(`ocr_doubt`, or malformed as 1857.41.51 is). Figures say they come from OCR and from which page; an
answer from a scan says so; a doubtful figure never answers.
"""

from __future__ import annotations

import shutil
from collections import Counter
from pathlib import Path

import pytest
from docgen import seed_blocks, write_pdf, write_scanned_pdf

from qa_app.build import build_index
from qa_app.config import Settings
from qa_app.engine import Engine, get_engine
from qa_app.pipeline import FileResult
from qa_app.readers.base import IngestError
from qa_app.readers.ocr import parse_tsv, tesseract
from qa_app.sandbox import process_file

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "corpus"
CHANGSHA = "002_fe196754cb2e25a4.txt"  # 长沙市信访局 2021: page 2 is prose dense with figures
PAGE = 1  # 0-based: the seed PDF's second page

pytestmark = pytest.mark.skipif(tesseract() is None, reason="Tesseract is installed by `make test` (make readers)")


@pytest.fixture(scope="module")
def pdfs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The seed as a PDF with a text layer, its page alone (text layer), and that page scanned."""
    import pypdfium2 as pdfium

    folder = tmp_path_factory.mktemp("scans")
    whole = write_pdf(seed_blocks((CORPUS / CHANGSHA).read_text("utf-8")), folder / "changsha.pdf")
    page = pdfium.PdfDocument.new()
    page.import_pages(pdfium.PdfDocument(str(whole)), [PAGE])
    page.save(str(folder / "page.pdf"))
    return {
        "whole": whole,
        "page": folder / "page.pdf",
        "scan": write_scanned_pdf(whole, folder / "page-scan.pdf", [PAGE]),
        "report": write_scanned_pdf(whole, folder / "changsha-scan.pdf", [0, PAGE]),
    }


@pytest.fixture(scope="module")
def read(pdfs: dict[str, Path]) -> dict[str, FileResult]:
    return {name: process_file(pdfs[name], Settings()) for name in ("page", "scan")}


def test_the_scan_has_no_text_layer(pdfs: dict[str, Path]) -> None:
    import pdfplumber

    with pdfplumber.open(pdfs["scan"]) as pdf:
        (page,) = pdf.pages
        assert not page.chars and len(page.images) == 1
        assert round(page.images[0]["srcsize"][0] / (page.width / 72)) == 200  # 200 dpi


def values(result: FileResult) -> Counter:
    return Counter((round(f.value, 4), f.unit) for f in result.figures if not f.malformed)


def test_95_percent_of_the_page_figures_are_exact_and_none_wrong_unflagged(read: dict[str, FileResult]) -> None:
    truth, scan = values(read["page"]), read["scan"]
    assert sum(truth.values()) >= 30
    trusted = Counter((round(f.value, 4), f.unit) for f in scan.figures if not (f.malformed or f.ocr_doubt))
    exact = sum((trusted & truth).values())
    assert exact >= 0.95 * sum(truth.values()), {"missed": truth - trusted}
    wrong = trusted - truth
    assert not wrong, f"read wrong and not flagged: {wrong}"


def test_every_ocr_figure_names_its_page_and_quotes_the_stored_text(read: dict[str, FileResult]) -> None:
    result = read["scan"]
    assert result.doc.encoding == "pdf, OCR" and result.doc.ocr
    assert result.figures and all(f.ocr_page == 1 for f in result.figures)
    assert not any(f.ocr_page for f in read["page"].figures)
    for f in result.figures:
        assert result.doc.text[f.start : f.end] == f.text
    for start, end, page, _ in result.doc.ocr:
        assert page == 1 and 0 <= start < end <= len(result.doc.text)


def test_the_stored_text_is_the_page_as_read(read: dict[str, FileResult]) -> None:
    text = read["scan"].doc.text
    assert "2021年基本支出1458.34万元" in text and "人员经费1349.91万元" in text
    assert "- 2 -" not in text  # the page number at its foot is dropped, as for a text layer


def test_a_doubtful_word_flags_its_figure() -> None:
    """Tesseract's confidence per word: a number read at 41 is doubtful, at 96 it is not."""
    header = "level\tpage_num\tblock_num\tpar_num\tline_num\tword_num\tleft\ttop\twidth\theight\tconf\ttext"
    rows = [
        "5\t1\t1\t1\t1\t1\t100\t100\t200\t40\t96.5\t支出",
        "5\t1\t1\t1\t1\t2\t300\t100\t150\t40\t41.0\t1857.41",
        "5\t1\t1\t1\t1\t3\t450\t100\t80\t40\t95.0\t万元",
    ]
    (line,) = parse_tsv("\n".join([header, *rows]), 72 / 300)
    assert line.text == "支出1857.41万元"
    assert [(w.start, w.end, w.confidence) for w in line.words] == [(0, 2, 96.5), (2, 9, 41.0), (9, 11, 95.0)]
    assert line.x0 == pytest.approx(24.0) and line.top == pytest.approx(24.0)


def test_scanned_pages_past_the_bound_are_refused(pdfs: dict[str, Path]) -> None:
    with pytest.raises(IngestError, match=r"^扫描页超过 1 页，文字识别需时过长，已拒绝$"):
        process_file(pdfs["report"], Settings(max_ocr_pages=1))


def test_a_page_past_its_ocr_timeout_is_refused(pdfs: dict[str, Path]) -> None:
    with pytest.raises(IngestError, match=r"^扫描页文字识别超时（每页 0.01 秒），已拒绝$"):
        process_file(pdfs["scan"], Settings(ocr_page_timeout_s=0.01))


# --- through the real build and the engine -----------------------------------------------------------------


@pytest.fixture(scope="module")
def engine_with_scan(tmp_path_factory: pytest.TempPathFactory, seed_index: Path, pdfs: dict[str, Path]) -> Engine:
    """The seeds with 长沙市信访局's report replaced by a scan of its first two pages."""
    root = tmp_path_factory.mktemp("scan-index")
    corpus, index = root / "corpus", root / "index"
    shutil.copytree(CORPUS, corpus)
    for path in corpus.iterdir():
        path.chmod(0o644)
    (corpus / CHANGSHA).unlink()
    shutil.copyfile(pdfs["report"], corpus / "长沙市信访局2021年自评报告（扫描件）.pdf")
    shutil.copytree(seed_index, index)
    settings = Settings(corpus_dir=corpus, index_dir=index)
    report = build_index(settings)
    assert not report.failures, report.failures
    return get_engine(settings)


def test_the_scanned_report_is_found_with_its_organisation_and_year(engine_with_scan: Engine) -> None:
    reports = engine_with_scan.index.reports
    mine = reports[reports["doc"].str.endswith("（扫描件）.pdf")]
    assert [(r.org, int(r.year)) for r in mine.itertuples()] == [("长沙市信访局", 2021)]


def test_an_answer_from_the_scan_says_so_with_its_page(engine_with_scan: Engine) -> None:
    answer = engine_with_scan.ask("长沙市信访局2021年基本支出是多少")
    assert answer.found, answer.answer
    top = answer.figures[0]
    assert (top.value, top.unit, top.org, top.year, top.ocr_page) == (1458.34, "万元", "长沙市信访局", 2021, 2)
    assert "（扫描件第2页，文字识别）" in answer.answer
    citation = answer.citations[top.citation]
    assert citation.quote == engine_with_scan.index.texts[citation.doc][citation.start : citation.end]


def test_a_doubtful_figure_is_kept_and_shown_but_never_answers(engine_with_scan: Engine) -> None:
    figures = engine_with_scan.index.figures
    scanned = figures[figures["ocr_page"] > 0]
    assert len(scanned) >= 30 and set(scanned["ocr_page"]) == {1, 2}
    reads = engine_with_scan.reads  # what answers are chosen from: the candidates of every section
    rows, _ = reads.candidates(reads.sections(range(reads.sections_count))["chunk_id"])
    assert len(rows) >= 30 and not figures.loc[rows, "ocr_doubt"].any()
    kept = figures[figures["ocr_doubt"]]
    assert kept.empty or kept["figure_id"].isin(figures["figure_id"]).all()
