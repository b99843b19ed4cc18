"""Files built to take the machine down: each is refused with a reason, in seconds, in bounded memory.

The hostile files are generated in tmp_path, small on disk and written without ever holding what they
unpack to: a .docx whose document.xml inflates to 3 GB (50,000 paragraphs of spaces), .docx files with
an archive inside, a PDF whose one page stream inflates to 3 GB, a PDF of 20,000 pages, an .xlsx whose
sheet inflates to 3 GB, one of 300,000 cells in a few KB, and one whose merged range covers the sheet. Each is read
through `process_file` (the reading child) with its time and the child's peak memory measured; then
`qa-app build` runs on them beside one seed report, its process tree's memory polled, and the app gets
the bomb as an upload and still answers a seed question.
"""

from __future__ import annotations

import contextlib
import io
import os
import re
import shutil
import struct
import subprocess
import sys
import time
import zipfile
import zlib
from collections.abc import Callable, Iterable
from pathlib import Path

import pytest

from qa_app.config import Settings
from qa_app.readers.base import IngestError
from qa_app.readers.bounds import check_zip
from qa_app.sandbox import process_file
from qa_app.store.loader import load_tables

ROOT = Path(__file__).resolve().parent.parent
SEED = "003_d2e36f3a4881f76a.txt"  # 湘潭县信访局: answers 湘潭县信访救助支出多少
GIB = 2**30
SEGMENT = 16 * 2**20  # what one deflated segment inflates to; the segment is repeated, never recompressed
PEAK_LIMIT_KB = 1536 * 1024  # the build's process tree may never hold more than 1.5 GB
SECONDS_LIMIT = 30.0
REFUSED = re.compile(r"已拒绝")

W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"


# --- writing hostile files cheaply ---------------------------------------------------------------------------


