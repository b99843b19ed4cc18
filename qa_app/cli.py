"""Command line: `qa-app build [--corpus DIR] [--index DIR]`.

Examples:
    qa-app build                       # the project's corpus/ into index/
    QA_CORPUS=~/reports qa-app build   # any folder of .txt/.md/.docx/.pdf reports
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import asdict
from pathlib import Path
from typing import TextIO

from tqdm import tqdm

from qa_app.config import Settings, load_settings
from qa_app.index import Failure, write_index
from qa_app.ingest import IngestError
from qa_app.pipeline import FileResult, process_file


def corpus_files(corpus: Path) -> list[Path]:
    return sorted(p for p in corpus.rglob("*") if p.is_file() and not p.name.startswith("."))


def build(settings: Settings, out: TextIO = sys.stdout) -> tuple[list[FileResult], list[Failure]]:
    """Read every file of the corpus; one unreadable file never stops the others."""
    if not settings.corpus_dir.is_dir():
        raise SystemExit(f"qa-app: corpus folder not found: {settings.corpus_dir}")
    results: list[FileResult] = []
    failures: list[Failure] = []
    files = corpus_files(settings.corpus_dir)
    for path in tqdm(files, desc="reading reports", unit="file", file=sys.stderr, disable=None):
        name = path.relative_to(settings.corpus_dir).as_posix()
        try:
            results.append(process_file(path, settings, name))
        except IngestError as exc:
            failures.append(Failure(name, str(exc)))
        except Exception as exc:  # a reader bug on one file must not lose the others
            failures.append(Failure(name, f"could not be processed ({type(exc).__name__}: {exc})"))
    for r in results:
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
    for f in failures:
        print(f"{f.doc}  NOT READ: {f.reason}", file=out)
    return results, failures


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="qa-app", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    sub = parser.add_subparsers(dest="command", required=True)
    p_build = sub.add_parser("build", help="read the corpus into the index folder")
    p_build.add_argument("--corpus", type=Path, help="folder of reports (default corpus/, or $QA_CORPUS)")
    p_build.add_argument("--index", type=Path, help="index folder (default index/, or $QA_INDEX)")
    args = parser.parse_args(argv)

    settings = load_settings().with_overrides(corpus_dir=args.corpus, index_dir=args.index)
    # `build` is the only command so far (argparse refuses any other).
    results, failures = build(settings)
    write_index(settings.index_dir, results, failures, {k: str(v) for k, v in asdict(settings).items()})
    n_fig = sum(len(r.figures) for r in results)
    print(
        f"indexed {len(results)} files, {sum(len(r.reports) for r in results)} reports, "
        f"{sum(len(r.chunks) for r in results)} chunks, {n_fig} figures into {settings.index_dir}"
        + (f"; {len(failures)} files not read" if failures else "")
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
