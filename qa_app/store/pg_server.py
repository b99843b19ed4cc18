"""The PostgreSQL server of the postgres backend: `QA_DATABASE_URL`'s, or an embedded one (pgserver: PostgreSQL
with pgvector inside a PyPI wheel) whose data is `<index>/pg`, started on first use and stopped when the last
process using it ends.

pgserver counts the processes using a server in `<pg>/.handle_pids.json` and stops it when the last leaves
(atexit). A process killed with SIGKILL never leaves, so the count would keep the server up for ever: the
ids of dead processes are dropped before each start. As root, pgserver runs the server as a system user
`pgserver` (created with useradd) and opens the folders above the data to it (o+rx).
"""

from __future__ import annotations

import json
import os
import subprocess
import threading
import time
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import psutil
import psycopg
from psycopg import sql

from qa_app.config import Settings

PG_DIR = "pg"  # inside the index folder
_PIDS = ".handle_pids.json"  # pgserver's list of processes using the server
ZOMBIE_WAIT_S = 30.0  # how long a killed server may stay a zombie before it is taken as running
RECONNECT_S = 30.0  # how long a reader tries to reach a server again after its connection broke


def data_dir(index_dir: Path) -> Path:
    return index_dir.resolve() / PG_DIR


def database_url(settings: Settings) -> str:
    """The server's address: QA_DATABASE_URL's, else the embedded server's (started now if it is down)."""
    if settings.database_url:
        return settings.database_url
    return _embedded(data_dir(settings.index_dir)).get_uri()


def connect(settings: Settings, **kwargs: object) -> psycopg.Connection:
    return psycopg.connect(database_url(settings), **kwargs)


T = TypeVar("T")


class Db:
    """The readers' connection to the index database (autocommit; psycopg serialises the app's threads on
    it). A read that finds the connection broken (the server was restarted, or killed, and the embedded one
    is restarted by `connect`) reconnects once and runs again: reads change nothing, so a second run is safe,
    and the app goes on answering without being restarted."""

    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        self._conn = connect(settings, autocommit=True)
        self._lock = threading.Lock()

    def run(self, work: Callable[[psycopg.Connection], T]) -> T:
        conn = self._conn
        try:
            return work(conn)
        except psycopg.OperationalError:
            if not conn.broken and not conn.closed:
                raise
        with self._lock:
            if self._conn is conn:
                self._conn = _reconnect(self._settings)
        return work(self._conn)

    def rows(self, query: sql.Composable, params: tuple = ()) -> list[tuple]:
        return self.run(lambda conn: conn.execute(query, params).fetchall())

    def close(self) -> None:
        self._conn.close()


def _reconnect(settings: Settings) -> psycopg.Connection:
    """A new connection after the old one broke. A killed server's last backends may hold its shared memory
    for a moment, and the restart fails while they do: tried again until RECONNECT_S have passed."""
    deadline = time.monotonic() + RECONNECT_S
    while True:
        try:
            return connect(settings, autocommit=True)
        except psycopg.OperationalError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.5)


def has_embedded(index_dir: Path) -> bool:
    """Whether an embedded server's data exists under the index folder (a build made it)."""
    return (data_dir(index_dir) / "PG_VERSION").exists()


def _embedded(pgdata: Path):  # -> pgserver.PostgresServer (imported late: only the postgres backend needs it)
    with warnings.catch_warnings():  # platformdirs warns that XDG_RUNTIME_DIR is unset (it uses /tmp/runtime-<uid>)
        warnings.simplefilter("ignore")
        import pgserver

    pgdata.parent.mkdir(parents=True, exist_ok=True)
    _await_reaped(pgdata)
    with pgserver.PostgresServer._lock:
        _drop_dead_handles(pgdata)
    server = pgserver.get_server(pgdata, cleanup_mode="stop")
    if not _running(pgdata):  # this process started it before, and it was stopped or killed since
        with pgserver.PostgresServer._lock:
            server.ensure_postgres_running()
    return server


def _await_reaped(pgdata: Path) -> None:
    """A killed server is a zombie until init reaps it, and pgserver takes a zombie for a running server (and
    so never starts one): wait for it to go (init reaps within a second or two)."""
    from pgserver.utils import PostmasterInfo

    info = PostmasterInfo.read_from_pgdata(pgdata) if (pgdata / "postmaster.pid").exists() else None
    deadline = time.monotonic() + ZOMBIE_WAIT_S
    while info is not None and info.process is not None and time.monotonic() < deadline:
        try:
            if info.process.status() != psutil.STATUS_ZOMBIE:
                return
        except psutil.NoSuchProcess:
            return
        time.sleep(0.05)


def _postmaster(pgdata: Path):  # -> pgserver.utils.PostmasterInfo of a running server, or None
    from pgserver.utils import PostmasterInfo

    info = PostmasterInfo.read_from_pgdata(pgdata) if pgdata.exists() else None
    return info if info is not None and info.is_running() else None


def _running(pgdata: Path) -> bool:
    return _postmaster(pgdata) is not None


def _drop_dead_handles(pgdata: Path) -> None:
    path = pgdata / _PIDS
    try:
        pids = json.loads(path.read_text())
    except (OSError, ValueError):
        return
    alive = [p for p in pids if isinstance(p, int) and (p == os.getpid() or psutil.pid_exists(p))]
    if alive != pids:
        path.write_text(json.dumps(alive))


def stop_embedded(index_dir: Path) -> None:
    """Stop the embedded server of an index folder if one runs (tests and benchmarks end with it)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from pgserver import pg_ctl

    pgdata = data_dir(index_dir)
    _await_reaped(pgdata)
    if not _running(pgdata):
        return
    user = "pgserver" if os.geteuid() == 0 else None
    try:
        pg_ctl(["-w", "-t", "30", "-m", "fast", "stop"], pgdata=pgdata, user=user)
    except subprocess.CalledProcessError:  # a shutdown checkpoint that cannot finish: stop without it
        if _running(pgdata):
            pg_ctl(["-w", "-m", "immediate", "stop"], pgdata=pgdata, user=user)


def postmaster_pid(index_dir: Path) -> int | None:
    """The embedded server's process id while it runs (a test kills it)."""
    info = _postmaster(data_dir(index_dir))
    return None if info is None else info.pid
