"""Command line: build an index, ask it questions, score it on a question file.

Examples:
    qa-app build                                   # the project's corpus/ into index/
    qa-app build --if-stale                        # only when corpus/ changed since the last build
    QA_CORPUS=~/reports qa-app build               # any folder of .txt/.md/.docx/.pdf reports
    qa-app ask "湘潭县信访救助支出多少"              # the answer, for people
    qa-app ask --json "岳阳市信访局2024年基本支出"   # one JSON object
    qa-app ask --json - < questions.txt            # one JSON line per input line, index loaded once
    qa-app eval ../shared/eval/dev_questions.jsonl --min 0.96
    qa-app build --backend postgres --workers 2     # the index in PostgreSQL (embedded under index/pg, or
    QA_BACKEND=postgres qa-app ask "…"              #   $QA_DATABASE_URL's server), read and embedded on Dask
Folders default to corpus/ and index/, or $QA_CORPUS and $QA_INDEX; $QA_EMBEDDER picks the model.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TextIO

from tqdm import tqdm

from qa_app.answer.contract import Answer
from qa_app.build import BuildError, build_index, index_state
from qa_app.config import Settings, load_settings
from qa_app.embed.base import EmbedderUnavailable
from qa_app.engine import Engine, get_engine
from qa_app.evaluate import evaluate, read_questions, report
from qa_app.store.backends import BACKENDS
from qa_app.store.manifest import IndexUnavailable
from qa_app.text.normalize import valid_utf8


class Bars:
    """tqdm bars for a build's stages (reading, embedding, indexing), on stderr, off when not a terminal."""

    def __init__(self) -> None:
        self.bars: dict[str, tqdm] = {}

    def __call__(self, stage: str, done: int, total: int) -> None:
        if stage not in self.bars:
            if not total:
                return
            self.bars[stage] = tqdm(total=total, desc=stage, unit="item", file=sys.stderr, disable=None)
        bar = self.bars[stage]
        bar.update(done - bar.n)
        if done >= total:
            bar.close()


def build_command(settings: Settings, if_stale: bool, out: TextIO | None = None) -> int:
    out = out or sys.stdout  # looked up now, so a redirected stdout is honoured
    if if_stale:
        state = index_state(settings)
        if state.current:
            print(f"index {settings.index_dir} is up to date with {settings.corpus_dir}", file=out)
            return 0
        print(f"building the index: {state.reason}", file=out)
    try:
        result = build_index(settings, Bars(), waiting=lambda: print("waiting for another build to finish…", file=out))
    except (FileNotFoundError, BuildError) as exc:
        raise SystemExit(f"qa-app: {exc}") from exc
    for r in result.read:
        print(
            f"{r.doc.name}  [{r.doc.format}, {r.doc.encoding}]  sections {len({c.heading for c in r.chunks})}, "
            f"chunks {len(r.chunks)}, figures {len(r.figures)}",
            file=out,
        )
        for rep in r.reports:
            print(
                f"    {rep.org or '(organisation unknown)'} · {rep.year or '(year unknown)'} · {rep.type} · "
                f"{rep.title}",
                file=out,
            )
    for name, original in result.copies.items():
        print(f"{name}  same bytes as {original}: indexed once, both names kept", file=out)
    for f in result.failures:
        print(f"{f.doc}  NOT READ: {f.reason}", file=out)
    counts, stats = result.counts, result.stats
    print(
        f"indexed {len(result.read) + len(result.reused)} files ({len(result.reused)} unchanged), "
        f"{counts['reports']} reports, {counts['chunks']} chunks, {counts['figures']} figures into "
        f"{settings.index_dir}"
        + (f"; {len(result.failures)} files not read" if result.failures else "")
        + f"\nembedded {stats.embedded} texts, {stats.cached} unchanged taken from the last build"
        + (f" ({stats.resumed} embedded by a build that was interrupted)" if stats.resumed else "")
        + "\nseconds: "
        + ", ".join(f"{stage} {s:.2f}" for stage, s in result.seconds.items()),
        file=out,
    )
    return 0


def print_answer(answer: Answer, out: TextIO) -> None:
    """The answer for people: the sentence, its sources with their quotes, then the passages."""
    print(answer.answer, file=out)
    for n, c in enumerate(answer.citations, 1):
        quote = " ".join(c.quote.split())
        print(f"  [{n}] {c.doc} [{c.start}:{c.end}] {c.title} › {c.section}\n      “{quote}”", file=out)
    if answer.passages:
        print("相关段落:", file=out)
        for p in answer.passages:
            text = " ".join(p.text.split())
            print(
                f"  ({p.score:.2f}) {p.doc} · {p.section}\n      {text[:200]}{'…' if len(text) > 200 else ''}", file=out
            )


def parse_line(line: str) -> tuple[str, list[str]]:
    """A line of `ask -`: a question, or a JSON object {"q": …, "history": [… oldest first]} that asks `q`
    inside that conversation. Anything else that starts with "{" is a question as typed."""
    if line.lstrip().startswith("{"):
        try:
            item = json.loads(line)
        except ValueError:
            return line, []
        if isinstance(item, dict) and isinstance(item.get("q"), str):
            history = item.get("history") or []
            return item["q"], [str(h) for h in history] if isinstance(history, list) else []
    return line, []


