"""Excel 自评表 (.xlsx and .xls), generated here: read as the sheet shows them, and answered through a real build.

The sheet (tests/docgen.py `selfeval_cells`) has what an office's 自评表 has: a title merged across the
sheet, a caption, a two-level header with a label merged over its sub-headers, totals and 执行率 as
formulas with their cached values, number formats (1,288.75 and 99.12%), a row label merged down, a
second table of indicators, a note at the foot. The .xlsx is written by openpyxl, the .xls by xlwt.
"""

from __future__ import annotations

import datetime as dt
import io
import math
import shutil
import time
import zipfile
from pathlib import Path

import pytest
from docgen import CHANGDE, SelfEvaluation, write_selfeval_xls, write_selfeval_xlsx

from qa_app.build import build_index
from qa_app.config import Settings
from qa_app.engine import Engine, get_engine
from qa_app.pipeline import FileResult
from qa_app.readers.base import IngestError
from qa_app.readers.grid import Grid, grid_blocks
from qa_app.readers.numfmt import display
from qa_app.sandbox import process_file
from qa_app.structure.layout import parse_blocks

ROOT = Path(__file__).resolve().parent.parent
# The .xls is another office's sheet, so both are answered in one index.
OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # an OLE compound file's first bytes (.xls, .doc, encrypted .xlsx)
YIYANG = SelfEvaluation("益阳市司法局", 2024, (402.5, 410.0, 409.87), (1020.0, 1204.35, 1177.02), 9.79)


# --- number formats: what the sheet shows -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "fmt", "shown"),
    [
        (0.9912012, "0.00%", "99.12%"),
        (1288.75, "#,##0.00", "1,288.75"),
        (1186.1899999999998, "General", "1186.19"),  # a sum's binary noise is not shown
        (99.125, "0.00", "99.13"),  # half away from zero, on the decimal the cell holds
        (-1234.5, "#,##0.00;[Red]-#,##0.00", "-1,234.50"),
        (-1234.5, "#,##0.00_);(#,##0.00)", "(1,234.50)"),
        (0, '_-* #,##0.00_-;-* #,##0.00_-;_-* "-"??_-;_-@_-', "-"),
        (1234.567, '_-* #,##0.00_-;-* #,##0.00_-;_-* "-"??_-;_-@_-', "1,234.57"),
        (12.5, '0.00"万元"', "12.50万元"),
        (1500000, "#,##0,", "1,500"),
        (1234.5, "[$¥-804]#,##0.00", "¥1,234.50"),
        (5, "#,##0.00_ ", "5.00"),
        (0.05, "0%", "5%"),
        (10.0, "General", "10"),
        (dt.datetime(2024, 12, 31), 'yyyy"年"m"月"d"日"', "2024年12月31日"),
        (dt.datetime(2024, 12, 31, 8, 5), "yyyy-mm-dd hh:mm", "2024-12-31 08:05"),
        ("≥95%", "@", "≥95%"),
        (None, "0.00", ""),
    ],
)
def test_a_cell_reads_as_the_sheet_shows_it(value: object, fmt: str, shown: str) -> None:
    assert display(value, fmt) == shown


# --- grids: merged cells, titles, far-apart cells ----------------------------------------------------------


def test_a_merged_header_level_is_repeated_over_the_columns_it_spans() -> None:
    grid = Grid()
    for (r, c), text in {
        (1, 1): "项目", (1, 2): "预算数（万元）", (2, 2): "年初", (2, 3): "调整后", (3, 1): "基本支出", (3, 2): "10.5",
        (3, 3): "12.25",
    }.items():  # fmt: skip
        grid.put(r, c, text)
    grid.merges = [(1, 1, 2, 1), (1, 2, 1, 3)]
    assert grid_blocks(grid, 100) == [
        ["项目", "预算数（万元）", "预算数（万元）"],
        ["项目", "年初", "调整后"],
        ["基本支出", "10.5", "12.25"],
    ]


def test_cells_far_apart_cost_only_themselves() -> None:
    grid = Grid()
    grid.put(1, 1, "2024年度部门整体支出绩效自评表")
    grid.put(1_048_576, 16_384, "注")
    t0 = time.perf_counter()
    assert grid_blocks(grid, 100) == ["2024年度部门整体支出绩效自评表", "注"]
    grid.merges = [(1, 1, 1_048_576, 16_384)]  # a merge over the whole sheet: what it covers shows nothing
    assert grid_blocks(grid, 100) == ["2024年度部门整体支出绩效自评表"]
    assert time.perf_counter() - t0 < 0.1


def test_cells_scattered_over_the_sheet_are_refused() -> None:
    grid = Grid()
    for k in range(1, 2001):
        grid.put(k, k, "1")  # 2,000 cells on a diagonal: 2,000 rows × 2,000 columns
    with pytest.raises(IngestError, match=r"^表格展开后超过 200,000 个单元格（2,000 行 × 2,000 列），已拒绝$"):
        grid_blocks(grid, 200_000)


# --- the 自评表 read alone ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def sheets(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("sheets")
    return {
        "xlsx": write_selfeval_xlsx(CHANGDE, folder / "常德市司法局2023年自评表.xlsx"),
        "xls": write_selfeval_xls(YIYANG, folder / "益阳市司法局2024年自评表.xls"),
    }


