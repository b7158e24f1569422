"""Text inside generated C: string literals any name or label can go into."""

from __future__ import annotations


def c_string(text: str) -> str:
    """`text` as a C string literal: printable ASCII as is, everything else (quotes, backslashes,
    newlines, UTF-8 bytes) as 3-digit octal escapes, which no following character can extend."""
    out = []
    for byte in text.encode("utf-8"):
        char = chr(byte)
        out.append(f"\\{byte:03o}" if byte < 0x20 or byte >= 0x7F or char in '"\\?' else char)
    return '"' + "".join(out) + '"'