def _deflate_repeated(prefix: bytes, unit: bytes, count: int, suffix: bytes) -> tuple[list[bytes], int]:
    """Raw deflate of prefix + unit × count + suffix, compressing `SEGMENT` bytes of units once.

    After a full flush deflate refers to nothing before it, so the flushed segment of a block of units
    can be repeated as bytes: the 3 GB are never built, only one segment is compressed.
    """
    per_segment = max(1, SEGMENT // len(unit))
    deflater = zlib.compressobj(9, zlib.DEFLATED, -15)
    parts = [deflater.compress(prefix) + deflater.flush(zlib.Z_FULL_FLUSH)]
    whole, rest = divmod(count, per_segment)
    segment = deflater.compress(unit * per_segment) + deflater.flush(zlib.Z_FULL_FLUSH)
    parts.extend([segment] * whole)
    parts.append(deflater.compress(unit * rest + suffix) + deflater.flush())
    return parts, len(prefix) + len(unit) * count + len(suffix)


def _write_zip(path: Path, members: Iterable[tuple[str, list[bytes], int, int]]) -> Path:
    """A zip written by hand from (name, raw deflate parts, inflated size, crc32) members."""
    central, offset = [], 0
    with open(path, "wb") as fh:
        for name, parts, size, crc in members:
            raw_name = name.encode()
            compressed = sum(len(p) for p in parts)
            fields = (20, 0, 8, 0, 0x21, crc, compressed, size, len(raw_name), 0)
            fh.write(b"PK\x03\x04" + struct.pack("<HHHHHIIIHH", *fields) + raw_name)
            for part in parts:
                fh.write(part)
            central.append(b"PK\x01\x02" + struct.pack("<HHHHHHIIIHHHHHII", 20, *fields, 0, 0, 0, 0, offset) + raw_name)
            offset += 30 + len(raw_name) + compressed
        directory = b"".join(central)
        fh.write(directory)
        fh.write(b"PK\x05\x06" + struct.pack("<HHHHIIH", 0, 0, len(central), len(central), len(directory), offset, 0))
    return path


def _small_docx() -> dict[str, bytes]:
    """The members of a real one-paragraph .docx from python-docx."""
    import docx

    document = docx.Document()
    document.add_paragraph("2024年度湘潭县信访局部门整体支出绩效自评报告")
    buffer = io.BytesIO()
    document.save(buffer)
    with zipfile.ZipFile(buffer) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def _deflated(data: bytes) -> tuple[list[bytes], int, int]:
    deflater = zlib.compressobj(9, zlib.DEFLATED, -15)
    return [deflater.compress(data) + deflater.flush()], len(data), zlib.crc32(data)


def bomb_docx(path: Path, inflated: int = 3 * GIB, paragraphs: int = 50_000) -> Path:
    """A .docx of a few MB whose word/document.xml inflates to `inflated` bytes of paragraphs of spaces.

    Its declared sizes are the true ones; its CRC is left 0 (computing it would read the 3 GB): a reader
    that got that far would have lost already.
    """
    head = f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<w:document xmlns:w="{W}"><w:body>'.encode()
    tail = b"</w:body></w:document>"
    open_p, close_p = b'<w:p><w:r><w:t xml:space="preserve">', b"</w:t></w:r></w:p>"
    spaces = (inflated - len(head) - len(tail)) // paragraphs - len(open_p) - len(close_p)
    parts, size = _deflate_repeated(head, open_p + b" " * spaces + close_p, paragraphs, tail)
    members = [(n, *_deflated(d)) for n, d in _small_docx().items() if n != "word/document.xml"]
    return _write_zip(path, [*members, ("word/document.xml", parts, size, 0)])


def nested_docx(path: Path, inner_name: str, inner: bytes | None = None) -> Path:
    """A real .docx that also carries a zip archive (`inner`, else a small sheet) as one of its members."""
    if inner is None:
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            archive.writestr("sheet.xml", "<a/>" * 1000)
        inner = buffer.getvalue()
    members = [(n, *_deflated(d)) for n, d in _small_docx().items()]
    return _write_zip(path, [*members, (inner_name, *_deflated(inner))])


def nested_bomb_docx(path: Path, inner_name: str) -> Path:
    """A .docx carrying a zip whose one member inflates to 3 GB (the bomb one level down)."""
    parts, size = _deflate_repeated(b"", b"\0" * 4096, 3 * GIB // 4096, b"")
    inner = _write_zip(path.with_suffix(".inner"), [("data.bin", parts, size, 0)])
    data = inner.read_bytes()
    inner.unlink()
    return nested_docx(path, inner_name, data)


def doubly_nested_docx(path: Path, inner_name: str) -> Path:
    """A .docx carrying a zip that carries a zip."""
    innermost = io.BytesIO()
    with zipfile.ZipFile(innermost, "w") as archive:
        archive.writestr("a.txt", "a")
    middle = io.BytesIO()
    with zipfile.ZipFile(middle, "w") as archive:
        archive.writestr("inner.zip", innermost.getvalue())
    return nested_docx(path, inner_name, middle.getvalue())


def _write_pdf(path: Path, objects: list[bytes]) -> Path:
    """A PDF written by hand: objects 1…n (1 is the catalog), a cross-reference table and a trailer."""
    with open(path, "wb") as fh:
        fh.write(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
        offsets = []
        for number, body in enumerate(objects, 1):
            offsets.append(fh.tell())
            fh.write(b"%d 0 obj\n" % number + body + b"\nendobj\n")
        xref = fh.tell()
        fh.write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1))
        fh.write(b"".join(b"%010d 00000 n \n" % offset for offset in offsets))
        fh.write(b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref))
    return path


_FONT = b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"


def _stream(data: bytes, extra: bytes = b"") -> bytes:
    return b"<< /Length %d%s >>\nstream\n" % (len(data), extra) + data + b"\nendstream"