@pytest.fixture(scope="module")
def read(sheets: dict[str, Path]) -> dict[str, FileResult]:
    return {fmt: process_file(path, Settings()) for fmt, path in sheets.items()}


def test_the_xlsx_has_merged_cells_formulas_and_number_formats(sheets: dict[str, Path]) -> None:
    import openpyxl

    book = openpyxl.load_workbook(sheets["xlsx"])
    sheet = book.active
    assert {str(r) for r in sheet.merged_cells.ranges} >= {"A1:H1", "C4:E4", "A4:B5", "A7:A8"}
    assert sheet["E6"].value == "=SUM(E7:E8)" and sheet["G6"].value == "=E6/D6"
    assert sheet["G6"].number_format == "0.00%" and sheet["E6"].number_format == "#,##0.00"
    cached = openpyxl.load_workbook(sheets["xlsx"], data_only=True).active
    assert cached["E6"].value == 1288.75 and round(cached["G6"].value, 6) == 0.991201


def expected_figures(s: SelfEvaluation) -> dict[str, tuple[float, str, str]]:
    """metric → (value, unit, text as shown) for the figures the sheet states."""
    total, basic, project = s.total, s.basic, s.project

    def shown(v: float) -> str:
        return f"{v:,.2f}"

    out = {
        "年度资金总额·执行率": (round(s.rate * 100, 2), "%", f"{s.rate * 100:.2f}%"),
        "年度资金总额·得分": (s.score, "分", f"{s.score:.2f}"),
        "年度资金总额·分值": (10.0, "分", "10"),
        "法律援助案件数量·实际完成值": (526.0, "件", "526件"),
        "案件按期办结率·实际完成值": (98.6, "%", "98.6%"),
        "总分·得分": (98.8, "分", "98.8"),
    }
    for label, values in (("年度资金总额", total), ("基本支出", basic), ("项目支出", project)):
        for header, v in zip(("年初预算数", "全年预算数", "全年执行数"), values, strict=True):
            out[f"{label}·{header}"] = (v, "万元", shown(v))
    return out


@pytest.mark.parametrize(("fmt", "sheet"), [("xlsx", CHANGDE), ("xls", YIYANG)])
def test_the_sheet_gives_its_report_organisation_year_and_figures(
    fmt: str, sheet: SelfEvaluation, read: dict[str, FileResult]
) -> None:
    result = read[fmt]
    assert result.doc.format == fmt
    assert [(r.title, r.org, r.year) for r in result.reports] == [
        (f"{sheet.year}年度{sheet.org}部门整体支出绩效自评表", sheet.org, sheet.year)
    ]
    figures = {f.metric: f for f in result.figures}
    for metric, (value, unit, text) in expected_figures(sheet).items():
        assert metric in figures, (metric, sorted(figures))
        found = figures[metric]
        assert (found.value, found.unit, found.text) == (value, unit, text), metric
        assert (found.org, found.year, found.source, found.malformed) == (sheet.org, sheet.year, "table", False)
    assert not any(math.isnan(f.value) for f in result.figures)


def test_the_xlsx_shows_1288_75_and_99_12_percent(read: dict[str, FileResult]) -> None:
    text = read["xlsx"].doc.text
    assert "\t1,288.75\n" in text and "\t99.12%\n" in text and "\t649.24\n" in text  # 649.24: a formula's cached value
    assert text.startswith("2023年度常德市司法局部门整体支出绩效自评表\n单位：万元\n\t部门名称\n")
    assert text.rstrip().endswith("填表人：李明　联系电话：0736-7221234")


def test_the_header_levels_are_expanded_and_the_tables_kept_apart(read: dict[str, FileResult]) -> None:
    rows = [[c.text for c in b.cells] for b in parse_blocks(read["xlsx"].doc.text) if b.is_row]
    level = "预算执行情况（万元）"
    assert ["项目", "项目", level, level, level, "分值", "执行率", "得分"] in rows
    assert ["项目", "项目", "年初预算数", "全年预算数", "全年执行数", "分值", "执行率", "得分"] in rows
    assert ["", "项目支出", "63.13", "700.19", "689.99", "", "", ""] in rows  # 其中 merged down: filled by the layout
    tables = {b.table for b in parse_blocks(read["xlsx"].doc.norm.text) if b.is_row}
    assert len(tables) == 2  # the budget table, then the indicators under "二、绩效指标完成情况"


@pytest.mark.parametrize("fmt", ["xlsx", "xls"])
def test_every_figure_and_chunk_quotes_the_stored_text(fmt: str, read: dict[str, FileResult]) -> None:
    result = read[fmt]
    text = result.doc.text
    assert result.chunks and result.figures
    for c in result.chunks:
        assert text[c.start : c.end] == c.text
    for f in result.figures:
        assert text[f.start : f.end] == f.text
        assert f.quote_start <= f.start < f.end <= f.quote_end


