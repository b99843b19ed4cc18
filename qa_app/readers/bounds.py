"""Bounds on reading a file, whatever the file claims about itself: checks run before the real parser.

A small file can unpack to gigabytes: a .docx is a zip whose parts inflate 1000:1, a PDF holds deflated
streams, an object stream, thousands of pages. Each check here counts what is actually produced while
streaming, never a size the file declares: zip members inflated block by block (and no archive inside the
archive), XML parts pushed through a parser that only counts elements and characters, every deflated PDF
stream inflated block by block, PDF pages and image sizes counted. Every bound is a `Settings` field.
What these checks miss is held by the reading child's address-space limit and timeout (qa_app.sandbox).

Every refusal is an `IngestError` whose message says in Chinese what was refused and why.
"""

from __future__ import annotations

import io
import itertools
import re
import zipfile
import zlib
from collections.abc import Iterator

from qa_app.config import Settings
from qa_app.readers.base import IngestError

BLOCK = 1 << 20  # inflate and read in pieces of this many bytes, so no check ever holds more than a piece


def mb(n: int) -> str:
    """`n` bytes in whole megabytes, as the refusals say it."""
    return f"{n / 2**20:,.0f} MB"


def too_big(limit: int, what: str = "") -> IngestError:
    """The refusal of a file that unpacks to more than `limit` bytes."""
    return IngestError(f"文件解压后超过 {mb(limit)}{what}，已拒绝")


# --- zip archives (.docx) ------------------------------------------------------------------------------------

_CENTRAL_ENTRY = b"PK\x01\x02"
_LOCAL_ENTRY = b"PK\x03\x04"
_ARCHIVE_SUFFIXES = (".zip", ".docx", ".docm", ".xlsx", ".xlsm", ".pptx", ".jar", ".odt", ".ods", ".7z", ".gz", ".rar")
_XML_SUFFIXES = (".xml", ".rels")


class _XmlCounter:
    """An lxml parser target that builds nothing: it counts elements and characters and stops past a bound."""

    def __init__(self, member: str, settings: Settings) -> None:
        self.member, self.settings = member, settings
        self.nodes = self.chars = 0

    def start(self, tag: str, attrib: dict, nsmap: dict | None = None) -> None:
        self.nodes += 1
        if self.nodes > self.settings.max_xml_nodes:
            raise IngestError(f"文件的 XML 元素超过 {self.settings.max_xml_nodes:,} 个（{self.member}），已拒绝")
        self._count(sum(len(v) for v in attrib.values()))

    def data(self, text: str) -> None:
        self._count(len(text))

    def _count(self, n: int) -> None:
        self.chars += n
        if self.chars > self.settings.max_xml_text_chars:
            raise IngestError(
                f"文件的 XML 文字超过 {self.settings.max_xml_text_chars:,} 个字符（{self.member}），已拒绝"
            )

    def end(self, tag: str) -> None:
        pass

    def close(self) -> None:
        pass


class _XmlCheck:
    """Feeds an XML part piece by piece to `_XmlCounter`; malformed XML is left for the real reader to name."""

    def __init__(self, member: str, settings: Settings) -> None:
        from lxml import etree

        self.parser = etree.XMLParser(
            target=_XmlCounter(member, settings), resolve_entities=False, no_network=True, load_dtd=False
        )
        self.broken = False

    def feed(self, block: bytes) -> None:
        from lxml.etree import XMLSyntaxError

        if self.broken:
            return
        try:
            self.parser.feed(block)
        except XMLSyntaxError:
            self.broken = True

    def close(self) -> None:
        from lxml.etree import XMLSyntaxError

        if not self.broken:
            try:
                self.parser.close()
            except XMLSyntaxError:
                self.broken = True


