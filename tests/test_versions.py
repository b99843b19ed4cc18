"""Each component's stored output is fingerprinted on the seed reports: a change of behaviour without a bump
of its version in qa_app.versions fails here (an index would not know it is stale), and a docstring edit,
which changes no output, needs no bump.

After a deliberate change: bump the version, then record the new fingerprints with
`.venv/bin/python tests/test_versions.py > tests/data/versions.json`.
"""

from __future__ import annotations

import ast
import hashlib
import json
import sys
from pathlib import Path

from qa_app import versions

ROOT = Path(__file__).resolve().parent.parent
RECORDED = ROOT / "tests/data/versions.json"


def _digest(value: object) -> str:
    return hashlib.sha256(json.dumps(value, ensure_ascii=False, sort_keys=True, default=str).encode()).hexdigest()


def reader_output(tmp: Path) -> str:
    """Every row the reading code makes of the seeds, as text, .docx and .pdf (one seed each format), and of
    the generated 自评表 as .xlsx and .xls, and both in portal pages (.html)."""
    sys.path.insert(0, str(ROOT / "tests"))
    from docgen import (
        CHANGDE,
        report_html,
        seed_blocks,
        selfeval_html,
        write_docx,
        write_pdf,
        write_portal_html,
        write_selfeval_xls,
        write_selfeval_xlsx,
    )

    from qa_app.config import Settings
    from qa_app.sandbox import process_file
    from qa_app.store.writer import frames

    seeds = sorted((ROOT / "corpus").glob("*.txt"))
    blocks = seed_blocks(seeds[0].read_text("utf-8"))
    files = [*seeds, write_docx(blocks, tmp / "seed.docx"), write_pdf(blocks, tmp / "seed.pdf")]
    files += [write_selfeval_xlsx(CHANGDE, tmp / "sheet.xlsx"), write_selfeval_xls(CHANGDE, tmp / "sheet.xls")]
    files += [
        write_portal_html(report_html(blocks), "报告", tmp / "seed.html", "gb18030"),
        write_portal_html(selfeval_html(CHANGDE), "自评表", tmp / "sheet.htm"),
    ]
    tables = frames([process_file(p, Settings(), p.name) for p in files])
    return _digest({name: frame.drop(columns="sha256", errors="ignore").to_dict("records")
                    for name, frame in tables.items() if name != "documents"})  # fmt: skip


def tokenizer_output() -> str:
    """BM25 terms of every seed line, with and without corpus words in jieba's dictionary."""
    from qa_app.text.tokens import make_tokenizer, tokenize

    lines = [line for p in sorted((ROOT / "corpus").glob("*.txt")) for line in p.read_text("utf-8").splitlines()]
    plain, named = make_tokenizer(), make_tokenizer(["岳阳市信访局", "信访救助", "渌口区"])
    return _digest([[tokenize(line, plain), tokenize(line, named)] for line in lines])


def passage_code() -> str:
    """The torch passage path's code without docstrings and comments: its vectors differ by CPU kind in the
    last bits, so the code, not an output, is what a version bump must follow."""
    tree = ast.parse((ROOT / "qa_app/embed/e5torch.py").read_text("utf-8"))
    for node in ast.walk(tree):
        body = getattr(node, "body", None)
        first = body[0] if isinstance(body, list) and body else None
        if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
            node.body = body[1:] or [ast.Pass()]
    return hashlib.sha256(ast.dump(tree).encode()).hexdigest()


def current(tmp: Path) -> dict[str, dict]:
    return {
        "reader": {"version": versions.READER, "fingerprint": reader_output(tmp)},
        "tokenizer": {"version": versions.TOKENIZER, "fingerprint": tokenizer_output()},
        "passages": {"version": versions.PASSAGES, "fingerprint": passage_code()},
    }


def test_a_changed_output_has_a_new_version(tmp_path: Path) -> None:
    recorded = json.loads(RECORDED.read_text("utf-8"))
    now = current(tmp_path)
    for name, entry in now.items():
        if entry["fingerprint"] != recorded[name]["fingerprint"]:
            assert entry["version"] != recorded[name]["version"], (
                f"the {name}'s output changed: bump qa_app.versions.{name.upper()} and record the fingerprints "
                "(see this file's docstring)"
            )
        assert entry == recorded[name], f"record the {name}'s new version and fingerprint (this file's docstring)"


if __name__ == "__main__":
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        print(json.dumps(current(Path(tmp)), indent=1))