def _safe_ask(engine: Engine, question: str, history: Sequence[str] = ()) -> Answer:
    """Any question gets an answer; an internal error becomes found=false with the reason, not a traceback."""
    try:
        return engine.ask(question, history)
    except Exception as exc:
        print(f"qa-app: internal error on {question[:80]!r}: {type(exc).__name__}: {exc}", file=sys.stderr)
        return Answer(question, False, f"无法回答这个问题（内部错误：{type(exc).__name__}）。")


def _emit(answer: Answer, as_json: bool, out: TextIO, gap: bool = False) -> None:
    """One answer, flushed at once; `gap` puts a blank line after a human-readable one (stdin mode)."""
    if as_json:
        print(json.dumps(answer.to_json(), ensure_ascii=False), file=out, flush=True)
        return
    print_answer(answer, out)
    if gap:
        print(file=out)
    out.flush()


def _stdin_lines() -> Iterator[str]:
    """One question per line; a GBK line is still a line: answered, not a crash."""
    sys.stdin.reconfigure(errors="replace")
    return (line.rstrip("\r\n") for line in sys.stdin)


def ask_command(settings: Settings, question: str, as_json: bool, out: TextIO | None = None) -> int:
    out = out or sys.stdout  # looked up now, so a redirected stdout is honoured
    engine = get_engine(settings)
    from_stdin = question == "-"
    for line in _stdin_lines() if from_stdin else [valid_utf8(question)]:  # argv may hold undecodable bytes
        q, history = parse_line(line) if from_stdin else (line, [])
        _emit(_safe_ask(engine, q, history), as_json, out, gap=from_stdin)
    return 0


def eval_command(settings: Settings, path: Path, minimum: float | None, out: TextIO | None = None) -> int:
    out = out or sys.stdout  # looked up now, so a redirected stdout is honoured
    try:
        items = read_questions(path)
    except (OSError, ValueError) as exc:
        raise SystemExit(f"qa-app: cannot read {path}: {exc}") from exc
    engine = get_engine(settings)
    outcomes = evaluate(items, lambda q, history: _safe_ask(engine, q, history), engine.index.texts)
    text, accuracy = report(outcomes)
    print(text, file=out)
    if minimum is not None and accuracy < minimum:
        print(f"accuracy {accuracy:.3f} is below --min {minimum}", file=out)
        return 1
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="qa-app", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    sub = parser.add_subparsers(dest="command", required=True)
    p_build = sub.add_parser("build", help="read the corpus into the index folder")
    p_build.add_argument("--corpus", type=Path, help="folder of reports (default corpus/, or $QA_CORPUS)")
    p_build.add_argument("--index", type=Path, help="index folder (default index/, or $QA_INDEX)")
    p_build.add_argument(
        "--if-stale", action="store_true", help="do nothing when the index already holds exactly the corpus's files"
    )
    p_build.add_argument(
        "--workers",
        type=int,
        help="postgres backend: Dask worker processes reading and embedding (default: one per core)",
    )
    p_ask = sub.add_parser("ask", help="answer a question (or one per line of stdin with -)")
    p_ask.add_argument("question", help='the question, or "-" to read one question per line from stdin')
    p_ask.add_argument("--index", type=Path, help="index folder (default index/, or $QA_INDEX)")
    p_ask.add_argument("--json", action="store_true", help="print JSON (one line per question)")
    p_eval = sub.add_parser("eval", help="score the answers to a question file (JSON lines)")
    p_eval.add_argument("file", type=Path, help="questions in the schema of shared/eval/dev_questions.jsonl")
    p_eval.add_argument("--index", type=Path, help="index folder (default index/, or $QA_INDEX)")
    p_eval.add_argument("--min", type=float, help="exit 1 when the overall accuracy is below this (0-1)")
    for command in (p_build, p_ask, p_eval):
        command.add_argument(
            "--backend", choices=BACKENDS, help="where the index is: folder (default) or postgres (or $QA_BACKEND)"
        )
    args = parser.parse_args(argv)

    settings = load_settings().with_overrides(
        corpus_dir=getattr(args, "corpus", None),
        index_dir=args.index,
        backend=args.backend,
        build_workers=getattr(args, "workers", None),
    )
    try:
        if args.command == "ask":
            return ask_command(settings, args.question, args.json)
        if args.command == "eval":
            return eval_command(settings, args.file, args.min)
        return build_command(settings, args.if_stale)
    except (IndexUnavailable, EmbedderUnavailable) as exc:
        print(f"qa-app: {exc}", file=sys.stderr)
        if args.command == "ask" and args.question == "-" and args.json:
            # The contract holds even now: one JSON line per input line, each saying why there is no answer.
            for line in _stdin_lines():
                _emit(Answer(parse_line(line)[0], False, f"无法回答：索引不可用（{exc}）。"), True, sys.stdout)
        return 2


def entry() -> int:
    """The console script: a reader that closes the pipe early (`| head`) ends the run quietly."""
    try:
        return main()
    except BrokenPipeError:
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0


if __name__ == "__main__":
    sys.exit(entry())
