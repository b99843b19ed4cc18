"""Generate .docx and .pdf versions of a seed report, for tests that read every format the same way.

A seed report is plain text in the stored-text convention (see `qa_app.readers.ingest`). `seed_blocks` reads it
back into paragraphs and table rows with the project's own parser; `write_docx` and `write_pdf` then lay
those out as a real Word document (paragraphs and real tables, a shorter row's trailing grid cells merged
into its last cell) and as a real PDF (wrapped CJK paragraphs, ruled tables in the built-in STSong-Light
CID font, so no font file is needed).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from xml.sax.saxutils import escape

from qa_app.structure.layout import parse_blocks


@dataclass
class Table:
    """Rows of one table; each row is a list of cell texts, a cell's lines separated by newlines."""

    rows: list[list[str]] = field(default_factory=list)

    @property
    def width(self) -> int:
        return max(len(r) for r in self.rows)


@dataclass
class Paragraph:
    text: str
    blank_before: int = 0  # empty lines between this paragraph and the paragraph before it


Item = Paragraph | Table


def seed_blocks(text: str) -> list[Item]:
    """Paragraphs and tables of a stored text, in order, as the project's layout parser reads them."""
    items: list[Item] = []
    last_end = 0
    last_table = -1
    for block in parse_blocks(text):
        if block.is_row:
            if not isinstance(items[-1] if items else None, Table) or block.table != last_table:
                items.append(Table())
            last_table = block.table
            table = items[-1]
            assert isinstance(table, Table)
            table.rows.append([_cell_text(c.text) for c in block.cells])
        else:
            blanks = text.count("\n", last_end, block.start) - 1 if items and isinstance(items[-1], Paragraph) else 0
            items.append(Paragraph(block.text, max(blanks, 0)))
        last_end = block.end
    return items


def _cell_text(text: str) -> str:
    """A cell's lines without trailing spaces; a line that is only spaces is an empty paragraph."""
    return "\n".join(line.strip(" \u3000") for line in text.split("\n"))


# --- .docx -----------------------------------------------------------------------------------------


# In a Table row given cell by grid column, these mark a grid column that the cell to its left, or the cell
# above it, spans (a merged header: "预算数", "<", "<" over "合计", "公务接待费", …; "项目" over "^").
SPAN_LEFT = "<"
SPAN_UP = "^"


def merged_cells(rows: list[list[str]], width: int) -> list[tuple[int, int, str, int, int]]:
    """(row, column, text, last column, last row) of every cell of a table, a shorter row's last cell
    spanning the rest of the grid and each cell the grid columns and rows `SPAN_LEFT` / `SPAN_UP` give it."""
    grid = [[*cells, *[SPAN_LEFT] * (width - len(cells))] for cells in rows]
    out = []
    for r, cells in enumerate(grid):
        for c, text in enumerate(cells):
            if text in (SPAN_LEFT, SPAN_UP):
                continue
            right = c
            while right + 1 < width and cells[right + 1] == SPAN_LEFT:
                right += 1
            down = r
            while down + 1 < len(grid) and grid[down + 1][c] == SPAN_UP:
                down += 1
            out.append((r, c, text, right, down))
    return out


def write_docx(items: list[Item], path: Path) -> Path:
    """Paragraphs as paragraphs, tables as Word tables as wide as their widest row.

    A shorter row's last cell spans the rest of the grid; `SPAN_LEFT` / `SPAN_UP` merge a cell with the one to
    its left or above (gridSpan, vMerge), so a merged header is the one Word cell it is in a real report.
    """
    import docx

    document = docx.Document()
    for item in items:
        if isinstance(item, Paragraph):
            for _ in range(item.blank_before):
                document.add_paragraph("")
            document.add_paragraph(item.text)
            continue
        table = document.add_table(rows=len(item.rows), cols=item.width)
        table.style = "Table Grid"
        for r, c, text, right, down in merged_cells(item.rows, item.width):
            cell = table.cell(r, c)
            if (right, down) != (c, r):
                cell = cell.merge(table.cell(down, right))
            _set_cell_text(cell, text)
    document.save(str(path))
    return path


def _set_cell_text(cell, text: str) -> None:
    """One Word paragraph per line of the cell, so the reader sees the cell's own line breaks."""
    lines = text.split("\n")
    paragraphs = cell.paragraphs
    for extra in paragraphs[1:]:  # a merge leaves the merged cells' empty paragraphs behind
        extra._p.getparent().remove(extra._p)
    paragraphs[0].text = lines[0]
    for line in lines[1:]:
        cell.add_paragraph(line)


