"""The domain vocabulary as data: one TOML file per concept in this folder, loaded once.

Adding a department's words, a unit or a synonym is an edit of a data file, reviewed like one; the code
that uses a list turns it into a pattern with `ordered`, so a data file's order (a longer word first) holds.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterable
from functools import cache
from importlib.resources import files


@cache
def load(name: str) -> dict:
    """The parsed `<name>.toml` of this folder."""
    return tomllib.loads(files(__package__).joinpath(f"{name}.toml").read_text("utf-8"))


def ordered(words: Iterable[str]) -> str:
    """A regex alternation of `words`, escaped, in the order given (no group).

    For lists whose order is part of their meaning: after a lazy quantifier or before a lookahead the
    first word that fits wins, so the data file keeps a longer word before a shorter one it starts with.
    """
    return "|".join(re.escape(w) for w in words)
