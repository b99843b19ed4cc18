"""Reading text files: encodings detected strictly and named, unreadable files refused with a reason."""

from __future__ import annotations

from pathlib import Path

import pytest

from qa_app.readers import IngestError, read_document
from qa_app.readers.plain import decode_text

SAMPLE = "2024年度湘潭县信访局部门整体支出绩效评价报告\n信访救助支出519.69万元，占比56.42%。\n"


@pytest.mark.parametrize(
    ("data", "encoding"),
    [
        (SAMPLE.encode("utf-8"), "utf-8"),
        (b"\xef\xbb\xbf" + SAMPLE.encode("utf-8"), "utf-8-sig"),
        (SAMPLE.encode("utf-16"), "utf-16"),
        (SAMPLE.encode("gbk"), "gb18030"),
        (SAMPLE.encode("gb18030"), "gb18030"),
        ("信访局".encode("gbk"), "gb18030"),  # a short GBK text that detectors misread
    ],
)
def test_encodings_decode_to_the_same_text(data: bytes, encoding: str) -> None:
    text, used = decode_text(data)
    assert used == encoding
    assert text in (SAMPLE, "信访局")


def test_gb18030_only_characters() -> None:
    text = "𠀀信访局" + SAMPLE
    assert decode_text(text.encode("gb18030")) == (text, "gb18030")


@pytest.mark.parametrize(
    ("name", "data", "reason"),
    [
        ("empty.txt", b"", "empty file"),
        ("blank.txt", b"  \n\n", "empty file"),
        ("binary.txt", bytes(range(256)) * 8, "binary file"),
        ("report.ppt", b"whatever", "unsupported file type"),
        ("report.xls", b"whatever", "不是可读的 .xls 文件"),
        ("broken.docx", b"PK\x03\x04 not really a zip", "not a readable .docx"),
        ("broken.pdf", b"%PDF-1.4 garbage", "not a readable PDF"),
    ],
)
def test_unreadable_files_give_a_plain_reason(tmp_path: Path, name: str, data: bytes, reason: str) -> None:
    path = tmp_path / name
    path.write_bytes(data)
    with pytest.raises(IngestError, match=reason):
        read_document(path)


def test_stored_text_is_kept_exactly(tmp_path: Path) -> None:
    stored = "标题\r\n[bookmark: _GoBack]正文　１２３万元\r\n"
    path = tmp_path / "crlf.txt"
    path.write_bytes(stored.encode("utf-8"))
    doc = read_document(path)
    assert doc.text == stored  # citations quote this, byte for byte after decoding
    assert doc.norm.text == "标题\n正文 123万元\n"


def test_oversized_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "big.txt"
    path.write_bytes(SAMPLE.encode() * 100)
    with pytest.raises(IngestError, match="too large"):
        read_document(path, max_bytes=1000)


def test_docx_with_broken_xml_gives_a_plain_reason(tmp_path: Path) -> None:
    import zipfile

    import docx

    good = tmp_path / "good.docx"
    document = docx.Document()
    document.add_paragraph("2024年度某县民政局部门整体支出绩效自评报告")
    document.save(good)
    broken = tmp_path / "broken.docx"
    with zipfile.ZipFile(good) as src, zipfile.ZipFile(broken, "w") as dst:
        for item in src.infolist():
            data = src.read(item)
            dst.writestr(item, data[: len(data) // 2] if item.filename == "word/document.xml" else data)
    with pytest.raises(IngestError, match=r"not a readable \.docx"):
        read_document(broken)


def test_file_of_only_invisible_characters_has_no_text(tmp_path: Path) -> None:
    path = tmp_path / "zw.txt"
    path.write_text("\u200b\u200b\n[bookmark: _GoBack]\n", encoding="utf-8")
    with pytest.raises(IngestError, match="no text in file"):
        read_document(path)


def test_docx_table_nested_in_a_cell_is_read(tmp_path: Path) -> None:
    import docx

    document = docx.Document()
    document.add_paragraph("2024年度某县民政局部门整体支出绩效自评报告")
    outer = document.add_table(rows=1, cols=2)
    outer.cell(0, 0).text = "资金情况"
    inner = outer.cell(0, 1).add_table(rows=1, cols=2)
    inner.cell(0, 0).text = "执行数"
    inner.cell(0, 1).text = "290万元"
    path = tmp_path / "nested.docx"
    document.save(path)
    assert "执行数 290万元" in read_document(path).text
