"""Word 97-2003 (.doc) and WPS (.wps): converted to .docx by LibreOffice headless, then read as a .docx.

What WPS and older Word save is a binary OLE file no Python library reads with its tables; LibreOffice's
own import filter does (`soffice --headless --convert-to docx`, Debian's libreoffice-writer-nogui, which
`make run` / `make test` install when missing). Each conversion:

- is refused up front when the file says it is password protected (the FIB's fEncrypted flag of Word's
  stream, or an encrypted Office package inside the OLE file), with a Chinese reason;
- runs with its own throw-away LibreOffice profile (so two conversions never share one), in its own process
  group, under `convert_timeout_s` and `convert_memory_bytes`; a file it cannot load is refused as damaged;
- is cached by the file's SHA-256 under `convert_cache_dir`, so a rebuild or a second copy converts nothing.

The .docx that comes out goes through the .docx reader, and so through its bounds (check_zip).
A .doc that is really a .docx is read as one; an RTF or a web page saved under .doc goes through
LibreOffice too, which imports either; any other bytes (which LibreOffice would import as plain text)
and an OLE file that does not open are refused as damaged.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import os
import shutil
import signal
import subprocess
import tempfile
from pathlib import Path

from qa_app.config import Settings
from qa_app.readers.base import IngestError
from qa_app.readers.docx import docx_text

CONVERTER = "soffice-docx-2"  # part of the cache key: bump when the conversion's command changes
_OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


def _damaged() -> IngestError:
    return IngestError("不是可读的 Word 文件（文件损坏、不完整或格式无法识别），已拒绝")


def soffice() -> str | None:
    return shutil.which("soffice") or shutil.which("libreoffice")


def doc_text(data: bytes, settings: Settings | None = None, suffix: str = ".doc") -> str:
    """The stored text of a .doc or .wps (via LibreOffice's .docx of it)."""
    settings = settings or Settings()
    if data.startswith(b"PK\x03\x04"):
        return docx_text(data, settings)  # a .docx saved under .doc
    if data.startswith(_OLE):
        _refuse_if_protected(data)
    elif not data.lstrip(b"\xef\xbb\xbf \t\r\n")[:12].lower().startswith((b"{\\rtf", b"<", b"mime-version")):
        raise _damaged()  # LibreOffice would import any other bytes as plain text
    return docx_text(converted_docx(data, settings, suffix), settings)


def _refuse_if_protected(data: bytes) -> None:
    """Refuse a Word file that needs a password to open (read from its OLE streams, not by trying)."""
    import olefile

    try:
        ole = olefile.OleFileIO(io.BytesIO(data))
    except Exception as exc:  # olefile raises OSError, ValueError, struct errors … on a broken file
        raise _damaged() from exc
    with ole:
        if ole.exists("EncryptionInfo") or ole.exists("EncryptedPackage"):
            raise IngestError("Word 文件设有打开密码（已加密），无法读取，已拒绝")
        if ole.exists("WordDocument"):
            fib = ole.openstream("WordDocument").read(12)
            if len(fib) >= 12 and fib[11] & 0x01:  # FIB base: fEncrypted is bit 0 of byte 11
                raise IngestError("Word 文件设有打开密码（已加密），无法读取，已拒绝")


def converted_docx(data: bytes, settings: Settings, suffix: str = ".doc") -> bytes:
    """LibreOffice's .docx of `data`, from the cache when this file was converted before."""
    key = hashlib.sha256(CONVERTER.encode() + b"\0" + data).hexdigest()
    cached = settings.convert_cache_dir / f"{key}.docx"
    with contextlib.suppress(OSError):
        return cached.read_bytes()
    program = soffice()
    if program is None:
        raise IngestError("读取 .doc/.wps 需要 LibreOffice（soffice），请运行 make run 或 make test 安装后重试，已拒绝")
    with tempfile.TemporaryDirectory(prefix="qa-doc-") as tmp:
        work = Path(tmp)
        source = work / f"source{suffix}"
        source.write_bytes(data)
        out = work / "out"
        profile = work / "profile"
        command = [
            program, f"-env:UserInstallation=file://{profile}", "--headless", "--norestore",
            "--nolockcheck", "--nodefault", "--nologo", "--convert-to", "docx:Office Open XML Text",
            "--outdir", str(out), str(source),
        ]  # fmt: skip
        _run(command, profile, settings)
        result = out / "source.docx"
        if not result.is_file() or result.stat().st_size == 0:
            raise _damaged()
        converted = result.read_bytes()
    settings.convert_cache_dir.mkdir(parents=True, exist_ok=True)
    partial = cached.with_suffix(f".{os.getpid()}.part")
    partial.write_bytes(converted)
    os.replace(partial, cached)  # whole or not at all: a second reader never sees half a file
    return converted


def _run(command: list[str], profile: Path, settings: Settings) -> None:
    """Run LibreOffice in its own process group under its own memory limit; kill the group on timeout."""
    import resource

    def limits() -> None:
        hard = resource.getrlimit(resource.RLIMIT_AS)[1]
        soft = settings.convert_memory_bytes
        if hard != resource.RLIM_INFINITY:
            soft = min(soft, hard)
        resource.setrlimit(resource.RLIMIT_AS, (soft, hard))  # its own, not the reading child's

    env = {k: v for k, v in os.environ.items() if k in ("PATH", "LANG", "LC_ALL", "TMPDIR")} | {"HOME": str(profile)}
    proc = subprocess.Popen(
        command,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
        preexec_fn=limits,  # the reading child is single-threaded
        env=env,
    )
    try:
        proc.wait(timeout=settings.convert_timeout_s)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
        raise IngestError(f"转换 Word 文件超时（{settings.convert_timeout_s:g} 秒），已拒绝") from None
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)  # nothing of LibreOffice outlives its conversion
