"""Reading throughput of the data layer: ingest → layout → reports → chunk → figures, per stage.

Usage: .venv/bin/python bench/read_throughput.py [CORPUS_DIR] [--repeat N]
Prints, for the corpus read N times over: files, MB, seconds per stage, MB/s, chunks/s and figures/s.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from qa_app.config import Settings
from qa_app.extract.figures import extract_figures
from qa_app.readers import read_document
from qa_app.structure.chunk import chunk_report, sections
from qa_app.structure.layout import parse_layout
from qa_app.structure.reports import split_reports

ROOT = Path(__file__).resolve().parent.parent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("corpus", nargs="?", type=Path, default=ROOT / "corpus")
    parser.add_argument("--repeat", type=int, default=20)
    args = parser.parse_args()
    settings = Settings()
    files = sorted(p for p in args.corpus.iterdir() if p.is_file())
    spent = dict.fromkeys(("read+normalise", "layout", "reports", "chunk", "figures"), 0.0)
    n_bytes = n_chunks = n_figures = 0
    for _ in range(args.repeat):
        for path in files:
            t0 = time.perf_counter()
            doc = read_document(path)
            t1 = time.perf_counter()
            layout = parse_layout(doc.norm.text)
            t2 = time.perf_counter()
            reports = split_reports(doc, layout)
            t3 = time.perf_counter()
            found = [(r, sections(doc, r, layout)) for r in reports]
            chunks = [chunk_report(doc, r, s, settings) for r, s in found]
            t4 = time.perf_counter()
            figures = [extract_figures(doc, r, layout, c, s) for (r, s), c in zip(found, chunks, strict=True)]
            t5 = time.perf_counter()
            for stage, seconds in zip(spent, (t1 - t0, t2 - t1, t3 - t2, t4 - t3, t5 - t4), strict=True):
                spent[stage] += seconds
            n_bytes += path.stat().st_size
            n_chunks += sum(map(len, chunks))
            n_figures += sum(map(len, figures))
    total = sum(spent.values())
    print(f"{len(files)} files × {args.repeat} = {n_bytes / 1e6:.1f} MB in {total:.2f} s")
    for stage, seconds in spent.items():
        print(f"  {stage:<15} {seconds:6.2f} s  ({seconds / total:.0%})")
    print(f"{n_bytes / 1e6 / total:.2f} MB/s, {n_chunks / total:.0f} chunks/s, {n_figures / total:.0f} figures/s")


if __name__ == "__main__":
    main()