def check_zip(data: bytes, settings: Settings, inside: str = "") -> None:
    """Refuse an archive whose members inflate past the bounds or are too many.

    Each member is inflated block by block and the bytes that come out are counted, so a member that
    declares 1 KB and inflates to 3 GB is stopped at the bound, holding one block. XML members also go
    through a counting parser (elements, characters). An archive inside (Word keeps an embedded Excel chart
    as word/embeddings/*.xlsx) is checked the same way, one level down (`inside` names it); an archive inside
    that one is refused. Damage (a bad zip, a bad CRC) is left to the reader.
    """
    if data.count(_CENTRAL_ENTRY) > settings.max_zip_members:  # before zipfile lists every entry in memory
        raise IngestError(f"文件包含超过 {settings.max_zip_members:,} 个压缩成员，已拒绝")
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, OSError, ValueError, EOFError):
        return
    with archive:
        members = [info for info in archive.infolist() if not info.is_dir()]
        if len(members) > settings.max_zip_members:
            raise IngestError(f"文件包含超过 {settings.max_zip_members:,} 个压缩成员，已拒绝")
        total = 0
        for info in members:
            name = f"{inside} › {info.filename}" if inside else info.filename
            nested = info.filename.lower().endswith(_ARCHIVE_SUFFIXES)
            if nested and inside:
                raise IngestError(f"文件内嵌的压缩包中又有压缩包（{name}），已拒绝")
            xml = _XmlCheck(name, settings) if info.filename.lower().endswith(_XML_SUFFIXES) else None
            size, held = 0, []
            try:
                with archive.open(info) as member:
                    while block := member.read(BLOCK):
                        if size == 0 and block.startswith(_LOCAL_ENTRY):
                            if inside:
                                raise IngestError(f"文件内嵌的压缩包中又有压缩包（{name}），已拒绝")
                            nested = True
                        size += len(block)
                        total += len(block)
                        if xml is not None and size > settings.max_xml_bytes:
                            raise too_big(settings.max_xml_bytes, f"（{name}）")
                        if total > settings.max_unzipped_bytes:
                            raise too_big(settings.max_unzipped_bytes)
                        if xml is not None:
                            xml.feed(block)
                        if nested:
                            held.append(block)
            except (zipfile.BadZipFile, zlib.error, EOFError, RuntimeError, NotImplementedError, OSError):
                return  # damaged, encrypted or of an unknown method: the reader refuses it with its own reason
            if xml is not None:
                xml.close()
            if nested:
                check_zip(b"".join(held), settings, inside=name)


def count_html(text: str, settings: Settings) -> None:
    """Refuse a page of more elements or text than the XML bounds, counted by a parser that builds nothing."""
    from lxml import etree

    parser = etree.HTMLParser(target=_XmlCounter("HTML", settings), no_network=True, recover=True)
    for start in range(0, len(text), BLOCK):
        parser.feed(text[start : start + BLOCK])
    parser.close()


# --- PDF -----------------------------------------------------------------------------------------------------

_STREAM = re.compile(rb"(?<!end)stream(?:\r\n|\n|\r)")
_IMAGE = re.compile(rb"/Subtype\s*/Image\b")
_DIMENSION = re.compile(rb"/(Width|Height)\s+(\d+)(?!\s+\d+\s+R)")
_DICT_WINDOW = 1 << 16  # how far before `stream` its dictionary is looked for


def _zlib_header(head: bytes) -> bool:
    return len(head) >= 2 and head[0] & 0x0F == 8 and head[0] >> 4 <= 7 and (head[0] << 8 | head[1]) % 31 == 0


def _inflate(blocks: Iterator[bytes], limit: int, on_over: IngestError) -> Iterator[bytes]:
    """Inflate a zlib stream piece by piece, raising `on_over` once more than `limit` bytes came out."""
    inflater = zlib.decompressobj()
    produced = 0
    for block in blocks:
        pending = block
        while pending and not inflater.eof:
            try:
                out = inflater.decompress(pending, BLOCK)
            except zlib.error:
                return  # not (or no longer) deflate: the reader decodes no more of it either
            pending = inflater.unconsumed_tail
            produced += len(out)
            if produced > limit:
                raise on_over
            if out:
                yield out
        if inflater.eof:
            return


def _pieces(view: memoryview) -> Iterator[bytes]:
    for start in range(0, len(view), BLOCK):
        yield bytes(view[start : start + BLOCK])


