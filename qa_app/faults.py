"""Named fault-injection points, so tests fix the order of events in a build instead of racing it.

A build calls `reached(point)` at a few moments worth interrupting:

    build:locked    the build lock has just been taken (qa_app.build.build_lock)
    build:waiting   the lock is held by another build: `waiting()` was called, the blocking wait starts next
    embed:batch     one batch of passages has been embedded (qa_app.embed.base.embed_cached)
    pending:saved   a batch of vectors is kept for a rerun, the build goes on (qa_app.store.pending)
    index:swap      between the two renames of the swap: index → index.old done, new → index not yet
    dask:done       the postgres build: one task of its Dask workers has finished (qa_app.dask_build)
    pg:copied       the postgres build: the new generation's rows are in, its vectors and postings not yet
    pg:flip         the postgres build: the generation is written, the pointer not yet moved (not committed)
    pg:flipped      the postgres build: committed and live, the old generations not yet dropped

Nothing happens unless the environment variable QA_FAULTS names the point, as a comma-separated list of
`point=action`:

    point=kill          SIGKILL this process there (no clean-up, no atexit: what a crash or OOM kill does)
    point=pause:<dir>   create <dir>/<point>.reached, then block until <dir>/<point>.release exists. A
                        release made in advance lets the point pass at once (the .reached file is then a
                        trace of the order the points were passed in); a point reached again after its
                        release passes through

e.g. `QA_FAULTS="build:locked=pause:/tmp/f,embed:batch=kill"`. A paused process gives up (raises
FaultTimeout) after PAUSE_LIMIT seconds, so a test that died never leaves a build hanging for ever.
"""

from __future__ import annotations

import os
import signal
import time
from functools import lru_cache
from pathlib import Path

ENV = "QA_FAULTS"
PAUSE_LIMIT = 900.0  # seconds
_POLL = 0.01  # seconds between looks for the release file: the wait, not the order, depends on it


class FaultTimeout(RuntimeError):
    """A paused fault point was never released."""


def reached(point: str) -> None:
    """Mark that the program has reached `point`; kill or pause it there if QA_FAULTS says so."""
    action = _plan(os.environ.get(ENV, "")).get(point)
    if action is None:
        return  # the normal case: one env lookup and a cached dict lookup
    if action == "kill":
        os.kill(os.getpid(), signal.SIGKILL)
    _pause(point, Path(action.removeprefix("pause:")))


@lru_cache(maxsize=8)
def _plan(spec: str) -> dict[str, str]:
    """QA_FAULTS parsed once per distinct value (a test may change it between calls in one process)."""
    plan: dict[str, str] = {}
    for item in filter(None, (part.strip() for part in spec.split(","))):
        point, sep, action = item.partition("=")
        if not sep or not (action == "kill" or (action.startswith("pause:") and action != "pause:")):
            raise ValueError(f"{ENV}: {item!r} is not point=kill or point=pause:<dir>")
        plan[point.strip()] = action
    return plan


def _pause(point: str, folder: Path) -> None:
    """The file handshake: announce the point, then wait for the test to let the program go on."""
    folder.mkdir(parents=True, exist_ok=True)
    release = folder / f"{point}.release"
    reached_file = folder / f"{point}.reached"
    tmp = folder / f".{point}.reached.{os.getpid()}"
    tmp.write_text(f"{os.getpid()}\n", "utf-8")
    os.replace(tmp, reached_file)  # atomic: a waiter never sees a half-written .reached file
    deadline = time.monotonic() + PAUSE_LIMIT
    while not release.exists():
        if time.monotonic() > deadline:
            raise FaultTimeout(f"fault point {point} was not released within {PAUSE_LIMIT:.0f} s ({release})")
        time.sleep(_POLL)
