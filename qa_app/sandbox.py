"""The long-lived child process that reads files, its pipe protocol, and the limits it reads under.

Files are read in one child (`python -c "from qa_app.sandbox import serve; serve()"`), under an
address-space limit, with a wall-clock timeout enforced by the parent, which kills the child and starts a
new one for the next file. What the bounds checked before parsing (qa_app.readers.bounds) miss cannot grow
past the child, and the other files are still read. Each message on the pipes is its length, then a pickle.

Every refusal is an `IngestError` whose message says in Chinese what was refused and why.
"""

from __future__ import annotations

import contextlib
import os
import pickle
import select
import signal
import struct
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING

from qa_app.config import Settings
from qa_app.readers.base import IngestError
from qa_app.readers.bounds import BLOCK, mb

if TYPE_CHECKING:
    from qa_app.corrections import Correction
    from qa_app.pipeline import FileResult

_HEADER = struct.Struct("!Q")  # each message on the pipes: its length, then the pickle
_CHILD = "from qa_app.sandbox import serve; serve()"
_OUT_OF_MEMORY = 86  # the child's exit code when not even its refusal could be written
# Signals that end a process out of memory: the kernel's OOM killer, or a failed allocation in C code.
_KILLED_BY = (signal.SIGKILL, signal.SIGSEGV, signal.SIGABRT, signal.SIGBUS)
# Fewer malloc arenas and math threads: the child's address space then reflects its data, not reservations.
_CHILD_ENV = {"MALLOC_ARENA_MAX": "2", "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}


def memory_refusal(settings: Settings) -> IngestError:
    return IngestError(f"读取时内存超过 {mb(settings.read_memory_bytes)}，已拒绝")


def serve() -> None:
    """The child's loop: read (path, name, settings, corrections) requests from stdin, answer each with a pickle.

    The readers are imported once, before the memory limit is set, so every file pays only for itself.
    The answer is ("ok", FileResult) or ("error", exception); after a MemoryError the child answers and
    exits, so the next file starts in a fresh process.
    """
    import resource

    import docx  # noqa: F401  (imported once for every file the child reads)
    import lxml.html  # noqa: F401
    import olefile  # noqa: F401
    import openpyxl  # noqa: F401
    import pdfplumber  # noqa: F401
    import xlrd  # noqa: F401
    from PIL import Image

    import qa_app.pipeline  # noqa: F401

    requests, answers = sys.stdin.buffer, os.fdopen(os.dup(sys.stdout.fileno()), "wb")
    sys.stdout = sys.stderr  # nothing a reader prints may corrupt the answers
    limit_set = 0
    while header := requests.read(_HEADER.size):
        path, name, settings, corrections = pickle.loads(requests.read(_HEADER.unpack(header)[0]))
        if settings.read_memory_bytes != limit_set:
            limit_set = settings.read_memory_bytes
            resource.setrlimit(resource.RLIMIT_AS, (limit_set, resource.getrlimit(resource.RLIMIT_AS)[1]))
        Image.MAX_IMAGE_PIXELS = settings.max_image_pixels
        try:
            body = _answer(Path(path), settings, name, corrections)
        except MemoryError:  # even the answer could not be made: the exit code says it
            os._exit(_OUT_OF_MEMORY)
        answers.write(_HEADER.pack(len(body)) + body)
        answers.flush()
        if body == _memory_answer(settings):
            return  # a fresh child for the next file, not one whose heap is in pieces


def _answer(path: Path, settings: Settings, name: str | None, corrections: dict[str, Correction]) -> bytes:
    """The pickled answer to one request; a MemoryError is turned into the refusal once its frames are gone."""
    from qa_app.pipeline import process_file_here

    out_of_memory = False
    try:
        answer: tuple[str, object] = ("ok", process_file_here(path, settings, name, corrections))
    except MemoryError:
        out_of_memory = True  # nothing allocated here: the file's objects are still held by the traceback
    except Exception as exc:
        answer = ("error", exc)
    if out_of_memory:
        return _memory_answer(settings)
    try:
        return pickle.dumps(answer, protocol=pickle.HIGHEST_PROTOCOL)
    except MemoryError:
        del answer
        return _memory_answer(settings)
    except Exception as exc:  # an exception that does not pickle: its words still reach the parent
        return pickle.dumps(("error", RuntimeError(f"{type(exc).__name__}: {exc}")))


def _memory_answer(settings: Settings) -> bytes:
    return pickle.dumps(("error", memory_refusal(settings)))


class ReadingChild:
    """The parent's side: one child reading files one after another, restarted when it dies or is killed."""

    def __init__(self) -> None:
        self._proc: subprocess.Popen[bytes] | None = None
        self._lock = threading.Lock()  # the app may read from several sessions; one file at a time

    def read(
        self, path: Path, settings: Settings, name: str | None = None, corrections: dict[str, Correction] | None = None
    ) -> FileResult:
        """`process_file_here` in the child; raises IngestError (or the reader's own error) as it would."""
        request = pickle.dumps((str(path), name, settings, corrections or {}), protocol=pickle.HIGHEST_PROTOCOL)
        with self._lock:
            proc = self._running()
            try:
                proc.stdin.write(_HEADER.pack(len(request)) + request)
                proc.stdin.flush()
                deadline = time.monotonic() + settings.read_timeout_s
                size = _HEADER.unpack(self._receive(proc, _HEADER.size, deadline, settings))[0]
                kind, value = pickle.loads(self._receive(proc, size, deadline, settings))
            except (BrokenPipeError, EOFError) as exc:
                raise self._died(proc, settings) from exc
            except BaseException:  # timed out, interrupted: its answer must never be read as another file's
                self._stop(proc)
                raise
            if kind == "error" and isinstance(value, IngestError) and value.args == memory_refusal(settings).args:
                self._stop(proc)
        if kind == "error":
            raise value
        return value

    def _running(self) -> subprocess.Popen[bytes]:
        if self._proc is None or self._proc.poll() is not None:
            self._proc = subprocess.Popen(
                [sys.executable, "-c", _CHILD],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.DEVNULL,
                env=os.environ | _CHILD_ENV,
            )
        return self._proc

    def _receive(self, proc: subprocess.Popen[bytes], size: int, deadline: float, settings: Settings) -> bytes:
        """`size` bytes of the child's answer, or the file is refused once the deadline passes."""
        fd = proc.stdout.fileno()
        parts: list[bytes] = []
        left = size
        while left:
            remaining = deadline - time.monotonic()
            if remaining <= 0 or not select.select([fd], [], [], remaining)[0]:
                self._stop(proc)
                raise IngestError(f"读取超时（{settings.read_timeout_s:g} 秒），已拒绝")
            part = os.read(fd, min(left, BLOCK))
            if not part:
                raise EOFError
            parts.append(part)
            left -= len(part)
        return b"".join(parts)

    def _died(self, proc: subprocess.Popen[bytes], settings: Settings) -> IngestError:
        """Why the child ended mid-file: out of memory (killed, or aborted when an allocation failed)."""
        code = self._stop(proc)
        if code == _OUT_OF_MEMORY or (code is not None and -code in _KILLED_BY):
            return memory_refusal(settings)
        return IngestError(f"读取进程意外退出（代码 {code}），已拒绝")

    def _stop(self, proc: subprocess.Popen[bytes]) -> int | None:
        if proc.poll() is None:
            proc.kill()
        code = proc.wait()
        for pipe in (proc.stdin, proc.stdout):
            with contextlib.suppress(OSError):
                pipe.close()
        if self._proc is proc:
            self._proc = None
        return code

    def close(self) -> None:
        """End the child (it also ends by itself when this process goes and its stdin closes)."""
        with self._lock:
            if self._proc is not None:
                self._stop(self._proc)


_child = ReadingChild()


def process_file(
    path: Path,
    settings: Settings,
    name: str | None = None,
    corrections: dict[str, Correction] | None = None,
    child: ReadingChild | None = None,
) -> FileResult:
    """Read and split one file (qa_app.pipeline) in the reading child, under its memory limit and timeout.

    Whatever a file unpacks to, it can only take down the child: this process gets the result, or an
    IngestError with a plain reason when the file cannot be read or is refused. The build and the app's
    upload check read every file through here, in this process's one child unless `child` is given (a Dask
    worker's threads each have their own). `corrections` (qa_app.corrections) are the file's organisation
    and year set by hand.
    """
    return (child or _child).read(path, settings, name, corrections)