# --- .pdf ------------------------------------------------------------------------------------------

FONT = "STSong-Light"
BODY_SIZE = 10.5  # 五号
TABLE_SIZE = 8.0
_UNBREAKABLE = re.compile(r"[0-9A-Za-z.,%:/=≥≤<>+\-*~()（）]+")


def cid_font() -> str:
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont

    if FONT not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(UnicodeCIDFont(FONT))
    return FONT


def _markup(text: str) -> str:
    """Paragraph markup for plain text: escaped, with runs of spaces kept as they are.

    A Paragraph collapses runs of spaces and the CID font has no glyph for a no-break space, so the rest of
    a run is set as no-break spaces in Helvetica, which has one.
    """
    return re.sub(
        r"[ \u3000]{2,}",
        lambda m: " " + '<font name="Helvetica">' + "&nbsp;" * (len(m.group()) - 1) + "</font>",
        escape(text),
    )


def write_pdf(items: list[Item], path: Path) -> Path:
    """An A4 PDF: paragraphs wrapped with a two-character first-line indent, tables ruled cell by cell,
    and a page number at the foot of every page."""
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import mm
    from reportlab.pdfbase.pdfmetrics import stringWidth
    from reportlab.platypus import Paragraph as PdfParagraph
    from reportlab.platypus import SimpleDocTemplate, Spacer
    from reportlab.platypus import Table as PdfTable

    font = cid_font()
    body = ParagraphStyle(
        "body",
        fontName=font,
        fontSize=BODY_SIZE,
        leading=BODY_SIZE * 1.5,
        firstLineIndent=2 * BODY_SIZE,
        wordWrap="CJK",
    )
    cell = ParagraphStyle("cell", fontName=font, fontSize=TABLE_SIZE, leading=TABLE_SIZE * 1.3, wordWrap="CJK")
    margin = 20 * mm
    doc = SimpleDocTemplate(
        str(path), pagesize=A4, leftMargin=margin, rightMargin=margin, topMargin=margin, bottomMargin=margin
    )
    frame_width = A4[0] - 2 * margin
    pad = 3.0

    def token_width(text: str) -> float:
        """Width of the longest run that must not be broken (a number, a Latin word), plus padding."""
        longest = max((stringWidth(m.group(), font, TABLE_SIZE) for m in _UNBREAKABLE.finditer(text)), default=0.0)
        return longest + 2 * pad + 2

    story: list = []
    for item in items:
        if isinstance(item, Paragraph):
            if item.blank_before:
                story.append(Spacer(1, BODY_SIZE * 0.5))
            story.append(PdfParagraph(_markup(item.text), body))
            continue
        width = item.width
        # Each column at least as wide as its longest number; the rest shared by the length of its text.
        need = [TABLE_SIZE + 2 * pad + 2] * width
        weight = [1.0] * width
        cells_of = merged_cells(item.rows, width)
        for _, k, text, right, _ in cells_of:
            if right > k:
                continue  # a spanning cell constrains its columns together, not one by one
            need[k] = max(need[k], token_width(text))
            weight[k] = max(weight[k], float(min(len(text.replace("\n", "")), 30)))
        spare = frame_width - sum(need)
        assert spare > 0, "table too wide for the page"
        widths = [n + spare * w / sum(weight) for n, w in zip(need, weight, strict=True)]
        style = [
            ("GRID", (0, 0), (-1, -1), 0.5, colors.black),
            ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ("LEFTPADDING", (0, 0), (-1, -1), pad),
            ("RIGHTPADDING", (0, 0), (-1, -1), pad),
        ]
        data = [[""] * width for _ in item.rows]
        for r, c, text, right, down in cells_of:
            lines = text.split("\n")
            data[r][c] = [PdfParagraph(_markup(line), cell) if line else Spacer(1, TABLE_SIZE) for line in lines]
            if (right, down) != (c, r):
                style.append(("SPAN", (c, r), (right, down)))
        table = PdfTable(data, colWidths=widths, style=style, hAlign="LEFT")
        story.append(Spacer(1, BODY_SIZE * 0.5))
        story.append(table)
        story.append(Spacer(1, BODY_SIZE * 0.5))

    def page_number(canvas, document) -> None:
        canvas.setFont(font, 9)
        canvas.drawCentredString(A4[0] / 2, margin / 2, f"- {document.page} -")

    doc.build(story, onFirstPage=page_number, onLaterPages=page_number)
    return path


# --- .xlsx / .xls: a 自评表 as a finance office keeps it -------------------------------------------------


