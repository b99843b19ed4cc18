"""A spreadsheet cell as the sheet shows it: its value rendered through its number format.

Excel stores 0.9912 and shows 99.12% (format `0.00%`), stores 1288.75 and shows 1,288.75 (`#,##0.00`);
the stored text must say what an official reads on the sheet, so figures match the report's own words.
The format language handled here is the part that budget sheets use: up to four sections (positive;
negative; zero; text), digit placeholders `0 # ?`, thousands separators and scaling commas, `%`, quoted
and escaped literals, `_x` padding, `*x` fills, `[Red]`-style colours and `[$¥-804]` currency tags, and
date/time codes. Anything else (fractions, scientific notation) falls back to Excel's General display.
Rounding is Excel's: half away from zero, on the decimal value the cell shows.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

_SECTION_SPLIT = re.compile(r'((?:"[^"]*"|\\.|\[[^\]]*\]|[^;])*)(?:;|$)')
_BRACKET = re.compile(r"\[([^\]]*)\]")
_DATE_CODE = re.compile(r"(?i)(yyyy|yy|mmmm|mmm|mm|m|dddd|ddd|dd|d|hh|h|ss|s|am/pm|a/p)")
_NUMERIC_PART = re.compile(r"[0#?][0#?,]*(?:\.[0#?]*)?|\.[0#?]+")


def display(value: object, fmt: str | None) -> str:
    """The text a cell shows for `value` under number format `fmt` ("" for an empty cell)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, str):
        return value
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return _date(value, fmt or "")
    if isinstance(value, int | float):
        return _number(float(value), fmt or "General")
    return str(value)


def general(value: float) -> str:
    """Excel's General display: an integer as such, else up to 11 significant digits."""
    if value != value or value in (float("inf"), float("-inf")):
        return str(value)
    if value == int(value) and abs(value) < 1e15:
        return str(int(value))
    text = f"{value:.11g}"
    if "e" in text:  # 1E-07, as Excel writes it
        mantissa, exponent = text.split("e")
        return f"{mantissa}E{exponent[0]}{int(exponent[1:]):02d}"
    return text.rstrip("0").rstrip(".") if "." in text else text


@functools.lru_cache(maxsize=256)
def _sections(fmt: str) -> tuple[str, ...]:
    parts = [m.group(1) for m in _SECTION_SPLIT.finditer(fmt)]
    while len(parts) > 1 and parts[-1] == "":
        parts.pop()
    return tuple(parts[:4]) or ("",)


@functools.lru_cache(maxsize=256)
def _literal_pieces(section: str) -> tuple[tuple[str, str], ...]:
    """The section as ("code", text) and ("lit", text) pieces: literals unquoted, padding and fills dropped."""
    pieces: list[tuple[str, str]] = []
    i = 0
    while i < len(section):
        ch = section[i]
        if ch == '"':
            end = section.find('"', i + 1)
            end = len(section) if end < 0 else end
            pieces.append(("lit", section[i + 1 : end]))
            i = end + 1
        elif ch == "\\" and i + 1 < len(section):
            pieces.append(("lit", section[i + 1]))
            i += 2
        elif ch == "_" and i + 1 < len(section):
            pieces.append(("lit", " "))  # padding the width of the next character: a space in text
            i += 2
        elif ch == "*" and i + 1 < len(section):
            i += 2  # a fill to the column's width: nothing in text
        elif ch == "[":
            end = section.find("]", i)
            end = len(section) if end < 0 else end
            tag = section[i + 1 : end]
            if tag.startswith("$"):  # a currency or locale tag: [$¥-804] shows ¥, [$-804] nothing
                pieces.append(("lit", tag[1:].split("-", 1)[0]))
            i = end + 1  # colours ([Red]) and conditions ([>=100]) show nothing
        else:
            pieces.append(("code", ch))
            i += 1
    return tuple(pieces)


def _number(value: float, fmt: str) -> str:
    sections = _sections(fmt)
    section, signed = sections[0], True
    if value < 0 and len(sections) >= 2:
        section, signed = sections[1], False  # the negative section writes its own sign or brackets
    elif value == 0 and len(sections) >= 3:
        section = sections[2]
    if section.strip().lower() in ("general", "") or section.strip() == "@":
        return general(value if signed else abs(value))
    pieces, code, match = _compiled(section)
    if code is None:
        return general(value)
    if not match:  # only literals ("-" in an accounting format's zero section)
        return _join(pieces, None, "").strip()
    percent = code.count("%")
    magnitude = abs(value) * 100**percent
    shown = _digits(magnitude, match.group())
    sign = "-" if signed and value < 0 and shown.strip("0.,") else ""
    return (sign + _join(pieces, match, shown)).strip()


