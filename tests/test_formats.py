"""Every format reads the same: .docx and .pdf versions of the seeds, and GBK / GB18030 copies of them.

The .docx and .pdf files are generated from the seed .txt files by `docgen` (real Word tables with merged
cells, real ruled PDF tables in a CID font); each must give the same reports, section headings and figures
as the .txt it was made from, with every chunk and figure still quoting its stored text exactly.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from pathlib import Path

import docx
import pdfplumber
import pytest
from docgen import BODY_SIZE, Paragraph, Table, cid_font, seed_blocks, write_docx, write_pdf

from qa_app.config import Settings
from qa_app.pipeline import FileResult
from qa_app.readers import read_document
from qa_app.readers.base import render_blocks
from qa_app.sandbox import process_file
from qa_app.structure.layout import parse_blocks

CORPUS = Path(__file__).resolve().parent.parent / "corpus"
SEEDS = sorted(p.name for p in CORPUS.glob("*.txt"))
FORMATS = ("docx", "pdf")
CASES = [(fmt, seed) for fmt in FORMATS for seed in SEEDS]
# Seeds the brief names: prose with a big table (001), tables in a project report (003), two reports (004).
assert {"001_8614dcb30a713240.txt", "003_d2e36f3a4881f76a.txt", "004_be4a0c6940302084.txt"} <= set(SEEDS)


@pytest.fixture(scope="session")
def seed_items() -> dict[str, list[Paragraph | Table]]:
    return {name: seed_blocks((CORPUS / name).read_text(encoding="utf-8")) for name in SEEDS}


@pytest.fixture(scope="session")
def generated(tmp_path_factory: pytest.TempPathFactory, seed_items) -> dict[tuple[str, str], Path]:
    """Every seed written once as .docx and as .pdf, keyed by (format, seed name)."""
    folder = tmp_path_factory.mktemp("formats")
    out: dict[tuple[str, str], Path] = {}
    for name, items in seed_items.items():
        stem = Path(name).stem
        out[("docx", name)] = write_docx(items, folder / f"{stem}.docx")
        out[("pdf", name)] = write_pdf(items, folder / f"{stem}.pdf")
    return out


@pytest.fixture(scope="session")
def results(generated, settings: Settings) -> dict[tuple[str, str], FileResult]:
    """The seeds and their generated versions through the whole pipeline, under the seed's own name."""
    out = {("txt", name): process_file(CORPUS / name, settings) for name in SEEDS}
    for (fmt, name), path in generated.items():
        out[(fmt, name)] = process_file(path, settings, name=name)
    return out


def report_keys(result: FileResult) -> list[tuple]:
    return [(r.title, r.org, r.region, r.year, r.type) for r in result.reports]


def heading_keys(result: FileResult) -> set[tuple[str, ...]]:
    return {c.heading for c in result.chunks}


def figure_keys(result: FileResult) -> Counter:
    def value(v: float) -> float | str:
        return "nan" if math.isnan(v) else round(v, 4)

    return Counter((value(f.value), f.unit, f.metric, f.org, f.year, f.period) for f in result.figures)


# --- the generated files are what they claim to be ----------------------------------------------------


@pytest.mark.parametrize("seed", SEEDS)
def test_docx_has_real_tables_with_merged_cells(seed: str, seed_items, generated) -> None:
    tables = [t for t in seed_items[seed] if isinstance(t, Table)]
    document = docx.Document(str(generated[("docx", seed)]))
    assert len(document.tables) == len(tables)
    for table, expected in zip(document.tables, tables, strict=True):
        assert len(table.columns) == expected.width
        for row, cells in zip(table.rows, expected.rows, strict=True):
            tcs = row._tr.tc_lst
            assert len(tcs) == len(cells)  # a shorter row's last cell spans the rest of the grid
            assert sum(tc.grid_span for tc in tcs) == expected.width


_NUMBER = re.compile(r"\d[\d,.]*%?")


@pytest.mark.parametrize("seed", [s for s in SEEDS if "\t" in (CORPUS / s).read_text(encoding="utf-8")])
def test_pdf_has_ruled_tables_and_unbroken_numbers(seed: str, seed_items, generated) -> None:
    rows = [row for t in seed_items[seed] if isinstance(t, Table) for row in t.rows]
    found: list[list[str]] = []
    with pdfplumber.open(generated[("pdf", seed)]) as pdf:
        for page in pdf.pages:
            for table in page.find_tables():
                for row, texts in zip(table.rows, table.extract(), strict=True):
                    found.append([t or "" for t, cell in zip(texts, row.cells, strict=True) if cell is not None])
    assert [len(r) for r in found] == [len(r) for r in rows]
    for pdf_row, seed_row in zip(found, rows, strict=True):
        for pdf_cell, seed_cell in zip(pdf_row, seed_row, strict=True):
            lines = pdf_cell.split("\n")
            for number in _NUMBER.findall(seed_cell):
                assert any(number in line for line in lines), (number, pdf_cell)


# --- the stored-text convention ---------------------------------------------------------------------


def test_render_blocks_ends_tables_and_keeps_cells_whole() -> None:
    text = render_blocks(["标题", ["a", "b\n\n\n\nc\t d\n\n"], ["e"], "段落", ["f"]])
    assert text == "标题\n\ta\n\tb\n\nc  d\n\n\te\n\n\n段落\n\tf\n\n\n"
    blocks = parse_blocks(text)
    assert [(b.text if not b.is_row else [c.text for c in b.cells]) for b in blocks] == [
        "标题",
        ["a", "b\n\nc  d"],
        ["e"],
        "段落",
        ["f"],
    ]
    assert [b.table for b in blocks] == [-1, 0, 0, -1, 1]


