"""Retrieval ablation on a question file: BM25 alone, dense alone and fused, with and without the
organisation/title/heading prefix on each section; then the figure-score threshold and the RRF constant.

Usage: .venv/bin/python bench/ablation.py [--index DIR] [FILE.jsonl]
hit@k: one of the first k sections is from the gold file and holds the gold evidence (figure and passage
questions). accuracy: `qa-app eval`'s judgement of the whole answer (all questions). The sections without
the prefix are embedded here (one pass over the corpus) and indexed in memory; nothing is written.
"""

from __future__ import annotations

import argparse
from dataclasses import replace
from pathlib import Path

import bm25s
import faiss
import numpy as np

from qa_app.config import load_settings
from qa_app.embed import get_embedder
from qa_app.engine import Engine
from qa_app.evaluate import evaluate, read_questions
from qa_app.search.query import parse_query
from qa_app.search.retrieve import scope, search
from qa_app.store.loader import Index, load_index
from qa_app.text.tokens import tokenize

ROOT = Path(__file__).resolve().parent.parent
DEV = ROOT / "tests" / "data" / "dev_questions.jsonl"  # a copy of shared/eval/dev_questions.jsonl


def variant(index: Index, field: str, embedder) -> Index:
    """The same index with BM25 and vectors over another text column of the chunks."""
    texts = index.chunks[field].tolist()
    bm25 = bm25s.BM25()
    bm25.index([tokenize(t, index.tokenizer) or [""] for t in texts], show_progress=False)
    flat = faiss.IndexFlatIP(embedder.dim)
    flat.add(embedder.encode_passages(texts))
    return replace(index, bm25=bm25, vectors=flat)


def hits_at(engine: Engine, items: list[dict], ks: tuple[int, ...]) -> dict[int, float]:
    found = dict.fromkeys(ks, 0)
    scored = [it for it in items if it["kind"] in ("figure", "passage")]
    s = engine.settings
    for it in scored:
        query = parse_query(it["q"], engine.catalog, engine.index.tokenizer)
        qvec = engine.embedder.encode_queries([query.norm])[0]
        rows = scope(engine.index.chunks, engine.index.reports, query)
        tokens = tokenize(query.norm, engine.index.tokenizer)
        weights = (s.weight_bm25, s.weight_dense)
        hits = search(rows, tokens, qvec, engine.index.bm25, engine.index.vectors, weights, s.rrf_k)
        evidence = it.get("evidence") or it.get("text")
        good = [
            engine.index.chunks.iloc[h.row]["doc"] == it["doc"] and evidence in engine.index.chunks.iloc[h.row]["text"]
            for h in hits
        ]
        for k in ks:
            found[k] += any(good[:k])
    return {k: v / len(scored) for k, v in found.items()}


def accuracy(engine: Engine, items: list[dict]) -> float:
    outcomes = evaluate(items, engine.ask, engine.index.texts)
    return sum(o.ok for o in outcomes) / len(outcomes)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("file", nargs="?", type=Path, default=DEV)
    parser.add_argument("--index", type=Path, default=load_settings().index_dir)
    args = parser.parse_args()
    settings = load_settings().with_overrides(index_dir=args.index)
    embedder = get_embedder(settings.embedder)
    items = read_questions(args.file)
    base = load_index(args.index, settings.embedder)
    bare = variant(base, "text", embedder)

    print("| sections | ranking | hit@1 | hit@5 | answer accuracy |")
    print("|---|---|---|---|---|")
    for label, index in (("with prefix", base), ("text only", bare)):
        for name, weights in (("BM25", (1.0, 0.0)), ("dense", (0.0, 1.0)), ("fused", (1.0, 1.0))):
            s = settings.with_overrides(weight_bm25=weights[0], weight_dense=weights[1])
            engine = Engine(index, embedder, s)
            h = hits_at(engine, items, (1, 5))
            print(f"| {label} | {name} | {h[1]:.2f} | {h[5]:.2f} | {accuracy(engine, items):.2f} |")

    print("\n| fusion weights (BM25, dense) | hit@1 | hit@5 | answer accuracy |")
    print("|---|---|---|---|")
    for weights in ((1.0, 0.5), (1.0, 1.0), (0.5, 1.0)):
        engine = Engine(base, embedder, settings.with_overrides(weight_bm25=weights[0], weight_dense=weights[1]))
        h = hits_at(engine, items, (1, 5))
        print(f"| {weights} | {h[1]:.2f} | {h[5]:.2f} | {accuracy(engine, items):.2f} |")

    print("\n| RRF k | answer accuracy |")
    print("|---|---|")
    for k in (10, 30, 60, 120):
        print(f"| {k} | {accuracy(Engine(base, embedder, settings.with_overrides(rrf_k=k)), items):.2f} |")

    print("\n| min_figure_score | figure right | negative right | all |")
    print("|---|---|---|---|")
    for threshold in (0.3, 0.4, 0.45, 0.5, 0.55, 0.6, 0.7):
        engine = Engine(base, embedder, settings.with_overrides(min_figure_score=threshold))
        outcomes = evaluate(items, engine.ask, base.texts)
        by = {kind: [o.ok for o in outcomes if o.kind == kind] for kind in ("figure", "negative")}
        print(
            f"| {threshold} | {sum(by['figure'])}/{len(by['figure'])} | {sum(by['negative'])}/{len(by['negative'])} "
            f"| {np.mean([o.ok for o in outcomes]):.2f} |"
        )


if __name__ == "__main__":
    main()
