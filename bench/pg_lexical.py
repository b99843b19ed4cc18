"""BM25 of the postgres backend alone: `PgLexical.scores` per question, over every section and over one
report's sections, on a built index; and a digest of every score, to check that two versions of the code
score alike.

Usage: .venv/bin/python bench/pg_lexical.py INDEX_DIR QUESTIONS.jsonl [--n 100] [--repeat 10]
The questions' tokens are those the engine makes (the index's user dictionary). Prints p50 / p95 / max in
milliseconds for each scope, the question with the most postings over every section and its mean time over
--repeat runs, and a sha256 of all the scores (float32 bytes, in order).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import time
from pathlib import Path

import numpy as np

from qa_app.config import load_settings
from qa_app.store.pg_index import load_pg_index
from qa_app.text.tokens import tokenize


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("index", type=Path)
    parser.add_argument("questions", type=Path)
    parser.add_argument("--n", type=int, default=100)
    parser.add_argument("--repeat", type=int, default=10)
    args = parser.parse_args()
    settings = load_settings().with_overrides(index_dir=args.index, backend="postgres")
    index = load_pg_index(settings)
    lexical = index.searchers(settings)[0]
    lines = args.questions.read_text("utf-8").splitlines()
    tokens = [tokenize(json.loads(line)["q"], index.tokenizer) for line in lines if line.strip()][: args.n]
    rows_of = index.reads.lookup(index.reports).rows_of_report
    report = max(rows_of.values(), key=len)  # a whole report: the usual scope of a question
    digest = hashlib.sha256()
    for name, rows in (("every section", np.arange(lexical.n)), (f"one report ({len(report)} sections)", report)):
        walls = []
        for question in tokens:
            start = time.perf_counter()
            scores = lexical.scores(question, rows)
            walls.append((time.perf_counter() - start) * 1000)
            digest.update(scores.tobytes())
        p50, p95 = np.percentile(walls, [50, 95])
        print(f"{name}: p50 {p50:.1f} ms, p95 {p95:.1f} ms, max {max(walls):.1f} ms ({len(walls)} questions)")
    worst = max(tokens, key=lambda t: sum(df for _, df in lexical.known(t).values()))
    postings = sum(df for _, df in lexical.known(worst).values())
    lexical.scores(worst, np.arange(lexical.n))
    start = time.perf_counter()
    for _ in range(args.repeat):
        lexical.scores(worst, np.arange(lexical.n))
    mean = (time.perf_counter() - start) * 1000 / args.repeat
    print(f"most postings: {len(worst)} terms, {postings:,} postings, {mean:.1f} ms over every section")
    print(f"scores sha256 {digest.hexdigest()}")
    index.db.close()


if __name__ == "__main__":
    main()
