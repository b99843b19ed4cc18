"""The organisations of an index and every alias that names them.

Organisations are recognised through aliases the corpus itself implies: the full name, the name without its
outer regions ("渌口区信访局") or with a stem ("岳阳信访局"), and the innermost region ("渌口区") and its
stem ("岳阳", "渌口"), each also with its department's short name ("宜黄县人社局", "安仁卫健委"; the short
names are data, lexicon/departments.toml). One body titled in some reports with its city in front and in
others without (十堰市张湾区财政局, 张湾区财政局) is reached by either name. Built once per index;
qa_app.search.query reads a question against it.

A stem is an alias only when the gazetteer (qa_app.text.regions) says it names that region alone: 湘潭 is
湘潭市, so it never names 湘潭县's bureau; 和平 and 城关 name several districts. On its own it must also be
no everyday word (新建) and name a division (高新 of 高新区 is none); in front of the body's name a region
the gazetteer lacks keeps the grammar's stem. The
provinces and cities that hold an organisation's region (湖南省 of 岳阳市) are its `parents`: named in a
question beside it, they agree with it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

import pandas as pd

from qa_app import lexicon
from qa_app.text import regions as gazetteer
from qa_app.text.names import region_stem

# The short forms people use for the official names of government departments (lexicon/departments.toml).
DEPARTMENT_SHORT_NAMES = {name: tuple(shorts) for name, shorts in lexicon.load("departments")["short_names"].items()}
_DEPARTMENT = re.compile(f"(?:{'|'.join(sorted(DEPARTMENT_SHORT_NAMES, key=len, reverse=True))})$")


def short_names(name: str) -> set[str]:
    """`name` with its department said the short way: "宜黄县人力资源和社会保障局" → "宜黄县人社局" …"""
    m = _DEPARTMENT.search(name)
    if not m or m.start() == 0:  # never a bare "人社局": like "信访局", it names no one organisation
        return set()
    return {name[: m.start()] + short for short in DEPARTMENT_SHORT_NAMES[m.group()]}


@dataclass(frozen=True)
class Catalog:
    """The organisations of an index and every alias that names them."""

    aliases: dict[str, frozenset[str]]  # alias → organisations
    regions: frozenset[str]  # every region name and stem the corpus holds
    outer: frozenset[str]  # regions that hold an organisation only through an inner region (株洲市 › 渌口区)
    newest_year: int | None
    bodies: dict[str, frozenset[str]] = field(default_factory=dict)  # organisation → all its names, if several
    parents: dict[str, frozenset[str]] = field(default_factory=dict)  # organisation → the regions that hold it
    newest_of: dict[str, int] = field(default_factory=dict)  # organisation → its newest report year
    alias_pattern: re.Pattern[str] = field(init=False, repr=False, compare=False)
    outer_pattern: re.Pattern[str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "alias_pattern", names_pattern(self.aliases))
        object.__setattr__(self, "outer_pattern", names_pattern(self.outer))

    @classmethod
    def from_reports(cls, reports: pd.DataFrame) -> Catalog:
        """Aliases of each organisation: its name without outer regions, with region stems, with the short
        name of its department, and its innermost region. One body titled in some reports with its city in
        front (十堰市张湾区财政局) and in others without (张湾区财政局) is one organisation: either name
        reaches the reports of both."""
        aliases: dict[str, set[str]] = {}
        regions: set[str] = set()
        outer: set[str] = set()
        shorter: dict[str, set[str]] = {}  # organisation → its name without outer regions
        parents: dict[str, set[str]] = {}  # organisation → the provinces and cities that hold its region
        for org, region in reports[["org", "region"]].drop_duplicates().itertuples(index=False):
            if not isinstance(org, str) or not org:
                continue
            parts = [p for p in str(region or "").split(" › ") if p]
            names = {org}
            rest = org
            for part in parts[:-1]:  # "株洲市渌口区信访局" → "渌口区信访局", never the bare "信访局"
                if not rest.startswith(part):
                    break
                rest = rest[len(part) :]
                names.add(rest)
            shorter[org] = names - {org}
            for name in list(names):  # "岳阳市信访局" → "岳阳信访局"
                for part in parts:
                    if name.startswith(part) and (stem := _front_stem(part)):
                        names.add(stem + name[len(part) :])
            for name in list(names):  # "宜黄县人力资源和社会保障局" → "宜黄县人社局"
                names |= short_names(name)
            if parts:
                parents.setdefault(org, set()).update(gazetteer.parents(tuple(parts)))
            for i, part in enumerate(parts):
                stem = gazetteer.stem(part)
                # the grammar's stem is a word of the corpus (never an unknown place) unless it says another
                # place: 湘潭 beside 湘潭县 is 湘潭市, which the corpus lacks
                said = region_stem(part)
                regions.update(p for p in (part, stem, said) if p and not gazetteer.says_other(p, part))
                bare = {part} | ({stem} if stem and not gazetteer.word_like(stem) else set())
                if i == len(parts) - 1:  # only the innermost region names the organisation
                    names.update(bare)
                else:
                    outer.update(bare)
            for name in names:
                aliases.setdefault(name, set()).add(org)
        same = _same_bodies(shorter)
        aliases = {name: {s for o in orgs for s in same.get(o, {o})} for name, orgs in aliases.items()}
        years = pd.to_numeric(reports["year"], errors="coerce").dropna()
        dated = reports.loc[years.index].assign(_year=years.astype(int))
        newest_of = {org: int(y) for org, y in dated.groupby("org")["_year"].max().items() if org}
        return cls(
            aliases={k: frozenset(v) for k, v in aliases.items()},
            regions=frozenset(regions),
            outer=frozenset(outer - set(aliases)),
            newest_year=int(years.max()) if len(years) else None,
            bodies={o: frozenset(b) for o, b in same.items()},
            parents={o: frozenset(p) for o, p in parents.items()},
            newest_of=newest_of,
        )

    @property
    def orgs(self) -> frozenset[str]:
        return frozenset(o for v in self.aliases.values() for o in v)

    def holding(self, orgs: Iterable[str]) -> frozenset[str]:
        """The regions that hold all of `orgs` (湖南省, 湖南 for 岳阳市信访局): named beside them, they agree."""
        held = [self.parents.get(o, frozenset()) for o in orgs]
        return frozenset.intersection(*held) if held else frozenset()

    def body(self, org: str) -> frozenset[str]:
        """Every name the organisation `org` has in the corpus (十堰市张湾区财政局 and 张湾区财政局)."""
        return self.bodies.get(org, frozenset({org}))


def _front_stem(region: str) -> str:
    """The stem that stands for `region` in front of a body's name ("岳阳信访局"): the gazetteer's when it knows
    the region (none for 湘潭县: 湘潭 is 湘潭市), else the grammar's (a region it lacks: 青禾县 → 青禾一中)."""
    return gazetteer.stem(region) if gazetteer.is_division(region) else region_stem(region)


def _same_bodies(shorter: dict[str, set[str]]) -> dict[str, set[str]]:
    """Organisations that are one body: one's name is another's without its outer regions. Each maps to
    all names of its body (only those with another name are listed)."""
    body = {org: {org} for org in shorter}
    for org, names in shorter.items():
        for other in names & body.keys():
            merged = body[org] | body[other]
            for o in merged:
                body[o] = merged
    return {o: b for o, b in body.items() if len(b) > 1}


def names_pattern(names: Iterable[str]) -> re.Pattern[str]:
    """One alternation, longest names first, so a scan finds the longest name at each place; built once
    per index, so a question costs one regex pass however many organisations the corpus holds."""
    ordered = sorted(set(names), key=lambda n: (-len(n), n))
    return re.compile("|".join(map(re.escape, ordered)) if ordered else r"(?!)")