def bomb_pdf(path: Path, inflated: int = 3 * GIB) -> Path:
    """One page whose FlateDecode content stream is a few MB and inflates to `inflated` zero bytes."""
    parts, size = _deflate_repeated(b"", b"\0" * 4096, inflated // 4096, b"")
    adler = (size % 65521) << 16 | 1  # adler32 of zeros: a stays 1, b adds 1 per byte
    data = b"\x78\xda" + b"".join(parts) + struct.pack(">I", adler)
    return _write_pdf(
        path,
        [
            b"<< /Type /Catalog /Pages 2 0 R >>",
            b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R >>",
            _stream(data, b" /Filter /FlateDecode"),
        ],
    )


def many_pages_pdf(path: Path, pages: int = 20_000) -> Path:
    """`pages` page objects of a line of text each, all sharing one content stream and one font."""
    first = 5  # objects 1-4: catalog, page tree, content, font; then the pages
    kids = b" ".join(b"%d 0 R" % (first + n) for n in range(pages))
    page = (
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 3 0 R"
        b" /Resources << /Font << /F1 4 0 R >> >> >>"
    )
    return _write_pdf(
        path,
        [
            b"<< /Type /Catalog /Pages 2 0 R >>",
            b"<< /Type /Pages /Kids [" + kids + b"] /Count %d >>" % pages,
            _stream(b"BT /F1 12 Tf 72 720 Td (Budget report page) Tj ET"),
            _FONT,
            *[page] * pages,
        ],
    )


def _small_xlsx() -> dict[str, bytes]:
    """The members of a real one-sheet .xlsx from openpyxl."""
    import openpyxl

    book = openpyxl.Workbook()
    book.active["A1"] = "2024年度湘潭县信访局部门整体支出绩效自评表"
    buffer = io.BytesIO()
    book.save(buffer)
    with zipfile.ZipFile(buffer) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


_SHEET = "xl/worksheets/sheet1.xml"
_SHEET_HEAD = b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'


def _xlsx_with_sheet(path: Path, parts: list[bytes], size: int, crc: int = 0) -> Path:
    members = [(n, *_deflated(d)) for n, d in _small_xlsx().items() if n != _SHEET]
    return _write_zip(path, [*members, (_SHEET, parts, size, crc)])


def bomb_xlsx(path: Path, inflated: int = 3 * GIB) -> Path:
    """An .xlsx whose sheet inflates to `inflated` bytes: rows of one cell of spaces."""
    unit = b'<row><c t="inlineStr"><is><t>' + b" " * 65536 + b"</t></is></c></row>"
    parts, size = _deflate_repeated(_SHEET_HEAD, unit, inflated // len(unit), b"</sheetData></worksheet>")
    return _xlsx_with_sheet(path, parts, size)


def huge_sheet_xlsx(path: Path, rows: int = 3_000, columns: int = 100) -> Path:
    """An .xlsx of a few KB whose one sheet holds rows × columns numbers (300,000), within the XML bounds."""
    unit = b"<row>" + b"<c><v>1288.75</v></c>" * columns + b"</row>"
    parts, size = _deflate_repeated(_SHEET_HEAD, unit, rows, b"</sheetData></worksheet>")
    return _xlsx_with_sheet(path, parts, size)


def merge_bomb_xlsx(path: Path) -> Path:
    """An .xlsx of two cells whose merged range covers the whole sheet (openpyxl makes an object per cell)."""
    sheet = _SHEET_HEAD + b'<row r="1"><c r="A1"><v>1</v></c></row></sheetData>'
    sheet += b'<mergeCells count="1"><mergeCell ref="A1:XFD1048576"/></mergeCells></worksheet>'
    return _xlsx_with_sheet(path, *_deflated(sheet))


OLE = "word/embeddings/oleObject1.bin"  # a zip under a name that does not say so: found by its first bytes
SHEET = "word/embeddings/Sheet1.xlsx"  # an archive by its name
# file name → (writer, words its refusal holds)
HOSTILE: dict[str, tuple[Callable[[Path], Path], str]] = {
    "bomb 3GB.docx": (bomb_docx, r"文件(解压后超过 [\d,]+ MB|的 XML 文字超过 [\d,]+ 个字符).*，已拒绝"),
    "nested bomb.docx": (lambda p: nested_bomb_docx(p, OLE), r"文件解压后超过 [\d,]+ MB，已拒绝"),
    "doubly nested.docx": (
        lambda p: doubly_nested_docx(p, SHEET), rf"文件内嵌的压缩包中又有压缩包（{SHEET} › inner.zip），已拒绝"
    ),
    "bomb stream 3GB.pdf": (bomb_pdf, r"文件解压后超过 [\d,]+ MB（PDF 数据流），已拒绝"),
    "20000 pages.pdf": (many_pages_pdf, r"PDF 超过 1,000 页，已拒绝"),
    "bomb 3GB.xlsx": (
        bomb_xlsx, r"文件(解压后超过 [\d,]+ MB|的 XML 文字超过 [\d,]+ 个字符)（xl/worksheets/sheet1.xml），已拒绝"
    ),
    "huge sheet.xlsx": (huge_sheet_xlsx, r"表格单元格超过 200,000 个，已拒绝"),
    "merge bomb.xlsx": (merge_bomb_xlsx, r"表格单元格超过 200,000 个，已拒绝"),
}  # fmt: skip


@pytest.fixture(scope="module")
def hostile(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("hostile-archives")
    for name, (write, _) in HOSTILE.items():
        write(folder / name)
    return folder


# --- in the reading child: each refused quickly, the child small ----------------------------------------------


def child_peak_kb() -> int:
    """The reading child's peak resident memory since its counter was last reset (`reset_child_peak`)."""
    from qa_app.sandbox import _child

    proc = _child._proc
    assert proc is not None and proc.poll() is None
    return _vm_hwm_kb(proc.pid)


def _vm_hwm_kb(pid: int) -> int:
    status = Path(f"/proc/{pid}/status").read_text()
    return int(re.search(r"VmHWM:\s+(\d+)", status)[1])


def reset_child_peak() -> None:
    """Start the child's peak counter afresh, so one file's peak is measured, not the child's life's."""
    from qa_app.sandbox import _child

    process_file(ROOT / "corpus" / SEED, Settings())  # the child is running and has read a report
    Path(f"/proc/{_child._proc.pid}/clear_refs").write_text("5")


@pytest.mark.parametrize("name", list(HOSTILE))
def test_a_hostile_file_is_refused_quickly_in_little_memory(hostile: Path, name: str) -> None:
    path = hostile / name
    assert path.stat().st_size < 8 * 2**20  # small on disk
    reset_child_peak()
    t0 = time.perf_counter()
    with pytest.raises(IngestError) as refused:
        process_file(path, Settings())
    seconds = time.perf_counter() - t0
    assert re.fullmatch(HOSTILE[name][1], str(refused.value)), str(refused.value)
    assert seconds < SECONDS_LIMIT
    assert child_peak_kb() < 512 * 1024, child_peak_kb()


def test_a_docx_with_an_embedded_sheet_is_read(tmp_path: Path) -> None:
    """Word keeps an embedded Excel chart as an archive inside the .docx: checked one level down, then read."""
    result = process_file(nested_docx(tmp_path / "chart.docx", SHEET), Settings())
    assert "湘潭县信访局" in result.doc.text


def test_the_bomb_declares_what_it_inflates_to(hostile: Path) -> None:
    """The 3 GB are real: the archive says so, and inflating its first bytes gives paragraphs of spaces."""
    with zipfile.ZipFile(hostile / "bomb 3GB.docx") as archive:
        info = archive.getinfo("word/document.xml")
        assert info.file_size >= 3 * GIB - 2**20 and info.compress_size < 8 * 2**20
        with archive.open(info) as member:
            start = member.read(2**20)
    assert b"<w:body><w:p><w:r>" in start and start.count(b" ") > 2**19


# --- the bounds one by one, and the child's own limits --------------------------------------------------------


def zip_of(path: Path, members: dict[str, bytes]) -> bytes:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return path.read_bytes()


def test_too_many_members_are_refused(tmp_path: Path) -> None:
    data = zip_of(tmp_path / "many.docx", {f"word/media/{n}.bin": b"x" for n in range(30)})
    with pytest.raises(IngestError, match=r"文件包含超过 20 个压缩成员，已拒绝"):
        check_zip(data, Settings(max_zip_members=20))


def test_xml_elements_and_text_are_counted(tmp_path: Path) -> None:
    data = zip_of(tmp_path / "x.docx", {"word/document.xml": b"<a>" + b"<b>xy</b>" * 1000 + b"</a>"})
    check_zip(data, Settings())
    with pytest.raises(IngestError, match=r"XML 元素超过 500 个（word/document.xml），已拒绝"):
        check_zip(data, Settings(max_xml_nodes=500))
    with pytest.raises(IngestError, match=r"XML 文字超过 1,000 个字符（word/document.xml），已拒绝"):
        check_zip(data, Settings(max_xml_text_chars=1000))


def test_all_members_together_are_bounded(tmp_path: Path) -> None:
    data = zip_of(tmp_path / "m.docx", {f"word/media/{n}.png": b"\0" * 2**20 for n in range(3)})
    with pytest.raises(IngestError, match=r"文件解压后超过 2 MB，已拒绝"):
        check_zip(data, Settings(max_unzipped_bytes=2 * 2**20))


def test_a_pdf_image_past_the_pixel_bound_is_refused(tmp_path: Path) -> None:
    from qa_app.readers.bounds import check_pdf

    pixels = zlib.compress(b"\0" * 3 * 100 * 100)
    image = _stream(pixels, b" /Type /XObject /Subtype /Image /Width 100000 /Height 100000 /BitsPerComponent 8"
                            b" /ColorSpace /DeviceRGB /Filter /FlateDecode")  # fmt: skip
    path = _write_pdf(
        tmp_path / "image.pdf",
        [
            b"<< /Type /Catalog /Pages 2 0 R >>",
            b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /XObject << /Im1 4 0 R >> >> >>",
            image,
        ],
    )
    with pytest.raises(IngestError, match=r"图像超过 100,000,000 像素，已拒绝"):
        check_pdf(path.read_bytes(), Settings())


def test_a_stream_deflated_twice_is_inflated_twice(tmp_path: Path) -> None:
    from qa_app.readers.bounds import check_pdf_streams

    twice = zlib.compress(zlib.compress(b"\0" * 8 * 2**20), 9)
    data = b"%PDF-1.7\n1 0 obj\n" + _stream(twice, b" /Filter [/FlateDecode /FlateDecode]") + b"\nendobj\n"
    check_pdf_streams(data, Settings())
    with pytest.raises(IngestError, match=r"文件解压后超过 4 MB（PDF 数据流），已拒绝"):
        check_pdf_streams(data, Settings(max_pdf_stream_bytes=4 * 2**20))


def test_a_read_past_the_timeout_is_refused_and_the_next_file_is_read(tmp_path: Path) -> None:
    seed = ROOT / "corpus" / SEED
    with pytest.raises(IngestError, match=r"^读取超时（0.001 秒），已拒绝$"):
        process_file(seed, Settings(read_timeout_s=0.001))
    assert process_file(seed, Settings()).reports[0].org == "湘潭县信访局"


def test_a_read_past_the_memory_limit_is_refused_and_the_next_file_is_read(tmp_path: Path) -> None:
    """No bound stops this text early (they are raised out of the way): the child's memory limit does.

    The limit is set 100 MB above what the child already holds; the text's normalised view needs more.
    """
    from qa_app.sandbox import _child

    big = tmp_path / "big.txt"
    big.write_bytes((ROOT / "corpus" / SEED).read_bytes() * 1000)  # ~34 MB, ~13 M characters
    process_file(ROOT / "corpus" / SEED, Settings())
    size_kb = int(re.search(r"VmSize:\s+(\d+)", Path(f"/proc/{_child._proc.pid}/status").read_text())[1])
    limit = (size_kb // 1024 + 100) * 2**20
    loose = Settings(max_text_chars=10**9, read_memory_bytes=limit)
    with pytest.raises(IngestError, match=rf"^读取时内存超过 {limit // 2**20} MB，已拒绝$"):
        process_file(big, loose)
    assert process_file(ROOT / "corpus" / SEED, Settings()).reports[0].org == "湘潭县信访局"


# --- `qa-app build` beside a seed report: refused, bounded, the seed indexed -----------------------------------


def qa_app_build_polled(corpus: Path, index: Path) -> tuple[subprocess.CompletedProcess[str], int, float]:
    """`qa-app build` in a child; returns the run, the peak of its process tree (KB) and its seconds.

    The tree's peak is the sum of each process's own peak (VmHWM), an upper bound on what the tree held
    at any one moment; /proc is polled every 20 ms for the build and any process it starts.
    """
    script = Path(sys.executable).with_name("qa-app")
    env = {k: v for k, v in os.environ.items() if not k.startswith("QA_")} | {"TQDM_DISABLE": "1"}
    t0 = time.perf_counter()
    proc = subprocess.Popen(
        [str(script), "build", "--corpus", str(corpus), "--index", str(index)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    peaks: dict[int, int] = {}
    while proc.poll() is None:
        for pid in _tree(proc.pid):
            with contextlib.suppress(OSError, TypeError):  # ended between the listing and the read
                peaks[pid] = max(peaks.get(pid, 0), _vm_hwm_kb(pid))
        time.sleep(0.02)
    out, err = proc.communicate()
    return (
        subprocess.CompletedProcess(proc.args, proc.returncode, out, err),
        sum(peaks.values()),
        time.perf_counter() - t0,
    )


def _tree(pid: int) -> list[int]:
    found, todo = [], [pid]
    while todo:
        here = todo.pop()
        found.append(here)
        for task in Path(f"/proc/{here}/task").glob("*/children"):
            with contextlib.suppress(OSError):
                todo.extend(int(c) for c in task.read_text().split())
    return found


def test_the_build_refuses_each_and_indexes_the_seed(hostile: Path, tmp_path: Path) -> None:
    corpus, index = tmp_path / "corpus", tmp_path / "index"
    corpus.mkdir()
    shutil.copyfile(ROOT / "corpus" / SEED, corpus / SEED)
    for name in HOSTILE:
        os.link(hostile / name, corpus / name)  # the same bytes, no copy

    run, peak_kb, seconds = qa_app_build_polled(corpus, index)

    assert run.returncode == 0, run.stderr
    assert "Traceback" not in run.stderr
    reasons = dict(line.split("  NOT READ: ", 1) for line in run.stdout.splitlines() if "  NOT READ: " in line)
    assert set(reasons) == set(HOSTILE), run.stdout
    for name, (_, words) in HOSTILE.items():
        assert re.fullmatch(words, reasons[name]), (name, reasons[name])
    assert peak_kb < PEAK_LIMIT_KB, f"{peak_kb / 1024:.0f} MB"
    tables = load_tables(index)
    assert set(tables["documents"]["doc"]) == {SEED}
    assert (tables["figures"]["doc"] == SEED).any()
    # the reading itself took seconds: the rest of the build is loading the model and embedding the seed
    assert seconds < 120, seconds


# --- the app: the bomb as an upload is refused, and the app still answers --------------------------------------


def test_the_app_refuses_the_bomb_upload_and_still_answers(
    hostile: Path, seed_index: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from streamlit.testing.v1 import AppTest

    corpus, index = tmp_path / "corpus", tmp_path / "index"
    shutil.copytree(ROOT / "corpus", corpus)
    shutil.copytree(seed_index, index)
    monkeypatch.setenv("QA_INDEX", str(index))
    monkeypatch.setenv("QA_CORPUS", str(corpus))
    files = sorted(p.name for p in corpus.iterdir())
    at = AppTest.from_file(str(ROOT / "qa_app" / "ui" / "app.py"), default_timeout=120).run()
    assert not at.exception, at.exception
    at.radio(key="view").set_value("添加报告").run()

    data = (hostile / "bomb 3GB.docx").read_bytes()
    docx_type = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
    t0 = time.perf_counter()
    at.file_uploader(key="upload-0").set_value(("bomb.docx", data, docx_type)).run()
    assert time.perf_counter() - t0 < SECONDS_LIMIT
    assert not at.exception, at.exception
    (error,) = at.error
    message = error.value.replace("\\", "")  # the app escapes markdown in what it shows
    assert message.startswith("bomb.docx：已拒绝，") and message.endswith("，已拒绝"), message
    assert sorted(p.name for p in corpus.iterdir()) == files

    at.radio(key="view").set_value("问答").run()
    at.chat_input[0].set_value("湘潭县信访救助支出多少").run()
    assert not at.exception, at.exception
    assert at.chat_message[-1].metric[0].value == "519.69万元"
