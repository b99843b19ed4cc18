"""Organisations and years set by hand, kept beside the corpus in 报告信息.toml, over what the reader found.

A report whose title and text name no organisation (单位不详) or no year is corrected once, in the app or in
the file, and every build reads it: the reading pipeline puts the corrected organisation, its region and year
on the file's reports before chunks and figures are made, so sections (their index_text), figures, the
catalog's aliases, the 单位 / 年度 filters and retrieval all use it. The build records each file's
corrections in the manifest, so a change makes exactly that file stale (qa_app.build).

The file, keyed by a corpus file's name (every report of it), or by "name#n" for its report n (from 0):

    ["2024年度部门整体支出绩效自评报告.txt"]
    org = "湘潭县信访局"
    year = 2024
"""

from __future__ import annotations

import json
import os
import tomllib
from dataclasses import dataclass, replace
from pathlib import Path

from filelock import FileLock

from qa_app.structure.reports import Report
from qa_app.text.names import parse_org

FILE_NAME = "报告信息.toml"  # in the corpus folder; the build never reads it as a report
# Fiscal years a report can evaluate: a typo (202, 20244) is refused rather than indexed.
FIRST_YEAR, LAST_YEAR = 1990, 2100
MAX_ORG_CHARS = 60  # the longest organisation name a title holds is about 30 characters
_HEADER = (
    "# 报告信息：读取时没有找到单位或年度的报告，在此写明（应用的“报告”页保存到这里，qa-app build 读取）。\n"
    '# 每节一个文件：["语料目录中的文件名"]，或 ["文件名#序号"] 只改其中一份报告（序号从 0 起）；\n'
    "# org = 单位名称，year = 年度。改动后重新建立索引，只重新读取改动涉及的文件。\n"
)


class CorrectionError(ValueError):
    """An organisation or year that cannot be a report's; the message says why, in Chinese."""


@dataclass(frozen=True)
class Correction:
    """What a person set for a report: "" or None keeps what the reader found."""

    org: str = ""
    year: int | None = None

    def record(self) -> dict[str, str | int]:
        """As stored in the file and the manifest (what a rebuild compares)."""
        return {k: v for k, v in (("org", self.org), ("year", self.year)) if v not in ("", None)}


def corrections_path(corpus_dir: Path) -> Path:
    return corpus_dir / FILE_NAME


def checked(org: str, year: str | int | None) -> Correction:
    """A correction from what a person typed: the organisation trimmed and non-empty, a year 1990–2100."""
    org = " ".join(str(org or "").split())
    if not org:
        raise CorrectionError("请填写单位名称")
    if len(org) > MAX_ORG_CHARS:
        raise CorrectionError(f"单位名称过长（不超过 {MAX_ORG_CHARS} 个字）")
    text = str(year if year is not None else "").strip().removesuffix("年度").removesuffix("年")
    if not text:
        raise CorrectionError("请填写年度，例如 2024")
    if not text.isascii() or not text.isdigit():
        raise CorrectionError(f"年度应为四位数字，例如 2024（填写的是“{text}”）")
    if not FIRST_YEAR <= int(text) <= LAST_YEAR:
        raise CorrectionError(f"年度应在 {FIRST_YEAR} 到 {LAST_YEAR} 之间（填写的是 {text}）")
    return Correction(org, int(text))


def read_corrections(corpus_dir: Path) -> dict[str, Correction]:
    """The corrections of the corpus, by key ("name" or "name#n"); none when there is no file.

    A file edited by hand into something else is an error (ValueError) rather than ignored: a build that
    silently dropped a correction would put the report back under 单位不详.
    """
    path = corrections_path(corpus_dir)
    try:
        data = tomllib.loads(path.read_text("utf-8"))
    except FileNotFoundError:
        return {}
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ValueError(f"{FILE_NAME} in {corpus_dir} cannot be read ({exc})") from exc
    out: dict[str, Correction] = {}
    for key, entry in data.items():
        if not isinstance(entry, dict) or set(entry) - {"org", "year"}:
            raise ValueError(f"{FILE_NAME}: [{key}] may hold only org and year")
        org, year = entry.get("org", ""), entry.get("year")
        if not isinstance(org, str) or not (year is None or (isinstance(year, int) and not isinstance(year, bool))):
            raise ValueError(f"{FILE_NAME}: [{key}] org must be text and year a number")
        if year is not None and not FIRST_YEAR <= year <= LAST_YEAR:
            raise ValueError(f"{FILE_NAME}: [{key}] year {year} is not between {FIRST_YEAR} and {LAST_YEAR}")
        out[key] = Correction(" ".join(org.split()), year)
    return out


def save_correction(corpus_dir: Path, key: str, correction: Correction) -> Path:
    """Set the correction of `key` (a file name, or a report id "name#n") in the corpus's file, atomically.

    Under a lock, so two sessions saving at once both land; written beside and renamed over, so a build
    never reads half a file. Other entries (and keys of files no longer present) are kept as they were.
    """
    path = corrections_path(corpus_dir)
    corpus_dir.mkdir(parents=True, exist_ok=True)
    with FileLock(corpus_dir / f".{FILE_NAME}.lock"):
        entries = read_corrections(corpus_dir)
        entries[key] = correction
        text = _HEADER + "".join(_section(k, c) for k, c in sorted(entries.items()))
        partial = corpus_dir / f".{FILE_NAME}.partial"
        partial.write_text(text, "utf-8")
        os.replace(partial, path)
    return path


def _section(key: str, correction: Correction) -> str:
    """One TOML table; a JSON string with its escapes is a TOML basic string, so any name round-trips."""
    lines = [f"\n[{json.dumps(key, ensure_ascii=False)}]"]
    lines += [f"{k} = {json.dumps(v, ensure_ascii=False)}" for k, v in correction.record().items()]
    return "\n".join(lines) + "\n"


def of_file(corrections: dict[str, Correction], name: str) -> dict[str, Correction]:
    """The entries that concern corpus file `name`: its own and its reports' ("name#n")."""
    return {k: c for k, c in corrections.items() if k == name or k.rpartition("#")[0] == name}


def records(corrections: dict[str, Correction]) -> dict[str, dict[str, str | int]]:
    """As the manifest keeps them per file, sorted: equal exactly when the same corrections apply."""
    return {k: corrections[k].record() for k in sorted(corrections)}


def correct(reports: list[Report], corrections: dict[str, Correction]) -> list[Report]:
    """The reports with their corrections: a report's own entry first, then its file's, then what was read.

    A corrected organisation brings its region path (株洲市渌口区信访局 → 株洲市 › 渌口区), as one read from
    a title would, so the catalog's aliases (渌口区, 渌口) reach it.
    """
    out = []
    for report in reports:
        own, whole = corrections.get(report.report_id, Correction()), corrections.get(report.doc, Correction())
        org = own.org or whole.org
        year = own.year if own.year is not None else whole.year
        if org and org != report.org:
            report = replace(report, org=org, region=region_of(org))
        if year is not None:
            report = replace(report, year=year)
        out.append(report)
    return out


def region_of(org: str) -> str:
    """The region path an organisation's name begins with ("" when it names none: "某某研发有限公司")."""
    found = parse_org(org)
    if not found or not org.startswith(found[0]):
        return ""
    return " › ".join(found[1])