def _inflated_size(view: memoryview, limit: int, on_over: IngestError) -> int:
    """Bytes a deflated stream inflates to (a stream deflated twice is inflated twice), up to `limit`.

    Inflating runs from the stream's first byte until deflate's own end mark, so neither a false /Length
    nor an `endstream` inside the data shortens what is counted.
    """
    outer = [0]

    def counted(pieces: Iterator[bytes]) -> Iterator[bytes]:
        for piece in pieces:
            outer[0] += len(piece)
            yield piece

    stage = counted(_inflate(_pieces(view), limit, on_over))
    first = next(stage, b"")
    if not _zlib_header(first[:2]):
        return len(first) + sum(len(piece) for piece in stage)
    inner = sum(len(piece) for piece in _inflate(itertools.chain([first], stage), limit, on_over))
    for _ in stage:  # what follows the inner stream is decoded by the reader too
        pass
    return max(inner, outer[0])


def check_pdf_streams(data: bytes, settings: Settings) -> None:
    """Refuse a PDF with a stream that inflates past the bound, or streams that together do.

    Every stream is found by its `stream` keyword and inflated block by block from there. Images are not
    decoded when text is read; their declared size is checked against the pixel bound instead, and what
    they inflate to against the bytes so many pixels can take (so a content stream cannot pass as one).
    """
    view = memoryview(data)
    total = 0
    for match in _STREAM.finditer(data):
        start = match.end()
        if not _zlib_header(data[start : start + 2]):
            continue
        lo = max(0, match.start() - _DICT_WINDOW)
        head = data[max(lo, data.rfind(b"obj", lo, match.start())) : match.start()]  # the stream's dictionary
        limit = settings.max_pdf_stream_bytes
        if _IMAGE.search(head):
            dims = dict(_DIMENSION.findall(head))
            pixels = int(dims.get(b"Width", 0)) * int(dims.get(b"Height", 0))
            check_pixels(pixels, settings)
            limit = max(limit, settings.max_image_pixels * settings.image_bytes_per_pixel)
            _inflated_size(view[start:], limit, too_big(limit, "（PDF 图像）"))
            continue
        total += _inflated_size(view[start:], limit, too_big(limit, "（PDF 数据流）"))
        if total > settings.max_pdf_unpacked_bytes:
            raise too_big(settings.max_pdf_unpacked_bytes, "（PDF 数据流合计）")


def check_pixels(pixels: int, settings: Settings) -> None:
    if pixels > settings.max_image_pixels:
        raise IngestError(f"文件中的图像超过 {settings.max_image_pixels:,} 像素，已拒绝")


def check_pdf_pages(data: bytes, settings: Settings) -> None:
    """Refuse a PDF of more pages than the bound, counting the pages the reader would walk (not /Count).

    Runs after `check_pdf_streams`, so the object and cross-reference streams pdfminer decodes here are
    bounded. A file pdfminer cannot open is left for `pdf_text` to name.
    """
    from pdfminer.pdfdocument import PDFDocument
    from pdfminer.pdfpage import PDFPage
    from pdfminer.pdfparser import PDFParser
    from pdfminer.pdftypes import PDFStream, resolve1
    from pdfminer.psparser import LIT

    try:
        document = PDFDocument(PDFParser(io.BytesIO(data)))
        for n, page in enumerate(PDFPage.create_pages(document), 1):
            if n > settings.max_pdf_pages:
                raise IngestError(f"PDF 超过 {settings.max_pdf_pages:,} 页，已拒绝")
            xobjects = resolve1((page.resources or {}).get("XObject")) or {}
            for ref in xobjects.values() if isinstance(xobjects, dict) else ():
                obj = resolve1(ref)
                if isinstance(obj, PDFStream) and resolve1(obj.get("Subtype")) is LIT("Image"):
                    width, height = resolve1(obj.get("Width")), resolve1(obj.get("Height"))
                    if isinstance(width, int) and isinstance(height, int):
                        check_pixels(width * height, settings)
    except (IngestError, MemoryError):
        raise
    except Exception:  # pdfminer raises many types on malformed files; pdf_text classifies them
        return


def check_pdf(data: bytes, settings: Settings) -> None:
    """Every PDF bound, cheapest first, before pdfplumber lays out a single page."""
    check_pdf_streams(data, settings)
    check_pdf_pages(data, settings)