@dataclass(frozen=True)
class SelfEvaluation:
    """The figures of one generated 部门整体支出绩效自评表 (amounts in 万元)."""

    org: str
    year: int
    basic: tuple[float, float, float]  # 基本支出: 年初预算数, 全年预算数, 全年执行数
    project: tuple[float, float, float]  # 项目支出: the same
    score: float  # 年度资金总额·得分

    @property
    def total(self) -> tuple[float, float, float]:
        return tuple(round(a + b, 2) for a, b in zip(self.basic, self.project, strict=True))

    @property
    def rate(self) -> float:
        """执行率 as a fraction (the cell's value; the sheet shows it as a percentage)."""
        return self.total[2] / self.total[1]


# 1,288.75 万元 executed of 1,300.19: 执行率 99.12%
CHANGDE = SelfEvaluation("常德市司法局", 2023, (586.11, 600.00, 598.76), (63.13, 700.19, 689.99), 9.91)

_MONEY = "#,##0.00"
_QUANTITY = ("数量指标", "法律援助案件数量", "≥500件", "526件", 10, 10)
_QUALITY = ("质量指标", "案件按期办结率", "≥95%", "98.6%", 10, 9.8)
_HEADERS = ("一级指标", "二级指标", "三级指标", "年度指标值", "实际完成值", "分值", "得分", "偏差原因分析")


def selfeval_cells(s: SelfEvaluation) -> tuple[list[tuple[str, object, str | None, str | None]], dict[str, str]]:
    """(cell, value, number format, merged to) of the sheet, and the formulas {cell: formula}.

    A title merged across the sheet, a caption, a two-level header (预算执行情况（万元） merged over 年初预算数 |
    全年预算数 | 全年执行数, 项目 / 分值 / 执行率 / 得分 merged down both levels), totals and 执行率 as formulas,
    a row label merged down two rows, a second table of indicators with its own header, a note at the foot.
    """
    cells: list[tuple[str, object, str | None, str | None]] = [
        ("A1", f"{s.year}年度{s.org}部门整体支出绩效自评表", None, "H1"),
        ("H2", "单位：万元", None, None),
        ("A3", "部门名称", None, "B3"),
        ("C3", s.org, None, "H3"),
        ("A4", "项目", None, "B5"),
        ("C4", "预算执行情况（万元）", None, "E4"),
        ("F4", "分值", None, "F5"),
        ("G4", "执行率", None, "G5"),
        ("H4", "得分", None, "H5"),
        ("C5", "年初预算数", None, None),
        ("D5", "全年预算数", None, None),
        ("E5", "全年执行数", None, None),
        ("A6", "年度资金总额", None, "B6"),
        ("C6", s.total[0], _MONEY, None),
        ("D6", s.total[1], _MONEY, None),
        ("E6", s.total[2], _MONEY, None),
        ("F6", 10, None, None),
        ("G6", s.rate, "0.00%", None),
        ("H6", s.score, "0.00", None),
        ("A7", "其中", None, "A8"),
        ("B7", "基本支出", None, None),
        ("B8", "项目支出", None, None),
        *[(f"{c}7", v, _MONEY, None) for c, v in zip("CDE", s.basic, strict=True)],
        *[(f"{c}8", v, _MONEY, None) for c, v in zip("CDE", s.project, strict=True)],
        ("A10", "二、绩效指标完成情况", None, "H10"),
        *[(f"{c}11", t, None, None) for c, t in zip("ABCDEFGH", _HEADERS, strict=True)],
        ("A12", "产出指标", None, "A13"),
        *[(f"{c}12", v, None, None) for c, v in zip("BCDEFG", _QUANTITY, strict=True)],
        *[(f"{c}13", v, None, None) for c, v in zip("BCDEFG", _QUALITY, strict=True)],
        ("A14", "总分", None, "E14"),
        ("F14", 100, None, None),
        ("G14", 98.8, None, None),
        ("A15", "填表人：李明　联系电话：0736-7221234", None, "H15"),
    ]  # fmt: skip
    formulas = {"C6": "SUM(C7:C8)", "D6": "SUM(D7:D8)", "E6": "SUM(E7:E8)", "G6": "E6/D6"}
    return cells, formulas


