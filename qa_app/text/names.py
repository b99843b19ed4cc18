"""The grammar of organisation and region names: "株洲市渌口区信访局" → regions (株洲市, 渌口区) + 信访局.

Administrative regions come outermost first, then the body's own name ending in an organ suffix; the
words are data (qa_app/lexicon/organisations.toml). Reports read their organisation with it, questions
find the names they hold with it, and the index derives the aliases people use ("岳阳" for 岳阳市).
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from qa_app.lexicon import load, ordered
from qa_app.text.regions import is_division

_WORDS = load("organisations")
_CJK = r"\u4e00-\u9fff"
# Names hold no function words: "位于北京市的公司" is a phrase, not an organisation.
NAME_CHAR = rf"(?:(?![{_WORDS['function_characters']}])[{_CJK}])"
REGION_SUFFIX = f"(?:{ordered(_WORDS['region_suffixes'])})"
# A one-character name stands before 县 only ("沛县"), and never a pronoun ("本县", "各县").
_REGION = (
    rf"(?:{NAME_CHAR}{{2,7}}?{REGION_SUFFIX}"
    rf"|(?![{_WORDS['not_a_place_name']}])[{_CJK}]{_WORDS['single_character_region']})"
)
ORGAN = f"(?:{ordered(_WORDS['organ_suffixes'])})"
_PARTY = f"(?:{ordered(_WORDS['party_prefixes'])})?"
# Regions (group 1) and the body's name (group 2), for finding names in reports and questions.
ORG_NAME = re.compile(rf"{_PARTY}((?:{_REGION})+)({NAME_CHAR}{{1,12}}?{ORGAN})")
# The suffixes that close a name: one found ending in another runs on to a closing suffix that follows.
_CLOSING = f"(?:{ordered(_WORDS['closing_suffixes'])})"
_CLOSED_BODY = re.compile(rf"{NAME_CHAR}{{1,12}}?{_CLOSING}")
# In a title the name runs to the last organ suffix before what is evaluated: "长沙市人民政府办公厅".
TITLE_ORG = re.compile(rf"^{_PARTY}((?:{_REGION})+)({NAME_CHAR}{{0,20}}{ORGAN})")
NAMED_BODY = re.compile(rf"^(?:[A-Za-z0-9]|{NAME_CHAR}){{2,20}}?{ORGAN}$")  # a file name part: "ACME研发有限公司"
REGION_PART = re.compile(_REGION)
_REGION_STEM = re.compile(rf"^(.{{2,}}?){REGION_SUFFIX}$")


def region_stem(region: str) -> str:
    """The name without its level, as people say it: "岳阳市" → "岳阳"; "" when too short ("沛县")."""
    m = _REGION_STEM.match(region)
    return m.group(1) if m else ""


def _org_end(text: str, m: re.Match[str]) -> int:
    """Where the name `m` found ends: its own end, or the first closing suffix the name runs on to.

    The run goes on over name characters only, at most as far as a name may run, and never over
    another place: "某县文化馆工作人员赴某县教育局" names two bodies.
    """
    if re.search(rf"{_CLOSING}$", m.group(2)):
        return m.end()
    longer = _CLOSED_BODY.match(text, m.start(2))
    if not longer or longer.end() <= m.end() or REGION_PART.search(text, m.end(), longer.end()):
        return m.end()
    return longer.end()


def division_start(regions: str) -> int:
    """Where the regions the grammar read begin as a real division: the grammar takes what stands before a
    name for part of it ("数绩效指标稷山县" of a table cell run into the name), the gazetteer
    (qa_app.text.regions) knows the division is 稷山县. 0 when the first region is a division, or ends in none."""
    first = REGION_PART.match(regions)
    if not first or is_division(first.group()):
        return 0
    part = first.group()
    return next((k for k in range(1, len(part) - 1) if REGION_PART.fullmatch(part[k:]) and is_division(part[k:])), 0)


def orgs(text: str) -> Iterator[tuple[str, tuple[str, ...]]]:
    """Every organisation name in `text`, each with its region path, the longest sensible name at each place."""
    pos = 0
    while m := ORG_NAME.search(text, pos):
        end = _org_end(text, m)
        skip = division_start(m.group(1))
        start = m.start(1) + skip if skip else m.start()
        yield text[start:end], tuple(REGION_PART.findall(m.group(1)[skip:]))
        pos = end


def parse_org(text: str) -> tuple[str, tuple[str, ...]] | None:
    """The first organisation name in `text` and its region path: 株洲市渌口区信访局 → (株洲市, 渌口区)."""
    return next(orgs(text), None)
