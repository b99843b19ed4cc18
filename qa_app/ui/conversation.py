"""Conversations kept server-side, so that a reload (F5) or a browser restart loses nothing.

A conversation is named by a random id that stands in the page's URL (`?c=…`); its turns (question and the
whole answer as the JSON contract writes it) are rows of a small SQLite file beside the index
(`Settings.conversation_db`). Each write is its own transaction, so two tabs on one conversation never see
half a turn. The answer is stored whole, not asked again on reload: what was shown is what comes back, even
after the index is rebuilt.
"""

from __future__ import annotations

import json
import re
import secrets
import sqlite3
import time
from contextlib import closing
from dataclasses import dataclass, fields
from pathlib import Path

from qa_app.answer.contract import Answer, Citation, FigureOut, Passage

_ID = re.compile(r"[A-Za-z0-9_-]{8,40}")
_SCHEMA = """
CREATE TABLE IF NOT EXISTS turns (
    conversation TEXT NOT NULL,
    n INTEGER NOT NULL,
    question TEXT NOT NULL,
    answer TEXT NOT NULL,
    asked_at REAL NOT NULL,
    PRIMARY KEY (conversation, n)
)
"""


@dataclass(frozen=True)
class Turn:
    question: str
    answer: Answer
    asked_at: float  # seconds since the epoch


def new_id() -> str:
    """A fresh conversation id: 72 random bits, URL-safe, not guessable from another one."""
    return secrets.token_urlsafe(9)


def valid_id(value: object) -> bool:
    return isinstance(value, str) and bool(_ID.fullmatch(value))


def _known(cls: type, data: dict) -> dict:
    """The keys of `data` that `cls` has: an answer stored by an older or newer contract still loads."""
    names = {f.name for f in fields(cls)}
    return {k: v for k, v in data.items() if k in names}


def answer_from_json(data: dict) -> Answer:
    """The inverse of `Answer.to_json`."""
    parts = {
        "figures": [FigureOut(**_known(FigureOut, f)) for f in data.get("figures", [])],
        "citations": [Citation(**_known(Citation, c)) for c in data.get("citations", [])],
        "passages": [Passage(**_known(Passage, p)) for p in data.get("passages", [])],
    }
    return Answer(**{**_known(Answer, data), **parts})


class ConversationStore:
    """The turns of every conversation, in one SQLite file (stdlib sqlite3, one connection per call)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        with closing(self._connect()) as db, db:
            db.execute(_SCHEMA)

    def _connect(self) -> sqlite3.Connection:
        return sqlite3.connect(self.path, timeout=10)

    def turns(self, conversation: str) -> list[Turn]:
        with closing(self._connect()) as db:
            rows = db.execute(
                "SELECT question, answer, asked_at FROM turns WHERE conversation = ? ORDER BY n", (conversation,)
            ).fetchall()
        return [Turn(q, answer_from_json(json.loads(a)), t) for q, a, t in rows]

    def append(self, conversation: str, question: str, answer: Answer) -> None:
        """Add a turn at the end; the number is taken inside the insert, so two writers never share one."""
        with closing(self._connect()) as db, db:
            db.execute(
                "INSERT INTO turns SELECT ?, COALESCE(MAX(n) + 1, 0), ?, ?, ? FROM turns WHERE conversation = ?",
                (conversation, question, _dump(answer), time.time(), conversation),
            )

    def replace(self, conversation: str, i: int, answer: Answer) -> None:
        """The `i`-th turn (0-based) gets another answer to the same question (asked without its context)."""
        with closing(self._connect()) as db, db:
            db.execute(
                "UPDATE turns SET answer = ? WHERE conversation = ? AND n = "
                "(SELECT n FROM turns WHERE conversation = ? ORDER BY n LIMIT 1 OFFSET ?)",
                (_dump(answer), conversation, conversation, i),
            )


def _dump(answer: Answer) -> str:
    return json.dumps(answer.to_json(), ensure_ascii=False)
