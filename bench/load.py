"""Many threads asking one loaded engine at once: no error, the same answers as one thread, and the rate.

Usage: .venv/bin/python bench/load.py [--index DIR] [--threads 8] [--per-thread 200]
This is how the app serves several people: one Engine per process (st.cache_resource), each browser
session on its own thread. Every thread asks the same questions (those of bench/ask_latency.py) in its own
order; each answer is compared with the single-threaded answer to the same question (timings left out).
Prints the single-threaded rate, then the threaded throughput, p50/p95 latency and mismatches.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from pathlib import Path

from ask_latency import pct, questions

from qa_app.answer.contract import Answer
from qa_app.config import load_settings
from qa_app.engine import Engine, get_engine


def comparable(answer: Answer) -> Answer:
    return replace(answer, timings_ms={})


def run_thread(engine: Engine, qs: list[str], seed: int) -> list[tuple[str, Answer, float]]:
    order = qs[:]
    random.Random(seed).shuffle(order)
    out = []
    for q in order:
        t0 = time.perf_counter()
        answer = engine.ask(q)
        out.append((q, comparable(answer), time.perf_counter() - t0))
    return out


def load(engine: Engine, qs: list[str], threads: int) -> dict[str, float]:
    """Ask `qs` once per thread, `threads` at a time; raises on the first answer that differs."""
    reference = {q: comparable(engine.ask(q)) for q in qs}
    start = time.perf_counter()
    with ThreadPoolExecutor(threads) as pool:
        results = list(pool.map(lambda seed: run_thread(engine, qs, seed), range(threads)))
    wall = time.perf_counter() - start
    latencies = [t for result in results for _, _, t in result]
    mismatches = [q for result in results for q, a, _ in result if a != reference[q]]
    return {
        "questions": len(latencies),
        "wall_s": wall,
        "per_s": len(latencies) / wall,
        "p50_ms": statistics.median(latencies) * 1000,
        "p95_ms": pct(latencies, 0.95) * 1000,
        "mismatches": len(mismatches),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--index", type=Path, default=load_settings().index_dir)
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--per-thread", type=int, default=200)
    args = parser.parse_args()
    engine = get_engine(load_settings().with_overrides(index_dir=args.index))
    qs = questions(args.index, args.per_thread)[: args.per_thread]
    t0 = time.perf_counter()
    for q in qs:
        engine.ask(q)
    single = len(qs) / (time.perf_counter() - t0)
    figures = load(engine, qs, args.threads)
    print(f"index {args.index}: {len(qs)} distinct questions; one thread {single:.1f} questions/s")
    print(
        f"{args.threads} threads × {len(qs)}: {figures['questions']} answers in {figures['wall_s']:.1f} s, "
        f"{figures['per_s']:.1f} questions/s, latency p50 {figures['p50_ms']:.0f} ms, p95 {figures['p95_ms']:.0f} ms, "
        f"{figures['mismatches']} answers differ from the single-threaded ones"
    )
    return 1 if figures["mismatches"] else 0


if __name__ == "__main__":
    sys.exit(main())