def test_the_xls_reads_as_the_xlsx(sheets: dict[str, Path], tmp_path: Path, read: dict[str, FileResult]) -> None:
    """The same sheet saved both ways gives the same stored text."""
    same = write_selfeval_xls(CHANGDE, tmp_path / "same.xls")
    assert process_file(same, Settings()).doc.text == read["xlsx"].doc.text


# --- damaged, disguised and protected workbooks ------------------------------------------------------------


def test_a_damaged_or_disguised_workbook_is_refused_in_chinese(sheets: dict[str, Path], tmp_path: Path) -> None:
    data = sheets["xlsx"].read_bytes()
    cases = {
        "half.xlsx": (data[: len(data) // 2], r"^不是可读的 \.xlsx 文件（文件损坏或不完整），已拒绝$"),
        "sheet.xlsx": (sheets["xls"].read_bytes(), r"^不是可读的 \.xlsx 文件（这是旧版 \.xls 格式.*，已拒绝$"),
        "book.xls": (data, r"^不是可读的 \.xls 文件（这是 \.xlsx 格式.*，已拒绝$"),
        "noise.xls": (OLE + bytes(range(256)) * 8, r"^不是可读的 \.xls 文件（文件损坏或不完整），已拒绝$"),
        "protected.xlsx": (
            OLE + b"\0" * 500 + "EncryptionInfo".encode("utf-16-le") + b"\0" * 500,
            r"^Excel 文件设有打开密码（已加密），无法读取，已拒绝$",
        ),
    }  # fmt: skip
    for name, (content, reason) in cases.items():
        path = tmp_path / name
        path.write_bytes(content)
        with pytest.raises(IngestError, match=reason):
            process_file(path, Settings())


def test_a_sheet_past_the_cell_bound_is_refused_before_openpyxl_builds_it(sheets: dict[str, Path]) -> None:
    from qa_app.readers.xlsx import check_sheets

    check_sheets(sheets["xlsx"].read_bytes(), Settings())
    with pytest.raises(IngestError, match=r"^表格单元格超过 40 个，已拒绝$"):
        check_sheets(sheets["xlsx"].read_bytes(), Settings(max_sheet_cells=40))


def test_hidden_sheets_are_not_read(tmp_path: Path) -> None:
    import openpyxl

    book = openpyxl.Workbook()
    book.active.title = "自评表"
    book.active["A1"] = "2024年度湘潭县信访局部门整体支出绩效自评表"
    hidden = book.create_sheet("参数")
    hidden["A1"] = "下拉选项：优秀 良好 中 差"
    hidden.sheet_state = "hidden"
    buffer = io.BytesIO()
    book.save(buffer)
    path = tmp_path / "hidden.xlsx"
    path.write_bytes(buffer.getvalue())
    assert zipfile.is_zipfile(path)
    assert process_file(path, Settings()).doc.text == "2024年度湘潭县信访局部门整体支出绩效自评表\n"


# --- through the real build and the engine -----------------------------------------------------------------


@pytest.fixture(scope="module")
def engine_with_sheets(tmp_path_factory: pytest.TempPathFactory, seed_index: Path, sheets: dict[str, Path]) -> Engine:
    root = tmp_path_factory.mktemp("sheet-index")
    corpus, index = root / "corpus", root / "index"
    shutil.copytree(ROOT / "corpus", corpus)
    for path in corpus.iterdir():
        path.chmod(0o644)
    for path in sheets.values():
        shutil.copyfile(path, corpus / path.name)
    shutil.copytree(seed_index, index)  # the seeds' rows are reused: only the sheets are read and embedded
    settings = Settings(corpus_dir=corpus, index_dir=index)
    report = build_index(settings)
    assert not report.failures, report.failures
    return get_engine(settings)


@pytest.mark.parametrize(
    ("question", "value", "unit", "org", "year"),
    [
        ("常德市司法局2023年全年执行数是多少", 1288.75, "万元", "常德市司法局", 2023),
        ("常德市司法局2023年预算执行率", 99.12, "%", "常德市司法局", 2023),
        ("常德市司法局2023年项目支出全年预算数", 700.19, "万元", "常德市司法局", 2023),
        ("益阳市司法局2024年全年执行数是多少", 1586.89, "万元", "益阳市司法局", 2024),
    ],
)
def test_the_engine_answers_from_the_sheet(
    engine_with_sheets: Engine, question: str, value: float, unit: str, org: str, year: int
) -> None:
    answer = engine_with_sheets.ask(question)
    assert answer.found, answer.answer
    top = answer.figures[0]
    assert (top.value, top.unit, top.org, top.year) == (value, unit, org, year), answer.answer
    citation = answer.citations[top.citation]
    assert citation.doc.endswith((".xlsx", ".xls"))
    assert citation.quote == engine_with_sheets.index.texts[citation.doc][citation.start : citation.end]
    assert top.text in citation.quote


def test_the_reports_view_lists_the_sheets(engine_with_sheets: Engine) -> None:
    reports = engine_with_sheets.index.reports
    mine = reports[reports["doc"].str.endswith((".xlsx", ".xls"))]
    assert sorted(zip(mine["org"], mine["year"], strict=True)) == [("常德市司法局", 2023), ("益阳市司法局", 2024)]
