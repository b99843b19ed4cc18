"""The normalised view of a stored text, with a map back to stored offsets.

Citations must quote the stored text verbatim, while matching needs a cleaner view: full-width digits
and punctuation folded (NFKC), pinyin inserted after characters dropped ("财(cái)政" → "财政"), spaces
between a number and its unit removed ("1805.99 万元" → "1805.99万元"), Chinese year digits read
("二〇二四年", "二○二四年" → "2024年"), circled list numbers read as list markers ("①" → "(1)"),
traditional characters simplified, converter artefacts such as "[bookmark: _GoBack]" dropped, and every
line end made "\n". Every character of the view remembers the stored offset it came from, so any span
found in the view maps back to an exact stored span.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import opencc

# Converter artefacts: Word bookmarks and comment anchors exported as text, zero-width characters.
_ARTEFACT = re.compile(r"\[bookmark: [^\]\n]{0,80}\]|[\u200b-\u200f\u2060\ufeff\u00ad]|\r(?=\n)")
# Spaces between a number and its unit or the next word: "1805.99 万元", "3.2 %", "2021 年".
_NUMBER_GAP = re.compile(r"(?<=[0-9.%])[ \u00a0\u3000]+(?=[%\u4e00-\u9fff])")
_CN_DIGITS = str.maketrans("〇○OＯ零一二三四五六七八九", "00000123456789")
_CN_YEAR = re.compile(r"[〇○OＯ零一二三四五六七八九]{4}(?=年)")
# Pinyin a web page inserts after a character ("财(cái)政", "陽(yáng)新縣"): a tone mark tells it from "(a)".
_TONED = "āáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜ"
_PINYIN = re.compile(rf"(?<=[\u4e00-\u9fff])\((?=[a-zü{_TONED}]*[{_TONED}])[a-zü{_TONED}]{{1,6}}\)")
# Circled numbers mark list items: "①工资福利支出" reads as "(1)工资福利支出", not "1工资福利支出".
_CIRCLED = re.compile(r"[\u2460-\u2473]")


@dataclass(frozen=True)
class Normalized:
    """`text` is the view; `src[i]` is the stored offset of view char i (`src[-1]` = stored length)."""

    text: str
    src: np.ndarray

    def stored_span(self, start: int, end: int) -> tuple[int, int]:
        """Stored [start, end) covering view [start, end); an empty view span maps to an empty one."""
        if end <= start:
            pos = int(self.src[start])
            return pos, pos
        return int(self.src[start]), int(self.src[end - 1]) + 1


@lru_cache(maxsize=65536)
def _fold(ch: str) -> str:
    return unicodedata.normalize("NFKC", ch)


@lru_cache(maxsize=1)
def _t2s() -> opencc.OpenCC:
    return opencc.OpenCC("t2s")


def _apply(
    text: str, src: np.ndarray, pattern: re.Pattern[str], repl: Callable[[re.Match[str]], str]
) -> tuple[str, np.ndarray]:
    """Replace pattern matches; a replacement of equal length keeps per-char offsets, others collapse."""
    pieces: list[str] = []
    maps: list[np.ndarray] = []
    last = 0
    for m in pattern.finditer(text):
        new = repl(m)
        pieces.append(text[last : m.start()])
        maps.append(src[last : m.start()])
        pieces.append(new)
        if len(new) == m.end() - m.start():
            maps.append(src[m.start() : m.end()])
        else:
            maps.append(np.full(len(new), src[m.start()]))
        last = m.end()
    if not pieces:
        return text, src
    pieces.append(text[last:])
    maps.append(src[last:])
    return "".join(pieces), np.concatenate(maps)


def normalize(stored: str) -> Normalized:
    """Build the matching view of `stored` with its offset map."""
    n = len(stored)
    src = np.arange(n + 1, dtype=np.int64)
    text, body = _apply(stored, src[:-1], _ARTEFACT, lambda m: "")
    text, body = _apply(text, body, _CIRCLED, lambda m: f"({ord(m.group()) - 0x245F})")
    # NFKC char by char, so each output char still knows its source char.
    folded = [_fold(c) if ord(c) > 127 else c for c in text]
    lengths = np.fromiter((len(f) for f in folded), dtype=np.int64, count=len(folded))
    if (lengths != 1).any():
        body = np.repeat(body, lengths)
    text = "".join(folded)
    text, body = _apply(text, body, _PINYIN, lambda m: "")
    text, body = _apply(text, body, _NUMBER_GAP, lambda m: "")
    text, body = _apply(text, body, _CN_YEAR, lambda m: m.group().upper().translate(_CN_DIGITS))
    text = text.replace("〇", "零").replace("\r", "\n")  # old Mac line ends: a lone CR ends a line too
    simplified = _t2s().convert(text)
    if len(simplified) == len(text):
        text = simplified
    return Normalized(text, np.append(body, n))


def valid_utf8(text: str) -> str:
    """Text that can be written as UTF-8: undecodable bytes (surrogate escapes from argv or a file name) and
    lone surrogates become U+FFFD, so printing or JSON-encoding it never raises."""
    try:
        raw = text.encode("utf-8", "surrogateescape")
    except UnicodeEncodeError:
        raw = text.encode("utf-8", "surrogatepass")
    return raw.decode("utf-8", "replace")
