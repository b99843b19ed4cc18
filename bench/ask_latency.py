"""Time per question through the CLI contract: `qa-app ask --json -`, one question at a time, against the
time of one query embedding measured in the same run.

Usage: .venv/bin/python bench/ask_latency.py [--index DIR] [--n 120]
The questions are the dev set's plus questions written from the index's own figures ("{org}{year}年{metric}
是多少") and a few that the reports cannot answer. Each is written to the running process and its JSON line
awaited, so the wall time includes parsing, the pipe and JSON. After each answer this process embeds that
question once on its own with the engine's embedder (QA_EMBEDDER, warmed up first): the median of those is
"one embedding", taken between the questions so that both see the same load on the machine. Prints the index
load time, median (p50) and p95 wall time per question, the in-process total, the share spent embedding
(the question, and its metric phrase when no vector for it was kept), one embedding, and p50 / one
embedding against the target of 2x.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd

from qa_app.config import load_settings
from qa_app.embed import get_embedder
from qa_app.store.loader import load_tables

ROOT = Path(__file__).resolve().parent.parent
DEV = ROOT / "tests" / "data" / "dev_questions.jsonl"  # a copy of shared/eval/dev_questions.jsonl


def questions(index_dir: Path, n: int) -> list[str]:
    rng = random.Random(7)
    out = [json.loads(line)["q"] for line in DEV.read_text("utf-8").splitlines()] if DEV.exists() else []
    figures = load_tables(index_dir)["figures"]
    figures = figures[figures["metric"].str.len().between(2, 14)]
    for row in figures.sample(min(len(figures), n), random_state=7).itertuples():
        form = rng.choice(["{org}{year}年{metric}是多少", "{org}{metric}多少", "{year}年{org}的{metric}"])
        if pd.isna(row.year):  # a figure of no known year is asked without one (not "<NA>年")
            form = "{org}{metric}多少"
        out.append(form.format(org=row.org, year=row.year, metric=row.metric))
    return [*out[: max(n, 100) - 3], "北京市财政局2024年三公经费", "", "岳阳市信访局2030年基本支出"]


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--index", type=Path, default=load_settings().index_dir)
    parser.add_argument("--n", type=int, default=120)
    args = parser.parse_args()
    qs = questions(args.index, args.n)
    embedder = get_embedder(load_settings().embedder)
    for q in qs[:5]:
        embedder.encode_queries([q])  # warm up: the first calls of a process are slower
    cmd = [sys.executable, "-m", "qa_app.ui.cli", "ask", "--json", "-", "--index", str(args.index)]
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, encoding="utf-8",
                            env={**os.environ, "TQDM_DISABLE": "1"}, cwd=ROOT)  # fmt: skip
    assert proc.stdin and proc.stdout
    wall, total, embed, slow, one = [], [], [], [], []
    first = None
    for q in qs:
        t0 = time.perf_counter()
        proc.stdin.write(q + "\n")
        proc.stdin.flush()
        answer = json.loads(proc.stdout.readline())
        t1 = time.perf_counter()
        if first is None:
            first = t1 - start
            continue  # the first answer carries the index load; it is reported apart
        assert answer["question"] == q
        wall.append((t1 - t0) * 1000)
        slow.append((wall[-1], q))
        if q:  # one query embedding, now, under the load the question just had
            t2 = time.perf_counter()
            embedder.encode_queries([q])
            one.append((time.perf_counter() - t2) * 1000)
        timings = answer.get("timings_ms", {})
        if "total" in timings:
            total.append(timings["total"])
            embed.append(timings.get("embed", 0.0))
    proc.stdin.close()
    proc.wait()
    print(f"questions           {len(wall)} (after a first one that loads the index: {first:.2f} s)")
    p50 = statistics.median(wall)
    print(f"wall per question   p50 {p50:.1f} ms, p95 {pct(wall, 0.95):.1f} ms")
    print(f"in-process total    median {statistics.median(total):.1f} ms, p95 {pct(total, 0.95):.1f} ms")
    print("slowest             " + "; ".join(f"{ms:.0f} ms {q[:30]!r}" for ms, q in sorted(slow)[-3:]))
    share = sum(embed) / sum(total)
    print(f"embedding share     {share:.0%} (median embed {statistics.median(embed):.1f} ms per question)")
    single = statistics.median(one)
    ratio = p50 / single
    print(f"one embedding       median {single:.1f} ms ({len(one)} questions, each embedded alone)")
    print(f"p50 / one embedding {ratio:.2f}x: {'PASS' if ratio <= 2 else 'FAIL'} (target <= 2x)")
    print(f"load average        {os.getloadavg()[0]:.2f} (1 min, at the end)")


if __name__ == "__main__":
    main()
