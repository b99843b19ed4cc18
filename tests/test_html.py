"""Saved web pages (.html, .htm), generated here: the report without the portal around it, tables as tables.

Each seed report is put into a portal page (tests/docgen.py `write_portal_html`: a script in the head, a
banner, a menu, a breadcrumb, share buttons, a list of related links, a footer with copyright, ICP number
and a visit counter, scripts at the end), some in UTF-8 and some in GB18030 declared as gb2312 the way
older portals do. Each page must give the reports, organisations, years and figures of its seed, with
none of the site's words in the stored text. The 自评表 is served as an HTML table with rowspan/colspan
header levels and answered through a real build + Engine.
"""

from __future__ import annotations

import math
import shutil
import time
from collections import Counter
from pathlib import Path

import pytest
from docgen import (
    CHANGDE,
    SITE_WORDS,
    SelfEvaluation,
    report_html,
    seed_blocks,
    selfeval_html,
    write_portal_html,
)

from qa_app.build import build_index
from qa_app.config import Settings
from qa_app.engine import Engine, get_engine
from qa_app.pipeline import FileResult
from qa_app.readers import read_document
from qa_app.readers.base import IngestError
from qa_app.sandbox import process_file

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "corpus"
SEEDS = sorted(p.name for p in CORPUS.glob("*.txt"))
LOUDI = SelfEvaluation("娄底市司法局", 2022, (350.2, 360.0, 358.45), (120.0, 240.5, 236.11), 9.86)


def title_of(seed: str) -> str:
    return process_file(CORPUS / seed, Settings()).reports[0].title


