"""Text of a scanned page by OCR: Tesseract with Debian's `chi_sim` model, words with their confidence.

A page without a text layer is rendered (pypdfium2, the renderer pdfplumber ships with) at the resolution
of its scan (a 200 dpi scan at 200 dpi: resampling adds no detail and lowers Tesseract's confidence), at
least `ocr_min_dpi` and at most `ocr_max_dpi` (`ocr_dpi`, 300, when the page's images do not tell it: 5-point
table text about 20 pixels high, the size Tesseract reads reliably), and handed to the
`tesseract` program (Debian's tesseract-ocr and tesseract-ocr-chi-sim, installed by `make run` / `make test`
when missing). The program is run directly rather than through a wrapper so that each page has its own
timeout, address-space limit and one thread; `ocr_workers` pages are read at once. Its TSV output gives
every word's box and confidence: the words become lines (Chinese joined without spaces, numbers and
Latin words apart), in page points, for the PDF reader's paragraph rules; each word keeps its confidence,
and a word under `ocr_min_confidence` is doubtful, so a figure that contains one is flagged, not trusted.
"""

from __future__ import annotations

import contextlib
import io
import os
import shutil
import signal
import subprocess
from dataclasses import dataclass

from qa_app.config import Settings
from qa_app.readers.base import IngestError

_CJK = set(range(0x3000, 0x303F + 1)) | set(range(0x3400, 0x9FFF + 1)) | set(range(0xFF00, 0xFFEF + 1))


@dataclass(frozen=True)
class OcrWord:
    start: int  # offsets in the line's text
    end: int
    confidence: float  # Tesseract's, 0-100


@dataclass(frozen=True)
class OcrLine:
    """One recognised line: its box in page points, its text, and its words."""

    x0: float
    x1: float
    top: float
    bottom: float
    text: str
    words: tuple[OcrWord, ...]
    char_width: float  # the width of the line's first character, in points


def tesseract() -> str | None:
    return shutil.which("tesseract")


def missing() -> IngestError:
    return IngestError(
        "扫描版 PDF 需要文字识别（Tesseract，chi_sim 中文模型），请运行 make run 或 make test 安装后重试，已拒绝"
    )


def _cjk(ch: str) -> bool:
    return ord(ch) in _CJK


def _join(words: list[tuple[str, float]]) -> tuple[str, tuple[OcrWord, ...]]:
    """Words of a line as its text: no space where either side is Chinese, one between Latin words and numbers."""
    text, spans = "", []
    for word, confidence in words:
        if text and not (_cjk(text[-1]) or _cjk(word[0])):
            text += " "
        spans.append(OcrWord(len(text), len(text) + len(word), confidence))
        text += word
    return text, tuple(spans)


def parse_tsv(tsv: str, scale: float) -> list[OcrLine]:
    """Tesseract's TSV (level 5 rows are words) as lines in reading order; `scale` is points per pixel."""
    lines: dict[tuple[int, int, int], list[tuple[int, int, int, int, str, float]]] = {}
    for row in tsv.splitlines()[1:]:
        cols = row.split("\t")
        if len(cols) < 12 or cols[0] != "5" or not cols[11].strip():
            continue
        try:
            block, par, line = int(cols[2]), int(cols[3]), int(cols[4])
            left, top, width, height = (int(c) for c in cols[6:10])
            confidence = float(cols[10])
        except ValueError:
            continue
        lines.setdefault((block, par, line), []).append((left, top, width, height, cols[11].strip(), confidence))
    out: list[OcrLine] = []
    for words in lines.values():
        text, spans = _join([(w[4], w[5]) for w in words])
        first = words[0]
        out.append(
            OcrLine(
                x0=min(w[0] for w in words) * scale,
                x1=max(w[0] + w[2] for w in words) * scale,
                top=min(w[1] for w in words) * scale,
                bottom=max(w[1] + w[3] for w in words) * scale,
                text=text,
                words=spans,
                char_width=first[2] / max(1, len(first[4])) * scale,
            )
        )
    return out


def ocr_image(png: bytes, dpi: int, settings: Settings) -> list[OcrLine]:
    """The lines Tesseract reads on one page image (PNG at `dpi`), within the page's timeout and memory."""
    import resource

    program = tesseract()
    if program is None:
        raise missing()

    def limits() -> None:
        hard = resource.getrlimit(resource.RLIMIT_AS)[1]
        soft = settings.ocr_memory_bytes if hard == resource.RLIM_INFINITY else min(settings.ocr_memory_bytes, hard)
        resource.setrlimit(resource.RLIMIT_AS, (soft, hard))

    command = [program, "stdin", "stdout", "-l", "chi_sim", "--psm", "3", "--dpi", str(dpi), "tsv"]
    env = {k: v for k, v in os.environ.items() if k in ("PATH", "LANG", "LC_ALL", "TMPDIR", "TESSDATA_PREFIX")}
    proc = subprocess.Popen(
        command,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        start_new_session=True,
        preexec_fn=limits,  # the reading child is single-threaded when it starts the program
        env=env | {"OMP_THREAD_LIMIT": "1"},
    )
    try:
        out, err = proc.communicate(png, timeout=settings.ocr_page_timeout_s)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.communicate()
        raise IngestError(f"扫描页文字识别超时（每页 {settings.ocr_page_timeout_s:g} 秒），已拒绝") from None
    if proc.returncode != 0:
        if b"chi_sim" in err:
            raise missing()
        raise IngestError("扫描页文字识别失败（Tesseract 无法读取页面图像），已拒绝")
    return parse_tsv(out.decode("utf-8", "replace"), 72.0 / dpi)


def scan_dpi(page, settings: Settings) -> int:
    """The resolution to render a scanned page at: its largest image's own (a 200 dpi scan is read at 200 dpi;
    resampling it adds no detail and costs Tesseract's confidence), within [ocr_min_dpi, ocr_max_dpi];
    `ocr_dpi` for a page whose images say nothing of it."""
    best = 0.0
    for image in page.images:
        shown_width = float(image["x1"]) - float(image["x0"])
        pixels = (image.get("srcsize") or (0, 0))[0]
        if shown_width > 0 and pixels:
            best = max(best, float(pixels) / (shown_width / 72))
    if not best:
        return settings.ocr_dpi
    return int(min(max(round(best), settings.ocr_min_dpi), settings.ocr_max_dpi))


def page_png(page, dpi: int, settings: Settings) -> bytes:
    """A pdfplumber page rendered to a grey PNG at `dpi`, refused past the pixel bound before rendering."""
    from qa_app.readers.bounds import check_pixels

    width, height = float(page.width) * dpi / 72, float(page.height) * dpi / 72
    check_pixels(int(width * height), settings)
    image = page.to_image(resolution=dpi).original.convert("L")
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()