@functools.lru_cache(maxsize=256)
def _compiled(section: str) -> tuple[tuple[tuple[str, str], ...], str | None, re.Match[str] | None]:
    """A section's pieces, its code characters (a literal as NUL) and its numeric part; code None for a
    format shown as General here (scientific, fractions, a date code on a number)."""
    pieces = _literal_pieces(section)
    code = "".join(text if kind == "code" else "\x00" for kind, text in pieces)
    if re.search(r"[eE][+-]|/", code) or _DATE_CODE.fullmatch(code.strip("\x00 ")):
        return pieces, None, None
    return pieces, code, _NUMERIC_PART.search(code)


def _digits(magnitude: float, part: str) -> str:
    """`magnitude` through one numeric part of a format such as `#,##0.00` (no sign, no literals)."""
    integer, _, decimals = part.partition(".")
    scale = len(integer) - len(integer.rstrip(","))  # each trailing comma divides by 1,000
    integer = integer.rstrip(",")
    places = sum(decimals.count(c) for c in "0#?")
    min_places = len(decimals.rstrip("#?"))
    try:
        exact = Decimal(repr(magnitude)) / (Decimal(1000) ** scale)
        rounded = exact.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
    except InvalidOperation:
        return general(magnitude)
    whole, _, frac = f"{rounded:f}".partition(".")
    frac = frac.ljust(places, "0")[:places]
    while len(frac) > min_places and frac.endswith("0"):
        frac = frac[:-1]
    whole = whole.lstrip("0").rjust(integer.count("0"), "0")
    if "," in integer and whole:
        whole = f"{int(whole):,}"
    return whole + ("." + frac if frac else "")


def _join(pieces: tuple[tuple[str, str], ...], match: re.Match[str] | None, shown: str) -> str:
    """The section's literals with the number in the place of its numeric part (`match`, by piece index).

    Code characters outside that part that Excel shows as they are (`%`, `-`, `(`, `¥`, a space) are kept;
    other digit placeholders and the text placeholder `@` show nothing.
    """
    out: list[str] = []
    for i, (kind, text) in enumerate(pieces):
        if kind == "lit":
            out.append(text)
        elif match is not None and match.start() <= i < match.end():
            if i == match.start():
                out.append(shown)
        elif text not in "0#?@,.":
            out.append(text)
    return "".join(out)


_DATE_PARTS = {
    "yyyy": "{0.year:04d}",
    "yy": "{yy:02d}",
    "mm": "{0.month:02d}",
    "m": "{0.month}",
    "dd": "{0.day:02d}",
    "d": "{0.day}",
    "hh": "{0.hour:02d}",
    "h": "{0.hour}",
    "ss": "{0.second:02d}",
    "s": "{0.second}",
}


def _date(value: dt.datetime | dt.date | dt.time, fmt: str) -> str:
    """A date or time through its format's y/m/d/h/s codes (m after h or before s is minutes); ISO otherwise."""
    pieces = _literal_pieces(_sections(fmt)[0])
    tokens: list[tuple[str, str]] = []
    for kind, text in pieces:
        if kind == "lit":
            tokens.append(("lit", text))
            continue
        if tokens and tokens[-1][0] == "code" and tokens[-1][1][-1:].lower() == text.lower():
            tokens[-1] = ("code", tokens[-1][1] + text)
        else:
            tokens.append(("code", text))
    codes = [t.lower() for kind, t in tokens if kind == "code" and t.strip()]
    if not any(c in _DATE_PARTS for c in codes):
        return value.isoformat(sep=" ") if isinstance(value, dt.datetime) else value.isoformat()
    out: list[str] = []
    for n, (kind, text) in enumerate(tokens):
        low = text.lower()
        if kind == "lit" or low not in _DATE_PARTS:
            out.append(text)
            continue
        if low in ("m", "mm"):
            before = [t.lower() for k, t in tokens[:n] if k == "code" and t.lower() in _DATE_PARTS]
            after = [t.lower() for k, t in tokens[n + 1 :] if k == "code" and t.lower() in _DATE_PARTS]
            if (before and before[-1] in ("h", "hh")) or (after and after[0] in ("s", "ss")):
                out.append(f"{getattr(value, 'minute', 0):02d}" if low == "mm" else str(getattr(value, "minute", 0)))
                continue
        try:
            out.append(_DATE_PARTS[low].format(value, yy=getattr(value, "year", 0) % 100))
        except AttributeError:
            out.append(text)
    return "".join(out)
