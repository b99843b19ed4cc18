"""Score answers against a question file in the schema of shared/eval/dev_questions.jsonl.

Kinds and what counts as right:
    figure    found; the first figure has the gold value and unit; its citation is in the gold file, the
              stored text at the citation's offsets equals its quote, and the quote holds the gold value
    passage   the gold text stands in one of the first three passages, from the gold file
    negative  found is false
    comparison  found; every value of `values` is among the figures (with the unit), each cited as above

An item with a `history` (earlier questions, oldest first) is asked inside that conversation; one with
`"direction": "down"` also needs the decrease said: a negative figure, or 减少/下降 in the answer.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from qa_app.answer.contract import Answer, FigureOut


@dataclass(frozen=True)
class Outcome:
    id: str
    kind: str
    question: str
    ok: bool
    reason: str  # why it failed; "" when it passed


def read_questions(path: Path) -> list[dict]:
    items = []
    for n, line in enumerate(path.read_text("utf-8").splitlines(), 1):
        if line.strip():
            try:
                items.append(json.loads(line))
            except ValueError as exc:
                raise ValueError(f"{path}:{n}: not a JSON line ({exc})") from exc
    return items


def _same_number(a: float, b: str) -> bool:
    try:
        return abs(a - float(b)) < 1e-6
    except ValueError:
        return False


def judge(item: dict, answer: Answer, texts: dict[str, str]) -> str:
    """The reason `answer` fails `item`, or "" when it is right."""
    kind = item.get("kind")
    if kind == "negative":
        return "" if not answer.found else f"answered {answer.answer!r} where the reports hold no answer"
    if kind == "passage":
        for p in answer.passages[:3]:
            if p.doc == item["doc"] and item["text"] in p.text:
                return ""
        return f"{item['text']!r} from {item['doc']} is not in the first three passages"
    if kind not in ("figure", "comparison"):
        return f"unknown kind {kind!r}"
    if not answer.found or not answer.figures:
        return f"not found: {answer.answer}"
    if kind == "comparison":
        for value in item["values"]:
            shown = [f for f in answer.figures if _same_number(f.value, str(value)) and f.unit == item["unit"]]
            if not shown:
                return f"{value} {item['unit']} is not among the figures ({answer.answer})"
            if why := _citation_fails(answer, shown[0], None, str(value), texts):
                return why
        return ""
    f = answer.figures[0]
    if not _same_number(f.value, str(item["value"])) or f.unit != item["unit"]:
        return f"first figure is {f.value:g} {f.unit} ({f.metric}), expected {item['value']} {item['unit']}"
    written = str(item.get("raw") or item["value"])  # the number as the report writes it ("8,552")
    if why := _citation_fails(answer, f, item["doc"], written, texts):
        return why
    if item.get("direction") == "down" and not (f.value < 0 or re.search("减少|下降", answer.answer)):
        return f"the decrease is not said: {answer.answer!r}"
    return ""


def _citation_fails(answer: Answer, f: FigureOut, doc: str | None, written: str, texts: dict[str, str]) -> str:
    """Why the citation of figure `f` fails: another file than `doc`, a quote that is not the stored text at
    its offsets, or one that does not hold the number as written; "" when it holds."""
    cite = answer.citations[f.citation]
    if doc is not None and cite.doc != doc:
        return f"cites {cite.doc}, expected {doc}"
    if texts.get(cite.doc, "")[cite.start : cite.end] != cite.quote:
        return f"quote is not the stored text at {cite.doc}[{cite.start}:{cite.end}]"
    if written not in cite.quote:
        return f"quote {cite.quote!r} does not hold {written}"
    return ""


def evaluate(items: Iterable[dict], ask: Callable[[str, list[str]], Answer], texts: dict[str, str]) -> list[Outcome]:
    outcomes = []
    for item in items:
        reason = judge(item, ask(item["q"], list(item.get("history") or [])), texts)
        outcomes.append(Outcome(item.get("id", ""), item.get("kind", ""), item["q"], not reason, reason))
    return outcomes


def report(outcomes: list[Outcome]) -> tuple[str, float]:
    """A printable summary (accuracy per kind, then every failure) and the overall accuracy."""
    lines = []
    for kind in sorted({o.kind for o in outcomes}):
        mine = [o for o in outcomes if o.kind == kind]
        lines.append(
            f"{kind:9s} {sum(o.ok for o in mine):3d}/{len(mine):<3d} {sum(o.ok for o in mine) / len(mine):.1%}"
        )
    right = sum(o.ok for o in outcomes)
    accuracy = right / len(outcomes) if outcomes else 0.0
    lines.append(f"{'all':9s} {right:3d}/{len(outcomes):<3d} {accuracy:.1%}")
    lines += [f"FAIL {o.id} [{o.kind}] {o.question}: {o.reason}" for o in outcomes if not o.ok]
    return "\n".join(lines), accuracy