def write_selfeval_xlsx(s: SelfEvaluation, path: Path) -> Path:
    """The 自评表 as Excel saves it: merged cells, number formats, formulas with their cached values.

    openpyxl writes a formula without the value Excel computes on saving; the value is put into the sheet's
    XML beside the formula, as Excel leaves it.
    """
    import io
    import zipfile

    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "自评表"
    cells, formulas = selfeval_cells(s)
    for ref, value, fmt, merged_to in cells:
        sheet[ref] = f"={formulas[ref]}" if ref in formulas else value
        if fmt:
            sheet[ref].number_format = fmt
        if merged_to:
            sheet.merge_cells(f"{ref}:{merged_to}")
    buffer = io.BytesIO()
    book.save(buffer)
    cached = {ref: repr(float(value)) for ref, value, _, _ in cells if ref in formulas}
    with zipfile.ZipFile(buffer) as src, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            data = src.read(info)
            if info.filename == "xl/worksheets/sheet1.xml":
                text = data.decode("utf-8")
                for ref, value in cached.items():
                    formula = rf'(<c r="{ref}"[^>]*>)<f>([^<]*)</f><v\s*/?>(?:</v>)?'
                    text, n = re.subn(formula, rf"\1<f>\2</f><v>{value}</v>", text)
                    assert n == 1, ref
                data = text.encode("utf-8")
            dst.writestr(info, data)
    return path


def write_selfeval_xls(s: SelfEvaluation, path: Path) -> Path:
    """The same 自评表 as an Excel 97-2003 .xls (xlwt): merged cells and number formats, values for formulas."""
    import xlwt
    from openpyxl.utils.cell import column_index_from_string, coordinate_from_string

    def rc(ref: str) -> tuple[int, int]:
        letters, row = coordinate_from_string(ref)
        return row - 1, column_index_from_string(letters) - 1

    book = xlwt.Workbook(encoding="utf-8")
    sheet = book.add_sheet("自评表")
    cells, _ = selfeval_cells(s)
    for ref, value, fmt, merged_to in cells:
        style = xlwt.easyxf(num_format_str=fmt or "General")
        r, c = rc(ref)
        if merged_to:
            r2, c2 = rc(merged_to)
            sheet.write_merge(r, r2, c, c2, value, style)
        else:
            sheet.write(r, c, value, style)
    book.save(str(path))
    return path


# --- .html: a report as a government portal serves it ---------------------------------------------------

SITE_WORDS = ("首页", "政务公开", "财政预决算", "网站地图", "版权所有", "ICP备", "相关链接", "访问量", "document.write")


def _html_cell(text: str) -> str:
    return "".join(f"<p>{escape(line)}</p>" if line else "<p>&nbsp;</p>" for line in text.split("\n"))


def report_html(items: list[Item]) -> str:
    """The report itself: paragraphs as <p>, tables as <table> (a shorter row's last cell spans the rest)."""
    out: list[str] = []
    for item in items:
        if isinstance(item, Paragraph):
            out.extend(["<p>&nbsp;</p>"] * item.blank_before)  # Word's blank line, as its web page keeps it
            out.append(f'<p style="text-indent:2em">{escape(item.text)}</p>')
            continue
        width = item.width
        rows = []
        for row in item.rows:
            cells = [f"<td>{_html_cell(text)}</td>" for text in row]
            if len(row) < width:
                cells[-1] = f'<td colspan="{width - len(row) + 1}">{_html_cell(row[-1])}</td>'
            rows.append("<tr>" + "".join(cells) + "</tr>")
        out.append('<table border="1" cellspacing="0"><tbody>' + "".join(rows) + "</tbody></table>")
    return "\n".join(out)


def write_portal_html(body: str, title: str, path: Path, encoding: str = "utf-8") -> Path:
    """`body` inside a portal page: a script in the head, a banner, a menu, a breadcrumb, a list of related
    links beside the article, a footer with the site's copyright and counters, and a script at the end."""
    sections = ("首页", "政务公开", "政务服务", "互动交流", "走进本市")
    menu = "".join(f'<li><a href="/{n}.html">{w}</a></li>' for n, w in enumerate(sections))
    bureaus = ("财政局", "教育局", "民政局", "交通局")
    related = "".join(f'<li><a href="/r{n}.html">2024年度市{w}部门决算公开</a></li>' for n, w in enumerate(bureaus))
    charset = "gb2312" if encoding == "gb18030" else encoding
    page = f"""<!DOCTYPE html>
<html><head><meta http-equiv="Content-Type" content="text/html; charset={charset}">
<title>{escape(title)}_某某市人民政府门户网站</title>
<script>var _hmt = _hmt || []; document.write("访问量 1234567 次，2024年预算 8888.88万元");</script>
<style>.nav li {{ float: left; }}</style></head>
<body>
<div class="top-banner"><img src="/logo.png" alt="某某市人民政府门户网站"><span>网站地图</span></div>
<div class="nav"><ul>{menu}</ul></div>
<div class="position">当前位置：<a href="/">首页</a> &gt; <a href="/zwgk">政务公开</a> &gt;
<a href="/czyjs">财政预决算</a></div>
<div class="main-wrap">
<div class="article">
<h1>{escape(title)}</h1>
<div class="info">发布时间：2025-03-18　来源：本站</div>
<div class="TRS_Editor">
{body}
</div>
<div class="share">分享到：<a href="#">微信</a> <a href="#">微博</a> <a href="#">QQ空间</a></div>
</div>
<div class="side"><h3>相关链接</h3><ul>{related}</ul></div>
</div>
<div class="footer"><p>版权所有：某某市人民政府办公室　主办单位：某某市人民政府　联系电话：0731-88888888</p>
<p>湘ICP备05001234号　网站标识码：4300000001　访问量：1234567</p></div>
<script src="/js/stat.js"></script><script>console.log("本年支出 999.99万元")</script>
<noscript>请开启脚本</noscript>
</body></html>
"""
    path.write_bytes(page.encode(encoding))
    return path