@pytest.fixture(scope="module")
def pages(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("pages")
    out = {}
    for n, seed in enumerate(SEEDS):
        items = seed_blocks((CORPUS / seed).read_text("utf-8"))
        suffix = ".htm" if n % 2 else ".html"
        encoding = "gb18030" if n % 2 == 0 else "utf-8"
        out[seed] = write_portal_html(
            report_html(items), title_of(seed), folder / f"{Path(seed).stem}{suffix}", encoding
        )
    return out


def figure_keys(result: FileResult) -> Counter:
    return Counter(
        ("nan" if math.isnan(f.value) else round(f.value, 4), f.unit, f.metric, f.org, f.year, f.period)
        for f in result.figures
    )


@pytest.mark.parametrize("seed", SEEDS)
def test_a_portal_page_gives_its_reports_and_figures(seed: str, pages: dict[str, Path]) -> None:
    txt, page = process_file(CORPUS / seed, Settings()), process_file(pages[seed], Settings(), name=seed)
    assert [(r.org, r.region, r.year, r.type) for r in page.reports] == [
        (r.org, r.region, r.year, r.type) for r in txt.reports
    ]
    found, expected = figure_keys(page), figure_keys(txt)
    assert found == expected, {"missing": expected - found, "extra": found - expected}
    assert sum(expected.values()) > 10


@pytest.mark.parametrize("seed", SEEDS)
def test_the_site_around_the_report_is_gone(seed: str, pages: dict[str, Path]) -> None:
    result = process_file(pages[seed], Settings())
    text = result.doc.text
    assert not [w for w in SITE_WORDS if w in text]
    assert "8888.88" not in text and "999.99" not in text  # the scripts' numbers
    assert result.doc.encoding == ("gb18030" if SEEDS.index(seed) % 2 == 0 else "utf-8")
    for f in result.figures:
        assert text[f.start : f.end] == f.text
    for c in result.chunks:
        assert text[c.start : c.end] == c.text


def test_a_table_keeps_its_rows_and_cells(pages: dict[str, Path]) -> None:
    """The 年度资金总额 row of 岳阳市信访局's 自评表, cell for cell as in the .txt."""
    text = read_document(pages["001_8614dcb30a713240.txt"]).text
    assert "\t\n\t年度资金总额\n\t649.24\n\t1186.96\n\t1186.19\n\t10\n\t99.94%\n\t9.94\n" in text


# --- the 自评表 as an HTML table ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def selfeval_page(tmp_path_factory: pytest.TempPathFactory) -> Path:
    title = f"{CHANGDE.year}年度{CHANGDE.org}部门整体支出绩效自评表"
    return write_portal_html(selfeval_html(CHANGDE), title, tmp_path_factory.mktemp("page") / "自评表.html")


def test_rowspan_and_colspan_header_levels_give_each_figure_its_column(selfeval_page: Path) -> None:
    result = process_file(selfeval_page, Settings())
    assert [(r.org, r.year) for r in result.reports] == [("常德市司法局", 2023)]
    figures = {f.metric: (f.value, f.unit, f.text) for f in result.figures}
    assert figures["年度资金总额·全年执行数"] == (1288.75, "万元", "1,288.75")
    assert figures["年度资金总额·执行率"] == (99.12, "%", "99.12%")
    assert figures["年度资金总额·得分"] == (9.91, "分", "9.91")
    assert figures["项目支出·全年预算数"] == (700.19, "万元", "700.19")


# --- encodings and hostile pages --------------------------------------------------------------------------


def test_a_page_is_decoded_by_its_declaration_or_detected(tmp_path: Path) -> None:
    body = "<p>2024年度湘潭县信访局部门整体支出绩效自评报告</p><p>办公费支出2.46万元。</p>"
    cases = {
        "declared-gbk.html": (f'<meta charset="gbk">{body}'.encode("gbk"), "gb18030"),
        "undeclared.html": (body.encode("gb18030"), "gb18030"),
        "wrongly-declared.htm": (f'<meta charset="utf-8">{body}'.encode("gb18030"), "gb18030"),
        "bom.html": (body.encode("utf-8-sig"), "utf-8-sig"),
        "xml-declared.htm": (f'<?xml version="1.0" encoding="utf-8"?><html>{body}</html>'.encode(), "utf-8"),
    }  # fmt: skip
    for name, (data, encoding) in cases.items():
        path = tmp_path / name
        path.write_bytes(data)
        doc = read_document(path)
        assert (doc.encoding, doc.text) == (
            encoding,
            "2024年度湘潭县信访局部门整体支出绩效自评报告\n办公费支出2.46万元。\n",
        )


def test_a_page_of_too_many_elements_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "many.html"
    path.write_text("<p>报告</p>" + "<span>x</span>" * 5000, "utf-8")
    with pytest.raises(IngestError, match=r"^文件的 XML 元素超过 1,000 个（HTML），已拒绝$"):
        process_file(path, Settings(max_xml_nodes=1000))


def test_a_table_whose_spans_cover_millions_of_cells_is_refused_quickly(tmp_path: Path) -> None:
    rows = "".join('<tr><td rowspan="65534" colspan="1000">1</td><td>2</td></tr>' for _ in range(400))
    path = tmp_path / "spans.html"
    path.write_text(f"<table>{rows}</table>", "utf-8")
    t0 = time.perf_counter()
    with pytest.raises(IngestError, match=r"^网页表格的合并单元格超过 200,000 个，已拒绝$"):
        process_file(path, Settings())
    assert time.perf_counter() - t0 < 10


# --- through the real build and the engine -----------------------------------------------------------------


@pytest.fixture(scope="module")
def engine_with_page(tmp_path_factory: pytest.TempPathFactory, seed_index: Path) -> Engine:
    root = tmp_path_factory.mktemp("page-index")
    corpus, index = root / "corpus", root / "index"
    shutil.copytree(CORPUS, corpus)
    for path in corpus.iterdir():
        path.chmod(0o644)
    title = f"{LOUDI.year}年度{LOUDI.org}部门整体支出绩效自评表"
    write_portal_html(selfeval_html(LOUDI), title, corpus / "娄底市司法局2022年自评表.htm", "gb18030")
    shutil.copytree(seed_index, index)
    settings = Settings(corpus_dir=corpus, index_dir=index)
    report = build_index(settings)
    assert not report.failures, report.failures
    return get_engine(settings)


@pytest.mark.parametrize(
    ("question", "value", "unit"),
    [("娄底市司法局2022年全年执行数是多少", 594.56, "万元"), ("娄底市司法局2022年预算执行率", 99.01, "%")],
)
def test_the_engine_answers_from_the_page(engine_with_page: Engine, question: str, value: float, unit: str) -> None:
    answer = engine_with_page.ask(question)
    assert answer.found, answer.answer
    top = answer.figures[0]
    assert (top.value, top.unit, top.org, top.year) == (value, unit, "娄底市司法局", 2022), answer.answer
    citation = answer.citations[top.citation]
    assert citation.doc.endswith(".htm")
    assert citation.quote == engine_with_page.index.texts[citation.doc][citation.start : citation.end]
