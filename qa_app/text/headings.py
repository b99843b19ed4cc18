"""Lines that head something: numbered headings (第五部分, 一、, （一）, 1., （1）, ## Markdown) and the
cleaning that makes a title or heading line comparable ("**一、 部门 概况**" → "一、部门概况").

The markers' words are data (qa_app/lexicon/headings.toml); their levels and shapes are here.
"""

from __future__ import annotations

import re

import cn2an

from qa_app.lexicon import load, ordered

_WORDS = load("headings")
_NUMERALS = _WORDS["numerals"]
_SEPARATORS = _WORDS["separators"]
_CJK = r"\u4e00-\u9fff"
_CJK_GAP = re.compile(rf"(?<=[{_CJK}])\s+(?=[{_CJK}])")
_MARKUP = re.compile(r"^[#>*\-\s]+|\*+$")
HEADINGS = (
    (0.0, re.compile(rf"^第[{_NUMERALS}{_WORDS['hundred']}]+(?:{ordered(_WORDS['divisions'])})\s*")),
    (1.0, re.compile(rf"^[{_NUMERALS}]+\s*[{_SEPARATORS}]\s*")),
    (2.0, re.compile(rf"^\([{_NUMERALS}]+\)\s*")),
    (3.0, re.compile(rf"^\d{{1,2}}(?:\s*[{_SEPARATORS}](?!\d)|\s)\s*")),
    (4.0, re.compile(r"^\(\d{1,2}\)\s*")),
)
_NOT_NUMERAL = re.compile(f"[^{_NUMERALS}{_WORDS['hundred']}]")
_HEADING_END = re.compile(r"[。:;!?]")
_SPACES = re.compile(r"\s+")
_MD_HEADING = re.compile(r"^\s*(#{1,6})\s+(\S.*)$")


def clean_line(text: str) -> str:
    """A title-like line without markdown marks or spaces between Chinese characters."""
    return _CJK_GAP.sub("", _MARKUP.sub("", text.strip())).strip()


def heading_of(line: str) -> tuple[float, str, int] | None:
    """(level, heading text, number) when the line opens a section: "（一）基本支出情况。", "## 部门概况"."""
    if md := _MD_HEADING.match(line):
        inner = heading_of(md.group(2))
        text = inner[1] if inner else _SPACES.sub("", clean_line(md.group(2)).replace("*", ""))
        return min(len(md.group(1)) - 1, 4) * 1.0, text, inner[2] if inner else 0
    text = clean_line(line).replace("*", "")
    for level, marker in HEADINGS:
        m = marker.match(text)
        if not m:
            continue
        rest = text[m.end() :]
        end = _HEADING_END.search(rest)
        number = _number(text[: m.end()])
        if end is None and 0 < len(rest) <= 30:
            return level, _SPACES.sub("", rest), number
        if end is not None and 0 < end.start() <= 25:
            # A whole line that is one listed sentence ("（5）检查指导各区、县…工作。") is not a heading.
            if end.end() >= len(rest.rstrip()) and level >= 3.0 and re.search(r"[、,]", rest[: end.start()]):
                return None
            return level, _SPACES.sub("", rest[: end.start()]), number
        return None
    return None


def _number(marker: str) -> int:
    """The number of a heading marker: "（十二）" → 12, "3." → 3."""
    digits = re.sub(r"\D", "", marker)
    if digits:
        return int(digits)
    numeral = _NOT_NUMERAL.sub("", marker)
    try:
        return int(cn2an.cn2an(numeral, "normal")) if numeral else 0
    except ValueError:  # "十十": a marker no numbering continues
        return 0
