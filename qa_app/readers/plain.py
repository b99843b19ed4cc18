"""Plain text (.txt, .md): strict decoding of UTF-8 (with or without a BOM), UTF-16/32 and the GB family."""

from __future__ import annotations

import charset_normalizer

from qa_app.readers.base import IngestError

_BOMS = (
    (b"\xef\xbb\xbf", "utf-8-sig"),
    (b"\xff\xfe\x00\x00", "utf-32"),
    (b"\x00\x00\xfe\xff", "utf-32"),
    (b"\xff\xfe", "utf-16"),
    (b"\xfe\xff", "utf-16"),
)
_GB_FAMILY = {"gb2312", "gbk", "gb18030", "hz", "cp936"}


def decode_text(data: bytes) -> tuple[str, str]:
    """Decode strictly and say which encoding was used; never substitute characters silently.

    UTF-8 is tried strictly first; a GB2312/GBK guess is read as GB18030 (its superset), because short
    Chinese texts are often misdetected and GB18030 decodes all of them.
    """
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            try:
                return data.decode(encoding), encoding
            except UnicodeDecodeError as exc:
                raise IngestError(f"invalid {encoding} text at byte {exc.start}") from exc
    if b"\x00" in data[:4096]:
        raise IngestError("binary file, not text")
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    candidates = ["gb18030"]
    best = charset_normalizer.from_bytes(data[:200_000]).best()
    if best is not None and best.encoding.lower().replace("_", "") not in _GB_FAMILY:
        candidates.append(best.encoding)
    for encoding in candidates:
        try:
            text = data.decode(encoding)
        except (UnicodeDecodeError, LookupError):
            continue
        if _looks_like_text(text):
            return text, encoding
    raise IngestError("cannot decode text (not UTF-8, GB18030 or another known encoding)")


def _looks_like_text(text: str) -> bool:
    """Reject decodings that are mostly control or private-use characters (a binary file or wrong guess)."""
    sample = text[:20_000]
    bad = sum(1 for c in sample if (ord(c) < 32 and c not in "\t\n\r\f") or 0xE000 <= ord(c) <= 0xF8FF)
    return bad <= len(sample) * 0.01
