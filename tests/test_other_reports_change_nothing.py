"""Reports of other departments and provinces in the same index change no answer about the seeds.

The seeds are indexed alone and together with the 45 real documents of ../shared/eval/realworld/corpus
(read from there, never copied); every dev and probe question must give the same found/not-found and the
same figures (value, unit, organisation, year). Scores that leaned on the whole corpus (relative years
counted from another department's newest report, rarity of other reports' labels) would move them."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from qa_app.build import build_index
from qa_app.config import Settings
from qa_app.engine import Engine, get_engine

ROOT = Path(__file__).resolve().parent.parent
REALWORLD = ROOT.parent / "shared" / "eval" / "realworld" / "corpus"
QUESTIONS = [
    json.loads(line)["q"]
    for name in ("dev_questions.jsonl", "probe_questions.jsonl")
    for line in (ROOT / "tests" / "data" / name).read_text("utf-8").splitlines()
    if line.strip()
]


@pytest.fixture(scope="module")
def together(tmp_path_factory: pytest.TempPathFactory) -> Engine:
    if not REALWORLD.is_dir():
        pytest.skip(f"{REALWORLD} is not here (it lies beside the project in ../shared)")
    corpus = tmp_path_factory.mktemp("together") / "corpus"
    corpus.mkdir()
    for path in [*(ROOT / "corpus").iterdir(), *REALWORLD.iterdir()]:
        shutil.copyfile(path, corpus / path.name)
    settings = Settings(corpus_dir=corpus, index_dir=corpus.parent / "index")
    build_index(settings)
    return get_engine(settings)


def outcome(engine: Engine, question: str) -> tuple[bool, list[tuple[float, str, str, int | None]]]:
    answer = engine.ask(question)
    return answer.found, [(f.value, f.unit, f.org, f.year) for f in answer.figures]


@pytest.mark.parametrize("question", QUESTIONS)
def test_the_same_answer_beside_other_departments_reports(engine: Engine, together: Engine, question: str) -> None:
    assert len(together.index.documents) == len(engine.index.documents) + len(list(REALWORLD.iterdir()))
    assert outcome(together, question) == outcome(engine, question)