def selfeval_html(s: SelfEvaluation) -> str:
    """The 自评表 as an HTML table: the title merged across it, rowspan/colspan header levels."""
    t, b, p = s.total, s.basic, s.project

    def money(v: float) -> str:
        return f"{v:,.2f}"

    return f"""<p>单位：万元</p>
<table border="1">
<tr><td colspan="2">部门名称</td><td colspan="6">{s.org}</td></tr>
<tr><td colspan="2" rowspan="2">项目</td><td colspan="3">预算执行情况（万元）</td><td rowspan="2">分值</td>
<td rowspan="2">执行率</td><td rowspan="2">得分</td></tr>
<tr><td>年初预算数</td><td>全年预算数</td><td>全年执行数</td></tr>
<tr><td colspan="2">年度资金总额</td><td>{money(t[0])}</td><td>{money(t[1])}</td><td>{money(t[2])}</td><td>10</td>
<td>{s.rate * 100:.2f}%</td><td>{s.score:.2f}</td></tr>
<tr><td rowspan="2">其中</td><td>基本支出</td><td>{money(b[0])}</td><td>{money(b[1])}</td><td>{money(b[2])}</td>
<td></td><td></td><td></td></tr>
<tr><td>项目支出</td><td>{money(p[0])}</td><td>{money(p[1])}</td><td>{money(p[2])}</td><td></td><td></td><td></td></tr>
</table>"""


# --- .doc: what WPS and older Word save ------------------------------------------------------------------


def write_doc(docx_path: Path, path: Path) -> Path:
    """A Word 97-2003 .doc of a .docx, by the converter the reader uses (LibreOffice headless).

    Word always keeps a paragraph after a document's last table; python-docx does not, and LibreOffice's
    .doc of a document ending in a table loses that table's rows. The paragraph is added first, as Word has it.
    """
    import shutil
    import subprocess
    import tempfile

    import docx

    with tempfile.TemporaryDirectory() as tmp:
        document = docx.Document(str(docx_path))
        document.add_paragraph("")
        source = Path(tmp) / f"{path.stem}.docx"
        document.save(str(source))
        subprocess.run(
            [shutil.which("soffice") or "soffice", f"-env:UserInstallation=file://{tmp}/profile", "--headless",
             "--norestore", "--convert-to", "doc:MS Word 97", "--outdir", tmp, str(source)],
            check=True, capture_output=True, timeout=120, env={"PATH": "/usr/bin:/bin", "HOME": tmp},
        )  # fmt: skip
        shutil.move(Path(tmp) / f"{path.stem}.doc", path)
    return path


# --- a scanned report: pages as images, no text layer ----------------------------------------------------


def write_scanned_pdf(pdf_path: Path, path: Path, pages: list[int] | None = None, dpi: int = 200) -> Path:
    """An image-only PDF of pages of `pdf_path` (0-based, all by default): each page rendered at `dpi` in grey
    (pdfium sets the CID font in a system CJK font) and placed as one picture filling an A4 page."""
    import io

    import pypdfium2 as pdfium
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.utils import ImageReader
    from reportlab.pdfgen import canvas

    source = pdfium.PdfDocument(str(pdf_path))
    out = canvas.Canvas(str(path), pagesize=A4)
    for n in pages if pages is not None else range(len(source)):
        image = source[n].render(scale=dpi / 72).to_pil().convert("L")
        buffer = io.BytesIO()
        image.save(buffer, format="PNG")
        out.drawImage(ImageReader(io.BytesIO(buffer.getvalue())), 0, 0, width=A4[0], height=A4[1])
        out.showPage()
    out.save()
    source.close()
    return path