def _shape(result: FileResult, flat_cells: bool) -> list[tuple[str, object]]:
    """Paragraphs and rows of a stored text with spacing ignored; rows by cell, optionally cells flattened."""
    out: list[tuple[str, object]] = []
    for b in parse_blocks(result.doc.norm.text):
        if b.is_row:
            cells = [c.flat if flat_cells else re.sub(r"[^\S\n]+", "", c.text) for c in b.cells]
            out.append(("row", tuple(cells)))
        else:
            out.append(("para", re.sub(r"\s+", "", b.text)))
    return out


@pytest.mark.parametrize("seed", SEEDS)
def test_docx_reads_back_block_for_block(seed: str, results) -> None:
    """Word keeps every paragraph and every cell, with the cells' own line breaks."""
    assert _shape(results[("docx", seed)], flat_cells=False) == _shape(results[("txt", seed)], flat_cells=False)


@pytest.mark.parametrize("seed", SEEDS)
def test_pdf_reads_back_block_for_block(seed: str, results) -> None:
    """A PDF keeps every paragraph (wrapped lines re-joined, across pages too) and every cell's text."""
    assert _shape(results[("pdf", seed)], flat_cells=True) == _shape(results[("txt", seed)], flat_cells=True)


# --- same reports, sections and figures ------------------------------------------------------------


@pytest.mark.parametrize(("fmt", "seed"), CASES)
def test_same_reports(fmt: str, seed: str, results) -> None:
    assert report_keys(results[(fmt, seed)]) == report_keys(results[("txt", seed)])


@pytest.mark.parametrize(("fmt", "seed"), CASES)
def test_same_section_headings(fmt: str, seed: str, results) -> None:
    found, expected = heading_keys(results[(fmt, seed)]), heading_keys(results[("txt", seed)])
    assert found == expected, {"missing": expected - found, "extra": found - expected}


@pytest.mark.parametrize(("fmt", "seed"), CASES)
def test_same_figures(fmt: str, seed: str, results) -> None:
    found, expected = figure_keys(results[(fmt, seed)]), figure_keys(results[("txt", seed)])
    assert found == expected, {"missing": expected - found, "extra": found - expected}
    assert sum(expected.values()) > 10


@pytest.mark.parametrize(("fmt", "seed"), CASES)
def test_generated_files_quote_their_stored_text(fmt: str, seed: str, results) -> None:
    result = results[(fmt, seed)]
    assert result.doc.format == fmt
    text = result.doc.text
    assert result.chunks and result.figures
    for c in result.chunks:
        assert text[c.start : c.end] == c.text
    for f in result.figures:
        assert text[f.start : f.end] == f.text
        assert f.quote_start <= f.start < f.end <= f.quote_end
    spans = [(r.start, r.end) for r in result.reports]
    assert spans[0][0] == 0 and spans[-1][1] == len(text)


# --- GBK and GB18030 --------------------------------------------------------------------------------


def _comparable(result: FileResult) -> tuple:
    figures = [
        {k: ("nan" if isinstance(v, float) and math.isnan(v) else v) for k, v in vars(f).items()}
        for f in result.figures
    ]
    return result.doc.text, result.reports, result.chunks, figures


@pytest.mark.parametrize("encoding", ["gbk", "gb18030"])
@pytest.mark.parametrize("seed", SEEDS)
def test_gb_encoded_copy_reads_the_same(seed: str, encoding: str, tmp_path: Path, results, settings) -> None:
    original = results[("txt", seed)]
    path = tmp_path / seed
    path.write_bytes(original.doc.text.encode(encoding))
    doc = read_document(path)
    assert doc.encoding == "gb18030"
    assert doc.text == original.doc.text
    assert _comparable(process_file(path, settings)) == _comparable(original)


def test_gb18030_only_characters(tmp_path: Path) -> None:
    """Characters GBK lacks (four-byte GB18030 sequences) decode too, not only the GBK subset."""
    text = "2024年度䶮𠮷单位整体支出绩效自评报告\n一、基本情况\n本年支出100.5万元。\n"
    with pytest.raises(UnicodeEncodeError):
        text.encode("gbk")
    path = tmp_path / "gb18030.txt"
    path.write_bytes(text.encode("gb18030"))
    doc = read_document(path)
    assert (doc.encoding, doc.text) == ("gb18030", text)


def test_pdf_margin_note_moves_no_margin(tmp_path: Path) -> None:
    """A stray mark in the page margin does not move the text's margins: wrapped lines still join up."""
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.platypus import Paragraph as PdfParagraph
    from reportlab.platypus import SimpleDocTemplate

    font = cid_font()
    style = ParagraphStyle("b", fontName=font, fontSize=BODY_SIZE, leading=16, firstLineIndent=21, wordWrap="CJK")
    paragraphs = [
        "经评价，本单位2024年度预算执行率为99.94%，资金使用规范，" * 4 + "绩效目标全部完成。",
        "下一步将继续加强预算绩效管理，" * 5 + "提高财政资金使用效益。",
    ]

    def note(canvas, _doc) -> None:
        canvas.setFont(font, 8)
        canvas.drawString(8, A4[1] / 2, "注")
        canvas.drawString(A4[0] - 16, A4[1] / 2 + 40, "注")

    path = tmp_path / "note.pdf"
    SimpleDocTemplate(str(path), pagesize=A4).build([PdfParagraph(t, style) for t in paragraphs], onFirstPage=note)
    blocks = parse_blocks(read_document(path).text)
    assert [re.sub(r"\s+", "", b.text) for b in blocks if b.text != "注"] == paragraphs
