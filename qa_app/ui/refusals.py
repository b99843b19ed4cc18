"""Why a file was refused, in Chinese, for the app: some readers still give their reason in English.

The readers' messages are a contract of the CLI and its tests (`qa-app build` prints them), so they are
translated here, where they are shown to people, and a reason already in Chinese is left as it is. An
English reason no rule knows is shown after a Chinese sentence, never alone.
"""

from __future__ import annotations

import re

_CJK = re.compile(r"[\u4e00-\u9fff]")
_RULES: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(pattern, re.I), chinese)
    for pattern, chinese in (
        (r"^not a readable \.docx \(damaged or incomplete file\)$", "不是可读的 Word（.docx）文件（文件损坏或不完整）"),
        (r"^not a readable \.docx \((.+)\)$", r"不是可读的 Word（.docx）文件（\1）"),
        (r"^text too long: its tables span more columns than a report has$", "表格的列数远超一份报告，已拒绝"),
        (r"^text too long: ([\d,]+) characters, more than the ([\d,]+) of a report.*$",
         r"文字过长：\1 个字符，超过一份报告的上限 \2 个字符（请拆分成单份报告）"),
        (r"^invalid (\S+) text at byte (\d+)$", r"文本编码有误（按 \1 读取，第 \2 字节无法解码）"),
        (r"^binary file, not text$", "这是二进制文件，不是文本"),
        (r"^cannot decode text.*$", "无法识别文本编码（不是 UTF-8、GB18030 或其他已知编码）"),
        (r"^cannot open: (.+)$", r"无法打开文件（\1）"),
        (r"^file too large \(([\d.]+) MB > ([\d.]+) MB\)$", r"文件过大（\1 MB，上限 \2 MB）"),
        (r"^empty file$", "文件为空"),
        (r"^unsupported file type \(none\)$", "文件没有扩展名，无法判断格式"),
        (r"^unsupported file type (\S+)$", r"不支持的文件类型 \1"),
        (r"^no text in file$", "文件中没有文字"),
        (r"^encrypted PDF \(password protected\)$", "PDF 设有打开密码（已加密），无法读取"),
        (r"^not a readable PDF \(damaged or incomplete file\)$", "不是可读的 PDF 文件（文件损坏或不完整）"),
        (r"^no text layer \(scanned PDF\?\)$", "PDF 没有文字层（可能是扫描件），文字识别也未读出文字"),
        (r"^no readable report in .*$", "语料目录中没有可读的报告"),
        (r"^no index in (\S+?)(:.*)?$", r"索引目录 \1 中没有索引"),
        (r"^the index .*(could not be read|kept changing|incomplete|unreadable).*$", "索引无法读取，请重新建立"),
        (r"^index file .* is missing or damaged.*$", "索引文件缺失或损坏，请重新建立"),
        (r"^a link to a file outside the corpus folder.*$", "这是指向语料目录以外文件的链接，请把文件复制进来"),
    )
)  # fmt: skip


def chinese_reason(reason: str) -> str:
    """The reason a file was refused, in Chinese."""
    reason = " ".join(str(reason).split())
    if _CJK.search(reason):
        return reason
    for pattern, chinese in _RULES:
        if pattern.match(reason):
            return pattern.sub(chinese, reason)
    return f"无法读取（{reason}）" if reason else "无法读取"
