"""Accuracy of every question set for values of one `Ranking` field, in one process per index.

Usage: .venv/bin/python bench/sweep_ranking.py FIELD V1,V2,… SET=QUESTIONS:INDEX [SET=QUESTIONS:INDEX …]
Prints, per value, each set's figure / passage / negative / all scores and how many negatives were answered
with a number: how a weight or threshold of docs/RETRIEVAL.md is chosen on all sets together.
"""

from __future__ import annotations

import json
import sys
from dataclasses import replace
from pathlib import Path

from qa_app.config import Settings
from qa_app.embed import get_embedder
from qa_app.engine import Engine
from qa_app.evaluate import evaluate
from qa_app.store.loader import load_index


def main() -> None:
    field, values, sets = sys.argv[1], [float(v) for v in sys.argv[2].split(",")], sys.argv[3:]
    loaded = {}
    for spec in sets:
        name, _, rest = spec.partition("=")
        questions, _, index = rest.partition(":")
        items = [json.loads(line) for line in Path(questions).read_text("utf-8").splitlines() if line.strip()]
        settings = Settings(index_dir=Path(index))
        loaded[name] = (items, load_index(settings.index_dir, settings.embedder), settings)
    embedder = get_embedder(Settings().embedder)
    for value in values:
        cells = []
        for name, (items, index, settings) in loaded.items():
            tuned = replace(settings, ranking=replace(settings.ranking, **{field: value}))
            engine = Engine(index, embedder, tuned)
            outcomes = evaluate(items, lambda q, h, e=engine: e.ask(q, h), index.texts)
            by_kind = {k: [o.ok for o in outcomes if o.kind == k] for k in ("figure", "passage", "negative")}
            wrong_numbers = sum(1 for o in outcomes if o.kind == "negative" and not o.ok)
            kinds = " ".join(f"{k[0]}{sum(v)}/{len(v)}" for k, v in by_kind.items() if v)
            score = f"{sum(o.ok for o in outcomes)}/{len(outcomes)}"
            cells.append(f"{name} {score} ({kinds}, neg-with-number {wrong_numbers})")
        print(f"{field}={value:g}: " + " | ".join(cells), flush=True)


if __name__ == "__main__":
    main()
